"""
Overview:
    Who communicates with whom: ATOC's grouping rule, batched over environments (or replay samples).

    An initiator picks up to ``group_size`` collaborators among the agents inside its observable field,
    nearest first, in this priority order: agents not yet selected by any initiator, then agents already
    selected by other initiators, then other initiators. Initiators choose one after another in index
    order (the paper leaves the order open; index order keeps the rule deterministic), so the only Python
    loop runs over the agent count, each step a batched tensor operation with no host synchronisation.

    Overlapping groups are integrated serially: an agent in two groups enters the second one with the
    thought the first one integrated. ``group_round`` gives every group the earliest channel round that
    respects this order, so that all groups of a round are disjoint and go through the channel as one batch.
"""
from typing import Dict, Tuple

import torch

#: Index used for empty slots of a group.
NO_AGENT = -1


def communication_structure(
        initiator: torch.Tensor, distance: torch.Tensor, group_size: int
) -> Dict[str, torch.Tensor]:
    """
    Overview:
        Build every initiator's group and the channel round in which the group is integrated.
    Arguments:
        - initiator (:obj:`torch.Tensor`): bool, which agents initiate communication.
        - distance (:obj:`torch.Tensor`): float, distance from agent i (row) to agent j (column); ``inf`` \
            outside i's observable field. The diagonal is ignored.
        - group_size (:obj:`int`): the most collaborators an initiator picks (``m`` in the paper).
    Returns:
        - structure (:obj:`Dict[str, torch.Tensor]`): ``initiator`` (the input), ``group`` (the members of \
            the group led by agent i: the initiator first, then its collaborators nearest first, ``NO_AGENT`` \
            in empty slots and in rows of agents that lead no group) and ``group_round`` (the channel round of \
            the group led by agent i, ``NO_AGENT`` where it leads none). An initiator with nobody in its \
            observable field leads no group.
    Shapes:
        - initiator: :math:`(B, A)`
        - distance: :math:`(B, A, A)`
        - group: :math:`(B, A, m + 1)`, long
        - group_round: :math:`(B, A)`, long
    """
    batch, n_agent = initiator.shape
    device = distance.device
    initiator = initiator.bool()
    # Candidates are ranked by (priority class, distance) exactly: each leader's candidates get their integer rank
    # by distance once (a stable sort, ties by index), and the class is added in whole multiples of A, so the key is
    # an exact integer whatever the scale of the distances (a float key class * offset + distance rounds).
    in_field, by_distance = field_by_distance(distance)
    arange = torch.arange(n_agent, device=device).expand_as(by_distance)
    distance_rank = torch.empty_like(by_distance).scatter_(2, by_distance, arange)  # (B, A, A), long
    out_of_field = 3 * n_agent  # above every key of the three classes
    n_pick = min(group_size, n_agent - 1)

    # One extra "sink" column absorbs the writes of empty slots, so scatters need no masking.
    sink = n_agent
    selected = torch.zeros(batch, n_agent + 1, dtype=torch.bool, device=device)
    last_round = torch.full((batch, n_agent + 1), NO_AGENT, dtype=torch.long, device=device)
    group = torch.full((batch, n_agent, group_size + 1), NO_AGENT, dtype=torch.long, device=device)
    group_round = torch.full((batch, n_agent), NO_AGENT, dtype=torch.long, device=device)
    for leader in range(n_agent):
        leads = initiator[:, leader]  # (B,)
        # 0: selected by nobody yet, 1: already selected by another initiator, 2: another initiator.
        priority = torch.where(initiator, 2, selected[:, :n_agent].long())
        rank = distance_rank[:, leader]
        key = torch.where(in_field[:, leader], priority * n_agent + rank, out_of_field)
        picked_key, picked = torch.topk(key, n_pick, dim=1, largest=False)  # (B, n_pick)
        valid = (picked_key < out_of_field) & leads.unsqueeze(1)
        # Inside the group, collaborators are ordered by proximity, whatever their priority class.
        order = torch.argsort(torch.where(valid, rank.gather(1, picked), out_of_field), dim=1)
        picked, valid = picked.gather(1, order), valid.gather(1, order)
        # An initiator with nobody in its field forms no group: there is nobody to integrate with.
        leads = leads & valid.any(dim=1)
        group[:, leader, 0] = torch.where(leads, leader, NO_AGENT)
        group[:, leader, 1:1 + n_pick] = torch.where(valid, picked, NO_AGENT)

        members = group[:, leader]  # (B, m + 1)
        slots = torch.where(members == NO_AGENT, sink, members)
        # The group's round follows the latest round any of its members already took part in.
        this_round = torch.where(leads, last_round.gather(1, slots).amax(dim=1) + 1, NO_AGENT)
        group_round[:, leader] = this_round
        last_round = last_round.scatter(1, slots, this_round.unsqueeze(1).expand_as(slots))
        last_round[:, sink] = NO_AGENT
        selected = selected.scatter(1, torch.where(valid, picked, sink), True)
    return {'initiator': initiator, 'group': group, 'group_round': group_round}


