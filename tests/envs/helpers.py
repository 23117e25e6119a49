"""Shared helpers of the env tests: env construction by name, configs moved to another env, episode rollouts."""
import importlib
from typing import Dict, List, Optional, Tuple

import numpy as np
from ding.utils import ENV_REGISTRY
from easydict import EasyDict

from ding_atoc.entry.env_check import with_team_size
from ding_atoc.env_config_keys import DI_ENGINE_ENV_KEYS
from tests import tiny

ENV_NAMES = ['cooperative_navigation', 'hidden_target_navigation', 'predator_prey', 'simple_spread_seeded']
NATIVE_ENVS = ['cooperative_navigation', 'hidden_target_navigation', 'predator_prey']

#: env type -> module to import
ENV_MODULES = {
    'cooperative_navigation': 'dizoo_envs.cooperative_navigation',
    'hidden_target_navigation': 'dizoo_envs.hidden_target_navigation',
    'predator_prey': 'dizoo_envs.predator_prey',
    'simple_spread_seeded': 'dizoo_envs.simple_spread_seeded',
}

#: env type -> its folder under configs/
CONFIG_FOLDERS = {
    'cooperative_navigation': 'cooperative_navigation',
    'hidden_target_navigation': 'hidden_target_navigation',
    'predator_prey': 'predator_prey',
    'simple_spread_seeded': 'simple_spread',
}


def make_env(name: str, **cfg):
    """Build env ``name`` with config overrides (team size keys are filled consistently; hidden_target_navigation has
    one target landmark per agent and no n_landmark)."""
    importlib.import_module(ENV_MODULES[name])
    cls = ENV_REGISTRY.get(name)
    n = cfg.get('n_agent', 3)
    if name == 'simple_spread_seeded':
        cfg.setdefault('n_landmark', n)
        cfg.pop('n_nearest', None)
    elif name == 'cooperative_navigation':
        cfg.setdefault('n_landmark', n)
    return cls(cfg)


def config_on_env(path: str, env_type: str, n_agent: int = 3, **env_keys) -> Tuple[EasyDict, EasyDict]:
    """
    Overview:
        A ``configs/`` file moved to another env (or another setting of its env): the env keys the new env does not
        know are dropped, ``env_keys`` set, and every model width re-read from the new env for ``n_agent`` agents
        (``ding_atoc.entry.env_check.with_team_size``). E.g. DI-engine's baselines on predator_prey, which has no
        baseline config files.
    """
    main_config, create_config = tiny.load(path)
    importlib.import_module(ENV_MODULES[env_type])
    known = set(ENV_REGISTRY.get(env_type).config) | DI_ENGINE_ENV_KEYS
    main_config.env = EasyDict({k: v for k, v in main_config.env.items() if k in known})
    main_config.env.update(env_keys)
    main_config.exp_name = f'{env_type}_{main_config.exp_name}'
    create_config.env = EasyDict(type=env_type, import_names=[ENV_MODULES[env_type]])
    main_config, create_config = with_team_size(main_config, create_config, n_agent)
    model = main_config.policy.model
    for key, value in model.items():  # gymnasium's Discrete.n is a numpy integer; DI-engine's heads need an int
        if isinstance(value, np.integer):
            model[key] = int(value)
    return main_config, create_config


def rollout(env, seed: Optional[int] = None, dynamic_seed: bool = True, episodes: int = 1,
            actions: Optional[List[np.ndarray]] = None) -> List[Dict]:
    """Run episodes; returns one dict per episode with the stacked agent_state, rewards and final info."""
    if seed is not None:
        env.seed(seed, dynamic_seed)
    out = []
    for _ in range(episodes):
        obs = env.reset()
        states, rewards, t, done = [obs['agent_state'].copy()], [], 0, False
        while not done:
            act = actions[t] if actions is not None else env.random_action()
            ts = env.step(act)
            states.append(ts.obs['agent_state'].copy())
            rewards.append(ts.reward.copy())
            done, t = ts.done, t + 1
        out.append(dict(states=np.stack(states), rewards=np.stack(rewards), info=ts.info))
    return out
