"""Rendering: RGB frames, GIF export with observable fields and communication groups, replay_path."""
import os

import numpy as np
import pytest
from PIL import Image

from dizoo_envs.render import render_frame, save_episode_gif
from .helpers import ENV_NAMES, make_env


@pytest.mark.parametrize('name', ENV_NAMES)
def test_render_returns_rgb_frame(name):
    env = make_env(name, n_agent=4)
    env.seed(0)
    env.reset()
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert (frame != 255).any()  # something is drawn


@pytest.mark.parametrize('name', ENV_NAMES)
def test_replay_path_saves_one_gif_per_episode(name, tmp_path):
    env = make_env(name, n_agent=3, max_cycles=4, replay_path=str(tmp_path / 'replay'))
    env.seed(0)
    for _ in range(2):
        env.reset()
        done = False
        while not done:
            done = env.step(env.random_action()).done
    gifs = sorted(os.listdir(tmp_path / 'replay'))
    assert len(gifs) == 2 and all(g.endswith('.gif') for g in gifs)
    with Image.open(tmp_path / 'replay' / gifs[0]) as img:
        assert img.n_frames == 5  # the reset state and 4 steps


def test_enable_save_replay(tmp_path):
    env = make_env('predator_prey', n_agent=3, max_cycles=2)
    env.enable_save_replay(str(tmp_path))
    env.seed(0)
    env.reset()
    env.step(env.random_action())
    env.step(env.random_action())
    assert len(os.listdir(tmp_path)) == 1


def test_fields_and_comm_groups_are_drawn(tmp_path):
    env = make_env('cooperative_navigation', n_agent=6, observable_field=dict(type='radius', radius=0.7))
    env.seed(0)
    env.reset()
    state = env.render_state()
    plain = render_frame(dict(state, field=None))
    with_field = render_frame(state)
    with_groups = render_frame(state, comm_groups=[[0, 1, 2], [3, 4]])
    assert (plain != with_field).any() and (with_field != with_groups).any()
    env_k = make_env('cooperative_navigation', n_agent=6, n_nearest=2)
    env_k.seed(0)
    env_k.reset()
    states = [env_k.render_state()]
    for _ in range(3):
        env_k.step(env_k.random_action())
        states.append(env_k.render_state())
    assert states[0]['field']['neighbours'].shape == (6, 2)
    path = save_episode_gif(states, str(tmp_path / 'sub' / 'ep.gif'), comm_groups=[[[0, 1]], None, [[2, 3, 4]], []])
    with Image.open(path) as img:
        assert img.n_frames == 4
    # groups carried by the states themselves, e.g. copied from info['comm_groups']
    save_episode_gif([dict(s, comm_groups=[[0, 5]]) for s in states], str(tmp_path / 'ep2.gif'))
    # frames instead of states
    save_episode_gif([render_frame(s) for s in states], str(tmp_path / 'ep3.gif'))
    with pytest.raises(ValueError, match='no frames'):
        save_episode_gif([], str(tmp_path / 'x.gif'))
    with pytest.raises(ValueError, match='comm_groups'):
        save_episode_gif(states, str(tmp_path / 'x.gif'), comm_groups=[None])
    with pytest.raises(ValueError, match='uint8'):
        save_episode_gif([np.zeros((4, 4))], str(tmp_path / 'x.gif'))
