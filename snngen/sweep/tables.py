"""A sweep's DataFrame as an xarray Dataset over the grid's parameters and the seed."""

from __future__ import annotations

import json
import numbers

import numpy as np

from ..errors import ModelError
from .points import _canonical, _is_dataarray, _is_quantity, _require, expand

_MISSING = object()  # no value: a parameter a point lacks, a value of a point that raised, a cell with no row


def to_xarray(table, params):
    """A sweep's DataFrame as an ``xarray.Dataset``; ``params`` is the sweep's (a grid or a list of points).

    Dimensions: the grid's parameters, in its order, each with its values as coordinate (for a list of points:
    ``point``, numbered, with the parameters as coordinates along it), then ``seed``; then each array value's
    own: ``<value>_dim0``, ``<value>_dim1``... or, for an ``xarray.DataArray``, its dims and coords.  Each value
    of ``fn`` is a variable over these (scalars over the grid's dims and ``seed``), and so are ``error``,
    ``seconds`` and ``packed``.  A cell whose point raised (or that has no row) holds the missing value of its
    type: NaN (floats; integers become floats; strings, as in pandas), NaT, or None (bools, other objects),
    and its error string (NaN where a point ran, as in the DataFrame).
    Quantities (scalars, or arrays of one unit) become floats in SI units with an attribute ``unit``.
    A value's arrays must have one shape (a :class:`ModelError` names the value, two of its shapes and where).
    """
    xr = _require("xarray", "to_xarray")
    import pandas as pd

    if "seed" not in table.columns:
        raise ModelError("to_xarray: the table has no 'seed' column; pass a table that sweep() returned")
    grid = isinstance(params, dict)
    points = expand(params)
    names = list(params) if grid else list(dict.fromkeys(k for point in points for k in point))
    absent = [k for k in names if k not in table.columns]
    if absent and (grid or len(table)):
        raise ModelError(f"to_xarray: the table has no column for the parameter(s) {absent}; pass the sweep's params")
    records = table.to_dict("records")
    seeds = list(dict.fromkeys(int(record["seed"]) for record in records))
    shape = [len(params[k]) for k in names] if grid else [len(points)]
    point_dims = names if grid else ["point"]
    if "seed" in point_dims:
        raise ModelError("to_xarray: a parameter is named 'seed'")

    def label(point, seed):
        return ", ".join(f"{k}={point.get(k, '(none)')!r}" for k in names) + f", seed={seed}"

    slots, labels = {}, []  # the cells of each (point, seed) key, in grid order, seeds fastest
    for p, point in enumerate(points):
        pkey = tuple(_match(point.get(k, _MISSING), pd) for k in names)
        for s, seed in enumerate(seeds):
            slots.setdefault((pkey, seed), []).append(p * len(seeds) + s)
            labels.append(label(point, seed))
    where = [None] * (len(points) * len(seeds))  # the record of each cell
    for record in records:
        key = (tuple(_match(record.get(k, _MISSING), pd) for k in names), int(record["seed"]))
        if key not in slots:
            raise ModelError(f"to_xarray: the row ({label(record, key[1])}) is not a point of the params given")
        if not slots[key]:
            raise ModelError(f"to_xarray: two rows for one point and seed ({label(record, key[1])})")
        where[slots[key].pop(0)] = record

    def column(name):
        return [_MISSING if record is None else record.get(name, _MISSING) for record in where]

    def over_cells(values):
        return values.reshape(shape + [len(seeds)] + list(values.shape[1:]))

    cell_dims = point_dims + ["seed"]
    coords = {"seed": ("seed", np.asarray(seeds, dtype=np.int64))}
    if grid:
        for k in names:
            values, _, _, attrs = _stack(k, list(params[k]), None, pd, xr)
            coords[k] = (k, _as_index(values), attrs)
    else:
        coords["point"] = ("point", np.arange(len(points)))
        for k in names:
            values, _, _, attrs = _stack(k, [point.get(k, _MISSING) for point in points], None, pd, xr)
            coords[k] = ("point", values, attrs)
    data_vars = {}
    reserved = set(names) | {"seed", "error", "seconds", "packed"}
    values_order = [c for c in table.columns if c not in reserved]
    for name in values_order + [c for c in ("error", "seconds", "packed") if c in table.columns]:
        values, dims, inner_coords, attrs = _stack(name, column(name), labels, pd, xr)
        clash = [d for d in dims if d in cell_dims]
        if clash:
            raise ModelError(f"to_xarray: the DataArray '{name}' has the dimension(s) {clash} of the sweep's grid; "
                             "rename them")
        if name in cell_dims or name in coords:
            raise ModelError(f"to_xarray: the value '{name}' is named like a dimension or coordinate; rename it")
        data_vars[name] = (cell_dims + dims, over_cells(values), attrs)
        for cname, coord in inner_coords.items():
            if cname in coords and not _same_coord(coords[cname], coord):
                raise ModelError(f"to_xarray: the coordinate '{cname}' of '{name}' differs from another value's")
            coords[cname] = coord
    try:
        return xr.Dataset(data_vars, coords=coords)
    except ValueError as exc:  # e.g. two values' dims of one name and different sizes
        raise ModelError(f"to_xarray: the values do not fit one Dataset: {exc}") from None


