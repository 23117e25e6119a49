"""
Overview:
    The queue D of ATOC: (initiator observation, dQ) pairs, kept apart from the replay buffer, from which the
    attention unit is trained as a binary classifier; and the outbox of a collector process that sends its pairs to
    the learner's queue (DI-engine's parallel mode).
"""
from typing import Dict, Optional, Tuple

import torch

from ..distributed import all_gather_rows

#: How dQ becomes the attention unit's target in [0, 1] (``learn.dq_normalisation``):
#: ``'minmax'``: the paper's min-max over the queue D; ``'standardised'``: 0.5 + (dQ - mean) / (2 std) over D,
#: clipped to [0, 1] (dQ beyond mean +- one std saturates, as in the first author's later code, which clips its
#: labels to mean +- std and standardises them around 0.5), so p = 0.5 sits at D's mean dQ whatever its outliers;
#: ``'sign'``: 1 where dQ > 0, 0 where dQ < 0 (0.5 at 0), so p estimates the chance that communicating helps. The
#: first two are relative: p > 0.5 means a gain above D's mean (or mid-range), so the gate stays shut for about half
#: of the pairs even where communicating helps every agent; the sign is absolute.
NORMALISATIONS = ('minmax', 'standardised', 'sign')


class CommunicationGainQueue:
    """
    Overview:
        A fixed-size FIFO of (observation of an initiator, dQ of its group) pairs on the policy's device. It
        stores observations rather than thoughts so that training reads thoughts of the current encoder.
        Targets are dQ normalised over the whole queue to [0, 1] (see ``NORMALISATIONS``).
    Interfaces:
        ``__init__``, ``push``, ``share``, ``sample``, ``targets``, ``summary``, ``__len__``, ``state_dict``,
        ``load_state_dict``
    """

    def __init__(
            self, capacity: int, obs_shape: int, device: str = 'cpu', normalisation: str = 'standardised'
    ) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"learn.attention_queue_size must be an integer >= 1, got {capacity!r}")
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"learn.dq_normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
        self.capacity, self.normalisation = capacity, normalisation
        self._obs = torch.zeros(capacity, obs_shape, device=device)
        self._gain = torch.zeros(capacity, device=device)
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, obs: torch.Tensor, gain: torch.Tensor) -> None:
        """
        Arguments:
            - obs (:obj:`torch.Tensor`): observations of initiators, :math:`(N, D)`.
            - gain (:obj:`torch.Tensor`): their dQ, :math:`(N,)`.
        """
        obs, gain = obs[-self.capacity:], gain[-self.capacity:]
        slots = (self._next + torch.arange(len(gain), device=self._gain.device)) % self.capacity
        self._obs[slots] = obs.to(self._obs)
        self._gain[slots] = gain.to(self._gain)
        self._next = (self._next + len(gain)) % self.capacity
        self._size = min(self._size + len(gain), self.capacity)

    def share(self) -> None:
        """Make the pairs pushed on every rank available (see ``SharedGainQueue``); in one process they are already."""

    def targets(self, gain: torch.Tensor) -> torch.Tensor:
        """
        Overview:
            The classifier targets of ``gain``, normalised by this queue's rule over ``gain`` itself. For the
            relative rules, when every dQ is equal it carries no preference and every target is 0.5.
        Arguments:
            - gain (:obj:`torch.Tensor`): the dQ of the whole queue, :math:`(N,)`.
        Returns:
            - target (:obj:`torch.Tensor`): in [0, 1], :math:`(N,)`.
        """
        if self.normalisation == 'sign':
            return (gain.sign() + 1.0) / 2.0
        if self.normalisation == 'minmax':
            low, high = gain.min(), gain.max()
        else:
            mean, std = gain.mean(), gain.std() if len(gain) > 1 else gain.new_zeros(())
            low, high = mean - std, mean + std
        span = high - low
        scaled = ((gain - low) / span.clamp(min=torch.finfo(gain.dtype).tiny)).clamp(0.0, 1.0)
        return torch.where(span > 0, scaled, torch.full_like(gain, 0.5))

    def summary(self) -> Dict[str, float]:
        """
        Overview:
            The distribution of dQ over the pairs in the queue now: mean, std, share above 0, and the 10%, 50% and
            90% quantiles (``dq_*`` keys). Logged at every evaluation, it shows how what communication is worth to
            the critic, and the data the attention unit learns from, change over training. Empty while the queue is.
        """
        if self._size == 0:
            return {}
        gain = self._gain[:self._size].double()
        q10, median, q90 = torch.quantile(gain, gain.new_tensor([0.1, 0.5, 0.9])).tolist()
        return {
            'dq_mean': gain.mean().item(),
            'dq_std': gain.std().item() if self._size > 1 else 0.0,
            'dq_positive_share': (gain > 0).double().mean().item(),
            'dq_q10': q10,
            'dq_median': median,
            'dq_q90': q90,
        }

    def sample(self, batch_size: int):
        """
        Returns:
            - obs (:obj:`torch.Tensor`): :math:`(batch, D)`.
            - target (:obj:`torch.Tensor`): dQ normalised to [0, 1] over the queue (``targets``), :math:`(batch,)`.
        """
        if self._size == 0:
            raise ValueError("cannot sample from an empty dQ queue")
        index = torch.randint(self._size, (batch_size, ), device=self._gain.device)
        return self._obs[index], self.targets(self._gain[:self._size])[index]

    def state_dict(self) -> dict:
        return {'obs': self._obs, 'gain': self._gain, 'next': self._next, 'size': self._size}

    def load_state_dict(self, state: dict) -> None:
        self._obs.copy_(state['obs'])
        self._gain.copy_(state['gain'])
        self._next, self._size = int(state['next']), int(state['size'])


