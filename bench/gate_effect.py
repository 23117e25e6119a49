"""
Overview:
    What the trained gate is worth to the task, layout by layout. It plays the same greedy episodes of one checkpoint
    (episode k on the evaluator's layout of seed + k) three times: with the attention unit as trained, with the gate
    closed (no agent initiates) and open (every agent initiates), and a fourth time with a random gate: as many
    initiators as the learned gate opened, drawn at random (``--random-share`` sets another rate), as
    ``ding-atoc eval --gate`` does. It prints each task metric's mean per gate with the paired differences
    learned - closed, open - closed and learned - random: their mean, 95% confidence interval and the paired
    t-test's p over the episodes. The layouts are the same under every gate, so a difference is what the messages
    change in the trained policy's play, not the luck of the layouts drawn; learned - random is what the attention
    unit's choice of initiators is worth beyond their number.

Usage:
    python bench/gate_effect.py -c configs/cooperative_navigation/ding_atoc_paper_config.py \\
        --ckpt <run>/ckpt/ckpt_latest.pth.tar --episodes 128
"""
import math
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import stats

from ding_atoc.entry.evaluate import EpisodeResults, load_trained_policy, play_episodes
from ding_atoc.model.gate import check_share

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script: the repo's root
from bench.checkpoint_cli import checkpoint_config, checkpoint_parser  # noqa: E402

#: The gates played (``RANDOM``: initiators drawn at random), and the differences reported: the learned and the open
#: gate against the closed one (the policy without messages), the learned gate against the random one.
RANDOM = 'random'
GATES = ('learned', 'closed', 'open', RANDOM)
DIFFERENCES = (('learned', 'closed'), ('open', 'closed'), ('learned', RANDOM))


def paired_difference(first: Sequence[float], second: Sequence[float]) -> Dict[str, float]:
    """
    Overview:
        The mean of ``first[k] - second[k]`` over paired episodes, the half width of its 95% confidence interval
        (Student's t) and the paired t-test's p; p is NaN where the differences do not spread (equal everywhere), the
        half width 0 there.
    """
    differences = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    n = len(differences)
    if n < 2:
        raise ValueError(f'paired_difference needs two episodes or more, got {n}')
    mean = float(differences.mean())
    if np.ptp(differences) == 0:
        return dict(mean=mean, half_width=0.0, p=math.nan)
    standard_error = float(differences.std(ddof=1)) / math.sqrt(n)
    return dict(mean=mean, half_width=float(stats.t.ppf(0.975, n - 1)) * standard_error,
                p=float(stats.ttest_rel(first, second).pvalue))


def play_every_gate(input_cfg: Tuple[dict, dict], ckpt: str, episodes: int, seed: int = 0,
                    random_share: Optional[float] = None) -> Dict[str, EpisodeResults]:
    """Per gate of ``GATES``: each episode's metrics and the shares over them (``play_episodes``), on the same
    layouts; the random gate at ``random_share`` (None: the learned gate's initiator share)."""
    if random_share is not None:
        check_share(random_share)  # before the other gates are played
    results = {}
    for gate in GATES:
        share = None
        if gate == RANDOM:
            share = results['learned'].shares['eval_initiator_share'] if random_share is None else random_share
        policy, env = load_trained_policy(input_cfg, ckpt, seed, gate, share)
        results[gate] = play_episodes(policy, env, episodes, seed)
    return results


def gate_effect_table(input_cfg: Tuple[dict, dict], ckpt: str, episodes: int, seed: int = 0,
                      random_share: Optional[float] = None) -> List[str]:
    """
    Overview:
        The markdown table of the module's overview for one checkpoint: a row per task metric (the return first),
        then the shares over all episodes (the initiator share: 0 closed, 1 open).
    Returns:
        - lines (:obj:`List[str]`): a title line, a blank line and the table.
    """
    results = play_every_gate(input_cfg, ckpt, episodes, seed, random_share)
    metrics = list(results['learned'].per_episode[0])
    header = '| metric | ' + ' | '.join(GATES) + ' | ' + ' | '.join(
        f'{gate} - {baseline} (95% CI; paired p)' for gate, baseline in DIFFERENCES) + ' |'
    lines = [f'{ckpt}: {episodes} episodes on the same layouts (seeds {seed} to {seed + episodes - 1}) per gate', '',
             header, '|' + '---|' * (1 + len(GATES) + len(DIFFERENCES))]
    for metric in metrics:
        values = {gate: [episode[metric] for episode in results[gate].per_episode] for gate in GATES}
        cells = [f'{np.mean(values[gate]):.4g}' for gate in GATES]
        for gate, baseline in DIFFERENCES:
            d = paired_difference(values[gate], values[baseline])
            cells.append(f"{d['mean']:+.4g} ± {d['half_width']:.3g}; p = {d['p']:.3g}")
        lines.append(f'| {metric} | ' + ' | '.join(cells) + ' |')
    for share in results['learned'].shares:
        lines.append(f'| {share} | ' + ' | '.join(f'{results[gate].shares[share]:.4g}' for gate in GATES)
                     + ' |' + ' |' * len(DIFFERENCES))
    return lines


def main(argv=None) -> None:
    parser = checkpoint_parser(__doc__, 'the config the checkpoint was trained with (an ATOC policy)')
    parser.add_argument('--random-share', type=float, default=None,
                        help="the random gate's initiator rate (default: the learned gate's initiator share)")
    args = parser.parse_args(argv)
    print('\n'.join(gate_effect_table(checkpoint_config(args), args.ckpt, args.episodes, args.seed, args.random_share)))


if __name__ == '__main__':
    main()
