"""
Overview:
    Cooperative navigation (the first task of ATOC, Jiang & Lu 2018; MPE's ``simple_spread`` at any scale):
    A agents must cover L landmarks while avoiding collisions. Registered as ``cooperative_navigation``.

    World: MPE point-mass physics (``physics.py``) in a square arena ``[-H, H]^2``. ``H`` grows with the team so that
    the density stays the one of MPE's 3 agents in ``[-1, 1]^2``: ``H = sqrt(n_agent / 3)`` (unless ``arena_size``
    sets it). Agents and landmarks start uniformly in the arena; landmarks do not move or collide.

    Local observation of agent i (``agent_state``, D = 4 + 2K + 2K_L, independent of A):
    ``[vel (2), pos / H (2), rel. positions of the K nearest agents (2K), rel. positions of the K_L nearest
    landmarks (2K_L)]``, nearest first; relative positions are in world units (``pos_j - pos_i``), the own
    position is divided by H so that it lies in [-1, 1] for every team size.

    Global state (G = 4A + 2L): ``[agent positions / H (2A), agent velocities (2A), landmark positions / H (2L)]``.

    Rewards per step. With d_l the distance from landmark l to its nearest agent and c_i the number of other agents
    whose disc overlaps agent i's (distance < 2 * agent_size, as MPE), the penalty ``p = collision_penalty``:

    - ``reward_type='team'`` (default), float32 (1,): ``-sum_l d_l - p * sum_i c_i`` (``sum_i c_i`` is the number of
      agents in a collision, counted once per collision they are in); with ``normalize_reward=True`` (default) the
      distance term is divided by L and the collision term by A, so that the scale does not grow with the team: minus
      the mean landmark distance minus the penalty times the mean collisions per agent.
    - ``reward_type='local'``, float32 (A,), the paper's setting ("cooperation of agents for local reward"): agent i
      is rewarded for what lies in its own neighbourhood, the K_L nearest landmarks N_i of its local observation, and
      for its own collisions: ``r_i = -sum_{l in N_i} d_l - p * c_i``, the distance term divided by K_L with
      ``normalize_reward=True``. d_l counts whichever agent covers l, so an agent gains as much when a neighbour
      covers a landmark near it as when it covers it itself: the reward stays cooperative but only about the
      agent's surroundings, and its scale does not shrink with A as an agent's share of the team reward does. With
      K_L = L (normalized) the mean of the local rewards is the team reward.
      What scores agent i is ``local_reward_scope``: ``'observed'`` (default) its K_L nearest landmarks, as above;
      ``'difference'`` the difference reward of the distance term, what agent i's presence takes off ``sum_l d_l``:
      ``r_i = sum_{l: i nearest to l} (d2_l - d_l) - p * c_i`` (d2_l: distance from l to its second nearest agent),
      the sum multiplied by A / L with ``normalize_reward=True``. Its distance term depends only on the landmarks i is
      nearest to and changes with i's moves exactly as the team's does (the team's without agent i does not depend on
      i), so every landmark counts and no agent gains by leaving a landmark to others. With ``'observed'`` a landmark
      that is in no agent's K_L nearest scores nobody: measured at N = L = 50 (K_L = 2) on trained policies, a quarter
      of the landmarks end an episode so, and they make three quarters of the team's distance term
      (``bench/reward_coverage.py``). Scoring agent i by the d_l of the landmarks it is nearest to (its Voronoi cell)
      instead leaves none out but pays an agent for crowding others, whose cells then take its landmarks (measured at
      N = 50: the README's section "Does ATOC's communication pay off?").

    ``eval_episode_return`` is the sum of the team rewards with either ``reward_type``.

    Metrics in ``info`` at the end of an episode: ``occupied_landmarks`` (share of landmarks whose nearest agent is
    closer than ``occupied_threshold`` at the last step), ``collisions`` (colliding pairs summed over the steps of
    the episode), ``mean_distance`` (mean over landmarks of the distance to the nearest agent, at the last step).
"""
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ding.utils import ENV_REGISTRY

from .array_ops import Array, as_float32, namespace, take_along
from .base_env import COMMON_CONFIG, PointMassTeamEnv
from .config_utils import check_int
from .geometry import gather_neighbours, k_nearest, pairwise_offsets
from .physics import PHYSICS_DEFAULTS, PointMassWorld

#: The values of cooperative navigation's ``local_reward_scope``.
LOCAL_REWARD_SCOPES = ('observed', 'difference')


