"""
Overview:
    Diagnostics of ATOC's gate (the attention unit): trains a config with ``ding-atoc train``'s pipeline and records,
    for every evaluation interval, what the attention unit is trained on and what it answers, in ``gate_log.csv``
    of the run folder (one row per evaluation, beside the run's ``eval_log.csv``):

    - ``collect_*``: decisions in collection: mean p, share of agent-steps that initiate, dQ pairs pushed to D and
      their dQ (mean, std, share above 0);
    - ``queue_*``: the raw dQ in the queue D at the end of the interval (size, mean, std, min, quantiles, max, share
      above 0, mean age in train iterations) and the targets the attention unit is trained on (mean, std, share
      above the threshold);
    - ``fit_*``: the attention unit on the whole queue: mean p, and the correlation of p with its target (does it
      tell pairs apart, or answer the targets' mean?);
    - ``eval_*``: p in evaluation, on the steps where initiators are decided: mean, std across the agents of a step
      (mean over steps), std across steps of the agents' mean p (situations), min, max, share of initiators; then
      the run's ``eval_initiator_share``.

    The recording wraps the model's ``compute_structure``, the queue's ``push`` and the policy's forwards and
    ``_train_attention_unit`` during the run only; training itself is unchanged (the run's eval log is the one
    ``ding-atoc train`` writes, bit for bit).

Usage:
    python bench/gate_diagnostics.py -c configs/cooperative_navigation/ding_atoc_config.py -s 0 --out gate
    python bench/gate_diagnostics.py --n-agent 3 --env-step 10000 --set policy.learn.dq_normalisation="'minmax'" \
        --out gate_minmax
"""
import argparse
import contextlib
import csv
import os
import sys
from collections import defaultdict
from typing import Dict, List, Optional

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class GateRecorder:
    """
    Overview:
        Collects the gate's statistics per evaluation from wrapped methods: row k holds evaluation k and the
        collections and train iterations since evaluation k - 1; ``rows`` turns them into one dict per evaluation.
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.policy = None
        self.mode = None  # 'collect' or 'eval': the policy method running now
        self.evaluations = 0
        self.pushed_at = None  # train iteration at which each queue slot was written
        self.stats: Dict[int, Dict[str, list]] = defaultdict(lambda: defaultdict(list))

    def enter(self, mode: str) -> None:
        """A policy forward of ``mode`` starts; the first evaluation step after other work opens a new row."""
        if mode == 'eval' and self.mode != 'eval':
            self.describe_queue(self.stats[self.evaluations])
            self.evaluations += 1
        self.mode = mode

    def row(self) -> Dict[str, list]:
        # Evaluation k (counted from 0) fills row k; the collections and learning after it fill row k + 1.
        return self.stats[self.evaluations - 1 if self.mode == 'eval' else self.evaluations]

    def structure(self, output: Dict[str, torch.Tensor]) -> None:
        prob = output['initiator_prob'].detach()
        record = self.row()
        record[f'{self.mode}_p'].append(prob.reshape(-1, prob.shape[-1]))
        record[f'{self.mode}_initiator'].append(output['initiator'].float().mean().item())

    def push(self, queue, gain: torch.Tensor) -> None:
        if self.pushed_at is None:
            self.pushed_at = torch.zeros(queue.capacity, dtype=torch.long)
        slots = (queue._next + torch.arange(len(gain[-queue.capacity:]))) % queue.capacity
        self.pushed_at[slots] = self.policy._learn_steps
        self.row()['pushed'].append(gain.detach().float().cpu())

    def learn(self, loss: float) -> None:
        self.mode = 'learn'
        self.row()['attention_loss'].append(loss)

    def describe_queue(self, record: Dict[str, list]) -> None:
        """The queue D and the attention unit's fit to it, at the end of an interval."""
        queue = None if self.policy is None else self.policy._gain_queue
        if queue is None or len(queue) == 0:
            return
        size = len(queue)
        gain = queue._gain[:size].float()
        target = queue.targets(gain) if hasattr(queue, 'targets') else _minmax(gain)
        with torch.no_grad():
            model = self.policy._model
            prob = model.compute_initiator_prob(model.actor['encoder'](queue._obs[:size])).float()
        quantile = torch.quantile(gain, torch.tensor([0.01, 0.5, 0.99]))
        record['queue'] = [{
            'queue_size': size,
            'queue_dq_mean': gain.mean().item(),
            'queue_dq_std': gain.std().item() if size > 1 else 0.0,
            'queue_dq_min': gain.min().item(),
            'queue_dq_q01': quantile[0].item(),
            'queue_dq_q50': quantile[1].item(),
            'queue_dq_q99': quantile[2].item(),
            'queue_dq_max': gain.max().item(),
            'queue_dq_above_0': (gain > 0).float().mean().item(),
            'queue_age_iters': (self.policy._learn_steps - self.pushed_at[:size].float()).mean().item(),
            'queue_target_mean': target.mean().item(),
            'queue_target_std': target.std().item() if size > 1 else 0.0,
            'queue_target_above_threshold': (target > self.threshold).float().mean().item(),
            'fit_p_mean': prob.mean().item(),
            'fit_p_std': prob.std().item() if size > 1 else 0.0,
            'fit_corr_p_target': _correlation(prob, target),
        }]

    def rows(self) -> List[Dict[str, float]]:
        rows = []
        for evaluation in sorted(self.stats):
            record = self.stats[evaluation]
            row = {'evaluation': evaluation}
            for mode in ('collect', 'eval'):
                if record[f'{mode}_p']:
                    prob = torch.cat(record[f'{mode}_p'])  # (steps, A)
                    row[f'{mode}_p_mean'] = prob.mean().item()
                    row[f'{mode}_p_std_agents'] = prob.std(dim=1).mean().item()
                    row[f'{mode}_p_std_steps'] = prob.mean(dim=1).std().item() if len(prob) > 1 else 0.0
                    row[f'{mode}_p_min'] = prob.min().item()
                    row[f'{mode}_p_max'] = prob.max().item()
                    row[f'{mode}_initiating'] = sum(record[f'{mode}_initiator']) / len(record[f'{mode}_initiator'])
            pushed = torch.cat(record['pushed']) if record['pushed'] else torch.zeros(0)
            row['collect_dq_pairs'] = len(pushed)
            if len(pushed) > 1:
                row['collect_dq_mean'], row['collect_dq_std'] = pushed.mean().item(), pushed.std().item()
                row['collect_dq_above_0'] = (pushed > 0).float().mean().item()
            if record['attention_loss']:
                row['attention_loss'] = sum(record['attention_loss']) / len(record['attention_loss'])
            row.update(record['queue'][0] if record['queue'] else {})
            rows.append(row)
        return rows


