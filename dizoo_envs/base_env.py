"""
Overview:
    ``PointMassTeamEnv``: what the point-mass team envs of this package share: config merge and checks, DI-engine
    seeding, action validation, episode bookkeeping, the observable field of each agent, observation assembly,
    info at episode end, rendering and GIF replays. Subclasses add the world (``_reset_world``), its dynamics and
    reward (``_advance``), the local/global features (``_features``) and the episode metrics.
"""
import os
from typing import Any, Callable, Dict, Optional, Tuple

import gymnasium as gym
import numpy as np
from easydict import EasyDict

from ding.envs import BaseEnv, BaseEnvTimestep

from .actions import MoveActions
from .array_ops import Array
from .config_utils import build_config, check_int, default_config_of
from .geometry import FIELD_TYPES, field_distance_matrix, k_nearest
from .observation import TeamObservation
from .render import render_frame, save_episode_gif
from .seeding import EpisodeSeeder

#: Config keys common to every point-mass team env (subclasses extend this dict).
COMMON_CONFIG = dict(
    # (int) Number of learning agents A (>= 2).
    n_agent=3,
    # (int) Episode length in steps; the episode ends (done=True) after this many steps.
    max_cycles=25,
    # (bool) Continuous actions (Box [-1, 1]^2 per agent) or 5 discrete MPE moves.
    continuous_actions=False,
    # (int) K: number of nearest other agents in each agent's local observation (0 <= K <= A - 1).
    n_nearest=2,
    # (dict) Each agent's observable field, which defines ``agent_distance``.
    observable_field=dict(
        # (str) 'k_nearest': the k nearest other agents; 'radius': every agent within ``radius``.
        type='k_nearest',
        # (int or None) k of 'k_nearest'; None means ``n_nearest``.
        k=None,
        # (float) Radius of 'radius', in world units.
        radius=1.0,
    ),
    # (bool) Return only the (A, D) ``agent_state`` array instead of the observation dict (DI-engine option).
    agent_obs_only=False,
    # (bool) ``global_state`` of shape (A, D + G): each agent's local state followed by the global state, as
    # DI-engine's petting_zoo env (needed by MAPPO, MASAC, MADDPG); False: shape (G,) (QMIX).
    agent_specific_global_state=False,
    # (bool) DI-engine option that maps actions from [-1, 1] to the action space; the space is already
    # [-1, 1], so it changes nothing; only valid with continuous actions.
    act_scale=False,
    # (str or None) When set, every episode is saved as a GIF in this folder.
    replay_path=None,
    # (str) 'team': one reward shared by the team, float32 (1,); 'local': one reward per agent, float32 (A,), from
    # what lies in the agent's own neighbourhood (each env gives its formula). ``eval_episode_return`` sums the team
    # reward either way, so policies trained on either are scored alike.
    reward_type='team',
)

#: The values of ``reward_type``.
REWARD_TYPES = ('team', 'local')


