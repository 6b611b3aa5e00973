"""The BindsNET paper benchmark on the CPU, written once with snngen's public API.

N Poisson inputs (rates U(0, 100) Hz) -> all-to-all weights N(0, 1) mV -> N LIF
neurons (rest = reset = -65 mV, threshold v >= -52 mV, tau 100 ms, refractory
5 ms; inputs arriving while the target is refractory are dropped), 1000 ms at
dt = 1 ms.  Rates and weights come from ``numpy.random.default_rng(1234)`` (see
``reference_numpy.network``), so every simulator sees the same network.

    python benchmarks/paper_benchmark.py [--sizes 250 1000 2500 5000 10000] [--dtypes float32 float64]
                                         [--repeats 3] [--plot] [--backend cpu|cuda]

Each figure comes from a fresh process: "cold" with an empty kernel cache,
"warm" (median of --repeats) with the cache the cold process filled.  Per
process: build (groups, connect, weights), start (generate + compile or load
the run function), run (1000 ms), peak RSS, output and input spike counts.
Beside them, in the same session: the plain-numpy yardstick
(``reference_numpy.py``, 1 thread) and the memory-bandwidth floor: the bytes
of the weight rows the input spikes touch, divided by the machine's measured
streaming read bandwidth (all cores).  Results: benchmarks/results/paper_cpu.csv
(and paper_cpu.png with --plot).

``--backend cuda`` runs the same network on the GPU: "run" is the second 1000 ms
(CUDA graph replay), "first run" the first (which captures the graphs); the floor
uses the device's measured read bandwidth; spikes are compared with a CPU-backend
process of the same network (the yardstick is skipped).  Results:
benchmarks/results/paper_cuda.csv.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {here!r})
from reference_numpy import network
n, dtype = {n}, {dtype!r}
rates, weights = network(n)                      # shared draw: not timed (as for the peers)
t0 = time.perf_counter()
import snngen as sg
from snngen.units import Hz, mV, ms
t_import = time.perf_counter() - t0

t0 = time.perf_counter()
sg.seed(4321)
inputs = sg.PoissonGroup(n, rates * Hz)
neurons = sg.NeuronGroup(n, "dv/dt = (v_rest - v)/tau : volt (unless refractory)", threshold="v >= v_th",
                         reset="v = v_reset", refractory=5*ms, method="exact", dtype=dtype,
                         namespace=dict(v_rest=-65*mV, v_reset=-65*mV, v_th=-52*mV, tau=100*ms))
neurons.v = -65*mV
syn = sg.Synapses(inputs, neurons, "w : 1", on_pre="v_post += w*mV*int(not_refractory_post)", dtype=dtype)
syn.connect()
syn.w_ = weights.ravel()                        # (pre, post), i-major: as Brian2's S.w[:] = W.ravel()
out = sg.SpikeMonitor(neurons, record=False)
inp = sg.SpikeMonitor(inputs, record=False)
net = sg.Network(inputs, neurons, syn, out, inp, dt=1*ms, backend={backend!r})
t_build = time.perf_counter() - t0

t0 = time.perf_counter()
net.prepare()
t_start = time.perf_counter() - t0

t0 = time.perf_counter()
net.run(1000*ms)
t_run = t_first = time.perf_counter() - t0
spikes, input_spikes = int(out.num_spikes), int(inp.num_spikes)
if {backend!r} == "cuda":                       # steady state: the second second replays the captured graph
    t0 = time.perf_counter()
    net.run(1000*ms)
    t_run = time.perf_counter() - t0
print(json.dumps(dict(import_s=t_import, build=t_build, start=t_start, run=t_run, first_run=t_first, spikes=spikes,
                      input_spikes=input_spikes, rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""

YARDSTICK = r"""
import json, sys
sys.path.insert(0, {here!r})
import numpy as np
from reference_numpy import network, simulate
rates, w = network({n})
count, seconds = simulate(rates, w, dtype=np.{dtype})
print(json.dumps(dict(spikes=count, run=seconds)))
"""

BANDWIDTH = r"""
import json, threading, time
import numpy as np
a = np.ones(128 * 1024 * 1024, dtype=np.float32)     # 512 MiB per reader, far beyond the caches
best = 0.0
for threads in (1, 2, 4):
    arrays = [a] + [np.ones_like(a) for _ in range(threads - 1)]
    for _ in range(3):
        workers = [threading.Thread(target=x.sum) for x in arrays]   # numpy releases the GIL
        t0 = time.perf_counter()
        [w.start() for w in workers]
        [w.join() for w in workers]
        best = max(best, threads * a.nbytes / (time.perf_counter() - t0) / 1e9)
print(json.dumps(dict(gbs=best)))
"""

GPU_BANDWIDTH = r"""
import json, time
import cupy as cp
a = cp.ones(512 * 1024 * 1024, dtype=cp.float32)   # 2 GiB, far beyond L2
best = 0.0
for _ in range(5):
    cp.cuda.Device().synchronize()
    t0 = time.perf_counter()
    a.sum()
    cp.cuda.Device().synchronize()
    best = max(best, a.nbytes / (time.perf_counter() - t0) / 1e9)
