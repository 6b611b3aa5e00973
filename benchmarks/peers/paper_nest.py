"""Benchmark 1 (the BindsNET paper network) in NEST, through PyNEST.

    <nest venv>/bin/python benchmarks/peers/paper_nest.py N [--threads 2] [--native]

As in shared/reference/peer-benchmarks.md: resolution 1.0 ms, rng_seed 4321;
N poisson_generator -> one_to_one -> N parrot_neuron -> all_to_all iaf_psc_delta
(E_L = V_reset = V_m = -65, V_th = -52, tau_m 100, t_ref 5, C_m 250,
refractory_input=False), static_synapse weight = W.T (targets x sources, float64,
mV jumps), delay 1.0 ms; spike_recorder.  build = Create + Connect + Prepare(),
run = Run(1000).  --native: weights drawn by NEST (normal(0, 1)) instead.
Prints one JSON line.
"""

import os
import time

from _shared import emit, network, parser

args = parser(__doc__)
args.add_argument("--native", action="store_true")
args = args.parse_args()
n = args.n
rates, W = network(n)
os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402

try:
    nest.verbosity = nest.VerbosityLevel.ERROR
except AttributeError:
    nest.set_verbosity("M_ERROR")
t0 = time.perf_counter()
nest.ResetKernel()
nest.SetKernelStatus(dict(resolution=1.0, local_num_threads=args.threads, rng_seed=4321))
gens = nest.Create("poisson_generator", n, params=[{"rate": float(r)} for r in rates])
parrots = nest.Create("parrot_neuron", n)
neurons = nest.Create("iaf_psc_delta", n, params=dict(E_L=-65.0, V_reset=-65.0, V_th=-52.0, tau_m=100.0,
                                                      t_ref=5.0, C_m=250.0, V_m=-65.0, refractory_input=False))
rec = nest.Create("spike_recorder")
nest.Connect(gens, parrots, "one_to_one")
weight = nest.random.normal(0.0, 1.0) if args.native else W.T.astype(float)
nest.Connect(parrots, neurons, "all_to_all", syn_spec=dict(synapse_model="static_synapse", weight=weight, delay=1.0))
nest.Connect(neurons, rec)
nest.Prepare()
build = time.perf_counter() - t0
t0 = time.perf_counter()
nest.Run(1000.0)
t_run = time.perf_counter() - t0
nest.Cleanup()
emit(simulator="nest", target="native-w" if args.native else "array-w", n=n, threads=args.threads, build=build,
     run=t_run, spikes=int(rec.n_events), versions=dict(nest=nest.__version__, numpy=__import__("numpy").__version__))