def field_by_distance(distance: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    Overview:
        Every agent's observable field, nearest first: which agents are in it (a finite distance, the agent itself
        excluded), and the agents ordered by distance, those in the field first (a stable sort: ties by index).
    Arguments:
        - distance (:obj:`torch.Tensor`): float, distance from agent i (row) to agent j (column); ``inf`` \
            outside i's observable field.
    Returns:
        - in_field (:obj:`torch.Tensor`): bool, agent j is in agent i's observable field.
        - by_distance (:obj:`torch.Tensor`): long, row i lists the agents nearest first, then the rest.
    Shapes:
        - distance, in_field, by_distance: :math:`(B, A, A)`
    """
    n_agent = distance.shape[-1]
    in_field = torch.isfinite(distance) & ~torch.eye(n_agent, dtype=torch.bool, device=distance.device)
    by_distance = torch.argsort(distance.masked_fill(~in_field, float('inf')), dim=-1, stable=True)
    return in_field, by_distance


def group_mean(value: torch.Tensor, group: torch.Tensor) -> torch.Tensor:
    """
    Overview:
        Mean of a per-agent value over the members of the group each agent leads (0 where it leads none).
    Arguments:
        - value (:obj:`torch.Tensor`): one value per agent.
        - group (:obj:`torch.Tensor`): long, members of the group led by each agent, ``NO_AGENT`` padded.
    Returns:
        - mean (:obj:`torch.Tensor`): the mean over each group.
    Shapes:
        - value: :math:`(B, A)`
        - group: :math:`(B, A, m + 1)`
        - mean: :math:`(B, A)`
    """
    batch, n_agent = value.shape
    member = group != NO_AGENT
    padded = torch.cat([value, value.new_zeros(batch, 1)], dim=1)
    slots = torch.where(member, group, n_agent).view(batch, -1)
    total = padded.gather(1, slots).view_as(group).sum(dim=-1)
    return total / member.sum(dim=-1).clamp(min=1)


def group_members(group: torch.Tensor) -> torch.Tensor:
    """
    Overview:
        Which agents belong to at least one group.
    Shapes:
        - group: :math:`(B, A, m + 1)`, long, ``NO_AGENT`` padded
        - members: :math:`(B, A)`, bool
    """
    batch, n_agent = group.shape[:2]
    slots = torch.where(group == NO_AGENT, n_agent, group).view(batch, -1)
    member = torch.zeros(batch, n_agent + 1, dtype=torch.bool, device=group.device)
    return member.scatter(1, slots, True)[:, :n_agent]


def count_members(structure: Dict[str, torch.Tensor]) -> torch.Tensor:
    """
    Overview:
        Members (initiators included) of all formed groups of a structure, as a float scalar tensor (no host sync).
    """
    leads = (structure['group_round'] != NO_AGENT).unsqueeze(-1)
    return ((structure['group'] != NO_AGENT) & leads).float().sum()
