"""
Overview:
    Benchmark suite: runs (env config, policy config, seed) cells under one env-step budget each, with DI-engine's
    own serial entries (``serial_pipeline``, ``serial_pipeline_onpolicy`` for MAPPO) or, with ``--entry task``,
    ``ding-atoc train``'s task pipeline (the batched path for the ding_atoc family), in parallel up to the cores
    available, and resumable: a finished cell is not run again (a failed one is). Per cell it writes
    ``curve.csv`` (env steps, wall seconds, eval return, task metrics, read from DI-engine's evaluator logs, and
    for communicating policies the evaluation initiator share, so that a gate that closed or opened for everyone
    shows); at the end ``table.md`` (mean +- std over seeds of the final evaluation, its initiator share included,
    env steps per second of training) and ``curves.png`` (one panel per env, one line per policy, mean with a band
    over seeds).

    Reliability: each cell runs in its own process with one torch thread and deterministic algorithms, so a rerun
    with the same seed reproduces its curve on the same machine; a cell that raises (e.g. ding_atoc's non-finite
    loss check) is recorded as failed, with the error, rather than dropped.

Usage:
    python bench/compare.py --env simple_spread --n-agent 5 --seeds 0 1 2 --env-step 50000 --out bench/results/ss5
    python bench/compare.py --env cooperative_navigation --n-agent 10 --policies ding_atoc ding_atoc_nocomm atoc \\
        --seeds 0 1 2 --env-step 100000 --workers 2 --out bench/results/cn10
    python bench/compare.py --env cooperative_navigation --n-agent 10 --policies ding_atoc --label ding_atoc_delay2 \
        --set policy.channel_conditions.delay=2 --out bench/results/cn10      # a variant beside the others
    python bench/compare.py --report bench/results/ss5 bench/results/cn10   # tables and curves of finished runs
"""
import argparse
import csv
import glob
import json
import math
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The policies compared by default (config file names without ``_config.py``); QMIX on discrete variants.
DEFAULT_POLICIES = ('ding_atoc', 'ding_atoc_nocomm', 'ding_atoc_commall', 'atoc', 'maddpg', 'masac', 'mappo', 'qmix')
#: Tensorboard tag prefix of DI-engine's serial evaluator, by env step.
EVAL_TAG = 'evaluator_step/'


def cell_dir(out: str, env: str, n_agent: Optional[int], policy: str, seed: int) -> str:
    size = f'n{n_agent}' if n_agent else 'default'
    return os.path.join(out, f'{env}_{size}', policy, f'seed{seed}')


def apply_settings(config: dict, settings: Dict[str, str]) -> None:
    """
    Overview:
        Set dotted keys of ``main_config`` from ``--set`` (``policy.channel_conditions.delay=2``); values are read
        as Python literals when they parse, else kept as strings. The first key must exist (``policy``, ``env``);
        below it, missing sections are created (a config file lists only what differs from the policy defaults).
    """
    import ast
    for dotted, text in settings.items():
        top, *parents, leaf = dotted.split('.')
        if top not in config:
            raise KeyError(f"--set {dotted}: the config has no {top!r}")
        node = config[top]
        for key in parents:
            node = node.setdefault(key, {})
        try:
            node[leaf] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            node[leaf] = text


def run_cell(env: str, policy: str, n_agent: Optional[int], seed: int, env_step: int, folder: str,
             settings: Optional[Dict[str, str]] = None, label: Optional[str] = None, entry: str = 'serial') -> Dict:
    """
    Overview:
        Train one cell in ``folder`` (in this process: call it in a worker process) and write ``curve.csv`` and
        ``result.json``. ``settings`` override config keys (``--set``); ``label`` names the cell's policy in the
        table (default: the config name); ``entry`` is ``'serial'`` (DI-engine's serial entries) or ``'task'``
        (``ding-atoc train``'s task pipeline: the batched path where the policy has one). Exceptions are recorded
        as a failed result. A cell another live process
        is running (two suites on one output folder) is left alone: the result says ``busy`` and nothing is written.
        A cell finished at a smaller budget is extended from its checkpoint (task entry only).
    """
    from ding_atoc.entry.run_folder import FolderInUse, claim, release
    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)
    try:
        claim(folder)
    except FolderInUse:
        return {'policy': label or policy, 'seed': seed, 'status': 'busy (another process runs it)', 'wall_s': 0.0}
    try:
        previous = finished_result(folder)
        if previous is not None and previous['budget'] >= env_step:  # another process finished it meanwhile
            return previous
        if previous is not None and entry != 'task':
            return {'policy': label or policy, 'seed': seed, 'wall_s': 0.0,
                    'status': f"failed: finished at {previous['budget']} env steps; only --entry task cells go on "
                              "from a checkpoint to a larger budget (use another --out)"}
        return _train_cell(env, policy, n_agent, seed, env_step, folder, settings, label, entry)
    finally:
        release(folder)


