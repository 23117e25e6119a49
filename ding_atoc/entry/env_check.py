"""
Overview:
    Check, before training, that the sizes in the policy's model config agree with what the env returns.
"""
from ding.envs import BaseEnv
from easydict import EasyDict

from ..obs_keys import AGENT_STATE, GLOBAL_STATE

# DI-engine's multi-agent models name the same sizes differently; each entry is (config keys, what it must equal).
_SIZE_KEYS = {
    'obs': ('obs_shape', 'agent_obs_shape'),
    'agents': ('n_agent', 'agent_num'),
    'global': ('global_obs_shape', ),
    'action': ('action_shape', ),
}


def check_env_matches_config(cfg: EasyDict, env: BaseEnv) -> None:
    """
    Overview:
        Reset one env and compare ``agent_state`` (A, D), ``global_state`` and the action space with the sizes in
        ``cfg.policy.model``. Raises ``ValueError`` naming the config key, the env's value and the config's value.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config.
        - env (:obj:`BaseEnv`): an env built from ``cfg.env``; it is closed afterwards.
    """
    env.seed(cfg.seed, dynamic_seed=False)
    obs = env.reset()
    action_space = env.action_space
    env.close()
    if not isinstance(obs, dict) or AGENT_STATE not in obs:
        return
    n_agent, obs_size = obs[AGENT_STATE].shape[-2:]
    actual = {'obs': obs_size, 'agents': n_agent}
    if GLOBAL_STATE in obs:
        actual['global'] = obs[GLOBAL_STATE].shape[-1]
    shape = getattr(action_space, 'shape', None)
    actual['action'] = shape[-1] if shape else getattr(action_space, 'n', None)
    model = cfg.policy.get('model', {})
    for size, keys in _SIZE_KEYS.items():
        for key in keys:
            expected = model.get(key)
            if isinstance(expected, int) and actual.get(size) is not None and expected != actual[size]:
                raise ValueError(
                    f"policy.model.{key}={expected} does not match the env {cfg.env.get('type', '')!r}, "
                    f"which gives {actual[size]} (set policy.model.{key}={actual[size]} or change the env config)"
                )
