"""Specification of communication under real conditions: delay, loss, staleness, and their replay in learning."""
import pytest
import torch
from ding.envs import BaseEnvTimestep

from ding_atoc.model import NO_AGENT
from ding_atoc.policy.channel_conditions import DELAY_KEYS, ChannelConditions, drop_messages
from tests.core.helpers import force_initiators, make_policy, random_obs

N_AGENT, OBS = 5, 6


def structure_of(n_env=1, group_size=2):
    group = torch.full((n_env, N_AGENT, group_size + 1), NO_AGENT)
    group[:, 0] = torch.tensor([0, 1, 2])
    group[:, 3] = torch.tensor([3, 4, NO_AGENT])
    group_round = torch.tensor([[0, NO_AGENT, NO_AGENT, 0, NO_AGENT]] * n_env)
    return {'initiator': group_round != NO_AGENT, 'group': group, 'group_round': group_round}


@pytest.mark.parametrize('delay', [1, 2, 4])
def test_nothing_arrives_before_delay_then_exactly_what_was_sent_delay_steps_ago(delay):
    channel = ChannelConditions(delay=delay)
    states = [torch.full((1, N_AGENT, OBS), float(t)) for t in range(8)]
    for t, state in enumerate(states):
        arrived = channel.transmit([0], state, structure_of(), torch.tensor([t == 0]))
        if t < delay:
            assert (arrived['group'] == NO_AGENT).all() and not arrived['renewed'].any()
        else:
            assert torch.equal(arrived['channel_state'], states[t - delay])
            assert torch.equal(arrived['group'], structure_of()['group'])
            assert arrived['renewed'].item() == (t - delay == 0)
        # What arrives at the next step is known now: it was sent at t + 1 - delay.
        if t + 1 >= delay:
            assert torch.equal(arrived['next_channel_state'], states[t + 1 - delay])
        else:
            assert (arrived['next_group'] == NO_AGENT).all()
    channel.reset([0])
    assert (channel.transmit([0], states[0], structure_of(), torch.tensor([True]))['group'] == NO_AGENT).all()


def test_messages_older_than_max_age_are_not_used():
    channel = ChannelConditions(delay=3, max_age=2)
    for t in range(6):
        arrived = channel.transmit([0], torch.randn(1, N_AGENT, OBS), structure_of(), torch.tensor([True]))
        assert (arrived['group'] == NO_AGENT).all()
    assert ChannelConditions(delay=2, max_age=2).active and ChannelConditions(delay=0, max_age=0).active is False


def test_drop_probability_zero_keeps_and_one_loses_every_message():
    structure = structure_of(n_env=3)
    assert drop_messages(structure, 0.0) is structure
    lost = drop_messages(structure, 1.0)
    assert (lost['group'] == NO_AGENT).all() and (lost['group_round'] == NO_AGENT).all()
    channel = ChannelConditions(drop_prob=1.0)
    arrived = channel.transmit([0, 1, 2], torch.randn(3, N_AGENT, OBS), structure, torch.ones(3, dtype=torch.bool))
    assert arrived['dropped'].item() == 3 * 5 and (arrived['group'] == NO_AGENT).all()


def test_a_lost_member_is_left_out_and_the_rest_keep_their_order():
    torch.manual_seed(3)
    delivered = drop_messages(structure_of(n_env=200), 0.3)['group']
    for row in delivered[:, 0]:
        members = [a for a in row.tolist() if a != NO_AGENT]
        assert members == sorted(members) and (len(members) >= 2 or not members)
        assert row.tolist()[:len(members)] == members  # packed at the front
    share_lost = 1 - (delivered[:, 0] != NO_AGENT).float().sum() / (200 * 3)
    assert 0.3 < share_lost < 0.5  # 0.3 per message, plus groups reduced to one member


@pytest.mark.parametrize('kwargs,message', [
    (dict(delay=-1), 'delay must be an integer >= 0'),
    (dict(drop_prob=1.5), r'drop_prob must lie in \[0, 1\]'),
    (dict(max_age=-2), 'max_age must be None or an integer >= 0'),
])
def test_bad_channel_conditions_fail_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_policy(channel_conditions=kwargs)


def test_until_the_first_delivery_agents_act_on_their_own_thought():
    policy = make_policy(comm_interval=1, channel_conditions=dict(delay=2), collect=dict(sample_initiators=False))
    force_initiators(policy._model, True)
    model = policy._model
    for t in range(4):
        obs = random_obs(N_AGENT, OBS, field=4)
        action = policy.eval_mode.forward({0: obs})[0]['action']
        batch = {key: value.unsqueeze(0) for key, value in obs.items()}
        alone = model.action_without_communication(model.thought(batch))[0]
        assert torch.allclose(action, alone) == (t < 2), t


@pytest.mark.parametrize('channel', ['bilstm', 'attention'])
def test_replay_keeps_delayed_observations_and_learning_recomputes_them(channel):
    policy = make_policy(
        comm_interval=2, model=dict(channel=channel), channel_conditions=dict(delay=2, drop_prob=0.2),
        learn=dict(batch_size=12)
    )
    transitions = []
    obs = random_obs(N_AGENT, OBS, field=4)
    for _ in range(12):
        output = policy.collect_mode.forward({0: obs})[0]
        next_obs = random_obs(N_AGENT, OBS, field=4)
        timestep = BaseEnvTimestep(next_obs, torch.tensor([1.0]), torch.tensor(False), {})
        transitions.append(policy.collect_mode.process_transition(obs, output, timestep))
        obs = next_obs
    assert all(set(DELAY_KEYS) <= set(t) for t in transitions)
    for t in range(2, 11):  # the observations messages were computed from, two steps back
        assert torch.equal(transitions[t]['channel_state'], transitions[t - 2]['obs']['agent_state'])
        assert torch.equal(transitions[t]['next_channel_state'], transitions[t + 1]['channel_state'])
    stats = policy.pop_communication_stats('collect')
    assert stats['messages_sent'] > stats['messages_delivered'] > 0
    info = policy.learn_mode.forward(transitions)
    assert all(torch.isfinite(torch.tensor(float(info[k]))) for k in ('critic_loss', 'actor_loss'))
