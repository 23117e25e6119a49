"""
Overview:
    Middleware of the task pipeline that DI-engine does not ship: budgets that stop the run at the budget, a
    progress display, a per-evaluation record of return, task metrics and communication statistics, and atomic
    checkpoints for resuming.
"""
import csv
import os
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch
from ding.framework import task
from ding.utils import DistributedWriter, allreduce
from easydict import EasyDict
from tqdm import tqdm

from .checkpoint import LATEST, atomic_path, save_checkpoint


def collection_limiter(collect_cfg: EasyDict, max_env_step: int) -> Callable:
    """
    Overview:
        Shrink the collection that reaches the env-step budget to what is left of it, so that the run stops at the
        budget instead of one collection past it. Place it right before the collector, which reads
        ``collect_cfg.n_sample`` at every call: give the collector a config of its own, since this one changes.
        Each collector step steps every env, so the last collection can pass the budget by less than the number
        of collector envs.
    """
    n_sample = collect_cfg.n_sample

    def _limit(ctx) -> None:
        collect_cfg.n_sample = min(n_sample, max_env_step - ctx.env_step)

    return _limit


def budget_checker(max_env_step: Optional[int], max_train_iter: Optional[int]) -> Callable:
    """
    Overview:
        Finish the task once ``max_env_step`` env steps or ``max_train_iter`` train iterations are reached (DI-engine's
        ``termination_checker`` waits until they are exceeded, one more collection), and say so when the last step
        passed a budget: every collector step steps all envs, and learning runs in phases of several iterations.
    """
    why = {'env_step': 'every collector step steps all collector envs',
           'train_iter': 'learning runs in phases of several iterations after each collection'}

    def _check(ctx) -> None:
        for name, budget in (('env_step', max_env_step), ('train_iter', max_train_iter)):
            value = getattr(ctx, name)
            if budget is not None and value >= budget:
                task.finish = True
                if value > budget:
                    print(f'stopped at {name} {value}, {value - budget} past the budget {budget}: {why[name]}',
                          flush=True)

    return _check


def finish_together() -> Callable:
    """
    Overview:
        In a data-parallel run, finish every rank's task in the iteration where any rank's finishes (rank 0 alone
        evaluates, so only it sees the stop value): the ranks must run the same learn steps, whose gradients they
        average. Place it after every middleware that may finish the task and before those that act on the finish.
    """
    device = f'cuda:{torch.cuda.current_device()}' if torch.distributed.get_backend() == 'nccl' else 'cpu'

    def _finish(ctx) -> None:
        finished = torch.tensor([float(task.finish)], device=device)
        allreduce(finished)  # the share of ranks that finished
        task.finish = finished.item() > 0

    return _finish


def progress_display(total: int, counter: str = 'env_step', start: int = 0) -> Callable:
    """
    Overview:
        A terminal progress bar over the budget (env steps, or train iterations when ``counter='train_iter'``)
        with its rate, ETA and the last evaluation return; it ends at 100% when the run reaches its budget.
    """
    bar = tqdm(total=total, initial=min(start, total), unit=counter.split('_')[-1], dynamic_ncols=True,
               desc=counter.replace('_', ' '))

    def _progress(ctx) -> None:
        bar.update(min(getattr(ctx, counter), total) - bar.n)
        if not np.isinf(ctx.eval_value):
            other = 'train_iter' if counter == 'env_step' else 'env_step'
            bar.set_postfix({'eval_return': f'{ctx.eval_value:.2f}', other: getattr(ctx, other)}, refresh=False)
        if task.finish:
            bar.close()

    return _progress


class EvalRecorder:
    """
    Overview:
        After every evaluation, appends a row (env step, train iter, wall seconds, eval return, task metrics,
        communication statistics, the distribution of dQ in the queue D) to ``<exp_name>/eval_log.csv``, and logs
        the communication statistics of the evaluation and of the collections since the last call, and the dQ
        distribution, to tensorboard. Place it right after
        ``interaction_evaluator``. A resumed run keeps the rows before its checkpoint's env step and drops the
        rest: the stopped run recorded them after its last checkpoint, and the resumed run evaluates again from
        there (first at the checkpoint's env step itself).
    Interfaces:
        ``__init__``, ``__call__``, ``elapsed``, ``rows``, ``dropped``
    """

    def __init__(self, exp_name: str, policy, wall_offset: float = 0.0, resume_env_step: Optional[int] = None) -> None:
        """
        Arguments:
            - exp_name (:obj:`str`): the run's folder.
            - policy: the policy whose communication statistics are logged (if it has any).
            - wall_offset (:obj:`float`): wall seconds of the run before a resume.
            - resume_env_step (:obj:`Optional[int]`): env step of the checkpoint a resumed run starts from.
        """
        self.path = os.path.join(exp_name, 'eval_log.csv')
        self._policy = policy
        self._start = time.time() - wall_offset
        self._last_output = None
        self._writer = DistributedWriter.get_instance()
        self.rows: List[Dict[str, float]] = read_eval_log(self.path)
        #: rows of the stopped run after the checkpoint, dropped from the log on resume
        self.dropped = 0
        if resume_env_step is not None:
            kept = [row for row in self.rows if row['env_step'] < resume_env_step]
            self.dropped = len(self.rows) - len(kept)
            self.rows = kept
            write_eval_log(self.path, self.rows)

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
        if hasattr(self._policy, 'dq_queue_summary'):
            dq = self._policy.dq_queue_summary()
            row.update(dq)
            for key, value in dq.items():
                self._writer.add_scalar(f'dq_queue/{key}', value, ctx.env_step)
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


def checkpointer(
        policy, exp_name: str, save_every_s: float, recorder: EvalRecorder, identity: Dict[str, Any]
) -> Callable:
    """
    Overview:
        Save the learn-mode state, the run's counters and ``identity`` (seed, policy type, config: see
        ``checkpoint.run_identity``) atomically to ``<exp_name>/ckpt/ckpt_latest.pth.tar`` when ``save_every_s``
        wall seconds have passed since the last save (0: after every collect-and-learn round) and when the task
        finishes. A crash loses at most ``save_every_s`` seconds of training; ``--resume`` continues from there.
    """
    path = os.path.join(exp_name, 'ckpt', LATEST)
    last_saved = {'time': time.monotonic()}

    def _save(ctx) -> None:
        if task.finish or time.monotonic() - last_saved['time'] >= save_every_s:
            save_checkpoint(
                path, {
                    'policy': policy.learn_mode.state_dict(),
                    'env_step': ctx.env_step,
                    'train_iter': ctx.train_iter,
                    'wall_s': recorder.elapsed(),
                    **identity,
                }
            )
            last_saved['time'] = time.monotonic()

    return _save
