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


def isin(values, among) -> np.ndarray:
    """`np.isin(values, among)` of numbers: whether each value is one of `among`. A few values are
    each compared with every one of `among`; more, looked up in `among` sorted. (np.isin sorts
    both together, through np.unique: 0.3-1.1 s of an edit to find a dozen pair codes among a 10k
    vault's 1.15M, and it imports numpy.ma.)"""
    values, among = np.asarray(values), np.asarray(among).ravel()
    if values.size == 0 or among.size == 0:
        return np.zeros(values.shape, dtype=bool)
    if values.size <= 16:
        return np.array([bool((among == v).any()) for v in values.ravel().tolist()], dtype=bool).reshape(values.shape)
    # (a patch's memo pair codes come in order: sorting its 1.15M again took 0.08 s of a 10k edit)
    ordered = among if bool((among[1:] >= among[:-1]).all()) else np.sort(among)
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return ordered[at] == values
