"""
Overview:
    Speed benchmark of DI-engine's built-in ATOC (policy ``atoc``, ``ding/policy/atoc.py``; model
    ``ding/model/template/atoc.py``) against ``ding_atoc`` (``DingATOCPolicy`` with ``DingATOC``). Both are built in
    one process and timed on the same synthetic data, cell by cell, interleaved call by call, so that the noise of a
    shared machine hits both alike.

    For every number of agents A (``--agents``) and batch size B (``--batch``) it times:

    - **collect**: one batched collect forward with dQ, under ``torch.no_grad``, without per-environment collate,
      decollate or action noise. Built-in: ``model.compute_actor(obs, get_delta_q=True)``, the call its
      ``_forward_collect`` makes. Ours: ``model.compute_structure(..., explore=True)``, ``model.compute_actor`` and
      ``policy._record_gain`` (dQ of every new group, pushed to the dQ queue).
    - **learn**: one ``policy._forward_learn(batch)`` with a list of B transitions in each policy's own format
      (collate included, as in DI-engine's pipelines). Every call gets a new batch of B drawn from a pool of 2B
      transitions, as from a replay buffer, so that ours meets new group counts (new tensor shapes) every call.

    Sizes are matched where both models allow it: obs dim 18, action 2, thought 64 (``--thought``), 128 hidden
    units (``--hidden``) in thought encoder, actor head and critic (critic: two hidden layers in both), attention
    unit 64 hidden, groups of an initiator plus 3 collaborators (``group_size=3`` for ours, ``agent_per_group=4``
    for the built-in, whose count includes the initiator). Not configurable in the built-in: its actor head mu_II
    has three hidden layers (ours one) and its attention unit two (ours one). Observations are random; ours also
    gets ``agent_distance`` from random 2-D positions, finite for the 5 nearest agents and ``inf`` elsewhere (the
    built-in groups by distances between thoughts); our transitions carry the structure our model decides on them.

    Both attention units are calibrated on the data (output layer rescaled to logits of median 0 and unit
    spread) so that about half of the agents initiate in both, and both policies are restored to that state,
    untimed, before every timed call: the built-in thresholds p_i at 0.5 even in collection, so with a random
    init its share could be anything from none to all, and its attention loss (on initiators only) drives the
    share to zero within a few learning steps, which would leave it no grouping and no dQ to compute. The table's
    last column gives the shares seen in collection. The built-in's ``delta_q`` in its transitions is uniform in
    [0, 1], as its ``_get_train_sample`` would normalise it.

    Each timing is the median of ``--repeat`` calls after warm-up. A built-in call whose estimated time (from the
    largest cell measured so far, scaling with A^2 x B) exceeds 60 s, or the time left of ``--budget``, is skipped
    and reported as ``skipped (est. N s)``; a built-in call over 1 s is not warmed up and is repeated only while
    its cell stays under about 20 s. Ratios are built-in / ours.

    Timings on a shared machine: with torch's default of one intra-op thread per core, every other busy process
    stalls torch's parallel regions, and small batched ops (ours) slow down by 10 to 100 times while the built-in's
    Python loops barely notice. The header prints the thread count and the load average; where the load is not
    near 0, compare with ``--threads 1``.

Usage:
    Ours against an older commit of ours (the fast learner against 490d848), default config: see
    ``bench/old_vs_new.py``, which this forwards to:

        python bench/speed.py --against 490d848 --cells 20x64 100x256

    Full table on the CPU (about 10 to 15 minutes on 2 cores):

        python bench/speed.py

    One cell, ours only, or on the GPU (exits 1 when there is none):

        python bench/speed.py --agents 20 --batch 64 --repeat 5
        python bench/speed.py --no-builtin --agents 100 --batch 256
        python bench/speed.py --cuda
        python bench/speed.py --threads 1

    Hotspots of ours (cProfile and torch.profiler of one collect and one learn step per cell):

        python bench/speed.py --no-builtin --agents 100 --batch 256 --profile

Goals (from the issue): ratio >= 100 for collect and learn at A=20, B=64; ours under 50 ms per learn step at
A=100, B=256 on the CPU.
"""
import argparse
import cProfile
import copy
import io
import math
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from ding.model.template.atoc import ATOC
from ding.policy.atoc import ATOCPolicy
from ding.utils import deep_merge_dicts
from easydict import EasyDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's ding_atoc, installed or not
from ding_atoc import DingATOC, DingATOCPolicy
from ding_atoc.obs_keys import AGENT_DISTANCE, AGENT_STATE

