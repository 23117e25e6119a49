"""
Overview:
    How far one learn step of ``ding_atoc``'s default config is from what this machine can do: the floor that its
    matrix products alone impose. One learn step runs under a recording dispatch mode that notes every matrix
    product (``mm``, ``addmm``, ``bmm``, ``baddbmm``: operator, shapes, strides); each noted product is then replayed
    alone on random tensors of the same layout, fp32 and bf16, and the floor is the sum of their times: a step that
    did nothing but its matrix products, each at the speed this device reaches for it. No implementation of this
    model's arithmetic (same layers, same batch, same precision) goes below its floor on this device; the ratio
    step / floor says how much is left to win by cutting everything else (elementwise ops, the channel's serial
    rounds, the optimiser, Python).

    Columns: GFLOP of one learn step (``torch.utils.flop_counter``), the floors fp32 and bf16 and the rates they
    imply, and the measured learn step (stacked batch, as the tensor replay buffer gives it) fp32 and bf16. Floors
    and steps are measured alternately in one process, so the load of a shared machine hits both alike.

Usage:
    python bench/roofline.py                          # cells 20x64 and 100x256, CPU, one thread
    python bench/roofline.py --cells 10x64 20x64 --rounds 5 [--cuda]
"""
import argparse
import os
import statistics
import sys
import time
from collections import Counter
from typing import Callable, Dict, List, Tuple

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's bench, ding_atoc
from bench.old_vs_new import build, learn_step_times, sync  # noqa: E402

MATMULS = (torch.ops.aten.mm.default, torch.ops.aten.addmm.default, torch.ops.aten.bmm.default,
           torch.ops.aten.baddbmm.default)
#: One matrix product as replayed: operator, then (shape, stride) of each tensor argument in order.
Product = Tuple[object, Tuple[Tuple[Tuple[int, ...], Tuple[int, ...]], ...]]


class MatmulRecorder(TorchDispatchMode):
    """Counts the matrix products that run under it, by operator and layout of their tensor arguments."""

    def __init__(self):
        super().__init__()
        self.products: Counter = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in MATMULS:
            layout = tuple((tuple(a.shape), tuple(a.stride())) for a in args if isinstance(a, torch.Tensor))
            self.products[func, layout] += 1
        return func(*args, **(kwargs or {}))


def replay_floor(products: Counter, dtype: torch.dtype, device: str, repeat: int) -> float:
    """Seconds that the recorded products take alone in ``dtype``: median of ``repeat`` calls each, times its count."""
    total = 0.0
    for (func, layout), count in products.items():
        tensors = [torch.empty_strided(shape, stride, dtype=dtype, device=device).normal_() for shape, stride in layout]
        times = []
        for _ in range(2 + repeat):
            sync(device == 'cuda')
            start = time.perf_counter()
            func(*tensors)
            sync(device == 'cuda')
            times.append(time.perf_counter() - start)
        total += statistics.median(times[2:]) * count
    return total


def learn_step_time(policy, stacked: Callable[[], dict], mixed: bool, cuda: bool, repeat: int) -> float:
    """Median seconds of ``learn_mode.forward`` on stacked batches, after 2 warm-up calls."""
    return statistics.median(learn_step_times(policy, stacked, mixed, cuda, repeat, warmup=2))


def measure_cell(n_agent: int, batch: int, rounds: int, repeat: int, cuda: bool) -> Dict[str, float]:
    """GFLOP, floors and learn steps of one (A, B) cell; times in seconds (medians over ``rounds``)."""
    device = 'cuda' if cuda else 'cpu'
    policy, _, stacked, _ = build(n_agent, batch, cuda)
    learn_step_time(policy, stacked, mixed=False, cuda=cuda, repeat=1)  # the dQ queue fills, shapes settle
    recorder, flops = MatmulRecorder(), FlopCounterMode(display=False)
    with recorder, flops:
        policy.learn_mode.forward(stacked())
    samples: Dict[str, List[float]] = {'floor_fp32': [], 'floor_bf16': [], 'step_fp32': [], 'step_bf16': []}
    for _ in range(rounds):
        samples['floor_fp32'].append(replay_floor(recorder.products, torch.float32, device, repeat))
        samples['step_fp32'].append(learn_step_time(policy, stacked, False, cuda, repeat))
        samples['floor_bf16'].append(replay_floor(recorder.products, torch.bfloat16, device, repeat))
        samples['step_bf16'].append(learn_step_time(policy, stacked, True, cuda, repeat))
    result = {key: statistics.median(values) for key, values in samples.items()}
    result['gflop'] = flops.get_total_flops() / 1e9
    result['products'] = sum(recorder.products.values())
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='Learn step of ding_atoc against the floor of its matrix products')
    parser.add_argument('--cells', nargs='+', default=['20x64', '100x256'], help='AxB: agents x batch size')
    parser.add_argument('--rounds', type=int, default=3, help='alternating floor/step measurements (median taken)')
    parser.add_argument('--repeat', type=int, default=5, help='timed calls per measurement')
    parser.add_argument('--cuda', action='store_true', help='measure on the GPU; exit 1 if there is none')
    args = parser.parse_args(argv)
    if args.cuda and not torch.cuda.is_available():
        print('--cuda: the GPU is not available (torch.cuda.is_available() is False)', file=sys.stderr)
        return 1
    torch.set_num_threads(1)
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # ``build`` reads configs/ from here
    device = torch.cuda.get_device_name() if args.cuda else 'CPU, 1 thread'
    print(f'ding_atoc learn step against the floor of its matrix products, default config, {device}, torch '
          f'{torch.__version__}; median of {args.rounds} alternating rounds of {args.repeat} calls; load average at '
          f'start {os.getloadavg()[0]:.2f}\n')
    print('| A | B | GFLOP per step | matrix products | floor fp32 (ms) | rate fp32 (GFLOP/s) | floor bf16 (ms) '
          '| rate bf16 (GFLOP/s) | step fp32 (ms) | step bf16 (ms) | step / floor, fp32 | step / floor, bf16 |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|')
    for cell in args.cells:
        n_agent, batch = map(int, cell.split('x'))
        r = measure_cell(n_agent, batch, args.rounds, args.repeat, args.cuda)
        print(f"| {n_agent} | {batch} | {r['gflop']:.2f} | {r['products']} | {r['floor_fp32'] * 1e3:.1f} | "
              f"{r['gflop'] / r['floor_fp32']:.0f} | {r['floor_bf16'] * 1e3:.1f} | {r['gflop'] / r['floor_bf16']:.0f} | "
              f"{r['step_fp32'] * 1e3:.1f} | {r['step_bf16'] * 1e3:.1f} | {r['step_fp32'] / r['floor_fp32']:.1f} | "
              f"{r['step_bf16'] / r['floor_bf16']:.1f} |", flush=True)
    print(f'\nload average at the end {os.getloadavg()[0]:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
