"""
Overview:
    The learn step of ``ding_atoc``'s default config with glibc's default allocator settings against
    ``ding_atoc.entry.allocator.keep_freed_memory`` (which ``ding-atoc train`` applies), side by side: each
    measurement runs in a fresh process on one torch thread, the two settings alternating, so that the load of a
    shared machine hits both alike. Besides the step's time it counts the process's minor page faults per step
    (``getrusage``), and it measures what one page fault costs on this machine (first touch of fresh ``mmap``
    pages): faults per step times that cost is the time the allocator setting can win.

Usage:
    python bench/page_faults.py                                  # cells 20x64 and 100x256, fp32 and bf16
    python bench/page_faults.py --cells 10x64 --rounds 5
"""
import argparse
import json
import mmap
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = mmap.PAGESIZE


def page_fault_us(pages: int = 4096) -> float:
    """Microseconds per first touch of a fresh anonymous page (one minor fault, the kernel zeroing the page)."""
    region = mmap.mmap(-1, pages * PAGE)
    start = time.perf_counter()
    for page in range(pages):
        region[page * PAGE] = 1
    elapsed = time.perf_counter() - start
    region.close()
    return elapsed / pages * 1e6


def measure(n_agent: int, batch: int, mixed: bool, keep: bool, repeat: int) -> Dict[str, float]:
    """Median ms and mean minor faults per learn step, in this process (``keep``: the allocator setting first)."""
    import torch
    if keep:
        from ding_atoc.entry.allocator import keep_freed_memory
        assert keep_freed_memory(), 'keep_freed_memory needs glibc'
    torch.set_num_threads(1)
    sys.path.insert(0, ROOT)
    from bench.old_vs_new import build, learn_step_times
    policy, _, stacked, _ = build(n_agent, batch, cuda=False)
    learn_step_times(policy, stacked, mixed, cuda=False, repeat=0)  # warm-up
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    times = learn_step_times(policy, stacked, mixed, cuda=False, repeat=repeat, warmup=0)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / repeat  # batches made included
    return {'ms': statistics.median(times) * 1e3, 'faults': faults}


def run_worker(n_agent: int, batch: int, mixed: bool, keep: bool, repeat: int) -> Dict[str, float]:
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    command = [sys.executable, os.path.abspath(__file__), '--worker', f'{n_agent}x{batch}', '--repeat', str(repeat)]
    command += ['--bf16'] if mixed else []
    command += ['--keep'] if keep else []
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f'measurement failed:\n{result.stderr[-2000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description='Learn step with glibc defaults against keep_freed_memory')
    parser.add_argument('--cells', nargs='+', default=['20x64', '100x256'], help='AxB: agents x batch size')
    parser.add_argument('--precisions', nargs='+', default=['fp32', 'bf16'], choices=['fp32', 'bf16'])
    parser.add_argument('--rounds', type=int, default=3, help='default/kept measurement pairs (median taken)')
    parser.add_argument('--repeat', type=int, default=5, help='timed calls per measurement')
    parser.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    parser.add_argument('--bf16', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--keep', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        n_agent, batch = map(int, args.worker.split('x'))
        print(json.dumps(measure(n_agent, batch, args.bf16, args.keep, args.repeat)))
        return 0
    print(f'ding_atoc learn step, default config, CPU, 1 thread: glibc defaults against keep_freed_memory; median '
          f'over {args.rounds} alternating rounds of {args.repeat} calls, each in a fresh process; one page fault '
          f'costs {page_fault_us():.2f} us here; load average at start {os.getloadavg()[0]:.2f}\n')
    print('| A | B | precision | glibc defaults (ms) | faults per step | keep_freed_memory (ms) | faults per step '
          '| speed-up |')
    print('|---|---|---|---|---|---|---|---|')
    for cell in args.cells:
        n_agent, batch = map(int, cell.split('x'))
        for precision in args.precisions:
            runs = {False: [], True: []}
            for _ in range(args.rounds):
                for keep in (False, True):
                    runs[keep].append(run_worker(n_agent, batch, precision == 'bf16', keep, args.repeat))
            med = {keep: {key: statistics.median(r[key] for r in rs) for key in ('ms', 'faults')}
                   for keep, rs in runs.items()}
            print(f"| {n_agent} | {batch} | {precision} | {med[False]['ms']:.1f} | {med[False]['faults']:,.0f} | "
                  f"{med[True]['ms']:.1f} | {med[True]['faults']:,.0f} | {med[False]['ms'] / med[True]['ms']:.2f}x |",
                  flush=True)
    print(f'\nload average at the end {os.getloadavg()[0]:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
