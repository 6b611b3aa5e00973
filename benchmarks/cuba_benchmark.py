"""CUBA (Vogels & Abbott 2005, as in Brian2's examples): 4000 LIF, 3200 exc / 800 inh, p = 0.02.

    python benchmarks/cuba_benchmark.py [--repeats 3] [--backend cpu|cuda]

1 s at dt = 0.1 ms with exact integration.  Prints build (groups + connect),
start (generate + compile or load: cold in a fresh cache, then warm), run
(median of --repeats fresh processes, one seed each) and the mean firing rate over
the seeds (Brian2: 6.0 Hz for its seed; 5.5-6.0 Hz across simulators and seeds).
Writes benchmarks/results/cuba.csv (``--backend cuda``: cuba_cuda.csv, where "run" is a
second simulated second, replaying the CUDA graphs the first one captured).
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

RESULTS = Path(__file__).resolve().parent / "results"

CHILD = r"""
import json, time
import snngen as sg
from snngen.units import ms, mV, second
t0 = time.perf_counter()
sg.seed({seed})
taum, taue, taui = 20*ms, 5*ms, 10*ms
Vt, Vr, El = -50*mV, -60*mV, -49*mV
we, wi = (60*0.27/10)*mV, (-20*4.5/10)*mV
P = sg.NeuronGroup(4000, '''dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
                            dge/dt = -ge/taue : volt
                            dgi/dt = -gi/taui : volt''',
                   threshold="v > Vt", reset="v = Vr", refractory=5*ms, method="exact")
P.v = "Vr + rand()*(Vt - Vr)"
Ce = sg.Synapses(P, P, on_pre="ge += we")
Ci = sg.Synapses(P, P, on_pre="gi += wi")
Ce.connect("i < 3200", p=0.02)
Ci.connect("i >= 3200", p=0.02)
s = sg.SpikeMonitor(P, record=False)
net = sg.Network(P, Ce, Ci, s, dt=0.1*ms, backend={backend!r})
t_build = time.perf_counter() - t0
t0 = time.perf_counter(); net.prepare(); t_start = time.perf_counter() - t0
t0 = time.perf_counter(); net.run(1*second); t_run = time.perf_counter() - t0
spikes = int(s.num_spikes)
if {backend!r} == "cuda":
    t0 = time.perf_counter(); net.run(1*second); t_run = time.perf_counter() - t0
print(json.dumps(dict(build=t_build, start=t_start, run=t_run, spikes=spikes,
                      rate=spikes / 4000 / 1.0, synapses=Ce.N + Ci.N, method=P.integration_method)))
"""


def child(env, seed, backend="cpu"):
    code = CHILD.format(seed=seed, backend=backend)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backend", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SNNGEN_CACHE_DIR=cache)
        cold = child(env, 4321, args.backend)
        warm = [child(env, 4321 + k, args.backend) for k in range(args.repeats)]
    med = {k: statistics.median(w[k] for w in warm) for k in ("build", "start", "run")}
    med["rate"] = statistics.mean(w["rate"] for w in [cold] + warm)
    rows = [("build (groups + connect) s", med["build"]), ("start, cold (compile) s", cold["start"]),
            ("start, warm (cache) s", med["start"]), ("run 1 s biological, s", med["run"]),
            ("total warm s", med["build"] + med["start"] + med["run"]),
            ("mean rate Hz (mean over the seeds)", med["rate"]),
            ("rates over seeds Hz", " ".join(f"{w['rate']:.2f}" for w in [cold] + warm)),
            ("synapses", cold["synapses"]), ("method", cold["method"])]
    print(f"CUBA, 4000 neurons, 1 s at dt = 0.1 ms, {args.backend}; median of {args.repeats} warm processes")
    for name, value in rows:
        print(f"  {name:36} {value:.3f}" if isinstance(value, float) else f"  {name:36} {value}")
    RESULTS.mkdir(exist_ok=True)
    name = "cuba.csv" if args.backend == "cpu" else "cuba_cuda.csv"
    with open(RESULTS / name, "w", newline="") as f:
        csv.writer(f).writerows([("measure", "value")] + rows)


if __name__ == "__main__":
    main()
