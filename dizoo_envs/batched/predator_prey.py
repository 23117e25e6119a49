"""
Overview:
    ``BatchedPredatorPrey``: E predator-prey envs (``dizoo_envs/predator_prey.py``: world, scripted prey, observation,
    reward and metrics are defined there) stepped together as torch tensors; see ``base.py``.

    Respawns: the numpy env draws the respawn point of a caught prey from the episode's generator when it is caught.
    At most P prey are caught per step, so an episode needs at most ``P * max_cycles`` respawn points: they are drawn
    at reset, right after the layout, with the same calls on the same generator (the draws of a generator follow
    one sequence whatever their batch sizes), and consumed in order, so catches respawn where the numpy env's do
    without a host round trip per step. Memory: E * P * max_cycles * 2 floats.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from ..predator_prey import PredatorPreyEnv, predator_features, predator_local_reward, predator_metrics, \
    predator_reward, prey_flee_action
from .base import BatchedTeamEnv


class BatchedPredatorPrey(BatchedTeamEnv):
    """
    Overview:
        E predator-prey envs on one device; same config as ``PredatorPreyEnv``.
    Interfaces:
        those of ``BatchedTeamEnv``
    """
    spec_cls = PredatorPreyEnv

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        e, p = self.env_num, self.spec.cfg.n_prey
        self._n_respawn = p * self._max_cycles
        self._respawns = torch.zeros((e, self._n_respawn, 2), dtype=self._dtype, device=self.device)
        self._respawns_used = torch.zeros(e, dtype=torch.long, device=self.device)
        self._catches = torch.zeros(e, dtype=torch.long, device=self.device)
        self._first_catch = torch.zeros(e, dtype=torch.long, device=self.device)  # 0: none yet

    def _reset_envs(self, envs: torch.Tensor, rngs: List[np.random.Generator]) -> None:
        n_entities = self._n_agent + self.spec.cfg.n_prey
        # the start first, then the respawn points, as the numpy env draws them from the episode's generator
        starts = [self.spec.draw_positions(rng, n_entities) for rng in rngs]
        respawns = [self.spec.draw_positions(rng, self._n_respawn) for rng in rngs]
        self.world.set_state(envs, self._layouts(starts))
        self._respawns[envs] = self._layouts(respawns)
        self._respawns_used[envs] = 0
        self._catches[envs] = 0
        self._first_catch[envs] = 0

    def _advance(self, accel: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        cfg, a, w = self.spec.cfg, self._n_agent, self.world
        prey_accel = prey_flee_action(w.dx[:, :a, a:], w.dy[:, :a, a:], w.dist[:, :a, a:])
        w.step(torch.cat([accel, prey_accel], dim=1))
        reward, caught = predator_reward(w.dist[:, :a, a:], self.spec.catch_distance, cfg.catch_reward,
                                         cfg.shaping_coef)
        local = None
        if self._local_reward:
            local = predator_local_reward(w.dist[:, :a, a:], self.spec.catch_distance, cfg.catch_reward,
                                          cfg.shaping_coef)
        n_caught = caught.sum(dim=-1)
        self._catches += n_caught
        self._first_catch = torch.where((self._first_catch == 0) & (n_caught > 0), self._t + 1, self._first_catch)
        if bool(caught.any()):
            self._respawn(caught, n_caught)
        return reward, local

    def _respawn(self, caught: torch.Tensor, n_caught: torch.Tensor) -> None:
        """Caught prey (E, P) take the env's next respawn points in prey order, at rest."""
        a, w = self._n_agent, self.world
        slot = self._respawns_used[:, None] + caught.cumsum(dim=-1) - 1  # (E, P); only read where caught
        points = torch.take_along_dim(self._respawns, slot.clamp(0, self._n_respawn - 1)[..., None], dim=1)
        hit = caught[..., None]
        prey_pos = torch.where(hit, points, w.pos[:, a:])
        prey_vel = w.vel[:, a:].masked_fill(hit, 0.0)
        w.pos = torch.cat([w.pos[:, :a], prey_pos], dim=1)
        w.vel = torch.cat([w.vel[:, :a], prey_vel], dim=1)
        w.refresh()
        self._respawns_used += n_caught

    def _agent_distances(self) -> torch.Tensor:
        a = self._n_agent
        return self.world.dist[:, :a, :a]

    def _features(self, nearest: torch.Tensor):
        w = self.world
        return predator_features(
            nearest, w.pos, w.vel, w.dx, w.dy, w.dist, self._n_agent, self.spec.k_prey, self.spec.half_width
        )

    def _episode_metrics(self) -> Dict[str, torch.Tensor]:
        return predator_metrics(self._catches, self._first_catch, self._max_cycles)
