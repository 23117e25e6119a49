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

    ``reseed_generators`` gives many generators the state of ``np.random.default_rng(seed)`` at once (the batched envs'
    resets), 3-4x faster than one ``default_rng`` per seed.
"""
from typing import List, Optional, Sequence

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

    def next_rng_seed(self) -> Optional[int]:
        """
        Overview:
            The seed of the next episode's generator: ``abs(next_episode_seed())`` (None when unseeded).
        """
        episode_seed = self.next_episode_seed()
        return None if episode_seed is None else abs(episode_seed)

    def episode_rng(self) -> np.random.Generator:
        """
        Overview:
            A generator for the next episode, ``np.random.default_rng(next_rng_seed())`` (entropy when unseeded).
        """
        return np.random.default_rng(self.next_rng_seed())


# numpy's SeedSequence (its hash of the entropy into a pool of 4 words, then the words of generate_state) and PCG64
# (seeded from 4 words of generate_state): NEP 19 keeps both streams fixed across numpy versions.
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43b0d7e5, 0x931e8875, 0x8b51f9dd, 0x58f38ded
_MIX_MULT_L, _MIX_MULT_R, _XSHIFT = 0xca01f9dd, 0x4973f715, 16
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_M32, _M128 = (1 << 32) - 1, (1 << 128) - 1


def _seed_sequence_words(seeds: np.ndarray) -> np.ndarray:
    """``SeedSequence(seed).generate_state(4, np.uint64)`` of every seed in [0, 2**64), (S,) -> (S, 4) uint64."""
    u32 = np.uint32
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ u32(hash_const)
        hash_const = (hash_const * _MULT_A) & _M32
        value = value * u32(hash_const)
        return value ^ (value >> u32(_XSHIFT))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = u32(_MIX_MULT_L) * x - u32(_MIX_MULT_R) * y
        return result ^ (result >> u32(_XSHIFT))

    # the entropy: the seed's 32-bit words, low first (a zero high word hashes as the pool's zero padding does)
    low = (seeds & np.uint64(_M32)).astype(u32)
    high = (seeds >> np.uint64(32)).astype(u32)
    zero = np.zeros_like(low)
    pool = [hashmix(low), hashmix(high), hashmix(zero), hashmix(zero)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    hash_const, words = _INIT_B, []
    for k in range(8):
        value = pool[k % 4] ^ u32(hash_const)
        hash_const = (hash_const * _MULT_B) & _M32
        value = value * u32(hash_const)
        words.append((value ^ (value >> u32(_XSHIFT))).astype(np.uint64))
    return np.stack([words[2 * k] | (words[2 * k + 1] << np.uint64(32)) for k in range(4)], axis=1)


def reseed_generators(generators: Sequence[np.random.Generator],
                      seeds: Sequence[Optional[int]]) -> List[np.random.Generator]:
    """
    Overview:
        Generators in the state of ``np.random.default_rng(seed)`` for every seed: the PCG64 generators given are
        set in place (their seed sequences hashed together); seeds that are None (entropy) or >= 2**64 get a new
        ``default_rng``.
    Arguments:
        - generators (:obj:`Sequence[np.random.Generator]`): one PCG64 generator per seed, reused.
        - seeds (:obj:`Sequence[Optional[int]]`): non-negative seeds or None.
    Returns:
        - generators (:obj:`List[np.random.Generator]`): the generator of every seed.
    """
    out, fast = list(generators), []
    for i, seed in enumerate(seeds):
        if seed is not None and seed < 2 ** 64:
            fast.append(i)
        else:
            out[i] = np.random.default_rng(seed)
    words = _seed_sequence_words(np.array([seeds[i] for i in fast], dtype=np.uint64)).tolist()
    for i, (s_high, s_low, i_high, i_low) in zip(fast, words):
        # PCG64's seeding: state 0, inc = 2 * initseq + 1; step; state += initstate; step
        inc = ((((i_high << 64) | i_low) << 1) | 1) & _M128
        state = ((inc + ((s_high << 64) | s_low)) * _PCG_MULT + inc) & _M128
        generators[i].bit_generator.state = dict(
            bit_generator='PCG64', state=dict(state=state, inc=inc), has_uint32=0, uinteger=0
        )
    return out
