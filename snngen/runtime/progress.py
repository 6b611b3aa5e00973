"""Progress of a run: a tqdm bar, snngen's ``report(done, total)`` or Brian2's ``report(elapsed, completed,
start, duration)``; shared by the backends' step loops."""

from __future__ import annotations

import inspect
import sys
import time

import numpy as np

from ..errors import ModelError
from ..prefs import prefs
from ..units import second


class Reporter:
    """Progress of one run: a tqdm bar (``"text"``, ``"stdout"``, ``"tqdm"``), snngen's callable
    ``report(done_steps, total_steps)`` at chunk ends, or Brian2's ``report(elapsed, completed, start,
    duration)`` (a callable of four arguments) at the start, every ``report_period`` of wall time and at
    the end."""

    def __init__(self, report, start_t, duration, period):
        if not (callable(report) or report in ("text", "stdout", "tqdm")):
            raise ModelError(f"report must be None, 'text', 'stdout', 'tqdm' or a callable, not {report!r}")
        self.report, self.start_t, self.duration = report, start_t, duration
        self.period = float(np.asarray(period)) if period is not None else prefs.report_period
        self.brian2 = callable(report) and _positional_arity(report) >= 4
        self.wall0 = self.last = time.perf_counter()
        self.bar = None
        if self.brian2:
            self.report(0.0 * second, 0.0, self.start_t * second, self.duration * second)

    def __call__(self, done, total, close=False):
        now = time.perf_counter()
        if self.brian2:
            if close or now - self.last >= self.period:
                self.last = now
                self.report((now - self.wall0) * second, done / total if total else 1.0, self.start_t * second,
                            self.duration * second)
            return
        if callable(self.report):
            self.report(done, total)
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="step", file=sys.stdout if self.report == "stdout" else None)
            self.n = 0
        self.bar.update(done - self.n)
        self.n = done
        if close:
            self.bar.close()


def _positional_arity(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return 4
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def progress(report, total):
    """The progress callback ``(done, total, close=False)`` of a run's ``report`` (a :class:`Reporter`
    made by :meth:`Network.run`, or None)."""
    if report is None:
        return None
    if not isinstance(report, Reporter):
        report = Reporter(report, 0.0, 0.0, None)
    return report
