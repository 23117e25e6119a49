"""
Overview:
    The communication channel: a bidirectional LSTM that integrates the thoughts of one group, and the loop that
    sends all groups of a step through it, one batch per serial round.
"""
from typing import Dict

import torch
import torch.nn as nn

from .grouping import NO_AGENT


def reverse_within_length(length: torch.Tensor, max_length: int) -> torch.Tensor:
    """
    Overview:
        Index that reverses the first ``length`` positions of every sequence and leaves the padding in place.
        Applying it twice gives the identity, so it both reverses the input and restores the output order.
    Arguments:
        - length (:obj:`torch.Tensor`): long, the valid length of each sequence.
        - max_length (:obj:`int`): the padded length L.
    Returns:
        - index (:obj:`torch.Tensor`): long, position to read for every output position.
    Shapes:
        - length: :math:`(N,)`
        - index: :math:`(N, L)`
    """
    position = torch.arange(max_length, device=length.device).unsqueeze(0)
    length = length.unsqueeze(1)
    return torch.where(position < length, length - 1 - position, position)


class BiLSTMChannel(nn.Module):
    """
    Overview:
        ATOC's communication channel: a bidirectional LSTM over the thoughts of a group, initiator first. Each
        direction has ``thought_size // 2`` units, so an integrated thought has the size of a thought and can
        enter a further group. Padded groups are exact: the backward direction reads each group reversed within
        its own length, which needs no packed sequences and so no lengths on the host.
    Interfaces:
        ``__init__``, ``forward``
    """

    def __init__(self, thought_size: int) -> None:
        """
        Arguments:
            - thought_size (:obj:`int`): size of a thought; must be even.
        """
        super().__init__()
        if thought_size % 2 != 0:
            raise ValueError(f"model.thought_size must be even for the bidirectional LSTM channel, got {thought_size}")
        self.forward_lstm = nn.LSTM(thought_size, thought_size // 2, batch_first=True)
        self.backward_lstm = nn.LSTM(thought_size, thought_size // 2, batch_first=True)

    def forward(self, sequence: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
        """
        Arguments:
            - sequence (:obj:`torch.Tensor`): thoughts of the members of each group, padded at the end.
            - length (:obj:`torch.Tensor`): long, number of members of each group.
        Returns:
            - integrated (:obj:`torch.Tensor`): integrated thought of every member; padded positions are garbage.
        Shapes:
            - sequence: :math:`(N, L, T)`
            - length: :math:`(N,)`
            - integrated: :math:`(N, L, T)`
        """
        forward_out, _ = self.forward_lstm(sequence)
        reverse = reverse_within_length(length, sequence.shape[1]).unsqueeze(-1)
        backward_in = sequence.gather(1, reverse.expand_as(sequence))
        backward_out, _ = self.backward_lstm(backward_in)
        backward_out = backward_out.gather(1, reverse.expand_as(backward_out))
        return torch.cat([forward_out, backward_out], dim=-1)


def integrate_groups(channel: nn.Module, thought: torch.Tensor, structure: Dict[str, torch.Tensor]) -> torch.Tensor:
    """
    Overview:
        Integrated thoughts of all agents: every group goes through the channel in its round, all groups of a
        round as one batch; an agent in several groups enters each later group with the thought integrated by
        the earlier one; agents in no group keep their own thought. One host synchronisation, before the loop,
        reads how many groups each round has.
    Arguments:
        - channel (:obj:`nn.Module`): maps (sequence, length) to integrated sequences, e.g. ``BiLSTMChannel``.
        - thought (:obj:`torch.Tensor`): every agent's thought.
        - structure (:obj:`Dict[str, torch.Tensor]`): ``group`` and ``group_round`` from \
            ``communication_structure``.
    Returns:
        - integrated (:obj:`torch.Tensor`): every agent's integrated thought.
    Shapes:
        - thought: :math:`(B, A, T)`
        - group: :math:`(B, A, m + 1)`
        - group_round: :math:`(B, A)`
        - integrated: :math:`(B, A, T)`
    """
    batch, n_agent, size = thought.shape
    group, group_round = structure['group'].long(), structure['group_round'].long()
    sink = batch * n_agent  # an extra row that empty slots read from and write to
    offset = (torch.arange(batch, device=thought.device) * n_agent).view(batch, 1, 1)
    member_row = torch.where(group == NO_AGENT, sink, group + offset).view(sink, -1)
    flat_round = group_round.view(-1)
    order = torch.argsort(flat_round, stable=True)
    groups_per_round = torch.bincount(flat_round + 1).tolist()  # the one host sync: [no group, round 0, ...]

    # Rounds write into one buffer in place: no copy of every agent's thought per round. Reading it by index
    # saves only the indices for backward, so the in-place writes keep autograd's version checks satisfied.
    state = torch.cat([thought.reshape(sink, size), thought.new_zeros(1, size)], dim=0)
    start = groups_per_round[0]
    for count in groups_per_round[1:]:
        rows = member_row[order[start:start + count]]  # (n, m + 1)
        start += count
        length = (rows != sink).sum(dim=1)
        integrated = channel(state[rows], length)
        state.index_copy_(0, rows.reshape(-1), integrated.reshape(-1, size))
    return state[:sink].view(batch, n_agent, size)
