"""
Specification of ``learn.mixed_precision``: the bf16 learn step computes the fp32 step's function up to bf16
rounding (losses within 2%, every network moved in the same direction), keeps fp32 master weights, and takes its
TD target from an fp32 Q.
"""
import pytest
import torch

from tests.conftest import DEVICES
from tests.core.helpers import force_initiators, make_policy, random_obs

N_AGENT, OBS = 6, 10


def replay_batch(policy, batch_size, device):
    """A stacked batch of transitions with the structures the policy acts with."""
    obs = {key: value.to(device) for key, value in random_obs(N_AGENT, OBS, batch_size, field=3).items()}
    next_obs = {key: value.to(device) for key, value in random_obs(N_AGENT, OBS, batch_size, field=3).items()}
    structure = policy._model.compute_structure({'obs': obs}, explore=True)
    return {
        'obs': obs,
        'next_obs': next_obs,
        'action': torch.rand(batch_size, N_AGENT, 2, device=device) * 2 - 1,
        'reward': torch.randn(batch_size, 1, device=device),
        'done': torch.zeros(batch_size, dtype=torch.bool, device=device),
        **{key: structure[key] for key in ('initiator', 'group', 'group_round')},
    }


@pytest.mark.parametrize('device', DEVICES)
def test_bf16_learn_step_matches_fp32(device):
    policies = []
    for mixed_precision in (False, True):
        torch.manual_seed(0)  # the same initial networks
        policies.append(make_policy(n_agent=N_AGENT, obs_shape=OBS, thought_size=16, enable_field=['learn'],
                                    cuda=device == 'cuda', learn=dict(mixed_precision=mixed_precision)))
    fp32, mixed = policies
    for policy in policies:
        force_initiators(policy._model, True)
    batch = replay_batch(fp32, 64, device)
    before = {name: p.detach().clone() for name, p in fp32._model.named_parameters()}
    info_fp32 = fp32._forward_learn(batch)
    info_mixed = mixed._forward_learn(batch)
    for key in ('critic_loss', 'actor_loss', 'q_value', 'target_q_value'):
        assert info_mixed[key] == pytest.approx(info_fp32[key], rel=2e-2, abs=1e-3), key
    for module in ('critic', 'actor'):
        step_fp32 = torch.cat([(p.detach() - before[f'{module}.{name}']).flatten()
                               for name, p in getattr(fp32._model, module).named_parameters()])
        step_mixed = torch.cat([(p.detach() - before[f'{module}.{name}']).flatten()
                                for name, p in getattr(mixed._model, module).named_parameters()])
        assert torch.cosine_similarity(step_fp32, step_mixed, dim=0) > 0.95, module
    assert all(p.dtype == torch.float32 for p in mixed._model.parameters())


def test_q_output_layer_stays_fp32_under_autocast():
    policy = make_policy(n_agent=N_AGENT, obs_shape=OBS, thought_size=16)
    obs = random_obs(N_AGENT, OBS, 4, field=3)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        q_value = policy._model.compute_critic({'obs': obs, 'action': torch.zeros(4, N_AGENT, 2)})['q_value']
    assert q_value.dtype == torch.float32
