"""
Overview:
    Running statistics of who communicates, accumulated on the policy's device (no host synchronisation per
    step) and read once per collection or evaluation.
"""
from typing import Dict

import torch

from ..model.grouping import NO_AGENT


class CommunicationStats:
    """
    Overview:
        Sums, over the steps since the last ``pop``, the agent-steps, initiator-steps, groups formed and their
        members (initiators included).
    Interfaces:
        ``__init__``, ``update``, ``pop``
    """

    def __init__(self) -> None:
        self._sums = None

    def update(self, structure: Dict[str, torch.Tensor]) -> None:
        """
        Arguments:
            - structure (:obj:`Dict[str, torch.Tensor]`): ``initiator`` (B, A), ``group`` (B, A, m + 1) and \
                ``group_round`` (B, A) of one step.
        """
        leads = structure['group_round'] != NO_AGENT
        sums = torch.stack([
            torch.tensor(structure['initiator'].numel(), dtype=torch.float, device=leads.device),
            structure['initiator'].float().sum(),
            leads.float().sum(),
            (structure['group'] != NO_AGENT).float().sum(),
        ])
        self._sums = sums if self._sums is None else self._sums + sums

    def pop(self) -> Dict[str, float]:
        """
        Returns:
            - stats (:obj:`Dict[str, float]`): ``initiator_share`` (initiator-steps per agent-step), \
                ``groups_formed`` and ``mean_group_size`` (members per formed group, 0 if none); all 0 when \
                nothing was recorded. Resets the sums.
        """
        if self._sums is None:
            return {'initiator_share': 0.0, 'groups_formed': 0.0, 'mean_group_size': 0.0}
        agents, initiators, groups, members = self._sums.tolist()
        self._sums = None
        return {
            'initiator_share': initiators / agents,
            'groups_formed': groups,
            'mean_group_size': members / groups if groups else 0.0,
        }
