"""Benchmark workloads 2-5 for snngen, Brian2 and NEST, like for like, in one session on one machine.

    python benchmarks/peers/run_workloads.py [--workloads cuba coba cobahh izhikevich song scaling]
                                             [--sizes N ...] [--repeats 3] [--peers snngen brian2 nest]
                                             [--duration S] [--threads 2] [--timeout 1200] [--fresh]

Workloads (one script per simulator, each in that simulator's ordinary public API:
workloads_snngen.py, workloads_brian2.py, workloads_nest.py; dt 0.1 ms unless noted):

* ``cuba``: Vogels & Abbott (2005) as in Brian2's example CUBA.py, 4,000 LIF, p = 0.02, 1 s.
* ``coba``: Brette et al. (2007) benchmark 1 (COBA) as in Brian2's COBA benchmark script
  (euler, El -60 mV, I = 20 mV, we 0.6, wi 6.7 in units of the leak), 4,000 LIF, p = 0.02, 1 s.
* ``cobahh``: Brette et al. (2007) benchmark 3, Brian2's example COBAHH.py (exponential Euler),
  N = 4,000 and 64,000 with p = 80/N (in-degree kept at 80, as Brian2's benchmark scripts scale it).
* ``izhikevich``: Izhikevich (2003) net.m, Brian2's example frompapers/Izhikevich_2003.py: 1,000
  neurons (800 excitatory, RS-like with heterogeneity, 200 inhibitory, FS-like), all-to-all weights,
  Gaussian thalamic input redrawn every 1 ms step, dt = 1 ms, forward Euler, 1 s.  The shared draw
  (parameters and weights) comes from ``izhikevich_network`` below, identical for every simulator.
* ``song``: Song, Miller & Abbott (2000), 1,000 Poisson inputs at 15 Hz, additive STDP onto one
  conductance-based LIF (benchmarks/song2000_benchmark.py's model), 100 s.  N = number of inputs.
* ``scaling``: cuba at N = 4k, 16k, 64k (256k with --sizes) with p = 80/N; time per simulated second.

Timing per figure, one fresh process each: build (objects, connectivity, code generation/compilation
or NEST's Prepare) and run (the simulated duration).  snngen: one cold process (empty kernel cache),
then --repeats warm ones (median).  Brian2 cython: median of --repeats (its disk cache is warm after
the first process that compiled the same code).  Brian2 cpp_standalone (--threads OpenMP threads):
one cold process (empty build directory, single sample), then --repeats warm ones reusing it.
NEST (--threads threads): median of --repeats.  Peers run in their own venvs under
${SNNGEN_PEERS:-~/.cache/snngen-peers}; a missing one is reported "not installed".
Rows are merged into benchmarks/results/workloads.csv (same workload, N, simulator and target
replaced; --fresh starts a new file) and workloads.md is written from the whole CSV.

This module imports only the standard library at its top: the peer scripts import the shared
helpers below from it inside their own venvs.
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
RESULTS = HERE.parent / "results"
PEERS_ROOT = Path(os.environ.get("SNNGEN_PEERS", Path.home() / ".cache" / "snngen-peers"))
CSV = RESULTS / "workloads.csv"
FIELDS = ["workload", "N", "simulator", "target", "status", "build_s", "run_s", "total_s", "rate_hz", "spikes",
          "repeats", "versions", "note"]

# simulated seconds per workload
DURATION = dict(cuba=1.0, coba=1.0, cobahh=1.0, izhikevich=1.0, song=100.0, scaling=1.0)
SIZES = dict(cuba=[4000], coba=[4000], cobahh=[4000, 64000], izhikevich=[1000], song=[1000],
             scaling=[4000, 16000, 64000])
IN_DEGREE = 80  # CUBA/COBA/COBAHH: 4,000 x 0.02


def p_connect(n):
    """Connection probability keeping the in-degree at 80 (0.02 at N = 4,000), as Brian2's benchmarks scale it."""
    return IN_DEGREE / n


