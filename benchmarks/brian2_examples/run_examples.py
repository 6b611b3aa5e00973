"""Brian2's own examples on Brian2 and on snngen, with only the import line changed.

    python benchmarks/brian2_examples/run_examples.py [--target brian2|snngen|both] [--only SUBSTRING ...]
                                                      [--timeout S] [--jobs N] [--report-only]

The collection is Brian2's ``examples/`` (top level, synapses/, advanced/, frompapers/ and its
subfolders), read at run time from the Brian2 git mirror (``--mirror``; Brian2's code is CeCILL
and never copied into this repository), less compartmental/, standalone/, multiprocessing/, any
script that mentions GSL, and helper modules that a sibling imports (params.py, plot_utils.py).

Each script runs in a fresh subprocess, in a temporary copy of its folder (so sibling imports and
data files work), with MPLBACKEND=Agg, TMPDIR inside that copy, a timeout (``--timeout``, 600 s),
and private caches under ``~/.cache/snngen-brian2-examples`` (SNNGEN_CACHE_DIR for snngen,
CYTHON_CACHE_DIR for Brian2's cython target).  Brian2 runs in its peer venv
(``~/.cache/snngen-peers/brian2``, made by ``benchmarks/peers/setup.sh brian2``); matplotlib
and scipy, which the examples need and that venv lacks, are installed once with that venv's
pip into ``~/.cache/snngen-peers/brian2-examples-extras`` and put on its PYTHONPATH.  snngen
runs with this interpreter.  For snngen the only edit is to import lines: ``brian2`` becomes
``snngen.brian2`` in ``from brian2... import`` / ``import brian2...`` lines of the script and of
its sibling modules (``import brian2`` alone becomes ``import snngen.brian2 as brian2``); the
count of edited lines (script plus the helper modules it imports) is reported.

Headline numbers come from ``headline.py``, which runs the script through runpy and records
every monitor in creation order: SpikeMonitor spike counts, PopulationRateMonitor mean rates
(and the spike count they imply), StateMonitor mean and std of each recorded variable over all
its values, and the final simulated time.  Monitors are matched by kind and creation order.

Tolerance rule (Brian2 is the reference b, snngen s; the two use different random generators):

- spike counts (SpikeMonitor, EventMonitor, and the count a PopulationRateMonitor implies):
  ``|s - b| <= max(0.05*b, 3*sqrt(b))``;
- each StateMonitor variable: the number of recorded values by the count rule (a monitor of
  randomly connected synapses varies in size; exact for scripts that use no randomness),
  ``|mean_s - mean_b| <= 0.05*|mean_b| + 0.5*std_b`` and ``|std_s - std_b| <= 0.1*std_b + 0.05*|mean_b|``;
- final simulated time equal to 1e-9 (relative); the same monitors of each kind.

A script *agrees* when every number passes.  "max rel diff" is the largest relative difference
of any headline number, so that deterministic scripts (column ``random`` = no; a text heuristic) can be
seen to match far more tightly: counts ``|s-b|/max(b,1)``, means ``|s-b|/(|mean_b|+std_b)``,
stds ``|s-b|/(std_b+|mean_b|)`` (scales that keep a variable averaging ~0 meaningful).

Results: ``benchmarks/brian2_examples/results.json`` keeps the latest run of each script on each
target (Brian2's do not change, so ``--target snngen``, the default, reruns snngen alone and merges), and each
invocation rewrites ``benchmarks/results/brian2_examples.csv`` and ``.md``.  Full output of
each run: ``~/.cache/snngen-brian2-examples/logs/<target>/<script>.log``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS_JSON = HERE / "results.json"
OUT_CSV = REPO / "benchmarks" / "results" / "brian2_examples.csv"
OUT_MD = OUT_CSV.with_suffix(".md")
MIRROR = Path("/work/.mirror/brian-team+brian2/repo")
PEERS = Path(os.environ.get("SNNGEN_PEERS", Path.home() / ".cache" / "snngen-peers"))
BRIAN2_PY = PEERS / "brian2" / "bin" / "python"
EXTRAS = PEERS / "brian2-examples-extras"
WORK = Path.home() / ".cache" / "snngen-brian2-examples"

INCLUDED = ("", "synapses", "advanced", "frompapers")  # top folders; frompapers/ with its subfolders
EXCLUDED = ("compartmental", "standalone", "multiprocessing")
IMPORT_LINE = re.compile(r"^(\s*)(from|import)(\s+)brian2\b(.*)$")
RANDOM = re.compile(r"rand\(|randn\(|\bxi\b|\bxi_|Poisson|random|shuffle|connect\([^)]*\bp\s*=")
COLUMNS = ["script", "random", "brian2", "brian2_s", "snngen", "snngen_s", "lines_changed", "snngen_error",
           "headline", "max_rel_diff", "worst", "note"]

_lock = threading.Lock()


# ---------------------------------------------------------------- the collection

def extract_examples(mirror, dest):
    """``examples/`` of the mirror's HEAD into ``dest``; returns (examples dir, commit)."""
    commit = subprocess.run(["git", "-C", str(mirror), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    archive = subprocess.run(["git", "-C", str(mirror), "archive", "HEAD", "examples"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return Path(dest) / "examples", commit


def imported_siblings(path):
    """The .py files beside ``path`` that it imports (``from params import *``)."""
    text = path.read_text()
    return [p for p in path.parent.glob("*.py")
            if p != path and re.search(rf"^\s*(from|import)\s+{re.escape(p.stem)}\b", text, re.M)]


def collection(examples):
    """Relative paths of the scripts to run, sorted."""
    scripts, helpers = [], set()
    for path in sorted(examples.rglob("*.py")):
        rel = path.relative_to(examples)
        top = rel.parts[0] if len(rel.parts) > 1 else ""
        if top in EXCLUDED or top not in INCLUDED or "gsl" in path.read_text().lower():
            continue
        scripts.append(rel)
        helpers.update(p.relative_to(examples) for p in imported_siblings(path))
    return [s.as_posix() for s in scripts if s not in helpers]


# ---------------------------------------------------------------- running one script

def to_snngen(text):
    """``text`` with brian2 imports mapped to snngen.brian2; returns (new text, lines changed)."""
    lines, changed = text.splitlines(keepends=True), 0
    for k, line in enumerate(lines):
        m = IMPORT_LINE.match(line.rstrip("\n"))
        if not m:
            continue
        indent, kw, space, rest = m.groups()
        if kw == "import" and not rest.startswith((".", " as")):  # ``import brian2``: keep the name brian2
            rest += " as brian2"
        lines[k] = f"{indent}{kw}{space}snngen.brian2{rest}\n"
        changed += 1
    return "".join(lines), changed


def prepare(examples, script, target, dest):
    """Copy the script's folder (files only) into ``dest``; returns (script path, lines changed)."""
    src = examples / script
    for f in src.parent.iterdir():
        if f.is_file():
            shutil.copy2(f, dest / f.name)
    changed = 0
    if target == "snngen":
        counted = {src.name} | {p.name for p in imported_siblings(src)}
        for f in dest.glob("*.py"):
            text, n = to_snngen(f.read_text())
            f.write_text(text)
            changed += n if f.name in counted else 0
    return dest / src.name, changed


def ensure_brian2_extras():
    """matplotlib and scipy for Brian2's venv, in a folder of their own (the peer venv stays untouched)."""
    probe = [str(BRIAN2_PY), "-c", "import matplotlib, scipy"]
    if subprocess.run(probe, env={**os.environ, "PYTHONPATH": str(EXTRAS)}, capture_output=True).returncode:
        print(f"installing matplotlib and scipy for Brian2 into {EXTRAS}", flush=True)
        subprocess.run([str(BRIAN2_PY), "-m", "pip", "install", "-q", "--target", str(EXTRAS), "matplotlib",
                        "scipy"], check=True)
        for name in ("numpy", "numpy.libs", "packaging", "pyparsing"):  # the venv's own copies win
            for p in EXTRAS.glob(f"{name}*"):
                shutil.rmtree(p, ignore_errors=True)


def run_one(examples, script, target, timeout):
    """Run one script on one simulator; returns its record for results.json."""
    with tempfile.TemporaryDirectory(prefix="b2ex-") as tmp:
        tmp = Path(tmp)
        (tmp / "tmp").mkdir()
        path, changed = prepare(examples, script, target, tmp)
        out = tmp / "headline.json"
        env = {**os.environ, "MPLBACKEND": "Agg", "TMPDIR": str(tmp / "tmp"), "PYTHONUNBUFFERED": "1",
               "SNNGEN_CACHE_DIR": str(WORK / "snngen-cache"), "CYTHON_CACHE_DIR": str(WORK / "cython-cache")}
        python = sys.executable
        if target == "brian2":
            python = str(BRIAN2_PY)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EXTRAS), env.get("PYTHONPATH")]))
        log = WORK / "logs" / target / (script.replace("/", "__") + ".log")
        log.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        with open(log, "w") as f:
            proc = subprocess.Popen([python, str(HERE / "headline.py"), "--sim", target, str(path), str(out)],
                                    cwd=tmp, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the script's own process group (pools included)
                proc.wait()
                rc = None
        wall = round(time.perf_counter() - start, 1)
        data = json.loads(out.read_text()) if out.exists() else {}
    record = {"wall_s": wall, "lines_changed": changed, "date": time.strftime("%Y-%m-%d %H:%M")}
    if rc is None:
        record.update(status="timeout", error=f"timeout after {timeout} s")
    elif rc == 0:
        record.update(status="ok", headline={k: data.get(k) for k in ("monitors", "t_end")})
    else:
        error = data.get("error") or _last_line(log) or f"exit code {rc}"
        record.update(status="error", error=error, origin=data.get("origin", ""),
                      script_line=data.get("script_line", ""))
        if data.get("t_end"):  # it simulated something before failing
            record["headline"] = {k: data.get(k) for k in ("monitors", "t_end")}
    return record


def _last_line(log):
    lines = [ln for ln in Path(log).read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


# ---------------------------------------------------------------- comparing headlines

def _count_check(b, s):
    ok = abs(s - b) <= max(0.05 * b, 3 * math.sqrt(max(b, 0)))
    return ok, abs(s - b) / max(abs(b), 1)


def _num(x):
    return float("nan") if x is None else float(x)


def _var_check(b, s, random):
    """(ok, [(rel, what)]) for one StateMonitor variable's {mean, std, n}."""
    if not b["n"] or not s["n"]:
        return b["n"] == s["n"], [] if b["n"] == s["n"] else [(math.inf, f"{b['n']} vs {s['n']} values")]
    n_ok, n_rel = _count_check(b["n"], s["n"])  # random connectivity: a synaptic monitor's size varies
    n_ok = n_ok if random else b["n"] == s["n"]
    mb, sb, ms, ss = _num(b["mean"]), _num(b["std"]), _num(s["mean"]), _num(s["std"])
    if any(math.isnan(x) for x in (mb, sb, ms, ss)):
        same = math.isnan(mb) == math.isnan(ms) and math.isnan(sb) == math.isnan(ss)
        return same, [] if same else [(math.inf, "NaN")]
    scale = abs(mb) + sb
    ok = n_ok and abs(ms - mb) <= 0.05 * abs(mb) + 0.5 * sb and abs(ss - sb) <= 0.1 * sb + 0.05 * abs(mb)
    rel = (abs(ms - mb) / scale, abs(ss - sb) / scale) if scale else (abs(ms - mb), abs(ss - sb))
    return ok, [(rel[0], "mean"), (rel[1], "std"), (n_rel, f"values {b['n']} vs {s['n']}")]


def compare(b, s, random=True):
    """Compare two headlines; returns (agree|disagree, max rel diff, what it was, note)."""
    ok, diffs, notes = True, [], []
    tb, ts = b.get("t_end") or 0.0, s.get("t_end") or 0.0
    if abs(ts - tb) > 1e-9 * max(abs(tb), 1e-3):
        ok = False
        notes.append(f"t_end {tb} vs {ts}")
    by_kind = {}
    for side, mons in (("b", b.get("monitors") or []), ("s", s.get("monitors") or [])):
        for m in mons:
            by_kind.setdefault(m["kind"], {"b": [], "s": []})[side].append(m)
    for kind, pair in by_kind.items():
        if len(pair["b"]) != len(pair["s"]):
            ok = False
            notes.append(f"{kind}: {len(pair['b'])} vs {len(pair['s'])}")
        for k, (mb, ms) in enumerate(zip(pair["b"], pair["s"])):
            tag = f"{kind}#{k}"
            if "unreadable" in mb or "unreadable" in ms:
                ok = False
                notes.append(f"{tag} unreadable: {ms.get('unreadable') or mb.get('unreadable')}")
            elif kind in ("SpikeMonitor", "EventMonitor", "PopulationRateMonitor"):
                key = "count" if kind == "PopulationRateMonitor" else "num_spikes"
                good, rel = _count_check(mb[key], ms[key])
                ok &= good
                diffs.append((rel, f"{tag} {key} {mb[key]:.6g} vs {ms[key]:.6g}"))
            else:
                for var, vb in mb["vars"].items():
                    vs = ms["vars"].get(var)
                    if vs is None:
                        ok = False
                        notes.append(f"{tag}.{var} missing")
                        continue
                    good, rels = _var_check(vb, vs, random)
                    ok &= good
                    diffs += [(r, f"{tag}.{var} {what}") for r, what in rels]
    rel, worst = max(diffs, default=(0.0, ""))
    return ("agree" if ok else "disagree"), rel, worst, "; ".join(notes)


# ---------------------------------------------------------------- tables

def rows(scripts, results, examples):
    out = []
    for name in scripts:
        b, s = results["brian2"].get(name, {}), results["snngen"].get(name, {})
        text = "".join(p.read_text() for p in [examples / name, *imported_siblings(examples / name)])
        row = {"script": name, "random": "yes" if RANDOM.search(text) else "no",
               "brian2": b.get("status", ""), "brian2_s": b.get("wall_s", ""),
               "snngen": s.get("status", ""), "snngen_s": s.get("wall_s", ""),
               "lines_changed": s.get("lines_changed", ""),
               "snngen_error": s.get("error", "") if s.get("status") != "ok" else "",
               "headline": "n/a", "max_rel_diff": "", "worst": "", "note": ""}
        hb, hs = b.get("headline"), s.get("headline")
        if b.get("status") == "ok" and s.get("status") == "ok":
            verdict, rel, worst, note = compare(hb, hs, row["random"] == "yes")
            if not hb["monitors"] and not hs["monitors"]:
                verdict, note = "n/a", f"no monitors; {note or 'same final time'}"
            row.update(headline=verdict, max_rel_diff=f"{rel:.2g}", worst=worst, note=note)
            out.append(row)
            continue
        notes = []
        if b.get("status") not in ("ok", None):
            notes.append(f"Brian2: {b.get('error', '')}")
        if s.get("status") == "error":
            notes.append(f"snngen at line {s.get('script_line') or '?'}")
        if hb and hs:  # both simulated before one of them failed (often while plotting)
            t_s, t_b = hs["t_end"], hb["t_end"]
            notes.append(f"simulated {t_s:.4g} s of {t_b:.4g} s")
            if abs(t_s - t_b) <= 1e-9 * max(t_b, 1e-3):
                verdict, rel, _, _ = compare(hb, hs, row["random"] == "yes")
                notes[-1] += f" (numbers: {verdict}, max rel diff {rel:.2g})"
        row["note"] = "; ".join(notes)
        out.append(row)
    return out


def _md_cell(x):
    return str(x).replace("|", "\\|").replace("\n", " ")[:160]


def write_tables(table, meta):
    OUT_CSV.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT_CSV, "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        w.writerows(table)
    n = len(table)
    b_ok = sum(r["brian2"] == "ok" for r in table)
    s_ok = sum(r["snngen"] == "ok" for r in table)
    both = sum(r["brian2"] == "ok" and r["snngen"] == "ok" for r in table)
    agree = sum(r["headline"] == "agree" for r in table)
    rule = __doc__.split("Tolerance rule")[1].split("Results:")[0].strip()
    lines = [
        "# Brian2's examples on Brian2 and on snngen",
        "",
        f"Generated by `python benchmarks/brian2_examples/run_examples.py` (Brian2 examples at commit "
        f"{meta.get('commit', '?')[:12]}; Brian2 {meta.get('brian2_version', '?')} with the cython target; "
        f"snngen {meta.get('snngen_tree', '?')} with only the import lines changed). Times are wall seconds of "
        f"the whole process (import, code generation and compilation included; Brian2's cython cache was cold on "
        f"its first run).",
        "",
        f"**{n} scripts; Brian2 ran {b_ok}; snngen ran {s_ok} with only the import changed; "
        f"both ran {both}; headline numbers agree on {agree}.**",
        "",
        "Tolerance rule " + rule,
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(_md_cell(r[c]) for c in COLUMNS) + " |" for r in table]
    errors = {}
    for r in table:
        if r["snngen"] in ("error", "timeout"):
            errors.setdefault(r["snngen_error"], []).append(r["script"])
    lines += ["", "## snngen errors by message", ""]
    for msg, names in sorted(errors.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"- `{_md_cell(msg)}` ({len(names)}): {', '.join(names)}")
    OUT_MD.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------- main

def snngen_tree():
    """snngen's commit, and how many of its files differ from it (others may be mid-change)."""
    git = ["git", "-C", str(REPO)]
    head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(git + ["status", "--porcelain", "snngen", "templates"], capture_output=True,
                           text=True).stdout.splitlines()
    stamp = time.strftime("%Y-%m-%d %H:%M")
    return f"{head} + {len(dirty)} uncommitted files ({stamp})" if dirty else f"{head} ({stamp})"


def load_results():
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {"meta": {}, "brian2": {}, "snngen": {}}


def save_results(results):
    tmp = RESULTS_JSON.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    tmp.replace(RESULTS_JSON)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=["brian2", "snngen", "both"], default="snngen",
                    help="which simulator to run (default snngen; Brian2's cached results are merged)")
    ap.add_argument("--only", nargs="+", default=[], metavar="SUBSTRING", help="scripts whose path contains one")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per script (default 600)")
    ap.add_argument("--jobs", type=int, default=1, help="scripts run at once (default 1)")
    ap.add_argument("--mirror", type=Path, default=MIRROR, help="Brian2's git directory")
    ap.add_argument("--report-only", action="store_true", help="only rewrite the CSV and Markdown tables")
    args = ap.parse_args()

    results = load_results()
    with tempfile.TemporaryDirectory(prefix="b2ex-src-") as src:
        examples, commit = extract_examples(args.mirror, src)
        scripts = collection(examples)
        selected = [s for s in scripts if not args.only or any(o in s for o in args.only)]
        targets = [] if args.report_only else (["brian2", "snngen"] if args.target == "both" else [args.target])
        if "brian2" in targets:
            ensure_brian2_extras()
            version = subprocess.run([str(BRIAN2_PY), "-c", "import brian2; print(brian2.__version__)"],
                                     capture_output=True, text=True).stdout.strip()
            results["meta"].update(brian2_version=version, commit=commit)
        results["meta"].setdefault("commit", commit)
        if "snngen" in targets:
            results["meta"]["snngen_tree"] = snngen_tree()
        jobs = [(s, t) for t in targets for s in selected]
        print(f"{len(scripts)} scripts in the collection; running {len(jobs)} job(s)", flush=True)

        def work(job):
            script, target = job
            record = run_one(examples, script, target, args.timeout)
            with _lock:  # re-read: another invocation (the other target) may have saved meanwhile
                merged = load_results()
                merged["meta"].update(results["meta"])
                merged[target][script] = record
                save_results(merged)
                print(f"{target:7s} {record['status']:8s} {record['wall_s']:7.1f} s  {script}  "
                      f"{record.get('error', '')[:100]}", flush=True)

        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            list(pool.map(work, jobs))
        table = rows(scripts, load_results(), examples)
    write_tables(table, results["meta"])
    print(f"wrote {OUT_CSV.relative_to(REPO)} and {OUT_MD.relative_to(REPO)}")


if __name__ == "__main__":
    main()
