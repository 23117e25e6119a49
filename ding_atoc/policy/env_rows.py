"""
Overview:
    Per-environment state held as tensors with one row per environment (``StructureMemory``, ``ChannelConditions``):
    rows are allocated on first use and grow with the largest environment id seen.
"""
from typing import Optional, Tuple

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
