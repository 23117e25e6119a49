"""
Overview:
    Training throughput of the whole serial pipeline (DI-engine's ``serial_pipeline``: collector, replay buffer,
    learner), env steps per second, of ding_atoc against DI-engine's built-in ``atoc`` on the same config: the same
    env and team size, and the same collection and learning schedule (the ding_atoc config's ``n_sample``,
    ``update_per_collect`` and ``batch_size`` are given to both). Evaluation is left out (one evaluation at the
    start, none after), so the figure is collection plus learning. The policies run one after the other in their
    own process with one torch thread, side by side in one invocation, and the table ends with the ratio.

Usage:
    python bench/throughput.py --n-agent 10 --env-step 4000
"""
import argparse
import os
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
    args = parser.parse_args(argv)
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
