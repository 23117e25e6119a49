"""
Overview:
    Learn step and collect forward of ``ding_atoc`` on its default config, this checkout against an older commit
    (default: 490d848, before the fast learner), side by side in one run: every measurement runs in a fresh
    process on one torch thread, old and new alternating, so that the load of a shared machine hits both alike.

    A measurement builds the default config (``configs/cooperative_navigation/ding_atoc_config.py`` of the commit
    measured) at A agents and batch B, collects ``4 B`` transitions from 32 envs through ``collect_mode`` and
    times (median of ``--repeat`` calls after 3 warm-up calls):

    - **learn (list)**: ``learn_mode.forward`` on a list of B transitions, DI-engine's replay format (collate
      included), as ``../shared/checks/learn_speed.py`` measures it;
    - **learn (stacked)**: the same transitions already stacked, as the tensor replay buffer of the batched path
      gives them (new code only);
    - **learn bf16**: the stacked step with ``learn.mixed_precision=True`` (new code only);
    - **collect**: one ``collect_mode.forward`` for the 32 envs (per-env dicts, collate and decollate included).

Usage:
    python bench/speed.py --against 490d848              # this table (speed.py forwards to this script)
    python bench/old_vs_new.py --cells 20x64 100x256 --rounds 3 [--cuda]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(n_agent: int, batch: int, cuda: bool) -> Tuple[object, Callable[[], List[dict]], Callable[[], dict], List[float]]:
    """
    Overview:
        The default config's policy at A=``n_agent`` and batch B, after collecting ``4 B`` transitions from 32 envs
        through ``collect_mode``, with the ``ding_atoc`` importable from ``sys.path`` (the commit measured).
    Returns:
        - policy: the policy (learn and collect modes).
        - listed: a new random batch of B transitions per call, as DI-engine's replay buffers give them.
        - stacked: the same, collated and on the policy's device, as the tensor replay buffer gives them.
        - collect_times: seconds of each ``collect_mode.forward`` of the collection.
    """
    import copy
    import time

    import torch
    from ding.config import compile_config, read_config
    from ding.envs import get_env_cls
    from ding.policy import create_policy
    from ding.torch_utils import to_device
    from ding.utils.data import default_collate

    import ding_atoc  # noqa: F401  (registers the policy)
    main_cfg, create_cfg = read_config(os.path.join(os.getcwd(), 'configs/cooperative_navigation/ding_atoc_config.py'))
    main_cfg.env.n_agent = main_cfg.env.n_landmark = main_cfg.policy.model.n_agent = n_agent
    main_cfg.policy.cuda, main_cfg.policy.learn.batch_size = cuda, batch
    main_cfg.exp_name = 'speed'
    cfg = compile_config(main_cfg, create_cfg=create_cfg, auto=True, save_cfg=False)
    envs = [get_env_cls(cfg.env)(copy.deepcopy(cfg.env)) for _ in range(32)]
    for i, env in enumerate(envs):
        env.seed(i, dynamic_seed=False)
    obs = {i: env.reset() for i, env in enumerate(envs)}
    policy = create_policy(cfg.policy, enable_field=['learn', 'collect'])
    policy.collect_mode.reset()
    transitions, collect_times = [], []
    while len(transitions) < 4 * batch:
        sync(cuda)
        start = time.perf_counter()
        output = policy.collect_mode.forward(obs)
        sync(cuda)
        collect_times.append(time.perf_counter() - start)
        for i, env in enumerate(envs):
            timestep = env.step(output[i]['action'])
            transitions.append(policy.collect_mode.process_transition(obs[i], output[i], timestep))
            obs[i] = timestep.obs if not timestep.done else env.reset()
    generator = torch.Generator().manual_seed(0)

    def listed() -> List[dict]:
        index = torch.randperm(len(transitions), generator=generator)[:batch].tolist()
        return [copy.deepcopy(transitions[i]) for i in index]

    def stacked() -> dict:
        return to_device(default_collate(listed()), 'cuda' if cuda else 'cpu')

    return policy, listed, stacked, collect_times


def measure(n_agent: int, batch: int, repeat: int, cuda: bool) -> Dict[str, Optional[float]]:
    """One measurement with the ``ding_atoc`` importable from ``sys.path`` (the commit measured); milliseconds."""
    import torch
    torch.set_num_threads(1)
    policy, listed, stacked, collect_times = build(n_agent, batch, cuda)

    def timed(make, mixed: bool = False) -> float:
        return statistics.median(learn_step_times(policy, make, mixed, cuda, repeat)) * 1e3

    new_code = hasattr(policy, '_stacked_batch')  # learns from stacked batches, has mixed precision
    return {
        'learn_list': timed(listed),
        'learn_stacked': timed(stacked) if new_code else None,
        'learn_bf16': timed(stacked, mixed=True) if new_code else None,
        'collect': statistics.median(collect_times[1:]) * 1e3,
    }


def learn_step_times(policy, make: Callable[[], object], mixed: bool, cuda: bool, repeat: int,
                     warmup: int = 3) -> List[float]:
    """Seconds of each of ``repeat`` calls of ``learn_mode.forward`` on a new batch from ``make``, after ``warmup``."""
    import time
    policy._cfg.learn.mixed_precision = mixed
    times = []
    for _ in range(warmup + repeat):
        data = make()
        sync(cuda)
        start = time.perf_counter()
        policy.learn_mode.forward(data)
        sync(cuda)
        times.append(time.perf_counter() - start)
    return times[warmup:]


def sync(cuda: bool) -> None:
    if cuda:
        import torch
        torch.cuda.synchronize()


def checkout(ref: str) -> str:
    """The tree of ``ref`` in a temporary folder (``git archive``), to import its ``ding_atoc`` from."""
    folder = tempfile.mkdtemp(prefix=f'ding_atoc_{ref}_')
    archive = subprocess.run(['git', 'archive', ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', folder], input=archive, check=True)
    return folder


def run_worker(root: str, n_agent: int, batch: int, repeat: int, cuda: bool) -> Dict[str, Optional[float]]:
    """``measure`` in a fresh process on ``root``'s code and configs."""
    env = dict(os.environ, PYTHONPATH=root, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    command = [sys.executable, os.path.abspath(__file__), '--worker', f'{n_agent}x{batch}', '--repeat', str(repeat)]
    result = subprocess.run(command + (['--cuda'] if cuda else []), cwd=root, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f'measurement on {root} failed:\n{result.stderr[-2000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])


def fmt(value: Optional[float]) -> str:
    return '-' if value is None else f'{value:.1f}'


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('Usage:')[0].strip().splitlines()[1])
    parser.add_argument('--against', default='490d848', help='older commit to compare with')
    parser.add_argument('--cells', nargs='+', default=['20x64', '100x256'], help='AxB: agents x batch size')
    parser.add_argument('--rounds', type=int, default=3, help='old/new measurement pairs per cell (median taken)')
    parser.add_argument('--repeat', type=int, default=7, help='timed calls per measurement')
    parser.add_argument('--cuda', action='store_true', help='measure on the GPU')
    parser.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        n_agent, batch = map(int, args.worker.split('x'))
        print(json.dumps(measure(n_agent, batch, args.repeat, args.cuda)))
        return 0
    old_root = checkout(args.against)
    load = os.getloadavg()[0]
    print(f'ding_atoc learn step and collect forward, default config, {"GPU" if args.cuda else "CPU, 1 thread"}; '
          f'old = {args.against}, new = this checkout; median over {args.rounds} alternating rounds of '
          f'{args.repeat} calls; load average at start {load:.2f}\n')
    print('| A | B | old learn (ms) | new learn, list (ms) | new learn, stacked (ms) | new learn, stacked bf16 (ms) '
          '| learn speed-up (stacked) | old collect (ms) | new collect (ms) | collect speed-up |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for cell in args.cells:
        n_agent, batch = map(int, cell.split('x'))
        rounds = {'old': [], 'new': []}
        for _ in range(args.rounds):
            rounds['old'].append(run_worker(old_root, n_agent, batch, args.repeat, args.cuda))
            rounds['new'].append(run_worker(ROOT, n_agent, batch, args.repeat, args.cuda))
        med = {side: {key: statistics.median([r[key] for r in runs]) if runs[0][key] is not None else None
                      for key in runs[0]} for side, runs in rounds.items()}
        old, new = med['old'], med['new']
        print(f"| {n_agent} | {batch} | {fmt(old['learn_list'])} | {fmt(new['learn_list'])} | "
              f"{fmt(new['learn_stacked'])} | {fmt(new['learn_bf16'])} | "
              f"{old['learn_list'] / new['learn_stacked']:.1f}x | {fmt(old['collect'])} | {fmt(new['collect'])} | "
              f"{old['collect'] / new['collect']:.1f}x |", flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
