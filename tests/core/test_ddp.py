"""
Data-parallel learning of ding_atoc (``policy.multi_gpu=True``) on CPU with gloo, two ranks forked from the test
process: gradients averaged over ranks, the dQ queue shared, a dead rank raising instead of hanging.
"""
import multiprocessing
import os
import socket
import time
import traceback

import pytest
import torch

import ding_atoc  # noqa: F401  (registers the policy and model)
from ding_atoc.distributed import DDPContext, all_gather_rows
from tests.core.helpers import make_policy
from tests.core.test_policy import collect_transitions

WORLD = 2
LEARN_STEPS, BATCH = 3, 8
#: Collectives of these tests wait this long for a missing rank before they raise.
TIMEOUT_S = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _rank_main(rank: int, port: int, folder: str, body, timeout_s: float) -> None:
    """One forked rank: join the group, run ``body(rank, folder)``, save an error's traceback and exit with 1."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD))
    torch.set_num_threads(1)
    try:
        with DDPContext(timeout_s=timeout_s):
            body(rank, folder)
    except BaseException:
        with open(os.path.join(folder, f'error{rank}.txt'), 'w') as f:
            f.write(traceback.format_exc())
        os._exit(1)
    os._exit(0)


def run_ranks(body, folder: str, bound_s: float = 60.0, timeout_s: float = TIMEOUT_S):
    """
    Run ``body(rank, folder)`` in ``WORLD`` forked ranks of one gloo group whose collectives wait ``timeout_s``;
    returns (exit codes, error texts, seconds from the start until each rank ended). Ranks still alive after
    ``bound_s`` are killed (exit code None).
    """
    port = _free_port()
    fork = multiprocessing.get_context('fork')
    ranks = [fork.Process(target=_rank_main, args=(rank, port, folder, body, timeout_s)) for rank in range(WORLD)]
    start = time.monotonic()
    for process in ranks:
        process.start()
    ended_s = [None] * WORLD
    while any(ended is None for ended in ended_s) and time.monotonic() - start < bound_s:
        for rank, process in enumerate(ranks):
            if ended_s[rank] is None and not process.is_alive():
                ended_s[rank] = time.monotonic() - start
        time.sleep(0.05)
    codes = []
    for process in ranks:
        if process.is_alive():
            process.kill()
            process.join()
            codes.append(None)
        else:
            process.join()
            codes.append(process.exitcode)
    errors = {}
    for rank in range(WORLD):
        path = os.path.join(folder, f'error{rank}.txt')
        if os.path.exists(path):
            with open(path) as f:
                errors[rank] = f.read()
    return codes, errors, ended_s


def _policy(multi_gpu: bool):
    # attention_batch_size: each step samples from the queue; both setups draw the same indices (same seed, same size).
    return make_policy(multi_gpu=multi_gpu, learn=dict(batch_size=BATCH, attention_batch_size=16))


def _learn_on_own_data(rank: int, folder: str) -> None:
    torch.manual_seed(rank)  # different initial weights, exploration and data on each rank
    policy = _policy(multi_gpu=True)
    initial = {key: value.clone() for key, value in policy.learn_mode.state_dict()['model'].items()}
    transitions = collect_transitions(policy, steps=LEARN_STEPS * BATCH // 2)
    pairs = torch.cat(policy._gain_queue._unshared)
    torch.manual_seed(1234)  # the same attention-queue samples on every rank and in the single process
    infos = [policy.learn_mode.forward(transitions[k * BATCH:(k + 1) * BATCH]) for k in range(LEARN_STEPS)]
    state = policy.learn_mode.state_dict()
    torch.save({
        'initial': initial, 'transitions': transitions, 'pairs': pairs, 'model': state['model'],
        'target_model': state['target_model'], 'dq_queue': state['dq_queue'], 'attention_loss': infos[-1]['attention_loss']
    }, os.path.join(folder, f'rank{rank}.pt'))


def test_ranks_stay_equal_and_match_one_process_on_the_union_of_their_batches(in_tmp_path_one_thread):
    folder = str(in_tmp_path_one_thread)
    codes, errors, _ = run_ranks(_learn_on_own_data, folder)
    assert codes == [0, 0], errors
    ranks = [torch.load(os.path.join(folder, f'rank{r}.pt'), weights_only=False) for r in range(WORLD)]
    # the ranks started from rank 0's weights (torch.manual_seed(rank) gave each its own) and learnt on different data
    for key, value in ranks[1]['initial'].items():
        assert torch.equal(value, ranks[0]['initial'][key]), key
    assert not torch.equal(ranks[0]['transitions'][0]['obs']['agent_state'], ranks[1]['transitions'][0]['obs']['agent_state'])
    assert ranks[0]['attention_loss'] > 0  # the attention unit learnt too
    for part in ('model', 'target_model'):
        for key, value in ranks[0][part].items():
            assert torch.equal(value, ranks[1][part][key]), f'{part}.{key} differs between ranks'
    # every rank's dQ queue holds the pairs of both ranks, rank 0's first
    pairs = torch.cat([ranks[0]['pairs'], ranks[1]['pairs']])
    assert len(ranks[0]['pairs']) > 0 and len(ranks[1]['pairs']) > 0
    for rank in ranks:
        queue = rank['dq_queue']
        assert queue['size'] == len(pairs)
        assert torch.equal(queue['obs'][:len(pairs)], pairs[:, :-1])
        assert torch.equal(queue['gain'][:len(pairs)], pairs[:, -1])

    single = _policy(multi_gpu=False)
    single.learn_mode.load_state_dict({**single.learn_mode.state_dict(), 'model': ranks[0]['initial'],
                                       'target_model': ranks[0]['initial']})
    single._gain_queue.push(pairs[:, :-1], pairs[:, -1])
    torch.manual_seed(1234)
    for k in range(LEARN_STEPS):
        union = [t for rank in ranks for t in rank['transitions'][k * BATCH:(k + 1) * BATCH]]
        single.learn_mode.forward(union)
    state = single.learn_mode.state_dict()
    moved = 0.0
    for part in ('model', 'target_model'):
        for key, value in state[part].items():
            assert torch.allclose(value, ranks[0][part][key], atol=1e-5, rtol=0), f'{part}.{key}'
            moved = max(moved, (value - ranks[0]['initial'][key]).abs().max().item())
    assert moved > 1e-3  # learning moved the weights by far more than the tolerance


def _gather_rows_of_different_counts(rank: int, folder: str) -> None:
    rows = torch.full((rank + 2, 3), float(rank))
    torch.save(all_gather_rows(rows), os.path.join(folder, f'rank{rank}.pt'))


def test_all_gather_rows_joins_different_counts_in_rank_order(in_tmp_path_one_thread):
    folder = str(in_tmp_path_one_thread)
    codes, errors, _ = run_ranks(_gather_rows_of_different_counts, folder)
    assert codes == [0, 0], errors
    expected = torch.tensor([[0.0] * 3] * 2 + [[1.0] * 3] * 3)
    for rank in range(WORLD):
        assert torch.equal(torch.load(os.path.join(folder, f'rank{rank}.pt')), expected)


def _rank_one_dies_before_learning(rank: int, folder: str) -> None:
    policy = _policy(multi_gpu=True)
    transitions = collect_transitions(policy, steps=BATCH // 2)
    if rank == 1:
        os._exit(3)  # a crash: no clean shutdown of the group
    for _ in range(100):
        policy.learn_mode.forward(transitions)


def test_a_dead_rank_stops_the_other_with_an_error_instead_of_a_hang(in_tmp_path_one_thread):
    folder = str(in_tmp_path_one_thread)
    codes, errors, ended_s = run_ranks(_rank_one_dies_before_learning, folder, bound_s=TIMEOUT_S + 30)
    assert codes == [1, 3], errors
    assert ended_s[0] < TIMEOUT_S + 20
    assert 'rank 0: a collective with the other ranks failed, so another rank has stopped' in errors[0], errors[0]


def _rank_one_stalls_before_learning(rank: int, folder: str) -> None:
    policy = _policy(multi_gpu=True)
    transitions = collect_transitions(policy, steps=BATCH // 2)
    if rank == 1:
        time.sleep(4 * STALL_TIMEOUT_S)  # alive but silent: only the timeout can stop rank 0
        return
    with open(os.path.join(folder, 'learning_since'), 'w') as f:
        f.write(str(time.time()))
    policy.learn_mode.forward(transitions)


#: The group timeout of the stalled-rank test (short: the test waits for it).
STALL_TIMEOUT_S = 2.0


def test_a_silent_rank_stops_the_other_after_the_group_timeout(in_tmp_path_one_thread):
    folder = str(in_tmp_path_one_thread)
    codes, errors, _ = run_ranks(
        _rank_one_stalls_before_learning, folder, bound_s=8 * STALL_TIMEOUT_S, timeout_s=STALL_TIMEOUT_S
    )
    assert codes == [1, 0], errors
    with open(os.path.join(folder, 'learning_since')) as f:
        waited_s = os.path.getmtime(os.path.join(folder, 'error0.txt')) - float(f.read())
    # rank 1 stayed silent for 4 timeouts: rank 0 gave up after one
    assert STALL_TIMEOUT_S - 0.5 < waited_s < 3 * STALL_TIMEOUT_S, waited_s
    assert f'did not answer within {STALL_TIMEOUT_S:.0f} s' in errors[0], errors[0]


def test_multi_gpu_without_a_process_group_is_refused():
    with pytest.raises(ValueError, match='torchrun'):
        _policy(multi_gpu=True)


def test_ddp_context_refuses_to_start_without_a_launcher(monkeypatch):
    for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match='torchrun'):
        with DDPContext(backend='gloo'):
            pass
    with pytest.raises(ValueError, match='timeout_s'):
        DDPContext(timeout_s=0)
