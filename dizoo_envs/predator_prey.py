"""
Overview:
    Predator-prey: A learning predators (the agents, one shared team reward) chase P faster scripted prey in the
    point-mass world of ``physics.py`` (MPE's ``simple_tag`` speeds and sizes). Registered as ``predator_prey``.

    Arena ``[-H, H]^2`` with ``H = sqrt((n_agent + n_prey) / 4)`` (MPE simple_tag's density of 4 agents in
    ``[-1, 1]^2``) unless ``arena_size`` sets it; the walls of the arena (``physics.bounded``) are what lets slower
    predators corner a prey.

    Prey policy (scripted): full acceleration straight away from the nearest predator.
    A prey is caught when a predator's disc touches it (distance < agent_size + prey_size); a caught prey respawns
    uniformly in the arena at rest at the end of the step, so one prey can be caught several times per episode.
    Each prey counts at most once per step.

    Local observation of predator i (``agent_state``, D = 4 + 4K + 4K_P, independent of A and P):
    ``[vel (2), pos / H (2), for the K nearest predators (dx, dy, dvx, dvy) (4K), for the K_P nearest prey
    (dx, dy, dvx, dvy) (4K_P)]``, nearest first, relative to predator i, in world units.

    Global state (G = 4A + 4P): ``[predator positions / H, predator velocities, prey positions / H,
    prey velocities]``.

    Rewards per step (``shaping_coef=0`` gives the sparse task):

    - ``reward_type='team'`` (default), float32 (1,): ``catch_reward * (prey caught this step) - shaping_coef * (mean
      over prey of the distance to the nearest predator)``;
    - ``reward_type='local'``, float32 (A,): predator i gets ``catch_reward * (prey it touches this step) -
      shaping_coef * (its distance to its nearest prey)``, i.e. each catch rewards every predator that makes it (a
      prey touched by two predators rewards both), and the shaping pulls each predator towards the prey it sees.

    ``eval_episode_return`` is the sum of the team rewards with either ``reward_type``.

    Metrics in ``info`` at the end of an episode: ``catches`` (per episode) and ``time_to_first_catch`` (the step,
    1-based, of the first catch; ``max_cycles`` when there was none).
"""
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ding.utils import ENV_REGISTRY

from .array_ops import Array, as_float32, namespace, take_along
from .base_env import COMMON_CONFIG, PointMassTeamEnv
from .config_utils import check_int
from .geometry import gather_neighbours, k_nearest
from .physics import PHYSICS_DEFAULTS, PointMassWorld


def prey_flee_action(dx: Array, dy: Array, dist: Array) -> Array:
    """
    Overview:
        The scripted prey policy: a unit acceleration straight away from the nearest predator (one state, numpy, or a
        batch of states, torch, leading axes ``...``).
    Arguments:
        - dx, dy, dist (:obj:`Array`): (..., A, P) offsets ``prey - predator`` and distances.
    Returns:
        - action (:obj:`Array`): (..., P, 2) unit vectors (zero when a predator sits exactly on the prey).
    """
    xp = namespace(dist)
    nearest = dist.argmin(axis=-2)[..., None, :]  # (..., 1, P): the first nearest predator of every prey
    d = xp.clip(take_along(dist, nearest, axis=-2)[..., 0, :], 1e-12, None)
    return xp.stack([take_along(dx, nearest, axis=-2)[..., 0, :] / d, take_along(dy, nearest, axis=-2)[..., 0, :] / d],
                    axis=-1)


def caught_prey(dist: Array, catch_distance: float) -> Array:
    """
    Overview:
        Which prey touch a predator.
    Arguments:
        - dist (:obj:`Array`): (..., A, P) predator-prey distances.
        - catch_distance (:obj:`float`): agent_size + prey_size.
    Returns:
        - caught (:obj:`Array`): (..., P) bool.
    """
    return (dist < catch_distance).any(axis=-2)


def predator_reward(dist: Array, catch_distance: float, catch_reward: float,
                    shaping_coef: float) -> Tuple[Array, Array]:
    """
    Overview:
        Team reward of predator-prey after a step, before caught prey respawn (one state, numpy, or a batch of states,
        torch, leading axes ``...``).
    Arguments:
        - dist (:obj:`Array`): (..., A, P) predator-prey distances.
        - catch_distance, catch_reward, shaping_coef (:obj:`float`): see ``caught_prey`` and the config.
    Returns:
        - reward (:obj:`Array`): (...) ``catch_reward * catches - shaping_coef * mean_prey(nearest predator distance)``.
        - caught (:obj:`Array`): (..., P) bool, the prey caught this step.
    """
    caught = caught_prey(dist, catch_distance)
    nearest = namespace(dist).amin(dist, axis=-2)
    return catch_reward * caught.sum(axis=-1) - shaping_coef * nearest.mean(axis=-1), caught


