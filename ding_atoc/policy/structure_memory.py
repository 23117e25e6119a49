"""
Overview:
    Per-environment memory of the communication structure, so that a structure lasts ``comm_interval`` steps
    and is dropped at the end of an episode. Held as tensors with one row per environment, so that a step of any
    number of environments is a few batched tensor operations.
"""
from typing import Dict, List, Optional, Tuple, Union

import torch

from .env_rows import grown, reset_rows, rows_needed

#: Environments of a call: ids of DI-engine's env managers (a list), or None for every row of a batched env.
EnvRows = Optional[List[int]]


class StructureMemory:
    """
    Overview:
        Holds, for each environment, the structure it acts with and how many steps it has been used. A new
        structure is taken every ``comm_interval`` steps; ``reset`` forgets an environment's structure. Rows are
        allocated on first use and grow with the largest environment id seen (``env_rows``).
    Interfaces:
        ``__init__``, ``select``, ``reset``
    """

    def __init__(self, comm_interval: int) -> None:
        if not isinstance(comm_interval, int) or isinstance(comm_interval, bool) or comm_interval < 1:
            raise ValueError(f"policy.comm_interval must be an integer >= 1, got {comm_interval!r}")
        self.comm_interval = comm_interval
        self._structure: Dict[str, torch.Tensor] = {}
        # Steps each environment's structure has been used; ``comm_interval`` means "decide anew".
        self._age = torch.zeros(0, dtype=torch.long)

    def due(self, env_ids: EnvRows, count: int) -> torch.Tensor:
        """
        Overview:
            Which of the ``count`` environments of a call take a new structure this step (so that a caller can skip
            deciding one when none does).
        Returns:
            - due (:obj:`torch.Tensor`): bool, one per environment of the call.
        """
        if rows_needed(env_ids, count) > len(self._age):  # environments never seen: all take a new structure
            return torch.ones(count, dtype=torch.bool, device=self._age.device)
        return self._age[self._rows(env_ids, count)] >= self.comm_interval

    def select(self, env_ids: EnvRows, count: int,
               fresh: Optional[Dict[str, torch.Tensor]]) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """
        Overview:
            For every environment, its remembered structure while it is younger than ``comm_interval`` steps,
            else the fresh one (which is then remembered).
        Arguments:
            - env_ids (:obj:`Optional[List[int]]`): environment id of every row of the call; None: row i is \
                environment i.
            - count (:obj:`int`): environments of the call.
            - fresh (:obj:`Optional[Dict[str, torch.Tensor]]`): newly decided structure, batched over the \
                environments of the call; None where ``due`` says that none of them takes one.
        Returns:
            - structure (:obj:`Dict[str, torch.Tensor]`): the structure to act with, batched over environments.
            - renewed (:obj:`torch.Tensor`): bool, which environments took the fresh structure this step.
        """
        rows = self._rows(env_ids, count)
        if fresh is None:
            self._age[rows] += 1
            structure = {key: value[rows] for key, value in self._structure.items()}
            return structure, torch.zeros(count, dtype=torch.bool, device=self._age.device)
        self._allocate(env_ids, count, fresh)
        renewed = self._age[rows] >= self.comm_interval
        structure = {}
        for key, value in fresh.items():
            keep_fresh = renewed.view(-1, *([1] * (value.dim() - 1)))
            structure[key] = torch.where(keep_fresh, value, self._structure[key][rows])
            self._structure[key][rows] = structure[key]
        self._age[rows] = torch.where(renewed, 1, self._age[rows] + 1)
        return structure, renewed

    def reset(self, env_ids: Union[EnvRows, torch.Tensor] = None) -> None:
        """
        Arguments:
            - env_ids (:obj:`Union[Optional[List[int]], torch.Tensor]`): environments whose episode ended (ids, or \
                a bool mask over the rows of a batched env); None forgets all.
        """
        reset_rows(self._age, env_ids, self.comm_interval)

    def _rows(self, env_ids: EnvRows, count: int) -> Union[slice, torch.Tensor]:
        """The rows of ``env_ids`` (a slice for a whole batched env)."""
        if env_ids is None:
            return slice(0, count)
        return torch.as_tensor(env_ids, device=self._age.device)

    def _allocate(self, env_ids: EnvRows, count: int, like: Dict[str, torch.Tensor]) -> None:
        """Grow the rows to the largest environment id of the call, shaped like ``like``."""
        size = rows_needed(env_ids, count)
        if size <= len(self._age):
            return
        self._age = grown(self._age, size, (), self._age.to(next(iter(like.values())).device), self.comm_interval)
        for key, value in like.items():
            self._structure[key] = grown(self._structure.get(key), size, value.shape[1:], value)
