"""
Overview:
    The queue D of ATOC: (initiator observation, dQ) pairs, kept apart from the replay buffer, from which the
    attention unit is trained as a binary classifier.
"""
import torch


class CommunicationGainQueue:
    """
    Overview:
        A fixed-size FIFO of (observation of an initiator, dQ of its group) pairs on the policy's device. It
        stores observations rather than thoughts so that training reads thoughts of the current encoder.
        Targets are dQ min-max normalised over the whole queue to [0, 1].
    Interfaces:
        ``__init__``, ``push``, ``sample``, ``__len__``, ``state_dict``, ``load_state_dict``
    """

    def __init__(self, capacity: int, obs_shape: int, device: str = 'cpu') -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"learn.attention_queue_size must be an integer >= 1, got {capacity!r}")
        self.capacity = capacity
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

    def sample(self, batch_size: int):
        """
        Returns:
            - obs (:obj:`torch.Tensor`): :math:`(batch, D)`.
            - target (:obj:`torch.Tensor`): dQ normalised to [0, 1] over the queue, :math:`(batch,)`. When every \
                dQ in the queue is equal it carries no preference and the target is 0.5.
        """
        if self._size == 0:
            raise ValueError("cannot sample from an empty dQ queue")
        index = torch.randint(self._size, (batch_size, ), device=self._gain.device)
        gain = self._gain[:self._size]
        low, high = gain.min(), gain.max()
        span = high - low
        target = torch.where(span > 0, (gain[index] - low) / span.clamp(min=1e-12), torch.full_like(gain[index], 0.5))
        return self._obs[index], target

    def state_dict(self) -> dict:
        return {'obs': self._obs, 'gain': self._gain, 'next': self._next, 'size': self._size}

    def load_state_dict(self, state: dict) -> None:
        self._obs.copy_(state['obs'])
        self._gain.copy_(state['gain'])
        self._next, self._size = int(state['next']), int(state['size'])
