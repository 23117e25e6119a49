"""
Overview:
    Speed benchmark (not a test): env steps per second (one env step = one step of one env) of cooperative navigation,
    side by side in one run:

    - ``numpy``: one ``CooperativeNavigationEnv`` (``dizoo_envs``), as DI-engine's env managers run it;
    - ``batched``: E envs of ``dizoo_envs/batched`` through the ``torch_batched`` env manager, on ``--device``;
    - ``VMAS``: VMAS's ``simple_spread`` (vectorized MPE in torch), the same N agents and N landmarks, the same E
      parallel envs and device;
    - ``PettingZoo`` (``--petting-zoo``): one PettingZoo MPE ``simple_spread`` through DI-engine's ``petting_zoo`` env.

    Random discrete actions (drawn before timing), full observations, resets included: every env restarts after
    ``max_cycles`` = 25 steps (the batched envs auto-reset; the others are reset by the loop). Each measurement runs
    ``--seconds`` (at least one step) after a warm-up of a quarter of that. The observations differ in size: ours are
    local (K = min(3, N - 1) nearest agents and landmarks), VMAS's and PettingZoo's list every entity.

    Usage: ``python bench/env_speed.py [--agents 3 10 50] [--envs 1 64 1024] [--seconds 2] [--device cpu]
    [--threads 1] [--petting-zoo] [--specific] [--no-vmas]``; prints a markdown table. VMAS comes with
    ``pip install -e ".[bench]"``.
"""
import argparse
import os
import sys
import time
import types
from typing import Callable, Dict, Optional

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MAX_CYCLES = 25


def steps_per_second(step: Callable[[], None], n_envs: int, seconds: float,
                     sync: Callable[[], None] = lambda: None) -> float:
    """
    Overview:
        Call ``step`` (one step of ``n_envs`` envs) for a warm-up of ``seconds / 4``, then for ``seconds`` (at least
        once each); returns env steps per second of the second run.
    """
    rate = 0.0
    for budget in (seconds / 4, seconds):
        calls, start = 0, time.perf_counter()
        while True:
            step()
            calls += 1
            sync()
            elapsed = time.perf_counter() - start
            if elapsed >= budget:
                rate = calls * n_envs / elapsed
                break
    return rate


def cyclic(reset: Callable[[], None], step: Callable[[int], None]) -> Callable[[], None]:
    """``step(t)`` with ``t`` the step of the episode, and ``reset()`` before every episode of ``MAX_CYCLES`` steps."""
    t = [0]

    def run() -> None:
        if t[0] % MAX_CYCLES == 0:
            reset()
        step(t[0] % MAX_CYCLES)
        t[0] += 1

    return run


def navigation_cfg(n: int, specific: bool) -> Dict:
    return dict(
        type='cooperative_navigation', n_agent=n, n_landmark=n, n_nearest=min(3, n - 1), max_cycles=MAX_CYCLES,
        agent_specific_global_state=specific
    )


def numpy_rate(n: int, seconds: float, specific: bool) -> float:
    from dizoo_envs.cooperative_navigation import CooperativeNavigationEnv
    env = CooperativeNavigationEnv(navigation_cfg(n, specific))
    env.seed(0)
    actions = np.random.default_rng(0).integers(0, 5, size=(MAX_CYCLES, n)).astype(np.int64)
    return steps_per_second(cyclic(env.reset, lambda t: env.step(actions[t])), 1, seconds)


def petting_zoo_rate(n: int, seconds: float, specific: bool) -> float:
    from easydict import EasyDict
    from dizoo.petting_zoo.envs.petting_zoo_simple_spread_env import PettingZooEnv
    env = PettingZooEnv(
        EasyDict(
            dict(env_family='mpe', env_id='simple_spread_v2', n_agent=n, n_landmark=n, max_cycles=MAX_CYCLES,
                 agent_obs_only=False, agent_specific_global_state=specific, continuous_actions=False)
        )
    )
    env.seed(0)
    actions = np.random.default_rng(0).integers(0, 5, size=(MAX_CYCLES, n)).astype(np.int64)
    return steps_per_second(cyclic(env.reset, lambda t: env.step(actions[t])), 1, seconds)


def batched_rate(n: int, e: int, seconds: float, device: str, specific: bool, sync: Callable[[], None]) -> float:
    from ding.utils import ENV_MANAGER_REGISTRY
    import dizoo_envs.batched  # noqa: F401  registers 'torch_batched'
    manager = ENV_MANAGER_REGISTRY.get('torch_batched')(navigation_cfg(n, specific), env_num=e, device=device)
    manager.seed(0)
    manager.reset()
    actions = torch.randint(0, 5, (MAX_CYCLES, e, n), device=device, generator=torch.Generator(device).manual_seed(0))
    t = [0]

    def step() -> None:  # the envs auto-reset every MAX_CYCLES steps
        manager.step(actions[t[0] % MAX_CYCLES])
        t[0] += 1

    return steps_per_second(step, e, seconds, sync)


