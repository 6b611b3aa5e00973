"""Tests for the Philox4x32-10 counter-based generator."""

import math

import numba
import numpy as np
import pytest

from snngen.runtime import rng

N = 10**6
IDX = np.arange(N, dtype=np.int64)

# Random123 known-answer vectors: (counter, key, expected output).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    (
        (0xFFFFFFFF,) * 4,
        (0xFFFFFFFF, 0xFFFFFFFF),
        (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD),
    ),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize("func", [rng.philox4x32_py, rng.philox4x32])
@pytest.mark.parametrize("counter,key,expected", KAT)
def test_known_answers(func, counter, key, expected):
    assert tuple(int(x) for x in func(*counter, *key)) == expected


def test_python_and_njit_agree():
    gen = np.random.default_rng(12345)
    words = gen.integers(0, 2**32, size=(200, 6), dtype=np.uint64)
    for row in words:
        args = [int(x) for x in row]
        py = rng.philox4x32_py(*args)
        jit = rng.philox4x32(*args)
        assert tuple(int(x) for x in jit) == py
        assert all(0 <= x <= 0xFFFFFFFF for x in py)
    steps = gen.integers(-(2**62), 2**62, size=200)
    for row, step in zip(words, steps):
        seed, stream, index, draw = (int(x) for x in row[:4])
        args = (seed, stream, index, int(step), draw % 8)
        assert rng.uniform(*args) == rng.uniform_py(*args)
        assert rng.normal(*args) == rng.normal_py(*args)


def test_stream_convention():
    seed, stream, index, draw = 0x1234567890, 77, 2**32 + 5, 3
    step = 3 * 2**32 + 11
    r = rng.philox4x32_py(5, 11, 3, draw, seed & 0xFFFFFFFF, stream)
    assert rng.uniform(seed, stream, index, step, draw) == rng.u01_py(r[0], r[1])


def test_u01_open_interval():
    lo = rng.u01(0, 0)
    hi = rng.u01(0xFFFFFFFF, 0xFFFFFFFF)
    assert 0.0 < lo < 1e-15
    assert 1.0 - 1e-15 < hi < 1.0
    assert rng.u01_py(0, 0) == lo and rng.u01_py(0xFFFFFFFF, 0xFFFFFFFF) == hi


def test_uniform_moments():
    u = rng.uniform_array(42, 7, IDX, 1000, 0)
    assert u.shape == (N,) and u.dtype == np.float64
    assert np.all((u > 0.0) & (u < 1.0))
    assert abs(u.mean() - 0.5) < 0.005
    assert abs(u.var() - 1.0 / 12.0) < 0.002


@numba.njit(cache=False)
def _ks_normal(sorted_x):
    n = sorted_x.shape[0]
    d = 0.0
    for i in range(n):
        cdf = 0.5 * (1.0 + math.erf(sorted_x[i] / math.sqrt(2.0)))
        d = max(d, cdf - i / n, (i + 1) / n - cdf)
    return d


def test_normal_distribution():
    z = rng.normal_array(42, 8, IDX, 1000, 0)
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < 0.005
    assert abs(z.std() - 1.0) < 0.005
    assert _ks_normal(np.sort(z)) < 0.002


BASE = (11, 22, 33, 0)  # seed, stream, step, draw


@pytest.mark.parametrize(
    "other",
    [
        (12, 22, 33, 0),
        (11, 23, 33, 0),
        (11, 22, 34, 0),
        (11, 22, 33 + 2**32, 0),
        (11, 22, 33, 1),
        (11 + 2**32, 22, 33, 0),
    ],
    ids=["seed", "stream", "step", "step_high_word", "draw", "seed_high_bits"],
)
def test_streams_uncorrelated(other):
    a = rng.uniform_array(BASE[0], BASE[1], IDX, BASE[2], BASE[3])
    b = rng.uniform_array(other[0], other[1], IDX, other[2], other[3])
    if other[0] == BASE[0] + 2**32:
        # Only the low 32 bits of the seed are used: same stream by design.
        np.testing.assert_array_equal(a, b)
        return
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01
    zb = rng.normal_array(other[0], other[1], IDX, other[2], other[3])
    za = rng.normal_array(BASE[0], BASE[1], IDX, BASE[2], BASE[3])
    assert abs(np.corrcoef(za, zb)[0, 1]) < 0.01


def test_neighbouring_indices_uncorrelated():
    a = rng.uniform_array(*BASE[:2], IDX, *BASE[2:])
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.01
    z = rng.normal_array(*BASE[:2], IDX, *BASE[2:])
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 0.01
    # uniform and normal of the same coordinates are not trivially related
    assert abs(np.corrcoef(a, z)[0, 1]) < 0.01


def test_determinism():
    idx = np.array([0, 1, 5, 2**31, 2**32 - 1], dtype=np.int64)
    for func, arr in ((rng.uniform, rng.uniform_array), (rng.normal, rng.normal_array)):
        first = arr(5, 6, idx, -3, 2)
        np.testing.assert_array_equal(first, arr(5, 6, idx, -3, 2))
        np.testing.assert_array_equal(first, arr(5, 6, idx.astype(np.uint32), -3, 2))
        scalar = [func(5, 6, int(i), -3, 2) for i in idx]
        np.testing.assert_array_equal(first, np.array(scalar))
        assert func(5, 6, 1, -3, 2) != func(5, 6, 1, -3, 3)


@numba.njit(parallel=True, cache=False)
def _fill_parallel(seed, stream, n, step):
    out = np.empty((n, 3))
    for i in numba.prange(n):
        out[i, 0] = rng.uniform(seed, stream, i, step, 0)
        out[i, 1] = rng.uniform(seed, stream, i, step, 1)
        out[i, 2] = rng.normal(seed, stream, i, step, 2)
    return out


@numba.njit(cache=False)
def _fill_serial(seed, stream, n, step):
    out = np.empty((n, 3))
    for i in range(n):
        out[i, 0] = rng.uniform(seed, stream, i, step, 0)
        out[i, 1] = rng.uniform(seed, stream, i, step, 1)
        out[i, 2] = rng.normal(seed, stream, i, step, 2)
    return out


def test_parallel_matches_serial():
    n = 200_000
    serial = _fill_serial(3, 4, n, 2**40 + 9)
    np.testing.assert_array_equal(
        serial[:, 0], rng.uniform_array(3, 4, IDX[:n], 2**40 + 9, 0)
    )
    old = numba.get_num_threads()
    try:
        for threads in sorted({1, max(1, old // 2), old}):
            numba.set_num_threads(threads)
            np.testing.assert_array_equal(_fill_parallel(3, 4, n, 2**40 + 9), serial)
    finally:
        numba.set_num_threads(old)


def test_seed_from_entropy():
    seeds = {rng.seed_from_entropy() for _ in range(8)}
    assert all(isinstance(s, int) and 0 <= s <= 0xFFFFFFFF for s in seeds)
    assert len(seeds) > 1
