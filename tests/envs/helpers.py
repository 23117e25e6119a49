"""Shared helpers of the env tests: env construction by name and episode rollouts."""
import importlib
from typing import Dict, List, Optional

import numpy as np
from ding.utils import ENV_REGISTRY

from .baseline_configs import ENV_MODULES

ENV_NAMES = ['cooperative_navigation', 'predator_prey', 'simple_spread_seeded']
NATIVE_ENVS = ['cooperative_navigation', 'predator_prey']


def make_env(name: str, **cfg):
    """Build env ``name`` with config overrides (team size keys are filled consistently)."""
    importlib.import_module(ENV_MODULES[name])
    cls = ENV_REGISTRY.get(name)
    n = cfg.get('n_agent', 3)
    if name == 'simple_spread_seeded':
        cfg.setdefault('n_landmark', n)
        cfg.pop('n_nearest', None)
    elif name == 'cooperative_navigation':
        cfg.setdefault('n_landmark', n)
    return cls(cfg)


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
