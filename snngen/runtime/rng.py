"""Counter-based random numbers (Philox4x32-10) for CPU and GPU kernels.

Philox4x32-10 is the counter-based generator of Salmon et al. (2011),
"Parallel random numbers: as easy as 1, 2, 3".  Every random number is a
pure function of its coordinates, so results do not depend on thread count,
scheduling or backend.

Stream convention used throughout snngen::

    key     = (seed & 0xFFFFFFFF, stream & 0xFFFFFFFF)
    counter = (index & 0xFFFFFFFF, step & 0xFFFFFFFF,
               (step >> 32) & 0xFFFFFFFF, draw & 0xFFFFFFFF)

``stream`` identifies the object (a group) and the purpose, ``index`` the
neuron/synapse, ``step`` the int64 time step and ``draw`` the number of the
draw made by that index within that step.

All core functions are scalar-in/scalar-out integer arithmetic, giving
identical results as plain Python, under ``numba.njit`` (wrapping int64
products, masked back to 32-bit words) and under ``numba.cuda.jit(device=True)``.
Because a jitted function may only call jitted functions, the functions are
produced by :func:`make_rng`, which applies one decorator to every layer::

    gpu = make_rng(numba.cuda.jit(device=True))
    gpu.uniform(seed, stream, index, step, draw)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numba
import numpy as np

__all__ = [
    "PHILOX_M0",
    "PHILOX_M1",
    "PHILOX_W0",
    "PHILOX_W1",
    "RNGFunctions",
    "make_rng",
    "normal",
    "normal_array",
    "normal_py",
    "philox4x32",
    "philox4x32_py",
    "exprel",
    "exprel_py",
    "binomial",
    "copy_seed",
    "SAME_SEED",
    "least",
    "copy_seed_py",
    "poisson",
    "poisson_gap",
    "seed_from_entropy",
    "u01",
    "u01_py",
    "uniform",
    "uniform_array",
    "uniform_py",
]

PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85

_MASK32 = 0xFFFFFFFF
_TWO_PI = 2.0 * math.pi
_NEVER = 2**61  # a gap past any simulation
_INV_2_52 = 2.0**-52


def philox4x32_py(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 block: 4 counter words, 2 key words -> 4 random words.

    The 32x32->64 products are formed directly: exact for Python ints, and
    wrapping int64 arithmetic under numba keeps the same 64 bits.
    """
    c0 = c0 & _MASK32
    c1 = c1 & _MASK32
    c2 = c2 & _MASK32
    c3 = c3 & _MASK32
    k0 = k0 & _MASK32
    k1 = k1 & _MASK32
    for rnd in range(10):
        if rnd > 0:
            k0 = (k0 + PHILOX_W0) & _MASK32
            k1 = (k1 + PHILOX_W1) & _MASK32
        # hi:lo = M * c.  Under numba's int64 the product wraps modulo 2**64 (same bits
        # as the exact product); the shift sign-extends, the mask restores the high word.
        p0 = PHILOX_M0 * c0
        p1 = PHILOX_M1 * c2
        hi0 = (p0 >> 32) & _MASK32
        lo0 = p0 & _MASK32
        hi1 = (p1 >> 32) & _MASK32
        lo1 = p1 & _MASK32
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


def u01_py(a, b):
    """Map two 32-bit words to a float64 in the open interval (0, 1).

    Uses 52 bits, ``(bits + 0.5) * 2**-52``, which is exact in float64.
    """
    bits = ((a & _MASK32) << 20) | ((b & _MASK32) >> 12)
    return (bits + 0.5) * _INV_2_52


def _identity(func):
    return func


class RNGFunctions(NamedTuple):
    """The generator functions compiled with one decorator."""

    philox4x32: Callable
    u01: Callable
    uniform: Callable
    normal: Callable
    poisson_gap: Callable
    poisson: Callable
    binomial: Callable


