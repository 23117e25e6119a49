"""
Overview:
    The sizes an env really produces, read from one reset, and their use: check that a policy's model config
    agrees with the env before training, and rescale a config to another team size.
"""
import copy
from typing import Dict, Optional, Tuple

from ding.envs import BaseEnv, get_vec_env_setting
from easydict import EasyDict

from ..obs_keys import AGENT_STATE, GLOBAL_STATE

#: DI-engine's multi-agent models name the same sizes differently: size -> the model config keys that hold it.
SIZE_KEYS = {
    'obs': ('obs_shape', 'agent_obs_shape'),
    'agents': ('n_agent', 'agent_num'),
    'global': ('global_obs_shape', ),
    'action': ('action_shape', ),
}


def measure_env_sizes(env: BaseEnv, seed: int = 0) -> Dict[str, Optional[int]]:
    """
    Overview:
        Reset ``env`` once (then close it) and read its sizes: per-agent observation width, agent count, global
        state width (as the env returns it: (G,) or agent-specific (A, G')), action width or count.
    Returns:
        - sizes (:obj:`Dict[str, Optional[int]]`): keys of ``SIZE_KEYS``; None where the env has no such thing.
    """
    env.seed(seed, dynamic_seed=False)
    obs = env.reset()
    action_space = env.action_space
    env.close()
    state = obs[AGENT_STATE] if isinstance(obs, dict) else obs
    sizes = {'agents': int(state.shape[-2]), 'obs': int(state.shape[-1]), 'global': None}
    if isinstance(obs, dict) and GLOBAL_STATE in obs:
        sizes['global'] = int(obs[GLOBAL_STATE].shape[-1])
    space = getattr(action_space, 'spaces', None)  # per-agent dict spaces: read one agent's
    one_agent = next(iter(space.values())) if isinstance(space, dict) else action_space
    shape = getattr(one_agent, 'shape', None)
    count = shape[-1] if shape else getattr(one_agent, 'n', None)
    sizes['action'] = None if count is None else int(count)  # gymnasium gives numpy ints; DI-engine wants int
    return sizes


def check_env_matches_config(cfg: EasyDict, env: BaseEnv) -> None:
    """
    Overview:
        Compare the sizes ``env`` produces with ``cfg.policy.model``; raise ``ValueError`` naming the config key,
        the config's value and the env's.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config.
        - env (:obj:`BaseEnv`): an env built from ``cfg.env``; it is closed afterwards.
    """
    actual = measure_env_sizes(env, cfg.get('seed', 0))
    model = cfg.policy.get('model', {})
    for size, keys in SIZE_KEYS.items():
        for key in keys:
            expected = model.get(key)
            if isinstance(expected, int) and actual[size] is not None and expected != actual[size]:
                raise ValueError(
                    f"policy.model.{key}={expected} does not match the env {cfg.env.get('type', '')!r}, "
                    f"which gives {actual[size]} (set policy.model.{key}={actual[size]} or change the env config)"
                )


def with_team_size(main_config: dict, create_config: dict, n_agent: int) -> Tuple[EasyDict, EasyDict]:
    """
    Overview:
        A copy of the config for ``n_agent`` agents: ``env.n_agent`` is set (and ``env.n_landmark``, which these
        tasks keep equal to the team size), and every size of the model config is re-read from the env.
    Arguments:
        - main_config (:obj:`dict`), create_config (:obj:`dict`): the config to scale.
        - n_agent (:obj:`int`): the new team size.
    Returns:
        - configs (:obj:`Tuple[EasyDict, EasyDict]`): the scaled ``(main_config, create_config)``.
    """
    main_config, create_config = EasyDict(copy.deepcopy(main_config)), EasyDict(copy.deepcopy(create_config))
    env_cfg = main_config.env
    env_cfg.n_agent = n_agent
    if 'n_landmark' in env_cfg:
        env_cfg.n_landmark = n_agent
    env_fn, _, evaluator_cfgs = get_vec_env_setting(EasyDict({**env_cfg, **create_config.env}), collect=False)
    sizes = measure_env_sizes(env_fn(evaluator_cfgs[0]))
    model = main_config.policy.model
    for size, keys in SIZE_KEYS.items():
        for key in keys:
            if key in model and isinstance(model[key], int):
                model[key] = sizes[size]
    if 'group_size' in model:  # ATOC needs group_size < n_agent
        model.group_size = min(model.group_size, n_agent - 1)
    return main_config, create_config
