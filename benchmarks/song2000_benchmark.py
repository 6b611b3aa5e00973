"""Song, Miller & Abbott (2000): additive STDP on 1000 Poisson inputs onto one conductance-based LIF neuron.

    python benchmarks/song2000_benchmark.py [--duration 100] [--repeats 3] [--equilibrium 2000] [--seed 1]

The paper's network (Nat Neurosci 3:919, Methods): tau_m 20 ms, V_rest -70 mV, threshold -54 mV,
reset -60 mV, E_ex 0 mV, tau_ex 5 ms, g_max 0.015 (in units of the leak), A+ 0.005, A-/A+ 1.05,
tau+- 20 ms; 1000 excitatory inputs at 15 Hz, initial weights uniform in [0, g_max]; dt 0.1 ms
(forward Euler for the membrane, exact event-driven traces for the synapses).

Two ways to feed the inputs, timed separately:

* ``poisson``: a PoissonGroup (one random draw per input and step, inside the compiled loop);
* ``predrawn``: the same Bernoulli(rate*dt)-per-step trains drawn beforehand in numpy (geometric gaps)
  and replayed by a SpikeGeneratorGroup; drawing them is timed apart from the run.

Per configuration: build + compile (``Network.prepare()``: generate and compile, or load from the
kernel cache), then the ``--duration`` run, median of ``--repeats`` fresh networks with the same seed
and names (the first build may compile; the repeats load the kernel from the cache).
The ratio to real time is wall time / simulated time.  The paper's A+ needs ~1000 s of simulated time
to reach its equilibrium distribution, so 100 s shows the weights on their way; ``--equilibrium`` adds
one longer run (predrawn inputs, in 100 s chunks) that reaches it.  Results:
benchmarks/results/song2000.csv.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
N_INPUTS, RATE, DT = 1000, 15.0, 1e-4  # inputs, Hz, s
CHUNK = 100.0  # s of predrawn input per SpikeGeneratorGroup refill


def bernoulli_trains(rng, n, rate, dt, step0, nsteps):
    """(indices, times in s) of ``n`` inputs spiking with probability rate*dt in each of ``nsteps`` steps."""
    p = rate * dt
    draws = int(nsteps * p + 8 * math.sqrt(nsteps * p) + 20)
    steps = np.cumsum(rng.geometric(p, size=(n, draws)), axis=1) - 1
    assert (steps[:, -1] >= nsteps).all()
    ii, kk = np.nonzero(steps < nsteps)
    return ii, (step0 + steps[ii, kk]) * dt


def network(inputs, seed):
    """The paper's neuron and STDP synapses on ``inputs`` ("poisson" or a SpikeGeneratorGroup)."""
    import snngen as sg
    from snngen import models
    from snngen.units import Hz, ms, mV

    # Fixed names: generated code and random streams are keyed by the objects' names, so a repeat with the
    # same names and seed loads the compiled kernel from the cache and draws the same initial weights.
    sg.seed(seed)
    P = sg.PoissonGroup(N_INPUTS, RATE * Hz, name="song_inputs") if inputs == "poisson" else inputs
    G = sg.NeuronGroup(1, """dv/dt = (v_rest - v + g*(E_ex - v))/tau_m : volt
                             dg/dt = -g/tau_ex : 1""", threshold="v > v_th", reset="v = v_reset", method="euler",
                       namespace=dict(v_rest=-70 * mV, E_ex=0 * mV, tau_m=20 * ms, tau_ex=5 * ms, v_th=-54 * mV,
                                      v_reset=-60 * mV), name="song_neuron")
    G.v = -70 * mV
    S = models.STDP_additive(P, G, drive="g_post", w_scale=0.015, connect=True, name="song_stdp")
    S.w = "rand()"
    out = sg.SpikeMonitor(G, name="song_spikes")
    return sg.Network(P, G, S, out, dt=0.1 * ms), P, S, out


def summary(S, out, duration):
    w = S.w_
    spikes = np.asarray(out.spike_trains()[0])
    tail = min(10.0, duration)
    return dict(near0=float(np.mean(w < 0.1)), near_max=float(np.mean(w > 0.9)),
                rate_end=float(np.sum(spikes >= duration - tail) / tail))