class SharedGainQueue(CommunicationGainQueue):
    """
    Overview:
        The dQ queue of data-parallel training (``policy.multi_gpu=True``): ``push`` keeps this rank's pairs aside
        until ``share``, a collective every rank calls before its attention-unit step, which all-gathers them and
        pushes the union in rank order, so that every rank's queue holds the same pairs. Pairs not yet shared are
        in no state dict.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._unshared = []

    def push(self, obs: torch.Tensor, gain: torch.Tensor) -> None:
        self._unshared.append(torch.cat([obs.to(self._obs), gain.to(self._gain).unsqueeze(1)], dim=1))
        if sum(len(rows) for rows in self._unshared) > self.capacity:  # only the newest pairs would be kept
            self._unshared = [torch.cat(self._unshared)[-self.capacity:]]

    def share(self) -> None:
        local = torch.cat(self._unshared) if self._unshared else self._obs.new_zeros((0, self._obs.shape[1] + 1))
        self._unshared = []
        union = all_gather_rows(local[-self.capacity:])
        super().push(union[:, :-1], union[:, -1])


class GainOutbox:
    """
    Overview:
        Where the collect mode of a collector process without learn mode (DI-engine's parallel mode,
        ``ding_atoc.entry.parallel``) records its (observation, dQ) pairs: give it to the policy with
        ``policy.collect_mode.set_attribute('gain_queue', outbox)``. The pairs wait on the CPU until ``take``,
        which hands over those recorded since the last call, to be sent to the learner and pushed into its queue.
        Only the newest ``capacity`` pairs are kept (the learner's queue keeps no more).
    Interfaces:
        ``__init__``, ``push``, ``take``, ``__len__``, ``recorded``
    """

    def __init__(self, capacity: int) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"learn.attention_queue_size must be an integer >= 1, got {capacity!r}")
        self.capacity = capacity
        #: pairs recorded since the outbox was made, taken or not
        self.recorded = 0
        self._obs, self._gain = [], []

    def __len__(self) -> int:
        return sum(len(gain) for gain in self._gain)

    def push(self, obs: torch.Tensor, gain: torch.Tensor) -> None:
        """Same arguments as ``CommunicationGainQueue.push``."""
        self._obs.append(obs.detach().cpu())
        self._gain.append(gain.detach().cpu())
        self.recorded += len(gain)
        if len(self) > self.capacity:
            self._obs, self._gain = [torch.cat(self._obs)[-self.capacity:]], [torch.cat(self._gain)[-self.capacity:]]

    def take(self) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        """
        Returns:
            - pairs (:obj:`Optional[Tuple[torch.Tensor, torch.Tensor]]`): observations :math:`(N, D)` and dQ \
                :math:`(N,)` recorded since the last call, oldest first; None when there are none.
        """
        if not self._gain:
            return None
        pairs = torch.cat(self._obs), torch.cat(self._gain)
        self._obs, self._gain = [], []
        return pairs
