"""
Overview:
    Environments for DI-engine in its multi-agent observation format, plus the agent distance matrix of
    ``ding_atoc`` (see ``ding_atoc/obs_keys.py``). Importing a module registers its env in DI-engine's
    ``ENV_REGISTRY``; in a config: ``create_config.env = dict(type='cooperative_navigation',
    import_names=['dizoo_envs.cooperative_navigation'])``.

    - ``cooperative_navigation`` (``dizoo_envs.cooperative_navigation``): ATOC's cooperative navigation, any team size;
    - ``hidden_target_navigation`` (``dizoo_envs.hidden_target_navigation``): navigation to one's own target, which
      only a partner observes: communication is necessary by construction;
    - ``predator_prey`` (``dizoo_envs.predator_prey``): learning predators, scripted faster prey;
    - ``simple_spread_seeded`` (``dizoo_envs.simple_spread_seeded``): PettingZoo MPE simple_spread via DI-engine's
      petting_zoo env, with per-episode seeds.

    ``import dizoo_envs`` registers the first three (numpy only); ``simple_spread_seeded`` needs its own import
    (it loads PettingZoo).

    ``dizoo_envs.batched`` (its own import, too): the first three as E envs stepped together as torch tensors on CPU or
    GPU, equal to the numpy envs seeded alike, behind the env manager ``'torch_batched'`` of DI-engine's
    ``ENV_MANAGER_REGISTRY``.
"""
from .cooperative_navigation import CooperativeNavigationEnv
from .hidden_target_navigation import HiddenTargetNavigationEnv
from .predator_prey import PredatorPreyEnv

__all__ = ['CooperativeNavigationEnv', 'HiddenTargetNavigationEnv', 'PredatorPreyEnv']