def predator_local_reward(dist: Array, catch_distance: float, catch_reward: float, shaping_coef: float) -> Array:
    """
    Overview:
        Per-predator (local) rewards of predator-prey after a step, before caught prey respawn (module doc), one state
        (numpy) or a batch of states (torch, leading axes ``...``).
    Arguments:
        - dist (:obj:`Array`): (..., A, P) predator-prey distances.
        - catch_distance, catch_reward, shaping_coef (:obj:`float`): see ``caught_prey`` and the config.
    Returns:
        - reward (:obj:`Array`): (..., A) ``catch_reward * (prey i touches) - shaping_coef * min_p dist[i, p]``.
    """
    touching = (dist < catch_distance).sum(axis=-1)
    return catch_reward * touching - shaping_coef * namespace(dist).amin(dist, axis=-1)


def predator_metrics(catches: Any, first_catch: Any, max_cycles: int) -> Dict[str, Any]:
    """
    Overview:
        The episode metrics of predator-prey (see the module doc), of one episode or a batch of episodes.
    Arguments:
        - catches: (...) prey caught in the episode.
        - first_catch: (...) the 1-based step of the first catch, 0 when there was none.
        - max_cycles (:obj:`int`): the episode length.
    Returns:
        - metrics (:obj:`Dict[str, Any]`): ``catches``, ``time_to_first_catch``, each (...).
    """
    return dict(catches=catches, time_to_first_catch=namespace(first_catch).where(first_catch > 0, first_catch,
                                                                                   max_cycles))


def predator_features(
        nearest: Array, pos: Array, vel: Array, dx: Array, dy: Array, dist: Array, n_agent: int, k_prey: int,
        half_width: float
) -> Tuple[Array, Array]:
    """
    Overview:
        Local and global features of predator-prey (layout in the module doc), for one state (numpy) or a batch of
        states (torch, leading axes ``...``).
    Arguments:
        - nearest (:obj:`Array`): (..., A, K) the K nearest other predators of every predator.
        - pos, vel (:obj:`Array`): (..., A + P, 2) positions and velocities, predators first.
        - dx, dy, dist (:obj:`Array`): (..., A + P, A + P) pairwise offsets and distances.
        - n_agent (:obj:`int`): A.
        - k_prey (:obj:`int`): K_P.
        - half_width (:obj:`float`): H.
    Returns:
        - agent_state (:obj:`Array`): float32 (..., A, 4 + 4K + 4K_P).
        - global_state (:obj:`Array`): float32 (..., 4A + 4P).
    """
    xp, batch, a, h = namespace(pos), pos.shape[:-2], n_agent, half_width
    # relative velocities of every entity seen from every predator
    dvx = vel[..., None, :, 0] - vel[..., :a, None, 0]
    dvy = vel[..., None, :, 1] - vel[..., :a, None, 1]
    mates = gather_neighbours(nearest, dx[..., :a, :a], dy[..., :a, :a], dvx[..., :a], dvy[..., :a])
    prey_idx = k_nearest(dist[..., :a, a:], k_prey)
    prey = gather_neighbours(prey_idx, dx[..., :a, a:], dy[..., :a, a:], dvx[..., a:], dvy[..., a:])
    agent_state = xp.concatenate([vel[..., :a, :], pos[..., :a, :] / h, mates, prey], axis=-1)
    flat = [pos[..., :a, :] / h, vel[..., :a, :], pos[..., a:, :] / h, vel[..., a:, :]]
    glob = xp.concatenate([x.reshape(batch + (-1, )) for x in flat], axis=-1)
    return as_float32(agent_state), as_float32(glob)


