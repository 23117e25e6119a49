"""Specification of the DingATOC network: channel, shapes, gradients, configuration errors."""
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ding_atoc.model import AttentionChannel, BiLSTMChannel, DingATOC, communication_structure
from tests.conftest import DEVICES
from tests.core.helpers import force_initiators, random_obs


@pytest.mark.parametrize('length', [[5, 1, 3, 2], [5, 5, 5, 5], [1, 1, 1, 1]])
def test_channel_equals_a_packed_bidirectional_lstm(length):
    channel = BiLSTMChannel(thought_size=6)
    sequence = torch.randn(4, 5, 6)
    length = torch.tensor(length)
    packed = pack_padded_sequence(sequence, length, batch_first=True, enforce_sorted=False)
    expected, _ = pad_packed_sequence(channel.lstm(packed)[0], batch_first=True, total_length=5)
    valid = torch.arange(5).unsqueeze(0) < length.unsqueeze(1)
    assert torch.allclose(channel(sequence, length)[valid], expected[valid], atol=1e-6)
    # Gradients agree too (padded positions receive none).
    ours_input, reference_input = sequence.clone().requires_grad_(), sequence.clone().requires_grad_()
    weight = torch.randn(4, 5, 6) * valid.unsqueeze(-1)
    (channel(ours_input, length) * weight).sum().backward()
    packed = pack_padded_sequence(reference_input, length, batch_first=True, enforce_sorted=False)
    reference, _ = pad_packed_sequence(channel.lstm(packed)[0], batch_first=True, total_length=5)
    (reference * weight).sum().backward()
    assert torch.allclose(ours_input.grad, reference_input.grad, atol=1e-6)


@pytest.mark.parametrize('length', [[5, 1, 3, 2], [5, 5, 5, 5], [1, 1, 1, 1]])
def test_channel_gradients_of_every_weight_equal_those_of_a_packed_bidirectional_lstm(length):
    # The unrolled channel writes its backward out: every input and LSTM weight gets nn.LSTM's gradient.
    channel = BiLSTMChannel(thought_size=6).double()
    length = torch.tensor(length)
    valid = torch.arange(5).unsqueeze(0) < length.unsqueeze(1)
    weight = torch.randn(4, 5, 6, dtype=torch.double) * valid.unsqueeze(-1)
    sequence = torch.randn(4, 5, 6, dtype=torch.double)
    grads = []
    for ours in (True, False):
        channel.zero_grad()
        inputs = sequence.clone().requires_grad_()
        if ours:
            output = channel(inputs, length)
        else:
            packed = pack_padded_sequence(inputs, length, batch_first=True, enforce_sorted=False)
            output, _ = pad_packed_sequence(channel.lstm(packed)[0], batch_first=True, total_length=5)
        (output * weight).sum().backward()
        grads.append([inputs.grad] + [p.grad.clone() for p in channel.parameters()])
    for mine, theirs in zip(*grads):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-10)


def test_channel_backward_passes_gradcheck():
    channel = BiLSTMChannel(thought_size=4).double()
    integrate, weights = channel.integrator()
    sequence = torch.randn(3, 4, 4, dtype=torch.double, requires_grad=True)
    length = torch.tensor([4, 2, 1])
    leaves = [w.detach().requires_grad_() for w in weights]
    assert torch.autograd.gradcheck(
        lambda x, w_ih, b, w_hh: integrate.func(x, length, weight_ih=w_ih, bias=b, weight_hh=w_hh),
        (sequence, *leaves)
    )


CHANNEL_TYPES = ['bilstm', 'attention']


