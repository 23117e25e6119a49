"""
Overview:
    Which landmarks cooperative navigation's local rewards leave out, on the episodes of a trained policy. With
    ``local_reward_scope='observed'`` agent i is scored by its K_L nearest landmarks, so a landmark that is in no
    agent's K_L nearest scores nobody: no agent's reward asks for it to be covered. This plays greedy episodes of a
    checkpoint (on the evaluator's layouts, as ``ding-atoc eval``) and prints, at steps of the episode, the share of
    landmarks that score nobody, their share of the team's distance term (sum of d_l, d_l the distance from landmark l
    to its nearest agent), and the mean d_l of the landmarks that score someone and of those that do not.

Usage:
    python bench/reward_coverage.py -c configs/cooperative_navigation/ding_atoc_paper_config.py \\
        --ckpt <run>/ckpt/ckpt_latest.pth.tar --episodes 8
"""
import os
import sys
from typing import Dict, List, Tuple

import numpy as np

from ding_atoc.entry.evaluate import load_trained_policy, play_episodes
from dizoo_envs.geometry import k_nearest, pairwise_offsets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script: the repo's root
from bench.checkpoint_cli import print_checkpoint_table  # noqa: E402


def coverage(agents: np.ndarray, landmarks: np.ndarray, k_landmark: int) -> Dict[str, float]:
    """
    Overview:
        The landmarks that no agent's K_L nearest include, in one state.
    Arguments:
        - agents (:obj:`np.ndarray`): (A, 2) agent positions.
        - landmarks (:obj:`np.ndarray`): (L, 2) landmark positions.
        - k_landmark (:obj:`int`): K_L.
    Returns:
        - stats (:obj:`Dict[str, float]`): ``unscored_share`` (of the landmarks), ``unscored_distance_share`` (of
          sum_l d_l), ``scored_d`` and ``unscored_d`` (mean d_l of each set; nan when empty).
    """
    _, _, dist = pairwise_offsets(agents, landmarks)
    nearest = dist.min(axis=0)
    scored = np.zeros(len(landmarks), dtype=bool)
    scored[k_nearest(dist, k_landmark).reshape(-1)] = True  # the landmarks the env's 'observed' reward scores
    return dict(
        unscored_share=float(1 - scored.mean()),
        unscored_distance_share=float(nearest[~scored].sum() / nearest.sum()),
        scored_d=float(nearest[scored].mean()) if scored.any() else float('nan'),
        unscored_d=float(nearest[~scored].mean()) if (~scored).any() else float('nan'),
    )


def play(policy, env, episodes: int, seed: int) -> List[List[Dict[str, float]]]:
    """The ``coverage`` of every state (reset included) of ``episodes`` greedy episodes, episode k on seed + k."""
    runs: List[List[Dict[str, float]]] = [[] for _ in range(episodes)]

    def observe(episode: int, env, obs, output) -> None:
        state = env.render_state()
        runs[episode].append(coverage(state['agents'], state['landmarks'], env.k_landmark))

    play_episodes(policy, env, episodes, seed, observer=observe)
    return runs


def _mean_of_defined(values: List[float]) -> float:
    """The mean of the values that are not nan (a state without unscored landmarks has no mean d_l for them)."""
    defined = [value for value in values if not np.isnan(value)]
    return float(np.mean(defined)) if defined else float('nan')


def coverage_table(input_cfg: Tuple[dict, dict], ckpt: str, episodes: int, seed: int = 0) -> List[str]:
    """
    Overview:
        Play ``episodes`` greedy episodes of the checkpoint and return the markdown table of the module doc: the mean
        ``coverage`` over episodes at the start, quarters and end of an episode.
    """
    main_config, create_config = input_cfg
    if create_config.env.type != 'cooperative_navigation':
        raise ValueError(f'a cooperative_navigation config is needed, got env {create_config.env.type!r}')
    policy, env = load_trained_policy(input_cfg, ckpt, seed)
    runs = play(policy, env, episodes, seed)  # closes the env
    length = len(runs[0]) - 1
    lines = [
        f'{ckpt}: {episodes} episodes, K_L = {env.k_landmark}, L = {env.n_landmark}',
        '| step | landmarks scoring no agent | their share of sum d_l | mean d_l, scored | mean d_l, unscored |',
        '|---|---|---|---|---|',
    ]
    for step in sorted({0, length // 4, length // 2, 3 * length // 4, length}):
        rows = [run[step] for run in runs]
        mean = {key: _mean_of_defined([row[key] for row in rows]) for key in rows[0]}
        lines.append(f"| {step} | {mean['unscored_share']:.3f} | {mean['unscored_distance_share']:.3f} | "
                     f"{mean['scored_d']:.3f} | {mean['unscored_d']:.3f} |")
    return lines


def main(argv=None) -> None:
    print_checkpoint_table(coverage_table, __doc__, 'the cooperative navigation config of the checkpoint', argv)


if __name__ == '__main__':
    main()
