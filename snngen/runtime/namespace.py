"""Resolving external names (``tau``, ``v_th`` ...) to values, Brian2-style.

Order: the object's own ``namespace=`` dict, then the namespace given to
``run()`` (by default the caller's locals and globals), then unit names.
"""

from __future__ import annotations

import numbers
import os
import sys

import numpy as np

from ..errors import ModelError
from ..units import DIMENSIONLESS, UNITS, Quantity, get_dimensions, second

# names every group knows, with their dimensions
SPECIAL_DIMS = {"t": second.dim, "dt": second.dim, "i": DIMENSIONLESS, "N": DIMENSIONLESS}


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def caller_namespace(level=0):
    """The locals and globals of the user's code that called into snngen: the first frame, going up
    from ``level`` frames above the caller, whose code is not snngen's own (however many of snngen's
    functions, properties and setters lie between)."""
    frame = sys._getframe(level + 1)
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
    ns = dict(frame.f_globals)
    ns.update(frame.f_locals)
    return ns


class External:
    """A resolved external name: a scalar, a per-element array, or a function."""

    __slots__ = ("name", "kind", "dim", "value", "raw", "live", "copies")

    def __init__(self, name, kind, dim, value, raw=None, live=False, copies=None):
        self.name, self.kind, self.dim, self.value = name, kind, dim, value
        self.raw = raw  # the user's object, to recognise it next run
        self.live = live  # True if ``value`` follows in-place changes of ``raw`` (or raw is immutable)
        # a scalar with one value per copy of a batched network (a PerCopy): ``value`` is the (copies,) array
        self.copies = copies

    def signature(self):
        return (self.kind, self.dim, self.copies)


def classify(name, value, size, owner):
    """Turn a namespace value into an :class:`External`, or raise a clear error."""
    from ..groups.timedarray import TimedArray
    from .batch import PerCopy

    if isinstance(value, PerCopy):
        arr = np.ascontiguousarray(np.asarray(value.values, dtype=np.float64))
        return External(name, "scalar", get_dimensions(value.values), arr, value, True, copies=len(arr))
    if isinstance(value, TimedArray):
        return External(name, "function", value.dim, value, value, True)
    if isinstance(value, (bool, np.bool_, numbers.Number, np.number)):
        return External(name, "scalar", DIMENSIONLESS, float(value), value, True)
    if isinstance(value, (np.ndarray, Quantity)):
        dim = get_dimensions(value)
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim == 0:
            return External(name, "scalar", dim, float(arr), value, True)  # 0-d: not mutated in place
        if arr.ndim == 1 and len(arr) == size:
            arr = np.ascontiguousarray(arr)
            return External(name, "array", dim, arr, value, np.shares_memory(arr, value))
        raise ModelError(
            f"'{name}' used in {owner} is an array of shape {arr.shape}; "
            f"expected a scalar or one value per element ({size},)"
        )
    raise ModelError(f"'{name}' used in {owner} refers to a {type(value).__name__}, not a number, "
                     "an array or a TimedArray")


def resolve(names, owner, size, own_namespace, run_namespace, locate=None, previous=None, called=(),
            per_copy=False):
    """Resolve ``names`` -> {name: External}; an unknown name is an error with suggestions.

    ``per_copy``: the names may have one value per copy (:class:`~snngen.runtime.batch.PerCopy`), as in
    the code a network runs; elsewhere (initialisers, ``connect``), what every copy shares, they are refused.

    ``previous`` (the last resolution) is reused for values that are the same
    object as last time and cannot have changed behind our back.  ``called``: the names
    used as functions (``I(t)``), which must be TimedArrays, as the others must not be.
    """
    from ..equations.parser import suggest

    out = {}
    for name in sorted(names):
        for ns in (own_namespace, run_namespace):
            if ns is not None and name in ns:
                value = ns[name]
                old = previous.get(name) if previous else None
                if old is not None and old.raw is value and old.live:
                    out[name] = old
                else:
                    out[name] = classify(name, value, size, owner)
                break
        else:
            if name in UNITS:
                out[name] = classify(name, UNITS[name], size, owner)
            else:
                candidates = set(own_namespace or ()) | {
                    k for k, v in (run_namespace or {}).items()
                    if isinstance(v, (numbers.Number, np.ndarray)) and not k.startswith("_")
                }
                where = locate(name) if locate is not None else ""
                raise ModelError(f"unknown name '{name}' in {owner}{where}: define it in the namespace "
                                 f"or in the run's scope.{suggest(name, candidates)}")
        if out[name].copies is not None and not per_copy:
            where = locate(name) if locate is not None else ""
            raise ModelError(f"'{name}' in {owner}{where} has one value per copy of a batched network (a "
                             "PerCopy, a packed sweep parameter): only the code a network runs (equations, "
                             "threshold, reset, on_pre/on_post, run_regularly) can read it, not what all copies "
                             "share (initial values, connectivity, Poisson input weights)")
        is_function = out[name].kind == "function"
        if (name in called) != is_function:
            where = locate(name) if locate is not None else ""
            if is_function:
                raise ModelError(f"'{name}' in {owner}{where} is a TimedArray: call it, as {name}(t)"
                                 f"{' or ' + name + '(t, i)' if out[name].value.nargs == 2 else ''}")
            raise ModelError(f"'{name}' in {owner}{where} is called as a function, but it is "
                             f"{_describe(out[name])}; only TimedArrays and the built-in functions (exp, sqrt, "
                             "exprel, clip, rand ...) can be called")
    return out


def _describe(ext):
    return "a number" if ext.kind == "scalar" else "an array"