@pytest.mark.parametrize('channel', CHANNEL_TYPES)
@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('batch,n_agent', [(1, 2), (3, 5), (8, 20), (2, 100)])
def test_shapes(device, batch, n_agent, channel):
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=n_agent, thought_size=8, group_size=1, channel=channel)
    model = model.to(device)
    obs = {k: v.to(device) for k, v in random_obs(n_agent, 6, batch, field=min(3, n_agent)).items()}
    structure = model.compute_structure({'obs': obs}, explore=True)
    assert structure['group'].shape == (batch, n_agent, 2)
    actor = model.compute_actor({'obs': obs, **structure})
    assert actor['action'].shape == (batch, n_agent, 2)
    assert actor['action'].abs().max() <= 1.0
    assert torch.equal(actor['action'], torch.tanh(actor['action_preactivation']))  # what the penalty reads
    assert actor['integrated_thought'].shape == (batch, n_agent, 8)
    q = model.compute_critic({'obs': obs, 'action': actor['action']})['q_value']
    assert q.shape == (batch, n_agent) and torch.isfinite(q).all()


def test_without_distance_matrix_groups_by_thought_distance():
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=5, thought_size=8, group_size=2)
    force_initiators(model, True)
    obs = random_obs(5, 6, batch=2)
    del obs['agent_distance']
    structure = model.compute_structure({'obs': obs})
    thought = model.thought(obs)
    expected = communication_structure(structure['initiator'], torch.cdist(thought, thought), 2)
    assert torch.equal(structure['group'], expected['group'])


@pytest.mark.parametrize('channel', CHANNEL_TYPES)
def test_critic_gradient_reaches_the_encoder_through_the_channel(channel):
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=4, thought_size=8, group_size=1, channel=channel)
    obs = random_obs(4, 6, batch=1)
    obs['agent_state'].requires_grad_(True)
    structure = communication_structure(torch.tensor([[True, False, False, False]]), obs['agent_distance'], 1)
    partner = structure['group'][0, 0, 1].item()
    action = model.compute_actor({'obs': obs, **structure})['action']
    q_of_agent_0 = model.compute_critic({'obs': {'agent_state': obs['agent_state'].detach()}, 'action': action})
    q_of_agent_0['q_value'][0, 0].backward()
    # Agent 0's Q depends on its partner's observation only through the channel.
    grad = obs['agent_state'].grad[0]
    assert grad[partner].abs().sum() > 0
    outsiders = [a for a in range(4) if a not in (0, partner)]
    assert all(grad[a].abs().sum() == 0 for a in outsiders)
    for name, part in model.actor.items():
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters()), name
    assert all(p.grad is None for p in model.attention_unit.parameters())


def test_global_state_critic():
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=3, thought_size=8, group_size=1,
                     global_obs_shape=5, critic_use_global_state=True)
    obs = random_obs(3, 6, batch=2)
    action = torch.zeros(2, 3, 2)
    obs['global_state'] = torch.randn(2, 5)
    assert model.compute_critic({'obs': obs, 'action': action})['q_value'].shape == (2, 3)
    obs['global_state'] = torch.randn(2, 3, 5)  # agent-specific global state
    assert model.compute_critic({'obs': obs, 'action': action})['q_value'].shape == (2, 3)
    with pytest.raises(ValueError, match='global_obs_shape'):
        obs['global_state'] = torch.randn(2, 4)
        model.compute_critic({'obs': obs, 'action': action})


@pytest.mark.parametrize('field_actions', [False, True], ids=['observations', 'observations_and_actions'])
@pytest.mark.parametrize('n_agent,field,slots', [(5, 2, 2), (5, 1, 2), (3, 2, 4), (6, 0, 1)])
def test_field_critic_reads_its_nearest_field_agents_only(n_agent, field, slots, field_actions):
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=5, thought_size=8, group_size=1, critic_field_obs=slots,
                     critic_field_actions=field_actions)
    obs = random_obs(n_agent, 6, batch=2, field=field + 1)  # field + 1 finite a row, the diagonal among them or not
    distance = obs['agent_distance']
    distance.diagonal(dim1=1, dim2=2).fill_(0.0)  # as near as can be, and still not in the own field
    in_field = torch.isfinite(distance) & ~torch.eye(n_agent, dtype=torch.bool)
    agent_state = obs['agent_state'].requires_grad_(True)
    action = torch.randn(2, n_agent, 2, requires_grad=True)
    q_value = model.compute_critic({'obs': obs, 'action': action})['q_value']
    for agent in range(n_agent):
        state_grad, action_grad = torch.autograd.grad(q_value[0, agent], (agent_state, action), retain_graph=True)
        nearest = distance[0, agent].masked_fill(~in_field[0, agent], float('inf')).argsort(stable=True)
        expected = torch.zeros(n_agent, dtype=torch.bool)
        expected[nearest[:min(slots, int(in_field[0, agent].sum()))]] = True
        own = torch.zeros(n_agent, dtype=torch.bool)
        own[agent] = True
        assert torch.equal(state_grad[0].abs().sum(-1) > 0, expected | own), agent
        # its own action always; the field agents' actions only when it reads them
        assert torch.equal(action_grad[0].abs().sum(-1) > 0, (expected if field_actions else own) | own), agent
        assert state_grad[1].abs().sum() == 0 and action_grad[1].abs().sum() == 0  # samples stay apart


