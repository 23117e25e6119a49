"""The gate rules both ATOC models share (``ding_atoc.model.gate``), the random gate above all: it draws the initiators
at its rate whatever the attention unit says, repeats with its seed, and yields to the ablations' rules."""
import pytest
import torch

from ding_atoc.model import DingATOC, RandomGate
from ding_atoc.model.atoc_mappo import COMM_GATE
from tests.core.helpers import force_initiators, random_obs
from tests.core.test_atoc_mappo import env_obs, make_model, set_gate

BATCH, N_AGENT = 64, 6


def ding_atoc_initiators(attention_says_initiate: bool, explore: bool, **model_kwargs):
    model = DingATOC(obs_shape=6, action_shape=2, n_agent=N_AGENT, thought_size=8, group_size=2, **model_kwargs)
    force_initiators(model, attention_says_initiate)
    obs = random_obs(N_AGENT, 6, batch=BATCH, field=3)
    return model, lambda: model.compute_structure({'obs': obs}, explore=explore)['initiator']


def ding_atoc_mappo_initiators(attention_says_initiate: bool, explore: bool, **model_kwargs):
    model = make_model(N_AGENT, **model_kwargs)
    set_gate(model, 20.0 if attention_says_initiate else -20.0)
    obs = env_obs(N_AGENT, batch=BATCH, field=3)
    return model, lambda: model.compute_actor(obs, sample_gate=explore)[COMM_GATE]


MODELS = pytest.mark.parametrize('initiators_of', [ding_atoc_initiators, ding_atoc_mappo_initiators],
                                 ids=['ding_atoc', 'ding_atoc_mappo'])


@pytest.mark.parametrize('share', [0.0, 0.3, 1.0])
def test_a_random_gate_initiates_at_its_share_and_repeats_with_its_seed(share):
    prob = torch.zeros(BATCH, N_AGENT)
    draws = RandomGate(share, seed=3)(prob)
    assert draws.dtype == torch.bool and draws.shape == prob.shape
    assert torch.equal(draws, RandomGate(share, seed=3)(prob))
    assert abs(draws.float().mean().item() - share) < 0.06  # 384 draws: 4 standard deviations at 0.3


@pytest.mark.parametrize('share', [-0.1, 1.5, float('nan')])
def test_a_random_gate_share_outside_0_1_is_refused(share):
    with pytest.raises(ValueError, match=r"share \(--random-share\) must be in \[0, 1\]"):
        RandomGate(share)


@MODELS
@pytest.mark.parametrize('attention_says_initiate', [True, False])
@pytest.mark.parametrize('explore', [False, True], ids=['greedy', 'exploring'])
def test_a_random_gate_overrules_the_attention_unit(initiators_of, attention_says_initiate, explore):
    model, initiators = initiators_of(attention_says_initiate, explore)
    model.random_gate = RandomGate(0.4, seed=7)
    assert torch.equal(initiators(), RandomGate(0.4, seed=7)(torch.zeros(BATCH, N_AGENT)))
    model.random_gate = None  # the attention unit decides again
    assert initiators().all().item() is attention_says_initiate


@MODELS
def test_the_ablations_rules_come_before_a_random_gate(initiators_of):
    model, initiators = initiators_of(False, explore=False)
    model.random_gate = RandomGate(0.5)
    model.initiate_all = True
    assert initiators().all()
    model.communication = False
    assert not initiators().any()