def izhikevich_network(n=1000, seed=1234):
    """The shared random draw of Izhikevich (2003)'s net.m: (ne, a, b, c, d, W) with W as (pre, post).

    re, ri ~ U(0, 1); excitatory a = 0.02, b = 0.2, c = -65 + 15 re^2, d = 8 - 6 re^2; inhibitory
    a = 0.02 + 0.08 ri, b = 0.25 - 0.05 ri, c = -65, d = 2; weights 0.5 U(0, 1) from excitatory
    and -U(0, 1) from inhibitory neurons, all to all (autapses included).
    """
    import numpy as np

    ne = n * 4 // 5
    ni = n - ne
    rng = np.random.default_rng(seed)
    re, ri = rng.uniform(size=ne), rng.uniform(size=ni)
    a = np.concatenate([np.full(ne, 0.02), 0.02 + 0.08 * ri])
    b = np.concatenate([np.full(ne, 0.2), 0.25 - 0.05 * ri])
    c = np.concatenate([-65 + 15 * re ** 2, np.full(ni, -65.0)])
    d = np.concatenate([8 - 6 * re ** 2, np.full(ni, 2.0)])
    post_pre = np.hstack([0.5 * rng.uniform(size=(n, ne)), -rng.uniform(size=(n, ni))])  # net.m's S
    return ne, a, b, c, d, np.ascontiguousarray(post_pre.T)


def peer_python(peer):
    if peer == "snngen":
        return Path(sys.executable)
    py = PEERS_ROOT / peer / "bin" / "python"
    return py if py.exists() and (PEERS_ROOT / peer / ".snngen-ok").exists() else None


def run_one(peer, args, timeout, env_extra=None):
    py = peer_python(peer)
    env = dict(os.environ, **(env_extra or {}))
    if peer != "snngen":
        env["PATH"] = f"{py.parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("PYTHONPATH", None)
    out = subprocess.run([str(py), str(HERE / f"workloads_{peer}.py"), *map(str, args)], capture_output=True,
                         text=True, env=env, timeout=timeout, cwd=str(HERE))
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:] or out.stdout[-3000:])
    return json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])


def summary(samples, note=""):
    m = {k: statistics.median(s[k] for s in samples) for k in ("build", "run", "total", "rate_hz")}
    m["spikes"] = statistics.median(s["spikes"] for s in samples)
    m["versions"] = samples[0].get("versions", {})
    notes = [note] if note else []
    if len(samples) > 1:
        runs = [s["run"] for s in samples]
        rates = [s["rate_hz"] for s in samples]
        notes.append(f"run {min(runs):.3g}-{max(runs):.3g} s")
        if max(rates) > min(rates):
            notes.append(f"rates {min(rates):.3g}-{max(rates):.3g} Hz")
    if "w_mean" in samples[0]:
        s = samples[-1]
        notes.append(f"w/wmax mean {s['w_mean']:.3f}, >0.9: {s['w_near_max']:.2f}, <0.1: {s['w_near0']:.2f}")
    if "synapses" in samples[0]:
        notes.append(f"{samples[0]['synapses']:,} synapses")
    m["note"] = "; ".join(notes)
    return m


def figures(workload, n, repeats, peers, threads, timeout, duration):
    """Yields (simulator, target, summary dict or status string)."""
    base = [workload, n, "--threads", threads] + (["--duration", duration] if duration else [])
    for peer in peers:
        if peer_python(peer) is None:
            yield peer, "-", "not installed"
            continue
        load = f"load {os.getloadavg()[0]:.1f} at start"  # the machine is shared: 1-min load average
        thr = f"{threads} thread{'s' if threads != 1 else ''}"
        try:
            if peer == "snngen":
                with tempfile.TemporaryDirectory() as cache:
                    env = dict(SNNGEN_CACHE_DIR=cache)
                    cold = run_one(peer, base, timeout, env)
                    warm = [run_one(peer, base, timeout, env) for _ in range(repeats)]
                yield peer, "warm", summary(warm, f"{thr}, {load}")
                yield peer, "cold", summary([cold], f"single sample, empty kernel cache, {load}")
            elif peer == "brian2":
                samples = [run_one(peer, base + ["--target", "cython"], timeout) for _ in range(repeats)]
                yield peer, "cython", summary(samples, f"1 thread, {load}")
                with tempfile.TemporaryDirectory() as d:
                    a = base + ["--target", "cpp_standalone", "--build-dir", d]
                    cold = run_one(peer, a, timeout)
                    warm = [run_one(peer, a, timeout) for _ in range(repeats)]
                yield peer, "cpp_standalone warm", summary(warm, f"{thr}, {load}")
                yield peer, "cpp_standalone cold", summary([cold], f"{thr}, single sample, {load}")
            else:
                samples = [run_one(peer, base, timeout) for _ in range(repeats)]
                yield peer, thr, summary(samples, load)
        except Exception as e:  # noqa: BLE001 - one failed figure must not stop the others
            msg = str(e).strip().splitlines()
            yield peer, "-", f"failed: {msg[-1] if msg else type(e).__name__}"[:300]


