"""
Overview:
    Assembly of DI-engine's multi-agent observation dict (the format of DI-engine's ``petting_zoo`` env) plus the
    agent distance matrix of ``ding_atoc``, and the matching observation space.

    Keys (A agents, D local features, G global features, T = width of the teammate block of ``agent_state``, P = width
    of the privileged per-agent features, 0 unless the env has some):

    - ``agent_state``: float32 (A, D), each agent's local observation;
    - ``global_state``: float32 (G,), or (A, D + P + G) with ``agent_specific_global_state=True`` (each agent's
      ``agent_state``, its privileged features, then the global state, as DI-engine's petting_zoo env when P = 0);
      privileged features are what the env knows about an agent that the agent does not observe (the hidden target
      task's own target): centralized critics may read them, actors never do;
    - ``agent_alone_state``: float32 (A, D - T), ``agent_state`` without the teammate block;
    - ``agent_alone_padding_state``: float32 (A, D), ``agent_state`` with the teammate block zeroed;
    - ``action_mask``: float32 (A, n_actions), all ones (every action is always legal);
    - ``agent_distance``: float32 (A, A), distance from agent i (row) to agent j, ``inf`` outside i's observable
      field and on the diagonal.

    With ``agent_obs_only=True`` the observation is the ``agent_state`` array alone, as DI-engine's env.

    ``build`` takes one env's numpy arrays or the batched envs' torch tensors with a leading (E, ...) axis.
"""
from typing import Dict, Optional, Union

import gymnasium as gym
import numpy as np

from ding_atoc.obs_keys import ACTION_MASK, AGENT_DISTANCE, AGENT_STATE, GLOBAL_STATE
from .array_ops import Array, float32_full, namespace

AGENT_ALONE_STATE = 'agent_alone_state'
AGENT_ALONE_PADDING_STATE = 'agent_alone_padding_state'


def _box(shape, low=-np.inf, high=np.inf) -> gym.spaces.Box:
    return gym.spaces.Box(low=low, high=high, shape=shape, dtype=np.float32)


class TeamObservation:
    """
    Overview:
        Layout of the observation of a team of A agents; turns per-step arrays into DI-engine's observation dict.
    Interfaces:
        ``__init__``, ``space``, ``build``
    """

    def __init__(
            self,
            n_agent: int,
            agent_dim: int,
            global_dim: int,
            teammate_cols: slice,
            n_actions: int,
            agent_obs_only: bool = False,
            agent_specific_global_state: bool = False,
            privileged_dim: int = 0,
    ) -> None:
        """
        Arguments:
            - n_agent (:obj:`int`): A.
            - agent_dim (:obj:`int`): D, width of ``agent_state``.
            - global_dim (:obj:`int`): G, width of the global state.
            - teammate_cols (:obj:`slice`): the columns of ``agent_state`` that describe other agents.
            - n_actions (:obj:`int`): width of ``action_mask``.
            - agent_obs_only (:obj:`bool`): return ``agent_state`` alone instead of the dict.
            - agent_specific_global_state (:obj:`bool`): ``global_state`` of shape (A, D + P + G).
            - privileged_dim (:obj:`int`): P, the privileged per-agent features of the agent-specific global state.
        """
        self.n_agent = n_agent
        self.agent_dim = agent_dim
        self.global_dim = global_dim
        self.teammate_cols = teammate_cols
        self.n_actions = n_actions
        self.agent_obs_only = bool(agent_obs_only)
        self.agent_specific_global_state = bool(agent_specific_global_state)
        self.privileged_dim = int(privileged_dim)
        self.alone_dim = agent_dim - (teammate_cols.stop - teammate_cols.start)

    @property
    def global_state_shape(self) -> tuple:
        if self.agent_specific_global_state:
            return (self.n_agent, self.agent_dim + self.privileged_dim + self.global_dim)
        return (self.global_dim, )

    def space(self) -> Union[gym.spaces.Dict, gym.spaces.Box]:
        """
        Overview:
            The observation space; shapes and dtypes equal those of ``build``'s output.
        """
        a = self.n_agent
        if self.agent_obs_only:
            return _box((a, self.agent_dim))
        return gym.spaces.Dict(
            {
                AGENT_STATE: _box((a, self.agent_dim)),
                GLOBAL_STATE: _box(self.global_state_shape),
                AGENT_ALONE_STATE: _box((a, self.alone_dim)),
                AGENT_ALONE_PADDING_STATE: _box((a, self.agent_dim)),
                ACTION_MASK: _box((a, self.n_actions), low=0.0, high=1.0),
                AGENT_DISTANCE: _box((a, a), low=0.0),
            }
        )

    def build(self,
              agent_state: Array,
              global_state: Array,
              agent_distance: Array,
              privileged: Optional[Array] = None) -> Union[Dict[str, Array], Array]:
        """
        Overview:
            Assemble the observation, of one env (numpy) or of a batch of envs (torch, leading axes ``...``).
        Arguments:
            - agent_state (:obj:`Array`): float32 (..., A, D).
            - global_state (:obj:`Array`): float32 (..., G).
            - agent_distance (:obj:`Array`): float32 (..., A, A).
            - privileged (:obj:`Optional[Array]`): float32 (..., A, P), read with ``agent_specific_global_state``;
              None when P = 0.
        Returns:
            - obs (:obj:`Union[dict, Array]`): the dict described in this module, or ``agent_state``.
        """
        if self.agent_obs_only:
            return agent_state
        xp = namespace(agent_state)
        cols = self.teammate_cols
        left, right = agent_state[..., :cols.start], agent_state[..., cols.stop:]
        alone = xp.concatenate([left, right], axis=-1)
        padding = xp.concatenate([left, xp.zeros_like(agent_state[..., cols]), right], axis=-1)
        batch = agent_state.shape[:-2]
        if self.agent_specific_global_state:
            tiled = xp.broadcast_to(global_state[..., None, :], batch + (self.n_agent, self.global_dim))
            own = [agent_state] if privileged is None else [agent_state, privileged]
            global_state = xp.concatenate(own + [tiled], axis=-1)
        action_mask = float32_full(batch + (self.n_agent, self.n_actions), 1.0, like=agent_state)
        return {
            AGENT_STATE: agent_state,
            GLOBAL_STATE: global_state,
            AGENT_ALONE_STATE: alone,
            AGENT_ALONE_PADDING_STATE: padding,
            ACTION_MASK: action_mask,
            AGENT_DISTANCE: agent_distance,
        }
