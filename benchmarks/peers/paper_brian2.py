"""Benchmark 1 (the BindsNET paper network) in Brian2, through its public API.

    <brian2 venv>/bin/python benchmarks/peers/paper_brian2.py N [--target cython|numpy|cpp_standalone]
                                                              [--threads 2] [--build-dir DIR]

Configured as in shared/reference/peer-benchmarks.md: PoissonGroup(N, rates),
LIF 'dv/dt = -(v - v_rest)/tau_m : volt (unless refractory)', threshold v >= v_th,
reset v = v_reset, refractory 5 ms, method 'exact', v0 = -65 mV;
Synapses(on_pre='v_post += w*mV*int(not_refractory_post)'), connect(), S.w[:] = W.ravel();
SpikeMonitor(record=False); seed(4321); dt = 1 ms, 1000 ms.

Timing: build = everything before the simulated second (for the runtime targets,
Brian2 generates and compiles code inside run(), so a cold cache shows up in
'run'); for cpp_standalone, build = object creation + device.build(run=False)
(codegen + compile) + the binary's start-up, synapse creation and result dump
(wall of device.run() minus the main loop), run = device._last_run_time.
Prints one JSON line.
"""

import time

from _shared import emit, network, parser

args = parser(__doc__)
args.add_argument("--target", default="cython", choices=["cython", "numpy", "cpp_standalone"])
args.add_argument("--build-dir", default=None)
args = args.parse_args()
n = args.n
input_rates, W = network(n)

import brian2  # noqa: E402
from brian2 import (  # noqa: E402
    Hz,
    NeuronGroup,
    PoissonGroup,
    SpikeMonitor,
    Synapses,
    defaultclock,
    device,
    ms,
    mV,
    prefs,
    run,
    seed,
    set_device,
)

standalone = args.target == "cpp_standalone"
if standalone:
    set_device("cpp_standalone", directory=args.build_dir, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
else:
    prefs.codegen.target = args.target

t0 = time.perf_counter()
seed(4321)
defaultclock.dt = 1 * ms
P = PoissonGroup(n, input_rates * Hz)
G = NeuronGroup(n, "dv/dt = -(v - v_rest)/tau_m : volt (unless refractory)", threshold="v >= v_th",
                reset="v = v_reset", refractory=5 * ms, method="exact",
                namespace=dict(v_rest=-65 * mV, v_reset=-65 * mV, v_th=-52 * mV, tau_m=100 * ms))
G.v = -65 * mV
S = Synapses(P, G, "w : 1", on_pre="v_post += w*mV*int(not_refractory_post)")
S.connect()
S.w[:] = W.ravel().astype(float)
M = SpikeMonitor(G, record=False)
t_objects = time.perf_counter() - t0

if standalone:
    run(1000 * ms)
    t0 = time.perf_counter()
    device.build(directory=args.build_dir, compile=True, run=False, with_output=False)
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    device.run(directory=args.build_dir, with_output=False)
    t_binary = time.perf_counter() - t0
    t_run = device._last_run_time
    build = t_objects + t_compile + (t_binary - t_run)
    extra = dict(compile=t_compile, binary_wall=t_binary, threads=args.threads)
else:
    t0 = time.perf_counter()
    run(1000 * ms)
    t_run = time.perf_counter() - t0
    build = t_objects
    extra = dict(threads=1)
emit(simulator="brian2", target=args.target, n=n, build=build, run=t_run, spikes=int(M.num_spikes),
     versions=dict(brian2=brian2.__version__, numpy=__import__("numpy").__version__), **extra)
