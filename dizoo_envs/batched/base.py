"""
Overview:
    ``BatchedTeamEnv``: E point-mass team envs stepped together as torch tensors, on CPU or GPU; what the batched
    cooperative navigation and predator-prey share.

    Everything that defines an env comes from the numpy env of the same config (``self.spec``, e.g. a
    ``CooperativeNavigationEnv``): config merge and checks, layout and spaces, action checks, observation assembly,
    feature, reward and metric functions, the world's constants and the random start of every episode. So one config
    gives the same env in both, and, seeded alike, the same episodes:

    - seeding: env ``i`` of the batch is seeded ``seed + i`` with the numpy envs' ``EpisodeSeeder`` (dynamic: a fresh
      reproducible layout per episode; static: the same episode at every reset), and draws its layout with the numpy
      env's own ``draw_layout`` calls on that generator: env ``i`` of a batch replays, episode by episode, a numpy env
      seeded ``seed + i``. The layouts are drawn on the host, one env at a time, only at resets (~15 microseconds per
      env: the generators are reseeded together, ``seeding.reseed_generators``); ``step`` has no loop over envs or
      agents.
    - episodes have the same fixed length in every env (``max_cycles``), so done is known on the host without reading
      the device.
"""
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

import numpy as np
import torch

from ..actions import DISCRETE_MOVES
from ..base_env import PointMassTeamEnv
from ..seeding import EpisodeSeeder, reseed_generators
from .physics import BatchedPointMassWorld

Obs = Union[Dict[str, torch.Tensor], torch.Tensor]


class BatchTimestep(NamedTuple):
    """
    Overview:
        The result of one step of E envs.
    Properties:
        - obs: the observation to act on next, (E, ...) per key; for envs that finished, the first observation of
          their new (auto-reset) episode.
        - next_obs: the observation this step reached (before any auto-reset): the transitions' next obs.
        - reward (:obj:`torch.Tensor`): float32 (E, 1) team reward, or (E, A) per-agent rewards with
          ``reward_type='local'``.
        - done (:obj:`torch.Tensor`): bool (E,), the episode ended with this step.
        - info (:obj:`Dict[str, torch.Tensor]`): float32 (E,) per key, valid where ``done``:
          ``eval_episode_return`` (the sum of the team rewards, whatever ``reward_type``) and the task metrics of the
          numpy env's episode info.
    """
    obs: Obs
    next_obs: Obs
    reward: torch.Tensor
    done: torch.Tensor
    info: Dict[str, torch.Tensor]


