"""
Overview:
    DI-engine's seeding convention for environments, in one place.

    ``seed(seed, dynamic_seed)`` is called once per env by the env manager before the first reset
    (collector envs get ``dynamic_seed=True``, evaluator envs ``dynamic_seed=False``; env ``i`` of a manager
    gets ``seed + i``). Then, at every ``reset``:

    - dynamic (collector): the episode seed is ``seed + 100 * k`` with ``k`` drawn from a generator seeded once
      with ``seed``: every episode has a fresh layout, and the sequence of layouts is reproducible. Offsets
      are multiples of 100, so collector episode seeds never equal the evaluator seeds ``seed + i`` (i < 100):
      evaluation never replays a training layout.
    - static (evaluator): the episode seed is ``seed`` at every reset, i.e. every reset restarts the same
      random sequence, so every evaluation round replays exactly the same episodes (one layout per
      evaluator env), and returns of different rounds are comparable.
    - unseeded: a fresh, non-reproducible seed per episode.
"""
from typing import Optional

import numpy as np

#: Collector offsets are ``100 * k`` with ``1 <= k < OFFSET_RANGE``.
OFFSET_RANGE = 2 ** 20


class EpisodeSeeder:
    """
    Overview:
        Turns DI-engine's ``seed(seed, dynamic_seed)`` calls into one seed (and one ``np.random.Generator``)
        per episode.
    Interfaces:
        ``seed``, ``next_episode_seed``, ``episode_rng``
    """

    def __init__(self) -> None:
        self.base_seed: Optional[int] = None
        self.dynamic_seed: bool = True
        self._offset_rng: Optional[np.random.RandomState] = None

    def seed(self, seed: int, dynamic_seed: bool = True) -> None:
        """
        Overview:
            Set the base seed; ``dynamic_seed`` chooses between a fresh layout per episode (True) and the same
            episode at every reset (False).
        """
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f'seed must be an int, got {type(seed).__name__}')
        self.base_seed = int(seed)
        self.dynamic_seed = bool(dynamic_seed)
        self._offset_rng = np.random.RandomState(self.base_seed % (2 ** 32))

    def next_episode_seed(self) -> Optional[int]:
        """
        Overview:
            The seed of the next episode (None when ``seed`` was never called).
        """
        if self.base_seed is None:
            return None
        if self.dynamic_seed:
            return self.base_seed + 100 * int(self._offset_rng.randint(1, OFFSET_RANGE))
        return self.base_seed

    def episode_rng(self) -> np.random.Generator:
        """
        Overview:
            A generator for the next episode, seeded with ``next_episode_seed()`` (entropy when unseeded).
        """
        episode_seed = self.next_episode_seed()
        return np.random.default_rng(None if episode_seed is None else abs(episode_seed))
