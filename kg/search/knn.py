"""Exact nearest neighbours by inner product, and faiss when it is installed.

faiss-cpu is optional (the `large` extra): it brings the HNSW graphs of large vaults
(kg.search.index.ANN_FROM passages) and large claim pools (kg.claims.tensions.ANN_FROM).
Without it kg searches exactly, here in numpy: the same neighbours as faiss's IndexFlatIP,
slower at that scale.
"""

from __future__ import annotations

import numpy as np

CHUNK_CELLS = 1 << 22
"""Similarities computed at once (queries x rows): 16 MB of float32 plus the partition's int64
indices (32 MB), whatever the number of queries."""

_faiss: object = False  # not looked for yet


def faiss_installed() -> bool:
    """Whether faiss can be used, without importing it (0.1 s) unless this process has: an edit of a
    large vault that keeps its HNSW graph (kg.search.index.sync_ann) needs none of it."""
    if _faiss is not False:
        return _faiss is not None
    import importlib.util

    return importlib.util.find_spec("faiss") is not None


def load_faiss():
    """The faiss module, or None when it is not installed (looked for once per process)."""
    global _faiss
    if _faiss is False:
        try:
            import faiss
        except ImportError:
            faiss = None
        _faiss = faiss
    return _faiss


def top_k(queries: np.ndarray, matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, rows) of the k rows of `matrix` with the largest inner product with each
    query, as faiss's search returns them: float32 and int64 arrays of shape (queries, k), each
    line by descending similarity; past the number of rows, row -1 and similarity -FLT_MAX.
    Equal scores are listed from the highest row down, as faiss lists them, so that an exact
    duplicate (a sentence clipped twice) is cited at the same place with faiss or without. When
    equal scores do not all fit in k, the lowest rows are kept; faiss's choice there is an
    artefact of its heap, which this does not replay. The queries are taken in chunks so memory
    stays bounded."""
    queries = np.atleast_2d(np.ascontiguousarray(queries, dtype=np.float32))
    n, nq = len(matrix), len(queries)
    sims = np.full((nq, k), -np.finfo(np.float32).max, dtype=np.float32)
    rows = np.full((nq, k), -1, dtype=np.int64)
    kk = min(k, n)
    if kk <= 0 or nq == 0:
        return sims, rows
    matrix = np.asarray(matrix, dtype=np.float32)
    step = max(1, CHUNK_CELLS // n)
    for start in range(0, nq, step):
        scores = queries[start:start + step] @ matrix.T
        picked = _pick(scores, kk)
        values = np.take_along_axis(scores, picked, axis=1)
        order = np.lexsort((-picked, -values), axis=-1)  # descending similarity, then higher row
        sims[start:start + step, :kk] = np.take_along_axis(values, order, axis=1)
        rows[start:start + step, :kk] = np.take_along_axis(picked, order, axis=1)
    return sims, rows


def _pick(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest scores of each line (unordered); of the scores equal to
    the k-th largest, the lowest columns when they do not all fit, so that the choice does not
    depend on the partition."""
    n = scores.shape[1]
    if k == n:
        return np.broadcast_to(np.arange(n), scores.shape).copy()
    picked = np.argpartition(scores, n - k, axis=1)[:, n - k:]
    values = np.take_along_axis(scores, picked, axis=1)
    kth = values.min(axis=1)
    tied = (scores == kth[:, None]).sum(axis=1)
    for line in np.flatnonzero(tied > (values == kth[:, None]).sum(axis=1)):  # rare: equal scores across the cut
        above = np.flatnonzero(scores[line] > kth[line])
        level = np.flatnonzero(scores[line] == kth[line])[:k - len(above)]
        picked[line] = np.concatenate([above, level])
    return picked


class Flat:
    """Exact inner-product search over a fixed matrix in numpy: IndexFlatIP's `search`."""

    def __init__(self, matrix: np.ndarray):
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.ntotal = len(self.matrix)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return top_k(queries, self.matrix, k)


class FaissFlat(Flat):
    """IndexFlatIP's search (faiss.knn: the same code, the same answers) over the matrix where it
    is: an IndexFlatIP first copies the rows it is given (107 MB of sentence vectors, 229 MB of
    claim vectors at 10k notes)."""

    def __init__(self, matrix: np.ndarray, faiss):
        super().__init__(matrix)
        self._faiss = faiss

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.ascontiguousarray(queries, dtype=np.float32))
        return self._faiss.knn(queries, self.matrix, k, metric=self._faiss.METRIC_INNER_PRODUCT)


def flat_ip(matrix: np.ndarray):
    """An exact inner-product index over the rows of `matrix` with faiss's `search(queries, k)`:
    faiss's when faiss is installed (FaissFlat), else Flat."""
    faiss = load_faiss()
    return Flat(matrix) if faiss is None else FaissFlat(matrix, faiss)
