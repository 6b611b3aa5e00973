"""Where a sweep keeps its finished points: a folder of parquet files, or a zarr store (one group per point)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .points import _is_dataarray, _is_quantity, _require


def open_store(store):
    """The store of ``store=``: None, a folder of parquet files, or (a path ending in ``.zarr``) a zarr store."""
    if store is None or isinstance(store, (ParquetStore, ZarrStore)):
        return store
    path = Path(store)
    return ZarrStore(path) if path.suffix == ".zarr" else ParquetStore(path)


class ParquetStore:
    """A folder of finished rows, one parquet file per (point, seed), named by :func:`point_key`."""

    def __init__(self, path):
        self.path = Path(path)

    def create(self):
        """Make the folder (in the process that starts the sweep, before any worker writes)."""
        _require("pyarrow", f"sweep: store={str(self.path)!r} (a folder of parquet files)")
        self.path.mkdir(parents=True, exist_ok=True)

    def has(self, key):
        return (self.path / f"{key}.parquet").exists()

    def write(self, key, row):
        """Write the row to a temporary file, then rename it: a reader never sees a half-written file."""
        import pandas as pd

        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-", suffix=".parquet")
        os.close(fd)
        try:
            pd.DataFrame([{k: _cell(v) for k, v in row.items()}]).to_parquet(tmp, index=False)
            os.replace(tmp, self.path / f"{key}.parquet")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def read(self, key):
        import pandas as pd

        return pd.read_parquet(self.path / f"{key}.parquet").iloc[0].to_dict()


def _cell(value):
    """A value parquet can hold: quantities as their repr (the unit kept), others as they are."""
    if _is_quantity(value) and getattr(value, "ndim", 0) == 0:
        return repr(value)
    return value


_DONE = "snngen"  # the attribute of a finished point's zarr group (written last, with the row)


class ZarrStore:
    """A zarr (v3) store of finished rows: one group per (point, seed), named by :func:`point_key`.

    A row's scalars are attributes of its group (quantities as their repr, as in the parquet files), its arrays
    are arrays of the group (an ``xarray.DataArray`` keeps its dims, coords and attrs).  A worker writes the
    group under a temporary name (``.tmp-...``), with the attribute ``snngen`` (the row's layout and
    ``"complete": true``) last, and then renames the folder to the point's key: a worker killed mid-write
    leaves a ``.tmp-...`` folder, never a group under a point's key, and a group under a key without that
    attribute (written by other means) counts as missing and is replaced.  Several workers may write at
    once: each writes its own temporary folder, and when two finish the same point the first group stays.
    Local or shared file systems only (the rename is the commit)."""

    def __init__(self, path):
        self.path = Path(path)

    def create(self):
        """Make the root group (in the process that starts the sweep, before any worker writes)."""
        zarr = _require("zarr", f"sweep: store={str(self.path)!r} (a zarr store)")
        if self.path.exists() and not self.path.is_dir():
            raise ModelError(f"sweep: store={str(self.path)!r} is a file, not a zarr store (a folder)")
        zarr.open_group(str(self.path), mode="a")

    def _layout(self, key):
        """The ``snngen`` attribute of the point's group, or None when the group is missing or unfinished."""
        try:
            with open(self.path / key / "zarr.json") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            return None
        layout = meta.get("attributes", {}).get(_DONE) if isinstance(meta, dict) else None
        return layout if isinstance(layout, dict) and layout.get("complete") is True else None

    def has(self, key):
        return self._layout(key) is not None

    def write(self, key, row):
        import zarr

        tmp = self.path / f".tmp-{key[:16]}-{uuid.uuid4().hex[:12]}"
        try:
            group = zarr.open_group(str(tmp), mode="w")
            entries = [_zarr_put(group, f"v{n}", name, value) for n, (name, value) in enumerate(row.items())]
            group.attrs[_DONE] = {"complete": True, "values": entries}  # last: the group is finished
            self._commit(tmp, key)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _commit(self, tmp, key):
        """Rename the finished temporary group to the point's key.  A finished group already there (another
        worker computed the same point) stays; an unfinished one is moved aside and removed first."""
        target = self.path / key
        for _ in range(5):
            try:
                os.rename(tmp, target)
                return
            except OSError:
                if not target.exists():
                    continue  # (another writer moved it aside meanwhile)
                if self.has(key):
                    return
                stale = self.path / f".tmp-{key[:16]}-{uuid.uuid4().hex[:12]}-stale"
                try:
                    os.rename(target, stale)
                except OSError:
                    continue
                shutil.rmtree(stale, ignore_errors=True)
        raise ModelError(f"sweep: could not write the group {key} of the zarr store {str(self.path)!r}")

    def read(self, key):
        import zarr

        layout = self._layout(key)
        if layout is None:
            raise ModelError(f"sweep: the zarr store {str(self.path)!r} has no finished group {key}")
        group = zarr.open_group(str(self.path / key), mode="r")
        return {entry["name"]: _zarr_get(group, entry) for entry in layout["values"]}


