"""
Overview:
    PettingZoo MPE ``simple_spread`` (pettingzoo 1.22.3) through DI-engine's ``petting_zoo`` env, with its seeding
    fault fixed. Registered as ``simple_spread_seeded``.

    DI-engine's ``PettingZooEnv`` resets PettingZoo with the same seed at every reset, so every episode of a collector
    env starts from the same layout, and the evaluator (seeds ``seed + i``, as the collector) replays the training
    layouts. Here the episode seed follows ``seeding.py``: collector envs (``dynamic_seed=True``) get a fresh layout
    at every episode, evaluator envs (``dynamic_seed=False``) replay one fixed layout per env that no collector
    episode uses.

    Output: exactly DI-engine's petting_zoo observation dict (keys, shapes, values; see DI-engine's
    ``dizoo/petting_zoo/envs/petting_zoo_simple_spread_env.py``) plus ``agent_distance`` (A, A): in simple_spread every
    agent sees every other agent, so all off-diagonal distances are finite, the diagonal is ``inf``.
    Also: ``step`` after the end of an episode raises, actions are validated, ``random_action`` returns an array,
    ``render`` returns an RGB frame and ``replay_path`` saves GIFs (drawn by ``render.py``, no pygame needed).
"""
from typing import Any, Dict, Optional

import gymnasium as gym
import numpy as np
from easydict import EasyDict

from ding.envs import BaseEnvTimestep
from ding.utils import ENV_REGISTRY
from dizoo.petting_zoo.envs.petting_zoo_simple_spread_env import PettingZooEnv

from ding_atoc.obs_keys import AGENT_DISTANCE, AGENT_STATE
from .config_utils import build_config, check_int, default_config_of
from .geometry import pairwise_offsets
from .render import render_frame, save_episode_gif
from .seeding import EpisodeSeeder

#: MPE simple_spread sizes, for drawing.
_AGENT_SIZE, _LANDMARK_SIZE = 0.15, 0.05


