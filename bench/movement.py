"""
Overview:
    How far the agents of a trained policy move in an episode. It plays greedy episodes of a checkpoint (on the
    evaluator's layouts, as ``ding-atoc eval``) and prints, per episode, the agents' mean path length (the sum of
    their step lengths) and mean net displacement (start to end), both as shares of the arena's side, and the share of
    saturated action components (``ding-atoc eval``'s ``eval_action_saturated_share``). Agents whose path is a few
    hundredths of the arena stand still; agents whose displacement equals their path, with saturated actions, run
    straight at full speed whatever they observe. Any policy with a checkpoint, DI-engine's included, on any env
    with ``render_state()``.

Usage:
    python bench/movement.py -c configs/predator_prey/masac_config.py --ckpt <run>/ckpt/ckpt_latest.pth.tar \\
        --episodes 4
"""
import os
import sys
from typing import Dict, List, Tuple

import numpy as np

from ding_atoc.entry.evaluate import ACTION_SATURATED_SHARE, load_trained_policy, play_episodes

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script: the repo's root
from bench.checkpoint_cli import print_checkpoint_table  # noqa: E402


def movement(positions: np.ndarray, arena_side: float) -> Dict[str, float]:
    """
    Overview:
        The agents' mean path length and mean net displacement over one episode, as shares of the arena's side.
    Arguments:
        - positions (:obj:`np.ndarray`): (T + 1, A, 2) agent positions, the reset's first.
        - arena_side (:obj:`float`): the side of the square arena.
    Returns:
        - stats (:obj:`Dict[str, float]`): ``path`` and ``displacement``.
    """
    steps = np.linalg.norm(np.diff(positions, axis=0), axis=-1)  # (T, A)
    displacement = np.linalg.norm(positions[-1] - positions[0], axis=-1)  # (A,)
    return dict(path=float(steps.sum(axis=0).mean() / arena_side),
                displacement=float(displacement.mean() / arena_side))


def play(policy, env, episodes: int, seed: int) -> Tuple[List[np.ndarray], float, Dict[str, float]]:
    """The (T + 1, A, 2) agent positions of ``episodes`` greedy episodes (episode k on seed + k), the arena's side and
    ``play_episodes``' metrics."""
    positions: List[List[np.ndarray]] = [[] for _ in range(episodes)]
    arena = {}

    def observe(episode: int, env, obs, output) -> None:
        state = env.render_state()
        arena['side'] = 2 * float(state['half_width'])
        positions[episode].append(np.array(state['agents'], dtype=np.float64))

    metrics = play_episodes(policy, env, episodes, seed, observer=observe).means()  # closes the env
    return [np.stack(run) for run in positions], arena['side'], metrics


def movement_table(input_cfg: Tuple[dict, dict], ckpt: str, episodes: int, seed: int = 0) -> List[str]:
    """
    Overview:
        Play ``episodes`` greedy episodes of the checkpoint and return the markdown table of the module doc: one row
        per episode and their mean.
    """
    policy, env = load_trained_policy(input_cfg, ckpt, seed)
    runs, arena_side, metrics = play(policy, env, episodes, seed)
    rows = [movement(run, arena_side) for run in runs]
    saturated = metrics.get(ACTION_SATURATED_SHARE)
    lines = [
        f'{ckpt}: {episodes} episodes of {len(runs[0]) - 1} steps, arena side {arena_side:.3g}, saturated action '
        f'components: {"- (discrete actions)" if saturated is None else f"{saturated:.3f}"}',
        '| episode | path / arena side | net displacement / arena side |',
        '|---|---|---|',
    ]
    lines += [f"| {seed + k} | {row['path']:.3f} | {row['displacement']:.3f} |" for k, row in enumerate(rows)]
    lines.append(f"| mean | {np.mean([r['path'] for r in rows]):.3f} | "
                 f"{np.mean([r['displacement'] for r in rows]):.3f} |")
    return lines


def main(argv=None) -> None:
    print_checkpoint_table(movement_table, __doc__, 'the config of the checkpoint', argv)


if __name__ == '__main__':
    main()
