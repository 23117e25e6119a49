"""
Overview:
    Communication under real conditions: messages are lost, arrive late, and go stale. Applied alike in collection
    and evaluation; the transitions keep what learning needs to replay the same messages with current networks.
"""
from collections import deque
from typing import Dict, List, Optional

import torch

from ..model.grouping import NO_AGENT, count_members

#: Keys a transition gains when messages arrive late (``delay >= 1``): the observations the messages were
#: computed from and the groups they were sent in, for this step and for the next (the target action).
DELAY_KEYS = ('channel_state', 'next_channel_state', 'next_initiator', 'next_group', 'next_group_round')


def drop_messages(structure: Dict[str, torch.Tensor], drop_prob: float) -> Dict[str, torch.Tensor]:
    """
    Overview:
        Lose every member's message to its group independently with probability ``drop_prob``. A lost member is
        left out of that group's integration (the others keep their order); a group left with fewer than two
        members integrates nothing.
    Arguments:
        - structure (:obj:`Dict[str, torch.Tensor]`): ``initiator``, ``group`` (B, A, m + 1), ``group_round`` (B, A).
        - drop_prob (:obj:`float`): loss probability in [0, 1].
    Returns:
        - delivered (:obj:`Dict[str, torch.Tensor]`): the structure of the messages that get through.
    """
    if drop_prob == 0.0:
        return structure
    group = structure['group']
    kept = (group != NO_AGENT) & (torch.rand(group.shape, device=group.device) >= drop_prob)
    forms = kept.sum(dim=-1) >= 2
    kept = kept & forms.unsqueeze(-1)
    # Move the kept members to the front, in their order: the channel reads groups padded at the end.
    order = torch.argsort((~kept).to(torch.int8), dim=-1, stable=True)
    return {
        'initiator': structure['initiator'],
        'group': torch.where(kept, group, NO_AGENT).gather(-1, order),
        'group_round': torch.where(forms, structure['group_round'], NO_AGENT),
    }


def empty_structure(like: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """A structure with no group, shaped like one environment's ``like``."""
    return {
        'initiator': torch.zeros_like(like['initiator']),
        'group': torch.full_like(like['group'], NO_AGENT),
        'group_round': torch.full_like(like['group_round'], NO_AGENT),
    }


class ChannelConditions:
    """
    Overview:
        Per environment, the messages in flight. Every step each member of a group sends its thought (computed
        from its observation) to the group; each message is lost with ``drop_prob``; the survivors are delivered
        ``delay`` steps later and integrated then, unless older than ``max_age``. Until the first delivery of an
        episode an agent acts on its own thought. ``reset`` empties an environment's channel (episode end).
    Interfaces:
        ``__init__``, ``active``, ``transmit``, ``reset``
    """

    def __init__(self, delay: int = 0, drop_prob: float = 0.0, max_age: Optional[int] = None) -> None:
        if not isinstance(delay, int) or isinstance(delay, bool) or delay < 0:
            raise ValueError(f"policy.channel_conditions.delay must be an integer >= 0, got {delay!r}")
        if not 0.0 <= float(drop_prob) <= 1.0:
            raise ValueError(f"policy.channel_conditions.drop_prob must lie in [0, 1], got {drop_prob!r}")
        if max_age is not None and (not isinstance(max_age, int) or max_age < 0):
            raise ValueError(f"policy.channel_conditions.max_age must be None or an integer >= 0, got {max_age!r}")
        self.delay, self.drop_prob, self.max_age = delay, float(drop_prob), max_age
        self._in_flight: Dict[int, deque] = {}

    @property
    def active(self) -> bool:
        """Whether messages are ever lost or late (else the channel is the ideal one, with nothing to store)."""
        return self.delay > 0 or self.drop_prob > 0.0 or (self.max_age is not None and self.max_age < self.delay)

    def transmit(self, env_ids: List[int], agent_state: torch.Tensor, structure: Dict[str, torch.Tensor],
                 renewed: torch.Tensor) -> Dict[str, torch.Tensor]:
        """
        Overview:
            Send this step's messages and return what arrives now, batched over ``env_ids``.
        Arguments:
            - env_ids (:obj:`List[int]`): environment of every row.
            - agent_state (:obj:`torch.Tensor`): (B, A, D) observations the thoughts are computed from.
            - structure (:obj:`Dict[str, torch.Tensor]`): the groups of this step.
            - renewed (:obj:`torch.Tensor`): (B,) bool, whether the structure was decided on this step.
        Returns:
            - arrived (:obj:`Dict[str, torch.Tensor]`): the structure keys of the delivered messages, ``renewed`` \
                (whether they belong to a structure decided when sent), ``dropped`` (messages lost this step, \
                a scalar) and, when ``delay >= 1``, the ``DELAY_KEYS``.
        """
        delivered = drop_messages(structure, self.drop_prob)
        dropped = count_members(structure) - count_members(delivered)
        usable = self.max_age is None or self.delay <= self.max_age
        rows: List[Dict[str, torch.Tensor]] = []
        for row, env_id in enumerate(env_ids):
            queue = self._in_flight.setdefault(env_id, deque(maxlen=self.delay + 1))
            sent = {key: value[row] for key, value in delivered.items()}
            queue.append({'channel_state': agent_state[row], 'renewed': renewed[row], **sent})
            rows.append(self._arrivals(queue, sent, agent_state[row], usable))
        arrived = {key: torch.stack([r[key] for r in rows]) for key in rows[0]}
        arrived['dropped'] = dropped
        return arrived

    def _arrivals(self, queue: deque, sent: Dict[str, torch.Tensor], state: torch.Tensor,
                  usable: bool) -> Dict[str, torch.Tensor]:
        """What one environment receives now (sent ``delay`` steps ago) and, with a delay, at the next step."""
        nothing = {**empty_structure(sent), 'channel_state': torch.zeros_like(state),
                   'renewed': torch.zeros((), dtype=torch.bool, device=state.device)}
        now = queue[0] if usable and len(queue) == self.delay + 1 else nothing
        arrived = {key: now[key] for key in ('initiator', 'group', 'group_round', 'renewed')}
        if self.delay >= 1:
            # Sent at t + 1 - delay: already in the queue (its last entry when delay is 1).
            upcoming = queue[-self.delay] if usable and len(queue) >= self.delay else nothing
            arrived['channel_state'] = now['channel_state']
            arrived['next_channel_state'] = upcoming['channel_state']
            for key in ('initiator', 'group', 'group_round'):
                arrived[f'next_{key}'] = upcoming[key]
        return arrived

    def reset(self, env_ids: Optional[List[int]] = None) -> None:
        """Forget the messages in flight of ``env_ids`` (all when None)."""
        if env_ids is None:
            self._in_flight.clear()
        for env_id in env_ids or []:
            self._in_flight.pop(env_id, None)

