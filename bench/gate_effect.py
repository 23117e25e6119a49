"""
Overview:
    What the trained gate is worth to the task, layout by layout. It plays the same greedy episodes of one checkpoint
    (episode k on the evaluator's layout of seed + k) three times: with the attention unit as trained, with the gate
    closed (no agent initiates) and open (every agent initiates), as ``ding-atoc eval --gate`` does, and prints each
    task metric's mean per gate with the paired differences learned - closed and open - closed: their mean, 95%
    confidence interval and the paired t-test's p over the episodes. The layouts are the same under every gate, so a
    difference is what the messages change in the trained policy's play, not the luck of the layouts drawn.

Usage:
    python bench/gate_effect.py -c configs/cooperative_navigation/ding_atoc_paper_config.py \\
        --ckpt <run>/ckpt/ckpt_latest.pth.tar --episodes 128
"""
import math
import os
import sys
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy import stats

from ding_atoc.entry.evaluate import EpisodeResults, load_trained_policy, play_episodes

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script: the repo's root
from bench.checkpoint_cli import print_checkpoint_table  # noqa: E402

#: The gates played, and the differences reported: each gate against the closed one (the policy without messages).
GATES = ('learned', 'closed', 'open')
DIFFERENCES = (('learned', 'closed'), ('open', 'closed'))


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


def play_every_gate(input_cfg: Tuple[dict, dict], ckpt: str, episodes: int,
                    seed: int = 0) -> Dict[str, EpisodeResults]:
    """Per gate of ``GATES``: each episode's metrics and the shares over them (``play_episodes``), on the same
    layouts."""
    results = {}
    for gate in GATES:
        policy, env = load_trained_policy(input_cfg, ckpt, seed, gate)
        results[gate] = play_episodes(policy, env, episodes, seed)
    return results


def gate_effect_table(input_cfg: Tuple[dict, dict], ckpt: str, episodes: int, seed: int = 0) -> List[str]:
    """
    Overview:
        The markdown table of the module's overview for one checkpoint: a row per task metric (the return first),
        then the shares over all episodes (the initiator share: 0 closed, 1 open).
    Returns:
        - lines (:obj:`List[str]`): a title line, a blank line and the table.
    """
    results = play_every_gate(input_cfg, ckpt, episodes, seed)
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
    print_checkpoint_table(gate_effect_table, __doc__, 'the config the checkpoint was trained with (an ATOC policy)',
                           argv)


if __name__ == '__main__':
    main()