def load_rows():
    if not CSV.exists():
        return []
    with open(CSV, newline="") as f:
        return list(csv.DictReader(f))


def save_rows(rows):
    RESULTS.mkdir(exist_ok=True)
    order = {w: k for k, w in enumerate(DURATION)}
    sims = {s: k for k, s in enumerate(["snngen", "brian2", "nest"])}
    rows = sorted(rows, key=lambda r: (order.get(r["workload"], 99), int(float(r["N"])), sims.get(r["simulator"], 9)))
    with open(CSV, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    CSV.with_suffix(".md").write_text(table(rows))
    return rows


def g(x):
    return "" if x in ("", None) else f"{float(x):.3g}"


def table(rows):
    lines = [f"Workloads 2-5, seconds (median of the repeats in fresh processes unless noted), {os.cpu_count()} CPUs. "
             "Ratio: total / snngen warm total (> 1: snngen faster).", "",
             "| workload | N | simulator | target | build s | run s | total s | rate Hz | spikes | ratio | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["status"] != "ok":
            lines.append(f"| {r['workload']} | {int(float(r['N'])):,} | {r['simulator']} | {r['target']} | | | | | | | "
                         f"{r['status']} |")
            continue
        ref = next((x for x in rows if x["workload"] == r["workload"] and float(x["N"]) == float(r["N"])
                    and x["simulator"] == "snngen" and x["target"] == "warm" and x["status"] == "ok"), None)
        ratio = f"{float(r['total_s']) / float(ref['total_s']):.2f}" if ref else ""
        lines.append(f"| {r['workload']} | {int(float(r['N'])):,} | {r['simulator']} | {r['target']} | "
                     f"{g(r['build_s'])} | {g(r['run_s'])} | {g(r['total_s'])} | {g(r['rate_hz'])} | "
                     f"{int(float(r['spikes'])):,} | {ratio} | {r['note']} |")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workloads", nargs="+", default=list(DURATION), choices=list(DURATION))
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="N (default: each workload's own)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--peers", nargs="+", default=["snngen", "brian2", "nest"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", type=float, default=None, help="simulated seconds (default: each workload's)")
    p.add_argument("--timeout", type=float, default=1200)
    p.add_argument("--fresh", action="store_true", help="start a new workloads.csv instead of merging")
    p.add_argument("--csv", type=Path, default=None, help="the CSV to merge into (default: results/workloads.csv)")
    args = p.parse_args()
    global CSV
    CSV = args.csv or CSV
    rows = [] if args.fresh else load_rows()
    for wl in args.workloads:
        for n in args.sizes or SIZES[wl]:
            for sim, target, m in figures(wl, n, args.repeats, args.peers, args.threads, args.timeout,
                                          args.duration):
                if isinstance(m, str):
                    row = dict(workload=wl, N=n, simulator=sim, target=target, status=m)
                else:
                    d = args.duration or DURATION[wl]
                    row = dict(workload=wl, N=n, simulator=sim, target=target, status="ok",
                               build_s=f"{m['build']:.4g}", run_s=f"{m['run']:.4g}", total_s=f"{m['total']:.4g}",
                               rate_hz=f"{m['rate_hz']:.4g}", spikes=int(m["spikes"]),
                               repeats=1 if "cold" in target else args.repeats,
                               versions=" ".join(f"{k}={v}" for k, v in m["versions"].items()),
                               note="; ".join(x for x in [f"{d:g} s simulated" if d != DURATION[wl] else "",
                                                          m["note"]] if x))
                key = (wl, str(n), sim, target)
                rows = [r for r in rows if (r["workload"], str(int(float(r["N"]))), r["simulator"], r["target"]) != key]
                rows.append(row)
                print(json.dumps(row), flush=True)
                rows = save_rows(rows)
    print(table(rows))


if __name__ == "__main__":
    main()
