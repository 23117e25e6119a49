"""
Overview:
    The few operations whose spelling differs between numpy and torch, so that the geometry, observation, action and
    reward functions of this package are written once and run both on one env's numpy arrays and on the batched
    envs' (E, ...) torch tensors (``dizoo_envs/batched``). Every other operation those functions use has the same name
    and arguments in numpy and torch (``concatenate``, ``where``, ``sqrt``, ``amin``, ``zeros_like``, ...): they call it
    on the module returned by ``namespace``.
"""
from types import ModuleType
from typing import Any, Union

import numpy as np
import torch

Array = Union[np.ndarray, torch.Tensor]


def namespace(x: Any) -> ModuleType:
    """
    Overview:
        ``torch`` for a tensor, ``numpy`` for anything else.
    """
    return torch if isinstance(x, torch.Tensor) else np


def take_along(x: Array, idx: Array, axis: int) -> Array:
    """
    Overview:
        ``numpy.take_along_axis`` / ``torch.take_along_dim``.
    """
    if isinstance(x, torch.Tensor):
        return torch.take_along_dim(x, idx, dim=axis)
    return np.take_along_axis(x, idx, axis=axis)


def put_along(x: Array, idx: Array, values: Array, axis: int) -> None:
    """
    Overview:
        In place, ``x[..., idx] = values`` along ``axis``: ``numpy.put_along_axis`` / ``Tensor.scatter_``.
    """
    if isinstance(x, torch.Tensor):
        x.scatter_(axis, idx, values)
    else:
        np.put_along_axis(x, idx, values, axis=axis)


def diagonal(x: Array) -> Array:
    """
    Overview:
        The main diagonal of the last two axes: ``numpy.diagonal`` / ``torch.diagonal`` (axis names differ).
    """
    if isinstance(x, torch.Tensor):
        return torch.diagonal(x, dim1=-2, dim2=-1)
    return np.diagonal(x, axis1=-2, axis2=-1)


def as_float32(x: Array) -> Array:
    """
    Overview:
        ``x`` cast to float32 (round to nearest in both libraries, so both give the same values).
    """
    if isinstance(x, torch.Tensor):
        return x.to(torch.float32)
    return x.astype(np.float32)


def float32_full(shape: tuple, value: float, like: Array) -> Array:
    """
    Overview:
        A new float32 array of ``shape`` filled with ``value``, on ``like``'s device for tensors.
    """
    if isinstance(like, torch.Tensor):
        return torch.full(shape, value, dtype=torch.float32, device=like.device)
    return np.full(shape, value, dtype=np.float32)


def dtype_kind(x: Array) -> str:
    """
    Overview:
        numpy's ``dtype.kind`` of ``x``: 'f' float, 'i' signed, 'u' unsigned integer, 'b' bool, 'c' complex.
    """
    if isinstance(x, torch.Tensor):
        dtype = x.dtype
        if dtype == torch.bool:
            return 'b'
        if dtype.is_complex:
            return 'c'
        if dtype.is_floating_point:
            return 'f'
        return 'u' if dtype == torch.uint8 else 'i'
    return x.dtype.kind