@pytest.mark.parametrize('field_actions', [False, True], ids=['observations', 'observations_and_actions'])
def test_field_critic_without_field_agents_reads_zeros_in_their_slots(field_actions):
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=5, thought_size=8, group_size=1, critic_field_obs=2,
                     critic_field_actions=field_actions)
    obs = random_obs(4, 6, batch=3, field=1)
    alone = {**obs, 'agent_distance': torch.full((3, 4, 4), float('inf'))}
    action = torch.randn(3, 4, 2)
    slots = 2 * 6 + (2 * 2 if field_actions else 0)  # two field agents' observations (and actions)
    widened = torch.cat([obs['agent_state'], action, torch.zeros(3, 4, slots)], dim=-1)
    torch.testing.assert_close(model.compute_critic({'obs': alone, 'action': action})['q_value'],
                               model.critic(widened).squeeze(-1))


@pytest.mark.parametrize('n_agent', [3, 6])
def test_integrated_thought_critic_reads_each_agents_own_integrated_thought_and_trains_no_actor_weight(n_agent):
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=5, thought_size=8, group_size=2,
                     critic_integrated_thought=True)
    force_initiators(model, True)
    obs = random_obs(n_agent, 6, batch=2, field=3)
    actor = model.compute_actor({'obs': obs, **model.compute_structure({'obs': obs})})
    inputs = {'obs': obs, 'action': actor['action'].detach(), 'integrated_thought': actor['integrated_thought']}
    q_value = model.compute_critic(inputs)['q_value']
    for agent in range(n_agent):
        moved = actor['integrated_thought'].detach().clone()
        moved[0, agent] += 1.0
        q_moved = model.compute_critic({**inputs, 'integrated_thought': moved})['q_value']
        expected = torch.zeros(2, n_agent, dtype=torch.bool)
        expected[0, agent] = True
        assert torch.equal(q_moved != q_value, expected), agent
    q_value.sum().backward()  # h~ is read detached: the critic's loss trains no part of the actor
    assert all(p.grad is None for p in model.actor.parameters())
    assert all(p.grad is not None for p in model.critic.parameters())


def test_integrated_thought_is_ignored_by_a_critic_that_does_not_read_it():
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=5, thought_size=8, group_size=2)
    obs, action = random_obs(5, 6, batch=2), torch.randn(2, 5, 2)
    q_value = model.compute_critic({'obs': obs, 'action': action})['q_value']
    ignored = model.compute_critic({'obs': obs, 'action': action, 'integrated_thought': torch.randn(2, 5, 8)})
    assert torch.equal(q_value, ignored['q_value'])


@pytest.mark.parametrize('integrated_thought,message', [
    (None, r"needs inputs\['integrated_thought'\] of shape \(2, 5, 8\)"),
    (torch.zeros(2, 5, 6), r'integrated_thought must have shape \(2, 5, 8\).*got \(2, 5, 6\)'),
], ids=['missing', 'wrong_width'])
def test_integrated_thought_critic_names_the_missing_or_misshapen_input(integrated_thought, message):
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=5, thought_size=8, group_size=2,
                     critic_integrated_thought=True)
    inputs = {'obs': random_obs(5, 6, batch=2), 'action': torch.zeros(2, 5, 2)}
    if integrated_thought is not None:
        inputs['integrated_thought'] = integrated_thought
    with pytest.raises(ValueError, match=message):
        model.compute_critic(inputs)


