"""
Specification of the tensor replay buffer and of learning from its stacked batches: the same transitions learned
as DI-engine's list of transitions or as one stacked batch give the same step.
"""
import pytest
import torch
from ding.envs import BaseEnvTimestep

from ding_atoc.batched import TensorReplayBuffer
from tests.conftest import DEVICES
from tests.core.helpers import make_policy, random_obs

N_AGENT, OBS, N_ENV = 5, 6, 4


#: Bytes of one of ``transitions``' rows: agent_state (3, 2) float32, reward (1,) float32, done bool.
ROW_BYTES = 3 * 2 * 4 + 4 + 1


def transitions(count, device='cpu'):
    return {
        'obs': {'agent_state': torch.arange(count, device=device).float().view(count, 1, 1).expand(count, 3, 2)},
        'reward': torch.arange(count, device=device).float().view(count, 1),
        'done': torch.zeros(count, dtype=torch.bool, device=device),
    }


@pytest.mark.parametrize('device', DEVICES)
def test_ring_keeps_the_newest_transitions_and_samples_stacked_batches(device):
    buffer_ = TensorReplayBuffer(capacity=10, device=device, seed=0)
    for start in range(0, 16, 4):
        batch = transitions(4, device)
        batch['reward'] += start
        batch['obs']['agent_state'] = batch['obs']['agent_state'] + start
        buffer_.push(batch)
    assert len(buffer_) == 10
    sample = buffer_.sample(10)
    assert sample['obs']['agent_state'].shape == (10, 3, 2) and sample['done'].dtype == torch.bool
    rewards = {r for _ in range(8) for r in buffer_.sample(10)['reward'].flatten().tolist()}
    assert rewards <= set(range(6, 16)) and len(rewards) > 5  # the 10 newest of 16, drawn uniformly
    # Rows stay together: every sampled observation belongs to its reward.
    assert torch.equal(sample['obs']['agent_state'][:, 0, 0], sample['reward'][:, 0])



@pytest.mark.parametrize('device', DEVICES)
def test_a_partly_filled_buffer_samples_only_the_rows_written(device):
    buffer_ = TensorReplayBuffer(capacity=100000, device=device, seed=0)  # storage is left uninitialised
    batch = transitions(4, device)
    batch['reward'].fill_(7.0)
    buffer_.push(batch)
    rewards = torch.cat([buffer_.sample(4)['reward'] for _ in range(200)])
    assert torch.all(rewards == 7.0)

def test_same_seed_same_samples():
    buffers = [TensorReplayBuffer(capacity=50, seed=3) for _ in range(2)]
    for buffer_ in buffers:
        buffer_.push(transitions(50))
    assert torch.equal(buffers[0].sample(20)['reward'], buffers[1].sample(20)['reward'])


def test_bad_use_names_the_problem():
    buffer_ = TensorReplayBuffer(capacity=10)
    buffer_.push(transitions(4))
    with pytest.raises(ValueError, match='holds 4 transitions, fewer than the 8 asked for'):
        buffer_.sample(8)
    wrong = transitions(2)
    wrong['obs']['agent_state'] = torch.zeros(2, 4, 2)
    with pytest.raises(ValueError, match=r"transition\[obs.'agent_state'\] has shape \(2, 4, 2\), expected \(2, 3, 2\)"):
        buffer_.push(wrong)
    with pytest.raises(KeyError, match='differ from the buffer'):
        buffer_.push({'reward': torch.zeros(2, 1)})
    with pytest.raises(ValueError, match='replay_buffer_size must be an integer >= 1'):
        TensorReplayBuffer(capacity=0)


@pytest.mark.parametrize('reward_width', [1, N_AGENT])  # the team's reward, or each agent's own
@pytest.mark.parametrize('delay', [0, 2])
def test_learning_a_stacked_batch_equals_learning_the_list_of_its_transitions(delay, reward_width):
    torch.manual_seed(0)
    collector = make_policy(n_agent=N_AGENT, obs_shape=OBS, channel_conditions=dict(delay=delay),
                            enable_field=['collect'])
    buffer_, listed = TensorReplayBuffer(capacity=100, seed=0), []
    obs = random_obs(N_AGENT, OBS, N_ENV, field=3)
    for _ in range(6):
        output = collector.collect_mode.forward(obs)
        next_obs = random_obs(N_AGENT, OBS, N_ENV, field=3)
        reached = BaseEnvTimestep(next_obs, torch.randn(N_ENV, reward_width), torch.zeros(N_ENV, dtype=torch.bool), {})
        batch = collector.collect_mode.process_transition(obs, output, reached)
        buffer_.push(batch)
        listed += [_row(batch, env) for env in range(N_ENV)]
        obs = next_obs
    learners = []
    for _ in range(2):
        torch.manual_seed(1)
        learners.append(make_policy(n_agent=N_AGENT, obs_shape=OBS, channel_conditions=dict(delay=delay),
                                    enable_field=['learn']))
    index = torch.randint(len(listed), (16, ))
    stacked = {key: _index(value, index) for key, value in buffer_._storage.items()}
    info_stacked = learners[0].learn_mode.forward(stacked)
    info_listed = learners[1].learn_mode.forward([listed[i] for i in index.tolist()])
    for key in ('critic_loss', 'actor_loss', 'q_value', 'td_error'):
        assert info_stacked[key] == pytest.approx(info_listed[key], rel=1e-6), key
    for stacked_param, listed_param in zip(learners[0]._model.parameters(), learners[1]._model.parameters()):
        assert torch.allclose(stacked_param, listed_param, atol=1e-7)


def _row(batch, row):
    return {key: _row(value, row) if isinstance(value, dict) else value[row] for key, value in batch.items()}


def _index(value, index):
    return {key: _index(v, index) for key, v in value.items()} if isinstance(value, dict) else value[index]


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('max_written', [None, 10 ** 6])
def test_a_buffer_that_cannot_fit_is_refused_at_the_first_push_naming_the_key(device, max_written, monkeypatch):
    monkeypatch.setattr('ding_atoc.batched.replay.available_memory', lambda _: 1000 * ROW_BYTES - 1)
    buffer_ = TensorReplayBuffer(capacity=1000, device=device, max_written=max_written)
    with pytest.raises(MemoryError, match=rf'1000 transitions of {ROW_BYTES} bytes each .*'
                                          r'policy.other.replay_buffer.replay_buffer_size to at most 999 '):
        buffer_.push(transitions(4, device))


@pytest.mark.parametrize('device', DEVICES)
def test_a_run_that_writes_less_than_the_capacity_needs_only_what_it_writes(device, monkeypatch):
    monkeypatch.setattr('ding_atoc.batched.replay.available_memory', lambda _: 100 * ROW_BYTES)
    buffer_ = TensorReplayBuffer(capacity=10 ** 6, device=device, max_written=100)
    buffer_.push(transitions(4, device))
    assert len(buffer_) == 4