def agent_collisions(dist_agent_agent: Array, agent_size: float) -> Array:
    """
    Overview:
        How many other agents each agent collides with (their discs overlap).
    Arguments:
        - dist_agent_agent (:obj:`Array`): (..., A, A) distances, ``inf`` on the diagonal.
        - agent_size (:obj:`float`): agent radius; a pair collides when closer than ``2 * agent_size``.
    Returns:
        - hits (:obj:`Array`): (..., A) integer counts c_i; ``hits.sum(-1) // 2`` is the number of colliding pairs.
    """
    return (dist_agent_agent < 2.0 * agent_size).sum(axis=-1)


def navigation_reward(landmark_dist: Array, hits: Array, collision_penalty: float, normalize: bool) -> Array:
    """
    Overview:
        Team reward of cooperative navigation (module doc) for one state (numpy) or a batch of states (torch, leading
        axes ``...``).
    Arguments:
        - landmark_dist (:obj:`Array`): (..., L) d_l, the distance that scores every landmark.
        - hits (:obj:`Array`): (..., A) c_i, see ``agent_collisions``.
        - collision_penalty (:obj:`float`): penalty per agent in a collision.
        - normalize (:obj:`bool`): divide the distance term by L and the collision term by A.
    Returns:
        - reward (:obj:`Array`): (...) ``-sum_l d_l - p * sum_i c_i`` (normalized: means instead of sums).
    """
    if normalize:
        return -landmark_dist.mean(axis=-1) - collision_penalty * hits.sum(axis=-1) / hits.shape[-1]
    return -landmark_dist.sum(axis=-1) - collision_penalty * hits.sum(axis=-1)


def navigation_local_reward(scored: Array, hits: Array, collision_penalty: float, normalize: bool,
                            landmarks_per_agent: Optional[float] = None) -> Array:
    """
    Overview:
        Per-agent (local) rewards of cooperative navigation (module doc), one state (numpy) or a batch of states
        (torch, leading axes ``...``).
    Arguments:
        - scored (:obj:`Array`): (..., A, M) the distance terms that score each agent: the d_l of its K_L nearest
          landmarks (in the hidden target task its own target, M = 1); with ``local_reward_scope='difference'`` one
          per landmark, d_l - d2_l where the agent is the landmark's nearest, 0 elsewhere (M = L).
        - hits (:obj:`Array`): (..., A) c_i, see ``agent_collisions``.
        - collision_penalty (:obj:`float`): penalty per collision.
        - normalize (:obj:`bool`): divide the distance term by ``landmarks_per_agent``.
        - landmarks_per_agent (:obj:`Optional[float]`): the divisor of ``normalize``; None: M (the mean over m).
    Returns:
        - reward (:obj:`Array`): (..., A) ``r_i = -sum_m scored[i, m] - p * c_i`` (normalized: the sum divided by
          ``landmarks_per_agent``).
    """
    distance = scored.sum(axis=-1)
    if normalize:
        distance = distance / (scored.shape[-1] if landmarks_per_agent is None else landmarks_per_agent)
    return -distance - collision_penalty * hits


def navigation_metrics(nearest: Array, collisions: Any, occupied_threshold: float) -> Dict[str, Any]:
    """
    Overview:
        The episode metrics of cooperative navigation (see the module doc), of one episode or a batch of episodes.
    Arguments:
        - nearest (:obj:`Array`): (..., L) distance from every landmark to its nearest agent at the last step.
        - collisions: (...) colliding pairs summed over the episode.
        - occupied_threshold (:obj:`float`): see the config.
    Returns:
        - metrics (:obj:`Dict[str, Any]`): ``occupied_landmarks``, ``collisions``, ``mean_distance``, each (...).
    """
    occupied = (nearest < occupied_threshold).sum(axis=-1) / nearest.shape[-1]
    return dict(occupied_landmarks=occupied, collisions=collisions, mean_distance=nearest.mean(axis=-1))


