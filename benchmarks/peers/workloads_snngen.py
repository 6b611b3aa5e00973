"""Benchmark workloads 2-5 in snngen, through its public API (one workload per process).

    python benchmarks/peers/workloads_snngen.py WORKLOAD N [--duration S] [--threads 2] [--seed 4321]

WORKLOAD is one of cuba, coba, cobahh, izhikevich, song (scaling = cuba at N with in-degree 80).
The models are written exactly as in workloads_brian2.py (Brian2's examples; see the docstrings
there); snngen has no subgroups, so the exc/inh split is a condition on i.  Timing: build = object
creation + ``Network.prepare()`` (generate + compile, or load from the kernel cache: cold in an empty
$SNNGEN_CACHE_DIR, warm after), run = ``net.run(duration)``.  Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
from run_workloads import DURATION, izhikevich_network, p_connect


def commit():
    """The repository's commit (snngen changes under active development: rows name the code they measured)."""
    import subprocess
    from pathlib import Path

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "snngen"], capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parent, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def exc_inh(sg, P, ne, pc, extra):
    """The excitatory (first ``ne``) and inhibitory projections of P onto itself, p = pc each."""
    Ce = sg.Synapses(P, P, on_pre="ge += we")
    Ci = sg.Synapses(P, P, on_pre="gi += wi")
    Ce.connect(f"i < {ne}", p=pc)
    Ci.connect(f"i >= {ne}", p=pc)
    extra["synapses"] = Ce.N + Ci.N
    return [P, Ce, Ci]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workload", choices=sorted(DURATION))
    p.add_argument("n", type=int)
    p.add_argument("--duration", type=float, default=None, help="simulated seconds (default: the workload's)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=4321)
    args = p.parse_args()
    duration = args.duration or DURATION[args.workload]

    import snngen as sg
    from snngen.units import Hz, cm, mS, ms, mV, nS, second, siemens, uF, um

    sg.prefs.threads = args.threads
    t0 = time.perf_counter()
    sg.seed(args.seed)
    n, wl, extra = args.n, args.workload, {}
    if wl in ("cuba", "scaling"):
        taum, taue, taui = 20 * ms, 5 * ms, 10 * ms  # noqa: F841 - found by name in the equations
        Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV  # noqa: F841
        we, wi = (60 * 0.27 / 10) * mV, (-20 * 4.5 / 10) * mV  # noqa: F841
        ne, pc = n * 4 // 5, p_connect(n)
        P = sg.NeuronGroup(n, """dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
                                 dge/dt = -ge/taue : volt
                                 dgi/dt = -gi/taui : volt""",
                           threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="exact")
        P.v = "Vr + rand()*(Vt - Vr)"
        objs, pop = exc_inh(sg, P, ne, pc, extra), P
    elif wl == "coba":
        taum, taue, taui = 20 * ms, 5 * ms, 10 * ms  # noqa: F841
        Vt, Vr, El = -50 * mV, -60 * mV, -60 * mV  # noqa: F841
        Erev_exc, Erev_inh, I = 0 * mV, -80 * mV, 20 * mV  # noqa: F841
        we, wi = 0.6, 6.7  # noqa: F841
        ne, pc = n * 4 // 5, p_connect(n)
        P = sg.NeuronGroup(n, """
            dv/dt = (ge*(Erev_exc-v)+gi*(Erev_inh-v)-(v-El) + I)*(1./taum) : volt (unless refractory)
                                 dge/dt = -ge/taue : 1
                                 dgi/dt = -gi/taui : 1""",
                           threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="euler")
        P.v = "(randn()*5 - 55)*mV"
        objs, pop = exc_inh(sg, P, ne, pc, extra), P
    elif wl == "cobahh":
        area = 20000 * um ** 2
        Cm = (1 * uF * cm ** -2) * area  # noqa: F841
        gl = (5e-5 * siemens * cm ** -2) * area  # noqa: F841
        El, EK, ENa = -60 * mV, -90 * mV, 50 * mV  # noqa: F841
        g_na = (100 * mS * cm ** -2) * area  # noqa: F841
        g_kd = (30 * mS * cm ** -2) * area  # noqa: F841
        VT = -63 * mV  # noqa: F841
        taue, taui = 5 * ms, 10 * ms  # noqa: F841
        Ee, Ei = 0 * mV, -80 * mV  # noqa: F841
        we, wi = 6 * nS, 67 * nS  # noqa: F841
        ne, pc = n * 4 // 5, p_connect(n)
        P = sg.NeuronGroup(n, """
            dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-g_na*(m*m*m)*h*(v-ENa)-g_kd*(n*n*n*n)*(v-EK))/Cm : volt
            dm/dt = alpha_m*(1-m)-beta_m*m : 1
            dn/dt = alpha_n*(1-n)-beta_n*n : 1
            dh/dt = alpha_h*(1-h)-beta_h*h : 1
            dge/dt = -ge*(1./taue) : siemens
            dgi/dt = -gi*(1./taui) : siemens
            alpha_m = 0.32*(mV**-1)*(13*mV-v+VT)/(exp((13*mV-v+VT)/(4*mV))-1.)/ms : Hz
            beta_m = 0.28*(mV**-1)*(v-VT-40*mV)/(exp((v-VT-40*mV)/(5*mV))-1)/ms : Hz
            alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
            beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
            alpha_n = 0.032*(mV**-1)*(15*mV-v+VT)/(exp((15*mV-v+VT)/(5*mV))-1.)/ms : Hz
            beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
            """, threshold="v > -20*mV", refractory=3 * ms, method="exponential_euler")
        P.v = "El + (randn()*5 - 5)*mV"
        P.ge = "(randn()*1.5 + 4)*10.*nS"
        P.gi = "(randn()*12 + 20)*10.*nS"
        objs, pop = exc_inh(sg, P, ne, pc, extra), P
    elif wl == "izhikevich":
        ne, a, b, c, d, W = izhikevich_network(n)
        G = sg.NeuronGroup(n, """dv/dt = (0.04*v**2 + 5*v + 140 - u + I + I_noise)/ms : 1
                                 du/dt = (a*(b*v - u))/ms : 1
                                 I_noise = sigma*randn() : 1 (constant over dt)
                                 I : 1
                                 sigma : 1
                                 a : 1
                                 b : 1
                                 c : 1
                                 d : 1""", threshold="v >= 30", reset="v = c; u += d", method="euler")
        G.v = -65
        G.a, G.b, G.c, G.d = a, b, c, d
        G.u = "b*v"
        G.sigma = np.where(np.arange(n) < ne, 5.0, 2.0)
        S = sg.Synapses(G, G, "w : 1", on_pre={"up": "I += w", "down": "I -= w"},
                        delay={"up": 0 * ms, "down": 1 * ms})
        S.connect()
        S.w = W.ravel()
        objs, pop = [G, S], G
    elif wl == "song":
        v_rest, E_ex, tau_m, tau_ex, v_th, v_reset = -70 * mV, 0 * mV, 20 * ms, 5 * ms, -54 * mV, -60 * mV  # noqa
        g_max, A_plus, A_minus, tau_plus, tau_minus = 0.015, 0.005, 0.00525, 20 * ms, 20 * ms  # noqa: F841
        P = sg.PoissonGroup(n, 15 * Hz)
        G = sg.NeuronGroup(1, """dv/dt = (v_rest - v + g*(E_ex - v))/tau_m : volt
                                 dg/dt = -g/tau_ex : 1""", threshold="v > v_th", reset="v = v_reset",
                           method="euler")
        G.v = v_rest
        S = sg.Synapses(P, G, """w : 1
                                 dapre/dt = -apre/tau_plus : 1 (event-driven)
                                 dapost/dt = -apost/tau_minus : 1 (event-driven)""",
                        on_pre="g_post += w*g_max; apre += A_plus; w = clip(w - apost, 0, 1)",
                        on_post="apost += A_minus; w = clip(w + apre, 0, 1)")
        S.connect()
        S.w = "rand()"
        objs, pop = [P, G, S], G
    mon = sg.SpikeMonitor(pop, record=False)
    net = sg.Network(*objs, mon, dt=(1 * ms if wl == "izhikevich" else 0.1 * ms))
    net.prepare()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(duration * second)
    t_run = time.perf_counter() - t0
    spikes = int(mon.num_spikes)
    if wl == "song":
        w = np.asarray(S.w_ if hasattr(S, "w_") else S.w, dtype=float)
        extra.update(w_mean=float(w.mean()), w_near_max=float(np.mean(w > 0.9)), w_near0=float(np.mean(w < 0.1)))
    print(json.dumps(dict(simulator="snngen", workload=wl, n=n, duration=duration, build=build, run=t_run,
                          total=build + t_run, spikes=spikes, rate_hz=spikes / len(pop) / duration,
                          rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, threads=args.threads,
                          versions=dict(snngen=f"{sg.__version__}+{commit()}", numpy=np.__version__), **extra)),
          flush=True)


if __name__ == "__main__":
    main()
