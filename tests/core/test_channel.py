"""
Specification of the channel schedules: the compact per-round schedule (default) and the static-shape schedule
(``max_rounds``, for CUDA graphs) integrate the same thoughts with the same gradients, and
the static one reports the groups it could not fit.
"""
import pytest
import torch

from ding_atoc.model import AttentionChannel, BiLSTMChannel, communication_structure, integrate_groups
from ding_atoc.model import channel as channel_module
from ding_atoc.model.channel import shape_bucket
from tests.conftest import DEVICES
from tests.core.helpers import random_obs

CHANNELS = {'bilstm': BiLSTMChannel, 'attention': AttentionChannel}


def overlapping_structure(batch, n_agent, group_size, device):
    """Every agent initiates inside a small field, so groups overlap and need several serial rounds."""
    obs = random_obs(n_agent, 4, batch, field=min(3, n_agent - 1))
    initiator = torch.rand(batch, n_agent) < 0.7
    structure = communication_structure(initiator, obs['agent_distance'], group_size)
    return {key: value.to(device) for key, value in structure.items()}


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('channel_type', sorted(CHANNELS))
@pytest.mark.parametrize('batch,n_agent,group_size', [(1, 2, 1), (4, 7, 2), (16, 20, 3), (2, 50, 5)])
def test_static_schedule_equals_compact_schedule(device, channel_type, batch, n_agent, group_size):
    channel = CHANNELS[channel_type](8).to(device)
    structure = overlapping_structure(batch, n_agent, group_size, device)
    rounds = int(structure['group_round'].max()) + 1
    thought = torch.randn(batch, n_agent, 8, device=device)
    weight = torch.randn(batch, n_agent, 8, device=device)
    results = []
    for max_rounds in (None, rounds + 2):  # extra rounds of the static schedule integrate nothing
        inputs = thought.clone().requires_grad_()
        integrated, overflow = integrate_groups(channel, inputs, structure, max_rounds)
        (integrated * weight).sum().backward()
        assert not overflow
        results.append((integrated.detach(), inputs.grad))
    (compact, compact_grad), (static, static_grad) = results
    assert torch.allclose(compact, static, atol=1e-6)
    assert torch.allclose(compact_grad, static_grad, atol=1e-6)


def test_static_schedule_flags_groups_beyond_its_rounds():
    structure = overlapping_structure(8, 20, 3, 'cpu')
    rounds = int(structure['group_round'].max()) + 1
    assert rounds >= 2, 'the fixture must need several rounds'
    thought = torch.randn(8, 20, 8)
    _, overflow = integrate_groups(BiLSTMChannel(8), thought, structure, max_rounds=rounds - 1)
    assert overflow
    _, overflow = integrate_groups(BiLSTMChannel(8), thought, structure, max_rounds=rounds)
    assert not overflow


class HostReadError(AssertionError):
    pass


@pytest.fixture
def no_host_reads(monkeypatch):
    """Make every read of a tensor's values back to Python fail, as it would break a CUDA graph capture."""
    def refuse(*args, **kwargs):
        raise HostReadError('a tensor was read back to the host')
    for name in ('item', 'tolist', '__bool__', '__int__', '__float__', '__index__'):
        monkeypatch.setattr(torch.Tensor, name, refuse)


@pytest.mark.parametrize('channel_type', sorted(CHANNELS))
def test_static_schedule_reads_nothing_back_forward_or_backward(channel_type, request):
    from ding_atoc.model import DingATOC
    model = DingATOC(obs_shape=4, action_shape=2, n_agent=20, thought_size=8, group_size=3, channel=channel_type,
                     channel_max_rounds=20)
    structure = overlapping_structure(8, 20, 3, 'cpu')
    obs = {'agent_state': torch.randn(8, 20, 4)}
    request.getfixturevalue('no_host_reads')
    actor = model.compute_actor({'obs': obs, **structure})
    q_value = model.compute_critic({'obs': obs, 'action': actor['action']})['q_value']
    q_value.mean().backward()
    overflow = actor['channel_overflow']
    with pytest.raises(HostReadError):  # the fixture is active: the compact schedule needs the round sizes
        model.channel_max_rounds = None
        model.compute_actor({'obs': obs, **structure})
    assert overflow.dtype == torch.bool