def navigation_features(
        nearest: Array,
        pos: Array,
        vel: Array,
        dx: Array,
        dy: Array,
        landmarks: Array,
        dx_al: Array,
        dy_al: Array,
        landmark_idx: Array,
        half_width: float,
        mates_extra: Optional[Array] = None,
) -> Tuple[Array, Array]:
    """
    Overview:
        Local and global features of cooperative navigation (layout in the module doc), for one state (numpy) or a
        batch of states (torch, leading axes ``...``).
    Arguments:
        - nearest (:obj:`Array`): (..., A, K) the K nearest other agents of every agent.
        - pos, vel (:obj:`Array`): (..., A, 2) agent positions and velocities.
        - dx, dy (:obj:`Array`): (..., A, A) agent-to-agent offsets.
        - landmarks (:obj:`Array`): (..., L, 2) landmark positions.
        - dx_al, dy_al (:obj:`Array`): (..., A, L) agent-to-landmark offsets.
        - landmark_idx (:obj:`Array`): (..., A, K_L) the K_L nearest landmarks of every agent, nearest first.
        - half_width (:obj:`float`): H.
        - mates_extra (:obj:`Optional[Array]`): (..., A, X) more columns about teammates, placed right after the K
          nearest agents (the hidden target task's partner block); None: none.
    Returns:
        - agent_state (:obj:`Array`): float32 (..., A, 4 + 2K + X + 2K_L).
        - global_state (:obj:`Array`): float32 (..., 4A + 2L).
    """
    xp, batch, h = namespace(pos), pos.shape[:-2], half_width
    mates = [gather_neighbours(nearest, dx, dy)] + ([] if mates_extra is None else [mates_extra])
    agent_state = xp.concatenate([vel, pos / h] + mates + [gather_neighbours(landmark_idx, dx_al, dy_al)], axis=-1)
    flat = [pos / h, vel, landmarks / h]
    glob = xp.concatenate([x.reshape(batch + (-1, )) for x in flat], axis=-1)
    return as_float32(agent_state), as_float32(glob)


