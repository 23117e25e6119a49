"""
Overview:
    The communication channel: a bidirectional LSTM (or attention) that integrates the thoughts of one group, and
    the loop that sends all groups of a step through it, one batch per serial round.
"""
import contextlib
import functools
import itertools
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .grouping import NO_AGENT


class BiLSTMChannel(nn.Module):
    """
    Overview:
        ATOC's communication channel: a bidirectional LSTM over the thoughts of a group, initiator first. Each
        direction has ``thought_size // 2`` units, so an integrated thought has the size of a thought and can
        enter a further group.

        The groups are short (m + 1 members), so the LSTM is unrolled here rather than called through ``nn.LSTM``:
        the input projections of every member and both directions are one matrix product, and each of the m + 1
        steps advances both directions at once (one batched product over the two directions). Groups shorter than
        the padded length stay exact without packed sequences, which need the lengths on the host: the forward
        direction reads the padding last and its outputs there are never used; the backward direction reads the
        padding first, and its state is held at zero there, so it starts at each group's last member. The
        parameters are those of an ``nn.LSTM`` (``self.lstm``), so checkpoints and the reference implementation
        agree on them.
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
        return self.integrator()[0](sequence, length)

    def integrator(self) -> Tuple[Callable[[torch.Tensor, torch.Tensor], torch.Tensor], List[torch.Tensor]]:
        """
        Overview:
            ``forward`` with the LSTM's weights rearranged once, for the several serial rounds of one forward.
        Returns:
            - integrate (:obj:`Callable`): (sequence, length) -> integrated, as ``forward``.
            - weights (:obj:`List[torch.Tensor]`): the rearranged weights ``integrate`` reads.
        """
        lstm, hidden = self.lstm, self.lstm.hidden_size
        # Gate rows from nn.LSTM's (input, forget, cell, output) to (input, forget, output, cell): one sigmoid over
        # the first three gates, one tanh over the last.
        order = torch.cat([torch.arange(2 * hidden), torch.arange(3 * hidden, 4 * hidden),
                           torch.arange(2 * hidden, 3 * hidden)]).to(lstm.weight_ih_l0.device)
        directions = (('weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'),
                      ('weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse'))
        weight_ih = torch.cat([getattr(lstm, names[0])[order] for names in directions])  # (8H, T)
        bias = torch.cat([(getattr(lstm, names[2]) + getattr(lstm, names[3]))[order] for names in directions])
        weight_hh = torch.stack([getattr(lstm, names[1])[order].t() for names in directions])  # (2, H, 4H)
        weights = [weight_ih, bias, weight_hh]
        return functools.partial(_unrolled_bilstm, weight_ih=weight_ih, bias=bias, weight_hh=weight_hh), weights


def _unrolled_bilstm(sequence: torch.Tensor, length: torch.Tensor, weight_ih: torch.Tensor, bias: torch.Tensor,
                     weight_hh: torch.Tensor) -> torch.Tensor:
    """``BiLSTMChannel.forward`` on weights from ``BiLSTMChannel.integrator`` (gates ordered i, f, o, g)."""
    count, max_length, _ = sequence.shape
    hidden = weight_hh.shape[1]
    # Both directions' input projections in one product; step s reads the forward direction at position s and the
    # backward direction at position L - 1 - s.
    # Tensors are taken apart with unbind and split rather than indexing: the backward of an index or a slice
    # fills a zero tensor of the whole input per piece, theirs writes each gradient once.
    projected = F.linear(sequence, weight_ih, bias).view(count, max_length, 2, 4 * hidden)
    forward_input, backward_input = projected.unbind(2)
    by_step = torch.stack([forward_input, backward_input.flip(1)]).permute(2, 0, 1, 3).unbind(0)  # L x (2, N, 4H)
    # The backward direction holds its state at zero on padding (its first steps), so it starts at the last member.
    present = torch.arange(max_length, device=sequence.device).unsqueeze(0) < length.unsqueeze(1)  # (N, L)
    keep = torch.stack([torch.ones_like(present), present.flip(1)]).permute(2, 0, 1).unsqueeze(-1)  # (L, 2, N, 1)
    keep = keep.to(forward_input.dtype)
    h = c = forward_input.new_zeros(2, count, hidden)
    outputs = []
    for step in range(max_length):
        gates = torch.baddbmm(by_step[step], h, weight_hh)  # (2, N, 4H), both directions
        sigmoid_gates, cell_gate = gates.split([3 * hidden, hidden], dim=-1)
        input_gate, forget_gate, output_gate = sigmoid_gates.sigmoid().split(hidden, dim=-1)
        c = torch.addcmul(forget_gate * c, input_gate, cell_gate.tanh()) * keep[step]
        h = output_gate * c.tanh()
        outputs.append(h)
    forward_output, backward_output = torch.stack(outputs).unbind(1)  # (L, N, H) each, backward in reverse order
    return torch.cat([forward_output, backward_output.flip(0)], dim=-1).transpose(0, 1)


def integrate_groups(
        channel: nn.Module,
        thought: torch.Tensor,
        structure: Dict[str, torch.Tensor],
        max_rounds: Optional[int] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    Overview:
        Integrated thoughts of all agents: every group goes through the channel in its round, all groups of a
        round as one batch; an agent in several groups enters each later group with the thought integrated by
        the earlier one; agents in no group keep their own thought.

        Two schedules compute the same thing. By default (``max_rounds=None``) each round's groups are gathered
        into a compact batch; that needs the number of groups per round on the host, read once before the loop
        (free on a CPU). With ``max_rounds`` set, shapes are static and nothing is read back, as CUDA graphs need
        (``torch.compile`` does not trace the rounds' own backward, which calls ``torch.autograd.grad``): every
        round runs over all group slots with the groups of other rounds masked out, and ``max_rounds`` rounds
        always run; groups of later rounds are not integrated and are reported in the returned overflow flag.
    Arguments:
        - channel (:obj:`nn.Module`): maps (sequence, length) to integrated sequences, e.g. ``BiLSTMChannel``; \
            its ``integrator()`` (the function and the weights it reads), where it has one, serves all rounds.
        - thought (:obj:`torch.Tensor`): every agent's thought.
        - structure (:obj:`Dict[str, torch.Tensor]`): ``group`` and ``group_round`` from \
            ``communication_structure``.
        - max_rounds (:obj:`Optional[int]`): run exactly this many rounds with static shapes (None: as many as \
            the structure has, in compact batches).
    Returns:
        - integrated (:obj:`torch.Tensor`): every agent's integrated thought.
        - overflow (:obj:`torch.Tensor`): bool scalar, whether a group needed a round beyond ``max_rounds`` \
            (always False without ``max_rounds``).
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
    if max_rounds is None:
        order = torch.argsort(flat_round, stable=True)
        groups_per_round = torch.bincount(flat_round + 1).tolist()  # [no group, round 0, round 1, ...]
        starts = itertools.accumulate(groups_per_round)
        round_rows = [
            _padded_to_bucket(member_row[order[start:start + count]], sink)
            for start, count in zip(starts, groups_per_round[1:])
        ]
        overflow = torch.zeros((), dtype=torch.bool, device=thought.device)
    else:
        round_rows = [torch.where((flat_round == r).unsqueeze(1), member_row, sink) for r in range(max_rounds)]
        overflow = (flat_round >= max_rounds).any()
    integrate, weights = channel.integrator() if hasattr(channel, 'integrator') else (channel, list(channel.parameters()))
    flat = thought.reshape(sink, size)
    if torch.is_grad_enabled() and (flat.requires_grad or any(w.requires_grad for w in weights)):
        integrated = _SerialRounds.apply(integrate, round_rows, flat, *weights)
    else:
        integrated = _run_rounds(integrate, round_rows, flat)[0]
    return integrated.view(batch, n_agent, size), overflow


def shape_bucket(count: int) -> int:
    """
    Overview:
        ``count`` rounded up to one of 8 sizes per power of two (up to 12.5% more): the sizes a round's batch of
        groups is padded to. Group counts change from batch to batch; with bf16 on a CPU every new matrix shape
        costs oneDNN a new kernel (and fresh pages for it), which padding to a few sizes turns into cache hits.
    """
    granularity = 1 << max(count.bit_length() - 4, 0)
    return -(-count // granularity) * granularity


def _padded_to_bucket(rows: torch.Tensor, sink: int) -> torch.Tensor:
    """A round's member rows (groups, m + 1), padded to ``shape_bucket(groups)`` with empty groups (all slots sink)."""
    padding = shape_bucket(rows.shape[0]) - rows.shape[0]
    return torch.cat([rows, rows.new_full((padding, rows.shape[1]), sink)]) if padding else rows


