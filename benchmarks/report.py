"""Markdown tables and figures from every CSV in benchmarks/results/.

    python benchmarks/report.py [--results DIR]

Writes DIR/report.md and prints the path of each file it writes.  A CSV with the columns
N, simulator and total_s (or run_s) is a comparison (paper_peers.csv and the later workload
CSVs; one table set per value of a `workload` column): a time table (rows simulator/target,
columns N, cells "build / run / total" s), spike-count and rate tables where those columns
exist, and a ratio table peer / snngen (the snngen float32 row of the same N in the same CSV);
with several N also <prefix>_time_vs_N.png and <prefix>_speedup.png, where prefix is the
CSV's name less "_peers" (paper_peers.csv -> paper_time_vs_N.png).  Rows whose status is not
"ok" show their status text.  Every other CSV becomes one plain table.
"""

from __future__ import annotations

import argparse
import csv
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORDER = ["paper_peers", "paper_cpu", "cuba", "engine", "song2000"]  # expected CSVs, first in the report
sys.path.insert(0, str(HERE / "peers"))


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def fmt(s):
    """A CSV cell for a table: integers with thousands separators, floats to about 3 significant digits."""
    x = num(s)
    if x is None or s.strip().lower() in ("nan", "inf", "-inf"):
        return str(s if s is not None else "").replace("|", "\\|")
    if x == int(x) and "." not in s and "e" not in s.lower():
        return f"{int(x):,}"
    a = abs(x)
    return "0" if a == 0 else f"{x:,.0f}" if a >= 100 else f"{x:.1f}" if a >= 10 else f"{x:.2f}" if a >= 1 \
        else f"{x:#.3g}"


def md(header, rows):
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def ok(r):
    return r.get("status", "ok") in ("ok", "")


def label(r):
    t = r.get("target", "")
    return f"{r['simulator']} {t}" if t and t != "-" else r["simulator"]


def time_of(r):
    return num(r.get("total_s")) if num(r.get("total_s")) is not None else num(r.get("run_s"))


def reference(rows, n):
    """The snngen row that ratios at N = n divide by: float32 if measured, else the first ok snngen row."""
    cands = [r for r in rows if num(r["N"]) == n and r["simulator"] == "snngen" and ok(r) and time_of(r)]
    return next((r for r in cands if r.get("target", "").startswith("float32")), cands[0] if cands else None)


def pivot(rows, ns, cell):
    labels = list(dict.fromkeys(label(r) for r in rows))
    by = {(label(r), num(r["N"])): r for r in rows}
    body = [[lab] + [("" if (lab, n) not in by else cell(by[lab, n]) if ok(by[lab, n])
                      else fmt(by[lab, n]["status"])) for n in ns] for lab in labels]
    return md(["simulator / target"] + [f"N = {n:,.0f}" for n in ns], body)


def comparison(name, rows, prefix, out_dir, plt):
    ns = sorted({num(r["N"]) for r in rows if num(r["N"]) is not None})
    cols = [c for c in ("build_s", "run_s", "total_s") if c in rows[0]]
    parts = [f"## {name}", "", f"Seconds, {' / '.join(c[:-2] for c in cols)}:", "",
             pivot(rows, ns, lambda r: " / ".join(fmt(r.get(c, "")) for c in cols))]
    for col, title in (("spikes", "Output spikes"), ("rate_hz", "Mean rate, Hz")):
        if col in rows[0]:
            parts += ["", f"{title}:", "", pivot(rows, ns, lambda r, c=col: fmt(r[c]))]
    refs = {n: reference(rows, n) for n in ns}
    if any(refs.values()):
        def ratio(r):
            ref, txt = refs[num(r["N"])], []
            for c in ("total_s", "run_s"):
                if ref and num(r.get(c)) is not None and num(ref.get(c)):
                    txt.append(f"{num(r[c]) / num(ref[c]):.2f}")
            return " / ".join(txt)
        ref_names = ", ".join(sorted({label(r) for r in refs.values() if r}))
        kind = " / ".join(c[:-2] for c in ("total_s", "run_s") if c in rows[0])
        parts += ["", f"Peer / snngen ({ref_names}), {kind} seconds (> 1: snngen faster):", "",
                  pivot([r for r in rows if r not in refs.values()], ns, ratio)]
    outputs = []
    if len(ns) > 1 and plt is not None:
        outputs = figures(name, rows, refs, out_dir / f"{prefix}_time_vs_N.png", out_dir / f"{prefix}_speedup.png",
                          plt)
        parts += [""] + [f"![{p.stem}]({p.name})" for p in outputs]
    return "\n".join(parts), outputs


