"""
Overview:
    Speed benchmark (not a test): environment steps per second of ``cooperative_navigation`` (dizoo_envs) against
    PettingZoo MPE ``simple_spread`` through DI-engine's ``petting_zoo`` env, on the same machine, in one run, with
    random discrete actions (drawn before timing), full observation dicts and resets included (episodes of
    ``max_cycles`` steps). Each measurement stops after ``--seconds`` (default 3) of stepping.

    Usage: ``python bench/env_speed.py [--agents 3 10 20 50] [--seconds 3] [--specific]``; prints a markdown table.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def steps_per_second(env, n_agent: int, seconds: float, max_cycles: int = 25) -> float:
    """Step ``env`` with random discrete actions for about ``seconds``; returns steps per second."""
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 5, size=(max_cycles, n_agent)).astype(np.int64)
    env.seed(0)
    env.reset()
    for t in range(max_cycles):  # warm-up episode
        env.step(actions[t])
    steps, start = 0, time.perf_counter()
    while True:
        env.reset()
        for t in range(max_cycles):
            env.step(actions[t])
        steps += max_cycles
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--agents', type=int, nargs='+', default=[3, 10, 20, 50])
    parser.add_argument('--seconds', type=float, default=3.0, help='stepping time per measurement')
    parser.add_argument('--specific', action='store_true', help='agent_specific_global_state=True for both envs')
    args = parser.parse_args()

    from easydict import EasyDict
    from dizoo.petting_zoo.envs.petting_zoo_simple_spread_env import PettingZooEnv
    from dizoo_envs.cooperative_navigation import CooperativeNavigationEnv

    rows = []
    for n in args.agents:
        ours = CooperativeNavigationEnv(
            dict(n_agent=n, n_landmark=n, n_nearest=min(3, n - 1), agent_specific_global_state=args.specific)
        )
        theirs = PettingZooEnv(
            EasyDict(
                dict(env_family='mpe', env_id='simple_spread_v2', n_agent=n, n_landmark=n, max_cycles=25,
                     agent_obs_only=False, agent_specific_global_state=args.specific, continuous_actions=False)
            )
        )
        ours_sps = steps_per_second(ours, n, args.seconds)
        theirs_sps = steps_per_second(theirs, n, args.seconds)
        rows.append((n, ours_sps, theirs_sps))
        print(f'N={n}: ours {ours_sps:,.0f} steps/s, petting_zoo {theirs_sps:,.0f} steps/s', file=sys.stderr)

    print(f'\nagent_specific_global_state={args.specific}, random discrete actions, resets included, '
          f'{args.seconds:g} s per measurement\n')
    print('| N agents | cooperative_navigation (steps/s) | DI-engine petting_zoo simple_spread (steps/s) | ratio |')
    print('|---:|---:|---:|---:|')
    for n, ours_sps, theirs_sps in rows:
        print(f'| {n} | {ours_sps:,.0f} | {theirs_sps:,.0f} | {ours_sps / theirs_sps:,.1f} |')


if __name__ == '__main__':
    main()
