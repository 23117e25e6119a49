"""
Overview:
    Communication under real conditions: eval return of ding_atoc on cooperative navigation as the message delay
    grows (0, 1, 2, 4 steps, no loss) and as the loss grows (drop_prob 0, 0.2, 0.5, no delay), plus delay 1 with
    drop 0.2, for both channel types, against the no-communication ablation. The cells are ``bench/compare.py``
    cells (same folders, resumable, one torch thread each, failures recorded), so the sweep can share an output
    folder with a ``compare.py`` run: the default condition is its ``ding_atoc`` cell and the ablation its
    ``ding_atoc_nocomm`` cell. Writes ``channel_table.md`` (mean +- std over seeds of the final evaluation per
    condition and channel) and ``channel_sweep.png`` (return against delay and against drop, a std bar over seeds,
    the ablation as a band).

Usage:
    python bench/channel_sweep.py --n-agent 10 --seeds 0 1 2 --env-step 20000 --workers 2 --out bench/results/cn10
    python bench/channel_sweep.py --n-agent 10 --report-only --out bench/results/cn10
"""
import argparse
import os
import sys
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench import compare  # noqa: E402

ENV = 'cooperative_navigation'
CHANNELS = ('bilstm', 'attention')
DELAYS = (0, 1, 2, 4)
DROPS = (0.0, 0.2, 0.5)
#: The condition issue 6's goal is stated at: ding_atoc must still beat its no-communication ablation there.
GOAL_CONDITION = (1, 0.2)
#: Cell name of the ablation every condition is compared with.
NO_COMMUNICATION = 'ding_atoc_nocomm'


def conditions() -> List[Tuple[int, float]]:
    """(delay, drop_prob) pairs: the delay sweep without loss, the loss sweep without delay, and the goal pair."""
    pairs = [(delay, 0.0) for delay in DELAYS] + [(0, drop) for drop in DROPS if drop] + [GOAL_CONDITION]
    return list(dict.fromkeys(pairs))


def label(channel: str, delay: int, drop: float) -> str:
    """Cell name of a condition; the default (bilstm, no delay, no loss) is the plain ``ding_atoc`` cell."""
    if (channel, delay, drop) == (CHANNELS[0], 0, 0.0):
        return 'ding_atoc'
    return f'{channel}_d{delay}_p{drop:g}'


def settings(channel: str, delay: int, drop: float) -> Dict[str, str]:
    """``compare.run_cell`` config overrides of a condition."""
    return {'policy.model.channel': repr(channel), 'policy.channel_conditions.delay': str(delay),
            'policy.channel_conditions.drop_prob': str(drop)}


def cells(n_agent: int, seeds: List[int], env_step: int, out: str) -> List[Tuple]:
    """``compare.run_cell`` argument tuples of the whole sweep, the ablation included."""
    todo = [(ENV, NO_COMMUNICATION, n_agent, seed, env_step, compare.cell_dir(out, ENV, n_agent, NO_COMMUNICATION, seed),
             None, None) for seed in seeds]
    for channel in CHANNELS:
        for delay, drop in conditions():
            name = label(channel, delay, drop)
            todo += [(ENV, 'ding_atoc', n_agent, seed, env_step, compare.cell_dir(out, ENV, n_agent, name, seed),
                      settings(channel, delay, drop), name) for seed in seeds]
    return todo


def final_metric(results: List[Dict], name: str, metric: str) -> List[float]:
    """The final-evaluation ``metric`` of every finished seed of cell ``name``."""
    return [r['final'][metric] for r in results
            if r['policy'] == name and r['status'] == 'finished' and r['final'] and metric in r['final']]


def markdown_table(results: List[Dict]) -> str:
    """
    Overview:
        One row per (delay, drop) condition, for each channel the final eval return, occupied landmarks,
        collisions and evaluation initiator share (mean +- std over seeds, with the seed count), and whether the
        return beats the ablation's mean.
    """
    reference, _ = compare.mean_and_std(final_metric(results, NO_COMMUNICATION, 'eval_return'))
    header = ['delay', 'drop_prob']
    for channel in CHANNELS:
        header += [f'{channel} return', f'{channel} landmarks', f'{channel} collisions',
                   f'{channel} initiator share', f'{channel} > no comm']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for delay, drop in conditions():
        row = [str(delay), f'{drop:g}']
        for channel in CHANNELS:
            name = label(channel, delay, drop)
            returns = final_metric(results, name, 'eval_return')
            row.append(compare.format_mean_std(returns) + f' ({len(returns)})')
            row += [compare.format_mean_std(final_metric(results, name, m))
                    for m in ('occupied_landmarks', 'collisions', compare.INITIATOR_SHARE)]
            row.append('-' if not returns else ('yes' if compare.mean_and_std(returns)[0] > reference else 'no'))
        lines.append('| ' + ' | '.join(row) + ' |')
    ablation = final_metric(results, NO_COMMUNICATION, 'eval_return')
    lines.append(f'\nNo-communication ablation: {compare.format_mean_std(ablation)} ({len(ablation)} seeds).')
    return '\n'.join(lines)


def plot(results: List[Dict], path: str) -> None:
    """Two panels, return against delay (no loss) and against drop_prob (no delay); one line per channel."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    reference, spread = compare.mean_and_std(final_metric(results, NO_COMMUNICATION, 'eval_return'))
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    sweeps = ((axes[0], 'delay (steps), drop_prob 0', [(d, 0.0) for d in DELAYS], 0),
              (axes[1], 'drop_prob, no delay', [(0, p) for p in DROPS], 1))
    for axis, xlabel, pairs, varied in sweeps:
        for channel in CHANNELS:
            stats = [compare.mean_and_std(final_metric(results, label(channel, *pair), 'eval_return')) for pair in pairs]
            axis.errorbar([pair[varied] for pair in pairs], [s[0] for s in stats], yerr=[s[1] for s in stats],
                          marker='o', capsize=3, label=channel)
        axis.axhline(reference, color='grey', linestyle='--', label='no communication')
        axis.axhspan(reference - spread, reference + spread, color='grey', alpha=0.15)
        axis.set_xlabel(xlabel)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel('final eval return (mean, std over seeds)')
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def report(out: str, n_agent: int) -> str:
    results = [r for r in compare.read_results(out) if r['env'] == ENV and r['n_agent'] == n_agent]
    table = markdown_table(results)
    with open(os.path.join(out, 'channel_table.md'), 'w') as f:
        f.write(table + '\n')
    plot(results, os.path.join(out, 'channel_sweep.png'))
    return table


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('Usage:')[0].replace('Overview:', '').strip())
    parser.add_argument('--n-agent', type=int, default=10, help='team size of cooperative navigation')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--env-step', type=int, default=20000, help='env-step budget of every cell')
    parser.add_argument('--workers', type=int, default=os.cpu_count(), help='cells run in parallel')
    parser.add_argument('--out', default=os.path.join('bench', 'results', 'cn10'))
    parser.add_argument('--report-only', action='store_true', help='only rebuild the table and plot')
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out)
    if not args.report_only:
        compare.run_cells(cells(args.n_agent, args.seeds, args.env_step, out), args.workers)
    print(report(out, args.n_agent))
    return 0


if __name__ == '__main__':
    sys.exit(main())
