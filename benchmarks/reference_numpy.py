"""The yardstick: the paper benchmark network in ~20 lines of plain numpy (1 thread).

N Poisson inputs (rates U(0, 100) Hz, Bernoulli per 1 ms step) -> all-to-all
weights N(0, 1) mV -> N LIF neurons (rest = reset = -65 mV, threshold
v >= -52 mV, tau 100 ms, refractory 5 ms; inputs to refractory targets are
dropped).  Event-driven: each step adds the weight rows of the inputs that
spiked.  Brian2's schedule (snngen's): leak, threshold, propagate, reset.

    python benchmarks/reference_numpy.py 10000
"""

from __future__ import annotations

import sys
import time

import numpy as np


def network(n, seed=1234, dtype=np.float32):
    """The shared rates (Hz) and weights (mV, [pre, post]) every simulator uses."""
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0, 100, n)
    w = rng.standard_normal((n, n), dtype=np.float32)
    return rates, w.astype(dtype, copy=False)


def simulate(rates, w, steps=1000, dt=1e-3, seed=4321, dtype=np.float32):
    """Returns (spike count, seconds). v in mV; dtype is the state's float type."""
    n = w.shape[1]
    rng = np.random.default_rng(seed)
    v = np.full(n, -65.0, dtype=dtype)
    last = np.full(n, -(10**9))
    decay = dtype(np.exp(-dt / 0.1))
    p = rates * dt
    count = 0
    t0 = time.perf_counter()
    for step in range(steps):
        ok = (step - last) >= 5  # not refractory (5 ms at 1 ms steps)
        v = np.where(ok, dtype(-65.0) + (v + dtype(65.0)) * decay, v)
        fired = ok & (v >= -52.0)
        spiking = np.flatnonzero(rng.random(n) < p)
        if len(spiking):
            v += w[spiking].sum(axis=0) * ok
        v[fired] = -65.0
        last[fired] = step
        count += int(fired.sum())
    return count, time.perf_counter() - t0


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rates, w = network(n)
    count, seconds = simulate(rates, w)
    print(f"N={n}: {count} spikes in {seconds:.3f} s")