def _minmax(gain: torch.Tensor) -> torch.Tensor:
    span = gain.max() - gain.min()
    return (gain - gain.min()) / span if span > 0 else torch.full_like(gain, 0.5)


def _correlation(x: torch.Tensor, y: torch.Tensor) -> float:
    x, y = x - x.mean(), y - y.mean()
    denominator = (x.norm() * y.norm()).item()
    return (x @ y).item() / denominator if denominator > 0 else 0.0


@contextlib.contextmanager
def instrumented(recorder: GateRecorder):
    """Inside the block, the policy, model and queue methods the recorder reads report to it (restored after)."""
    from ding_atoc.model.atoc import DingATOC
    from ding_atoc.policy.atoc import DingATOCPolicy
    from ding_atoc.policy.gain_queue import CommunicationGainQueue
    originals = []

    def wrap(owner, name, before=None, after=None):
        original = getattr(owner, name)
        originals.append((owner, name, original))

        def wrapped(self, *args, **kwargs):
            if before is not None:
                before(self, *args)
            result = original(self, *args, **kwargs)
            if after is not None:
                after(self, result)
            return result

        setattr(owner, name, wrapped)

    wrap(DingATOCPolicy, '_init_learn', after=lambda policy, _: setattr(recorder, 'policy', policy))
    wrap(DingATOCPolicy, '_forward_collect', before=lambda *_: recorder.enter('collect'))
    wrap(DingATOCPolicy, '_forward_eval', before=lambda *_: recorder.enter('eval'))
    wrap(DingATOCPolicy, '_train_attention_unit', after=lambda _, loss: recorder.learn(loss))
    wrap(DingATOC, 'compute_structure', after=lambda _, output: recorder.structure(output))
    wrap(CommunicationGainQueue, 'push', before=lambda queue, obs, gain: recorder.push(queue, gain))
    try:
        yield recorder
    finally:
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)


def diagnose(main_config: dict, create_config: dict, seed: int, env_step: int) -> str:
    """
    Overview:
        Train with ``ding-atoc train``'s pipeline while recording the gate, and write ``gate_log.csv`` (one row per
        evaluation, with the run's eval return and initiator share) into the run folder. Returns the run folder.
    """
    from ding_atoc.entry.middleware import read_eval_log
    from ding_atoc.entry.train import train
    with instrumented(GateRecorder(main_config.policy.model.get('initiator_threshold', 0.5))) as recorder:
        folder = train((main_config, create_config), seed=seed, max_env_step=env_step, progress=False)['exp_name']
    evaluations = read_eval_log(os.path.join(folder, 'eval_log.csv'))
    rows = []
    for evaluation, row in zip(evaluations, recorder.rows()):  # row k: evaluation k
        rows.append({'env_step': evaluation['env_step'], 'train_iter': evaluation['train_iter'],
                     'eval_return': evaluation['eval_return'],
                     'eval_initiator_share': evaluation.get('eval_initiator_share', float('nan')), **row})
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(os.path.join(folder, 'gate_log.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('Usage:')[0].replace('Overview:', '').strip())
    parser.add_argument('-c', '--config', default=os.path.join(ROOT, 'configs', 'cooperative_navigation',
                                                               'ding_atoc_config.py'))
    parser.add_argument('-s', '--seed', type=int, default=0)
    parser.add_argument('--env-step', type=int, default=None, help="env-step budget (default: the config's)")
    parser.add_argument('--n-agent', type=int, default=None)
    parser.add_argument('--set', nargs='+', default=[], metavar='KEY=VALUE', help='config overrides')
    parser.add_argument('--out', required=True, help="experiment name: ding-atoc train's run folder for it gets "
                        'eval_log.csv and gate_log.csv')
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    sys.path.insert(0, ROOT)
    from bench.compare import apply_settings
    from ding_atoc.entry.config_loader import load_config
    from ding_atoc.entry.env_check import with_team_size

    main_config, create_config = load_config(args.config)
    if args.n_agent:
        main_config, create_config = with_team_size(main_config, create_config, args.n_agent)
    apply_settings(main_config, dict(item.split('=', 1) for item in args.set))
    main_config.exp_name = os.path.relpath(os.path.abspath(args.out))
    folder = diagnose(main_config, create_config, args.seed, args.env_step or main_config.max_env_step)
    print(f"gate log: {os.path.join(folder, 'gate_log.csv')}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
