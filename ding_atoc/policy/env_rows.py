"""
Overview:
    Per-environment state held as tensors with one row per environment (``StructureMemory``, ``ChannelConditions``):
    rows are allocated on first use and grow with the largest environment id seen.
"""
from typing import List, Optional, Tuple, Union

import torch


def grown(old: Optional[torch.Tensor], size: int, row_shape: Tuple[int, ...], like: torch.Tensor,
          fill: float = 0) -> torch.Tensor:
    """
    Overview:
        A tensor of ``size`` rows of shape ``row_shape`` (dtype and device of ``like``), filled with ``fill``,
        holding ``old``'s rows first.
    """
    new = torch.full((size, ) + tuple(row_shape), fill, dtype=like.dtype, device=like.device)
    if old is not None:
        new[:len(old)] = old.to(like.device)
    return new


def rows_needed(env_ids: Optional[List[int]], count: int) -> int:
    """Rows a call must find allocated: ``count`` for a batched env (``env_ids`` None), else the largest id + 1."""
    return count if env_ids is None else max(env_ids) + 1


def reset_rows(state: torch.Tensor, env_ids: Optional[Union[List[int], torch.Tensor]], value: float) -> None:
    """
    Overview:
        Set the rows of ``env_ids`` (ids, or a bool mask over the rows of a batched env; all when None) of a
        per-env ``state`` to ``value``, in place. Rows not allocated yet hold nothing and are skipped.
    """
    if env_ids is None:
        state.fill_(value)
    elif isinstance(env_ids, torch.Tensor):
        known = env_ids[:len(state)].to(state.device)
        state[:len(known)].masked_fill_(known, value)
    else:
        state[[env_id for env_id in env_ids if env_id < len(state)]] = value