OBS_SHAPE = 18
ACTION_SHAPE = 2
GROUP_SIZE = 3  # collaborators per initiator (ours); the built-in counts the initiator too
FIELD_SIZE = 5  # agents inside each agent's observable field (nearest first)
MAX_CALL_S = 60.0  # a built-in call estimated above this is skipped
LONG_CALL_S = 1.0  # a built-in call above this is not warmed up
CELL_BUILTIN_S = 20.0  # repeat a long built-in call only while its cell stays under this


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Speed of DI-engine ATOC vs ding_atoc (collect with dQ, learn step)')
    parser.add_argument('--agents', type=int, nargs='+', default=[5, 10, 20, 50, 100], help='numbers of agents A')
    parser.add_argument('--batch', type=int, nargs='+', default=[64, 256], help='batch sizes B')
    parser.add_argument('--repeat', type=int, default=5, help='timed calls per measurement (median reported)')
    parser.add_argument('--cuda', action='store_true', help='run both on the GPU; exit 1 if there is none')
    parser.add_argument('--no-builtin', action='store_true', help="time ours only, not DI-engine's ATOC")
    parser.add_argument('--budget', type=float, default=900.0, help='seconds the whole run should roughly take')
    parser.add_argument('--profile', action='store_true', help='profile ours (collect and learn) at every cell')
    parser.add_argument('--thought', type=int, default=64, help='thought size (both; even)')
    parser.add_argument('--hidden', type=int, default=128, help='hidden units of encoder, actor head, critic (both)')
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: torch default)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if min(args.agents) <= GROUP_SIZE or args.repeat < 1 or min(args.batch) < 1:
        parser.error(f'agents must exceed the group size {GROUP_SIZE}; batch and repeat must be positive')
    return args


# ---------------------------------------------------------------- synthetic data


def field_distance(position: torch.Tensor, field_size: int) -> torch.Tensor:
    """
    Overview:
        Pairwise distances, finite only for the ``field_size`` nearest other agents (the observable field).
    Shapes:
        - position: :math:`(B, A, 2)`
        - distance: :math:`(B, A, A)`, ``inf`` outside the field and on the diagonal
    """
    distance = torch.cdist(position, position)
    n_agent = position.shape[1]
    distance.diagonal(dim1=1, dim2=2).fill_(float('inf'))
    k = min(field_size, n_agent - 1)
    nearest = distance.topk(k, dim=-1, largest=False).indices
    field = torch.zeros_like(distance, dtype=torch.bool).scatter_(-1, nearest, True)
    return torch.where(field, distance, torch.full_like(distance, float('inf')))


def make_data(n_agent: int, batch: int, generator: torch.Generator) -> Dict[str, torch.Tensor]:
    """
    Overview:
        One batch of synthetic transitions shared by both implementations: agent states, distances inside the
        observable fields (for ours), next step of both, team reward, done flags, action and the built-in's dQ.
    """
    def randn(*shape):
        return torch.randn(*shape, generator=generator)

    position = randn(batch, n_agent, 2) * math.sqrt(n_agent)  # density independent of A
    next_position = position + 0.1 * randn(batch, n_agent, 2)
    return {
        'state': randn(batch, n_agent, OBS_SHAPE),
        'next_state': randn(batch, n_agent, OBS_SHAPE),
        'distance': field_distance(position, FIELD_SIZE),
        'next_distance': field_distance(next_position, FIELD_SIZE),
        'action': torch.rand(batch, n_agent, ACTION_SHAPE, generator=generator) * 2 - 1,
        'reward': randn(batch, 1),
        'done': torch.rand(batch, generator=generator) < 0.01,
        'delta_q': torch.rand(batch, n_agent, generator=generator),
    }


def ours_obs(data: Dict[str, torch.Tensor], nxt: bool = False) -> Dict[str, torch.Tensor]:
    prefix = 'next_' if nxt else ''
    return {AGENT_STATE: data[prefix + 'state'], AGENT_DISTANCE: data[prefix + 'distance']}


