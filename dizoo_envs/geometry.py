"""
Overview:
    Vectorized geometry shared by the envs: pairwise offsets and distances, the K nearest entities, and the
    agent-to-agent distance matrix restricted to each agent's observable field. Every function takes numpy arrays of
    one env or torch tensors with any leading batch axes (the batched envs' (E, ...)), see ``array_ops.py``.
"""
from typing import Optional, Tuple

import numpy as np
import torch

from .array_ops import Array, as_float32, float32_full, namespace, put_along, take_along

#: The observable field types: the K nearest other agents, or every agent within a radius.
FIELD_TYPES = ('k_nearest', 'radius')


def pairwise_offsets(a: Array, b: Array) -> Tuple[Array, Array, Array]:
    """
    Overview:
        Offsets and Euclidean distances from every point of ``a`` to every point of ``b`` (x and y offsets are kept
        apart: it is about twice as fast as one (Na, Nb, 2) array).
    Arguments:
        - a (:obj:`Array`): (..., Na, 2) points.
        - b (:obj:`Array`): (..., Nb, 2) points.
    Returns:
        - dx (:obj:`Array`): (..., Na, Nb), ``dx[i, j] = b[j, 0] - a[i, 0]``.
        - dy (:obj:`Array`): (..., Na, Nb), ``dy[i, j] = b[j, 1] - a[i, 1]``.
        - dist (:obj:`Array`): (..., Na, Nb), ``sqrt(dx ** 2 + dy ** 2)``.
    """
    dx = b[..., None, :, 0] - a[..., :, None, 0]
    dy = b[..., None, :, 1] - a[..., :, None, 1]
    return dx, dy, namespace(a).sqrt(dx * dx + dy * dy)


def k_nearest(dist: Array, k: int) -> Array:
    """
    Overview:
        Column indices of the ``k`` smallest entries of every row, nearest first. Entries that must never be
        chosen (e.g. the diagonal of a self-distance matrix) should be ``inf``.
    Arguments:
        - dist (:obj:`Array`): (..., N, M) distances.
        - k (:obj:`int`): 0 <= k <= M.
    Returns:
        - idx (:obj:`Array`): (..., N, k) int64 indices.
    """
    m = dist.shape[-1]
    if isinstance(dist, torch.Tensor):
        # topk: 3x faster than a sort for k << M; equal distances (two agents pinned in one corner) come in no fixed
        # order, as numpy's argpartition
        return torch.topk(dist, k, dim=-1, largest=False, sorted=True).indices
    if k == 0:
        return np.zeros(dist.shape[:-1] + (0, ), dtype=np.int64)
    if k >= m or m <= 64:  # a full sort is faster than argpartition + sort on short rows
        return np.argsort(dist, axis=-1)[..., :k]
    idx = np.argpartition(dist, k - 1, axis=-1)[..., :k]
    order = np.argsort(np.take_along_axis(dist, idx, axis=-1), axis=-1)
    return np.take_along_axis(idx, order, axis=-1)


def gather_neighbours(idx: Array, *components: Array) -> Array:
    """
    Overview:
        For every row i, the entries ``c[i, idx[i, :]]`` of every component ``c``, interleaved per neighbour.
    Arguments:
        - idx (:obj:`Array`): (N, K) column indices (tensors: (..., N, K)).
        - components (:obj:`Array`): C arrays (N, M) (tensors: (..., N, M)), e.g. dx and dy of M entities seen from N
          agents.
    Returns:
        - out (:obj:`Array`): (N, K * C), row i = ``[c_1[i, idx[i, 0]], ..., c_C[i, idx[i, 0]], c_1[i, idx[i, 1]],
          ...]``.
    """
    if isinstance(idx, torch.Tensor):
        out = torch.stack([take_along(comp, idx, axis=-1) for comp in components], dim=-1)
        return out.reshape(idx.shape[:-1] + (idx.shape[-1] * len(components), ))
    n, k = idx.shape
    flat = idx + (np.arange(n) * components[0].shape[1])[:, None]  # take() on flat indices beats 2D fancy indexing
    out = np.empty((n, k, len(components)), dtype=components[0].dtype)
    for c, comp in enumerate(components):
        out[:, :, c] = comp.take(flat)
    return out.reshape(n, k * len(components))


def field_distance_matrix(dist: Array, field_type: str, nearest_idx: Array, radius: float,
                          always: Optional[Array] = None) -> Array:
    """
    Overview:
        The agent-to-agent distance matrix of the data contract: ``out[i, j]`` is the distance from agent i to
        agent j when j is in i's observable field, ``inf`` otherwise and on the diagonal.
    Arguments:
        - dist (:obj:`Array`): (..., A, A) distances between agents, ``inf`` on the diagonal.
        - field_type (:obj:`str`): ``'k_nearest'`` (the agents in ``nearest_idx``) or ``'radius'`` (every agent at
          distance <= ``radius``).
        - nearest_idx (:obj:`Array`): (..., A, k) indices of each agent's k nearest agents (k_nearest only).
        - radius (:obj:`float`): the field radius (radius only).
        - always (:obj:`Optional[Array]`): (..., A, P) indices of agents in each agent's field whatever the field
          type (the hidden target task's partners), with the leading axes of ``dist``; None: none.
    Returns:
        - out (:obj:`Array`): (..., A, A) float32.
    """
    if field_type == 'radius':
        out = as_float32(namespace(dist).where(dist <= radius, dist, np.inf))
    elif field_type == 'k_nearest':
        out = float32_full(dist.shape, np.inf, like=dist)
        put_along(out, nearest_idx, as_float32(take_along(dist, nearest_idx, axis=-1)), axis=-1)
    else:
        raise ValueError(f"unknown observable field type '{field_type}', expected one of {FIELD_TYPES}")
    if always is not None:
        put_along(out, always, as_float32(take_along(dist, always, axis=-1)), axis=-1)
    return out
