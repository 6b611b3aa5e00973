"""Benchmark workloads 2-5 in Brian2, through its public API (one workload per process).

    <brian2 venv>/bin/python benchmarks/peers/workloads_brian2.py WORKLOAD N [--target cython|numpy|cpp_standalone]
                                                                  [--duration S] [--threads 2] [--build-dir DIR]

* cuba: Brian2's examples/CUBA.py unchanged (method 'exact'), p = 80/N (0.02 at N = 4,000).
* coba: Brette et al. 2007 benchmark 1 as in Brian2's COBA benchmark script: euler,
  dv/dt = (ge*(Erev_exc-v)+gi*(Erev_inh-v)-(v-El)+I)/taum, El = Vr = -60 mV, Vt -50 mV, I = 20 mV,
  ge/gi in units of the leak (we 0.6, wi 6.7), refractory 5 ms, v0 = -55 + 5 randn() mV.
* cobahh: Brian2's examples/COBAHH.py unchanged (exponential Euler, threshold v > -20 mV,
  refractory 3 ms, we 6 nS, wi 67 nS), p = 80/N.
* izhikevich: Brian2's examples/frompapers/Izhikevich_2003.py (dt 1 ms, euler, the 'up'/'down'
  pathways holding a spike's weight in I for one step, thalamic I_noise = 5 randn() / 2 randn()
  redrawn every 1 ms by run_regularly) with the shared draw of run_workloads.izhikevich_network.
* song: Song et al. 2000 as in benchmarks/song2000_benchmark.py (snngen's models.STDP_additive
  written out): PoissonGroup(N, 15 Hz), LIF with g in units of the leak, euler; additive STDP,
  A+ 0.005, A- 0.00525, tau 20 ms, w in [0, 1] x g_max 0.015, w0 = rand().

seed(4321).  Timing as in paper_brian2.py: build = objects (+ for cpp_standalone: codegen +
compile + the binary's start-up and result dump), run = the simulated duration (for cython it
includes Brian2's code generation, from its disk cache when warm; standalone: device._last_run_time).
Prints one JSON line.
"""

import argparse
import json
import resource
import time

import numpy as np
from run_workloads import DURATION, izhikevich_network, p_connect

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("workload", choices=sorted(DURATION))
p.add_argument("n", type=int)
p.add_argument("--target", default="cython", choices=["cython", "numpy", "cpp_standalone"])
p.add_argument("--duration", type=float, default=None)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--build-dir", default=None)
p.add_argument("--seed", type=int, default=4321)
args = p.parse_args()
duration = args.duration or DURATION[args.workload]
size, wl = args.n, args.workload

import brian2  # noqa: E402
from brian2 import (  # noqa: E402
    Equations,
    Hz,
    NeuronGroup,
    PoissonGroup,
    SpikeMonitor,
    Synapses,
    cm,
    defaultclock,
    device,
    ms,
    msiemens,
    mV,
    mvolt,
    nS,
    prefs,
    run,
    second,
    seed,
    set_device,
    siemens,
    ufarad,
    umetre,
)

standalone = args.target == "cpp_standalone"
if standalone:
    set_device("cpp_standalone", directory=args.build_dir, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
else:
    prefs.codegen.target = args.target

t0 = time.perf_counter()
seed(args.seed)
defaultclock.dt = 1 * ms if wl == "izhikevich" else 0.1 * ms
extra = {}
if wl in ("cuba", "scaling"):
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    eqs = """dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
             dge/dt = -ge/taue : volt
             dgi/dt = -gi/taui : volt"""
    P = NeuronGroup(size, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)
    wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight
    ne = size * 4 // 5
    Ce = Synapses(P[:ne], P, on_pre="ge += we")
    Ci = Synapses(P[ne:], P, on_pre="gi += wi")
    Ce.connect(p=p_connect(size))
    Ci.connect(p=p_connect(size))
    objs, pop = [P, Ce, Ci], P
elif wl == "coba":
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -60 * mV
    Erev_exc, Erev_inh, I = 0. * mV, -80. * mV, 20. * mvolt
    eqs = """dv/dt  = (ge*(Erev_exc-v)+gi*(Erev_inh-v)-(v-El) + I)*(1./taum) : volt (unless refractory)
             dge/dt = -ge/taue : 1
             dgi/dt = -gi/taui : 1"""
    P = NeuronGroup(size, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="euler")
    we, wi = 0.6, 6.7  # excitatory / inhibitory synaptic weight, in units of the leak conductance
    ne = size * 4 // 5
    Ce = Synapses(P[:ne], P, on_pre="ge += we")
    Ci = Synapses(P[ne:], P, on_pre="gi += wi")
    P.v = "(randn() * 5. - 55.) * mV"
    Ce.connect(p=p_connect(size))
    Ci.connect(p=p_connect(size))
    objs, pop = [P, Ce, Ci], P
elif wl == "cobahh":
    area = 20000 * umetre ** 2
    Cm = (1 * ufarad * cm ** -2) * area
    gl = (5e-5 * siemens * cm ** -2) * area
    El, EK, ENa = -60 * mV, -90 * mV, 50 * mV
    g_na = (100 * msiemens * cm ** -2) * area
    g_kd = (30 * msiemens * cm ** -2) * area
    VT = -63 * mV
    taue, taui = 5 * ms, 10 * ms
    Ee, Ei = 0 * mV, -80 * mV
    we, wi = 6 * nS, 67 * nS
    eqs = Equations("""
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
             g_na*(m*m*m)*h*(v-ENa)-
             g_kd*(n*n*n*n)*(v-EK))/Cm : volt
    dm/dt = alpha_m*(1-m)-beta_m*m : 1
    dn/dt = alpha_n*(1-n)-beta_n*n : 1
    dh/dt = alpha_h*(1-h)-beta_h*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    alpha_m = 0.32*(mV**-1)*(13*mV-v+VT)/
             (exp((13*mV-v+VT)/(4*mV))-1.)/ms : Hz
    beta_m = 0.28*(mV**-1)*(v-VT-40*mV)/
            (exp((v-VT-40*mV)/(5*mV))-1)/ms : Hz
    alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
    beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*(15*mV-v+VT)/
             (exp((15*mV-v+VT)/(5*mV))-1.)/ms : Hz
    beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
    """)
    P = NeuronGroup(size, model=eqs, threshold="v>-20*mV", refractory=3 * ms, method="exponential_euler")
    ne = size * 4 // 5
    Ce = Synapses(P[:ne], P, on_pre="ge+=we")
    Ci = Synapses(P[ne:], P, on_pre="gi+=wi")
    Ce.connect(p=p_connect(size))
    Ci.connect(p=p_connect(size))
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4) * 10.*nS"
    P.gi = "(randn() * 12 + 20) * 10.*nS"
    objs, pop = [P, Ce, Ci], P