print(json.dumps(dict(gbs=best)))
"""


def _child(code, env=None):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(n, dtype, repeats, backend="cpu"):
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SNNGEN_CACHE_DIR=cache)
        code = CHILD.format(here=str(HERE), n=n, dtype=dtype, backend=backend)
        cold = _child(code, env)
        warm = [_child(code, env) for _ in range(repeats)]
    med = {k: statistics.median(w[k] for w in warm)
           for k in ("build", "start", "run", "first_run", "rss_mb", "import_s")}
    med["spikes"] = warm[0]["spikes"]
    med["input_spikes"] = warm[0]["input_spikes"]
    med["cold_start"] = cold["start"]
    med["same_spikes"] = all(w["spikes"] == cold["spikes"] for w in warm)
    return med


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 2500, 5000, 10000])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--plot", action="store_true")
    parser.add_argument("--backend", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    if args.backend == "cuda":
        return main_cuda(args)
    bw = _child(BANDWIDTH)["gbs"]
    print(f"streaming read bandwidth (numpy sum in 1, 2 or 4 threads, best): {bw:.1f} GB/s")
    rows = []
    header = ("N", "dtype", "build_s", "cold_start_s", "warm_start_s", "run_s", "total_warm_s", "rss_mb",
              "spikes", "yard_spikes", "spike_diff_pct", "yard_run_s", "run_vs_yard", "floor_s", "run_vs_floor")
    print(" ".join(f"{h:>13}" for h in header))
    for n in args.sizes:
        for dtype in args.dtypes:
            m = measure(n, dtype, args.repeats)
            yard = [_child(YARDSTICK.format(here=str(HERE), n=n, dtype=dtype)) for _ in range(args.repeats)]
            yard_run = statistics.median(y["run"] for y in yard)
            yard_spikes = yard[0]["spikes"]
            itemsize = 4 if dtype == "float32" else 8  # the weights are stored in the network's dtype
            floor = m["input_spikes"] * n * itemsize / (bw * 1e9)  # each spiking row read once
            total = m["build"] + m["start"] + m["run"]
            row = (n, dtype, m["build"], m["cold_start"], m["start"], m["run"], total, m["rss_mb"], m["spikes"],
                   yard_spikes, 100 * (m["spikes"] - yard_spikes) / max(1, yard_spikes), yard_run,
                   m["run"] / yard_run, floor, m["run"] / floor)
            rows.append(row)
            print(" ".join(f"{x:>13.3f}" if isinstance(x, float) else f"{x!s:>13}" for x in row), flush=True)
            if not m["same_spikes"]:
                print(f"  warning: spike counts differ between processes at N={n} {dtype}")
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "paper_cpu.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    if args.plot:
        plot(rows)


def main_cuda(args):
    bw = _child(GPU_BANDWIDTH)["gbs"]
    print(f"device read bandwidth (cupy sum of 2 GiB, best of 5): {bw:.0f} GB/s")
    header = ("N", "dtype", "build_s", "cold_start_s", "warm_start_s", "first_run_s", "run_ms_per_1000_steps",
              "floor_ms", "run_vs_floor", "spikes", "cpu_spikes", "spike_diff_pct", "rss_mb")
    print(" ".join(f"{h:>13}" for h in header))
    rows = []
    for n in args.sizes:
        for dtype in args.dtypes:
            m = measure(n, dtype, args.repeats, backend="cuda")
            cpu = _child(CHILD.format(here=str(HERE), n=n, dtype=dtype, backend="cpu"))
            itemsize = 4 if dtype == "float32" else 8
            floor = m["input_spikes"] * n * itemsize / (bw * 1e9)
            row = (n, dtype, m["build"], m["cold_start"], m["start"], m["first_run"], 1e3 * m["run"], 1e3 * floor,
                   m["run"] / floor, m["spikes"], cpu["spikes"],
                   100 * (m["spikes"] - cpu["spikes"]) / max(1, cpu["spikes"]), m["rss_mb"])
            rows.append(row)
            print(" ".join(f"{x:>13.3f}" if isinstance(x, float) else f"{x!s:>13}" for x in row), flush=True)
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "paper_cuda.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def plot(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for dtype, style in (("float32", "o-"), ("float64", "s--")):
        sel = [r for r in rows if r[1] == dtype]
        if sel:
            ax.loglog([r[0] for r in sel], [r[5] for r in sel], style, label=f"snngen run ({dtype})")
            ax.loglog([r[0] for r in sel], [r[11] for r in sel], style, alpha=0.5, label=f"numpy yardstick ({dtype})")
    sel = [r for r in rows if r[1] == "float32"]
    ax.loglog([r[0] for r in sel], [r[13] for r in sel], "k:", label="bandwidth floor (float32)")
    ax.set(xlabel="N", ylabel="seconds for 1000 ms", title="Paper benchmark, CPU (2 cores)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "paper_cpu.png", dpi=120)


if __name__ == "__main__":
    main()