class PointMassTeamEnv(BaseEnv):
    """
    Overview:
        Base class of the point-mass team envs (see module doc). Not registered itself.
    Interfaces:
        ``__init__``, ``reset``, ``step``, ``seed``, ``close``, ``random_action``, ``render``, ``render_state``,
        ``save_episode_gif``, ``enable_save_replay``, ``default_config``, ``observation_space``, ``action_space``,
        ``reward_space``, and for the batched envs (``dizoo_envs/batched``), which take this env as their config and
        layout: ``observation``, ``cfg``, ``moves``, ``half_width``
    """
    #: registry name, set by subclasses
    name = 'point_mass_team'
    #: default config, set by subclasses
    config = COMMON_CONFIG

    @classmethod
    def default_config(cls) -> EasyDict:
        """
        Overview:
            The default config, with ``cfg_type`` as DI-engine's ``compile_config`` expects.
        """
        return default_config_of(cls)

    def __init__(self, cfg: Optional[dict] = None) -> None:
        """
        Arguments:
            - cfg (:obj:`Optional[dict]`): overrides of ``default_config()``; unknown keys raise ``KeyError``,
              invalid values ``ValueError``.
        """
        self._cfg = build_config(self.config, cfg, self.name)
        self._check_common_config()
        self._check_config()
        cfg = self._cfg
        self._n_agent = int(cfg.n_agent)
        self._k = int(cfg.n_nearest)
        field = cfg.observable_field
        self._field_type = field.type
        self._field_k = self._k if field.k is None else int(field.k)
        self._field_radius = float(field.radius)
        self._moves = MoveActions(self._n_agent, cfg.continuous_actions, self.name)
        agent_dim, global_dim, teammate_cols = self._feature_layout()
        self._layout = TeamObservation(
            self._n_agent,
            agent_dim,
            global_dim,
            teammate_cols,
            self._moves.n_actions,
            agent_obs_only=cfg.agent_obs_only,
            agent_specific_global_state=cfg.agent_specific_global_state,
            privileged_dim=self._privileged_dim(),
        )
        self._observation_space = self._layout.space()
        self._action_space = self._moves.space()
        self._local_reward = cfg.reward_type == 'local'
        reward_shape = (self._n_agent, ) if self._local_reward else (1, )
        self._reward_space = gym.spaces.Box(low=-np.inf, high=np.inf, shape=reward_shape, dtype=np.float32)
        self._seeder = EpisodeSeeder()
        self._action_rng = np.random.default_rng()
        self._replay_path = cfg.replay_path
        self._replay_states = []
        self._episode_count = 0
        self._step_count = 0
        self._episode_return = 0.0
        self._running = False  # an episode was reset and has not ended
        self._ended = False  # the last episode ended; step() needs a reset()
        self._field_neighbours = np.zeros((self._n_agent, 0), dtype=np.int64)

    # ------------------------------------------------------------------ config
    def _check_common_config(self) -> None:
        cfg = self._cfg
        check_int(cfg, 'n_agent', self.name, low=2)
        check_int(cfg, 'max_cycles', self.name, low=1)
        check_int(cfg, 'n_nearest', self.name, low=0)
        if cfg.n_nearest > cfg.n_agent - 1:
            raise ValueError(
                f'{self.name}: n_nearest={cfg.n_nearest} exceeds the number of other agents '
                f'(n_agent - 1 = {cfg.n_agent - 1})'
            )
        field = cfg.observable_field
        if field.type not in FIELD_TYPES:
            raise ValueError(f"{self.name}: observable_field.type='{field.type}', expected one of {FIELD_TYPES}")
        if field.k is not None:
            check_int(field, 'k', self.name + ': observable_field', low=0)
            if field.k > cfg.n_agent - 1:
                raise ValueError(
                    f'{self.name}: observable_field.k={field.k} exceeds the number of other agents '
                    f'(n_agent - 1 = {cfg.n_agent - 1})'
                )
        if not (isinstance(field.radius, (int, float)) and field.radius > 0):
            raise ValueError(f'{self.name}: observable_field.radius must be a positive number, got {field.radius}')
        if cfg.act_scale and not cfg.continuous_actions:
            raise ValueError(f'{self.name}: act_scale=True needs continuous_actions=True')
        if cfg.reward_type not in REWARD_TYPES:
            raise ValueError(f"{self.name}: reward_type={cfg.reward_type!r}, expected one of {REWARD_TYPES}")

    def _check_config(self) -> None:
        """Subclass checks of its own keys."""

    # ------------------------------------------------------------------ hooks
    def _feature_layout(self) -> Tuple[int, int, slice]:
        """Returns (D, G, teammate columns of agent_state)."""
        raise NotImplementedError

    def _reset_world(self, rng: np.random.Generator) -> None:
        """Place every entity for a new episode and reset the episode metrics."""
        raise NotImplementedError

    def _advance(self, accel: np.ndarray) -> Tuple[float, Optional[np.ndarray]]:
        """
        Apply the agents' unit accelerations (A, 2) for one step; returns the team reward and, with
        ``reward_type='local'``, the (A,) rewards of the agents (else None).
        """
        raise NotImplementedError

    def _agent_distances(self) -> np.ndarray:
        """(A, A) distances between the agents, ``inf`` on the diagonal."""
        raise NotImplementedError

    def _features(self, nearest: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """float32 (A, D) local and (G,) global features, given the (A, K) nearest other agents."""
        raise NotImplementedError

    def _privileged_dim(self) -> int:
        """P: the width of the privileged per-agent features (see ``observation.py``); 0: none."""
        return 0

    def _privileged(self) -> Optional[np.ndarray]:
        """float32 (A, P) privileged per-agent features of the current state; None when P = 0."""
        return None

    def _episode_metrics(self) -> Dict[str, float]:
        """The task metrics reported in ``info`` at the end of an episode."""
        raise NotImplementedError

    def _render_entities(self) -> Dict[str, Any]:
        """The entities of ``render_state`` (see ``render.py``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ BaseEnv API
    def seed(self, seed: int, dynamic_seed: bool = True) -> None:
        """
        Overview:
            DI-engine seeding (see ``seeding.py``): with ``dynamic_seed=True`` every episode has a fresh layout from a
            sequence fixed by ``seed``; with False every reset replays the same episode.
        """
        self._seeder.seed(seed, dynamic_seed)
        self._action_rng = np.random.default_rng(abs(int(seed)))

    def reset(self) -> Any:
        """
        Overview:
            Start a new episode.
        Returns:
            - obs: the observation dict (see ``observation.py``), or the (A, D) array with ``agent_obs_only``.
        """
        self._reset_world(self._seeder.episode_rng())
        self._step_count = 0
        self._episode_return = 0.0
        self._running, self._ended = True, False
        obs = self._observe()
        if self._replay_path is not None:
            self._replay_states = [self.render_state()]
        return obs

    def step(self, action: Any) -> BaseEnvTimestep:
        """
        Overview:
            One step of every agent.
        Arguments:
            - action: continuous: float (A, 2) in [-1, 1]; discrete: integer (A,) in [0, 5).
        Returns:
            - timestep (:obj:`BaseEnvTimestep`): obs, reward (float32 (1,) team reward, or (A,) per-agent rewards with
              ``reward_type='local'``), done (bool), info (at the end of the episode: ``eval_episode_return``, the sum
              of the team rewards whatever ``reward_type``, the task metrics, and the same metrics in
              ``info['episode_info']``, which DI-engine's evaluator logs).
        """
        if self._ended:
            raise RuntimeError(
                f'{self.name}: step() called after the episode ended (max_cycles={self._cfg.max_cycles}); '
                f'call reset() first'
            )
        if not self._running:
            raise RuntimeError(f'{self.name}: step() called before reset()')
        accel = self._moves.to_accel(action)
        team, local = self._advance(accel)
        reward = local if self._local_reward else np.array([team])
        self._step_count += 1
        self._episode_return += float(team)
        obs = self._observe()
        done = self._step_count >= self._cfg.max_cycles
        info = {}
        if self._replay_path is not None:
            self._replay_states.append(self.render_state())
        if done:
            self._running, self._ended = False, True
            metrics = {k: np.float64(v) for k, v in self._episode_metrics().items()}
            info['eval_episode_return'] = self._episode_return
            info.update(metrics)
            info['episode_info'] = dict(metrics)
            if self._replay_path is not None:
                self._save_replay()
            self._episode_count += 1
        return BaseEnvTimestep(obs, reward.astype(np.float32), done, info)

    def random_action(self) -> np.ndarray:
        """
        Overview:
            A random valid action: float32 (A, 2) (continuous) or int64 (A,) (discrete).
        """
        return self._moves.sample(self._action_rng)

    def close(self) -> None:
        self._running = False

    def enable_save_replay(self, replay_path: Optional[str] = None) -> None:
        """
        Overview:
            Save every following episode as a GIF in ``replay_path`` (DI-engine's replay interface).
        """
        self._replay_path = './video' if replay_path is None else replay_path

    def render(self, mode: str = 'rgb_array') -> np.ndarray:
        """
        Overview:
            Draw the current state.
        Returns:
            - frame (:obj:`np.ndarray`): uint8 (400, 400, 3).
        """
        if mode != 'rgb_array':
            raise ValueError(f"{self.name}: only render mode 'rgb_array' is supported, got '{mode}'")
        return render_frame(self.render_state())

    #: Draws a list of ``render_state()``s (with each step's communication groups) as a GIF: with ``render_state``,
    #: what ``ding-atoc eval`` needs to draw an episode (``ding_atoc.entry.evaluate.DRAWING_METHODS``).
    save_episode_gif = staticmethod(save_episode_gif)

    def render_state(self) -> Dict[str, Any]:
        """
        Overview:
            The current state as a render state of ``render.py`` (copies, safe to keep).
        """
        state = self._render_entities()
        if self._field_type == 'radius':
            state['field'] = dict(type='radius', radius=self._field_radius)
        else:
            neighbours = self._field_neighbours
            if self.always_in_field is not None:
                neighbours = np.concatenate([neighbours, self.always_in_field], axis=-1)
            state['field'] = dict(type='k_nearest', neighbours=neighbours.copy())
        state['title'] = f'{self.name} t={self._step_count}'
        return state

    def __repr__(self) -> str:
        return f'{type(self).__name__}(n_agent={self._n_agent}, continuous_actions={self._cfg.continuous_actions})'

    @property
    def cfg(self) -> EasyDict:
        """The merged and checked config (read it, do not change it)."""
        return self._cfg

    @property
    def moves(self) -> MoveActions:
        """The action space and action checks."""
        return self._moves

    @property
    def half_width(self) -> float:
        """H: the arena is ``[-H, H]^2``."""
        return self._half_width

    @property
    def always_in_field(self) -> Optional[np.ndarray]:
        """(A, P) indices of the agents in each agent's observable field whatever its type; None: none (overridden by
        the hidden target task, whose partners always are)."""
        return None

    @property
    def observation_space(self) -> gym.spaces.Space:
        return self._observation_space

    @property
    def action_space(self) -> gym.spaces.Space:
        return self._action_space

    @property
    def reward_space(self) -> gym.spaces.Space:
        return self._reward_space

    @classmethod
    def obs_shapes(cls, cfg: Optional[dict] = None) -> Dict[str, int]:
        """
        Overview:
            The widths a policy config needs, for a given env config (no episode is started).
        Returns:
            - shapes (:obj:`Dict[str, int]`): ``agent_obs_shape`` (D), ``global_obs_shape`` (G),
              ``agent_specific_global_obs_shape`` (D + P + G), ``agent_alone_obs_shape``, ``action_shape``
              (5 discrete, 2 continuous), ``agent_num`` (A).
        """
        env = cls(cfg)
        layout = env._layout
        return dict(
            agent_obs_shape=layout.agent_dim,
            global_obs_shape=layout.global_dim,
            agent_specific_global_obs_shape=layout.agent_dim + layout.privileged_dim + layout.global_dim,
            agent_alone_obs_shape=layout.alone_dim,
            action_shape=env._moves.n_actions,
            agent_num=env._n_agent,
        )

    # ------------------------------------------------------------------ shared internals
    def _observe(self) -> Any:
        obs, neighbours = self.observation(self._agent_distances(), self._features, self.always_in_field,
                                           self._privileged())
        if neighbours is not None:
            self._field_neighbours = neighbours
        return obs

    def observation(self,
                    dist: Array,
                    features: Callable[[Array], Tuple[Array, Array]],
                    always_in_field: Optional[Array] = None,
                    privileged: Optional[Array] = None) -> Tuple[Any, Any]:
        """
        Overview:
            The observation of a state (numpy, one env) or of a batch of states (torch, leading axes ``...``; the
            batched envs call this on their config's env): each agent's nearest agents and observable field from the
            agent distances, then the features and the observation dict.
        Arguments:
            - dist (:obj:`Array`): (..., A, A) distances between agents, ``inf`` on the diagonal.
            - features (:obj:`Callable`): maps the (..., A, K) nearest other agents to float32 (..., A, D) local and
              (..., G) global features.
            - always_in_field (:obj:`Optional[Array]`): (..., A, P) agents in each agent's field whatever its type
              (``always_in_field`` of the env, with the leading axes of ``dist``), or None.
            - privileged (:obj:`Optional[Array]`): float32 (..., A, P) privileged per-agent features, or None.
        Returns:
            - obs: the observation (see ``observation.py``).
            - neighbours (:obj:`Optional[Array]`): (..., A, k) the k nearest agents of each agent's 'k_nearest' field
              (``always_in_field`` aside), None for 'radius'.
        """
        k_needed = max(self._k, self._field_k if self._field_type == 'k_nearest' else 0)
        nearest = k_nearest(dist, k_needed)
        neighbours = nearest[..., :self._field_k] if self._field_type == 'k_nearest' else None
        agent_distance = field_distance_matrix(dist, self._field_type, neighbours, self._field_radius, always_in_field)
        agent_state, global_state = features(nearest[..., :self._k])
        return self._layout.build(agent_state, global_state, agent_distance, privileged), neighbours

    def _require_running(self, what: str) -> None:
        if not self._running:
            raise RuntimeError(f'{self.name}: {what} needs a running episode; call reset() first')

    def _save_replay(self) -> None:
        path = os.path.join(self._replay_path, f'{self.name}_{id(self)}_episode{self._episode_count}.gif')
        save_episode_gif(self._replay_states, path)
        self._replay_states = []

