"""
Overview:
    Vectorized point-mass physics of the Multi-Agent Particle Environments (MPE, Lowe et al. 2017) in a square
    arena. All entities that move are integrated together with numpy; there is no Python loop over entities or
    pairs.

    Per step, as MPE's ``World.step``:

    1. force = accel * action (action in [-1, 1]^2 per entity) + soft contact forces between overlapping entities
       (``contact_force * penetration``, ``penetration = softplus(-(dist - dist_min) / margin) * margin``);
    2. vel = vel * (1 - damping) + force / mass * dt, then the speed is clipped to ``max_speed``;
    3. pos = pos + vel * dt.

    Unlike MPE, the arena is bounded when ``bounded=True``: a position leaving ``[-half_width, half_width]^2``
    is clipped to the border and the velocity component across the wall is zeroed (an inelastic wall).
"""
from typing import Optional

import numpy as np

from .geometry import pairwise_offsets

#: Physics defaults shared by every env of this package (the ``physics`` config dict).
PHYSICS_DEFAULTS = dict(
    # (float) Integration time step, as MPE.
    dt=0.1,
    # (float) Velocity damping per step, as MPE.
    damping=0.25,
    # (float) Stiffness of the soft contact force between overlapping entities, as MPE.
    contact_force=100.0,
    # (float) Softness of the contact force, as MPE.
    contact_margin=1e-3,
    # (bool) Whether entities stay inside the square arena (inelastic walls); MPE has no walls.
    bounded=True,
)


class PointMassWorld:
    """
    Overview:
        Positions and velocities of E moving, colliding discs, and the pairwise geometry of their last state.
    Interfaces:
        ``__init__``, ``set_state``, ``step``, ``refresh``
    Properties:
        - pos (:obj:`np.ndarray`): (E, 2) float64 positions.
        - vel (:obj:`np.ndarray`): (E, 2) float64 velocities.
        - dx, dy (:obj:`np.ndarray`): (E, E), ``(dx[i, j], dy[i, j]) = pos[j] - pos[i]``.
        - dist (:obj:`np.ndarray`): (E, E), Euclidean distances, ``inf`` on the diagonal.
    """

    def __init__(
            self,
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
    ) -> None:
        """
        Arguments:
            - size (:obj:`np.ndarray`): (E,) radius of each disc.
            - accel (:obj:`np.ndarray`): (E,) force per unit of action (MPE's ``accel``/sensitivity).
            - max_speed (:obj:`np.ndarray`): (E,) speed limit, ``inf`` for none.
            - half_width (:obj:`float`): the arena is ``[-half_width, half_width]^2``.
            - dt, damping, contact_force, contact_margin, bounded: see ``PHYSICS_DEFAULTS``.
            - mass (:obj:`float`): mass of every disc.
        """
        self.size = np.asarray(size, dtype=np.float64)
        self.n = self.size.shape[0]
        self.accel = np.asarray(accel, dtype=np.float64).reshape(self.n, 1)
        self.max_speed = np.asarray(max_speed, dtype=np.float64).reshape(self.n)
        self._has_max_speed = bool(np.isfinite(self.max_speed).any())
        self.half_width = float(half_width)
        self.dt = float(dt)
        self.damping = float(damping)
        self.contact_force = float(contact_force)
        self.contact_margin = float(contact_margin)
        self.bounded = bool(bounded)
        self.mass = float(mass)
        # sum of radii of every pair, the distance under which two discs touch
        self.dist_min = self.size[:, None] + self.size[None, :]
        # beyond dist_min + 40 margins the contact force is below 1e-15 of its scale: pairs further apart are skipped
        self._contact_range = self.dist_min + 40.0 * self.contact_margin
        self.pos = np.zeros((self.n, 2))
        self.vel = np.zeros((self.n, 2))
        self.dx = np.zeros((self.n, self.n))
        self.dy = np.zeros((self.n, self.n))
        self.dist = np.full((self.n, self.n), np.inf)

    def set_state(self, pos: np.ndarray, vel: Optional[np.ndarray] = None) -> None:
        """
        Overview:
            Place the discs (velocity zero unless given) and recompute the pairwise geometry.
        Shapes:
            - pos, vel: (E, 2)
        """
        pos = np.asarray(pos, dtype=np.float64)
        if pos.shape != (self.n, 2):
            raise ValueError(f'positions must have shape {(self.n, 2)}, got {pos.shape}')
        self.pos = pos.copy()
        self.vel = np.zeros((self.n, 2)) if vel is None else np.asarray(vel, dtype=np.float64).reshape(self.n, 2).copy()
        self.refresh()

    def refresh(self) -> None:
        """
        Overview:
            Recompute ``dx``, ``dy`` and ``dist`` from ``pos``.
        """
        self.dx, self.dy, self.dist = pairwise_offsets(self.pos, self.pos)
        np.fill_diagonal(self.dist, np.inf)

    def contact_forces(self) -> np.ndarray:
        """
        Overview:
            MPE's soft contact force on every disc, from the current geometry.
        Returns:
            - force (:obj:`np.ndarray`): (E, 2)
        """
        i, j = np.nonzero(self.dist < self._contact_range)  # the diagonal (dist = inf) is never selected
        force = np.zeros((self.n, 2))
        if i.size == 0:
            return force
        k = self.contact_margin
        d = self.dist[i, j]
        # softplus(-(d - d_min) / k) * k
        penetration = np.logaddexp(0.0, (self.dist_min[i, j] - d) / k) * k
        # pushes i away from j; coincident discs (d = 0) get no force instead of nan
        scale = -self.contact_force * penetration / np.maximum(d, 1e-12)
        force[:, 0] = np.bincount(i, weights=scale * self.dx[i, j], minlength=self.n)
        force[:, 1] = np.bincount(i, weights=scale * self.dy[i, j], minlength=self.n)
        return force

    def step(self, action: np.ndarray) -> None:
        """
        Overview:
            Advance one time step and refresh the pairwise geometry.
        Arguments:
            - action (:obj:`np.ndarray`): (E, 2) in [-1, 1], scaled by ``accel``.
        """
        force = action * self.accel + self.contact_forces()
        vel = self.vel * (1.0 - self.damping) + force * (self.dt / self.mass)
        if self._has_max_speed:
            speed = np.sqrt(np.einsum('ij,ij->i', vel, vel))
            factor = np.minimum(1.0, self.max_speed / np.maximum(speed, 1e-12))
            vel *= factor[:, None]
        pos = self.pos + vel * self.dt
        if self.bounded:
            hit = np.abs(pos) > self.half_width
            if hit.any():
                np.clip(pos, -self.half_width, self.half_width, out=pos)
                vel[hit] = 0.0
        self.pos, self.vel = pos, vel
        self.refresh()
