"""Shared helpers for the peer scripts (run inside each peer's own venv: numpy only).

The network is ``reference_numpy.network`` (rates U(0,100) Hz, W ~ N(0,1) mV as
(pre, post), ``default_rng(1234)``); it is imported from the benchmarks folder
by path, so every simulator sees the same draw.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))

from reference_numpy import network  # noqa: E402,F401


def parser(doc):
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("n", type=int)
    p.add_argument("--threads", type=int, default=2)
    return p


def emit(**fields):
    fields["total"] = fields["build"] + fields["run"]
    fields["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(fields), flush=True)
