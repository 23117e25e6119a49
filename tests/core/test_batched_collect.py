"""
Specification of the batched collect step: one stacked observation of E environments gives, step after step, the
very actions, structures and delayed messages that DI-engine's per-environment calls give, episode resets included.
"""
import pytest
import torch

from tests.core.helpers import make_policy, random_obs

N_AGENT, OBS, N_ENV = 5, 6, 3


@pytest.mark.parametrize('channel_conditions', [dict(), dict(delay=2), dict(delay=1, drop_prob=0.3)])
@pytest.mark.parametrize('comm_interval', [1, 3])
def test_stacked_collect_equals_per_environment_collect(comm_interval, channel_conditions):
    policies = []
    for _ in range(2):
        torch.manual_seed(0)
        policies.append(make_policy(n_agent=N_AGENT, obs_shape=OBS, comm_interval=comm_interval,
                                    channel_conditions=channel_conditions, enable_field=['collect']))
    per_env, stacked = policies
    steps = [random_obs(N_AGENT, OBS, N_ENV, field=3) for _ in range(7)]
    for seed, obs in enumerate(steps):
        if seed == 4:  # environment 1's episode ends: both forget its structure and messages
            per_env.collect_mode.reset([1])
            stacked.collect_mode.reset(torch.tensor([False, True, False]))
        torch.manual_seed(seed)
        by_env = per_env.collect_mode.forward({env: {k: v[env] for k, v in obs.items()} for env in range(N_ENV)})
        torch.manual_seed(seed)
        batch = stacked.collect_mode.forward(obs)
        assert set(batch) == set(by_env[0])
        for key, value in batch.items():
            assert torch.equal(value, torch.stack([by_env[env][key] for env in range(N_ENV)])), (seed, key)
