"""
Overview:
    Training throughput of the whole serial pipeline (DI-engine's ``serial_pipeline``: collector, replay buffer,
    learner), env steps per second, of ding_atoc against DI-engine's built-in ``atoc`` on the same config: the same
    env and team size, and the same collection and learning schedule (the ding_atoc config's ``n_sample``,
    ``update_per_collect`` and ``batch_size`` are given to both). Evaluation is left out (one evaluation at the
    start, none after), so the figure is collection plus learning. The policies run one after the other in their
    own process with one torch thread, side by side in one invocation, and the table ends with the ratio.

    With ``--train``, the whole ``ding-atoc train`` command instead (the README's main job, DI-engine's task
    pipeline, start-up and evaluations included): an older commit (default 490d848, DI-engine's per-env
    collector), this checkout with ``--collector per-env`` and with the batched path (the default), each in its
    own process with one torch thread, one after the other (``--threads``, ``--ranks``: also the batched path with
    more torch threads, or data-parallel over ranks); the table gives the replay ratio each trained with
    (env-samples learned per env step: ``update_per_collect x batch_size / n_sample``) and env steps per second
    over the whole process and over the run itself (from its summary, start-up excluded).

Usage:
    python bench/throughput.py --n-agent 10 --env-step 4000
    python bench/throughput.py --train --n-agent 10 --env-step 8000 [--against 490d848] [--config FILE]
    python bench/throughput.py --train --n-agent 10 --env-step 8000 --schedule 256x10   # + 10 updates of 256
    python bench/throughput.py --train --n-agent 50 --env-step 4000 --against none --no-per-env --threads 2 --ranks 2
"""
import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench import compare  # noqa: E402

#: The schedule keys copied from the reference config to every policy ("the same config").
SCHEDULE_KEYS = ('collect.n_sample', 'learn.update_per_collect', 'learn.batch_size')
#: Train iterations between evaluations: larger than any run here, so only the evaluation at iteration 0 happens.
NO_EVALUATION = 10 ** 9


def schedule_of(env: str, policy: str) -> Dict[str, str]:
    """``--set`` style overrides giving another policy the schedule of ``policy``'s config in ``configs/env``."""
    from ding_atoc.entry.config_loader import load_config
    main_config, _ = load_config(os.path.join(ROOT, 'configs', env, f'{policy}_config.py'))
    overrides = {}
    for dotted in SCHEDULE_KEYS:
        node = main_config.policy
        for key in dotted.split('.'):
            node = node[key]
        overrides[f'policy.{dotted}'] = str(node)
    return overrides


def measure(env: str, policy: str, n_agent: int, env_step: int, seed: int, settings: Dict[str, str],
            folder: str) -> Dict:
    """
    Overview:
        Train ``policy`` for ``env_step`` env steps with ``serial_pipeline`` in ``folder`` (call it in a worker
        process: it sets one torch thread and changes directory) and time it.
    Returns:
        - row (:obj:`Dict`): policy, env steps (the collectors' count), wall seconds, env steps per second.
    """
    import torch
    torch.set_num_threads(1)
    from ding.entry import serial_pipeline
    os.makedirs(folder, exist_ok=True)
    os.chdir(folder)
    main_config, create_config = compare.cell_config(
        env, policy, n_agent, {**settings, 'policy.eval.evaluator.eval_freq': str(NO_EVALUATION)}
    )
    steps = compare.count_env_steps()
    start = time.perf_counter()
    serial_pipeline((main_config, create_config), seed=seed, max_env_step=env_step)
    wall = time.perf_counter() - start
    return {'policy': policy, 'env_steps': steps['last'], 'wall_s': wall, 'steps_per_s': steps['last'] / wall}


