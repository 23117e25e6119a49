"""
Overview:
    Hidden target navigation: cooperative navigation where communication is necessary by construction. Registered as
    ``hidden_target_navigation``.

    Task: A agents and A landmarks in the world of cooperative navigation (``cooperative_navigation.py``: physics,
    arena ``H = sqrt(A / 3)``, collisions, random layouts); landmark i is agent i's own *target*. Landmarks are drawn
    independently and uniformly and no observation carries an agent's index, so, as far as any agent can tell, the
    targets are a uniformly random assignment.

    Who knows whose target: agent i knows the target of its *client* c(i); agents are paired, (0, 1), (2, 3), ...,
    and each is the other's client; with an odd A the last three form a cycle (A-3 knows the target of A-2, A-2 of
    A-1, A-1 of A-3). The agent that knows i's target is its *informant* (its partner in a pair). Agent i's own
    target is in none of its own observations.

    Observable field (``agent_distance``): the configured ``observable_field`` plus, always, the agent's client and
    informant, so that ATOC's grouping can bring an agent and its informant into one group (``group_size >= 1`` for
    pairs, ``>= 2`` in the odd cycle). ``observable_field=dict(type='k_nearest', k=0)``: the partner alone.

    Local observation of agent i (``agent_state``, D = 4 + 2K + 2 + 2K_L, independent of A):
    ``[vel (2), pos / H (2), rel. positions of the K nearest agents (2K), the client's target relative to the client
    (2), rel. positions of the K_L nearest landmarks (2K_L)]``, the first three and the last as cooperative
    navigation's; the client block is the move the client has to make, which it cannot see itself. The teammate
    columns (``agent_alone_state`` drops them) are the K nearest agents and the client block.

    Global state (G = 4A + 2A): cooperative navigation's, landmarks in agent order (landmark i: agent i's target).
    Agent-specific global state (``agent_specific_global_state=True``, for centralized critics: (A, D + 2 + G)):
    each agent's local observation, then, privileged, its own target relative to it (what a critic needs to value an
    agent's moves; no actor sees it), then the global state. A critic of the local observation alone, Q(o_i, a_i),
    cannot tell a move towards the target from one away from it, so it gives the actor no gradient towards it,
    message or not: ding_atoc's configs here use ``critic_use_global_state``.

    Rewards per step, with d_i the distance from agent i to its target, c_i the agents colliding with agent i (as
    cooperative navigation) and ``p = collision_penalty``:

    - ``reward_type='team'`` (default), float32 (1,): ``-sum_i d_i - p * sum_i c_i``; with ``normalize_reward=True``
      (default) both sums are means over the agents;
    - ``reward_type='local'``, float32 (A,): ``r_i = -d_i - p * c_i``.

    ``eval_episode_return`` is the sum of the team rewards with either ``reward_type``.

    Metrics in ``info`` at the end of an episode: ``on_target`` (share of agents closer than ``occupied_threshold``
    to their target at the last step), ``mean_target_distance`` (mean d_i at the last step), ``collisions``
    (colliding pairs summed over the steps of the episode).

    Why communication is necessary. At reset, what agent i observes is independent of which landmark is its target
    (the landmarks are i.i.d. and exchangeable; the client block is about another agent's landmark). Afterwards,
    information on its target reaches agent i without a channel only through the motion of its informant, the one
    agent whose observation holds it: an informant among i's K nearest agents (unlabelled) could signal by how it
    moves, or push i by contact. Barring such implicit signalling, agent i's target stays uniform over at least A - 1
    landmarks whatever it does, so a policy without communication ends on target with probability about 1 / (A - 1)
    per agent (sitting on one landmark; more only where landmarks lie within ``occupied_threshold`` of each other):
    ``on_target`` <= ~1 / (A - 1), e.g. 0.11 at A = 10, while agents that know their target can reach ~1. With ATOC,
    the informant is always in the agent's observable field: when either initiates, the group holds both, and the
    channel can carry the informant's thought, which encodes the move agent i has to make, to agent i.
"""
from typing import Any, Dict, Tuple

import numpy as np

from ding.utils import ENV_REGISTRY

from .array_ops import Array, as_float32, diagonal, namespace, take_along
from .cooperative_navigation import CooperativeNavigationEnv, navigation_features, navigation_metrics


def target_clients(n_agent: int) -> np.ndarray:
    """
    Overview:
        Whose target every agent knows: pairs (0, 1), (2, 3), ... (each knows the other's), with an odd ``n_agent``
        the last three in a cycle.
    Arguments:
        - n_agent (:obj:`int`): A >= 2.
    Returns:
        - clients (:obj:`np.ndarray`): int64 (A,), ``clients[i]`` = c(i), a permutation without fixed points.
    """
    clients = np.arange(n_agent, dtype=np.int64) ^ 1
    if n_agent % 2:
        clients[n_agent - 3:] = [n_agent - 2, n_agent - 1, n_agent - 3]
    return clients


def own_target_offsets(dx_al: Array, dy_al: Array) -> Array:
    """
    Overview:
        Where every agent's target lies relative to the agent (one state, numpy, or a batch of states, torch, leading
        axes ``...``): no actor observes it; it is the privileged block of the agent-specific global state, and, taken
        at the client, the client block of the local observation.
    Arguments:
        - dx_al, dy_al (:obj:`Array`): (..., A, A) agent-to-landmark offsets (landmark i: agent i's target).
    Returns:
        - offsets (:obj:`Array`): (..., A, 2) ``target_i - pos_i``.
    """
    return namespace(dx_al).stack([diagonal(dx_al), diagonal(dy_al)], axis=-1)