def ours_transitions(model: DingATOC, data: Dict[str, torch.Tensor]) -> List[Dict]:
    """
    Overview:
        B transitions as ``DingATOCPolicy._process_transition`` makes them, with the structure of our model
        (sampled initiators) on the observations, so that groups and rounds are realistic.
    """
    with torch.no_grad():
        structure = model.compute_structure({'obs': ours_obs(data)}, explore=True)
    transitions = []
    for b in range(data['state'].shape[0]):
        transitions.append({
            'obs': {AGENT_STATE: data['state'][b], AGENT_DISTANCE: data['distance'][b]},
            'next_obs': {AGENT_STATE: data['next_state'][b], AGENT_DISTANCE: data['next_distance'][b]},
            'action': data['action'][b],
            'reward': data['reward'][b],
            'done': data['done'][b],
            'initiator': structure['initiator'][b],
            'group': structure['group'][b],
            'group_round': structure['group_round'][b],
        })
    return transitions


def builtin_transitions(data: Dict[str, torch.Tensor]) -> List[Dict]:
    """B transitions as the built-in ``ATOCPolicy._process_transition`` and ``_get_train_sample`` make them."""
    return [{
        'obs': data['state'][b],
        'next_obs': data['next_state'][b],
        'action': data['action'][b],
        'delta_q': data['delta_q'][b],
        'reward': data['reward'][b],
        'done': data['done'][b],
    } for b in range(data['state'].shape[0])]


# ---------------------------------------------------------------- models and policies


def last_linear(module: nn.Module) -> nn.Linear:
    return [m for m in module.modules() if isinstance(m, nn.Linear)][-1]


def calibrate(layer: nn.Linear, logit: torch.Tensor) -> None:
    """
    Overview:
        Rescale the output layer of an attention unit so that its logits on the data have median 0 and unit
        standard deviation: about half of the agents initiate, and the few optimiser steps of the benchmark (which
        also train the attention unit) do not move all of them across the threshold at once.
    """
    with torch.no_grad():
        scale = logit.std().clamp(min=1e-8)
        layer.weight /= scale
        layer.bias.copy_((layer.bias - logit.median()) / scale)


def build_ours(n_agent: int, state: torch.Tensor, args: argparse.Namespace) -> DingATOCPolicy:
    model_cfg = dict(
        obs_shape=OBS_SHAPE,
        action_shape=ACTION_SHAPE,
        n_agent=n_agent,
        thought_size=args.thought,
        encoder_hidden_size=args.hidden,
        encoder_layer_num=2,
        actor_hidden_size=args.hidden,
        critic_hidden_size=args.hidden,
        attention_hidden_size=64,  # the built-in's attention unit has 64 (not configurable)
        group_size=GROUP_SIZE,
    )
    cfg = EasyDict(deep_merge_dicts(DingATOCPolicy.default_config(), dict(cuda=args.cuda, model=model_cfg)))
    model_kwargs = {k: v for k, v in cfg.model.items() if k != 'type'}
    model = DingATOC(**model_kwargs)
    with torch.no_grad():
        calibrate(last_linear(model.attention_unit), model.initiator_logit(model.thought({AGENT_STATE: state})))
    return DingATOCPolicy(cfg, model=model, enable_field=['learn', 'collect'])


def build_builtin(n_agent: int, state: torch.Tensor, args: argparse.Namespace) -> ATOCPolicy:
    model_cfg = dict(
        obs_shape=OBS_SHAPE,
        action_shape=ACTION_SHAPE,
        n_agent=n_agent,
        thought_size=args.thought,
        communication=True,
        agent_per_group=GROUP_SIZE + 1,  # the built-in's group includes the initiator
        actor_1_embedding_size=args.hidden,
        actor_2_embedding_size=args.hidden,
        critic_head_hidden_size=args.hidden,
        critic_head_layer_num=1,  # Linear + RegressionHead(1): two hidden layers, as ours
    )
    cfg = EasyDict(deep_merge_dicts(ATOCPolicy.default_config(), dict(cuda=args.cuda, model=model_cfg)))
    model = ATOC(**model_cfg)
    with torch.no_grad():
        prob = model.actor.attention(model.actor.actor_1(state))
        calibrate(model.actor.attention._fc3, torch.logit(prob.double(), eps=1e-12).float())
    return ATOCPolicy(cfg, model=model, enable_field=['learn', 'collect'])