def series(rows, value):
    """{label: ([N], [value])} over the ok rows, value(r) None skipped."""
    out = {}
    for r in rows:
        v = value(r) if ok(r) else None
        if v is not None and v > 0:
            xs, ys = out.setdefault(label(r), ([], []))
            xs.append(num(r["N"]))
            ys.append(v)
    return {k: tuple(zip(*sorted(zip(*xy)))) for k, xy in out.items()}


def figures(name, rows, refs, time_png, speed_png, plt):
    colours = {lab: f"C{i % 10}" for i, lab in enumerate(dict.fromkeys(label(r) for r in rows))}

    def line(ax, lab, xs, ys):
        snn = lab.startswith("snngen")
        ax.plot(xs, ys, "o-" if snn else "s--", color=colours[lab], lw=2.5 if snn else 1.2, label=lab)

    written = []
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for lab, (xs, ys) in series(rows, time_of).items():
        line(ax, lab, xs, ys)
    what = "total" if "total_s" in rows[0] else "run"
    ax.set(xscale="log", yscale="log", xlabel="N", ylabel=f"{what} seconds", title=f"{name}: {what} time vs N")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(time_png, dpi=120)
    plt.close(fig)
    written.append(time_png)
    refs_ok = {n: time_of(r) for n, r in refs.items() if r}
    speed = series([r for r in rows if r not in refs.values()],
                   lambda r: time_of(r) / refs_ok[num(r["N"])] if num(r["N"]) in refs_ok and time_of(r) else None)
    if speed:
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        for lab, (xs, ys) in speed.items():
            line(ax, lab, xs, ys)
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=f"peer {what} s / snngen {what} s",
               title=f"{name}: snngen speed-up (> 1: snngen faster)")
        ax.axhline(1, color="k", ls=":", lw=1)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(speed_png, dpi=120)
        plt.close(fig)
        written.append(speed_png)
    return written


def plain(name, header, rows):
    return "\n".join([f"## {name}", "", md(header, [[fmt(c) for c in r] for r in rows])])


def paper_detail(rows):
    """benchmarks/peers/run_paper.py's own per-row table (ratios to snngen float32, notes), from the CSV."""
    try:
        from run_paper import table
    except ImportError as e:
        return f"(run_paper.table unavailable: {e})"
    typed = [{k: (num(v) if k.endswith("_s") or k == "rss_mb" else v) for k, v in r.items()} for r in rows]
    for r in typed:
        r["N"], r["spikes"] = int(num(r["N"])), int(num(r.get("spikes")) or 0)
    repeats = max((int(num(r.get("repeats")) or 0) for r in rows), default=0)
    args = types.SimpleNamespace(sizes=list(dict.fromkeys(r["N"] for r in typed)), repeats=repeats)
    return table(typed, args).split("\n\n", 1)[-1].rstrip()  # its first line states this machine's CPU count


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", type=Path, default=RESULTS)
    out_dir = p.parse_args().results
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
        print("matplotlib not installed (pip install matplotlib): tables only")
    found = {f.stem: f for f in sorted(out_dir.glob("*.csv"))}
    sections = ["# Benchmark results", "", f"Generated by `python benchmarks/report.py` from {out_dir.name}/*.csv."]
    outputs = []
    for stem in ORDER + sorted(set(found) - set(ORDER)):
        if stem not in found:
            print(f"{stem}.csv: not found, skipped")
            sections += ["", f"_{stem}.csv: not found, skipped._"]
            continue
        with open(found[stem], newline="") as f:
            header, *body = [r for r in csv.reader(f) if r]
        rows = [dict(zip(header, r)) for r in body]
        if not rows:
            print(f"{stem}.csv: empty, skipped")
            continue
        if {"N", "simulator"} <= set(header) and {"total_s", "run_s"} & set(header):
            groups = {}
            for r in rows:
                groups.setdefault(r.get("workload", ""), []).append(r)
            for wl, rs in groups.items():
                prefix = stem.removesuffix("_peers") + (f"_{wl}" if wl and len(groups) > 1 else "")
                text, figs = comparison(f"{stem}.csv" + (f", {wl}" if wl else ""), rs, prefix, out_dir, plt)
                sections += ["", text]
                outputs += figs
            if stem == "paper_peers":
                sections += ["", "Per row, as `benchmarks/peers/run_paper.py` writes paper_peers.md:", "",
                             paper_detail(rows)]
        else:
            sections += ["", plain(f"{stem}.csv", header, body)]
    if (out_dir / "peer_versions.txt").exists():
        sections += ["", "## peer_versions.txt", "", "```", (out_dir / "peer_versions.txt").read_text().strip(), "```"]
    report = out_dir / "report.md"
    report.write_text("\n".join(sections) + "\n")
    for path in [report, *outputs]:
        print(path)


if __name__ == "__main__":
    main()
