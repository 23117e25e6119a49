"""
Overview:
    Per-environment memory of the communication structure, so that a structure lasts ``comm_interval`` steps
    and is dropped at the end of an episode.
"""
from typing import Dict, List, Optional, Tuple

import torch


class StructureMemory:
    """
    Overview:
        Holds, for each environment id, the structure it acts with and how many steps it has been used. A new
        structure is taken every ``comm_interval`` steps; ``reset`` forgets an environment's structure.
    Interfaces:
        ``__init__``, ``select``, ``reset``
    """

    def __init__(self, comm_interval: int) -> None:
        if not isinstance(comm_interval, int) or isinstance(comm_interval, bool) or comm_interval < 1:
            raise ValueError(f"policy.comm_interval must be an integer >= 1, got {comm_interval!r}")
        self.comm_interval = comm_interval
        self._structure: Dict[int, Dict[str, torch.Tensor]] = {}
        self._age: Dict[int, int] = {}

    def select(self, env_ids: List[int], fresh: Dict[str, torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """
        Overview:
            For every environment, its remembered structure while it is younger than ``comm_interval`` steps,
            else the fresh one (which is then remembered). The loop runs over environments, not samples.
        Arguments:
            - env_ids (:obj:`List[int]`): environment id of every row of ``fresh``.
            - fresh (:obj:`Dict[str, torch.Tensor]`): newly decided structure, batched over environments.
        Returns:
            - structure (:obj:`Dict[str, torch.Tensor]`): the structure to act with, batched like ``fresh``.
            - renewed (:obj:`torch.Tensor`): bool, which environments took the fresh structure this step.
        """
        rows = {key: [] for key in fresh}
        renewed = []
        for row, env_id in enumerate(env_ids):
            if self._age.get(env_id, self.comm_interval) >= self.comm_interval:
                self._structure[env_id] = {key: value[row] for key, value in fresh.items()}
                self._age[env_id] = 0
            renewed.append(self._age[env_id] == 0)
            self._age[env_id] += 1
            for key in fresh:
                rows[key].append(self._structure[env_id][key])
        device = next(iter(fresh.values())).device
        return {key: torch.stack(value) for key, value in rows.items()}, torch.tensor(renewed, device=device)

    def reset(self, env_ids: Optional[List[int]] = None) -> None:
        """
        Arguments:
            - env_ids (:obj:`Optional[List[int]]`): environments whose episode ended; None forgets all.
        """
        if env_ids is None:
            self._structure.clear()
            self._age.clear()
            return
        for env_id in env_ids:
            self._structure.pop(env_id, None)
            self._age.pop(env_id, None)
