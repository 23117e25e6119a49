"""Specification of ATOC's grouping rule and of the serial integration of overlapping groups."""
import math

import pytest
import torch

from ding_atoc.model import NO_AGENT, communication_structure, integrate_groups
from tests.core.helpers import distance_matrix

# Six agents; agents 0 and 3 initiate. Agent 5 is outside everybody's field.
GEOMETRY = distance_matrix([
    [None, 1.0, 2.0, 0.5, 5.0, None],
    [1.0, None, 1.5, 1.0, 4.0, None],
    [2.0, 1.5, None, 3.0, 3.5, None],
    [0.5, 1.0, 3.0, None, 4.0, None],
    [5.0, 4.0, 3.5, 4.0, None, None],
    [None, None, None, None, None, None],
])
INITIATORS = torch.tensor([[True, False, False, True, False, False]])


def members(structure, leader):
    row = structure['group'][0, leader].tolist()
    return [agent for agent in row if agent != NO_AGENT]


def test_priority_unselected_then_selected_then_initiators():
    structure = communication_structure(INITIATORS, GEOMETRY, group_size=2)
    # Initiator 0 takes the two nearest free agents; initiator 3 (at 0.5) is last in priority.
    assert members(structure, 0) == [0, 1, 2]
    # Initiator 3: free agent 4 first, then agent 1 (already selected by 0) before initiator 0 although 0 is
    # nearer; members are ordered by proximity.
    assert members(structure, 3) == [3, 1, 4]


def test_other_initiators_come_last_and_field_is_respected():
    structure = communication_structure(INITIATORS, GEOMETRY, group_size=4)
    assert members(structure, 0) == [0, 3, 1, 2, 4]  # everybody in field; 5 never
    # 3 sees 1, 2, 4 and initiator 0: all four, ordered by proximity.
    assert members(structure, 3) == [3, 0, 1, 2, 4]
    assert 5 not in structure['group'].flatten().tolist()


@pytest.mark.parametrize('group_size', [1, 2, 3])
def test_group_size_caps_collaborators(group_size):
    structure = communication_structure(INITIATORS, GEOMETRY, group_size=group_size)
    assert structure['group'].shape == (1, 6, group_size + 1)
    for leader in (0, 3):
        assert len(members(structure, leader)) == group_size + 1


def test_non_initiators_and_isolated_initiators_lead_no_group():
    initiator = torch.tensor([[False, False, False, False, False, True]])  # 5 sees nobody
    structure = communication_structure(initiator, GEOMETRY, group_size=2)
    assert (structure['group'] == NO_AGENT).all()
    assert (structure['group_round'] == NO_AGENT).all()
    assert structure['initiator'][0, 5]


def test_rounds_separate_overlapping_groups_and_share_disjoint_ones():
    structure = communication_structure(INITIATORS, GEOMETRY, group_size=2)
    assert structure['group_round'][0].tolist() == [0, NO_AGENT, NO_AGENT, 1, NO_AGENT, NO_AGENT]
    disjoint = distance_matrix([
        [None, 1.0, None, None],
        [1.0, None, None, None],
        [None, None, None, 1.0],
        [None, None, 1.0, None],
    ])
    structure = communication_structure(torch.tensor([[True, False, True, False]]), disjoint, group_size=1)
    assert structure['group_round'][0].tolist() == [0, NO_AGENT, 0, NO_AGENT]


def test_same_class_candidates_are_ranked_by_exact_distance_whatever_the_scale():
    # Agent 0 sees only 1 and 2, at 1.0005 and 1.0; a far pair (1e4) elsewhere once made a float key
    # class * (max distance + 1) + distance round both candidates to one value, and the farther one won.
    geometry = distance_matrix([
        [None, 1.0005, 1.0, None],
        [1.0005, None, None, 1e4],
        [1.0, None, None, 1e4],
        [None, 1e4, 1e4, None],
    ])
    structure = communication_structure(torch.tensor([[True, True, True, False]]), geometry, group_size=1)
    assert members(structure, 0) == [0, 2]


