"""
Overview:
    ``TorchBatchedEnvManager``, registered in DI-engine's ``ENV_MANAGER_REGISTRY`` as ``'torch_batched'`` (as DI-engine
    registers its envpool manager, ``'env_pool'``): E envs of ``dizoo_envs/batched`` behind one manager, in two
    interfaces.

    Tensor interface (the fast path, for batched collectors: no per-env Python anywhere):

    .. code:: python

        manager = ENV_MANAGER_REGISTRY.get('torch_batched')(cfg.env, env_num=E, device='cuda')
        manager.seed(seed, dynamic_seed=True)
        obs = manager.reset()          # Dict[str, Tensor] of (E, ...) float32 on the device
        ts = manager.step(action)      # float (E, A, 2) or long (E, A) tensor -> BatchTimestep
        # ts.obs (auto-reset where done), ts.next_obs, ts.reward (E, 1) (reward_type='local': (E, A)), ts.done (E,),
        # ts.info (E,) per key

    DI-engine's dict interface (what its env managers offer collectors and evaluators; numpy per env, so a Python
    loop over envs on every step: for compatibility, not for speed):

    - ``ready_obs``: ``{env_id: obs}`` with numpy obs dicts, the obs to act on (a first access before any reset
      resets, as DI-engine's managers' ``launch`` does);
    - ``step({env_id: action})``: every env id of the manager at once (the envs step together); returns
      ``{env_id: BaseEnvTimestep}`` with the numpy env's obs, reward ((1,), or (A,) with ``reward_type='local'``),
      done and info (``eval_episode_return``, the metrics and ``episode_info`` at episode ends); envs auto-reset;
    - ``launch``, ``reset`` (no ``reset_param``), ``seed``, ``close``, ``closed``, ``done`` (always False: envs
      auto-reset, episodes never run out), ``ready_obs_id``, ``env_num``, spaces.

    DI-engine's ``InteractionSerialEvaluator`` runs on it (tested); the evaluator's episode count works because every
    env ends its episodes at the same step.

    Not supported: ``create_env_manager`` / a ``manager.type`` in configs (it builds managers from a list of env
    functions, while this one builds its envs itself), partial resets, ``reset_param``, ``env_state``.
"""
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

import numpy as np
import torch

from ding.envs import BaseEnvTimestep
from ding.utils import ENV_MANAGER_REGISTRY

from .base import BatchedTeamEnv, BatchTimestep, Obs
from .cooperative_navigation import BatchedCooperativeNavigation
from .hidden_target_navigation import BatchedHiddenTargetNavigation
from .predator_prey import BatchedPredatorPrey

#: env ``type`` -> batched env class
BATCHED_ENVS = {
    'cooperative_navigation': BatchedCooperativeNavigation,
    'hidden_target_navigation': BatchedHiddenTargetNavigation,
    'predator_prey': BatchedPredatorPrey,
}