def _run_rounds(integrate: Callable, round_rows: List[torch.Tensor], flat: torch.Tensor,
                keep_graphs: bool = False) -> Tuple[torch.Tensor, list]:
    """
    Overview:
        The serial rounds over one buffer of every agent's thought (plus a sink row for empty slots), written in
        place round after round. With ``keep_graphs`` each round is computed on a detached copy of its inputs with
        autograd on, and ``(rows, inputs, outputs)`` of every round are returned for ``_SerialRounds.backward``.
    """
    sink, size = flat.shape
    state = torch.cat([flat.detach() if keep_graphs else flat, flat.new_zeros(1, size)], dim=0)
    graphs = []
    for rows in round_rows:  # (groups of the round, m + 1)
        inputs = state[rows]
        if keep_graphs:
            inputs = inputs.detach().requires_grad_()
        with torch.enable_grad() if keep_graphs else contextlib.nullcontext():
            integrated = integrate(inputs, (rows != sink).sum(dim=1))
        state.index_copy_(0, rows.reshape(-1), integrated.detach().reshape(-1, size).to(state.dtype))
        graphs.append((rows, inputs, integrated))
    return state[:sink], graphs


class _SerialRounds(torch.autograd.Function):
    """
    Overview:
        The serial rounds as one autograd node. Through autograd op by op, every round's read from and in-place
        write to the buffer of all agents' thoughts would cost buffer-sized gradient work in backward (a zero
        buffer for the read, a masked copy for the write) whatever the round's size; here backward walks the rounds
        in reverse over one gradient buffer and touches only each round's rows: the gradient of a round's outputs
        is read from (and cleared at) its rows, pushed through that round's own graph, and added back at its rows
        as the gradient of its inputs. Exact, as the op-by-op graph.
    """

    @staticmethod
    def forward(ctx, integrate: Callable, round_rows: List[torch.Tensor], flat: torch.Tensor,
                *weights: torch.Tensor) -> torch.Tensor:
        integrated, ctx.graphs = _run_rounds(integrate, round_rows, flat, keep_graphs=True)
        ctx.weights = weights
        return integrated

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        if ctx.graphs is None:  # each round's graph is freed by the first backward, to free its memory early
            raise RuntimeError(
                "backward through the channel's serial rounds a second time (retain_graph=True) is not supported: "
                "run the forward again"
            )
        sink = grad.shape[0]
        grad_state = torch.cat([grad, grad.new_zeros(1, grad.shape[1])], dim=0)
        needed = [w for w in ctx.weights if w.requires_grad]
        weight_grads = [torch.zeros_like(w) for w in needed]
        for rows, inputs, integrated in reversed(ctx.graphs):
            flat_rows = rows.reshape(-1)
            grad_state[sink] = 0  # padding slots: their outputs are never used
            grad_out = grad_state[flat_rows].view_as(integrated).to(integrated.dtype)
            grad_state.index_fill_(0, flat_rows, 0)  # overwritten by this round: reached only through its inputs
            grads = torch.autograd.grad(integrated, [inputs] + needed, grad_out, allow_unused=True)
            grad_state.index_add_(0, flat_rows, grads[0].reshape(-1, grad.shape[1]).to(grad_state.dtype))
            for total, part in zip(weight_grads, grads[1:]):
                if part is not None:
                    total += part
        ctx.graphs = None
        weight_grads = iter(weight_grads)
        return (None, None, grad_state[:sink]) + tuple(next(weight_grads) if w.requires_grad else None
                                                       for w in ctx.weights)


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