def restorer(policy) -> Callable[[], None]:
    """
    Overview:
        A function that puts the policy's network and target network back to their state now (the calibrated
        one). Called untimed before every timed call: learning steps train the attention unit and the thought
        encoder, and the built-in's attention loss, applied to initiators only, soon drives its share of
        initiators to zero, which would leave it little grouping and no dQ to compute.
    """
    modules = {'model': policy._model, 'target': policy._target_model}
    saved = {name: copy.deepcopy(module.state_dict()) for name, module in modules.items()}

    def restore() -> None:
        for name, module in modules.items():
            module.load_state_dict(saved[name])

    return restore


# ---------------------------------------------------------------- the timed calls


def ours_collect_fn(policy: DingATOCPolicy, obs: Dict[str, torch.Tensor], share: List[float]) -> Callable[[], None]:
    """Batched collect path of ours: structure (sampled initiators), actions with and without communication, dQ."""
    model = policy._model
    batch = obs[AGENT_STATE].shape[0]
    renewed = torch.ones(batch, dtype=torch.bool, device=obs[AGENT_STATE].device)

    def run() -> None:
        with torch.no_grad():
            structure = model.compute_structure({'obs': obs}, explore=True)
            actor = model.compute_actor({'obs': obs, **structure})
            policy._record_gain(obs, actor, {**structure, 'renewed': renewed})
        share[:] = [structure['initiator'].float().mean().item()]

    return run


def builtin_collect_fn(policy: ATOCPolicy, state: torch.Tensor, share: List[float]) -> Callable[[], None]:
    """The built-in collect forward: ``compute_actor`` with ``get_delta_q=True``, as its ``_forward_collect``."""
    model = policy._model

    def run() -> None:
        with torch.no_grad():
            output = model.compute_actor(state, get_delta_q=True)
        share[:] = [output['is_initiator'].float().mean().item()]

    return run


def learn_fn(policy, pool: List[Dict], batches: List[List[int]]) -> Callable[[], None]:
    """
    Overview:
        One ``_forward_learn`` per call, each on the next of ``batches`` (indices into ``pool``), as a replay buffer
        would sample: every call sees new group counts, so new tensor shapes (oneDNN caches its LSTM primitives by
        shape, so replaying one batch would flatter ours).
    """
    count = [0]

    def run() -> None:
        index = batches[count[0] % len(batches)]
        count[0] += 1
        policy._forward_learn([pool[i] for i in index])

    return run


# ---------------------------------------------------------------- timing


def synchronize(cuda: bool) -> None:
    if cuda:
        torch.cuda.synchronize()


def timed(fn: Callable[[], None], cuda: bool, prepare: Optional[Callable[[], None]] = None) -> float:
    """Seconds of one call of ``fn``; ``prepare`` runs before it, untimed."""
    if prepare is not None:
        prepare()
    synchronize(cuda)
    start = time.perf_counter()
    fn()
    synchronize(cuda)
    return time.perf_counter() - start


class CostModel:
    """
    Overview:
        Estimates a built-in call from the largest cell measured so far, assuming its time grows with A^2 x B
        (its Python loops run over batch x agents x agents; this overestimates at larger A, so it skips early).
    """

    def __init__(self) -> None:
        self._work, self._seconds = 0, 0.0

    def add(self, n_agent: int, batch: int, seconds: float) -> None:
        work = n_agent * n_agent * batch
        if work >= self._work:
            self._work, self._seconds = work, seconds

    def estimate(self, n_agent: int, batch: int) -> Optional[float]:
        if self._work == 0:
            return None
        return self._seconds * n_agent * n_agent * batch / self._work


