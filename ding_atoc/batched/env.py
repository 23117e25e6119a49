"""
Overview:
    Which collector a ``ding-atoc train`` run gets: the batched env (every environment stepped as one tensor
    operation, looked up in DI-engine's ``ENV_MANAGER_REGISTRY`` under ``BATCHED_ENV_MANAGER``, registered by the
    envs package when a config's ``import_names`` bring it in) where the env and the policy support it, else
    DI-engine's per-environment managers.
"""
from typing import Any, Optional, Tuple

import torch
from ding.utils import ENV_MANAGER_REGISTRY, POLICY_REGISTRY
from easydict import EasyDict

#: Registry name of the batched env manager (``dizoo_envs.batched`` registers it).
BATCHED_ENV_MANAGER = 'torch_batched'
#: ``ding-atoc train --collector``: the batched env where possible, the batched env or an error, DI-engine's.
COLLECTORS = ('auto', 'batched', 'per-env')


def batched_collector_env(cfg: EasyDict, env_num: int, collector: str = 'auto') -> Tuple[Optional[Any], str]:
    """
    Overview:
        The batched env of ``env_num`` environments for the batched collector, on the policy's device, or None
        where the per-environment path runs, with a line saying which and why.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config.
        - env_num (:obj:`int`): environments (the config's ``env.collector_env_num``).
        - collector (:obj:`str`): one of ``COLLECTORS``; ``'batched'`` raises where it is not possible.
    Returns:
        - env (:obj:`Optional[Any]`): the batched env, or None.
        - note (:obj:`str`): what collects, for the run's output.
    """
    if collector not in COLLECTORS:
        raise ValueError(f"--collector must be one of {COLLECTORS}, got {collector!r}")
    if collector == 'per-env':
        return None, "collecting with DI-engine's per-env managers (--collector per-env)"
    policy_cls = POLICY_REGISTRY.get(cfg.policy.type)
    if not getattr(policy_cls, 'stacked_collect', False) or cfg.policy.get('on_policy', False):
        reason = f"policy {cfg.policy.type!r} collects per env"
    elif BATCHED_ENV_MANAGER not in ENV_MANAGER_REGISTRY:
        reason = (f"no {BATCHED_ENV_MANAGER!r} env manager is registered (add 'dizoo_envs.batched' to "
                  "create_config.env.import_names)")
    else:
        device = 'cuda' if cfg.policy.cuda and torch.cuda.is_available() else 'cpu'
        try:
            # float32 physics: the observations are float32 anyway, and GPUs are slow in float64.
            env = ENV_MANAGER_REGISTRY.get(BATCHED_ENV_MANAGER)(
                cfg.env, env_num=env_num, device=device, dtype=torch.float32
            )
        except KeyError as error:  # the manager has no batched version of this env type
            reason = str(error).strip('"\'')
        else:
            return env, f"collecting with the batched env ({BATCHED_ENV_MANAGER}, {env.env_num} envs on {device})"
    if collector == 'batched':
        raise ValueError(f"--collector batched is not possible: {reason}")
    return None, f"collecting with DI-engine's per-env managers: {reason}"