def _zarr_put(group, slot, name, value):
    """Write one value of a row into a point's group: its entry in the group's ``snngen`` attribute (a scalar
    inline, an array as the array ``slot``)."""
    if _is_dataarray(value):
        entry = {"name": name, "array": _zarr_array(group, slot, name, value.values), "dims": list(value.dims),
                 "coords": [{"name": c, "dims": list(value.coords[c].dims),
                             "array": _zarr_array(group, f"{slot}c{k}", name, value.coords[c].values)}
                            for k, c in enumerate(value.coords)]}
        if value.attrs:
            entry["attrs"] = _json_value(name, dict(value.attrs))
        if value.name is not None:
            entry["da_name"] = _json_value(name, value.name)
        return entry
    if np.ndim(value) == 0:
        if _is_quantity(value):
            return {"name": name, "value": repr(value)}
        if isinstance(value, (np.generic, np.ndarray)):
            value = value.item()
        return {"name": name, "value": _json_value(name, value)}
    return {"name": name, "array": _zarr_array(group, slot, name, value)}


def _json_value(name, value):
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise ModelError(f"sweep: the value '{name}' = {value!r} cannot be stored in a zarr store: a scalar must be "
                         "a number, bool, string, None, quantity, or a list/dict of these") from None
    return value


def _zarr_array(group, slot, name, value):
    """Write an array (numbers, bools or strings); returns the slot, or a dict saying how to read it back."""
    try:
        data = np.asarray(value)
    except ValueError as exc:  # a ragged sequence
        raise ModelError(f"sweep: the value '{name}' is not an array of one shape ({exc})") from None
    if data.dtype.kind == "O" and data.size and all(isinstance(x, str) for x in data.flat):
        data = data.astype(str)  # (strings in an object array: a pandas index, a list of names)
    if data.dtype.kind not in "biufcUS":
        raise ModelError(f"sweep: the value '{name}' is an array of {data.dtype} ({type(value).__name__}), which a "
                         "zarr store cannot hold: return arrays of numbers, bools or strings")
    if data.dtype.kind in "US":
        array = group.create_array(slot, shape=data.shape, dtype=str)
        array[...] = data.astype(str).astype(object)
        return {"slot": slot, "str": True}
    group.create_array(slot, data=data)
    return slot


def _zarr_read_array(group, where):
    if isinstance(where, dict):
        data = group[where["slot"]][...]
        return data.astype(object).astype(str) if where.get("str") else data
    return group[where][...]


def _zarr_get(group, entry):
    if "value" in entry:
        return entry["value"]
    data = _zarr_read_array(group, entry["array"])
    if "dims" not in entry:
        return data
    xr = _require("xarray", "sweep: reading an xarray.DataArray from a zarr store")
    coords = {c["name"]: (c["dims"], _zarr_read_array(group, c["array"])) for c in entry["coords"]}
    return xr.DataArray(data, dims=entry["dims"], coords=coords, attrs=entry.get("attrs", {}),
                        name=entry.get("da_name"))