@ENV_REGISTRY.register('predator_prey')
class PredatorPreyEnv(PointMassTeamEnv):
    """
    Overview:
        Predators (learners) chase faster scripted prey (see module doc), in DI-engine's multi-agent observation format
        plus ``agent_distance`` (between predators).
    Interfaces:
        those of ``PointMassTeamEnv``, plus ``set_state`` (place predators and prey by hand, e.g. in tests),
        ``world_params`` and ``draw_positions`` (shared with the batched env).
    """
    name = 'predator_prey'
    config = dict(
        COMMON_CONFIG,
        # (int) Number of scripted prey P (>= 1).
        n_prey=1,
        # (int or None) K_P: number of nearest prey in the local observation; None: max(1, min(n_nearest, P)).
        n_nearest_prey=None,
        # (float or None) Half-width H of the square arena; None: sqrt((n_agent + n_prey) / 4).
        arena_size=None,
        # (float) Predator radius (MPE simple_tag adversary).
        agent_size=0.075,
        # (float) Predator acceleration per unit of action (MPE: 3.0).
        agent_accel=3.0,
        # (float or None) Predator speed limit (MPE: 1.0).
        agent_max_speed=1.0,
        # (float) Prey radius (MPE simple_tag good agent).
        prey_size=0.05,
        # (float) Prey acceleration (MPE: 4.0).
        prey_accel=4.0,
        # (float or None) Prey speed limit (MPE: 1.3), faster than the predators.
        prey_max_speed=1.3,
        # (float) Team reward per prey caught (MPE: 10).
        catch_reward=10.0,
        # (float) Weight of the shaping term -mean_prey(distance to the nearest predator); 0: sparse reward.
        shaping_coef=0.1,
        # (str) 'team': float32 (1,), catch_reward * (prey caught) - shaping_coef * mean_prey(distance to its nearest
        # predator); 'local': float32 (A,), predator i gets catch_reward * (prey it touches) - shaping_coef *
        # (its distance to its nearest prey).
        reward_type='team',
        # (dict) Physics constants, see physics.PHYSICS_DEFAULTS.
        physics=dict(PHYSICS_DEFAULTS),
    )

    def _check_config(self) -> None:
        cfg = self._cfg
        check_int(cfg, 'n_prey', self.name, low=1)
        if cfg.n_nearest_prey is None:
            self._k_prey = max(1, min(cfg.n_nearest, cfg.n_prey))
        else:
            check_int(cfg, 'n_nearest_prey', self.name, low=0)
            if cfg.n_nearest_prey > cfg.n_prey:
                raise ValueError(f'{self.name}: n_nearest_prey={cfg.n_nearest_prey} exceeds n_prey={cfg.n_prey}')
            self._k_prey = int(cfg.n_nearest_prey)
        for key in ('agent_size', 'agent_accel', 'prey_size', 'prey_accel'):
            if not cfg[key] > 0:
                raise ValueError(f'{self.name}: {key} must be > 0, got {cfg[key]}')
        if cfg.arena_size is not None and not cfg.arena_size > 0:
            raise ValueError(f'{self.name}: arena_size must be > 0 or None, got {cfg.arena_size}')
        self._half_width = float(
            np.sqrt((cfg.n_agent + cfg.n_prey) / 4.0) if cfg.arena_size is None else cfg.arena_size
        )
        self._catch_distance = float(cfg.agent_size + cfg.prey_size)

    @property
    def k_prey(self) -> int:
        """K_P: the nearest prey in each predator's local observation."""
        return self._k_prey

    @property
    def catch_distance(self) -> float:
        """A prey is caught closer than this to a predator: agent_size + prey_size."""
        return self._catch_distance

    def _feature_layout(self) -> Tuple[int, int, slice]:
        a, p, k = self._cfg.n_agent, self._cfg.n_prey, self._cfg.n_nearest
        return 4 + 4 * k + 4 * self._k_prey, 4 * a + 4 * p, slice(4, 4 + 4 * k)

    def world_params(self) -> Dict[str, Any]:
        """
        Overview:
            The constructor arguments of the point-mass world (``physics.py``; the batched envs' torch world takes
            the same): predators then prey, their sizes, accelerations and speed limits, the arena and the physics
            constants.
        """
        cfg, a, p, inf = self._cfg, self._cfg.n_agent, self._cfg.n_prey, np.inf
        return dict(
            size=np.r_[np.full(a, cfg.agent_size), np.full(p, cfg.prey_size)],
            accel=np.r_[np.full(a, cfg.agent_accel), np.full(p, cfg.prey_accel)],
            max_speed=np.r_[np.full(a, inf if cfg.agent_max_speed is None else cfg.agent_max_speed),
                            np.full(p, inf if cfg.prey_max_speed is None else cfg.prey_max_speed)],
            half_width=self._half_width,
            **cfg.physics,
        )

    def draw_positions(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """
        Overview:
            ``n`` positions uniform in the arena: the start of an episode (predators then prey) and the respawn
            points of caught prey, drawn in turn from the episode's generator (the batched envs draw from it too, so
            a seed gives the same episode in both).
        Returns:
            - pos (:obj:`np.ndarray`): (n, 2).
        """
        h = self._half_width
        return rng.uniform(-h, h, size=(n, 2))

    def _reset_world(self, rng: np.random.Generator) -> None:
        self._rng = rng  # respawns of this episode
        if not hasattr(self, '_world'):
            self._world = PointMassWorld(**self.world_params())
        self._world.set_state(self.draw_positions(rng, self._n_agent + self._cfg.n_prey))
        self._catches = 0
        self._first_catch = 0  # none yet

    def _predator_prey_block(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, w = self._n_agent, self._world
        return w.dx[:a, a:], w.dy[:a, a:], w.dist[:a, a:]

    def _advance(self, accel: np.ndarray) -> Tuple[float, Optional[np.ndarray]]:
        cfg, a, w = self._cfg, self._n_agent, self._world
        prey_accel = prey_flee_action(*self._predator_prey_block())
        w.step(np.concatenate([accel, prey_accel], axis=0))
        reward, caught = predator_reward(w.dist[:a, a:], self._catch_distance, cfg.catch_reward, cfg.shaping_coef)
        local = None
        if self._local_reward:
            local = predator_local_reward(w.dist[:a, a:], self._catch_distance, cfg.catch_reward, cfg.shaping_coef)
        n_caught = int(caught.sum())
        if n_caught:
            self._catches += n_caught
            if not self._first_catch:
                self._first_catch = self._step_count + 1
            pos = w.pos.copy()
            vel = w.vel.copy()
            pos[a:][caught] = self.draw_positions(self._rng, n_caught)
            vel[a:][caught] = 0.0
            w.set_state(pos, vel)
        return float(reward), local

    def _agent_distances(self) -> np.ndarray:
        a = self._n_agent
        return self._world.dist[:a, :a]

    def _features(self, nearest: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        w = self._world
        return predator_features(
            nearest, w.pos, w.vel, w.dx, w.dy, w.dist, self._n_agent, self._k_prey, self._half_width
        )

    def _episode_metrics(self) -> Dict[str, float]:
        metrics = predator_metrics(self._catches, self._first_catch, self._cfg.max_cycles)
        return {k: float(v) for k, v in metrics.items()}

    def _render_entities(self) -> Dict[str, Any]:
        a = self._n_agent
        return dict(
            half_width=self._half_width,
            agents=self._world.pos[:a].copy(),
            agent_size=self._cfg.agent_size,
            prey=self._world.pos[a:].copy(),
            prey_size=self._cfg.prey_size,
        )

    def set_state(
            self,
            agent_pos: np.ndarray,
            prey_pos: np.ndarray,
            agent_vel: Optional[np.ndarray] = None,
            prey_vel: Optional[np.ndarray] = None,
    ) -> Any:
        """
        Overview:
            Place predators and prey by hand in the running episode, e.g. to test catches.
        Arguments:
            - agent_pos (:obj:`np.ndarray`): (A, 2) predator positions.
            - prey_pos (:obj:`np.ndarray`): (P, 2) prey positions.
            - agent_vel, prey_vel (:obj:`Optional[np.ndarray]`): velocities, zero when None.
        Returns:
            - obs: the observation of the new state.
        """
        self._require_running('set_state')
        a, p = self._n_agent, self._cfg.n_prey
        agent_pos = np.asarray(agent_pos, dtype=np.float64).reshape(a, 2)
        prey_pos = np.asarray(prey_pos, dtype=np.float64).reshape(p, 2)
        vel = np.zeros((a + p, 2))
        if agent_vel is not None:
            vel[:a] = np.asarray(agent_vel, dtype=np.float64).reshape(a, 2)
        if prey_vel is not None:
            vel[a:] = np.asarray(prey_vel, dtype=np.float64).reshape(p, 2)
        self._world.set_state(np.concatenate([agent_pos, prey_pos]), vel)
        return self._observe()
