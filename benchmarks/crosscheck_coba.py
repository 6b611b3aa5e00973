"""COBA (Brette et al. 2007 benchmark 1) in snngen against Brian2: the same network, spike for spike.

    python benchmarks/crosscheck_coba.py [--brian2-python PATH] [--cases coba1k ...] [--stats SEEDS]

Why: benchmarks/results/workloads.md has COBA (4000 neurons) firing ~6 % faster in Brian2 than in
snngen and NEST.  The workload scripts (benchmarks/peers/workloads_{snngen,brian2}.py, 'coba') write
the same model text, parameters (taum 20 ms, taue 5 ms, taui 10 ms, Vt -50 mV, Vr = El = -60 mV,
Erev_exc 0 mV, Erev_inh -80 mV, I 20 mV, we 0.6, wi 6.7, refractory 5 ms, euler, dt 0.1 ms),
the same initial conditions (v0 = (5 randn() - 55) mV, ge0 = gi0 = 0) and the same connectivity rule
(Bernoulli p = 80/N for every (pre, post) pair, autapses allowed, exc = the first 4N/5), but each
simulator draws the random numbers itself.  This script removes the randomness: the connectivity
(i, j arrays) and the initial v, ge, gi are drawn once with numpy and handed to both simulators, which
then integrate the same deterministic network (float64; Brian2's numpy target), and the spike trains
are compared as (neuron index, step) pairs and the v/ge/gi traces of a few neurons to 1e-9 of their
scale (benchmarks/crosscheck.py's compare()).

Cases (fixed connectivity and initial state, numpy seed 2025):
  coba1k      N = 1000, p = 0.08 (in-degree ~80), ge0 = gi0 = 0 as in the workloads, 300 ms
  coba1k_g0   the same with ge0 ~ U(0, 1), gi0 ~ U(0, 10) (exercises the conductance terms from step 0)
  coba4k      N = 4000, p = 0.02 (the workload's size and duration), ge0 = gi0 = 0, 1 s

--stats K: additionally runs the workload scripts themselves (each simulator drawing its own
connectivity and v0, N = 4000, 1 s) for seeds 1..K in snngen and Brian2 (cython target), and prints
the mean rate +- standard error over the seeds.

Findings (2026-11-26, Brian2 2.11.0 numpy target, float64; all three cases take ~15 s together):
  coba1k     5309 spikes in both (17.70 Hz), spike trains identical, v traces to 1.8e-16 of their scale
             (one ulp), ge/gi bit-identical
  coba1k_g0  5514 spikes in both (18.38 Hz), identical, v to 1.8e-16, ge/gi bit-identical
  coba4k     90419 spikes in both (22.60 Hz), identical over the whole 1 s, v to 1.8e-16, ge/gi bit-identical
So snngen computes COBA exactly as Brian2 does (Euler update, threshold, reset, refractoriness with the
'(unless refractory)' v, synaptic ge/gi increments, their order within a step).  The workload scripts'
model text, parameters, initial conditions and connection rule are the same too (see the top); the rate
difference in workloads.md comes from the random draws.  With --stats 24 (seeds 1..24, own draws, 1 s):
snngen 21.69 +- 0.29 Hz, Brian2 (cython) 21.49 +- 0.26 Hz (mean +- SE; per-seed SD 1.42 / 1.26 Hz, ~6 %
of the rate): a difference of 0.2 Hz = 0.5 combined SE.  One seed's rate varies by ~6 % between draws,
so a 3-seed mean has a standard error of ~0.8 Hz and a 1.4 Hz gap between two such means is ~1.3 SE.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
import crosscheck as cc  # noqa: E402  (the two backends, the Brian2 venv discovery, compare())

CASES = {"coba1k": dict(n=1000, p=0.08, g0=False, duration_ms=300.0),
         "coba1k_g0": dict(n=1000, p=0.08, g0=True, duration_ms=300.0),
         "coba4k": dict(n=4000, p=0.02, g0=False, duration_ms=1000.0)}
DEFAULT_CASES = ("coba1k", "coba1k_g0", "coba4k")
RECORD = (0, 1, 2, 3, 500, 799, 800, 999)  # v/ge/gi traces of these neurons (indices < N of every case)


def coba_network(n=1000, p=0.08, seed=2025, g0=False):
    """Fixed COBA connectivity and initial state (numpy): ((ie, je), (ii, ji), v0 [mV], ge0, gi0)."""
    rng = np.random.default_rng(seed)
    conn = rng.random((n, n)) < p  # (pre, post); autapses allowed, as connect(p=...) in both workload scripts
    pre, post = np.nonzero(conn)
    exc = pre < n * 4 // 5
    v0 = rng.standard_normal(n) * 5.0 - 55.0  # the workloads' v0 = (randn()*5 - 55) mV
    ge0 = rng.uniform(0.0, 1.0, n) if g0 else np.zeros(n)
    gi0 = rng.uniform(0.0, 10.0, n) if g0 else np.zeros(n)
    return (pre[exc], post[exc]), (pre[~exc], post[~exc]), v0, ge0, gi0


def case_coba(L, n, p, g0, duration_ms):
    """The 'coba' workload of benchmarks/peers/workloads_*.py with the connectivity and initial state handed in."""
    ms, mV = L.ms, L.mV
    (ie, je), (ii, ji), v0, ge0, gi0 = coba_network(n, p, g0=g0)
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-60 * mV,
              Erev_exc=0 * mV, Erev_inh=-80 * mV, I=20 * mV, we=0.6, wi=6.7)
    P = L.NeuronGroup(n, """dv/dt = (ge*(Erev_exc-v)+gi*(Erev_inh-v)-(v-El) + I)*(1./taum) : volt (unless refractory)
                            dge/dt = -ge/taue : 1
                            dgi/dt = -gi/taui : 1""",
                      threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="euler", namespace=ns)
    P.v = v0 * mV
    P.ge = ge0
    P.gi = gi0
    Ce = L.Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ci = L.Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ce.connect(i=ie, j=je)
    Ci.connect(i=ii, j=ji)
    sm = L.SpikeMonitor(P)
    rec = [k for k in RECORD if k < n]
    mons = {var: L.StateMonitor(P, var, record=rec) for var in ("v", "ge", "gi")}
    L.run([P, Ce, Ci, sm, *mons.values()], duration_ms * ms, 0.1 * ms)
    out = cc._result(dict(out=sm), {var: (m, var) for var, m in mons.items()}, 1e-4)
    out["synapses"] = int(len(ie) + len(ii))
    return out


def run_cases(backend, cases):
    return {c: case_coba(backend, **CASES[c]) for c in cases}


def run_brian2(cases, python=None, timeout=900):
    python = python or cc.brian2_python()
    if python is None:
        raise FileNotFoundError("Brian2 is not importable here and no venv at " + str(cc.PEERS_ROOT / "brian2"))
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    out = subprocess.run([python, str(HERE), "--child", "--cases", *cases], capture_output=True, text=True,
                         env=env, timeout=timeout, cwd=str(HERE.parent))
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def first_difference(mine, theirs):
    """The first step at which the spike trains differ (None if identical) and the spike counts."""
    a = set(zip(mine["spikes"]["out"][1], mine["spikes"]["out"][0]))
    b = set(zip(theirs["spikes"]["out"][1], theirs["spikes"]["out"][0]))
    d = a ^ b
    return (min(d)[0] if d else None), len(a), len(b)


def summary(case, mine, theirs):
    spec = CASES[case]
    first, na, nb = first_difference(mine, theirs)
    problems, info = cc.compare(mine, theirs)
    rate = 1000.0 / spec["duration_ms"] / spec["n"]
    head = (f"{case}: N {spec['n']}, {mine['synapses']} synapses, {spec['duration_ms']:g} ms; spikes snngen {na} "
            f"({na * rate:.2f} Hz), brian2 {nb} ({nb * rate:.2f} Hz); ")
    head += "spike trains identical" if first is None else f"first differing spike at step {first}"
    return head + "; " + "; ".join(info), problems


# --------------------------------------------------------------------------- rates over seeds (own draws)
def workload_rates(seeds, n=4000, duration=1.0, python=None, target="cython"):
    """{simulator: [rate_hz per seed]} from the workload scripts themselves (each draws its own network)."""
    peers = HERE.parent / "peers"
    python = python or cc.brian2_python()
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    out = {"snngen": [], "brian2": []}
    for s in seeds:
        for sim, cmd in (("snngen", [sys.executable, str(peers / "workloads_snngen.py"), "coba", str(n),
                                     "--seed", str(s), "--duration", str(duration)]),
                         ("brian2", [python, str(peers / "workloads_brian2.py"), "coba", str(n), "--seed", str(s),
                                     "--duration", str(duration), "--target", target])):
            r = subprocess.run(cmd, capture_output=True, text=True, env=env if sim == "brian2" else None,
                               cwd=str(peers), timeout=600)
            if r.returncode != 0:
                raise RuntimeError(f"{sim} seed {s}: {r.stderr[-2000:]}")
            out[sim].append(json.loads(r.stdout.strip().splitlines()[-1])["rate_hz"])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", nargs="*", default=list(DEFAULT_CASES), choices=list(CASES))
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--brian2-python", default=None)
    p.add_argument("--stats", type=int, default=0, metavar="K", help="also: workload rates over seeds 1..K")
    p.add_argument("--stats-target", default="cython", help="Brian2 codegen target of the --stats runs")
    args = p.parse_args()
    if args.child:
        import logging
        import warnings

        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        b = cc.brian2_backend()
        res = run_cases(b, args.cases)
        res["_version"] = b.version
        print(json.dumps(res))
        return
    failed = False
    if args.cases:
        theirs = run_brian2(args.cases, args.brian2_python)
        mine = run_cases(cc.snngen_backend(), args.cases)
        print(f"snngen vs Brian2 {theirs.get('_version', '?')} (numpy target, float64), COBA with fixed "
              "connectivity and initial state")
        for c in args.cases:
            line, problems = summary(c, mine[c], theirs[c])
            print("  " + line)
            for pr in problems:
                failed = True
                print("      - " + pr)
    if args.stats:
        seeds = list(range(1, args.stats + 1))
        rates = workload_rates(seeds, python=args.brian2_python, target=args.stats_target)
        print(f"COBA workload scripts, N 4000, 1 s, seeds {seeds} (each simulator draws its own network):")
        for sim, r in rates.items():
            r = np.asarray(r)
            print(f"  {sim:7s} rate {r.mean():.3f} +- {r.std(ddof=1) / np.sqrt(len(r)):.3f} Hz (mean +- SE); "
                  f"per seed {', '.join(f'{x:.2f}' for x in r)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