elif wl == "izhikevich":
    ne, a_, b_, c_, d_, W = izhikevich_network(size)
    eqs = """dv/dt = (0.04*v**2 + 5*v + 140 - u + I + I_noise )/ms : 1
             du/dt = (a*(b*v - u))/ms  : 1
             I : 1
             I_noise : 1
             a : 1
             b : 1
             c : 1
             d : 1"""
    G = NeuronGroup(size, eqs, threshold="v>=30", reset="v=c; u+=d", method="euler")
    G.v = -65
    G.a, G.b, G.c, G.d = a_, b_, c_, d_
    G.u = "b*v"
    S = Synapses(G, G, "w : 1", on_pre={"up": "I += w", "down": "I -= w"}, delay={"up": 0 * ms, "down": 1 * ms})
    S.connect()
    S.w[:] = W.ravel()
    G[:ne].run_regularly("I_noise = 5*randn()", dt=1 * ms)
    G[ne:].run_regularly("I_noise = 2*randn()", dt=1 * ms)
    objs, pop = [G, S], G
elif wl == "song":
    v_rest, E_ex, tau_m, tau_ex, v_th, v_reset = -70 * mV, 0 * mV, 20 * ms, 5 * ms, -54 * mV, -60 * mV
    g_max, A_plus, A_minus, tau_plus, tau_minus = 0.015, 0.005, 0.00525, 20 * ms, 20 * ms
    P = PoissonGroup(size, 15 * Hz)
    G = NeuronGroup(1, """dv/dt = (v_rest - v + g*(E_ex - v))/tau_m : volt
                          dg/dt = -g/tau_ex : 1""", threshold="v > v_th", reset="v = v_reset", method="euler")
    G.v = v_rest
    S = Synapses(P, G, """w : 1
                          dapre/dt = -apre/tau_plus : 1 (event-driven)
                          dapost/dt = -apost/tau_minus : 1 (event-driven)""",
                 on_pre="g_post += w*g_max\napre += A_plus\nw = clip(w - apost, 0, 1)",
                 on_post="apost += A_minus\nw = clip(w + apre, 0, 1)")
    S.connect()
    S.w = "rand()"
    objs, pop = [P, G, S], G
M = SpikeMonitor(pop, record=False)
t_objects = time.perf_counter() - t0

if standalone:
    run(duration * second)
    t0 = time.perf_counter()
    device.build(directory=args.build_dir, compile=True, run=False, with_output=False)
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    device.run(directory=args.build_dir, with_output=False)
    t_binary = time.perf_counter() - t0
    t_run = device._last_run_time
    build = t_objects + t_compile + (t_binary - t_run)
    extra.update(compile=t_compile, binary_wall=t_binary, threads=args.threads)
else:
    t0 = time.perf_counter()
    run(duration * second)
    t_run = time.perf_counter() - t0
    build = t_objects
    extra.update(threads=1)
spikes = int(M.num_spikes)
if wl == "song":
    w = np.asarray(S.w[:], dtype=float)
    extra.update(w_mean=float(w.mean()), w_near_max=float(np.mean(w > 0.9)), w_near0=float(np.mean(w < 0.1)))
if wl in ("cuba", "scaling", "coba", "cobahh"):
    extra["synapses"] = int(len(Ce) + len(Ci))
print(json.dumps(dict(simulator="brian2", target=args.target, workload=wl, n=size, duration=duration, build=build,
                      run=t_run, total=build + t_run, spikes=spikes, rate_hz=spikes / len(pop) / duration,
                      rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      versions=dict(brian2=brian2.__version__, numpy=np.__version__), **extra)), flush=True)
