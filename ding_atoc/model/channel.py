"""
Overview:
    The communication channel: a bidirectional LSTM that integrates the thoughts of one group, and the loop that
    sends all groups of a step through it, one batch per serial round.
"""
from typing import Dict

import torch
import torch.nn as nn

from .grouping import NO_AGENT


def left_aligned_index(length: torch.Tensor, max_length: int) -> torch.Tensor:
    """
    Overview:
        Index that moves the first ``length`` positions of every sequence to its end (left padding). Position p
        of the result reads position ``p - (L - length)``; padding reads position 0 and is never used.
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
    shift = position - (max_length - length.unsqueeze(1))
    return shift.clamp(min=0)


class BiLSTMChannel(nn.Module):
    """
    Overview:
        ATOC's communication channel: a bidirectional LSTM over the thoughts of a group, initiator first. Each
        direction has ``thought_size // 2`` units, so an integrated thought has the size of a thought and can
        enter a further group. Groups shorter than the padded length stay exact without packed sequences (which
        need the lengths on the host): the forward direction reads the groups right-padded, the backward direction
        left-padded, both in one LSTM call over the two copies.
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
        self.lstm = nn.LSTM(thought_size, thought_size // 2, batch_first=True, bidirectional=True)

    def forward(self, sequence: torch.Tensor, length: torch.Tensor, full: bool = False) -> torch.Tensor:
        """
        Arguments:
            - sequence (:obj:`torch.Tensor`): thoughts of the members of each group, padded at the end.
            - length (:obj:`torch.Tensor`): long, number of members of each group.
            - full (:obj:`bool`): the caller knows that every group fills the padded length (one plain call).
        Returns:
            - integrated (:obj:`torch.Tensor`): integrated thought of every member; padded positions are garbage.
        Shapes:
            - sequence: :math:`(N, L, T)`
            - length: :math:`(N,)`
            - integrated: :math:`(N, L, T)`
        """
        if full:
            return self.lstm(sequence)[0]
        count, max_length, _ = sequence.shape
        left = left_aligned_index(length, max_length).unsqueeze(-1)
        both, _ = self.lstm(torch.cat([sequence, sequence.gather(1, left.expand_as(sequence))]))
        half = both.shape[-1] // 2
        forward_part = both[:count, :, :half]
        # Undo the left alignment: valid position p of the group sits at p + (L - length) in the second copy.
        right = (torch.arange(max_length, device=length.device).unsqueeze(0) + (max_length - length.unsqueeze(1)))
        right = right.clamp(max=max_length - 1).unsqueeze(-1)
        backward_part = both[count:, :, half:].gather(1, right.expand(-1, -1, half))
        return torch.cat([forward_part, backward_part], dim=-1)


def integrate_groups(channel: nn.Module, thought: torch.Tensor, structure: Dict[str, torch.Tensor]) -> torch.Tensor:
    """
    Overview:
        Integrated thoughts of all agents: every group goes through the channel in its round, all groups of a
        round as one batch; an agent in several groups enters each later group with the thought integrated by
        the earlier one; agents in no group keep their own thought. One host synchronisation, before the loop,
        reads how many groups each round has.
    Arguments:
        - channel (:obj:`nn.Module`): maps (sequence, length, full) to integrated sequences, e.g. \
            ``BiLSTMChannel``; ``full`` says that every group of the call fills all slots.
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
    # The one host synchronisation: groups per round ([no group, round 0, ...]) and, per round, groups that do
    # not fill all m + 1 slots (rounds without any take the channel's plain path).
    full = (member_row != sink).all(dim=1)
    counts = torch.stack([torch.bincount(flat_round + 1), torch.bincount(flat_round + 1, weights=(~full).float())])
    groups_per_round, partial_per_round = counts.tolist()

    # Rounds write into one buffer in place: no copy of every agent's thought per round. Reading it by index
    # saves only the indices for backward, so the in-place writes keep autograd's version checks satisfied.
    state = torch.cat([thought.reshape(sink, size), thought.new_zeros(1, size)], dim=0)
    start = int(groups_per_round[0])
    for count, partial in zip(groups_per_round[1:], partial_per_round[1:]):
        rows = member_row[order[start:start + int(count)]]  # (n, m + 1)
        start += int(count)
        length = (rows != sink).sum(dim=1)
        integrated = channel(state[rows], length, full=partial == 0)
        state.index_copy_(0, rows.reshape(-1), integrated.reshape(-1, size))
    return state[:sink].view(batch, n_agent, size)


class AttentionChannel(nn.Module):
    """
    Overview:
        An attention channel, selectable instead of the BiLSTM (``model.channel='attention'``): each member's query
        comes from its own thought, keys and values from the thoughts received from the other members of the
        group, scaled dot product, masked for absent members (padding, lost messages); the attended message is
        fused with the own thought into a thought-sized integrated thought. A member that receives nothing
        integrates a zero message.
    Interfaces:
        ``__init__``, ``forward``
    """

    def __init__(self, thought_size: int, key_size: int = 32) -> None:
        """
        Arguments:
            - thought_size (:obj:`int`): size of a thought.
            - key_size (:obj:`int`): size of queries and keys.
        """
        super().__init__()
        self.query = nn.Linear(thought_size, key_size)
        self.key = nn.Linear(thought_size, key_size)
        self.value = nn.Linear(thought_size, thought_size)
        self.fuse = nn.Sequential(nn.Linear(2 * thought_size, thought_size), nn.Tanh())
        self.scale = key_size ** -0.5

    def forward(self, sequence: torch.Tensor, length: torch.Tensor, full: bool = False) -> torch.Tensor:
        """
        Arguments:
            - sequence (:obj:`torch.Tensor`): thoughts of the members of each group, padded at the end.
            - length (:obj:`torch.Tensor`): long, number of members of each group.
            - full (:obj:`bool`): unused (masks are cheap); kept for the channel interface.
        Returns:
            - integrated (:obj:`torch.Tensor`): integrated thought of every member; padded positions are garbage.
        Shapes:
            - sequence: :math:`(N, L, T)`
            - length: :math:`(N,)`
            - integrated: :math:`(N, L, T)`
        """
        max_length = sequence.shape[1]
        position = torch.arange(max_length, device=sequence.device)
        present = position.unsqueeze(0) < length.unsqueeze(1)  # (N, L)
        # Member i attends to the other present members j != i.
        mask = present.unsqueeze(1) & (position.unsqueeze(0) != position.unsqueeze(1)).unsqueeze(0)  # (N, L, L)
        scores = torch.einsum('nik,njk->nij', self.query(sequence), self.key(sequence)) * self.scale
        # A large finite fill keeps fully masked rows finite (and their gradient free of NaN); they are zeroed next.
        weights = torch.softmax(scores.masked_fill(~mask, -1e9), dim=-1) * mask
        received = torch.einsum('nij,njt->nit', weights, self.value(sequence))
        return self.fuse(torch.cat([sequence, received], dim=-1))
