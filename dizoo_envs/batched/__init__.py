"""
Overview:
    Batched environments: E ``cooperative_navigation``, ``hidden_target_navigation`` or ``predator_prey`` envs stepped
    together as torch tensors on CPU or GPU, equal (float64 physics) to the numpy envs of ``dizoo_envs`` seeded alike,
    and their env manager, registered in DI-engine's ``ENV_MANAGER_REGISTRY`` as ``'torch_batched'`` by importing this
    package.

    - ``physics.py``: ``BatchedPointMassWorld``, the torch point-mass world;
    - ``base.py``: ``BatchedTeamEnv`` (seeding, resets, step, auto-reset) and ``BatchTimestep``;
    - ``cooperative_navigation.py``, ``hidden_target_navigation.py``, ``predator_prey.py``: the three envs;
    - ``manager.py``: ``TorchBatchedEnvManager`` (tensor interface and DI-engine's dict interface).
"""
from .base import BatchedTeamEnv, BatchTimestep
from .cooperative_navigation import BatchedCooperativeNavigation
from .hidden_target_navigation import BatchedHiddenTargetNavigation
from .manager import BATCHED_ENVS, TorchBatchedEnvManager
from .physics import BatchedPointMassWorld
from .predator_prey import BatchedPredatorPrey

__all__ = [
    'BATCHED_ENVS', 'BatchTimestep', 'BatchedCooperativeNavigation', 'BatchedHiddenTargetNavigation',
    'BatchedPointMassWorld', 'BatchedPredatorPrey', 'BatchedTeamEnv', 'TorchBatchedEnvManager'
]