def make_rng(jit: Callable = _identity) -> RNGFunctions:
    """Build philox4x32/u01/uniform/normal with decorator ``jit`` on each."""
    philox = jit(philox4x32_py)
    to_u01 = jit(u01_py)

    def uniform(seed, stream, index, step, draw):
        """Uniform float64 in (0, 1) for one stream coordinate."""
        r0, r1, _r2, _r3 = philox(
            index, step & _MASK32, (step >> 32) & _MASK32, draw, seed, stream
        )
        return to_u01(r0, r1)

    def normal(seed, stream, index, step, draw):
        """Standard normal float64 (Box-Muller, cosine branch)."""
        r0, r1, r2, r3 = philox(
            index, step & _MASK32, (step >> 32) & _MASK32, draw, seed, stream
        )
        u1 = to_u01(r0, r1)
        u2 = to_u01(r2, r3)
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)

    uniform_j = jit(uniform)

    def poisson_gap(seed, stream, index, step, draw, p):
        """Steps to the next event of a Bernoulli(p)-per-step process (geometric, >= 1).

        One draw per event instead of one per step: the same process, far fewer draws.
        """
        if p >= 1.0:
            return 1
        if p <= 0.0:
            return _NEVER
        gap = math.floor(math.log(uniform_j(seed, stream, index, step, draw)) / math.log1p(-p))
        return 1 + int(min(gap, _NEVER))

    def poisson(seed, stream, index, step, draw, lam):
        """A Poisson-distributed count with mean ``lam`` (as a float).

        ``lam < 10``: inversion of one uniform.  Larger means: Hoermann's transformed rejection
        with squeeze (PTRS, Insurance: Mathematics and Economics 12, 1993), each attempt ``a``
        drawing its two uniforms from the block at ``draw + a * 2**24``.
        """
        if lam <= 0.0:
            return 0.0
        if lam < 10.0:
            u = uniform_j(seed, stream, index, step, draw)
            k = 0
            p = math.exp(-lam)
            cdf = p
            while u > cdf and k < 1000:
                k += 1
                p *= lam / k
                cdf += p
            return float(k)
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2.0)
        attempt = 0
        while True:
            r0, r1, r2, r3 = philox(index, step & _MASK32, (step >> 32) & _MASK32,
                                    (draw + attempt * 16777216) & _MASK32, seed, stream)
            attempt += 1
            u = to_u01(r0, r1) - 0.5
            v = to_u01(r2, r3)
            us = 0.5 - abs(u)
            k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0.0 or (us < 0.013 and v > us):
                continue
            if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= \
                    -lam + k * loglam - math.lgamma(k + 1.0):
                return k

    normal_j = jit(normal)

    def binomial(seed, stream, index, step, draw, n, p):
        """The number of successes in ``n`` trials of probability ``p`` (as a float), as Brian2's
        ``BinomialFunction`` draws it: the normal approximation ``N(np, np(1-p))`` when ``np > 5`` and
        ``n(1-p) > 5``, else exact inversion (numpy's ``rk_binomial_inversion``)."""
        if n * p > 5.0 and n * (1.0 - p) > 5.0:
            return normal_j(seed, stream, index, step, draw) * math.sqrt(n * p * (1.0 - p)) + n * p
        reverse = p > 0.5
        pp = 1.0 - p if reverse else p
        q = 1.0 - pp
        qn = math.exp(n * math.log(q))
        bound = min(n, n * pp + 10.0 * math.sqrt(n * pp * q + 1.0))
        x = 0
        px = qn
        attempt = 0
        u = uniform_j(seed, stream, index, step, draw)
        while u > px:
            x += 1
            if x > bound:
                x = 0
                px = qn
                attempt += 1
                u = uniform_j(seed, stream, index, step, (draw + attempt * 16777216) & _MASK32)
            else:
                u -= px
                px = ((n - x + 1) * pp * px) / (x * q)
        return float(n - x) if reverse else float(x)

    return RNGFunctions(philox, to_u01, uniform_j, normal_j, jit(poisson_gap), jit(poisson), jit(binomial))


_PY = make_rng()
uniform_py = _PY.uniform
normal_py = _PY.normal

_CPU = make_rng(numba.njit(inline="always", cache=False))
philox4x32 = _CPU.philox4x32
u01 = _CPU.u01
uniform = _CPU.uniform
normal = _CPU.normal
poisson_gap = _CPU.poisson_gap
poisson = _CPU.poisson
binomial = _CPU.binomial


def exprel_py(x):
    """``(exp(x) - 1)/x``, 1 at 0 (Brian2's ``exprel``)."""
    if abs(x) < 1e-16:
        return 1.0
    if x > 717.0:
        return math.inf
    return math.expm1(x) / x


exprel = numba.njit(inline="always", cache=False)(exprel_py)


@numba.njit(cache=False)
def uniform_array(seed, stream, index_array, step, draw):
    """Uniform (0, 1) values for each index in ``index_array``."""
    out = np.empty(index_array.shape[0], dtype=np.float64)
    for i in range(index_array.shape[0]):
        out[i] = uniform(seed, stream, np.int64(index_array[i]), step, draw)
    return out


@numba.njit(cache=False)
def normal_array(seed, stream, index_array, step, draw):
    """Standard normal values for each index in ``index_array``."""
    out = np.empty(index_array.shape[0], dtype=np.float64)
    for i in range(index_array.shape[0]):
        out[i] = normal(seed, stream, np.int64(index_array[i]), step, draw)
    return out


_COPY_STREAM = 0x5EEDC0DE


SAME_SEED = 1 << 32  # a run's seed with this bit set: every copy of a batched network draws with its low 32 bits


def copy_seed_py(seed, copy):
    """The seed copy ``copy`` of a batched network draws with: ``seed`` itself for copy 0 (it draws what the
    unbatched network draws), a Philox word keyed by the seed for the others; ``seed`` itself for every copy
    when the bit :data:`SAME_SEED` of ``seed`` is set (``Network(copy_random="same")``: each copy draws what
    the unbatched network draws, as the points of a packed sweep must)."""
    if copy == 0 or (seed >> 32) & 1:
        return seed & _MASK32
    return philox4x32_py(copy, 0, 0, 0, seed, _COPY_STREAM)[0]


@numba.njit(cache=False)
def copy_seed(seed, copy):
    if copy == 0 or (seed >> 32) & 1:
        return seed & _MASK32
    return philox4x32(copy, 0, 0, 0, seed, _COPY_STREAM)[0]


@numba.njit(cache=False)
def least(values):
    """The smallest of an int64 array, in a plain loop (for parallel functions, where ``values.min()`` would
    start a parallel region of its own)."""
    out = values[0]
    for k in range(1, values.shape[0]):
        if values[k] < out:
            out = values[k]
    return out


def seed_from_entropy() -> int:
    """Return a fresh random 32-bit seed from OS entropy."""
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
