"""
Overview:
    Communication under real conditions: messages are lost, arrive late, and go stale. Applied alike in collection
    and evaluation; the transitions keep what learning needs to replay the same messages with current networks.
"""
from typing import Dict, List, Optional, Union

import torch

from ..model.grouping import NO_AGENT, count_members
from .env_rows import grown, reset_rows, rows_needed

#: The policies' ``channel_conditions`` config (``ding_atoc``, ``ding_atoc_mappo``): the defaults, no loss or delay.
CHANNEL_CONDITIONS_CONFIG = dict(
    # (int) d: a message is delivered d steps after it was sent (0: at once).
    delay=0,
    # (float) Each message is lost with this probability; the sender is left out of that integration.
    drop_prob=0.0,
    # (int or None) Messages older than this many steps are not used (None: no limit).
    max_age=None,
)

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
        The messages in flight are a ring of ``delay + 1`` steps per environment, held as tensors with one row per
        environment, so that a step of any number of environments is a few batched tensor operations.
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
        # Per environment row: the last ``delay + 1`` steps' messages (key -> (E, delay + 1, ...)), and how many
        # steps were sent since the episode began (only its comparison with ``delay`` matters).
        self._ring: Dict[str, torch.Tensor] = {}
        self._sent = torch.zeros(0, dtype=torch.long)

    @property
    def active(self) -> bool:
        """Whether messages are ever lost or late (else the channel is the ideal one, with nothing to store)."""
        return self.delay > 0 or self.drop_prob > 0.0 or (self.max_age is not None and self.max_age < self.delay)

    def transmit(self, env_ids: Optional[List[int]], agent_state: torch.Tensor, structure: Dict[str, torch.Tensor],
                 renewed: torch.Tensor) -> Dict[str, torch.Tensor]:
        """
        Overview:
            Send this step's messages and return what arrives now, batched over the environments.
        Arguments:
            - env_ids (:obj:`Optional[List[int]]`): environment of every row; None: row i is environment i.
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
        sent = {'channel_state': agent_state, 'renewed': renewed, **delivered}
        rows = self._rows(env_ids, sent)
        sent_before = self._sent[rows]  # steps already in each ring
        slot = sent_before % (self.delay + 1)
        for key, value in sent.items():
            self._ring[key][rows, slot] = value
        self._sent[rows] = sent_before + 1
        usable = self.max_age is None or self.delay <= self.max_age
        # Sent ``delay`` steps ago: the slot this step's message overwrites next (valid once the ring is full).
        now = self._read(rows, slot + 1, (sent_before >= self.delay) & usable, sent)
        arrived = {key: now[key] for key in ('initiator', 'group', 'group_round', 'renewed')}
        if self.delay >= 1:
            # Sent at t + 1 - delay: already in the ring (this step's message when delay is 1).
            upcoming = self._read(rows, slot + 2, (sent_before + 1 >= self.delay) & usable, sent)
            arrived['channel_state'] = now['channel_state']
            arrived['next_channel_state'] = upcoming['channel_state']
            for key in ('initiator', 'group', 'group_round'):
                arrived[f'next_{key}'] = upcoming[key]
        arrived['dropped'] = dropped
        return arrived

    def _read(self, rows, slot: torch.Tensor, valid: torch.Tensor, like: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The ring entries at ``slot`` (mod delay + 1) of every row; an empty structure where not ``valid``."""
        slot = slot % (self.delay + 1)
        nothing = {**empty_structure(like), 'channel_state': torch.zeros_like(like['channel_state']),
                   'renewed': torch.zeros_like(like['renewed'])}
        out = {}
        for key, ring in self._ring.items():
            entry = ring[rows][torch.arange(len(slot), device=slot.device), slot]
            out[key] = torch.where(valid.view(-1, *([1] * (entry.dim() - 1))), entry, nothing[key])
        return out

    def _rows(self, env_ids: Optional[List[int]], like: Dict[str, torch.Tensor]):
        """The rows of ``env_ids`` (all rows of a batched env when None), allocating rows not seen yet."""
        count = like['renewed'].shape[0]
        size = rows_needed(env_ids, count)
        if size > len(self._sent):
            self._sent = grown(self._sent, size, (), like['renewed'].new_zeros((), dtype=torch.long))
            for key, value in like.items():
                self._ring[key] = grown(self._ring.get(key), size, (self.delay + 1, ) + value.shape[1:], value)
        if env_ids is None:
            return torch.arange(count, device=self._sent.device)
        return torch.as_tensor(env_ids, device=self._sent.device)

    def reset(self, env_ids: Optional[Union[List[int], torch.Tensor]] = None) -> None:
        """Forget the messages in flight of ``env_ids`` (ids, or a bool mask over the rows; all when None)."""
        reset_rows(self._sent, env_ids, 0)
