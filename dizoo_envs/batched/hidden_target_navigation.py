"""
Overview:
    ``BatchedHiddenTargetNavigation``: E hidden target navigation envs (``dizoo_envs/hidden_target_navigation.py``:
    targets, partners, observation, reward and metrics are defined there) stepped together as torch tensors; the
    world and landmarks are batched cooperative navigation's, see ``cooperative_navigation.py`` and ``base.py``.
"""
from typing import Dict

import torch

from ..array_ops import as_float32
from ..cooperative_navigation import navigation_features
from ..hidden_target_navigation import HiddenTargetNavigationEnv, client_target_offsets, hidden_target_metrics, \
    own_target_offsets
from .cooperative_navigation import BatchedCooperativeNavigation


class BatchedHiddenTargetNavigation(BatchedCooperativeNavigation):
    """
    Overview:
        E hidden target navigation envs on one device; same config as ``HiddenTargetNavigationEnv``.
    Interfaces:
        those of ``BatchedTeamEnv``
    """
    spec_cls = HiddenTargetNavigationEnv

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = self._env_index(self.spec.clients)

    def _features(self, nearest: torch.Tensor):
        w, st = self.world, self._state
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
            self.spec.half_width,
            mates_extra=client_target_offsets(st['dx_al'], st['dy_al'], self._clients),
        )

    def _privileged(self) -> torch.Tensor:
        return as_float32(own_target_offsets(self._state['dx_al'], self._state['dy_al']))

    def _episode_metrics(self) -> Dict[str, torch.Tensor]:
        return hidden_target_metrics(self._state['landmark_dist'], self._collisions, self.spec.cfg.occupied_threshold)