def measure(
        ours: Callable[[], None], builtin: Optional[Callable[[], None]], repeat: int, cuda: bool,
        prepare: Dict[str, Callable[[], None]]
) -> Tuple[float, Optional[float]]:
    """
    Overview:
        Median seconds of ``ours`` and ``builtin`` (None: not timed), calls interleaved after warm-up, each call
        after its untimed ``prepare['ours']`` / ``prepare['builtin']``. A built-in call longer than ``LONG_CALL_S``
        counts its first call as a sample and is repeated only within ``CELL_BUILTIN_S``.
    """
    for _ in range(2):
        timed(ours, cuda, prepare['ours'])
    builtin_times: List[float] = []
    builtin_repeat = repeat if builtin is not None else 0
    if builtin is not None:
        first = timed(builtin, cuda, prepare['builtin'])
        if first > LONG_CALL_S:
            builtin_times.append(first)
            builtin_repeat = min(repeat, max(1, int(CELL_BUILTIN_S // first)))
    ours_times = []
    for _ in range(repeat):
        ours_times.append(timed(ours, cuda, prepare['ours']))
        if len(builtin_times) < builtin_repeat:
            builtin_times.append(timed(builtin, cuda, prepare['builtin']))
    return statistics.median(ours_times), statistics.median(builtin_times) if builtin_times else None


# ---------------------------------------------------------------- profiling


def profile_ours(name: str, fn: Callable[[], None], cuda: bool, top: int = 20) -> None:
    """Print the Python hotspots (cProfile, by total time) and the torch operators (by self CPU time) of one call."""
    for _ in range(2):
        fn()
    profiler = cProfile.Profile()
    synchronize(cuda)
    profiler.enable()
    fn()
    synchronize(cuda)
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats('tottime').print_stats(top)
    print(f'\n#### cProfile of ours, {name} (by tottime)\n```\n{stream.getvalue().strip()}\n```')
    activities = [torch.profiler.ProfilerActivity.CPU]
    if cuda:
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        fn()
        synchronize(cuda)
    table = prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=top)
    print(f'\n#### torch.profiler of ours, {name} (by self CPU time)\n```\n{table}\n```')


# ---------------------------------------------------------------- report


def fmt_ms(seconds: Optional[float], skipped: Optional[str] = None) -> str:
    if skipped is not None:
        return skipped
    return '-' if seconds is None else f'{seconds * 1e3:.1f}'


def fmt_ratio(builtin: Optional[float], ours: float) -> str:
    return '-' if builtin is None else f'{builtin / ours:.0f}x'


def print_header() -> None:
    columns = [
        'A', 'B', 'built-in collect (ms)', 'ours collect (ms)', 'ratio', 'built-in learn (ms)', 'ours learn (ms)',
        'ratio', 'initiators built-in / ours'
    ]
    print('| ' + ' | '.join(columns) + ' |')
    print('|' + '|'.join('---' for _ in columns) + '|', flush=True)


def run_cell(
        n_agent: int, batch: int, policies: Dict, args: argparse.Namespace, costs: Dict[str, CostModel],
        deadline: float, generator: torch.Generator
) -> Tuple[str, Dict[str, Tuple]]:
    """Time one (A, B) cell; return its table row and, per kind, (built-in s, ours s, skipped note)."""
    ours, builtin = policies['ours'], policies.get('builtin')
    device = 'cuda' if args.cuda else 'cpu'
    # A pool of 2B transitions (the first B are also the collect batch); each learn call samples B of them.
    data = make_data(n_agent, 2 * batch, generator)
    our_pool = ours_transitions(ours._model, {k: v.to(device) for k, v in data.items()})
    our_pool = [{k: _to_cpu(v) for k, v in t.items()} for t in our_pool]
    batches = [torch.randperm(2 * batch, generator=generator)[:batch].tolist() for _ in range(args.repeat + 8)]
    obs = {k: v[:batch].to(device) for k, v in ours_obs(data).items()}
    state = data['state'][:batch].to(device)
    share, builtin_share = [float('nan')], [float('nan')]
    timed_ours = {'collect': ours_collect_fn(ours, obs, share), 'learn': learn_fn(ours, our_pool, batches)}
    timed_builtin = {}
    if builtin is not None:
        timed_builtin = {
            'collect': builtin_collect_fn(builtin, state, builtin_share),
            'learn': learn_fn(builtin, builtin_transitions(data), batches)
        }

    cells = {}
    for kind in ('collect', 'learn'):
        builtin_fn, skipped = timed_builtin.get(kind), None
        if builtin_fn is not None:
            estimate = costs[kind].estimate(n_agent, batch)
            left = deadline - time.perf_counter()
            if estimate is not None and (estimate > MAX_CALL_S or estimate > left):
                builtin_fn, skipped = None, f'skipped (est. {estimate:.0f} s)'
        t_ours, t_builtin = measure(timed_ours[kind], builtin_fn, args.repeat, args.cuda, policies['prepare'])
        if t_builtin is not None:
            costs[kind].add(n_agent, batch, t_builtin)
        cells[kind] = (t_builtin, t_ours, skipped)
        if args.profile:
            profile_ours(f'{kind}, A={n_agent}, B={batch}', timed_ours[kind], args.cuda)

    row = [str(n_agent), str(batch)]
    for kind in ('collect', 'learn'):
        t_builtin, t_ours, skipped = cells[kind]
        row += [fmt_ms(t_builtin, skipped), fmt_ms(t_ours), fmt_ratio(t_builtin, t_ours)]
    row.append(f'{builtin_share[0]:.2f} / {share[0]:.2f}'.replace('nan', '-'))
    return '| ' + ' | '.join(row) + ' |', cells


def _to_cpu(value):
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    return value.cpu()


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(arg.startswith('--against') for arg in argv):  # ours against an older commit of ours
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from bench import old_vs_new
        return old_vs_new.main(argv)
    args = parse_args(argv)
    if args.cuda and not torch.cuda.is_available():
        print('--cuda: the GPU is not available (torch.cuda.is_available() is False)', file=sys.stderr)
        return 1
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    deadline = start + args.budget
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    device = torch.cuda.get_device_name() if args.cuda else 'CPU'
    print(f'# ATOC speed: built-in (DI-engine) vs ding_atoc on {device}')
    print(
        f'torch {torch.__version__}, torch.get_num_threads()={torch.get_num_threads()} of {os.cpu_count()} CPUs, '
        f'load average at start {os.getloadavg()[0]:.2f}, repeat={args.repeat}, '
        f'obs {OBS_SHAPE}, action {ACTION_SHAPE}, thought {args.thought}, hidden {args.hidden}, '
        f'group = initiator + {GROUP_SIZE}, field = {FIELD_SIZE} nearest\n'
    )
    print_header()
    costs = {'collect': CostModel(), 'learn': CostModel()}
    results = {}
    for n_agent in sorted(args.agents):
        calibration_state = make_data(n_agent, 64, torch.Generator().manual_seed(args.seed + n_agent))['state']
        policies = {'ours': build_ours(n_agent, calibration_state, args)}
        if not args.no_builtin:
            policies['builtin'] = build_builtin(n_agent, calibration_state, args)
        policies['prepare'] = {name: restorer(policy) for name, policy in policies.items()}
        policies['prepare'].setdefault('builtin', None)
        for batch in sorted(args.batch):
            row, results[n_agent, batch] = run_cell(n_agent, batch, policies, args, costs, deadline, generator)
            print(row, flush=True)
    print(
        f'\nratio = built-in / ours; total {time.perf_counter() - start:.0f} s; '
        f'load average at the end {os.getloadavg()[0]:.2f}'
    )
    print_goals(results)
    return 0


def print_goals(results: Dict[Tuple[int, int], Dict[str, Tuple]]) -> None:
    """The issue's goals, for the cells that were run."""
    if (20, 64) in results:
        for kind in ('collect', 'learn'):
            t_builtin, t_ours, _ = results[20, 64][kind]
            if t_builtin is not None:
                ratio = t_builtin / t_ours
                verdict = 'met' if ratio >= 100 else 'NOT met'
                print(f'goal: {kind} ratio >= 100 at A=20, B=64: {ratio:.0f}x, {verdict}')
    if (100, 256) in results:
        t_ours = results[100, 256]['learn'][1]
        verdict = 'met' if t_ours < 0.05 else 'NOT met'
        print(f'goal: ours learn step < 50 ms at A=100, B=256: {t_ours * 1e3:.1f} ms, {verdict}')


if __name__ == '__main__':
    sys.exit(main())
