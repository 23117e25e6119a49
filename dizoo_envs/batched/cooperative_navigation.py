"""
Overview:
    ``BatchedCooperativeNavigation``: E cooperative navigation envs (``dizoo_envs/cooperative_navigation.py``: world,
    observation, reward and metrics are defined there) stepped together as torch tensors; see ``base.py``.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from ..cooperative_navigation import CooperativeNavigationEnv, navigation_features, navigation_metrics
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
        shape = (self.env_num, self.spec.n_landmark, 2)
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
        self._state = self.spec.landmark_state(self.world.pos, self._landmarks, self.world.dist)

    def _advance(self, accel: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        self.world.step(accel)
        self._update_landmark_geometry()
        self._collisions += self._state['collisions']
        return self._state['reward'], self._state['local_reward']

    def _agent_distances(self) -> torch.Tensor:
        return self.world.dist

    def _features(self, nearest: torch.Tensor):
        w, st = self.world, self._state
        return navigation_features(
            nearest, w.pos, w.vel, w.dx, w.dy, self._landmarks, st['dx_al'], st['dy_al'], st['landmark_idx'],
            self.spec.half_width
        )

    def _episode_metrics(self) -> Dict[str, torch.Tensor]:
        return navigation_metrics(self._state['landmark_dist'], self._collisions, self.spec.cfg.occupied_threshold)