def train_run(root: str, config: str, n_agent: int, env_step: int, collector: Optional[str], folder: str,
              threads: int = 1, ranks: int = 1) -> Dict:
    """
    Overview:
        ``ding-atoc train`` of ``root``'s code and ``config`` in a fresh process in ``folder``, timed as a whole;
        with ``ranks`` > 1, data-parallel under ``torchrun`` (every rank collects ``env_step`` env steps and learns
        on its own batches with gradients averaged, so the env steps of the row are ``ranks x env_step`` at the
        same replay ratio).
    Returns:
        - row (:obj:`Dict`): env steps, train iterations, replay ratio, wall seconds of the process and of the run.
    """
    import glob
    import json
    os.makedirs(folder)
    launcher = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(ranks)] if ranks > 1 else \
        [sys.executable]
    command = launcher + ['-m', 'ding_atoc.entry.cli', 'train', '-c', os.path.join(root, config), '-s', '0',
                          '--n-agent', str(n_agent), '--env-step', str(env_step), '--no-progress']
    env = dict(os.environ, PYTHONPATH=root, OMP_NUM_THREADS=str(threads), PYTHONWARNINGS='ignore')
    start = time.perf_counter()
    result = subprocess.run(command + (['--collector', collector] if collector else []), cwd=folder, env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} failed:\n{result.stderr[-2000:]}')
    run = os.path.dirname(glob.glob(os.path.join(folder, '*', 'summary.json'))[0])
    with open(os.path.join(run, 'summary.json')) as f:
        summary = json.load(f)
    saved = {}
    exec(open(os.path.join(run, 'total_config.py')).read(), saved)  # DI-engine's saved config of the run
    policy = (saved.get('main_config') or saved['exp_config'])['policy']
    learn = policy['learn']
    # On-policy (PPO): every collected sample is learned once per epoch; off-policy: updates x batch per collection.
    ratio = learn['epoch_per_collect'] if 'epoch_per_collect' in learn else \
        learn['update_per_collect'] * learn['batch_size'] / policy['collect']['n_sample']
    # Rank 0's summary counts one rank's steps; every rank learns as many samples per env step as it collects.
    return {'env_steps': ranks * summary['env_step'], 'train_iter': summary['train_iter'], 'ratio': ratio,
            'process_s': wall, 'run_s': summary['wall_s'], 'eval_return': summary.get('eval_return')}


def train_table(args: argparse.Namespace) -> str:
    """The ``--train`` comparison (see module doc), as a markdown table."""
    from bench.old_vs_new import checkout
    runs = [] if args.against == 'none' else [(f'{args.against} (per-env)', checkout(args.against), None,
                                               args.config, 1, 1)]
    if not args.no_per_env:
        runs.append(('this checkout, --collector per-env', ROOT, 'per-env', args.config, 1, 1))
    runs.append(('this checkout, batched (default)', ROOT, 'batched', args.config, 1, 1))
    for schedule in args.schedule:
        batch, updates = map(int, schedule.split('x'))
        runs.append((f'this checkout, batched, {updates} updates of {batch}', ROOT, 'batched',
                     schedule_config(os.path.join(ROOT, args.config), batch, updates), 1, 1))
    for threads in args.threads:
        runs.append((f'this checkout, batched, {threads} torch threads', ROOT, 'batched', args.config, threads, 1))
    for ranks in args.ranks:
        runs.append((f'this checkout, batched, {ranks} ranks (torchrun, 1 thread each)', ROOT, 'batched',
                     args.config, 1, ranks))
    lines = ['| code | env steps | train iters | replay ratio | process s | env steps/s (process) | '
             'env steps/s (run) | speed-up (run) |', '|---|---|---|---|---|---|---|---|']
    base = None
    for name, root, collector, config, threads, ranks in runs:
        folder = os.path.join(os.path.abspath(args.out), f'train_{len(lines)}_{int(time.time())}')
        row = train_run(root, config, args.n_agent, args.env_step, collector, folder, threads, ranks)
        per_s = row['env_steps'] / row['run_s']
        base = base or per_s
        lines.append(f"| {name} | {row['env_steps']} | {row['train_iter']} | {row['ratio']:.2f} | "
                     f"{row['process_s']:.1f} | {row['env_steps'] / row['process_s']:.1f} | {per_s:.1f} | "
                     f"{per_s / base:.1f}x |")
        print(lines[-1], flush=True)
    return '\n'.join(lines)