def integrate_op_by_op(channel, thought, structure):
    """The serial rounds written out for autograd op by op, one group at a time: the reference for gradients."""
    batch, n_agent, _ = thought.shape
    state = [list(thought[b].unbind(0)) for b in range(batch)]
    rounds = int(structure['group_round'].max()) + 1
    for round_ in range(rounds):
        for b in range(batch):
            for leader in range(n_agent):
                if structure['group_round'][b, leader] != round_:
                    continue
                members = [m for m in structure['group'][b, leader].tolist() if m >= 0]
                sequence = torch.stack([state[b][m] for m in members]).unsqueeze(0)
                integrated = channel(sequence, torch.tensor([len(members)]))[0]
                for position, member in enumerate(members):
                    state[b][member] = integrated[position]
    return torch.stack([torch.stack(row) for row in state])


@pytest.mark.parametrize('channel_type', sorted(CHANNELS))
@pytest.mark.parametrize('batch,n_agent,group_size', [(2, 6, 2), (3, 12, 3)])
def test_rounds_node_gives_the_gradients_of_the_op_by_op_graph(channel_type, batch, n_agent, group_size):
    torch.manual_seed(4)
    channel = CHANNELS[channel_type](6).double()
    structure = overlapping_structure(batch, n_agent, group_size, 'cpu')
    assert int(structure['group_round'].max()) >= 1, 'the fixture must need several rounds'
    thought = torch.randn(batch, n_agent, 6, dtype=torch.double)
    weight = torch.randn(batch, n_agent, 6, dtype=torch.double)
    grads = []
    for integrate in (lambda x: integrate_groups(channel, x, structure)[0], lambda x: integrate_op_by_op(channel, x, structure)):
        channel.zero_grad()
        inputs = thought.clone().requires_grad_()
        output = integrate(inputs)
        (output * weight).sum().backward()
        grads.append((output.detach(), inputs.grad, [p.grad.clone() for p in channel.parameters()]))
    (ours, ours_input, ours_params), (reference, reference_input, reference_params) = grads
    assert torch.allclose(ours, reference, atol=1e-10)
    assert torch.allclose(ours_input, reference_input, atol=1e-10)
    for mine, theirs in zip(ours_params, reference_params):
        assert torch.allclose(mine, theirs, atol=1e-10)


def test_round_batches_are_padded_to_few_sizes_at_most_an_eighth_larger():
    sizes = [shape_bucket(count) for count in range(1, 4097)]
    assert all(count <= size <= count * 1.125 for count, size in zip(range(1, 4097), sizes))
    assert len(set(sizes[199:300])) <= 8  # 200 to 300 groups per round: a handful of shapes, not 101


@pytest.mark.parametrize('channel_type', sorted(CHANNELS))
def test_padding_a_round_with_empty_groups_changes_no_output_or_gradient(channel_type, monkeypatch):
    thought = torch.randn(6, 9, 8, dtype=torch.float64, requires_grad=True)
    structure = overlapping_structure(6, 9, 2, 'cpu')
    channel = CHANNELS[channel_type](8).double()
    results = []
    for bucket in (lambda count: count, lambda count: 2 * count + 5):
        monkeypatch.setattr(channel_module, 'shape_bucket', bucket)
        integrated, _ = integrate_groups(channel, thought, structure)
        results.append((integrated, *torch.autograd.grad(integrated.square().sum(), [thought, *channel.parameters()])))
    for unpadded, padded in zip(*results):
        torch.testing.assert_close(padded, unpadded, rtol=0, atol=1e-12)


def test_a_second_backward_through_the_rounds_says_what_to_do():
    thought = torch.randn(4, 7, 8, requires_grad=True)
    integrated, _ = integrate_groups(BiLSTMChannel(8), thought, overlapping_structure(4, 7, 2, 'cpu'))
    integrated.sum().backward(retain_graph=True)
    with pytest.raises(RuntimeError, match='a second time .* run the forward again'):
        integrated.sum().backward()