def client_target_offsets(dx_al: Array, dy_al: Array, clients: Array) -> Array:
    """
    Overview:
        The client block of every agent: where its client's target lies relative to the client (one state, numpy,
        or a batch of states, torch, leading axes ``...``).
    Arguments:
        - dx_al, dy_al (:obj:`Array`): (..., A, A) agent-to-landmark offsets (landmark i: agent i's target).
        - clients (:obj:`Array`): (..., A, 1) c(i) of every agent, with the leading axes of ``dx_al``.
    Returns:
        - offsets (:obj:`Array`): (..., A, 2) ``target_c - pos_c`` for c = c(i).
    """
    return take_along(own_target_offsets(dx_al, dy_al), clients, axis=-2)


def hidden_target_metrics(target_dist: Array, collisions: Any, occupied_threshold: float) -> Dict[str, Any]:
    """
    Overview:
        The episode metrics of hidden target navigation (module doc), of one episode or a batch of episodes.
    Arguments:
        - target_dist (:obj:`Array`): (..., A) distance from every agent to its target at the last step.
        - collisions: (...) colliding pairs summed over the episode.
        - occupied_threshold (:obj:`float`): an agent closer than this to its target is on target.
    Returns:
        - metrics (:obj:`Dict[str, Any]`): ``on_target``, ``mean_target_distance``, ``collisions``, each (...).
    """
    metrics = navigation_metrics(target_dist, collisions, occupied_threshold)
    return dict(
        on_target=metrics['occupied_landmarks'],
        mean_target_distance=metrics['mean_distance'],
        collisions=metrics['collisions'],
    )


@ENV_REGISTRY.register('hidden_target_navigation')
class HiddenTargetNavigationEnv(CooperativeNavigationEnv):
    """
    Overview:
        Hidden target navigation (see module doc), in DI-engine's multi-agent observation format plus
        ``agent_distance``.
    Interfaces:
        those of ``CooperativeNavigationEnv`` (``set_state`` places the A targets as ``landmark_pos``), plus
        ``clients`` and ``always_in_field``.
    """
    name = 'hidden_target_navigation'
    config = dict(
        {
            k: v
            for k, v in CooperativeNavigationEnv.config.items()
            if k not in ('n_landmark', 'max_cycles', 'reward_type', 'local_reward_scope', 'occupied_threshold')
        },
        # (int) Episode length in steps. Scripted agents steering by their informant's client block end on target at
        # A = 6-20 in ~97% of the cases after 50 steps, 35-85% after 25 (cooperative navigation's length).
        max_cycles=50,
        # (str) 'team': float32 (1,), -sum_i d_i - p * sum_i c_i (d_i: distance from agent i to its target, c_i: agents
        # colliding with agent i, p: collision_penalty; normalize_reward makes both sums means over the agents);
        # 'local': float32 (A,), r_i = -d_i - p * c_i.
        reward_type='team',
        # (float) An agent is on target when closer than this to it (cooperative navigation's occupied threshold).
        occupied_threshold=0.1,
    )

    def _local_reward_scope(self) -> str:
        """Each agent is scored by its own target alone (``_scores``), so the task has no scope to choose."""
        return 'own_target'

    def _landmark_count(self) -> int:
        """L = A (checked by the common config checks): one target per agent."""
        return int(self._cfg.n_agent)

    def _check_config(self) -> None:
        super()._check_config()
        clients = target_clients(int(self._cfg.n_agent))
        self._clients = clients[:, None]
        # each agent's client and informant (the inverse permutation)
        self._partners = np.stack([clients, np.argsort(clients)], axis=-1)

    @property
    def clients(self) -> np.ndarray:
        """(A, 1) int64: c(i), the agent whose target agent i knows."""
        return self._clients

    @property
    def always_in_field(self) -> np.ndarray:
        """(A, 2) int64: each agent's client and informant, always in its observable field."""
        return self._partners

    def _feature_layout(self) -> Tuple[int, int, slice]:
        a, k = self._cfg.n_agent, self._cfg.n_nearest
        return 4 + 2 * k + 2 + 2 * self._k_landmark, 6 * a, slice(4, 4 + 2 * k + 2)

    def _scores(self, dist_al: Array, landmark_idx: Array) -> Tuple[Array, Array]:
        """d_i (..., A): each agent's distance to its target (landmark i); and d_i alone scores agent i, (..., A, 1)."""
        own = diagonal(dist_al)
        return own, own[..., None]

    def _features(self, nearest: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        w, st = self._world, self._state
        return navigation_features(
            nearest,
            w.pos,
            w.vel,
            w.dx,
            w.dy,
            self._landmarks,
            st['dx_al'],
            st['dy_al'],
            st['landmark_idx'],
            self._half_width,
            mates_extra=client_target_offsets(st['dx_al'], st['dy_al'], self._clients),
        )

    def _privileged_dim(self) -> int:
        return 2

    def _privileged(self) -> np.ndarray:
        """float32 (A, 2): every agent's own target relative to it."""
        return as_float32(own_target_offsets(self._state['dx_al'], self._state['dy_al']))

    def _episode_metrics(self) -> Dict[str, float]:
        metrics = hidden_target_metrics(self._state['landmark_dist'], self._collisions, self._cfg.occupied_threshold)
        return {k: float(v) for k, v in metrics.items()}
