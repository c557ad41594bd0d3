"""kg.arrays: numpy's set routines as the build uses them (without numpy.ma, and `isin` without
sorting a million pair codes to look up a dozen) give what numpy gives."""

from __future__ import annotations

import numpy as np
import pytest

from kg.arrays import isin, unique, unique_columns

DTYPES = (np.int32, np.int64, np.uint64, np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unique_and_isin_are_numpys(dtype):
    rng = np.random.default_rng(7)
    for values_n in (0, 1, 5, 16, 17, 300):
        for among_n in (0, 1, 12, 5000):
            values = rng.integers(0, 400, values_n).astype(dtype)
            among = rng.integers(0, 400, among_n).astype(dtype)
            assert np.array_equal(unique(values), np.unique(values))
            assert np.array_equal(isin(values, among), np.isin(values, among)), (values_n, among_n)
            assert np.array_equal(isin(values, among.tolist()), np.isin(values, among))
            assert np.array_equal(isin(values, np.sort(among)), np.isin(values, among))  # (in order: not sorted again)


def test_isin_keeps_the_shape_and_finds_large_codes():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 10**12, 200_000)
    asked = np.r_[codes[[5, 70_000, 199_999]], codes[[5]] + 1, [-1, 10**13]].reshape(2, 3)
    assert isin(asked, codes).tolist() == np.isin(asked, codes).tolist() == [[True, True, True], [False, False, False]]
    assert isin(np.arange(40).reshape(5, 8), [3, 39]).sum() == 2


def test_unique_columns_are_numpys():
    rng = np.random.default_rng(5)
    for n in (0, 1, 50):
        matrix = rng.integers(0, 4, (3, n))
        assert np.array_equal(unique_columns(matrix), np.unique(matrix, axis=1))
