"""
Overview:
    ``BatchedCooperativeNavigation``: E cooperative navigation envs (``dizoo_envs/cooperative_navigation.py``: world,
    observation, reward and metrics are defined there) stepped together as torch tensors; see ``base.py``.
"""
from typing import Dict, List

import numpy as np
import torch

from ..cooperative_navigation import CooperativeNavigationEnv, navigation_features, navigation_metrics, \
    navigation_reward
from ..geometry import pairwise_offsets
from .base import BatchedTeamEnv


class BatchedCooperativeNavigation(BatchedTeamEnv):
    """
    Overview:
        E cooperative navigation envs on one device; same config as ``CooperativeNavigationEnv``.
    Interfaces:
        those of ``BatchedTeamEnv``
    """
    spec_cls = CooperativeNavigationEnv

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        shape = (self.env_num, self.spec.cfg.n_landmark, 2)
        self._landmarks = torch.zeros(shape, dtype=self._dtype, device=self.device)
        self._collisions = torch.zeros(self.env_num, dtype=torch.long, device=self.device)
        self._update_landmark_geometry()

    def _reset_envs(self, envs: torch.Tensor, rngs: List[np.random.Generator]) -> None:
        layouts = [self.spec.draw_layout(rng) for rng in rngs]
        self.world.set_state(envs, self._layouts([lay['agent_pos'] for lay in layouts]))
        self._landmarks[envs] = self._layouts([lay['landmark_pos'] for lay in layouts])
        self._collisions[envs] = 0
        self._update_landmark_geometry()

    def _update_landmark_geometry(self) -> None:
        cfg = self.spec.cfg
        self._dx_al, self._dy_al, self._dist_al = pairwise_offsets(self.world.pos, self._landmarks)
        self._reward, self._nearest_dist, self._step_collisions = navigation_reward(
            self._dist_al, self.world.dist, cfg.agent_size, cfg.collision_penalty, cfg.normalize_reward
        )

    def _advance(self, accel: torch.Tensor) -> torch.Tensor:
        self.world.step(accel)
        self._update_landmark_geometry()
        self._collisions += self._step_collisions
        return self._reward

    def _agent_distances(self) -> torch.Tensor:
        return self.world.dist

    def _features(self, nearest: torch.Tensor):
        w = self.world
        return navigation_features(
            nearest, w.pos, w.vel, w.dx, w.dy, self._landmarks, self._dx_al, self._dy_al, self._dist_al,
            self.spec.k_landmark, self.spec.half_width
        )

    def _episode_metrics(self) -> Dict[str, torch.Tensor]:
        return navigation_metrics(self._nearest_dist, self._collisions, self.spec.cfg.occupied_threshold)
