"""Small builders shared by the core tests."""
import torch
from easydict import EasyDict
from ding.utils import deep_merge_dicts

from ding_atoc.policy import DingATOCPolicy

INF = float('inf')


def distance_matrix(rows):
    """A (1, A, A) distance tensor from nested lists, ``None`` meaning outside the observable field."""
    return torch.tensor([[INF if d is None else float(d) for d in row] for row in rows]).unsqueeze(0)


def make_policy(n_agent=5, obs_shape=6, action_shape=2, thought_size=8, enable_field=None, **overrides):
    model = dict(obs_shape=obs_shape, action_shape=action_shape, n_agent=n_agent, thought_size=thought_size)
    model.update(overrides.pop('model', {}))
    cfg = deep_merge_dicts(DingATOCPolicy.default_config(), dict(model=model, **overrides))
    return DingATOCPolicy(EasyDict(cfg), enable_field=enable_field)


def random_obs(n_agent, obs_shape, batch=None, field=None):
    """Observation dict; ``field`` keeps that many nearest agents observable (the rest at ``inf``)."""
    shape = () if batch is None else (batch, )
    distance = torch.rand(*shape, n_agent, n_agent) + 0.1
    if field is not None:
        cutoff = distance.sort(dim=-1).values[..., field - 1:field]
        distance = torch.where(distance <= cutoff, distance, torch.full_like(distance, INF))
    return {'agent_state': torch.randn(*shape, n_agent, obs_shape), 'agent_distance': distance}


def force_initiators(model, initiate: bool):
    """Make the attention unit say p = sigmoid(+-20) for every thought."""
    last = [m for m in model.attention_unit.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(20.0 if initiate else -20.0)
