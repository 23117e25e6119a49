"""
Overview:
    How the distribution of dQ in ding_atoc's queue D changes over training: dQ = Q(with communication) -
    Q(without) of the groups formed, the value of communicating to the critic and what the attention unit learns
    from. ``ding-atoc train`` logs the queue's mean, std, share above 0 and 10%, 50%, 90% quantiles at every
    evaluation (the ``dq_*`` columns of ``eval_log.csv``, kept in a ``bench/compare.py`` cell's ``curve.csv``). This
    script reads those logs, one per seed, and prints per window of env steps the mean over the runs of the
    quantiles, the share above 0 and the evaluation initiator share; ``--plot`` draws them against env steps.

Usage:
    python bench/dq_over_training.py \\
        bench/results/dq_over_training/hidden_target_navigation_default/ding_atoc/seed*/curve.csv \\
        --window 5000 --plot docs/dq_over_training_htn6.png
"""
import argparse
import math
import os
import sys
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script: the repo's root
from bench.window_stats import window_means  # noqa: E402
from ding_atoc.entry.middleware import read_eval_log  # noqa: E402

#: Columns of the table, in order: the queue's quantiles and share above 0, and how many agents initiated.
COLUMNS = ('dq_q10', 'dq_median', 'dq_q90', 'dq_positive_share', 'eval_initiator_share')


def read_runs(paths: List[str]) -> List[List[Dict[str, float]]]:
    """The eval logs (or compare curves) at ``paths``; refused when one has no ``dq_*`` column at all."""
    runs = []
    for path in paths:
        rows = read_eval_log(path)
        if not any('dq_median' in row for row in rows):
            raise ValueError(f"{path}: no dq_median column: not a ding_atoc run of a version that logs its dQ queue, "
                             "or its gate never formed a group (the ablations keep no dQ)")
        runs.append(rows)
    return runs


def dq_table(runs: List[List[Dict[str, float]]], window: int) -> List[str]:
    """Markdown lines: per window of env steps, the mean over the runs of each of ``COLUMNS``."""
    budget = int(max(row['env_step'] for rows in runs for row in rows))
    per_column = {column: np.array([window_means(rows, column, window, budget) for rows in runs])
                  for column in COLUMNS}
    header = ['env steps', 'dQ 10%', 'dQ median', 'dQ 90%', 'dQ > 0', 'initiator share']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for k in range(math.ceil(budget / window)):
        values = [np.nanmean(per_column[column][:, k]) if not np.isnan(per_column[column][:, k]).all() else math.nan
                  for column in COLUMNS]
        steps = f'{_steps(k * window)}-{_steps(min((k + 1) * window, budget))}'
        lines.append(f'| {steps} | ' + ' | '.join('-' if math.isnan(v) else f'{v:.3g}' for v in values) + ' |')
    return lines


def _steps(count: int) -> str:
    """``60k`` for whole thousands of env steps, else the count."""
    return f'{count // 1000}k' if count and count % 1000 == 0 else str(count)


def plot(runs: List[List[Dict[str, float]]], labels: List[str], path: str, title: str = '') -> None:
    """Two panels against env steps: each run's dQ median with its 10%-90% band; dQ > 0 and the initiator share."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, (quantiles, shares) = plt.subplots(1, 2, figsize=(11, 4))
    for index, (rows, label) in enumerate(zip(runs, labels)):
        color = plt.get_cmap('tab10')(index % 10)
        logged = [row for row in rows if 'dq_median' in row]
        steps = [row['env_step'] for row in logged]
        quantiles.plot(steps, [row['dq_median'] for row in logged], color=color, label=label)
        quantiles.fill_between(steps, [row['dq_q10'] for row in logged], [row['dq_q90'] for row in logged],
                               color=color, alpha=0.15)
        shares.plot(steps, [row['dq_positive_share'] for row in logged], color=color, label=f'{label}: dQ > 0')
        shares.plot([row['env_step'] for row in rows], [row.get('eval_initiator_share', math.nan) for row in rows],
                    color=color, linestyle=':', label=f'{label}: initiator share')
    quantiles.axhline(0.0, color='grey', linewidth=0.8)
    quantiles.set_ylabel('dQ in the queue D: median, 10%-90%')
    shares.set_ylabel('share')
    shares.set_ylim(-0.02, 1.02)
    for axis in (quantiles, shares):
        axis.set_xlabel('env steps')
        axis.grid(alpha=0.3)
    shares.legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('Usage:')[0].replace('Overview:', '').strip())
    parser.add_argument('logs', nargs='+', help="eval_log.csv of ding-atoc train runs or curve.csv of compare cells")
    parser.add_argument('--window', type=int, default=20000, help='env steps per table row')
    parser.add_argument('--plot', default=None, help='write the figure to this PNG')
    parser.add_argument('--title', default='', help='title of the figure')
    args = parser.parse_args(argv)
    if args.window < 1:
        raise SystemExit(f'--window must be >= 1 env step, got {args.window}')
    runs = read_runs(args.logs)
    print('\n'.join(dq_table(runs, args.window)))
    if args.plot:
        labels = [os.path.basename(os.path.dirname(os.path.abspath(p))) for p in args.logs]  # seed0, a run's folder
        plot(runs, labels, args.plot, args.title)
        print(f'\nfigure: {args.plot}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