class BatchedTeamEnv:
    """
    Overview:
        Base class of the batched point-mass team envs (see module doc). Subclasses set ``spec_cls`` and implement
        the hooks ``_reset_envs``, ``_advance``, ``_agent_distances``, ``_features`` and ``_episode_metrics`` (and
        ``_privileged`` where the numpy env has privileged features).
    Interfaces:
        ``__init__``, ``seed``, ``reset``, ``step``, ``random_action``, ``close``, ``env_num``, ``n_agent``, ``device``,
        ``observation_space``, ``action_space``, ``reward_space``
    """
    #: the numpy env class of the same name, which defines the config and the env
    spec_cls = PointMassTeamEnv

    def __init__(
            self,
            cfg: Optional[dict],
            env_num: int,
            device: Union[str, torch.device] = 'cpu',
            dtype: torch.dtype = torch.float64
    ) -> None:
        """
        Arguments:
            - cfg (:obj:`Optional[dict]`): the env config, as for the numpy env (same keys, defaults and checks;
              DI-engine's own keys are ignored).
            - env_num (:obj:`int`): E >= 1.
            - device (:obj:`Union[str, torch.device]`): where the state and every returned tensor live.
            - dtype (:obj:`torch.dtype`): precision of the physics (see ``physics.py``); observations are float32.
        """
        self.spec = self.spec_cls(cfg)
        name = self.spec.name
        if isinstance(env_num, (bool, np.bool_)) or not isinstance(env_num, (int, np.integer)) or env_num < 1:
            raise ValueError(f'{name}: env_num must be an integer >= 1, got {env_num!r}')
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f'{name}: dtype must be torch.float32 or torch.float64, got {dtype}')
        self._env_num = int(env_num)
        self._device = torch.device(device)
        self._dtype = dtype
        cfg = self.spec.cfg
        self._n_agent = int(cfg.n_agent)
        self._max_cycles = int(cfg.max_cycles)
        self.world = BatchedPointMassWorld(self._env_num, **self.spec.world_params(), device=self._device, dtype=dtype)
        self._discrete_moves = torch.as_tensor(DISCRETE_MOVES, dtype=dtype, device=self._device)
        self._local_reward = cfg.reward_type == 'local'
        self._always_in_field = self._env_index(self.spec.always_in_field)
        self._seeders: List[EpisodeSeeder] = [EpisodeSeeder() for _ in range(self._env_num)]
        # the episode generators, reseeded in place at every reset (``reseed_generators``)
        self._generators = [np.random.Generator(np.random.PCG64(0)) for _ in range(self._env_num)]
        self._action_gen = torch.Generator(device=self._device)
        self._action_gen.seed()
        self._steps = np.zeros(self._env_num, dtype=np.int64)  # host copy: done is read without a device sync
        self._t = torch.zeros(self._env_num, dtype=torch.long, device=self._device)  # the same, on the device
        self._episode_return = torch.zeros(self._env_num, dtype=dtype, device=self._device)
        self._running = False

    # ------------------------------------------------------------------ hooks
    def _reset_envs(self, envs: torch.Tensor, rngs: List[np.random.Generator]) -> None:
        """Start a new episode in the envs ``envs`` (M,), drawing each layout from its generator in ``rngs``."""
        raise NotImplementedError

    def _advance(self, accel: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """
        Apply the agents' unit accelerations (E, A, 2) for one step; returns the (E,) team rewards and, with
        ``reward_type='local'``, the (E, A) rewards of the agents (else None).
        """
        raise NotImplementedError

    def _agent_distances(self) -> torch.Tensor:
        """(E, A, A) distances between the agents, ``inf`` on the diagonal."""
        raise NotImplementedError

    def _features(self, nearest: torch.Tensor) -> Any:
        """float32 (E, A, D) local and (E, G) global features, given the (E, A, K) nearest other agents."""
        raise NotImplementedError

    def _episode_metrics(self) -> Dict[str, torch.Tensor]:
        """(E,) per task metric of the numpy env's episode info, for the current state."""
        raise NotImplementedError

    def _privileged(self) -> Optional[torch.Tensor]:
        """float32 (E, A, P) privileged per-agent features (the numpy env's ``_privileged``); None when P = 0."""
        return None

    # ------------------------------------------------------------------ API
    def seed(self, seed: int, dynamic_seed: bool = True) -> None:
        """
        Overview:
            Seed env ``i`` with ``seed + i`` (the numpy envs' ``EpisodeSeeder``, see ``seeding.py``): with
            ``dynamic_seed=True`` every episode has a fresh layout from a sequence fixed by the seed, with False every
            reset replays the same episode. Takes effect at the next reset. Also seeds ``random_action``.
        """
        for i, seeder in enumerate(self._seeders):
            seeder.seed(seed + i, dynamic_seed)
        self._action_gen.manual_seed(abs(int(seed)))

    def reset(self) -> Obs:
        """
        Overview:
            Start a new episode in every env.
        Returns:
            - obs: the observation dict, (E, ...) per key (the numpy env's keys and float32 dtype), or the
              (E, A, D) ``agent_state`` with ``agent_obs_only``.
        """
        self._reset(torch.arange(self._env_num, device=self._device), np.arange(self._env_num))
        self._running = True
        return self._observe()

    def step(self, action: torch.Tensor) -> BatchTimestep:
        """
        Overview:
            One step of every agent of every env; envs whose episode ends start a new one (auto-reset).
        Arguments:
            - action (:obj:`torch.Tensor`): continuous: float (E, A, 2) (clipped to [-1, 1]); discrete: integer
              (E, A) or (E, A, 1) in [0, 5). Bad actions raise ``ValueError`` naming the problem and the expected shape.
        Returns:
            - timestep (:obj:`BatchTimestep`): see there.
        """
        if not self._running:
            raise RuntimeError(f'{self.spec.name}: step() called before reset()')
        action = self.spec.moves.check(torch.as_tensor(action, device=self._device), batch=(self._env_num, ))
        if self.spec.moves.continuous:
            accel = action.to(self._dtype).clamp(-1.0, 1.0)
        else:
            accel = self._discrete_moves[action]
        team, local = self._advance(accel)
        reward = local if self._local_reward else team[:, None]
        self._steps += 1
        self._t += 1
        self._episode_return += team
        next_obs = self._observe()
        # copies: the counters behind these are zeroed in place by the auto-reset below
        info = {k: v.to(torch.float32, copy=True) for k, v in self._episode_metrics().items()}
        info['eval_episode_return'] = self._episode_return.to(torch.float32, copy=True)
        done_host = self._steps >= self._max_cycles
        done = torch.as_tensor(done_host, device=self._device)
        obs = next_obs
        if done_host.any():
            ended = np.flatnonzero(done_host)
            self._reset(torch.as_tensor(ended, device=self._device), ended)
            obs = self._observe()
        return BatchTimestep(obs, next_obs, reward.to(torch.float32), done, info)

    def random_action(self) -> torch.Tensor:
        """
        Overview:
            Uniformly random valid actions of every env (seeded by ``seed``): float32 (E, A, 2) or int64 (E, A).
        """
        shape = (self._env_num, self._n_agent)
        if self.spec.moves.continuous:
            u = torch.rand(shape + (2, ), generator=self._action_gen, device=self._device)
            return u * 2.0 - 1.0
        return torch.randint(0, DISCRETE_MOVES.shape[0], shape, generator=self._action_gen, device=self._device)

    def close(self) -> None:
        self._running = False

    @property
    def env_num(self) -> int:
        return self._env_num

    @property
    def n_agent(self) -> int:
        return self._n_agent

    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def observation_space(self):
        """One env's observation space (the numpy env's)."""
        return self.spec.observation_space

    @property
    def action_space(self):
        """One env's action space (the numpy env's)."""
        return self.spec.action_space

    @property
    def reward_space(self):
        return self.spec.reward_space

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(env_num={self._env_num}, n_agent={self._n_agent}, '
            f'continuous_actions={self.spec.cfg.continuous_actions}, device={self._device})'
        )

    # ------------------------------------------------------------------ internals
    def _reset(self, envs: torch.Tensor, host_envs: np.ndarray) -> None:
        seeds = [self._seeders[i].next_rng_seed() for i in host_envs]
        self._reset_envs(envs, reseed_generators([self._generators[i] for i in host_envs], seeds))
        self._steps[host_envs] = 0
        self._t[envs] = 0
        self._episode_return[envs] = 0.0

    def _observe(self) -> Obs:
        obs, _ = self.spec.observation(self._agent_distances(), self._features, self._always_in_field,
                                       self._privileged())
        return obs

    def _env_index(self, index: Optional[np.ndarray]) -> Optional[torch.Tensor]:
        """A per-agent index array (A, P) of the numpy env as an (E, A, P) long tensor on the device (None: None)."""
        if index is None:
            return None
        return torch.as_tensor(index, dtype=torch.long, device=self._device).expand((self._env_num, ) + index.shape)

    def _layouts(self, arrays: List[np.ndarray]) -> torch.Tensor:
        """One (M, ...) tensor on the device from M envs' numpy draws."""
        return torch.as_tensor(np.stack(arrays), dtype=self._dtype, device=self._device)
