"""
Overview:
    Running statistics of who communicates, accumulated on the policy's device (no host synchronisation per
    step) and read once per collection or evaluation.
"""
from typing import Dict, Optional

import torch

from ..model.grouping import NO_AGENT, count_members


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

    def update(
            self,
            structure: Dict[str, torch.Tensor],
            delivered: Optional[Dict[str, torch.Tensor]] = None,
            dropped: Optional[torch.Tensor] = None
    ) -> None:
        """
        Arguments:
            - structure (:obj:`Dict[str, torch.Tensor]`): ``initiator`` (B, A), ``group`` (B, A, m + 1) and \
                ``group_round`` (B, A) of one step: every member of a group sends one message.
            - delivered (:obj:`Optional[Dict[str, torch.Tensor]]`): the groups of the messages that arrive this \
                step (default: ``structure``, an ideal channel).
            - dropped (:obj:`Optional[torch.Tensor]`): messages lost this step (default: none).
        """
        leads = structure['group_round'] != NO_AGENT
        members = count_members(structure)
        arrived = members if delivered is None else count_members(delivered)
        sums = torch.stack([
            torch.tensor(structure['initiator'].numel(), dtype=torch.float, device=leads.device),
            structure['initiator'].float().sum(),
            leads.float().sum(),
            members,
            arrived,
            torch.zeros_like(members) if dropped is None else torch.as_tensor(dropped).to(members),
        ])
        self._sums = sums if self._sums is None else self._sums + sums

    def pop(self) -> Dict[str, float]:
        """
        Returns:
            - stats (:obj:`Dict[str, float]`): ``initiator_share`` (initiator-steps per agent-step), \
                ``groups_formed`` and ``mean_group_size`` (members per formed group, 0 if none), \
                ``messages_sent``, ``messages_delivered`` and ``messages_dropped``; all 0 when nothing was \
                recorded. Resets the sums.
        """
        if self._sums is None:
            return dict.fromkeys(STAT_NAMES, 0.0)
        agents, initiators, groups, members, delivered, dropped = self._sums.tolist()
        self._sums = None
        return {
            'initiator_share': initiators / agents,
            'groups_formed': groups,
            'mean_group_size': members / groups if groups else 0.0,
            'messages_sent': members,
            'messages_delivered': delivered,
            'messages_dropped': dropped,
        }


#: The statistics ``CommunicationStats.pop`` reports.
STAT_NAMES = ('initiator_share', 'groups_formed', 'mean_group_size', 'messages_sent', 'messages_delivered',
              'messages_dropped')