def import_vmas() -> types.ModuleType:
    """
    Overview:
        ``import vmas``. VMAS >= 1.4 defines a wrapper class for gym >= 0.26 at import time, which fails under the
        gym 0.25.1 that DI-engine pins (a metaclass conflict); this benchmark does not use that wrapper, so its module
        is replaced by an empty one there.
    """
    import gym
    if tuple(int(x) for x in gym.__version__.split('.')[:2]) < (0, 26):
        stub = types.ModuleType('vmas.simulator.environment.gym')
        stub.GymWrapper = None
        sys.modules.setdefault('vmas.simulator.environment.gym', stub)
    import vmas
    return vmas


def vmas_rate(n: int, e: int, seconds: float, device: str, sync: Callable[[], None]) -> float:
    vmas = import_vmas()
    env = vmas.make_env(
        'simple_spread', num_envs=e, device=device, continuous_actions=False, n_agents=n, seed=0, max_steps=None
    )
    actions = [[env.get_random_action(agent) for agent in env.agents] for _ in range(MAX_CYCLES)]
    return steps_per_second(cyclic(env.reset, lambda t: env.step(actions[t])), e, seconds, sync)


def fmt(x: Optional[float]) -> str:
    if x is None:
        return '-'
    return f'{x:,.1f}' if x < 100 else f'{x:,.0f}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--agents', type=int, nargs='+', default=[3, 10, 50], help='team sizes N')
    parser.add_argument('--envs', type=int, nargs='+', default=[1, 64, 1024], help='parallel envs E (batched, VMAS)')
    parser.add_argument('--seconds', type=float, default=2.0, help='stepping time per measurement')
    parser.add_argument('--device', default='cpu', help="torch device of the batched envs and VMAS ('cpu', 'cuda')")
    parser.add_argument('--threads', type=int, default=1, help='torch intra-op threads')
    parser.add_argument('--petting-zoo', action='store_true', help="add DI-engine's petting_zoo simple_spread (1 env)")
    parser.add_argument('--specific', action='store_true', help='agent_specific_global_state=True (ours, PettingZoo)')
    parser.add_argument('--no-vmas', action='store_true', help='skip VMAS')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error('--device cuda: no GPU here')
    sync = torch.cuda.synchronize if args.device.startswith('cuda') else (lambda: None)

    rows = []
    for n in args.agents:
        numpy_sps = numpy_rate(n, args.seconds, args.specific)
        zoo_sps = petting_zoo_rate(n, args.seconds, args.specific) if args.petting_zoo else None
        for e in args.envs:
            batched_sps = batched_rate(n, e, args.seconds, args.device, args.specific, sync)
            vmas_sps = None if args.no_vmas else vmas_rate(n, e, args.seconds, args.device, sync)
            rows.append((n, e, numpy_sps, zoo_sps, batched_sps, vmas_sps))
            print(
                f'N={n} E={e}: numpy {fmt(numpy_sps)}, petting_zoo {fmt(zoo_sps)}, batched {fmt(batched_sps)}, '
                f'vmas {fmt(vmas_sps)} env steps/s',
                file=sys.stderr
            )

    print(
        f'\ncooperative navigation, env steps/s (one env step = one step of one env), device {args.device}, '
        f'{args.threads} torch thread(s), random discrete actions, resets included, {args.seconds:g} s per '
        f'measurement, agent_specific_global_state={args.specific}\n'
    )
    zoo_col = ' PettingZoo simple_spread, 1 env |' if args.petting_zoo else ''
    print(f'| N | E | numpy env, 1 env |{zoo_col} batched (torch_batched) | VMAS simple_spread | batched / VMAS '
          f'| batched / numpy |')
    print('|---:' * (7 + bool(args.petting_zoo)) + '|')
    for n, e, numpy_sps, zoo_sps, batched_sps, vmas_sps in rows:
        zoo = f' {fmt(zoo_sps)} |' if args.petting_zoo else ''
        ratio = '-' if vmas_sps is None else f'{batched_sps / vmas_sps:,.1f}'
        print(f'| {n} | {e} | {fmt(numpy_sps)} |{zoo} {fmt(batched_sps)} | {fmt(vmas_sps)} | {ratio} '
              f'| {batched_sps / numpy_sps:,.1f} |')


if __name__ == '__main__':
    main()