def _train_cell(env: str, policy: str, n_agent: Optional[int], seed: int, env_step: int, folder: str,
                settings: Optional[Dict[str, str]], label: Optional[str], entry: str) -> Dict:
    import torch
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    from ding_atoc.entry.checkpoint import atomic_path

    os.chdir(folder)
    start = time.time()
    train = _train_task if entry == 'task' else _train_serial
    try:
        rows = train(cell_config(env, policy, n_agent, settings or {}), seed, env_step, start)
        status, error = 'finished', None
    except Exception as exc:  # recorded, not dropped: the table shows the failure
        rows, status, error = [], 'failed', f'{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}'
    write_csv('curve.csv', rows)
    result = {'env': env, 'policy': label or policy, 'settings': settings or {}, 'n_agent': n_agent, 'seed': seed,
              'budget': env_step, 'entry': entry, 'status': status, 'error': error,
              # a resumed cell's curve counts the wall time of its earlier invocations too
              'wall_s': round(max([time.time() - start] + [float(row['wall_s']) for row in rows[-1:]]), 1),
              'final': rows[-1] if rows else None}
    # result.json marks the cell finished: written atomically, so a crash never leaves one the next run cannot read
    with atomic_path('result.json') as temporary, open(temporary, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def _train_serial(config: Tuple[dict, dict], seed: int, env_step: int, start: float) -> List[Dict[str, float]]:
    """A cell through DI-engine's serial entries; its curve from their logs, then a final evaluation."""
    from ding.entry import serial_pipeline, serial_pipeline_onpolicy
    main_config, create_config = config
    env_steps = count_env_steps()
    initiator_shares = record_initiator_shares()
    entry = serial_pipeline_onpolicy if is_on_policy(main_config, create_config) else serial_pipeline
    trained = entry((main_config, create_config), seed=seed, max_env_step=env_step)
    final = final_evaluation(trained, main_config, create_config, seed)
    rows = read_eval_curve('run', start)
    for row in rows:
        if row['env_step'] in initiator_shares:
            row[INITIATOR_SHARE] = initiator_shares[row['env_step']]
    return rows + [{'env_step': env_steps['last'], 'wall_s': round(time.time() - start, 2), **final}]


def _train_task(config: Tuple[dict, dict], seed: int, env_step: int, start: float) -> List[Dict[str, float]]:
    """
    Overview:
        A cell through ``ding-atoc train``'s task pipeline, which evaluates at the end too; its eval log is the
        curve. A cell stopped midway (a session's end, a crash) resumes from its run's latest checkpoint, so a long
        cell can span several invocations.
    """
    from ding_atoc.entry.middleware import read_eval_log
    from ding_atoc.entry.report import DQ_PREFIX, task_metrics
    from ding_atoc.entry.checkpoint import load_checkpoint
    from ding_atoc.entry.run_folder import folder_of_checkpoint
    from ding_atoc.entry.train import train
    resume = latest_checkpoint('.')
    if resume is not None and load_checkpoint(resume)['env_step'] >= env_step:
        run = folder_of_checkpoint(resume)  # trained to the budget, stopped before its result was written
    else:
        run = train(config, seed=seed, max_env_step=env_step, resume=resume, progress=False)['exp_name']
    rows = read_eval_log(os.path.join(run, 'eval_log.csv'))
    # The columns of the serial cells, plus the messages the evaluation sent (how much a policy talks) and the dQ
    # queue's distribution (ding_atoc's, from its first pairs on).
    dq = list(dict.fromkeys(key for row in rows for key in row if key.startswith(DQ_PREFIX)))
    keep = ['env_step', 'wall_s', 'eval_return', INITIATOR_SHARE, MESSAGES] + (task_metrics(rows[-1]) if rows else [])
    keep += dq
    return [{key: row[key] for key in keep if key in row} for row in rows]


def latest_checkpoint(folder: str) -> Optional[str]:
    """The newest ``ckpt_latest.pth.tar`` of the runs in a cell's folder (None: nothing to resume)."""
    paths = glob.glob(os.path.join(folder, '*', 'ckpt', 'ckpt_latest.pth.tar'))
    return max(paths, key=os.path.getmtime) if paths else None


def cell_config(env: str, policy: str, n_agent: Optional[int], settings: Dict[str, str]) -> Tuple[dict, dict]:
    """
    Overview:
        The config of a cell: ``configs/<env>/<policy>_config.py``, scaled to ``n_agent`` agents when given, with the
        ``settings`` overrides and the experiment folder ``run`` (relative to the cell's folder).
    """
    from ding_atoc.entry.config_loader import load_config
    from ding_atoc.entry.env_check import with_team_size
    main_config, create_config = load_config(os.path.join(ROOT, 'configs', env, f'{policy}_config.py'))
    if n_agent:
        main_config, create_config = with_team_size(main_config, create_config, n_agent)
    apply_settings(main_config, settings)
    main_config.exp_name = 'run'
    return main_config, create_config


def is_on_policy(main_config, create_config) -> bool:
    """Whether the config's policy is on-policy (MAPPO): the file's ``on_policy`` or the policy's default."""
    from ding.utils import POLICY_REGISTRY
    default = POLICY_REGISTRY.get(create_config.policy.type).default_config().get('on_policy', False)
    return main_config.policy.get('on_policy', default)


def final_evaluation(policy, main_config, create_config, seed: int) -> Dict[str, float]:
    """
    Overview:
        Evaluate the policy a run ends with (DI-engine's serial entries evaluate every ``eval_freq`` train
        iterations only) on the evaluator's layouts, as many episodes as its evaluator plays.
    """
    from ding.config import compile_config
    from ding.envs import get_vec_env_setting
    from ding_atoc.entry.evaluate import play_episodes
    cfg = compile_config(main_config, create_cfg=create_config, seed=seed, auto=True, save_cfg=False)
    env_fn, _, evaluator_cfgs = get_vec_env_setting(cfg.env, collect=False)
    return play_episodes(policy, env_fn(evaluator_cfgs[0]), cfg.env.n_evaluator_episode, seed).means()


#: Env steps DI-engine's serial collectors reported after their last collection in this process.
_ENV_STEPS = {'last': 0}


def count_env_steps() -> Dict[str, int]:
    """
    Overview:
        Start counting the env steps DI-engine's serial collectors report after each collection (their tensorboard
        logs come only every ``print_freq`` collections). The collectors are wrapped once per process; a worker
        process runs its cells one after another, so the count is reset for each cell.
    Returns:
        - counter (:obj:`Dict[str, int]`): ``counter['last']`` is the collectors' env-step count so far.
    """
    from ding.worker import EpisodeSerialCollector, SampleSerialCollector
    _ENV_STEPS['last'] = 0
    for collector in (SampleSerialCollector, EpisodeSerialCollector):
        if getattr(collector.collect, 'counts_env_steps', False):
            continue

        def counted(self, *args, _collect=collector.collect, **kwargs):
            data = _collect(self, *args, **kwargs)
            _ENV_STEPS['last'] = max(_ENV_STEPS['last'], self.envstep)
            return data

        counted.counts_env_steps = True
        collector.collect = counted
    return _ENV_STEPS


#: Column of the evaluation initiator share (share of agent-steps that initiated communication), as in the eval log
#: of ``ding-atoc train`` and the metrics of ``play_episodes``.
INITIATOR_SHARE = 'eval_initiator_share'
#: Messages sent in the evaluation episodes (``ding-atoc train``'s eval log; task-pipeline cells).
MESSAGES = 'eval_messages_sent'
#: Initiator share of each evaluation of DI-engine's serial evaluator in this process, by env step.
_INITIATOR_SHARES: Dict[int, float] = {}


def record_initiator_shares() -> Dict[int, float]:
    """
    Overview:
        Start recording, after each evaluation of DI-engine's serial evaluator, the evaluated policy's initiator share
        (its ``pop_communication_stats('eval')``, for policies that keep one, e.g. ding_atoc) by env step. The
        evaluator is wrapped once per process; the record is cleared for each cell.
    Returns:
        - shares (:obj:`Dict[int, float]`): initiator share by the env step of the evaluation.
    """
    import inspect
    from ding.worker import InteractionSerialEvaluator
    _INITIATOR_SHARES.clear()
    if getattr(InteractionSerialEvaluator.eval, 'records_initiator_share', False):
        return _INITIATOR_SHARES
    evaluate = InteractionSerialEvaluator.eval
    signature = inspect.signature(evaluate)

    def recorded(self, *args, **kwargs):
        # ``eval_mode`` holds the policy's bound methods: the policy is their ``__self__``.
        stats = getattr(getattr(self._policy.forward, '__self__', None), 'pop_communication_stats', None)
        if stats is not None:
            stats('eval')  # drop what the policy's earlier use left
        result = evaluate(self, *args, **kwargs)
        if stats is not None:
            envstep = signature.bind(self, *args, **kwargs).arguments.get('envstep', -1)
            _INITIATOR_SHARES[envstep] = stats('eval')['initiator_share']
        return result

    recorded.records_initiator_share = True
    InteractionSerialEvaluator.eval = recorded
    return _INITIATOR_SHARES


def read_eval_curve(exp_name: str, start: float) -> List[Dict[str, float]]:
    """Evaluations logged by DI-engine's serial evaluator under ``exp_name``: one row per evaluation."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    rows: Dict[int, Dict[str, float]] = {}
    for folder, _, files in os.walk(exp_name):
        if not any(name.startswith('events.out.tfevents') for name in files):
            continue
        events = EventAccumulator(folder, size_guidance={'scalars': 0})
        events.Reload()
        for tag in events.Tags()['scalars']:
            if not tag.startswith(EVAL_TAG) or not tag.endswith('_mean'):
                continue
            key = tag[len(EVAL_TAG):-len('_mean')]
            key = 'eval_return' if key in ('reward', 'eval_episode_return') else key
            for event in events.Scalars(tag):
                row = rows.setdefault(event.step, {'env_step': event.step})
                row[key] = event.value
                row['wall_s'] = round(max(row.get('wall_s', 0.0), event.wall_time - start), 2)
    return [rows[step] for step in sorted(rows)]


def write_csv(path: str, rows: List[Dict[str, float]]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row)) or ['env_step']
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def finished_result(folder: str) -> Optional[Dict]:
    """The result of a cell that finished (at whatever budget), else None (a failed cell is run again)."""
    path = os.path.join(folder, 'result.json')
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        result = json.load(f)
    return result if result['status'] == 'finished' else None


def finished(folder: str, env_step: int) -> bool:
    """A cell is done when it finished at a budget of ``env_step`` or more; a larger budget extends it."""
    result = finished_result(folder)
    return result is not None and result['budget'] >= env_step


def read_results(out: str) -> List[Dict]:
    results = []
    for folder, _, files in os.walk(out):
        if 'result.json' in files:
            with open(os.path.join(folder, 'result.json')) as f:
                result = json.load(f)
            with open(os.path.join(folder, 'curve.csv'), newline='') as f:
                result['curve'] = [{k: float(v) for k, v in row.items() if v != ''} for row in csv.DictReader(f)]
            results.append(result)
    return results


def mean_and_std(values: List[float]) -> Tuple[float, float]:
    """Mean and population std over seeds; NaN for both when there are no values."""
    if not values:
        return math.nan, math.nan
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def format_mean_std(values: List[float]) -> str:
    """``mean ± std`` (population std over seeds), ``-`` when there are no values."""
    if not values:
        return '-'
    mean, std = mean_and_std(values)
    std = 0.0 if std <= 1e-9 * max(1.0, abs(mean)) else std  # equal values: no 3.5e-18 from rounding
    return f'{mean:.3g} ± {std:.2g}'


def markdown_table(results: List[Dict]) -> str:
    """Mean +- std over seeds of the final evaluation per (env, n_agent, policy); failures are counted."""
    from ding_atoc.entry.report import task_metrics
    groups: Dict[Tuple, List[Dict]] = {}
    for result in results:
        groups.setdefault((result['env'], result['n_agent'], result['policy']), []).append(result)
    # The task's metrics and how much a policy talks; the other diagnostics (dQ, action saturation) stay in the curves.
    finals = [result['final'] for result in results if result['final']]
    metrics = sorted({key for final in finals for key in task_metrics(final)} |
                     {MESSAGES for final in finals if MESSAGES in final})
    header = ['env', 'N', 'policy', 'seeds', 'failed', 'eval return', 'initiator share'] + metrics + ['env steps/s']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for (env, n_agent, policy), cells in sorted(groups.items(), key=lambda item: tuple(map(str, item[0]))):
        done = [c for c in cells if c['status'] == 'finished' and c['final']]
        row = [env, str(n_agent or '-'), policy, str(len(cells)), str(len(cells) - len(done)),
               format_mean_std([c['final']['eval_return'] for c in done if 'eval_return' in c['final']]),
               format_mean_std([c['final'][INITIATOR_SHARE] for c in done if INITIATOR_SHARE in c['final']])]
        row += [format_mean_std([c['final'][m] for c in done if m in c['final']]) for m in metrics]
        row.append(format_mean_std([c['final']['env_step'] / c['wall_s'] for c in done if c['wall_s'] > 0]))
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def plot_curves(results: List[Dict], path: str) -> None:
    """One panel per (env, N), one line per policy: mean eval return over seeds with a min-max band."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    panels = sorted({(r['env'], r['n_agent']) for r in results}, key=str)
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for axis, (env, n_agent) in zip(axes[0], panels):
        policies = sorted({r['policy'] for r in results if (r['env'], r['n_agent']) == (env, n_agent)})
        axis.set_prop_cycle(color=plt.get_cmap('tab10' if len(policies) <= 10 else 'tab20').colors)
        for policy in policies:
            curves = [r['curve'] for r in results if (r['env'], r['n_agent'], r['policy']) == (env, n_agent, policy)
                      and r['curve'] and r['status'] == 'finished']
            if not curves:
                continue
            length = min(len(c) for c in curves)
            steps = np.array([row['env_step'] for row in curves[0][:length]])
            values = np.array([[row.get('eval_return', np.nan) for row in c[:length]] for c in curves])
            axis.plot(steps, values.mean(axis=0), label=policy)
            axis.fill_between(steps, values.min(axis=0), values.max(axis=0), alpha=0.2)
        axis.set_title(f'{env} (N={n_agent or "default"})')
        axis.set_xlabel('env steps')
        axis.set_ylabel('eval return')
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def report(out: str) -> str:
    results = read_results(out)
    table = markdown_table(results)
    with open(os.path.join(out, 'table.md'), 'w') as f:
        f.write(table + '\n')
    plot_curves(results, os.path.join(out, 'curves.png'))
    return table


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('Usage:')[0].replace('Overview:', '').strip())
    parser.add_argument('--env', default='cooperative_navigation', help='folder of configs/')
    parser.add_argument('--policies', nargs='+', default=None, help=f'default: those of {DEFAULT_POLICIES} present')
    parser.add_argument('--n-agent', type=int, default=None, help='team size (default: the configs\')')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--env-step', type=int, default=50000, help='env-step budget of every cell')
    parser.add_argument('--workers', type=int, default=os.cpu_count(), help='cells run in parallel')
    parser.add_argument('--out', default=os.path.join('bench', 'results', 'compare'))
    parser.add_argument('--set', nargs='+', default=[], metavar='KEY=VALUE',
                        help='config overrides for every cell, e.g. policy.channel_conditions.delay=2')
    parser.add_argument('--label', default=None, help='name of the policy column when --set is used (one policy)')
    parser.add_argument('--report', nargs='+', default=None, help='only rebuild table and curves of these folders')
    parser.add_argument('--entry', choices=('serial', 'task'), default='serial',
                        help="serial: DI-engine's serial entries; task: ding-atoc train's task pipeline (the batched "
                        'path for the ding_atoc family: the fast one for long runs)')
    args = parser.parse_args(argv)
    if args.report:
        for out in args.report:
            print(f'## {out}\n\n{report(out)}\n')
        return 0
    policies = args.policies or [p for p in DEFAULT_POLICIES
                                 if os.path.isfile(os.path.join(ROOT, 'configs', args.env, f'{p}_config.py'))]
    out = os.path.abspath(args.out)
    settings = dict(item.split('=', 1) for item in args.set)
    if args.label and len(policies) != 1:
        raise SystemExit('--label names one policy: give exactly one with --policies')
    cells = [(args.env, p, args.n_agent, s, args.env_step,
              cell_dir(out, args.env, args.n_agent, args.label or p, s), settings, args.label, args.entry)
             for p in policies for s in args.seeds]
    run_cells(cells, args.workers)
    print(report(out))
    return 0


def run_cells(cells: List[Tuple], workers: int) -> None:
    """
    Overview:
        Run the cells (``run_cell`` argument tuples, the folder sixth) that have not finished yet, ``workers`` at a
        time, each in a worker process; print one line per cell as it ends.
    """
    todo = [cell for cell in cells if not finished(cell[5], cell[4])]
    print(f'{len(cells)} cells, {len(cells) - len(todo)} already finished, running {len(todo)} '
          f'on {workers} workers', flush=True)
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        for result in pool.map(run_cell, *zip(*todo)) if todo else []:
            print(f"{result['policy']} seed {result['seed']}: {result['status']} in {result['wall_s']} s", flush=True)


if __name__ == '__main__':
    sys.path.insert(0, ROOT)
    sys.exit(main())
