"""
Overview:
    Drawing of the point-mass envs with PIL (no display, no extra dependency beyond Pillow) and GIF export.

    A *render state* is a dict (what ``env.render_state()`` returns):

    - ``half_width`` (float): the arena is ``[-half_width, half_width]^2``;
    - ``agents`` ((A, 2) array) and ``agent_size`` (float);
    - optional ``landmarks`` ((L, 2)) with ``landmark_size``, ``prey`` ((P, 2)) with ``prey_size``;
    - optional ``field``: ``dict(type='radius', radius=r)`` (a circle around every agent) or
      ``dict(type='k_nearest', neighbours=(A, k) indices)`` (light lines to each agent's field);
    - optional ``comm_groups``: list of lists of agent indices (dark lines from each group's first member, the
      initiator, to the others);
    - optional ``title`` (str).
"""
import os
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from PIL import Image, ImageDraw

AGENT_COLOR = (89, 89, 217)
PREDATOR_COLOR = (217, 89, 89)
PREY_COLOR = (89, 191, 89)
LANDMARK_COLOR = (64, 64, 64)
FIELD_COLOR = (200, 200, 235)
GROUP_COLOR = (20, 20, 20)


def render_frame(state: Dict[str, Any], size: int = 400, comm_groups: Optional[List[List[int]]] = None) -> np.ndarray:
    """
    Overview:
        Draw one render state.
    Arguments:
        - state (:obj:`dict`): a render state (see module doc).
        - size (:obj:`int`): image side in pixels.
        - comm_groups (:obj:`Optional[List[List[int]]]`): groups to draw, overrides ``state['comm_groups']``.
    Returns:
        - frame (:obj:`np.ndarray`): uint8 (size, size, 3).
    """
    h = float(state['half_width'])
    margin = 10
    scale = (size - 2 * margin) / (2 * h)

    def px(p: np.ndarray) -> np.ndarray:  # world (.., 2) -> pixel (.., 2), y up
        p = np.asarray(p, dtype=np.float64)
        return np.stack([margin + (p[..., 0] + h) * scale, size - margin - (p[..., 1] + h) * scale], axis=-1)

    img = Image.new('RGB', (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle([margin, margin, size - margin, size - margin], outline=(180, 180, 180))

    def discs(points: np.ndarray, radius: float, color: tuple, fill: bool = True) -> None:
        r = max(radius * scale, 2.0)
        for x, y in px(points):
            box = [x - r, y - r, x + r, y + r]
            draw.ellipse(box, fill=color if fill else None, outline=color)

    agents = np.asarray(state['agents'])
    field = state.get('field')
    if field is not None and field.get('type') == 'radius':
        for x, y in px(agents):
            r = field['radius'] * scale
            draw.ellipse([x - r, y - r, x + r, y + r], outline=FIELD_COLOR)
    elif field is not None and field.get('type') == 'k_nearest':
        pa = px(agents)
        for i, neighbours in enumerate(np.asarray(field['neighbours'])):
            for j in neighbours:
                draw.line([tuple(pa[i]), tuple(pa[j])], fill=FIELD_COLOR, width=1)
    if state.get('landmarks') is not None:
        discs(state['landmarks'], state.get('landmark_size', 0.05), LANDMARK_COLOR)
    groups = comm_groups if comm_groups is not None else state.get('comm_groups')
    if groups:
        pa = px(agents)
        for group in groups:
            group = list(group)
            for j in group[1:]:
                draw.line([tuple(pa[group[0]]), tuple(pa[j])], fill=GROUP_COLOR, width=2)
    if state.get('prey') is not None:
        discs(state['prey'], state.get('prey_size', 0.05), PREY_COLOR)
    discs(agents, state['agent_size'], PREDATOR_COLOR if state.get('prey') is not None else AGENT_COLOR)
    if state.get('title'):
        draw.text((margin + 2, margin + 2), str(state['title']), fill=(0, 0, 0))
    return np.asarray(img, dtype=np.uint8)


def save_episode_gif(
        frames: Sequence[Union[np.ndarray, Dict[str, Any]]],
        path: str,
        comm_groups: Optional[Sequence[Optional[List[List[int]]]]] = None,
        fps: int = 10,
        size: int = 400,
) -> str:
    """
    Overview:
        Write an episode as an animated GIF.
    Arguments:
        - frames (:obj:`Sequence`): RGB frames (H, W, 3) uint8, or render states (dicts), one per step.
        - path (:obj:`str`): output file; parent folders are created.
        - comm_groups (:obj:`Optional[Sequence]`): per frame, the communication groups to draw (e.g. taken from
          each step's ``info['comm_groups']``); only used for render states.
        - fps (:obj:`int`): frames per second.
        - size (:obj:`int`): image side for render states.
    Returns:
        - path (:obj:`str`): the written file.
    """
    if len(frames) == 0:
        raise ValueError('save_episode_gif: no frames to write')
    if comm_groups is not None and len(comm_groups) != len(frames):
        raise ValueError(f'save_episode_gif: {len(comm_groups)} comm_groups for {len(frames)} frames')
    images = []
    for t, frame in enumerate(frames):
        if isinstance(frame, dict):
            frame = render_frame(frame, size=size, comm_groups=None if comm_groups is None else comm_groups[t])
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f'save_episode_gif: frame {t} must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}')
        images.append(Image.fromarray(frame))
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return path
