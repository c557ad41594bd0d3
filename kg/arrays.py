"""numpy's set routines as a build uses them, without numpy.ma: `np.unique` (and what calls it
without asking for indices or counts: `np.setdiff1d`) asks numpy.ma whether the array is masked,
and importing numpy.ma took 10-16 ms of every edit of a 10k vault."""

from __future__ import annotations

import numpy as np


def unique(values) -> np.ndarray:
    """`np.unique(values)`: the distinct values of an array of numbers, flattened and sorted."""
    out = np.sort(np.asarray(values).ravel())
    if len(out) > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


def unique_columns(matrix: np.ndarray) -> np.ndarray:
    """`np.unique(matrix, axis=1)` of a 2-D array of numbers: its distinct columns, sorted by
    their first row, then their second, and so on."""
    if matrix.shape[1] == 0:
        return matrix
    ordered = matrix[:, np.lexsort(matrix[::-1])]
    return ordered[:, np.concatenate(([True], (ordered[:, 1:] != ordered[:, :-1]).any(axis=0)))]
