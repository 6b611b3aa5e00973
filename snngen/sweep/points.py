"""Points, seeds and their keys: the grid's expansion and the store's names (shared by :mod:`snngen.sweep`'s parts)."""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json

from ..errors import ModelError

RESERVED = ("seed", "error", "seconds", "packed")
_INSTALL = 'pip install "snngen[sweep]"'


def _require(module, needed_by):
    """Import an optional dependency of the sweeps, or a clear error saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelError(f"{needed_by} needs {module} ({_INSTALL}); importing it failed: {exc}") from None


def expand(params):
    """The points of ``params``: a grid (a dict of lists, expanded to their cartesian product, the last
    key varying fastest) or a list of dicts, returned as is (copied)."""
    if isinstance(params, dict):
        keys = list(params)
        for key in keys:
            if isinstance(params[key], (str, bytes)) or not hasattr(params[key], "__iter__"):
                raise ModelError(f"sweep: the grid's '{key}' must be a list of values, not {params[key]!r}")
        return [dict(zip(keys, values)) for values in itertools.product(*(list(params[k]) for k in keys))]
    points = [dict(p) for p in params]
    for point in points:
        clash = [k for k in point if k in RESERVED]
        if clash:
            raise ModelError(f"sweep: the parameter name(s) {clash} are columns of the result; rename them")
    return points


def _canonical(value):
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 and not hasattr(value, "dim"):
        return value.item()  # numpy scalar
    if hasattr(value, "tolist") and not hasattr(value, "dim"):
        return value.tolist()
    return repr(value)  # quantities (their repr carries the unit) and anything else


def point_key(point, seed):
    """The store's name of (point, seed): the sha256 of their canonical JSON (sorted keys)."""
    text = json.dumps({"point": point, "seed": seed}, sort_keys=True, default=_canonical, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _is_quantity(value):
    return hasattr(value, "dim") and hasattr(value, "__float__")


def _is_dataarray(value):
    return type(value).__name__ == "DataArray" and hasattr(value, "dims") and hasattr(value, "coords")
