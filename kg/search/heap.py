"""Heaps of vectors: a file of float32 rows that an edit appends to instead of rewriting.

A matrix the build keeps between runs (the claim pool's vectors, kg.claims.store; the search
index's item and sentence vectors, kg.search.index) changes by a few rows per edit, while
rewriting it cost a 10k vault's edit most of a second: the copy, and the kernel's work to drop
the file it replaced (0.13 s to rename over 259 MB of sentence vectors, 0.08 s to unmap the old
one). So the rows live in a heap `<kind>.<name>.f32` that only grows; what names them (the row
of each vector, and the heap's name and length) is written beside it, atomically, after the rows.
A reader maps the rows its names give, which no later append touches; a crash leaves rows past
the length the names give (written over next time), never names of rows not written.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kg.cache import save_atomic

DIM = 384
ROW_BYTES = DIM * 4
HEAP_SLACK = 2
"""A heap that would hold more than this many rows per vector it names (rows of vectors gone) is
written afresh, with only those it names."""


def heap_path(folder: Path, kind: str, name: str) -> Path:
    return folder / f"{kind}.{name}.f32"


def read_heap(folder: Path, kind: str, name: str, length: int) -> np.ndarray:
    """The first `length` rows of a heap, memory-mapped (OSError or ValueError when it is shorter)."""
    if length == 0:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.memmap(heap_path(folder, kind, name), dtype=np.float32, mode="r", shape=(length, DIM))


def place_rows(folder: Path, kind: str, heap: tuple[str, int] | None, rows: np.ndarray,
               vectors: np.ndarray) -> tuple[str, int, np.ndarray]:
    """Put `vectors` (a row each) in a heap: the rows the heap already holds (`rows`: their place in
    it, -1 for none) stay where they are and the others are written after its `heap[1]` rows. A
    heap that would pass HEAP_SLACK, or none yet, is written afresh under a new name. Returns the
    heap's name, its length and each vector's row: for the caller to write what names them, and
    only then drop the other heaps of its kind (`drop_heaps`)."""
    todo = np.nonzero(rows < 0)[0]
    if heap is not None and heap_path(folder, kind, heap[0]).is_file() \
            and heap[1] + len(todo) <= HEAP_SLACK * max(len(rows), 1):
        name, length = heap
        rows = rows.copy()
        rows[todo] = np.arange(length, length + len(todo))
        with open(heap_path(folder, kind, name), "r+b") as f:
            f.seek(length * ROW_BYTES)
            for start in range(0, len(todo), 16_384):
                f.write(np.ascontiguousarray(vectors[todo[start:start + 16_384]], dtype=np.float32).data)
            f.truncate()
        return name, length + len(todo), rows
    name = secrets.token_hex(8)

    def write(f) -> None:  # a block at a time: `vectors` may be gathered from the last heap
        for start in range(0, len(vectors), 16_384):
            f.write(np.ascontiguousarray(vectors[start:start + 16_384], dtype=np.float32).data)

    save_atomic(heap_path(folder, kind, name), write)
    return name, len(vectors), np.arange(len(vectors), dtype=np.int64)


def keep_heap(folder: Path, kind: str, heap: tuple[str, int] | None, rows: np.ndarray, vectors: np.ndarray,
              then: Callable[[str, int, np.ndarray], None]) -> None:
    """`place_rows`, then `then(name, length, rows)` to write what names the rows, then the other
    heaps of the kind dropped."""
    name, length, where = place_rows(folder, kind, heap, rows, vectors)
    then(name, length, where)
    drop_heaps(folder, kind, keep=name)


def drop_heaps(folder: Path, kind: str, keep: str | None = None) -> None:
    """Remove the heaps of `kind` but the one named `keep`."""
    for old in folder.glob(f"{kind}.*.f32"):
        if old.name != (heap_path(folder, kind, keep).name if keep else None):
            old.unlink(missing_ok=True)
