"""
Overview:
    What a person sees at the end of a run: the learning curve (eval return and the task's metric against env
    steps) as a PNG, and a summary of the last evaluation.
"""
from typing import Any, Dict, List, Optional

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the headless backend)

#: Columns of the eval log that are bookkeeping, not task metrics.
_BOOKKEEPING = ('env_step', 'train_iter', 'wall_s', 'eval_return')
#: Prefix of the eval log's columns on the distribution of dQ in ding_atoc's queue D (``dq_median``, ...).
DQ_PREFIX = 'dq_'
#: Prefixes of the eval log's communication statistics (``eval_``) and dQ queue distribution.
_NOT_TASK_PREFIXES = ('eval_', DQ_PREFIX)


def task_metrics(row: Dict[str, float]) -> List[str]:
    """Names of the task's own metrics in an eval-log row (communication statistics and dQ excluded)."""
    return [key for key in row if key not in _BOOKKEEPING and not key.startswith(_NOT_TASK_PREFIXES)]


def plot_learning_curve(rows: List[Dict[str, float]], path: str, title: str = '') -> Optional[str]:
    """
    Overview:
        Eval return and the first task metric against env steps, one panel each. Returns the path, or None when
        there is no evaluation to plot.
    """
    if not rows:
        return None
    metrics = task_metrics(rows[-1])
    panels = ['eval_return'] + metrics[:1]
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    steps = [row['env_step'] for row in rows]
    for axis, key in zip(axes[0], panels):
        axis.plot(steps, [row.get(key, float('nan')) for row in rows], marker='o', markersize=3)
        axis.set_xlabel('env steps')
        axis.set_ylabel(key.replace('_', ' '))
        axis.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def summarize(rows: List[Dict[str, float]], **extra: Any) -> Dict[str, Any]:
    """
    Overview:
        The last evaluation's return, task metrics and communication statistics, env steps per second over the
        run, and ``extra`` (paths).
    """
    if not rows:
        return {'evaluations': 0, **extra}
    last = dict(rows[-1])
    last['env_steps_per_s'] = round(last['env_step'] / last['wall_s'], 1) if last['wall_s'] > 0 else None
    return {'evaluations': len(rows), **last, **extra}


def format_summary(summary: Dict[str, Any]) -> str:
    """A few aligned lines for the terminal."""
    width = max(len(key) for key in summary)
    lines = []
    for key, value in summary.items():
        text = f'{value:.4g}' if isinstance(value, float) else str(value)
        lines.append(f'  {key:<{width}}  {text}')
    return '\n'.join(['run summary:'] + lines)