def _match(value, pd):
    """A value's key for matching a row's parameter to the grid's (1 and 1.0 match; NaN and None are missing)."""
    if value is _MISSING or value is None:
        return ("missing",)
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if isinstance(value, (numbers.Real, np.integer, np.floating)) and not _is_quantity(value):
        value = float(value)
        return ("missing",) if value != value else ("number", value)
    if isinstance(value, str):
        return ("str", value)
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return ("missing",)
    return ("other", json.dumps(value, sort_keys=True, default=_canonical))


def _is_missing(value, pd):
    if value is _MISSING or value is None:
        return True
    return bool(pd.api.types.is_scalar(value) and not _is_quantity(value) and pd.isna(value))


def _as_index(values):
    """A grid parameter's coordinate: its values as they are, or their reprs when they are objects."""
    if values.dtype == object:
        return np.array([repr(v) for v in values], dtype=object)
    return values


def _same_coord(a, b):
    return list(a[0]) == list(b[0]) and np.array_equal(np.asarray(a[1]), np.asarray(b[1]))


def _stack(name, cells, labels, pd, xr):
    """One value at every cell (``_MISSING`` where none) as an array of shape (cells, *the value's shape*):
    returns it, the value's own dims, their coords and the variable's attrs."""
    present = [n for n, c in enumerate(cells) if not _is_missing(c, pd)]
    shapes = {}
    for n in present:
        cell = cells[n]
        try:
            shape = tuple(cell.shape) if _is_dataarray(cell) else np.shape(cell)
        except ValueError:
            where = f" at {labels[n]}" if labels else ""
            raise ModelError(f"to_xarray: the value '{name}'{where} is a ragged sequence, not an array") from None
        shapes.setdefault(shape, n)
        if len(shapes) > 1:
            (first, m), (other, k) = list(shapes.items())[:2]
            at = (f" at {labels[m]}", f" at {labels[k]}") if labels else ("", "")
            raise ModelError(f"to_xarray: the value '{name}' has arrays of different shapes: {first}{at[0]} and "
                             f"{other}{at[1]}; an xarray Dataset needs one shape per value (output='dataframe' "
                             "keeps them as cells)")
    inner = next(iter(shapes), ())
    values = [cells[n] for n in present]
    attrs, dims, inner_coords = {}, [f"{name}_dim{k}" for k in range(len(inner))], {}
    arrays = [v for v in values if _is_dataarray(v)]
    if arrays:
        first = arrays[0]
        if len(arrays) != len(values):
            raise ModelError(f"to_xarray: the value '{name}' is an xarray.DataArray at some points, not at others")
        for other in arrays[1:]:
            if other.dims != first.dims:
                raise ModelError(f"to_xarray: the DataArrays '{name}' have different dims: {first.dims} and "
                                 f"{other.dims}")
            for c in first.coords:
                if c not in other.coords or not other.coords[c].equals(first.coords[c]):
                    raise ModelError(f"to_xarray: the DataArrays '{name}' have different coordinates '{c}'")
        dims = [str(d) for d in first.dims]
        inner_coords = {c: (list(first.coords[c].dims), first.coords[c].values, dict(first.coords[c].attrs))
                        for c in first.coords}
        attrs = dict(first.attrs)
        values = [v.data for v in values]
    if values and all(_is_quantity(v) for v in values):
        from ..units import get_dimensions

        dimensions = {repr(get_dimensions(v)) for v in values}
        if len(dimensions) == 1:
            unit = str(get_dimensions(values[0]))
            if unit not in ("", "1"):
                attrs["unit"] = unit
            values = [np.asarray(v, dtype=np.float64) if inner else float(np.asarray(v)) for v in values]
    data = _dense(values, inner)
    missing = len(present) < len(cells)
    dtype, fill = _missing_value(data.dtype) if missing else (data.dtype, None)
    out = np.empty((len(cells),) + tuple(inner), dtype=dtype)
    if missing:
        out[...] = fill
    if present:
        out[present] = data.astype(dtype, copy=False)
    return out, dims, inner_coords, attrs


def _dense(values, inner):
    """The values (of one shape) in one numpy array of shape (len(values), *inner), of the values' common type:
    bools, numbers and strings as themselves, a mix of types as objects."""
    if not values:
        return np.empty((0,) + tuple(inner), dtype=np.float64)
    if inner == ():
        kinds = {_kind(v) for v in values}
        if len(kinds) == 1 and kinds != {"object"}:
            return np.asarray([v.item() if isinstance(v, (np.generic, np.ndarray)) else v for v in values])
        out = np.empty(len(values), dtype=object)
        out[:] = [v.item() if isinstance(v, np.generic) else v for v in values]
        return out
    arrays = [np.asarray(v) for v in values]
    if len({a.dtype.kind for a in arrays}) > 1 or any(a.dtype.kind == "O" for a in arrays):
        out = np.empty((len(arrays),) + tuple(inner), dtype=object)
        for n, a in enumerate(arrays):
            out[n] = a
        return out
    return np.stack(arrays)


def _kind(value):
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (numbers.Number, np.number)) and not _is_quantity(value):
        return "number"
    if isinstance(value, str):
        return "str"
    return "object"


def _missing_value(dtype):
    """The dtype that holds the missing value of ``dtype``'s values, and that value."""
    if dtype.kind in "fc":
        return dtype, np.nan
    if dtype.kind in "iu":
        return np.dtype(np.float64), np.nan
    if dtype.kind in "mM":
        return dtype, np.datetime64("NaT") if dtype.kind == "M" else np.timedelta64("NaT")
    if dtype.kind in "US":
        return np.dtype(object), np.nan  # (as pandas and xarray hold a missing string)
    return np.dtype(object), None