def schedule_config(base: str, batch: int, updates: int) -> str:
    """A config file (in a temporary folder) that is ``base`` learning ``updates`` steps of ``batch`` per collection."""
    import tempfile
    path = os.path.join(tempfile.mkdtemp(prefix='schedule_'), f'b{batch}_u{updates}_config.py')
    with open(path, 'w') as f:
        f.write(f'from ding.config import read_config\n\nmain_config, create_config = read_config({base!r})\n'
                f'main_config.policy.learn.batch_size = {batch}\n'
                f'main_config.policy.learn.update_per_collect = {updates}\n')
    return path


def markdown_table(rows: List[Dict], reference: str) -> str:
    """One row per policy; the ratio column is the reference policy's steps/s over the row's."""
    base = next(row['steps_per_s'] for row in rows if row['policy'] == reference)
    lines = ['| policy | env steps | wall s | env steps/s | ' + f'{reference} speed-up |', '|---|---|---|---|---|']
    for row in rows:
        lines.append(f"| {row['policy']} | {row['env_steps']} | {row['wall_s']:.1f} | {row['steps_per_s']:.1f} | "
                     f"{base / row['steps_per_s']:.1f}x |")
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('Usage:')[0].replace('Overview:', '').strip())
    parser.add_argument('--env', default='cooperative_navigation', help='folder of configs/')
    parser.add_argument('--policies', nargs='+', default=['ding_atoc', 'atoc'],
                        help='the first is the reference whose schedule all get')
    parser.add_argument('--n-agent', type=int, default=10)
    parser.add_argument('--env-step', type=int, default=4000, help='env steps each policy trains for')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=os.path.join('bench', 'results', 'throughput'))
    parser.add_argument('--train', action='store_true', help='time `ding-atoc train`, old commit against this one')
    parser.add_argument('--against', default='490d848', help='with --train: the older commit (none: no such row)')
    parser.add_argument('--no-per-env', action='store_true', help='with --train: no --collector per-env row')
    parser.add_argument('--threads', nargs='*', type=int, default=[], metavar='T',
                        help='with --train: also the batched path with T torch threads in its one process')
    parser.add_argument('--ranks', nargs='*', type=int, default=[], metavar='R',
                        help='with --train: also the batched path data-parallel over R ranks (torchrun)')
    parser.add_argument('--schedule', nargs='*', default=[], metavar='BxU',
                        help='with --train: also this checkout learning U steps of batch B per collection')
    parser.add_argument('--config', default=os.path.join('configs', 'cooperative_navigation', 'ding_atoc_config.py'),
                        help='with --train: config file, relative to the repository')
    args = parser.parse_args(argv)
    if args.train:
        print(f'`ding-atoc train -c {args.config} --n-agent {args.n_agent} --env-step {args.env_step}`, one torch '
              f'thread, load average at start {os.getloadavg()[0]:.2f}', flush=True)
        print(train_table(args))
        return 0
    reference = args.policies[0]
    settings = schedule_of(args.env, reference)
    print(f'{args.env}, N={args.n_agent}, {args.env_step} env steps each, schedule of {reference}: {settings}',
          flush=True)
    rows = []
    for policy in args.policies:  # one at a time: the timings must not share the cores
        folder = os.path.join(os.path.abspath(args.out), policy)
        with ProcessPoolExecutor(max_workers=1) as pool:
            rows.append(pool.submit(measure, args.env, policy, args.n_agent, args.env_step, args.seed, settings,
                                    folder).result())
    table = markdown_table(rows, reference)
    print(table)
    return 0


if __name__ == '__main__':
    sys.exit(main())
