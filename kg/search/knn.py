"""Exact nearest neighbours by inner product, and faiss when it is installed.

faiss-cpu is optional (the `large` extra): it brings the HNSW graphs of large vaults
(kg.search.index.ANN_FROM passages) and large claim pools (kg.claims.tensions.ANN_FROM).
Exact searches are made here in numpy, with faiss or without: the same neighbours as faiss's
IndexFlatIP, and faster than its exact search (faiss.knn) at the evidence search's scale. For
6,144 claims of the 10k vault against its 71,911 source sentences, k = 20, twice each in one
process on 2 cores: faiss.knn (faiss-cpu 1.15.1) 12.1 and 13.9 s, `top_k` 4.9 and 4.8 s, of
which the matrix product is 3.3 s. A cold 10k build's evidence search spent 190 s in faiss.knn.
"""

from __future__ import annotations

import numpy as np

from kg.arrays import unique

CHUNK_CELLS = 1 << 24
"""Similarities computed at once (queries x rows): 64 MB of float32 and its 16 MB mask
(`pick`), whatever the number of queries. In chunks of 4M cells (58 queries at a time against
72k sentences) the matrix product ran at two thirds of its speed in chunks of 16M."""
SAMPLE = 8
"""`pick` finds each line's floor among every SAMPLE-th score."""

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
    step = max(1, (CHUNK_CELLS if _sampled(n, kk) else CHUNK_CELLS // 4) // n)  # (a partition's int64
    # indices, 8 bytes a score: `pick` partitions every score of a matrix of few rows)
    # one buffer for every chunk's scores: a new array for each was made while the last one was
    # still held, and its pages faulted in afresh. For 2,048 queries against 71,911 rows (as many
    # as a 10k vault's sentences), the search took 157 MB above what it was given, 93 MB with it
    buffer = np.empty((min(step, nq), n), dtype=np.float32)
    for start in range(0, nq, step):
        chunk = queries[start:start + step]
        scores = np.matmul(chunk, matrix.T, out=buffer[:len(chunk)])
        picked = pick(scores, kk)
        values = np.take_along_axis(scores, picked, axis=1)
        order = np.lexsort((-picked, -values), axis=-1)  # descending similarity, then higher row
        sims[start:start + step, :kk] = np.take_along_axis(values, order, axis=1)
        rows[start:start + step, :kk] = np.take_along_axis(picked, order, axis=1)
    return sims, rows


def _sampled(n: int, k: int) -> bool:
    """Whether `pick` finds the k largest of n scores from a sampled floor (else it partitions them all)."""
    return n >= 4 * SAMPLE * k


def pick(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest scores of each line (unordered); of the scores equal to
    the k-th largest, the lowest columns when they do not all fit, so that the choice does not
    depend on the partition.

    The k-th largest of every SAMPLE-th score of a line is at most its k-th largest (those k are
    scores of the line), so the line's k largest are among its scores at or above it: some 8k of
    72k for the evidence search, sorted alone. A partition of every score took as long as the
    matrix product that made them."""
    lines, n = scores.shape
    if k == n:
        return np.broadcast_to(np.arange(n), scores.shape).copy()
    if _sampled(n, k):
        sample = scores[:, ::SAMPLE]
        floor = np.partition(sample, sample.shape[1] - k, axis=1)[:, sample.shape[1] - k]
        above = np.zeros((lines, -(-n // 8) * 8), dtype=bool)  # (lines of whole 8-byte words)
        np.greater_equal(scores, floor[:, None], out=above[:, :n])
        if np.count_nonzero(above) <= 64 * k * lines:  # (many equal scores: the partition below)
            line, col = _flags(above)  # (np.nonzero over every flag took two thirds of this function)
            if np.bincount(line, minlength=lines).min() >= k:  # (a line of NaN has no score at its floor)
                order = np.lexsort((col, -scores[line, col], line))  # by line, best first, then lowest column
                first = np.searchsorted(line, np.arange(lines))
                return col[order[(first[:, None] + np.arange(k)).ravel()]].reshape(lines, k)
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


SELF_BLOCK = 4096
"""`self_top_k` scores the rows in blocks of this many against blocks of as many: 64 MB of float32."""


def self_top_k(matrix: np.ndarray, k: int, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `top_k` among all rows, itself included: the same (similarities, rows) as
    `top_k(matrix, matrix, k)`, equal scores chosen and listed alike, in half the matrix products.
    A block of rows scored against a later block gives the scores of both (the product is
    symmetric); each block is first scored against itself, whose k-th best is a floor for the rest
    (a note's claims, written together, are mostly one another's nearest), so that of each later
    block only the lines and columns with a score at or above their row's k-th so far are looked
    at. For 50,000 claims of the 10k vault on 2 cores: 13.4 s against 20.7 s for `top_k`, with some
    80 MB more held (the blocks against themselves).
    `progress(done, total)` is called with the blocks of rows done."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    n, wanted = len(matrix), k
    k = min(k, n)
    if not np.isfinite(matrix).all() or k <= 0:  # (a NaN is never at or above a floor: `top_k` places it)
        return top_k(matrix, matrix, wanted)
    sims = np.full((n, k), -np.inf, dtype=np.float32)
    rows = np.full((n, k), -1, dtype=np.int64)

    def merge(r0: int, found: np.ndarray, cols: np.ndarray, scores: np.ndarray) -> None:
        """Scores (of rows r0 + found, at columns cols) merged into their rows' k best: by
        descending score, then lowest column, as `pick` chooses."""
        touched = unique(found)
        held = rows[r0 + touched].ravel() >= 0
        line = np.concatenate([np.repeat(touched, k)[held], found])
        col = np.concatenate([rows[r0 + touched].ravel()[held], cols])
        score = np.concatenate([sims[r0 + touched].ravel()[held], scores])
        order = np.lexsort((col, -score, line))
        line, col, score = line[order], col[order], score[order]
        first = np.searchsorted(line, touched)
        count = np.diff(np.append(first, len(line)))
        place = np.arange(k)
        filled = place < np.minimum(count, k)[:, None]
        at = np.where(filled, first[:, None] + place, 0)
        sims[r0 + touched] = np.where(filled, score[at], -np.inf)
        rows[r0 + touched] = np.where(filled, col[at], -1)

    def above(r0: int, c0: int, scores: np.ndarray, side: int) -> None:
        """The scores at or above the k-th so far of the rows that are the lines of `scores`
        (side 0) or its columns (side 1), merged."""
        kth = sims[r0:r0 + scores.shape[side], -1]
        hit = np.flatnonzero(scores.max(axis=1 - side) >= kth)
        if not len(hit):
            return
        if side == 0:
            part = scores[hit]
            i, j = np.nonzero(part >= kth[hit, None])
            merge(r0, hit[i], j + c0, part[i, j])
        else:
            part = np.take(scores, hit, axis=1)
            i, j = np.nonzero(part >= kth[hit][None, :])
            merge(r0, hit[j], i + c0, part[i, j])

    buffer = np.empty((min(SELF_BLOCK, n), min(SELF_BLOCK, n)), dtype=np.float32)
    starts = range(0, n, SELF_BLOCK)
    for done, a in enumerate(starts):  # each block against itself: a floor for the others
        if progress:
            progress(done, 2 * len(starts))
        block = matrix[a:a + SELF_BLOCK]
        scores = np.matmul(block, block.copy().T, out=buffer[:len(block), :len(block)])  # (A @ A.T: twice as long)
        # a floor at most each line's k-th: the k-th of every SAMPLE-th score (as `pick` finds one)
        sample = scores[:, ::SAMPLE] if _sampled(len(block), k) else scores
        floor = np.partition(sample, sample.shape[1] - min(k, len(block)), axis=1)[:, sample.shape[1] - min(k, len(block))]
        line, col = _flags(scores >= floor[:, None])
        merge(a, line, col + a, scores[line, col])
    for done, a in enumerate(starts, len(starts)):
        if progress:
            progress(done, 2 * len(starts))
        block = matrix[a:a + SELF_BLOCK]
        for b in range(a + SELF_BLOCK, n, SELF_BLOCK):
            scores = np.matmul(block, matrix[b:b + SELF_BLOCK].T, out=buffer[:len(block), :min(SELF_BLOCK, n - b)])
            above(a, b, scores, 0)
            above(b, a, scores, 1)
    order = np.lexsort((-rows, -sims), axis=-1)  # as `top_k` lists them: equal scores from the highest row down
    sims, rows = np.take_along_axis(sims, order, axis=1), np.take_along_axis(rows, order, axis=1)
    if wanted > k:  # past the number of rows, as `top_k` fills them
        sims = np.concatenate([sims, np.full((n, wanted - k), -np.finfo(np.float32).max, dtype=np.float32)], axis=1)
        rows = np.concatenate([rows, np.full((n, wanted - k), -1, dtype=np.int64)], axis=1)
    return sims, rows


def _flags(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(line, column) of every True of a 2-D bool array, by line then column: np.nonzero over the
    8-byte words that hold one, then over their flags (over every flag of a 4096 square: 64 ms,
    as long as the matrix product that made the scores)."""
    if mask.shape[1] % 8 or not mask.flags.c_contiguous:
        return np.nonzero(mask)
    line, word = np.nonzero(mask.view(np.uint64))
    line, col = np.repeat(line, 8), (word[:, None] * 8 + np.arange(8)).ravel()
    held = mask[line, col]
    return line[held], col[held]
