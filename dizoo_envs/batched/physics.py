"""
Overview:
    ``BatchedPointMassWorld``: the point-mass physics of ``dizoo_envs/physics.py`` (MPE's ``World.step`` with soft
    contacts and inelastic walls, see there) for E independent worlds of N discs at once, as torch tensors on any
    device. There is no Python loop over worlds, discs or pairs: the pairs in contact are selected with one mask over
    the (E, N, N) distances and their forces summed with one scatter-add.

    Precision: float64 by default. Contact forces are stiff (``contact_force / contact_margin`` = 1e5 per unit of
    penetration), so float32 rounding of a distance (~1e-7) grows along an episode. Measured against the numpy envs
    (float64; 3 envs, 2 episodes of 25 steps, random actions): a float32 world drifts to 1e-5 - 7e-5 in the
    observations by the end of an episode at N = 10 - 40, and at N = 40 predator-prey a near tie of two distances then
    orders the nearest neighbours differently (an ``agent_distance`` entry finite in one env, ``inf`` in the other);
    a float64 world stays within the float32 rounding of the observations (< 1e-6 relative). float32 is available for
    speed where parity does not matter.
"""
from typing import Optional

import numpy as np
import torch

from ..geometry import pairwise_offsets


class BatchedPointMassWorld:
    """
    Overview:
        Positions and velocities of E worlds of N moving, colliding discs, and the pairwise geometry of their last
        state (the batched ``physics.PointMassWorld``).
    Interfaces:
        ``__init__``, ``set_state``, ``step``, ``refresh``, ``contact_forces``
    Properties:
        - pos, vel (:obj:`torch.Tensor`): (E, N, 2) positions and velocities.
        - dx, dy (:obj:`torch.Tensor`): (E, N, N), ``(dx[e, i, j], dy[e, i, j]) = pos[e, j] - pos[e, i]``.
        - dist (:obj:`torch.Tensor`): (E, N, N) Euclidean distances, ``inf`` on the diagonal.
    """

    def __init__(
            self,
            env_num: int,
            size: np.ndarray,
            accel: np.ndarray,
            max_speed: np.ndarray,
            half_width: float,
            dt: float = 0.1,
            damping: float = 0.25,
            contact_force: float = 100.0,
            contact_margin: float = 1e-3,
            bounded: bool = True,
            mass: float = 1.0,
            device: str = 'cpu',
            dtype: torch.dtype = torch.float64,
    ) -> None:
        """
        Arguments:
            - env_num (:obj:`int`): E.
            - size, accel, max_speed, half_width, dt, damping, contact_force, contact_margin, bounded, mass: as
              ``physics.PointMassWorld`` (the numpy envs' ``world_params()``).
            - device (:obj:`str`): torch device of every tensor.
            - dtype (:obj:`torch.dtype`): float64 (parity with the numpy envs) or float32 (see the module doc).
        """
        self.env_num = int(env_num)
        self.device = torch.device(device)
        self.dtype = dtype
        self.size = torch.as_tensor(np.asarray(size, dtype=np.float64), dtype=dtype, device=self.device)
        self.n = self.size.shape[0]
        self.accel = torch.as_tensor(np.asarray(accel, dtype=np.float64), dtype=dtype, device=self.device)
        self.accel = self.accel.reshape(self.n, 1)
        self.max_speed = torch.as_tensor(np.asarray(max_speed, dtype=np.float64), dtype=dtype, device=self.device)
        self._has_max_speed = bool(np.isfinite(np.asarray(max_speed)).any())
        self.half_width = float(half_width)
        self.dt = float(dt)
        self.damping = float(damping)
        self.contact_force = float(contact_force)
        self.contact_margin = float(contact_margin)
        self.bounded = bool(bounded)
        self.mass = float(mass)
        # sum of radii of every pair, the distance under which two discs touch
        self.dist_min = self.size[:, None] + self.size[None, :]
        # beyond dist_min + 40 margins the contact force is below 1e-15 of its scale: those pairs get none, as numpy's
        self._contact_range = self.dist_min + 40.0 * self.contact_margin
        self._eye = torch.eye(self.n, dtype=torch.bool, device=self.device)
        shape = (self.env_num, self.n, 2)
        self.pos = torch.zeros(shape, dtype=dtype, device=self.device)
        self.vel = torch.zeros(shape, dtype=dtype, device=self.device)
        self.refresh()

    def set_state(self, envs: torch.Tensor, pos: torch.Tensor, vel: Optional[torch.Tensor] = None) -> None:
        """
        Overview:
            Place the discs of the worlds ``envs`` (velocity zero unless given); the geometry is refreshed.
        Arguments:
            - envs (:obj:`torch.Tensor`): (M,) long indices of the worlds to set.
            - pos (:obj:`torch.Tensor`): (M, N, 2) positions.
            - vel (:obj:`Optional[torch.Tensor]`): (M, N, 2) velocities, zero when None.
        """
        self.pos = self.pos.index_put((envs, ), pos.to(self.pos))
        new_vel = torch.zeros_like(pos, dtype=self.dtype) if vel is None else vel.to(self.vel)
        self.vel = self.vel.index_put((envs, ), new_vel)
        self.refresh()

    def refresh(self) -> None:
        """
        Overview:
            Recompute ``dx``, ``dy`` and ``dist`` from ``pos``.
        """
        self.dx, self.dy, dist = pairwise_offsets(self.pos, self.pos)
        self.dist = dist.masked_fill(self._eye, float('inf'))

    def contact_forces(self) -> torch.Tensor:
        """
        Overview:
            MPE's soft contact force on every disc, from the current geometry.
        Returns:
            - force (:obj:`torch.Tensor`): (E, N, 2)
        """
        e, i, j = torch.nonzero(self.dist < self._contact_range, as_tuple=True)  # the diagonal (inf) never is
        force = torch.zeros_like(self.pos)
        k = self.contact_margin
        d = self.dist[e, i, j]
        # softplus(-(d - d_min) / k) * k
        penetration = torch.logaddexp(torch.zeros_like(d), (self.dist_min[i, j] - d) / k) * k
        # pushes i away from j; coincident discs (d = 0) get no force instead of nan
        scale = -self.contact_force * penetration / d.clamp_min(1e-12)
        pair_force = torch.stack([scale * self.dx[e, i, j], scale * self.dy[e, i, j]], dim=-1)
        return force.index_put_((e, i), pair_force, accumulate=True)

    def step(self, action: torch.Tensor) -> None:
        """
        Overview:
            Advance every world one time step and refresh the pairwise geometry.
        Arguments:
            - action (:obj:`torch.Tensor`): (E, N, 2) in [-1, 1], scaled by ``accel``.
        """
        force = action * self.accel + self.contact_forces()
        vel = self.vel * (1.0 - self.damping) + force * (self.dt / self.mass)
        if self._has_max_speed:
            speed = torch.sqrt((vel * vel).sum(dim=-1))
            factor = (self.max_speed / speed.clamp_min(1e-12)).clamp_max(1.0)
            vel = vel * factor[..., None]
        pos = self.pos + vel * self.dt
        if self.bounded:
            hit = pos.abs() > self.half_width
            pos = pos.clamp(-self.half_width, self.half_width)
            vel = vel.masked_fill(hit, 0.0)
        self.pos, self.vel = pos, vel
        self.refresh()
