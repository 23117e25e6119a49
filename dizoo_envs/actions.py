"""
Overview:
    Action spaces and validation of the point-mass envs.

    - continuous: per agent a Box [-1, 1]^2, the acceleration in x and y (values outside are clipped, as a
      motor saturates); for DDPG-family policies.
    - discrete: per agent 5 actions as MPE: 0 no-op, 1 -x, 2 +x, 3 -y, 4 +y; for QMIX and discrete MAPPO/MASAC.

    Bad actions (wrong shape, wrong dtype, NaN/inf, index out of range) raise ``ValueError`` naming the problem.
"""
from typing import Any, Tuple

import gymnasium as gym
import numpy as np

from .array_ops import Array, dtype_kind, namespace

#: Unit acceleration of each discrete action, as MPE.
DISCRETE_MOVES = np.array([[0., 0.], [-1., 0.], [1., 0.], [0., -1.], [0., 1.]])
N_DISCRETE = DISCRETE_MOVES.shape[0]


class MoveActions:
    """
    Overview:
        The action space of A agents moving in 2D and the conversion of a policy's action to unit accelerations.
    Interfaces:
        ``__init__``, ``space``, ``check``, ``to_accel``, ``sample``
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

    def check(self, action: Array, batch: Tuple[int, ...] = ()) -> Array:
        """
        Overview:
            Validate a policy's action for A agents (with ``batch`` leading axes, e.g. (E,) for E batched envs);
            raise ``ValueError`` naming the problem and the expected shape.
        Arguments:
            - action (:obj:`Array`): a numpy array or a torch tensor; continuous: float ``batch + (A, 2)``; discrete:
              integer ``batch + (A,)`` or ``batch + (A, 1)``.
            - batch (:obj:`Tuple[int, ...]`): the leading axes.
        Returns:
            - action (:obj:`Array`): the same action, discrete ones of shape ``batch + (A,)``.
        """
        a, kind, got = self.n_agent, dtype_kind(action), tuple(action.shape)
        if self.continuous:
            shape = tuple(batch) + (a, 2)
            if kind != 'f':
                raise ValueError(
                    f'{self.env_name}: continuous actions must be a float array of shape {shape}, '
                    f'got dtype {action.dtype}'
                )
            if got != shape:
                raise ValueError(f'{self.env_name}: continuous actions must have shape {shape}, got {got}')
            if not bool(namespace(action).isfinite(action).all()):
                raise ValueError(f'{self.env_name}: actions contain NaN or inf: {action}')
            return action
        shape = tuple(batch) + (a, )
        if kind not in 'iu':
            raise ValueError(
                f'{self.env_name}: discrete actions must be an integer array of shape {shape}, got dtype {action.dtype}'
            )
        if got == shape + (1, ):
            action, got = action[..., 0], shape
        if got != shape:
            raise ValueError(f'{self.env_name}: discrete actions must have shape {shape}, got {got}')
        if bool(action.min() < 0) or bool(action.max() >= N_DISCRETE):
            raise ValueError(f'{self.env_name}: discrete actions must be in [0, {N_DISCRETE}), got {action}')
        return action

    def to_accel(self, action: Any) -> np.ndarray:
        """
        Overview:
            Validate one env's action (see ``check``) and convert it to unit accelerations.
        Arguments:
            - action: continuous: float (A, 2); discrete: integer (A,) or (A, 1). numpy arrays, torch tensors or
              nested lists.
        Returns:
            - accel (:obj:`np.ndarray`): (A, 2) float64 in [-1, 1].
        """
        if hasattr(action, 'detach'):  # torch tensor
            action = action.detach().cpu().numpy()
        action = self.check(np.asarray(action))
        if self.continuous:
            return np.clip(action.astype(np.float64), -1.0, 1.0)
        return DISCRETE_MOVES[action]

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """
        Overview:
            A uniformly random valid action: float32 (A, 2) or int64 (A,).
        """
        if self.continuous:
            return rng.uniform(-1.0, 1.0, size=(self.n_agent, 2)).astype(np.float32)
        return rng.integers(0, N_DISCRETE, size=(self.n_agent, )).astype(np.int64)
