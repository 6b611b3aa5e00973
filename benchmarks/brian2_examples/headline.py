"""Run one example script and write its headline numbers as JSON (used by ``run_examples.py``).

    python headline.py --sim brian2|snngen SCRIPT OUT.json

Runs under both interpreters (Brian2's venv, Python 3.13, and snngen's, 3.11), so it imports
nothing from the harness.  Before the script runs, the monitor classes of the simulator's
namespace (``brian2`` or ``snngen.brian2``) get an ``__init__`` that registers every monitor
that was built without error, in creation order, and ``Network.run`` notes which network ran
last; the script then runs unmodified through ``runpy`` as ``__main__``.  When it ends, OUT.json gets::

    {"ok": true, "t_end": <.t of the network that ran last, s>,
     "monitors": [{"kind": "SpikeMonitor", "num_spikes": n},
                  {"kind": "PopulationRateMonitor", "mean_rate": Hz, "count": spikes implied, "n": samples},
                  {"kind": "StateMonitor", "vars": {"v": {"mean": .., "std": .., "n": values}}}, ...]}

or, when the script raised, ``"ok": false`` with ``"error": "Type: first line"``, ``"origin"``
(file:line of the innermost frame: a crash inside the simulator or in the script) and
``"script_line"`` (the script's line that raised), plus the numbers of whatever was simulated
before the error.  Values are SI floats.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import runpy
import sys
import traceback

KINDS = ("SpikeMonitor", "EventMonitor", "PopulationRateMonitor", "StateMonitor")
MODULES = {"brian2": "brian2", "snngen": "snngen.brian2"}


def _register_monitors(ns, registry, seen):
    """Wrap each monitor class's ``__init__`` to append the new instance to ``registry`` once."""
    for kind in KINDS:
        cls = getattr(ns, kind, None)
        if cls is None:
            continue
        init = cls.__init__

        def wrapped(self, *args, __init=init, **kwargs):
            __init(self, *args, **kwargs)
            if id(self) not in seen:  # Brian2's SpikeMonitor.__init__ runs EventMonitor.__init__ too
                seen.add(id(self))
                registry.append(self)

        cls.__init__ = wrapped


def _floats(values):
    import numpy as np

    return np.asarray(values, dtype=float).ravel()


def _stats(values):
    v = _floats(values)
    if v.size == 0:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": float(v.mean()), "std": float(v.std()), "n": int(v.size)}


def _summary(ns, mon):
    mro = type(mon).__mro__  # the most derived kind (snngen's EventMonitor and SpikeMonitor nest the other way)
    kind = min((k for k in KINDS if getattr(ns, k, None) in mro), key=lambda k: mro.index(getattr(ns, k)))
    out = {"kind": kind}
    try:
        if kind == "SpikeMonitor":
            out["num_spikes"] = int(mon.num_spikes)
        elif kind == "EventMonitor":
            out["num_spikes"] = int(mon.num_events)
        elif kind == "PopulationRateMonitor":
            rate, t = _floats(mon.rate), _floats(mon.t)
            dt = float(t[1] - t[0]) if t.size > 1 else 0.0
            out["mean_rate"] = float(rate.mean()) if rate.size else None
            out["count"] = float(rate.sum() * dt * _size(mon.source))
            out["n"] = int(rate.size)
        else:
            out["vars"] = {v: _stats(getattr(mon, v)) for v in mon.record_variables}
    except Exception as exc:  # a monitor that cannot be read is reported, not fatal
        out["unreadable"] = _first_line(exc)
    return out


def _size(group):
    n = getattr(group, "N", None)
    return int(n) if n is not None else len(group)


def _record_runs(ns, ran):
    """Wrap ``Network.run`` to append each network that ran (the magic ``run()`` goes through it too)."""
    run = ns.Network.run

    def wrapped(self, *args, level=0, **kwargs):
        out = run(self, *args, level=level + 1, **kwargs)  # level: both look up names in the caller's frame
        ran.append(self)
        return out

    ns.Network.run = wrapped


def _t_end(ran):
    """The time of the network that ran last, read at the end (Brian2's standalone mode sets it on build)."""
    return float(_floats(ran[-1].t)[0]) if ran else 0.0


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def _innermost(exc):
    """The deepest cause in the exception chain (Brian2 wraps errors in BrianObjectException); a pool
    worker's error is the exception re-raised in the parent, not its RemoteTraceback text."""
    while exc.__cause__ is not None and type(exc.__cause__).__name__ != "RemoteTraceback":
        exc = exc.__cause__
    return exc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", choices=sorted(MODULES), required=True)
    ap.add_argument("script")
    ap.add_argument("out")
    args = ap.parse_args()
    script, out = os.path.abspath(args.script), os.path.abspath(args.out)
    ns = importlib.import_module(MODULES[args.sim])
    registry, seen, ran = [], set(), []
    _register_monitors(ns, registry, seen)
    _record_runs(ns, ran)
    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(script))
    result = {"ok": True}
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            result = {"ok": False, "error": f"SystemExit: {exc.code}"}
    except BaseException as exc:  # noqa: BLE001 - everything the script raises is its result
        traceback.print_exc()
        inner = _innermost(exc)
        frames = traceback.extract_tb(inner.__traceback__)
        mine = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == script]
        result = {"ok": False, "error": _first_line(inner),
                  "origin": f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "",
                  "script_line": f"{mine[-1].lineno}: {mine[-1].line}" if mine else ""}
    try:  # after an error too: what was simulated before it (a failure while plotting still has numbers)
        result["monitors"] = [_summary(ns, m) for m in registry]
        result["t_end"] = _t_end(ran)
    except Exception as exc:  # noqa: BLE001
        result["monitors_error"] = _first_line(exc)
    with open(out, "w") as f:
        json.dump(result, f, allow_nan=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
