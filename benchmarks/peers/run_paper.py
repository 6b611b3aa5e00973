"""Benchmark 1 for snngen and every installed peer, in one session on one machine.

    python benchmarks/peers/run_paper.py [--sizes 1000 10000] [--repeats 3] [--peers brian2 nest bindsnet annarchy]

Peers run in their own venvs (made by benchmarks/peers/setup.sh under
${SNNGEN_PEERS:-~/.cache/snngen-peers}); a missing one is reported as "not installed".
One fresh process per figure; medians of --repeats.  snngen's figures come from
benchmarks/paper_benchmark.py's child (imported): "warm" = disk cache filled by a
cold process first (its start time is reported as cold_start).  Brian2
cpp_standalone and ANNarchy (LIL and dense-p2p storage, OpenMP --threads): one cold
process (empty build directory), then --repeats warm ones reusing that directory.
Brian2 cython uses Brian2's own disk cache (warm once any earlier process compiled
the same code).  Writes benchmarks/results/paper_peers.csv
and paper_peers.md (ratios: peer seconds / snngen seconds, > 1 = snngen faster).
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
BENCH = HERE.parent
RESULTS = BENCH / "results"
PEERS_ROOT = Path(os.environ.get("SNNGEN_PEERS", Path.home() / ".cache" / "snngen-peers"))
sys.path.insert(0, str(BENCH))

import paper_benchmark  # noqa: E402


def peer_python(peer):
    py = PEERS_ROOT / peer / "bin" / "python"
    return py if py.exists() and (PEERS_ROOT / peer / ".snngen-ok").exists() else None


def run_peer(peer, script_args, timeout):
    py = peer_python(peer)
    env = dict(os.environ)
    env["PATH"] = f"{py.parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    out = subprocess.run([str(py), str(HERE / f"paper_{peer}.py"), *map(str, script_args)], capture_output=True,
                         text=True, env=env, timeout=timeout, cwd=str(HERE))
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])


def median_of(samples):
    m = {k: statistics.median(s[k] for s in samples) for k in ("build", "run", "total", "rss_mb")}
    m["spikes"] = samples[0]["spikes"]
    m["versions"] = samples[0].get("versions", {})
    return m


def figures(n, repeats, peers, threads, timeout):
    """Yields (simulator, target, median dict or error string)."""
    for dtype in ("float32", "float64"):
        m = paper_benchmark.measure(n, dtype, repeats)
        import snngen

        version = dict(snngen=getattr(snngen, "__version__", "?"))
        yield "snngen", f"{dtype} warm", dict(build=m["build"] + m["start"], run=m["run"],
                                              total=m["build"] + m["start"] + m["run"], rss_mb=m["rss_mb"],
                                              spikes=m["spikes"], versions=version,
                                              note=f"cold start {m['cold_start']:.2f} s")
    plans = {
        "brian2": [("cython", ["--target", "cython"]), ("cpp_standalone", ["--target", "cpp_standalone"])],
        "nest": [(f"{threads} threads", [])],
        "bindsnet": [("poisson", []), ("bernoulli", ["--bernoulli"])],
        "annarchy": [("lil", ["--storage", "lil"]), ("dense-p2p", ["--storage", "dense-p2p"])],
    }
    cold_warm = {("brian2", "cpp_standalone"), ("annarchy", "lil"), ("annarchy", "dense-p2p")}
    for peer in peers:
        if peer_python(peer) is None:
            yield peer, "-", "not installed"
            continue
        for target, extra in plans[peer]:
            try:
                if (peer, target) in cold_warm:
                    with tempfile.TemporaryDirectory() as d:
                        a = [n, "--threads", threads, "--build-dir", d, *extra]
                        cold = run_peer(peer, a, timeout)
                        yield peer, f"{target} cold", dict(median_of([cold]), note="single sample")
                        warm = [run_peer(peer, a, timeout) for _ in range(repeats)]
                    yield peer, f"{target} warm", median_of(warm)
                else:
                    samples = [run_peer(peer, [n, "--threads", threads, *extra], timeout) for _ in range(repeats)]
                    yield peer, target, median_of(samples)
            except Exception as e:  # noqa: BLE001 - one failed figure must not stop the others
                yield peer, target, f"failed: {str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--peers", nargs="+", default=["brian2", "nest", "bindsnet", "annarchy"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--timeout", type=float, default=1200)
    args = p.parse_args()
    rows = []
    for n in args.sizes:
        for sim, target, m in figures(n, args.repeats, args.peers, args.threads, args.timeout):
            if isinstance(m, str):
                row = dict(N=n, simulator=sim, target=target, status=m)
            else:
                row = dict(N=n, simulator=sim, target=target, status="ok", build_s=m["build"], run_s=m["run"],
                           total_s=m["total"], spikes=m["spikes"], rss_mb=m["rss_mb"], repeats=args.repeats,
                           versions=" ".join(f"{k}={v}" for k, v in m["versions"].items()), note=m.get("note", ""))
            rows.append(row)
            print(json.dumps(row), flush=True)
    RESULTS.mkdir(exist_ok=True)
    fields = ["N", "simulator", "target", "status", "build_s", "run_s", "total_s", "spikes", "rss_mb", "repeats",
              "versions", "note"]
    with open(RESULTS / "paper_peers.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    md = table(rows, args)
    (RESULTS / "paper_peers.md").write_text(md)
    print(md)


def table(rows, args):
    lines = [f"Benchmark 1, seconds (median of {args.repeats} fresh processes unless noted), "
             f"{os.cpu_count()} CPUs. Ratios: peer / snngen float32 warm (> 1: snngen faster).", "",
             "| N | simulator | target | build s | run s | total s | spikes | total ratio | run ratio | note |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for n in args.sizes:
        ref = next((r for r in rows if r["N"] == n and r["simulator"] == "snngen" and r["target"].startswith("float32")
                    and r["status"] == "ok"), None)
        for r in (r for r in rows if r["N"] == n):
            if r["status"] != "ok":
                lines.append(f"| {n} | {r['simulator']} | {r['target']} | | | | | | | {r['status']} |")
                continue
            tr = f"{r['total_s'] / ref['total_s']:.2f}" if ref else ""
            rr = f"{r['run_s'] / ref['run_s']:.2f}" if ref and ref["run_s"] > 0 else ""
            lines.append(f"| {n} | {r['simulator']} | {r['target']} | {r['build_s']:.3f} | {r['run_s']:.3f} | "
                         f"{r['total_s']:.3f} | {r['spikes']:,} | {tr} | {rr} | {r['note']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
