"""
Overview:
    Vectorized geometry shared by the envs: pairwise offsets and distances, the K nearest entities, and the
    agent-to-agent distance matrix restricted to each agent's observable field.
"""
from typing import Tuple

import numpy as np

#: The observable field types: the K nearest other agents, or every agent within a radius.
FIELD_TYPES = ('k_nearest', 'radius')


def pairwise_offsets(a: np.ndarray, b: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Overview:
        Offsets and Euclidean distances from every point of ``a`` to every point of ``b`` (x and y offsets are kept
        apart: it is about twice as fast as one (Na, Nb, 2) array).
    Arguments:
        - a (:obj:`np.ndarray`): (Na, 2) points.
        - b (:obj:`np.ndarray`): (Nb, 2) points.
    Returns:
        - dx (:obj:`np.ndarray`): (Na, Nb), ``dx[i, j] = b[j, 0] - a[i, 0]``.
        - dy (:obj:`np.ndarray`): (Na, Nb), ``dy[i, j] = b[j, 1] - a[i, 1]``.
        - dist (:obj:`np.ndarray`): (Na, Nb), ``sqrt(dx ** 2 + dy ** 2)``.
    """
    dx = b[:, 0][None, :] - a[:, 0][:, None]
    dy = b[:, 1][None, :] - a[:, 1][:, None]
    return dx, dy, np.sqrt(dx * dx + dy * dy)


def k_nearest(dist: np.ndarray, k: int) -> np.ndarray:
    """
    Overview:
        Column indices of the ``k`` smallest entries of every row, nearest first. Entries that must never be
        chosen (e.g. the diagonal of a self-distance matrix) should be ``inf``.
    Arguments:
        - dist (:obj:`np.ndarray`): (N, M) distances.
        - k (:obj:`int`): 0 <= k <= M.
    Returns:
        - idx (:obj:`np.ndarray`): (N, k) int64 indices.
    """
    n, m = dist.shape
    if k == 0:
        return np.zeros((n, 0), dtype=np.int64)
    if k >= m or m <= 64:  # a full sort is faster than argpartition + sort on short rows
        return np.argsort(dist, axis=1)[:, :k]
    idx = np.argpartition(dist, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(dist, idx, axis=1), axis=1)
    return np.take_along_axis(idx, order, axis=1)


def gather_neighbours(idx: np.ndarray, *components: np.ndarray) -> np.ndarray:
    """
    Overview:
        For every row i, the entries ``c[i, idx[i, :]]`` of every component ``c``, interleaved per neighbour.
    Arguments:
        - idx (:obj:`np.ndarray`): (N, K) column indices.
        - components (:obj:`np.ndarray`): C arrays (N, M), e.g. dx and dy of M entities seen from N agents.
    Returns:
        - out (:obj:`np.ndarray`): (N, K * C), row i = ``[c_1[i, idx[i, 0]], ..., c_C[i, idx[i, 0]], c_1[i, idx[i, 1]],
          ...]``.
    """
    n, k = idx.shape
    flat = idx + (np.arange(n) * components[0].shape[1])[:, None]  # take() on flat indices beats 2D fancy indexing
    out = np.empty((n, k, len(components)), dtype=components[0].dtype)
    for c, comp in enumerate(components):
        out[:, :, c] = comp.take(flat)
    return out.reshape(n, k * len(components))


def field_distance_matrix(dist: np.ndarray, field_type: str, nearest_idx: np.ndarray, radius: float) -> np.ndarray:
    """
    Overview:
        The agent-to-agent distance matrix of the data contract: ``out[i, j]`` is the distance from agent i to
        agent j when j is in i's observable field, ``inf`` otherwise and on the diagonal.
    Arguments:
        - dist (:obj:`np.ndarray`): (A, A) distances between agents, ``inf`` on the diagonal.
        - field_type (:obj:`str`): ``'k_nearest'`` (the agents in ``nearest_idx``) or ``'radius'`` (every agent at
          distance <= ``radius``).
        - nearest_idx (:obj:`np.ndarray`): (A, k) indices of each agent's k nearest agents (k_nearest only).
        - radius (:obj:`float`): the field radius (radius only).
    Returns:
        - out (:obj:`np.ndarray`): (A, A) float32.
    """
    if field_type == 'radius':
        return np.where(dist <= radius, dist, np.inf).astype(np.float32)
    if field_type == 'k_nearest':
        a = dist.shape[0]
        out = np.full((a, a), np.inf, dtype=np.float32)
        rows = np.arange(a)[:, None]
        out[rows, nearest_idx] = dist[rows, nearest_idx]
        return out
    raise ValueError(f"unknown observable field type '{field_type}', expected one of {FIELD_TYPES}")
