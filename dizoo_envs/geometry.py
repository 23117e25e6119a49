"""
Overview:
    Vectorized geometry shared by the envs: pairwise offsets and distances, the K nearest entities, and the
    agent-to-agent distance matrix restricted to each agent's observable field.
"""
from typing import Tuple

import numpy as np

#: The observable field types: the K nearest other agents, or every agent within a radius.
FIELD_TYPES = ('k_nearest', 'radius')


def pairwise_delta(a: np.ndarray, b: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """
    Overview:
        Offsets and Euclidean distances from every point of ``a`` to every point of ``b``.
    Arguments:
        - a (:obj:`np.ndarray`): (Na, 2) points.
        - b (:obj:`np.ndarray`): (Nb, 2) points.
    Returns:
        - delta (:obj:`np.ndarray`): (Na, Nb, 2), ``delta[i, j] = b[j] - a[i]``.
        - dist (:obj:`np.ndarray`): (Na, Nb), ``|delta[i, j]|``.
    """
    delta = b[None, :, :] - a[:, None, :]
    dist = np.sqrt(np.einsum('ijk,ijk->ij', delta, delta))
    return delta, dist


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
    if k >= m:
        return np.argsort(dist, axis=1, kind='stable')[:, :k]
    idx = np.argpartition(dist, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(dist, idx, axis=1), axis=1, kind='stable')
    return np.take_along_axis(idx, order, axis=1)


def gather_neighbours(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """
    Overview:
        Pick, for every row i, the entries ``values[i, idx[i, :]]`` and flatten them per row.
    Arguments:
        - values (:obj:`np.ndarray`): (N, M, C), e.g. relative positions of M entities seen from N agents.
        - idx (:obj:`np.ndarray`): (N, K) column indices.
    Returns:
        - out (:obj:`np.ndarray`): (N, K * C), row i = ``[values[i, idx[i, 0]], values[i, idx[i, 1]], ...]``.
    """
    n = values.shape[0]
    return values[np.arange(n)[:, None], idx].reshape(n, -1)


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