def _map_obs(obs: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` on every array of an observation (a dict, or the bare array of ``agent_obs_only``)."""
    if isinstance(obs, Mapping):
        return {k: fn(v) for k, v in obs.items()}
    return fn(obs)


@ENV_MANAGER_REGISTRY.register('torch_batched')
class TorchBatchedEnvManager:
    """
    Overview:
        E batched envs of one type on one device, with the tensor interface and DI-engine's dict interface (see
        module doc).
    Interfaces:
        ``__init__``, ``seed``, ``launch``, ``reset``, ``step``, ``random_action``, ``close``, ``ready_obs``,
        ``ready_obs_id``, ``done``, ``closed``, ``env_num``, ``n_agent``, ``device``, ``observation_space``,
        ``action_space``, ``reward_space``
    """

    def __init__(
            self,
            env_cfg: Mapping[str, Any],
            env_num: int,
            device: Union[str, torch.device] = 'cpu',
            dtype: torch.dtype = torch.float64,
    ) -> None:
        """
        Arguments:
            - env_cfg (:obj:`Mapping`): a config's ``env`` section: ``type`` (a key of ``BATCHED_ENVS``) and the
              env's keys; DI-engine's own keys (``collector_env_num``, ``manager``, ``import_names``, ...) are
              ignored.
            - env_num (:obj:`int`): E.
            - device (:obj:`Union[str, torch.device]`): where the envs run and every tensor lives.
            - dtype (:obj:`torch.dtype`): precision of the physics (``physics.py``: float64 keeps parity with the
              numpy envs).
        """
        env_type = env_cfg.get('type')
        if env_type not in BATCHED_ENVS:
            raise KeyError(f"torch_batched: env type '{env_type}' has no batched env; known: {sorted(BATCHED_ENVS)}")
        self._env: BatchedTeamEnv = BATCHED_ENVS[env_type](env_cfg, env_num, device=device, dtype=dtype)
        self._obs: Optional[Obs] = None  # the obs to act on, None before the first reset
        self._closed = False

    # ------------------------------------------------------------------ tensor interface
    def seed(self, seed: int, dynamic_seed: bool = True) -> None:
        """
        Overview:
            Env ``i`` gets ``seed + i``; dynamic: a fresh reproducible layout per episode, static: the same episode at
            every reset. Takes effect at the next reset.
        """
        self._env.seed(seed, dynamic_seed)

    def launch(self) -> None:
        """
        Overview:
            Open the manager (after ``close``); no reset: ``reset()`` or the first ``ready_obs`` starts the episodes.
        """
        self._closed = False

    def reset(self, reset_param: Optional[Dict] = None) -> Obs:
        """
        Overview:
            Start a new episode in every env.
        Returns:
            - obs: (E, ...) float32 tensors on the device, per key of the numpy env's observation.
        """
        if reset_param is not None:
            raise NotImplementedError('torch_batched: reset_param is not supported; every env resets with its seed')
        self._closed = False
        self._obs = self._env.reset()
        return self._obs

    def step(self, action: Union[torch.Tensor, Mapping[int, Any]]) -> Union[BatchTimestep, Dict[int, BaseEnvTimestep]]:
        """
        Overview:
            One step of every env; envs whose episode ends auto-reset.
        Arguments:
            - action: a tensor, float (E, A, 2) (continuous) or integer (E, A) (discrete), for the tensor interface;
              or ``{env_id: action}`` with every env id, DI-engine's dict interface.
        Returns:
            - timestep: ``BatchTimestep`` (see ``base.py``) for a tensor; ``{env_id: BaseEnvTimestep}`` for a dict.
        """
        if self._closed:
            raise RuntimeError('torch_batched: step() called after close(); call launch() or reset() first')
        if isinstance(action, Mapping):
            return self._step_dict(action)
        if self._obs is None:
            raise RuntimeError('torch_batched: step() called before reset()')
        ts = self._env.step(action)
        self._obs = ts.obs
        return ts

    def random_action(self) -> torch.Tensor:
        """Uniformly random valid actions, (E, A, 2) float32 or (E, A) int64, seeded by ``seed``."""
        return self._env.random_action()

    def close(self) -> None:
        self._env.close()
        self._obs = None
        self._closed = True

    @property
    def env_num(self) -> int:
        return self._env.env_num

    @property
    def n_agent(self) -> int:
        return self._env.n_agent

    @property
    def device(self) -> torch.device:
        return self._env.device

    @property
    def observation_space(self):
        """One env's observation space."""
        return self._env.observation_space

    @property
    def action_space(self):
        """One env's action space."""
        return self._env.action_space

    @property
    def reward_space(self):
        return self._env.reward_space

    @property
    def env(self) -> BatchedTeamEnv:
        """The batched env."""
        return self._env

    # ------------------------------------------------------------------ DI-engine's dict interface
    @property
    def ready_obs(self) -> Dict[int, Any]:
        """
        Overview:
            ``{env_id: obs}``, numpy, the obs to act on; the first access before any reset resets.
        """
        if self._obs is None:
            self.reset()
        return self._split(self._obs)

    @property
    def ready_obs_id(self) -> List[int]:
        return list(range(self.env_num))

    @property
    def done(self) -> bool:
        """Always False: envs auto-reset, so episodes never run out."""
        return False

    @property
    def closed(self) -> bool:
        return self._closed

    def _split(self, obs: Obs) -> Dict[int, Any]:
        host = _map_obs(obs, lambda v: v.cpu().numpy())
        return {i: _map_obs(host, lambda v, i=i: v[i]) for i in range(self.env_num)}

    def _step_dict(self, action: Mapping[int, Any]) -> Dict[int, BaseEnvTimestep]:
        ids = sorted(action)
        if ids != self.ready_obs_id:
            raise ValueError(
                f'torch_batched: step() needs an action for every env id 0..{self.env_num - 1} (the envs step '
                f'together), got ids {ids}'
            )
        if self._obs is None:
            self.reset()
        stacked = np.stack([np.asarray(action[i].cpu() if torch.is_tensor(action[i]) else action[i]) for i in ids])
        ts = self.step(torch.as_tensor(stacked, device=self.device))
        next_obs = self._split(ts.next_obs)
        reward = ts.reward.cpu().numpy()
        done = ts.done.cpu().numpy()
        info = {k: v.cpu().numpy().astype(np.float64) for k, v in ts.info.items()}
        out = {}
        for i in ids:
            env_info = {}
            if done[i]:
                metrics = {k: v[i] for k, v in info.items() if k != 'eval_episode_return'}
                env_info = dict(eval_episode_return=float(info['eval_episode_return'][i]), **metrics)
                env_info['episode_info'] = dict(metrics)
            out[i] = BaseEnvTimestep(next_obs[i], reward[i], bool(done[i]), env_info)
        return out