@ENV_REGISTRY.register('simple_spread_seeded')
class SimpleSpreadSeededEnv(PettingZooEnv):
    """
    Overview:
        DI-engine's ``petting_zoo`` simple_spread env with per-episode seeds and ``agent_distance`` (see module doc).
    Interfaces:
        those of DI-engine's ``PettingZooEnv`` (``reset``, ``step``, ``seed``, ``close``, ``random_action``, spaces),
        plus ``render``, ``render_state``, ``save_episode_gif``, ``enable_save_replay``, ``default_config``.
    """
    name = 'simple_spread_seeded'
    config = dict(
        # (str) DI-engine petting_zoo keys, fixed: MPE simple_spread.
        env_family='mpe',
        env_id='simple_spread_v2',
        # (int) Number of agents N (>= 2); simple_spread has as many landmarks.
        n_agent=3,
        # (int) Number of landmarks, must equal n_agent (simple_spread's rule).
        n_landmark=3,
        # (int) Episode length in steps.
        max_cycles=25,
        # (bool) PettingZoo continuous actions (Box [0, 1]^5 per agent) instead of 5 discrete actions.
        continuous_actions=False,
        # (bool) Map continuous actions from [-1, 1] to [0, 1] (DI-engine option, for DDPG-family policies).
        act_scale=False,
        # (bool) Return only the (N, D) agent_state array.
        agent_obs_only=False,
        # (bool) global_state of shape (N, D + G) instead of (G,).
        agent_specific_global_state=False,
        # (str or None) When set, every episode is saved as a GIF in this folder.
        replay_path=None,
    )

    @classmethod
    def default_config(cls) -> EasyDict:
        """
        Overview:
            The default config, with ``cfg_type`` as DI-engine's ``compile_config`` expects.
        """
        return default_config_of(cls)

    @classmethod
    def obs_shapes(cls, cfg: Optional[dict] = None) -> Dict[str, int]:
        """
        Overview:
            The widths a policy config needs (same keys as ``PointMassTeamEnv.obs_shapes``), by DI-engine's formulas.
        """
        cfg = build_config(cls.config, cfg, cls.name)
        n, l = cfg.n_agent, cfg.n_landmark
        d = 2 + 2 + l * 2 + (n - 1) * 2 + (n - 1) * 2  # vel, pos, landmarks, other agents, communication
        g = n * 4 + l * 2 + n * (n - 1) * 2
        return dict(
            agent_obs_shape=d,
            global_obs_shape=g,
            agent_specific_global_obs_shape=d + g,
            agent_alone_obs_shape=d - (n - 1) * 2,
            action_shape=5,
            agent_num=n,
        )

    def __init__(self, cfg: Optional[dict] = None) -> None:
        cfg = build_config(self.config, cfg, self.name)
        check_int(cfg, 'n_agent', self.name, low=2)
        check_int(cfg, 'max_cycles', self.name, low=1)
        if cfg.n_landmark != cfg.n_agent:
            raise ValueError(
                f'{self.name}: simple_spread has as many landmarks as agents; got n_landmark={cfg.n_landmark}, '
                f'n_agent={cfg.n_agent}'
            )
        if cfg.act_scale and not cfg.continuous_actions:
            raise ValueError(f'{self.name}: act_scale=True needs continuous_actions=True')
        super().__init__(cfg)
        self._seeder = EpisodeSeeder()
        self._action_rng = np.random.default_rng()
        self._gif_path = cfg.replay_path
        self._replay_states = []
        self._episode_count = 0
        self._running, self._ended = False, False
        self._last_obs = None

    def seed(self, seed: int, dynamic_seed: bool = True) -> None:
        """
        Overview:
            DI-engine seeding with per-episode seeds (see ``seeding.py``); also seeds ``random_action``.
        """
        self._seeder.seed(seed, dynamic_seed)
        self._action_rng = np.random.default_rng(abs(int(seed)))
        self._dynamic_seed = dynamic_seed

    def reset(self) -> Any:
        episode_seed = self._seeder.next_episode_seed()
        if episode_seed is None:
            if hasattr(self, '_seed'):
                del self._seed
        else:
            self._seed = episode_seed  # the parent resets PettingZoo with self._seed
        obs = super().reset()
        space = self._observation_space
        if isinstance(space, gym.spaces.Dict) and AGENT_DISTANCE not in space.spaces:
            n = self._num_agents
            self._observation_space[AGENT_DISTANCE] = gym.spaces.Box(0.0, np.inf, shape=(n, n), dtype=np.float32)
        self._running, self._ended = True, False
        if self._gif_path is not None:
            self._replay_states = [self.render_state()]
        return obs

    def step(self, action: Any) -> BaseEnvTimestep:
        if self._ended:
            raise RuntimeError(
                f'{self.name}: step() called after the episode ended (max_cycles={self._max_cycles}); '
                f'call reset() first'
            )
        if not self._running:
            raise RuntimeError(f'{self.name}: step() called before reset()')
        timestep = super().step(self._check_action(action))
        if self._gif_path is not None:
            self._replay_states.append(self.render_state())
        if timestep.done:
            self._running, self._ended = False, True
            if self._gif_path is not None:
                save_episode_gif(
                    self._replay_states, f'{self._gif_path}/{self.name}_{id(self)}_episode{self._episode_count}.gif'
                )
                self._replay_states = []
            self._episode_count += 1
        return timestep

    def _check_action(self, action: Any) -> np.ndarray:
        if hasattr(action, 'detach'):
            action = action.detach().cpu().numpy()
        action = np.asarray(action)
        n = self._num_agents
        if self._continuous_actions:
            if action.dtype.kind != 'f' or action.shape != (n, 5):
                raise ValueError(
                    f'{self.name}: continuous actions must be a float array of shape ({n}, 5), '
                    f'got {action.dtype} {action.shape}'
                )
            if not np.isfinite(action).all():
                raise ValueError(f'{self.name}: actions contain NaN or inf: {action}')
            return action
        if action.dtype.kind not in 'iu' or action.reshape(-1).shape != (n, ) or action.ndim > 2:
            raise ValueError(
                f'{self.name}: discrete actions must be an integer array of shape ({n},), got {action.dtype} '
                f'{action.shape}'
            )
        if action.min() < 0 or action.max() >= 5:
            raise ValueError(f'{self.name}: discrete actions must be in [0, 5), got {action}')
        return action.reshape(n)

    def _process_obs(self, obs: Dict[str, np.ndarray]) -> Any:
        ret = super()._process_obs(obs)
        if self._cfg.agent_obs_only:
            self._last_obs = ret
            return ret
        pos = ret[AGENT_STATE][:, 2:4].astype(np.float64)  # own absolute position
        _, _, dist = pairwise_offsets(pos, pos)
        np.fill_diagonal(dist, np.inf)
        ret[AGENT_DISTANCE] = dist.astype(np.float32)
        self._last_obs = ret
        return ret

    def random_action(self) -> np.ndarray:
        """
        Overview:
            A random valid action: int64 (N,) or float32 (N, 5) in [0, 1] ([-1, 1] with ``act_scale``).
        """
        n = self._num_agents
        if self._continuous_actions:
            low = -1.0 if self._act_scale else 0.0
            return self._action_rng.uniform(low, 1.0, size=(n, 5)).astype(np.float32)
        return self._action_rng.integers(0, 5, size=(n, )).astype(np.int64)

    def enable_save_replay(self, replay_path: Optional[str] = None) -> None:
        """
        Overview:
            Save every following episode as a GIF in ``replay_path`` (drawn by ``render.py``).
        """
        self._gif_path = './video' if replay_path is None else replay_path

    #: Draws a list of ``render_state()``s (with each step's communication groups) as a GIF: with ``render_state``,
    #: what ``ding-atoc eval`` needs to draw an episode (``ding_atoc.entry.evaluate.DRAWING_METHODS``).
    save_episode_gif = staticmethod(save_episode_gif)

    def render_state(self) -> Dict[str, Any]:
        """
        Overview:
            The last observed state as a render state of ``render.py`` (read from the observation).
        """
        if self._last_obs is None:
            raise RuntimeError(f'{self.name}: render needs a reset() first')
        state = self._last_obs[AGENT_STATE] if isinstance(self._last_obs, dict) else self._last_obs
        l = self._num_landmarks
        agents = state[:, 2:4].astype(np.float64)
        landmarks = agents[0] + state[0, 4:4 + 2 * l].reshape(l, 2)
        half_width = 1.05 * max(1.0, float(np.abs(agents).max()), float(np.abs(landmarks).max()))
        return dict(
            half_width=half_width,
            agents=agents,
            agent_size=_AGENT_SIZE,
            landmarks=landmarks,
            landmark_size=_LANDMARK_SIZE,
            title=f'{self.name} t={self._step_count}',
        )

    def render(self, mode: str = 'rgb_array') -> np.ndarray:
        """
        Overview:
            Draw the last observed state; uint8 (400, 400, 3).
        """
        return render_frame(self.render_state())

    def __repr__(self) -> str:
        return f'SimpleSpreadSeededEnv(n_agent={self._num_agents}, continuous_actions={self._continuous_actions})'
