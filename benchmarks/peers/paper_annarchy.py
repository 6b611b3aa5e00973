"""Benchmark 1 (the BindsNET paper network) in ANNarchy 5, through its public API.

    <annarchy venv>/bin/python benchmarks/peers/paper_annarchy.py N [--storage lil|dense-p2p] [--native]
                                                                [--threads 2] [--build-dir DIR]

As in shared/reference/peer-benchmarks.md: Network(dt=1, seed=4321),
config(num_threads=threads, paradigm='openmp'); neuron
'v = v_rest + (v - v_rest)*decay + g_exc' (decay = exp(-1/100); g_exc is cleared
every step and the equation is frozen while refractory, so inputs arriving then are
dropped), spike 'v >= v_th', reset 'v = v_reset', refractory 5 ms, v0 = -65 mV;
PoissonPopulation(N, rates); all_to_all(weights=0, force_multiple_weights=True)
(one-step delay), then proj.w = W.T (post x pre) after compile().
--storage lil: ANNarchy's default (LIL, post_to_pre); dense-p2p:
storage_format='dense', storage_order='pre_to_post'.  --native: weights drawn by
ANNarchy (Normal(0, 1)) instead of the shared W.  Spikes counted by a 'spike' Monitor.

Code is generated and compiled into --build-dir (default: one folder per storage and
N under ${SNNGEN_PEERS:-~/.cache/snngen-peers}/annarchy-build, outside the repo): an
empty folder gives a cold start (~20 s of g++), one an earlier process compiled the
same network into gives a warm one (ANNarchy only recompiles changed code).

Timing: build = object creation + compile() (codegen, g++, library load, synapse
creation) + the weight upload; run = simulate(1000).  Imports and the shared numpy
draw are excluded.  Prints one JSON line.  On a machine loaded beyond its cores,
the OpenMP threads' spin-waiting inflates 'run' many-fold (OMP_WAIT_POLICY=passive
helps there, but it is not what the reference measured): time on a quiet machine.
"""

import math
import os
import sys
import time
from pathlib import Path

from _shared import emit, network, parser

args = parser(__doc__)
args.add_argument("--storage", default="lil", choices=["lil", "dense-p2p"])
args.add_argument("--native", action="store_true")
args.add_argument("--build-dir", default=None)
args = args.parse_args()
n = args.n
rates, W = network(n)
build_dir = Path(args.build_dir or Path(os.environ.get("SNNGEN_PEERS", Path.home() / ".cache" / "snngen-peers"))
                 / "annarchy-build" / f"{args.storage}{'-native' if args.native else ''}-{n}")
build_dir.mkdir(parents=True, exist_ok=True)
cold = not any(build_dir.glob("ANNarchyWrapper*.so"))

sys.argv = sys.argv[:1]  # ANNarchy parses the command line when imported
import ANNarchy as ann  # noqa: E402

t0 = time.perf_counter()
net = ann.Network(dt=1.0, seed=4321)
net.config(num_threads=args.threads, paradigm="openmp", disable_shared_library_time_offset=True)
LIF = ann.Neuron(
    parameters=dict(v_rest=-65.0, v_reset=-65.0, v_th=-52.0, decay=math.exp(-1.0 / 100.0)),
    equations="v = v_rest + (v - v_rest)*decay + g_exc : init=-65.0",
    spike="v >= v_th",
    reset="v = v_reset",
    refractory=5.0,
)
P = net.create(ann.PoissonPopulation(n, rates=rates))
G = net.create(geometry=n, neuron=LIF)
proj = net.connect(pre=P, post=G, target="exc")
storage = dict(storage_format="dense", storage_order="pre_to_post") if args.storage == "dense-p2p" else {}
if args.native:
    proj.all_to_all(weights=ann.Normal(0.0, 1.0), **storage)
else:
    proj.all_to_all(weights=0.0, force_multiple_weights=True, **storage)
M = net.monitor(G, ["spike"])
t_objects = time.perf_counter() - t0
t0 = time.perf_counter()
net.compile(directory=str(build_dir), silent=True)
t_compile = time.perf_counter() - t0
t0 = time.perf_counter()
if not args.native:
    proj.w = W.T.astype(float)
t_weights = time.perf_counter() - t0
build = t_objects + t_compile + t_weights

t0 = time.perf_counter()
net.simulate(1000.0)
t_run = time.perf_counter() - t0
spikes = sum(len(t) for t in M.get("spike").values())
emit(simulator="annarchy", target=args.storage + ("-native-w" if args.native else ""), n=n, threads=args.threads,
     build=build, run=t_run, spikes=int(spikes), compile=t_compile, weights=t_weights,
     start="cold" if cold else "warm", build_dir=str(build_dir),
     versions=dict(annarchy=ann.__release__, numpy=__import__("numpy").__version__))
