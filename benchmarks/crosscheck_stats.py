"""Statistical cross-validation of snngen against Brian2 and NEST on stochastic networks.

    python benchmarks/crosscheck_stats.py [--seeds K] [--networks poisson_lif cuba]

Stochastic networks cannot match spike for spike across simulators (each has its own random
streams), so each network is run with K seeds in every simulator and two statistics are compared:
the mean firing rate (spikes per neuron per second) and the mean coefficient of variation (CV) of
the inter-spike intervals (over neurons with >= 3 spikes), both measured after a WARMUP_MS transient.

For a statistic x with per-seed values x_1..x_K in simulator A and y_1..y_K in B, the verdict is
|mean(x) - mean(y)| <= Z * sqrt(s_x^2/K + s_y^2/K) + floor, s the sample standard deviation over
seeds: a two-sample z-test at Z = 5.  If the simulators sample the same distribution the difference
exceeds 5 combined standard errors with probability < 1e-3 for a normal statistic (Welch's t with the
few degrees of freedom of 4-5 seeds: ~1e-2; hence also the small ``floor``, which covers seeds that
happen to agree closely).  Seeds are fixed and every object is named, so a run is reproducible, not
flaky.  Resolution with the default sizes: the per-seed standard deviation is ~0.13-0.2 Hz (~1.5 %)
of the rate and ~0.01-0.016 of the CV for poisson_lif, ~0.2 Hz (~3.5 %) and ~0.01 for cuba, so with 4-5
seeds the tolerances are ~0.5-0.7 Hz (~5 %) and ~0.04-0.05 (poisson_lif), ~0.8-0.9 Hz (~15 %) and ~0.05
(cuba): a systematic difference of that size fails.

Measured (2026-11-26, Brian2 2.11.0 numpy, NEST 3.10.0, default seeds): poisson_lif rate / CV snngen
11.62 / 0.729, Brian2 11.63 / 0.709, NEST 11.67 / 0.721; cuba 5.70 / 0.506, 5.56 / 0.498, 5.71 / 0.506.
With 16 seeds each (poisson_lif): snngen 11.595 +- 0.054 Hz / 0.7187 +- 0.0040, Brian2 11.542 +- 0.049 /
0.7121 +- 0.0032, NEST 11.662 +- 0.047 / 0.7150 +- 0.0030 (mean +- standard error): all within 1.3 SE.

Networks:
  poisson_lif  100 LIF (tau_m 20 ms, threshold 20 mV above rest, reset 10 mV, t_ref 2 ms, exact), each
               driven by its own 100 excitatory (+0.4 mV) and 25 inhibitory (-0.8 mV) Poisson sources
               at 40 Hz (12,500 PoissonGroup neurons, each with one synapse): fluctuation driven (mean
               input 16 mV, sigma ~3.6 mV), irregular firing at ~11.6 Hz, CV ~0.72; 5 seeds of 2 s.
               NEST: one poisson_generator per pathway at 100 x 40 Hz (resp. 25 x) to all neurons (an
               independent Poisson train per target: the sum of the sources; snngen and Brian2 draw
               Binomial(k, 40 Hz * dt) per step, whose variance is 0.4 % smaller: negligible here),
               iaf_psc_delta with refractory_input=False and threshold/reset scaled for its operator
               order (nest_run).
  cuba         Brian2's CUBA example (Vogels & Abbott 2005), 4000 LIF, p = 0.02, exact integration,
               v0 = U(Vr, Vt), 1 s, 4 seeds; connectivity and v0 drawn by each simulator itself
               (connect(condition=, p=), rand(); NEST pairwise_bernoulli, iaf_psc_exp with w*C_m/tau_m
               pA, delay one step, 1 thread).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
import crosscheck as cc  # noqa: E402  (PEERS_ROOT, the Brian2 venv discovery, the shared backends)

NETWORKS = ("poisson_lif", "cuba")
SEEDS = {"poisson_lif": (11, 12, 13, 14, 15), "cuba": (11, 12, 13, 14)}
Z = 5.0
# Absolute floors added to the tolerance (rate in Hz, CV): 1 % of the typical values, far below what a
# modelling difference moves (a 1-step shift of the refractory period moves the rate by ~2 %).
FLOOR = {"rate": 0.1, "cv": 0.01}
DT_MS = 0.1
WARMUP_MS = 100.0
DURATION_MS = {"poisson_lif": 2000.0, "cuba": 1000.0}

# poisson_lif parameters (mV, ms, Hz)
PL = dict(n=100, k_exc=100, k_inh=25, j_exc=0.4, j_inh=-0.8, rate=40.0,
          tau=20.0, e_l=-70.0, v_th=-50.0, v_reset=-60.0, t_ref=2.0)


def poisson_lif_connectivity():
    """(exc (i, j), inh (i, j)): source i drives neuron i // k only (independent inputs, no shared sources)."""
    out = []
    for k in (PL["k_exc"], PL["k_inh"]):
        i = np.arange(PL["n"] * k)
        out.append((i, i // k))
    return out


def statistics(i, t_s, n, duration_ms):
    """{rate, cv, spikes}: rate in Hz over [WARMUP_MS, duration]; mean ISI CV of neurons with >= 3 spikes."""
    i, t = np.asarray(i, dtype=np.int64), np.asarray(t_s, dtype=np.float64)
    keep = t >= WARMUP_MS * 1e-3
    i, t = i[keep], t[keep]
    window = (duration_ms - WARMUP_MS) * 1e-3
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    cvs = []
    bounds = np.searchsorted(i, np.arange(n + 1))
    for k in range(n):
        tk = t[bounds[k]:bounds[k + 1]]
        if len(tk) >= 3:
            isi = np.diff(tk)
            cvs.append(isi.std() / isi.mean())
    return {"rate": len(t) / (n * window), "cv": float(np.mean(cvs)) if cvs else float("nan"), "spikes": int(len(t))}


# --------------------------------------------------------------------------- snngen and Brian2 (shared code)
def _backend(name):
    if name == "snngen":
        import snngen as sg
        from snngen import units

        ns = dict(PoissonGroup=sg.PoissonGroup, NeuronGroup=sg.NeuronGroup, Synapses=sg.Synapses,
                  SpikeMonitor=sg.SpikeMonitor, seed=sg.seed, ms=units.ms, mV=units.mV, Hz=units.Hz)

        def run(objs, duration):
            sg.Network(*objs, dt=DT_MS * units.ms).run(duration)
    else:
        import brian2 as b2

        b2.prefs.codegen.target = "numpy"
        b2.prefs.core.default_float_dtype = np.float64
        ns = dict(PoissonGroup=b2.PoissonGroup, NeuronGroup=b2.NeuronGroup, Synapses=b2.Synapses,
                  SpikeMonitor=b2.SpikeMonitor, seed=b2.seed, ms=b2.ms, mV=b2.mV, Hz=b2.Hz)

        def run(objs, duration):
            b2.defaultclock.dt = DT_MS * b2.ms
            b2.Network(*objs).run(duration)

        ns["start_scope"] = b2.start_scope
    import types

    return types.SimpleNamespace(name=name, run=run, **ns)


# Every object is named: snngen keys its random streams by (seed, object name, ...), and automatic
# names (neurongroup_7) depend on what the process created before, so without names the same seed
# would give other draws after another network was built (see the report of this check).
def poisson_lif(L, seed):
    ms, mV, Hz = L.ms, L.mV, L.Hz
    if hasattr(L, "start_scope"):
        L.start_scope()
    L.seed(seed)
    (ie, je), (ii, ji) = poisson_lif_connectivity()
    ns = dict(tau=PL["tau"] * ms, E_L=PL["e_l"] * mV, v_th=PL["v_th"] * mV, v_reset=PL["v_reset"] * mV,
              J_E=PL["j_exc"] * mV, J_I=PL["j_inh"] * mV)
    G = L.NeuronGroup(PL["n"], "dv/dt = (E_L - v)/tau : volt (unless refractory)", threshold="v > v_th",
                      reset="v = v_reset", refractory=PL["t_ref"] * ms, method="exact", namespace=ns, name="pl_G")
    G.v = PL["e_l"] * mV
    PE = L.PoissonGroup(PL["n"] * PL["k_exc"], rates=PL["rate"] * Hz, name="pl_PE")
    PI = L.PoissonGroup(PL["n"] * PL["k_inh"], rates=PL["rate"] * Hz, name="pl_PI")
    SE = L.Synapses(PE, G, on_pre="v_post += J_E", namespace=ns, name="pl_SE")
    SI = L.Synapses(PI, G, on_pre="v_post += J_I", namespace=ns, name="pl_SI")
    SE.connect(i=ie, j=je)
    SI.connect(i=ii, j=ji)
    sm = L.SpikeMonitor(G)
    L.run([G, PE, PI, SE, SI, sm], DURATION_MS["poisson_lif"] * ms)
    return statistics(sm.i, sm.t_, PL["n"], DURATION_MS["poisson_lif"])


def cuba(L, seed):
    ms, mV = L.ms, L.mV
    if hasattr(L, "start_scope"):
        L.start_scope()
    L.seed(seed)
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV,
              we=(60 * 0.27 / 10) * mV, wi=(-20 * 4.5 / 10) * mV)
    P = L.NeuronGroup(4000, """dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
                               dge/dt = -ge/taue : volt
                               dgi/dt = -gi/taui : volt""",
                      threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="exact", namespace=ns,
                      name="cuba_P")
    P.v = "Vr + rand()*(Vt - Vr)"
    Ce = L.Synapses(P, P, on_pre="ge += we", namespace=ns, name="cuba_Ce")
    Ci = L.Synapses(P, P, on_pre="gi += wi", namespace=ns, name="cuba_Ci")
    Ce.connect(condition="i < 3200", p=0.02)
    Ci.connect(condition="i >= 3200", p=0.02)
    sm = L.SpikeMonitor(P)
    L.run([P, Ce, Ci, sm], DURATION_MS["cuba"] * ms)
    return statistics(sm.i, sm.t_, 4000, DURATION_MS["cuba"])


# --------------------------------------------------------------------------- NEST (child process)
def nest_run(network, seed):
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": DT_MS, "local_num_threads": 1, "rng_seed": seed, "print_time": False})
    T = DURATION_MS[network]
    if network == "poisson_lif":
        # Operator order: NEST adds a step's input, then tests the threshold; snngen and Brian2 test the
        # threshold, then add the input, which decays one step (x D = exp(-dt/tau)) before its test.
        # With x = v - E_L the two are the same linear system under x_nest = x_brian2 / D, so NEST gets
        # the threshold and reset (relative to E_L) divided by D.  Without it NEST fires ~5 % more.
        D = np.exp(-DT_MS / PL["tau"])
        G = nest.Create("iaf_psc_delta", PL["n"], params=dict(
            E_L=PL["e_l"], V_reset=PL["e_l"] + (PL["v_reset"] - PL["e_l"]) / D,
            V_th=PL["e_l"] + (PL["v_th"] - PL["e_l"]) / D, tau_m=PL["tau"], t_ref=PL["t_ref"],
            C_m=250.0, V_m=PL["e_l"], I_e=0.0, refractory_input=False))
        for k, w in ((PL["k_exc"], PL["j_exc"]), (PL["k_inh"], PL["j_inh"])):
            # one generator at k times the rate: an independent Poisson train per target (the sum of k
            # sources; snngen's and Brian2's k Bernoulli sources give Binomial(k, rate*dt) per step)
            gen = nest.Create("poisson_generator", params={"rate": k * PL["rate"]})
            nest.Connect(gen, G, "all_to_all", {"weight": w, "delay": DT_MS})
        n = PL["n"]
    else:
        C_m, tau_m = 250.0, 20.0
        G = nest.Create("iaf_psc_exp", 4000, params=dict(
            C_m=C_m, tau_m=tau_m, tau_syn_ex=5.0, tau_syn_in=10.0, E_L=-49.0, V_th=-50.0, V_reset=-60.0,
            t_ref=5.0, I_e=0.0))
        G.V_m = nest.random.uniform(-60.0, -50.0)
        we, wi = 60 * 0.27 / 10 * C_m / tau_m, -20 * 4.5 / 10 * C_m / tau_m  # mV jump -> pA
        nest.Connect(G[:3200], G, {"rule": "pairwise_bernoulli", "p": 0.02, "allow_autapses": True},
                     {"weight": we, "delay": DT_MS})
        nest.Connect(G[3200:], G, {"rule": "pairwise_bernoulli", "p": 0.02, "allow_autapses": True},
                     {"weight": wi, "delay": DT_MS})
        n = 4000
    rec = nest.Create("spike_recorder")
    nest.Connect(G, rec)
    nest.Simulate(T)
    ev = rec.get("events")
    first = G.tolist()[0]
    return statistics(np.asarray(ev["senders"]) - first, np.asarray(ev["times"]) * 1e-3, n, T)


# --------------------------------------------------------------------------- running them
FUNCS = dict(poisson_lif=poisson_lif, cuba=cuba)


def seeds_for(net, n_seeds=None):
    return SEEDS[net] if n_seeds is None else tuple(range(11, 11 + n_seeds))


def run_all(sim, networks, n_seeds=None):
    """{network: [stats per seed]} in this interpreter, for sim in snngen, brian2, nest."""
    out = {}
    for net in networks:
        t0 = time.perf_counter()
        if sim == "nest":
            out[net] = [nest_run(net, s) for s in seeds_for(net, n_seeds)]
        else:
            L = _backend(sim)
            out[net] = [FUNCS[net](L, s) for s in seeds_for(net, n_seeds)]
        out[net + "_seconds"] = time.perf_counter() - t0
    return out


def nest_python():
    """An interpreter that can import nest, or None."""
    py = cc.PEERS_ROOT / "nest" / "bin" / "python"
    return str(py) if py.exists() else None


def peer_python(sim):
    return cc.brian2_python() if sim == "brian2" else nest_python()


def start_peer(sim, networks, n_seeds=None, python=None):
    """A running subprocess computing run_all(sim, ...) in the peer's interpreter (None when it is absent)."""
    python = python or peer_python(sim)
    if python is None:
        return None
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.setdefault("OMP_NUM_THREADS", "1")
    cmd = [python, str(HERE), "--child", sim, "--networks", *networks]
    if n_seeds is not None:
        cmd += ["--seeds", str(n_seeds)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=str(HERE.parent))


def finish_peer(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(err[-3000:])
    return json.loads(out.strip().splitlines()[-1])


def compare(a, b):
    """{stat: (mean_a, mean_b, |diff|, tolerance)} for two lists of per-seed statistics."""
    out = {}
    for stat in ("rate", "cv"):
        x = np.array([s[stat] for s in a])
        y = np.array([s[stat] for s in b])
        se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
        out[stat] = (float(x.mean()), float(y.mean()), float(abs(x.mean() - y.mean())), float(Z * se + FLOOR[stat]))
    return out


def crosscheck(networks=NETWORKS, n_seeds=None, peers=("brian2", "nest")):
    """({peer: results or None}, snngen results): peers run in subprocesses while snngen runs here."""
    procs = {p: start_peer(p, networks, n_seeds) for p in peers}
    mine = run_all("snngen", networks, n_seeds)
    theirs = {p: (finish_peer(proc) if proc is not None else None) for p, proc in procs.items()}
    return theirs, mine


def report(theirs, mine, networks, stream=sys.stdout):
    ok = True
    for net in networks:
        m = mine[net]
        rates, cvs = [s["rate"] for s in m], [s["cv"] for s in m]
        print(f"  ({net}) snngen: rate {np.mean(rates):.3f} Hz (sd {np.std(rates, ddof=1):.3f}), CV {np.mean(cvs):.3f} "
              f"(sd {np.std(cvs, ddof=1):.3f}) over {len(m)} seeds ({mine[net + '_seconds']:.1f} s)", file=stream)
        for peer, res in theirs.items():
            if res is None:
                print(f"      vs {peer}: skipped (no {peer} here)", file=stream)
                continue
            cmp = compare(m, res[net])
            good = all(d <= tol for _, _, d, tol in cmp.values())
            ok &= good
            detail = "; ".join(f"{k} {ma:.3f} vs {mb:.3f} (|diff| {d:.3f} <= {tol:.3f}?)"
                               for k, (ma, mb, d, tol) in cmp.items())
            print(f"      vs {peer}: {'agrees' if good else 'DIFFERS'}  {detail}  ({res[net + '_seconds']:.1f} s)",
                  file=stream)
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--networks", nargs="*", default=list(NETWORKS))
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default: SEEDS per network)")
    args = p.parse_args()
    if args.child:
        import logging
        import warnings

        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        print(json.dumps(run_all(args.child, args.networks, args.seeds)))
        return
    theirs, mine = crosscheck(args.networks, args.seeds)
    print("snngen vs Brian2 and NEST: stochastic networks, mean rate and ISI CV over seeds "
          f"(|diff| <= {Z:g} combined standard errors + floor)")
    sys.exit(0 if report(theirs, mine, args.networks) else 1)


if __name__ == "__main__":
    main()
