"""
Overview:
    Which envs a ``ding-atoc train`` run collects and evaluates with: batched envs (every environment stepped as one
    tensor operation, looked up in DI-engine's ``ENV_MANAGER_REGISTRY`` under ``BATCHED_ENV_MANAGER``, registered by
    the envs package when a config's ``import_names`` bring it in) where the env and the policy support it (a policy
    whose forward takes stacked observations, ``stacked_collect``; on-policy, one that learns as DI-engine's PPO),
    else DI-engine's per-environment managers.
"""
from typing import Any, Optional, Tuple

import torch
from ding.policy import PPOPolicy
from ding.utils import ENV_MANAGER_REGISTRY, POLICY_REGISTRY
from easydict import EasyDict

#: Registry name of the batched env manager (``dizoo_envs.batched`` registers it).
BATCHED_ENV_MANAGER = 'torch_batched'
#: ``ding-atoc train --collector``: the batched env where possible, the batched env or an error, DI-engine's.
COLLECTORS = ('auto', 'batched', 'per-env')


def batched_envs(cfg: EasyDict, collector_env_num: int, evaluator_env_num: int,
                 collector: str = 'auto') -> Tuple[Optional[Any], Optional[Any], str]:
    """
    Overview:
        The batched collector and evaluator envs on the policy's device, or None where the per-environment path
        runs, with a line saying which and why.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config.
        - collector_env_num (:obj:`int`), evaluator_env_num (:obj:`int`): environments of each (the config's \
            ``env.collector_env_num`` and ``env.evaluator_env_num``).
        - collector (:obj:`str`): one of ``COLLECTORS``; ``'batched'`` raises where it is not possible.
    Returns:
        - collector_env (:obj:`Optional[Any]`), evaluator_env (:obj:`Optional[Any]`): the batched envs, or None.
        - note (:obj:`str`): what collects, for the run's output.
    """
    if collector not in COLLECTORS:
        raise ValueError(f"--collector must be one of {COLLECTORS}, got {collector!r}")
    if collector == 'per-env':
        return None, None, "collecting with DI-engine's per-env managers (--collector per-env)"
    policy_cls = POLICY_REGISTRY.get(cfg.policy.type)
    if not getattr(policy_cls, 'stacked_collect', False):
        reason = f"policy {cfg.policy.type!r} collects per env"
    elif cfg.policy.get('on_policy', False) and not issubclass(policy_cls, PPOPolicy):
        # The batched on-policy path computes GAE advantages and hands them to the learn step as DI-engine's PPO
        # takes them (ding_atoc.batched.on_policy).
        reason = f"on-policy policy {cfg.policy.type!r} does not learn as DI-engine's PPO does"
    elif BATCHED_ENV_MANAGER not in ENV_MANAGER_REGISTRY:
        reason = (f"no {BATCHED_ENV_MANAGER!r} env manager is registered (add 'dizoo_envs.batched' to "
                  "create_config.env.import_names)")
    else:
        device = 'cuda' if cfg.policy.cuda and torch.cuda.is_available() else 'cpu'
        manager = ENV_MANAGER_REGISTRY.get(BATCHED_ENV_MANAGER)
        try:
            # float32 physics: the observations are float32 anyway, and GPUs are slow in float64.
            envs = [manager(cfg.env, env_num=num, device=device, dtype=torch.float32)
                    for num in (collector_env_num, evaluator_env_num)]
        except KeyError as error:  # the manager has no batched version of this env type
            reason = str(error).strip('"\'')
        else:
            note = (f"collecting with the batched env ({BATCHED_ENV_MANAGER}, {collector_env_num} envs on {device}; "
                    f"evaluating on {evaluator_env_num})")
            return envs[0], envs[1], note
    if collector == 'batched':
        raise ValueError(f"--collector batched is not possible: {reason}")
    return None, None, f"collecting with DI-engine's per-env managers: {reason}"