@ENV_REGISTRY.register('cooperative_navigation')
class CooperativeNavigationEnv(PointMassTeamEnv):
    """
    Overview:
        Cooperative navigation at any team size (see module doc), in DI-engine's multi-agent observation format plus
        ``agent_distance``.
    Interfaces:
        those of ``PointMassTeamEnv``, plus ``set_state`` (place agents and landmarks by hand, e.g. in tests),
        ``world_params``, ``draw_layout`` and ``landmark_state`` (shared with the batched env).
    """
    name = 'cooperative_navigation'
    config = dict(
        COMMON_CONFIG,
        # (str) 'team': float32 (1,), -sum_l d_l - p * sum_i c_i (d_l: distance from landmark l to its nearest agent,
        # c_i: agents colliding with agent i, p: collision_penalty); 'local' (the paper's): float32 (A,),
        # r_i = -sum_{l in N_i} d_l - p * c_i over agent i's K_L nearest landmarks N_i. normalize_reward turns the
        # sums over landmarks into means (and the team's collision term into a mean over agents).
        reward_type='team',
        # (str) With reward_type='local', what scores agent i: 'observed', the landmarks N_i of its K_L nearest (a
        # landmark in nobody's K_L nearest scores nobody); 'difference', sum (d2_l - d_l) over the landmarks it is the
        # nearest agent to (d2_l: to the second nearest), what it takes off the team's distance term
        # (normalize_reward multiplies that sum by A / L).
        local_reward_scope='observed',
        # (int) Number of landmarks L (>= 1).
        n_landmark=3,
        # (int or None) K_L: number of nearest landmarks in the local observation; None: max(1, min(n_nearest, L)).
        n_nearest_landmark=None,
        # (float or None) Half-width H of the square arena; None: sqrt(n_agent / 3) (MPE's density at any A).
        arena_size=None,
        # (float) Agent radius, as MPE's simple_spread.
        agent_size=0.15,
        # (float) Landmark radius (drawing only; landmarks do not collide).
        landmark_size=0.05,
        # (float) Acceleration per unit of action, as MPE.
        agent_accel=5.0,
        # (float or None) Speed limit of the agents; None: none, as MPE's simple_spread.
        agent_max_speed=None,
        # (float) Penalty per agent in a collision, per step (MPE: 1).
        collision_penalty=1.0,
        # (bool) Divide the distance term of the reward by L and the collision term by A.
        normalize_reward=True,
        # (float) A landmark counts as occupied when its nearest agent is closer than this (MPE's benchmark: 0.1).
        occupied_threshold=0.1,
        # (dict) Physics constants, see physics.PHYSICS_DEFAULTS.
        physics=dict(PHYSICS_DEFAULTS),
    )

    def _check_config(self) -> None:
        cfg = self._cfg
        self._n_landmark = self._landmark_count()
        if cfg.n_nearest_landmark is None:
            self._k_landmark = max(1, min(cfg.n_nearest, self._n_landmark))
        else:
            check_int(cfg, 'n_nearest_landmark', self.name, low=0)
            if cfg.n_nearest_landmark > self._n_landmark:
                raise ValueError(
                    f'{self.name}: n_nearest_landmark={cfg.n_nearest_landmark} exceeds n_landmark={self._n_landmark}'
                )
            self._k_landmark = int(cfg.n_nearest_landmark)
        self._scope = self._local_reward_scope()
        if cfg.reward_type == 'local' and self._scope == 'observed' and self._k_landmark == 0:
            raise ValueError(
                f"{self.name}: reward_type='local' scores each agent by its n_nearest_landmark nearest landmarks, "
                f"so it needs n_nearest_landmark >= 1, got 0"
            )
        for key in ('agent_size', 'agent_accel'):
            if not cfg[key] > 0:
                raise ValueError(f'{self.name}: {key} must be > 0, got {cfg[key]}')
        if cfg.arena_size is not None and not cfg.arena_size > 0:
            raise ValueError(f'{self.name}: arena_size must be > 0 or None, got {cfg.arena_size}')
        self._half_width = float(np.sqrt(cfg.n_agent / 3.0) if cfg.arena_size is None else cfg.arena_size)

    def _local_reward_scope(self) -> str:
        """``local_reward_scope`` from the config (checked)."""
        scope = self._cfg.local_reward_scope
        if scope not in LOCAL_REWARD_SCOPES:
            raise ValueError(f"{self.name}: local_reward_scope={scope!r}, expected one of {LOCAL_REWARD_SCOPES}")
        return scope

    def _landmark_count(self) -> int:
        """L, from the config (checked)."""
        check_int(self._cfg, 'n_landmark', self.name, low=1)
        return int(self._cfg.n_landmark)

    @property
    def n_landmark(self) -> int:
        """L: the number of landmarks."""
        return self._n_landmark

    @property
    def k_landmark(self) -> int:
        """K_L: the nearest landmarks in each agent's local observation."""
        return self._k_landmark

    def _feature_layout(self) -> Tuple[int, int, slice]:
        a, l, k = self._cfg.n_agent, self._n_landmark, self._cfg.n_nearest
        return 4 + 2 * k + 2 * self._k_landmark, 4 * a + 2 * l, slice(4, 4 + 2 * k)

    def world_params(self) -> Dict[str, Any]:
        """
        Overview:
            The constructor arguments of the point-mass world (``physics.py``; the batched envs' torch world takes
            the same): the agents' sizes, accelerations and speed limits, the arena and the physics constants.
        """
        cfg, a = self._cfg, self._cfg.n_agent
        max_speed = np.inf if cfg.agent_max_speed is None else cfg.agent_max_speed
        return dict(
            size=np.full(a, cfg.agent_size),
            accel=np.full(a, cfg.agent_accel),
            max_speed=np.full(a, max_speed),
            half_width=self._half_width,
            **cfg.physics,
        )

    def draw_layout(self, rng: np.random.Generator) -> Dict[str, np.ndarray]:
        """
        Overview:
            The random start of an episode: agents, then landmarks, uniform in the arena (the batched envs draw their
            layouts with this too, so a seed gives the same episode in both).
        Returns:
            - layout (:obj:`Dict[str, np.ndarray]`): ``agent_pos`` (A, 2), ``landmark_pos`` (L, 2).
        """
        h = self._half_width
        agent_pos = rng.uniform(-h, h, size=(self._cfg.n_agent, 2))
        return dict(agent_pos=agent_pos, landmark_pos=rng.uniform(-h, h, size=(self._n_landmark, 2)))

    def _reset_world(self, rng: np.random.Generator) -> None:
        if not hasattr(self, '_world'):
            self._world = PointMassWorld(**self.world_params())
        layout = self.draw_layout(rng)
        self._world.set_state(layout['agent_pos'])
        self._landmarks = layout['landmark_pos']
        self._collisions = 0
        self._update_landmark_geometry()

    def landmark_state(self, pos: Array, landmarks: Array, dist_agent_agent: Array) -> Dict[str, Any]:
        """
        Overview:
            What a state gives besides the world's own geometry: agent-to-landmark geometry, the landmark distances
            that score the task, rewards and collisions; of one state (numpy) or a batch of states (torch, leading
            axes ``...``; the batched env calls this on its config's env).
        Arguments:
            - pos (:obj:`Array`): (..., A, 2) agent positions.
            - landmarks (:obj:`Array`): (..., L, 2) landmark positions.
            - dist_agent_agent (:obj:`Array`): (..., A, A) distances between agents, ``inf`` on the diagonal.
        Returns:
            - state (:obj:`Dict[str, Any]`): ``dx_al``, ``dy_al``, ``dist_al`` (..., A, L) agent-to-landmark offsets
              and distances; ``landmark_idx`` (..., A, K_L) each agent's nearest landmarks; ``landmark_dist``
              (..., L) d_l; ``collisions`` (...) colliding pairs; ``reward`` (...) team reward; ``local_reward``
              (..., A) with ``reward_type='local'``, else None.
        """
        cfg = self._cfg
        dx_al, dy_al, dist_al = pairwise_offsets(pos, landmarks)
        landmark_idx = k_nearest(dist_al, self._k_landmark)
        hits = agent_collisions(dist_agent_agent, cfg.agent_size)
        landmark_dist, scored = self._scores(dist_al, landmark_idx)
        local = None
        if self._local_reward:
            per_agent = self._n_landmark / cfg.n_agent if self._scope == 'difference' else None
            local = navigation_local_reward(scored, hits, cfg.collision_penalty, cfg.normalize_reward, per_agent)
        return dict(
            dx_al=dx_al,
            dy_al=dy_al,
            dist_al=dist_al,
            landmark_idx=landmark_idx,
            landmark_dist=landmark_dist,
            collisions=hits.sum(axis=-1) // 2,
            reward=navigation_reward(landmark_dist, hits, cfg.collision_penalty, cfg.normalize_reward),
            local_reward=local,
        )

    def _scores(self, dist_al: Array, landmark_idx: Array) -> Tuple[Array, Array]:
        """
        d_l (..., L): the distance from every landmark to its nearest agent; and the distance terms that score each
        agent's local reward (``local_reward_scope``): (..., A, K_L) the d_l of its K_L nearest landmarks, or
        (..., A, L) d_l - d2_l where it is the landmark's nearest agent and 0 elsewhere.
        """
        xp = namespace(dist_al)
        nearest = xp.amin(dist_al, axis=-2)
        if self._scope == 'difference':
            is_nearest = dist_al == nearest[..., None, :]
            second = xp.amin(xp.where(is_nearest, xp.full_like(dist_al, np.inf), dist_al), axis=-2)
            return nearest, xp.where(is_nearest, (nearest - second)[..., None, :], xp.zeros_like(dist_al))
        return nearest, take_along(nearest[..., None, :], landmark_idx, axis=-1)

    def _update_landmark_geometry(self) -> None:
        self._state = self.landmark_state(self._world.pos, self._landmarks, self._world.dist)

    def _advance(self, accel: np.ndarray) -> Tuple[float, Optional[np.ndarray]]:
        self._world.step(accel)
        self._update_landmark_geometry()
        self._collisions += int(self._state['collisions'])
        return float(self._state['reward']), self._state['local_reward']

    def _agent_distances(self) -> np.ndarray:
        return self._world.dist

    def _features(self, nearest: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        w, st = self._world, self._state
        return navigation_features(
            nearest, w.pos, w.vel, w.dx, w.dy, self._landmarks, st['dx_al'], st['dy_al'], st['landmark_idx'],
            self._half_width
        )

    def _episode_metrics(self) -> Dict[str, float]:
        metrics = navigation_metrics(self._state['landmark_dist'], self._collisions, self._cfg.occupied_threshold)
        return {k: float(v) for k, v in metrics.items()}

    def _render_entities(self) -> Dict[str, Any]:
        return dict(
            half_width=self._half_width,
            agents=self._world.pos.copy(),
            agent_size=self._cfg.agent_size,
            landmarks=self._landmarks.copy(),
            landmark_size=self._cfg.landmark_size,
        )

    def set_state(
            self,
            agent_pos: np.ndarray,
            agent_vel: Optional[np.ndarray] = None,
            landmark_pos: Optional[np.ndarray] = None
    ) -> Any:
        """
        Overview:
            Place agents (and landmarks) by hand in the running episode, e.g. to test rewards and metrics.
        Arguments:
            - agent_pos (:obj:`np.ndarray`): (A, 2).
            - agent_vel (:obj:`Optional[np.ndarray]`): (A, 2), zero when None.
            - landmark_pos (:obj:`Optional[np.ndarray]`): (L, 2), unchanged when None.
        Returns:
            - obs: the observation of the new state.
        """
        self._require_running('set_state')
        self._world.set_state(agent_pos, agent_vel)
        if landmark_pos is not None:
            landmark_pos = np.asarray(landmark_pos, dtype=np.float64)
            if landmark_pos.shape != self._landmarks.shape:
                raise ValueError(f'landmark_pos must have shape {self._landmarks.shape}, got {landmark_pos.shape}')
            self._landmarks = landmark_pos.copy()
        self._update_landmark_geometry()
        return self._observe()