def reference_structure(initiator, distance, group_size):
    """
    The grouping rule written out for one sample, one initiator at a time: candidates in the field ranked by
    (class, distance, index), the first ``group_size`` kept and ordered by (distance, index); the group's round is
    one after the latest round any member already took part in.
    """
    n_agent = len(initiator)
    selected, last_round = set(), [NO_AGENT] * n_agent
    groups, rounds = {}, [NO_AGENT] * n_agent
    for leader in range(n_agent):
        if not initiator[leader]:
            continue
        field = [j for j in range(n_agent) if j != leader and math.isfinite(distance[leader][j])]
        tier = {j: 2 if initiator[j] else int(j in selected) for j in field}
        picked = sorted(field, key=lambda j: (tier[j], distance[leader][j], j))[:group_size]
        if not picked:
            continue
        picked.sort(key=lambda j: (distance[leader][j], j))
        groups[leader] = [leader] + picked
        rounds[leader] = max(last_round[j] for j in groups[leader]) + 1
        for j in groups[leader]:
            last_round[j] = rounds[leader]
        selected.update(picked)
    return groups, rounds


@pytest.mark.parametrize('seed', range(20))
def test_structure_matches_the_rule_written_out(seed):
    generator = torch.Generator().manual_seed(seed)
    n_agent = int(torch.randint(2, 12, (1, ), generator=generator))
    group_size = int(torch.randint(1, n_agent, (1, ), generator=generator))
    batch = 8
    # Distances over many scales, with exact ties (a coarse grid on odd seeds) and a random observable field.
    scale = 10.0 ** torch.randint(-3, 5, (batch, n_agent, n_agent), generator=generator)
    distance = torch.rand(batch, n_agent, n_agent, generator=generator) * scale
    if seed % 2:
        distance = torch.randint(1, 4, (batch, n_agent, n_agent), generator=generator).float()
    hidden = torch.rand(batch, n_agent, n_agent, generator=generator) < 0.3
    distance = torch.where(hidden, torch.full_like(distance, math.inf), distance)
    initiator = torch.rand(batch, n_agent, generator=generator) < 0.5
    structure = communication_structure(initiator, distance, group_size)
    for b in range(batch):
        groups, rounds = reference_structure(initiator[b].tolist(), distance[b].tolist(), group_size)
        for leader in range(n_agent):
            assert members({key: value[b:b + 1] for key, value in structure.items()}, leader) == groups.get(leader, [])
        assert structure['group_round'][b].tolist() == rounds


class RecordingChannel(torch.nn.Module):
    """Adds 1 to every member's thought and records the batches it was called with."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, sequence, length, full=False):
        self.calls.append((sequence.clone(), length.clone()))
        return sequence + 1.0


def test_agent_in_two_groups_enters_the_second_with_its_integrated_thought():
    structure = communication_structure(INITIATORS, GEOMETRY, group_size=2)
    thought = torch.zeros(1, 6, 2)
    channel = RecordingChannel()
    integrated, _ = integrate_groups(channel, thought, structure)
    assert len(channel.calls) == 2  # two serial rounds, one batch each
    # Agent 1 is in both groups: integrated twice. Agent 5 is in none: keeps its thought.
    assert integrated[0, :, 0].tolist() == [1.0, 2.0, 1.0, 1.0, 1.0, 0.0]
    second_sequence, second_length = channel.calls[1]
    assert second_length.tolist() == [3]
    assert second_sequence[0, :, 0].tolist() == [0.0, 1.0, 0.0]  # initiator 3, agent 1 (integrated), agent 4


@pytest.mark.parametrize('batch,n_agent,group_size', [(1, 2, 1), (4, 7, 3), (16, 20, 3), (3, 50, 5)])
def test_batched_structure_matches_one_sample_at_a_time(batch, n_agent, group_size):
    distance = torch.rand(batch, n_agent, n_agent)
    distance = torch.where(distance < 0.6, distance, torch.full_like(distance, float('inf')))
    initiator = torch.rand(batch, n_agent) < 0.4
    together = communication_structure(initiator, distance, group_size)
    for b in range(batch):
        alone = communication_structure(initiator[b:b + 1], distance[b:b + 1], group_size)
        for key in ('group', 'group_round'):
            assert torch.equal(together[key][b], alone[key][0])
    # Every agent appears at most once per round, so a round's groups are disjoint.
    for b in range(batch):
        for r in range(int(together['group_round'][b].max()) + 1):
            rows = together['group'][b][together['group_round'][b] == r]
            agents = rows[rows != NO_AGENT]
            assert len(agents) == len(set(agents.tolist()))
