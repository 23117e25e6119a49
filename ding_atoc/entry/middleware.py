"""
Overview:
    Middleware of the task pipeline that DI-engine does not ship: a progress display, a per-evaluation record of
    return, task metrics and communication statistics, and atomic checkpoints for resuming.
"""
import csv
import os
import time
from typing import Callable, Dict, List, Optional

import numpy as np
from ding.framework import task
from ding.utils import DistributedWriter
from tqdm import tqdm

from .checkpoint import LATEST, atomic_path, save_checkpoint


def progress_display(max_env_step: Optional[int], start_env_step: int = 0) -> Callable:
    """
    Overview:
        A terminal progress bar over env steps with steps/s, ETA and the last evaluation return.
    """
    bar = tqdm(total=max_env_step, initial=start_env_step, unit='step', dynamic_ncols=True, desc='env steps')

    def _progress(ctx) -> None:
        bar.update(ctx.env_step - bar.n)
        if not np.isinf(ctx.eval_value):
            bar.set_postfix(eval_return=f'{ctx.eval_value:.2f}', train_iter=ctx.train_iter, refresh=False)
        if task.finish:
            bar.close()

    return _progress


class EvalRecorder:
    """
    Overview:
        After every evaluation, appends a row (env step, train iter, wall seconds, eval return, task metrics,
        communication statistics) to ``<exp_name>/eval_log.csv``, and logs the communication statistics of the
        evaluation and of the collections since the last call to tensorboard. Place it right after
        ``interaction_evaluator``.
    Interfaces:
        ``__init__``, ``__call__``, ``rows``
    """

    def __init__(self, exp_name: str, policy, wall_offset: float = 0.0) -> None:
        self.path = os.path.join(exp_name, 'eval_log.csv')
        self._policy = policy
        self._start = time.time() - wall_offset
        self._last_output = None
        self._writer = DistributedWriter.get_instance()
        self.rows: List[Dict[str, float]] = read_eval_log(self.path)

    def elapsed(self) -> float:
        """Wall seconds of the run, those before a resume included."""
        return round(time.time() - self._start, 2)

    def __call__(self, ctx) -> None:
        # ``eval_value`` is reset to -inf every iteration and set only by an evaluation in this iteration.
        output = getattr(ctx, 'eval_output', None)
        if np.isinf(ctx.eval_value) or output is None or output is self._last_output:
            return
        self._last_output = output
        info = output.get('episode_info', {}) or {}
        metrics = {key[:-len('_mean')]: float(value) for key, value in info.items() if key.endswith('_mean')}
        metrics.pop('eval_episode_return', None)
        row = {
            'env_step': ctx.env_step,
            'train_iter': ctx.train_iter,
            'wall_s': self.elapsed(),
            'eval_return': float(ctx.eval_value),
            **metrics,
        }
        if hasattr(self._policy, 'pop_communication_stats'):
            communication = {mode: self._policy.pop_communication_stats(mode) for mode in ('eval', 'collect')}
            row.update({f'eval_{key}': value for key, value in communication['eval'].items()})
            for mode, stats in communication.items():
                for key, value in stats.items():
                    self._writer.add_scalar(f'communication/{mode}_{key}', value, ctx.env_step)
        for key, value in metrics.items():
            self._writer.add_scalar(f'task/{key}', value, ctx.env_step)
        self.rows.append(row)
        write_eval_log(self.path, self.rows)


def final_evaluation(evaluate: Callable, recorder: EvalRecorder) -> Callable:
    """
    Overview:
        When the task finishes, evaluate the final policy unless the last evaluation already saw it, so that the
        summary reports the policy the run ends with. Place it right after ``termination_checker``.
    """

    def _final(ctx) -> None:
        if task.finish and ctx.last_eval_iter != ctx.train_iter:
            ctx.last_eval_iter = -1  # makes ``interaction_evaluator`` evaluate now
            evaluate(ctx)
            recorder(ctx)

    return _final


def read_eval_log(path: str) -> List[Dict[str, float]]:
    """The rows of an eval log written by ``EvalRecorder`` (empty if there is none yet)."""
    if not os.path.isfile(path):
        return []
    with open(path, newline='') as f:
        return [{key: float(value) for key, value in row.items() if value != ''} for row in csv.DictReader(f)]


def write_eval_log(path: str, rows: List[Dict[str, float]]) -> None:
    """Rewrite the eval log atomically (rows may gain columns over a run)."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with atomic_path(path) as temporary, open(temporary, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def checkpointer(policy, exp_name: str, save_every_iter: int, recorder: EvalRecorder) -> Callable:
    """
    Overview:
        Every ``save_every_iter`` train iterations and when the task finishes, save the learn-mode state and the
        run's counters atomically to ``<exp_name>/ckpt/ckpt_latest.pth.tar`` (resume with ``--resume``).
    """
    path = os.path.join(exp_name, 'ckpt', LATEST)
    last_saved = {'iter': None}

    def _save(ctx) -> None:
        due = ctx.train_iter > 0 and ctx.train_iter % save_every_iter == 0 and ctx.train_iter != last_saved['iter']
        if due or task.finish:
            save_checkpoint(
                path, {
                    'policy': policy.learn_mode.state_dict(),
                    'env_step': ctx.env_step,
                    'train_iter': ctx.train_iter,
                    'wall_s': recorder.elapsed(),
                }
            )
            last_saved['iter'] = ctx.train_iter

    return _save
