"""
Overview:
    Action spaces and validation of the point-mass envs.

    - continuous: per agent a Box [-1, 1]^2, the acceleration in x and y (values outside are clipped, as a
      motor saturates); for DDPG-family policies.
    - discrete: per agent 5 actions as MPE: 0 no-op, 1 -x, 2 +x, 3 -y, 4 +y; for QMIX and discrete MAPPO/MASAC.

    Bad actions (wrong shape, wrong dtype, NaN/inf, index out of range) raise ``ValueError`` naming the problem.
"""
from typing import Any

import gymnasium as gym
import numpy as np

#: Unit acceleration of each discrete action, as MPE.
DISCRETE_MOVES = np.array([[0., 0.], [-1., 0.], [1., 0.], [0., -1.], [0., 1.]])
N_DISCRETE = DISCRETE_MOVES.shape[0]


class MoveActions:
    """
    Overview:
        The action space of A agents moving in 2D and the conversion of a policy's action to unit accelerations.
    Interfaces:
        ``__init__``, ``space``, ``to_accel``, ``sample``
    """

    def __init__(self, n_agent: int, continuous: bool, env_name: str) -> None:
        self.n_agent = n_agent
        self.continuous = bool(continuous)
        self.env_name = env_name
        #: per-agent action dimension (continuous) or number of actions (discrete); the width of ``action_mask``
        self.n_actions = 2 if self.continuous else N_DISCRETE

    def space(self) -> gym.spaces.Dict:
        """
        Overview:
            One space per agent (``agent_0``, ``agent_1``, ...), as DI-engine's petting_zoo env, so that DI-engine's
            random collector samples it.
        """
        if self.continuous:
            single = gym.spaces.Box(low=-1.0, high=1.0, shape=(2, ), dtype=np.float32)
        else:
            single = gym.spaces.Discrete(N_DISCRETE)
        return gym.spaces.Dict({f'agent_{i}': single for i in range(self.n_agent)})

    def to_accel(self, action: Any) -> np.ndarray:
        """
        Overview:
            Validate a policy's action and convert it to unit accelerations.
        Arguments:
            - action: continuous: float (A, 2); discrete: integer (A,) or (A, 1). numpy arrays, torch tensors or
              nested lists.
        Returns:
            - accel (:obj:`np.ndarray`): (A, 2) float64 in [-1, 1].
        """
        if hasattr(action, 'detach'):  # torch tensor
            action = action.detach().cpu().numpy()
        action = np.asarray(action)
        a = self.n_agent
        if self.continuous:
            if action.dtype.kind != 'f':
                raise ValueError(
                    f'{self.env_name}: continuous actions must be a float array of shape ({a}, 2), '
                    f'got dtype {action.dtype}'
                )
            if action.shape != (a, 2):
                raise ValueError(f'{self.env_name}: continuous actions must have shape ({a}, 2), got {action.shape}')
            if not np.isfinite(action).all():
                raise ValueError(f'{self.env_name}: actions contain NaN or inf: {action}')
            return np.clip(action.astype(np.float64), -1.0, 1.0)
        if action.dtype.kind not in 'iu':
            raise ValueError(
                f'{self.env_name}: discrete actions must be an integer array of shape ({a},), got dtype {action.dtype}'
            )
        if action.shape == (a, 1):
            action = action[:, 0]
        if action.shape != (a, ):
            raise ValueError(f'{self.env_name}: discrete actions must have shape ({a},), got {action.shape}')
        if action.min() < 0 or action.max() >= N_DISCRETE:
            raise ValueError(f'{self.env_name}: discrete actions must be in [0, {N_DISCRETE}), got {action}')
        return DISCRETE_MOVES[action]

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """
        Overview:
            A uniformly random valid action: float32 (A, 2) or int64 (A,).
        """
        if self.continuous:
            return rng.uniform(-1.0, 1.0, size=(self.n_agent, 2)).astype(np.float32)
        return rng.integers(0, N_DISCRETE, size=(self.n_agent, )).astype(np.int64)