def test_attention_channel_ignores_absent_members_and_their_content():
    channel = AttentionChannel(thought_size=6)
    sequence = torch.randn(3, 4, 6)
    length = torch.tensor([4, 2, 1])
    out = channel(sequence, length)
    changed = sequence.clone()
    changed[1, 2:] = torch.randn(2, 6)  # padding of group 1
    changed[2, 1:] = torch.randn(3, 6)  # group 2 is one member: it receives nothing
    out_changed = channel(changed, length)
    assert torch.allclose(out[1, :2], out_changed[1, :2]) and torch.allclose(out[2, :1], out_changed[2, :1])
    alone = channel.fuse(torch.cat([sequence[2, :1], torch.zeros(1, 6)], dim=-1))
    assert torch.allclose(out[2, :1], alone)
    # A present member's content does change the others' integrated thoughts.
    changed[0, 3] += 1.0
    assert not torch.allclose(channel(changed, length)[0, :3], out[0, :3])
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in channel.parameters())


@pytest.mark.parametrize('kwargs,message', [
    (dict(thought_size=7), 'thought_size must be even'),
    (dict(group_size=5), 'group_size must be below model.n_agent=5'),
    (dict(group_size=0), 'group_size must be an integer >= 1'),
    (dict(initiator_threshold=1.0), r'initiator_threshold must lie in \(0, 1\)'),
    (dict(initiator_threshold=0.0), r'initiator_threshold must lie in \(0, 1\)'),
    (dict(n_agent=1, group_size=1), 'n_agent must be an integer >= 2'),
    (dict(critic_use_global_state=True), 'global_obs_shape'),
    (dict(channel='gru'), 'model.channel must be one of'),
    (dict(critic_field_obs=-1), 'critic_field_obs must be an integer >= 0'),
    (dict(critic_field_actions=True), 'critic_field_actions=True needs model.critic_field_obs > 0'),
])
def test_inconsistent_config_fails_at_construction(kwargs, message):
    arguments = dict(obs_shape=6, action_shape=2, n_agent=5, thought_size=8, group_size=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        DingATOC(**arguments)


def test_observation_errors_name_the_key_and_expected_shape():
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=5, thought_size=8, group_size=2)
    obs = random_obs(5, 6, batch=2)
    with pytest.raises(KeyError, match='agent_state'):
        model.compute_structure({'obs': {'agent_distance': obs['agent_distance']}})
    with pytest.raises(ValueError, match=r'model.obs_shape=6'):
        model.compute_structure({'obs': {**obs, 'agent_state': torch.randn(2, 5, 7)}})
    with pytest.raises(ValueError, match=r'agents >= 2'):
        model.compute_structure({'obs': {**obs, 'agent_state': torch.randn(2, 1, 6)}})
    with pytest.raises(ValueError, match=r'agent_distance.*\(2, 5, 5\)'):
        model.compute_structure({'obs': {**obs, 'agent_distance': torch.rand(2, 5, 4)}})
    with pytest.raises(ValueError, match='action must have shape'):
        model.compute_critic({'obs': obs, 'action': torch.zeros(2, 5, 3)})


@pytest.mark.parametrize('channel', CHANNEL_TYPES)
@pytest.mark.parametrize('n_agent', [3, 20, 50])
def test_a_model_acts_zero_shot_in_teams_of_another_size(channel, n_agent):
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=10, thought_size=8, group_size=3, channel=channel)
    obs = random_obs(n_agent, 6, batch=2, field=min(3, n_agent - 1))
    structure = model.compute_structure({'obs': obs}, explore=True)
    assert structure['group'].shape == (2, n_agent, 4)
    actor = model.compute_actor({'obs': obs, **structure})
    assert actor['action'].shape == (2, n_agent, 2)
    assert torch.isfinite(model.compute_critic({'obs': obs, 'action': actor['action']})['q_value']).all()