def one_run(inputs, duration, seed):
    from snngen.units import second

    draw_s = 0.0
    if inputs == "predrawn":
        import snngen as sg

        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        ii, tt = bernoulli_trains(rng, N_INPUTS, RATE, DT, 0, round(duration / DT))
        source = sg.SpikeGeneratorGroup(N_INPUTS, ii, tt * second, name="song_inputs")
        draw_s = time.perf_counter() - t0
    else:
        source = "poisson"
    net, _, S, out = network(source, seed)
    t0 = time.perf_counter()
    net.prepare()
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(duration * second)
    run_s = time.perf_counter() - t0
    return dict(compile_s=compile_s, run_s=run_s, draw_s=draw_s, **summary(S, out, duration))


def equilibrium_run(duration, seed):
    """Predrawn inputs refilled every CHUNK seconds (bounded memory); returns the same fields as one_run."""
    import snngen as sg
    from snngen.units import second

    rng = np.random.default_rng(seed)
    n_chunk = round(CHUNK / DT)
    t0 = time.perf_counter()
    source = sg.SpikeGeneratorGroup(N_INPUTS, *_seconds(bernoulli_trains(rng, N_INPUTS, RATE, DT, 0, n_chunk)),
                                    name="song_inputs")
    draw_s = time.perf_counter() - t0
    net, P, S, out = network(source, seed)
    t0 = time.perf_counter()
    net.prepare()
    compile_s = time.perf_counter() - t0
    run_s = 0.0
    for k in range(round(duration / CHUNK)):
        if k:
            t0 = time.perf_counter()
            P.set_spikes(*_seconds(bernoulli_trains(rng, N_INPUTS, RATE, DT, k * n_chunk, n_chunk)))
            draw_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        net.run(CHUNK * second)
        run_s += time.perf_counter() - t0
    return dict(compile_s=compile_s, run_s=run_s, draw_s=draw_s, **summary(S, out, duration))


def _seconds(trains):
    from snngen.units import second

    ii, tt = trains
    return ii, tt * second


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=100.0, help="simulated seconds per timed run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--equilibrium", type=float, default=2000.0, help="seconds of the long run (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import numba

    rows = []
    for inputs in ("poisson", "predrawn"):
        runs = [one_run(inputs, args.duration, args.seed) for _ in range(args.repeats)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        rows.append(dict(inputs=inputs, simulated_s=args.duration, repeats=args.repeats,
                         compile_first_s=runs[0]["compile_s"], compile_s=med["compile_s"], run_s=med["run_s"],
                         draw_s=med["draw_s"], realtime_ratio=med["run_s"] / args.duration,
                         **{k: runs[-1][k] for k in ("near0", "near_max", "rate_end")}))  # same seed: same result
    if args.equilibrium > 0:
        r = equilibrium_run(args.equilibrium, args.seed)
        rows.append(dict(inputs="predrawn (equilibrium)", simulated_s=args.equilibrium, repeats=1,
                         compile_first_s=r["compile_s"], realtime_ratio=r["run_s"] / args.equilibrium, **r))
    fields = ["inputs", "simulated_s", "repeats", "compile_first_s", "compile_s", "run_s", "draw_s",
              "realtime_ratio", "near0", "near_max", "rate_end"]
    print(f"Song, Miller & Abbott (2000) — {N_INPUTS} inputs at {RATE:g} Hz, additive STDP, dt 0.1 ms; "
          f"numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads; median of the repeats")
    print(f"{'inputs':24} {'sim s':>7} {'compile s':>9} {'run s':>8} {'draw s':>7} {'wall/sim':>9} "
          f"{'x realtime':>10} {'near 0':>7} {'near max':>8} {'rate Hz':>8}")
    for row in rows:
        print(f"{row['inputs']:24} {row['simulated_s']:7.0f} {row['compile_s']:9.2f} {row['run_s']:8.2f} "
              f"{row['draw_s']:7.2f} {row['realtime_ratio']:9.4f} {1 / row['realtime_ratio']:10.1f} "
              f"{row['near0']:7.3f} {row['near_max']:8.3f} {row['rate_end']:8.1f}")
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "song2000.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


if __name__ == "__main__":
    main()
