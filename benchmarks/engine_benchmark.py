"""Engine-core bars: throughput, per-run overhead, import / cold compile / warm start.

    python benchmarks/engine_benchmark.py [--neurons 100000] [--steps 10000] [--repeats 3]

Prints a table (median of the repeats; compile time kept apart from run time)
and writes it to benchmarks/results/engine.csv.  Start-up figures are measured
in fresh processes: "cold" with an empty cache directory, "warm" with the cache
the cold run filled.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"

STARTUP = r"""
import json, time
t0 = time.perf_counter()
import snngen as sg
from snngen import models
from snngen.units import ms
t1 = time.perf_counter()
G = models.LIF(1000)
net = sg.Network(G, sg.SpikeMonitor(G), dt=0.1*ms)
net.run(0.1*ms, namespace={})
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first_run": t2 - t1}))
"""


def _fresh(env):
    out = subprocess.run([sys.executable, "-c", STARTUP], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def startup(repeats):
    imports, cold, warm = [], [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, SNNGEN_CACHE_DIR=cache)
            first = _fresh(env)
            cold.append(first["first_run"])
            imports.append(first["import"])
            again = _fresh(env)
            warm.append(again["first_run"])
            imports.append(again["import"])
    return statistics.median(imports), statistics.median(cold), statistics.median(warm)


def throughput(model, n, steps, repeats):
    import snngen as sg
    from snngen import models
    from snngen.units import ms

    G = models.make(model, n)
    if model == "LIF":
        G.I_ = np.linspace(0, 3e-9, n)  # 0-3 nA: half the neurons fire, up to ~100 Hz
    else:
        G.I_ = np.linspace(0, 10e-3, n)  # the paper's I = 0..10
    net = sg.Network(G, dt=0.1 * ms)
    t0 = time.perf_counter()
    net.run(0.1 * ms, namespace={})
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        net.run(steps * 0.1 * ms, namespace={})
        times.append(time.perf_counter() - t0)
    run_s = statistics.median(times)
    return compile_s, run_s, n * steps / run_s, G.integration_method


def run_overhead(repeats, calls=5000):
    import snngen as sg
    from snngen import models
    from snngen.units import ms

    G = models.LIF(10)
    net = sg.Network(G, sg.SpikeMonitor(G), dt=0.1 * ms)
    step = 0.1 * ms
    net.run(step, namespace={})
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            net.run(step)  # names resolved from this frame, as a user's RL loop would
        out.append((time.perf_counter() - t0) / calls)
    return statistics.median(out)


def sample_overhead(repeats, calls=2000):
    """A sample-by-sample loop with array inputs attached (784 spike inputs, a current input, 100 LIF, all-to-all
    synapses, a spike monitor): the time of a 1-step run(), and of one sample (set_input of both arrays, a
    250-step run on silent input, reset_state) per step."""
    import numpy as np

    import snngen as sg
    from snngen.units import ms, nA

    X = sg.SpikeArrayGroup(784)
    G = sg.NeuronGroup(100, "dv/dt = (I*10*Mohm - v)/(10*ms) : volt\nI : amp", threshold="v > 10*mV",
                       reset="v = 0*mV", namespace={"Mohm": 1e6 * sg.units.ohm, "mV": sg.units.mV})
    S = sg.Synapses(X, G, "w : volt", on_pre="v_post += w")
    S.connect()
    spikes, current = np.zeros((250, 784), dtype=bool), np.zeros((250, 100)) * nA
    X.set_input(spikes)
    G.set_input("I", current)
    net = sg.Network(X, G, S, sg.SpikeMonitor(G), dt=1 * ms)
    net.run(1 * ms, namespace={})
    one, sample = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            net.run(1 * ms)
        one.append((time.perf_counter() - t0) / calls)
        t0 = time.perf_counter()
        for _ in range(calls // 10):
            X.set_input(spikes)
            G.set_input("I", current)
            net.run(250 * ms)
            net.reset_state()
        sample.append((time.perf_counter() - t0) / (calls // 10) / 250)
    return statistics.median(one), statistics.median(sample)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--neurons", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import numba

    rows = []
    imp, cold, warm = startup(args.repeats)
    rows += [("import snngen", "s", imp, "<= 1.5"), ("cold compile + first 1-step run (LIF net)", "s", cold, "<= 3"),
             ("warm start, cache hit (beyond import)", "s", warm, "<= 0.5")]
    for model, bar in (("LIF", 300e6), ("Izhikevich", 150e6)):
        c, r, rate, method = throughput(model, args.neurons, args.steps, args.repeats)
        rows.append((f"{model} ({method}) {args.neurons:,} neurons x {args.steps:,} steps: run", "s", r, ""))
        rows.append((f"{model} ({method}): neuron updates per second", "M/s", rate / 1e6, f">= {bar / 1e6:.0f}"))
        rows.append((f"{model} ({method}): build + compile (this process)", "s", c, ""))
    rows.append(("per-run() overhead, 1-step run, warm", "us", run_overhead(args.repeats) * 1e6, "<= 50"))
    one, per_step = sample_overhead(args.repeats)
    rows.append(("1-step run() with array inputs attached", "us", one * 1e6, "-"))
    rows.append(("a 250-step sample (set inputs, run, reset), per step", "us", per_step * 1e6, "~1"))
    print(f"snngen engine benchmark — numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads, "
          f"median of {args.repeats}")
    print(f"{'measure':62} {'value':>10}  {'unit':4} {'bar':>8}")
    for name, unit, value, bar in rows:
        print(f"{name:62} {value:10.3f}  {unit:4} {bar:>8}")
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "engine.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["measure", "unit", "value", "bar"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
