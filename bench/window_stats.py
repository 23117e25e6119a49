"""
Overview:
    Windowed statistics of a ``bench/compare.py`` folder: for each policy, seed and window of env steps, the mean of a
    task metric over the evaluations in that window (``curve.csv``), and for every window Welch's t-test of the first
    policy against each other one over the seeds. One final evaluation is a few episodes; the mean of the evaluations
    of a window at the plateau is a steadier measure of where a run ends.

    The p-values are per window: a difference picked among several windows must be corrected for the choice (the
    table prints the number of windows; Bonferroni: multiply p by it).

Usage:
    python bench/window_stats.py --out bench/results/cn50_paper_task --n-agent 50 \\
        --policies ding_atoc_paper ding_atoc_paper_nocomm --window 60000 --metrics occupied_landmarks collisions \\
        [--plot windows.png]
"""
import argparse
import math
import os
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script: the repo's root
from bench.compare import read_results  # noqa: E402


def window_means(curve: List[Dict[str, float]], metric: str, window: int, budget: int, skip: int = 0) -> List[float]:
    """
    Overview:
        The mean of ``metric`` over the evaluations in each window ``(skip + k * window, skip + (k + 1) * window]``
        of env steps up to ``budget`` (the evaluation at step 0, before any training, belongs to none; so do the
        first ``skip`` env steps); NaN for a window without one.
    """
    means = []
    for start in range(skip, budget, window):
        values = [row[metric] for row in curve if start < row['env_step'] <= start + window and metric in row]
        means.append(float(np.mean(values)) if values else math.nan)
    return means


def welch(first: List[float], second: List[float]) -> Dict[str, float]:
    """Welch's t-test of two samples of seeds (NaN where either has fewer than two, or neither spreads at all)."""
    if len(first) < 2 or len(second) < 2 or np.ptp(first) + np.ptp(second) == 0:
        return dict(t=math.nan, p=math.nan)
    result = stats.ttest_ind(first, second, equal_var=False)
    return dict(t=float(result.statistic), p=float(result.pvalue))


def seed_window_means(out: str, policies: List[str], metric: str, window: int, n_agent: Optional[int] = None,
                      skip: int = 0) -> Tuple[Dict[str, List[int]], Dict[str, List[List[float]]], int]:
    """
    Overview:
        The finished cells of ``policies`` in a compare folder, and per policy and seed the mean of ``metric`` per
        window after the first ``skip`` env steps, up to the smallest budget among them (so that every window
        covers the same env steps for all).
    Returns:
        - seeds (:obj:`Dict[str, List[int]]`): each policy's seeds, in order.
        - means (:obj:`Dict[str, List[List[float]]]`): each policy's window means, one list per seed.
        - budget (:obj:`int`): the env steps the windows cover.
    """
    cells = [r for r in read_results(out) if r['policy'] in policies and r['status'] == 'finished'
             and (n_agent is None or r['n_agent'] == n_agent)]
    missing = [p for p in policies if not any(r['policy'] == p for r in cells)]
    if missing:
        raise ValueError(f"{out}: no finished cell of {missing} (n_agent={n_agent})")
    budget = min(r['budget'] for r in cells)
    if not 0 <= skip < budget:
        raise ValueError(f'--skip must be in [0, {budget}) env steps (the budget of the cells), got {skip}')
    runs = {p: sorted((r for r in cells if r['policy'] == p), key=lambda r: r['seed']) for p in policies}
    seeds = {p: [r['seed'] for r in runs[p]] for p in policies}
    means = {p: [window_means(r['curve'], metric, window, budget, skip) for r in runs[p]] for p in policies}
    return seeds, means, budget


def window_table(out: str, policies: List[str], metric: str, window: int, n_agent: Optional[int] = None,
                 skip: int = 0) -> List[str]:
    """
    Overview:
        Markdown lines: one row per window (after the first ``skip`` env steps) with each policy's per-seed window
        means, their mean ± sample std, and Welch's t and p of the first policy against each other one.
    """
    seeds, means, budget = seed_window_means(out, policies, metric, window, n_agent, skip)
    windows = math.ceil((budget - skip) / window)
    header = ['env steps'] + [f"{p} (seeds {', '.join(map(str, seeds[p]))})" for p in policies] + \
        [f'{policies[0]} vs {other}: t, p' for other in policies[1:]]
    lines = [f'{metric}, mean of the evaluations per window of {window} env steps ({windows} windows; budget '
             f'{budget}):', '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for k in range(windows):
        per_policy = {p: [seed_means[k] for seed_means in means[p] if not math.isnan(seed_means[k])] for p in policies}
        row = [f'{skip + k * window}-{min(skip + (k + 1) * window, budget)}']
        for p in policies:
            values = per_policy[p]
            spread = f' ± {np.std(values, ddof=1):.3g}' if len(values) > 1 else ''
            row.append(', '.join(f'{v:.3g}' for v in values) + f' (mean {np.mean(values):.3g}{spread})')
        for other in policies[1:]:
            test = welch(per_policy[policies[0]], per_policy[other])
            row.append(f"{test['t']:.2f}, {test['p']:.3f}")
        lines.append('| ' + ' | '.join(row) + ' |')
    return lines


def plot_windows(out: str, policies: List[str], metrics: List[str], window: int, path: str,
                 n_agent: Optional[int] = None, title: Optional[str] = None, skip: int = 0) -> None:
    """
    Overview:
        One panel per metric, one line per policy: the mean over seeds of each window's mean, drawn at the window's
        end, with the seeds' min-max band: the tables' numbers as curves, steadier than single evaluations.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4), squeeze=False)
    for axis, metric in zip(axes[0], metrics):
        seeds, means, budget = seed_window_means(out, policies, metric, window, n_agent, skip)
        ends = np.minimum(skip + np.arange(1, math.ceil((budget - skip) / window) + 1) * window, budget)
        for policy in policies:
            values = np.array(means[policy])
            axis.plot(ends, np.nanmean(values, axis=0), marker='o', label=f"{policy} ({len(seeds[policy])} seeds)")
            axis.fill_between(ends, np.nanmin(values, axis=0), np.nanmax(values, axis=0), alpha=0.2)
        axis.set_xlabel(f'env steps (end of each {window}-step window)')
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='a folder of bench/compare.py')
    parser.add_argument('--policies', nargs='+', required=True, help='the first is tested against each other one')
    parser.add_argument('--metrics', nargs='+', default=['eval_return'], help='columns of curve.csv')
    parser.add_argument('--window', type=int, default=60000, help='env steps per window')
    parser.add_argument('--n-agent', type=int, default=None, help='only cells of this team size')
    parser.add_argument('--skip', type=int, default=0,
                        help='env steps left out before the first window (e.g. the rise to the plateau; with --window '
                             'as large as the rest, one test per metric over the whole plateau)')
    parser.add_argument('--plot', default=None, metavar='PNG', help='also draw the window means, a panel per metric')
    parser.add_argument('--title', default=None, help="the plot's title")
    args = parser.parse_args(argv)
    if args.window < 1:
        raise SystemExit(f'--window must be at least 1 env step, got {args.window}')
    for metric in args.metrics:
        print('\n'.join(window_table(args.out, args.policies, metric, args.window, args.n_agent, args.skip)) + '\n')
    if args.plot:
        plot_windows(args.out, args.policies, args.metrics, args.window, args.plot, args.n_agent, args.title,
                     args.skip)
        print(f'wrote {args.plot}')


if __name__ == '__main__':
    main()
