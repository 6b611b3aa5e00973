"""Parameter sweeps on Dask: ``snngen.sweep.sweep(fn, params, seeds)`` runs ``fn`` at every point and seed.

>>> from snngen.sweep import sweep
>>> def rate(we, wi):
...     ...  # build a network with these weights, run it, return {"rate": ..., "cv": ...}
>>> table = sweep(rate, {"we": [0.5, 1.0], "wi": [-2.0, -4.0]}, seeds=[1, 2])  # doctest: +SKIP

The result is a pandas DataFrame with one row per (point, seed), in grid order: a column per
parameter, ``seed``, a column per value ``fn`` returned, ``error`` (the repr of the exception a
point raised, None if it ran) and ``seconds`` (the wall time of the call in its worker).  With
``output="xarray"`` it is an ``xarray.Dataset`` instead (:func:`to_xarray`): dimensions the grid's
parameters (a ``point`` dimension for a list of points) and ``seed``, then each array value's own
(``<value>_dim0``... or a returned ``xarray.DataArray``'s dims and coords); every value, ``error``,
``seconds`` and ``packed`` a variable over them, a point that raised holding missing values (NaN).

**Seeds.** Before each call the worker calls ``snngen.seed(seed)``; ``fn`` receives ``seed=`` too when
its signature takes a ``seed`` argument (or ``**kwargs``), to seed other generators.  Since
``snngen.seed`` restarts the numbering of random streams (:mod:`snngen.runtime.random`), a point and
seed give the same result in any worker, after any other points, as in a plain loop
``snngen.seed(s); fn(**point)``.  ``seeds=None`` means one run per point with seed 0.

**Where it runs.** ``client=None`` starts a local cluster of one single-threaded worker *process* per
core (``os.cpu_count()``) and closes it at the end.  Each worker runs with ``NUMBA_NUM_THREADS=1`` and
``OMP_NUM_THREADS=1``: snngen's compiled loops run in parallel over all the cores by default, and as
many workers each starting that many threads would oversubscribe the cores (threads waiting for
descheduled threads at every parallel region).  One process per core, one thread each, keeps every
core busy with one point.  Pass a ``distributed.Client`` connected to any cluster to run there
unchanged; its workers are used as they are (set their thread counts yourself; the points that threads
of one worker process take run one at a time, since snngen's seed and object names are per process).  The
worker processes are spawned, so a script that calls ``sweep`` keeps its top-level code under
``if __name__ == "__main__":``, as with multiprocessing.

**GPUs.** ``backend="cuda"`` passes ``backend="cuda"`` to ``fn`` (which gives it to its
``Network(..., backend=backend)``) and, with ``client=None``, runs on ``local_cluster(gpus=True)``: one
single-threaded worker process per visible GPU (``CUDA_VISIBLE_DEVICES``, else the devices numba-cuda
counts), each seeing its own GPU as device 0: dask-cuda's ``LocalCUDACluster`` when dask-cuda is
installed, else a ``LocalCluster`` whose worker i has ``CUDA_VISIBLE_DEVICES`` = GPU i.  Packing is
off there (``pack="auto"`` runs each point alone): the CUDA backend does not read per-copy values.

**Compile once.** Each point's objects get the names of a fresh process's (:func:`fresh_names`), so
points of one structure generate the same code, whatever their parameter values (these are
arguments, not constants of the code).  Workers compile into the same on-disk kernel cache
(``snngen.prefs.cache_dir``, inherited through ``$SNNGEN_CACHE_DIR``), so a network structure is
compiled once and later points and workers load it (two workers that meet a new structure at the
same time both compile it).  On a cluster of several machines, point ``SNNGEN_CACHE_DIR`` at a
shared folder, or each machine compiles once.

**Nothing lost.** A point whose ``fn`` raises is recorded with its error; the others go on.  A worker
that dies (killed, out of memory) has its points rescheduled by Dask on the others.  With
``store=`` a folder, each finished point is written there as it completes, one parquet file named by
the sha256 of the canonical JSON of its point and seed (written to a temporary file, then renamed),
and a rerun loads those files instead of computing those points again: an interrupted sweep resumes
where it stopped.  The workers write the files (so a result held by a worker that dies is found
there, not computed again): on a cluster of several machines, ``store`` must be a shared folder.
A store belongs to one ``fn``: the file names do not depend on ``fn``, so use a new folder when
``fn`` changes.  Points that raised are stored too (rerun with a new folder, or
delete their files, to retry them).  A ``store`` path ending in ``.zarr`` is a zarr store instead: one
group per point and seed (same names), scalars as attributes, arrays as arrays, written under a temporary
name and renamed when finished (:class:`ZarrStore`); it resumes the same way.

**Packing** (``pack="auto"``, the default): points that differ only in the values of parameters ``fn``
declares packable run as the copies of *one* batched network, one call of ``fn`` for many points::

    @packable("we", "wi")
    def cuba(we, wi, batch=None):
        ...                                   # namespace=dict(we=we*mV): we is a number, or a PerCopy
        net = Network(..., batch=batch)       # batch: None alone, B for a pack of B points
        ...
        return {"spikes": counts.sum(axis=-1)}  # alone: a number; packed: B numbers, copy b's at b

In a packed call the declared parameters arrive as :class:`~snngen.runtime.batch.PerCopy` values (one per
point, combined with numbers and units value by value, refusing to become one number), ``batch=`` is the
number of points, and ``fn`` returns a dict of sequences of that length (or a list of dicts, one per point).
Points share a pack when they have the same seed and the same values of every other parameter, so the
network's structure, connectivity and initial values (drawn from the same seed, by the same code) are
the same in every copy.  During the call every batched network draws, in each copy, the random numbers of
the unbatched run (``copy_random="same"``): a copy's result is exactly the sequential run of its point and
seed, random inputs and noise included.  A PerCopy value is refused wherever it would be shared by the
copies (initial values, ``connect``, a group's size, ``float()``...), and a packed call that raises (or
returns something else than per-copy values) has its points run one by one instead (``packed`` = 1 in
their rows) unless ``pack=True``; ``pack=False`` runs every point alone.  CPU backend only.
See docs/sweep.md for what can be packed.

Needs ``dask[distributed]`` and pandas, pyarrow for a parquet ``store=``, zarr for a ``.zarr`` store, xarray
for ``output="xarray"`` (all in ``pip install "snngen[sweep]"``); dask-cuda is used when installed.  snngen
imports without them.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib
import inspect
import itertools
import json
import numbers
import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np

from .errors import ModelError

WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1"}
RESERVED = ("seed", "error", "seconds", "packed")
MAX_PACK = 256  # the most points in one pack (copies of one network) by default
OUTPUTS = ("dataframe", "xarray")
BACKENDS = (None, "cpu", "cuda")
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


def _takes_seed(fn):
    return _takes(fn, "seed")


def packable(*names):
    """Declare the parameters of ``fn`` that a packed sweep may give as one value per point
    (:class:`~snngen.runtime.batch.PerCopy`), calling ``fn(..., batch=B)`` once for B points.  ``fn``
    must take ``batch`` (None when it runs one point alone); the named parameters must reach the network
    only through the namespaces of its code (equations, threshold, reset, on_pre/on_post, run_regularly)."""
    if not names or not all(isinstance(n, str) for n in names):
        raise ModelError("packable: name the parameters that can be packed, e.g. @packable('we', 'wi')")

    def mark(fn):
        if not _takes(fn, "batch"):
            raise ModelError(f"packable: {getattr(fn, '__name__', fn)!r} must take a batch= argument (None alone, "
                             "the number of points in a pack), to pass to Network(..., batch=batch)")
        fn.__snngen_packable__ = tuple(names)
        return fn
    return mark


def _takes(fn, name):
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def fresh_names():
    """Restart the numbering of default object names, so the next network's objects are named as in a
    fresh process (``neurongroup``, ``synapses``, ... not ``neurongroup_7``).

    The generated code carries the objects' names (in its comments), and the kernel cache is keyed by
    the code: without this, the n-th network of a process is new code, compiled again (about 1 s for
    CUBA), and a worker would compile at every point.  With it, a structure compiles once, in the first
    worker to meet it, and every later point and worker loads it from the cache.
    """
    from .groups import base

    base._counters.clear()


# snngen's seed, its random-stream numbering and the object-name counters are per process: the points that
# threads of one worker process (a threaded or in-process Dask worker) run, run one at a time
_PROCESS_STATE = threading.RLock()


def run_point(fn, point, seed, pass_seed):
    """One call in a worker: fresh object names, seed snngen, call ``fn(**point)``, time it; an exception
    becomes ``error``."""
    import snngen

    start = time.perf_counter()
    try:
        with _PROCESS_STATE:
            fresh_names()
            snngen.seed(seed)
            out = fn(**point, seed=seed) if pass_seed else fn(**point)
        values = dict(out) if isinstance(out, dict) else {"result": out}
        error = None
    except Exception as exc:  # recorded in the row; the sweep goes on
        values, error = {}, repr(exc)
    return {**values, "error": error, "seconds": time.perf_counter() - start}


def task(fn, point, seed, pass_seed, store=None, key=None):
    """A worker's task: the row of (point, seed), from ``store`` when it holds it, else computed (and then
    written there before it is returned, so a result that a dying worker held in memory is never
    computed again: its rerun finds the file)."""
    store = open_store(store)
    if store is not None and store.has(key):
        return _stored_row(store, key, point, seed)
    row = _row(point, seed, run_point(fn, point, seed, pass_seed))
    if store is not None:
        store.write(key, row)
    return row


def run_pack(fn, points, seed, pass_seed, names, forced):
    """One packed call in a worker: ``fn(**shared, **{name: PerCopy(values)}, batch=B)`` for the B points
    (same seed, same other parameters); returns each point's values as :func:`run_point` does, and how
    many points the call computed.  A packed call that fails runs the points one by one instead (or, with
    ``forced``, gives each its error)."""
    import snngen
    from snngen.runtime.batch import packing

    B = len(points)
    start = time.perf_counter()
    try:
        with _PROCESS_STATE:
            fresh_names()
            snngen.seed(seed)
            shared = {k: v for k, v in points[0].items() if k not in names}
            per_copy = {name: _per_copy([p[name] for p in points]) for name in names}
            with packing(B):
                out = fn(**shared, **per_copy, batch=B, **({"seed": seed} if pass_seed else {}))
        rows = _split(out, B)
    except Exception as exc:
        if not forced:
            return [run_point(fn, point, seed, pass_seed) for point in points], 1
        rows, error = [{}] * B, f"packed call of {B} points: {exc!r}"
    else:
        error = None
    seconds = (time.perf_counter() - start) / B
    return [{**values, "error": error, "seconds": seconds} for values in rows], B


def _per_copy(values):
    """The PerCopy of one parameter's values at the points of a pack (quantities keep their unit)."""
    from snngen.runtime.batch import PerCopy
    from snngen.units import _wrap, get_dimensions

    dim = get_dimensions(values[0])
    return PerCopy(_wrap(np.array([float(np.asarray(v)) for v in values], dtype=np.float64), dim))


def _split(out, B):
    """The per-point values of a packed call's result: a list of B dicts, or a dict of sequences of length B."""
    from snngen.runtime.batch import PerCopy

    if isinstance(out, (list, tuple)) and len(out) == B and all(isinstance(v, dict) for v in out):
        return [dict(v) for v in out]
    if not isinstance(out, dict):
        raise ModelError(f"a packed call (batch={B}) must return a dict of per-point sequences of length {B}, or a "
                         f"list of {B} dicts, not {type(out).__name__}")
    rows = [{} for _ in range(B)]
    for name, value in out.items():
        if isinstance(value, PerCopy):
            value = value.values
        if np.ndim(value) == 0 or len(value) != B:
            raise ModelError(f"a packed call (batch={B}) returned '{name}' = {value!r}: not one value per point "
                             f"(a sequence of length {B}, copy b's value at b)")
        for b in range(B):
            item = value[b]
            rows[b][name] = item.item() if isinstance(item, np.generic) else item
    return rows


def pack_task(fn, points, seed, pass_seed, names, forced, store=None, keys=None, size=None):
    """A worker's task for a pack: the rows of its points (those in ``store`` read from it, the others computed
    in one packed call and written there).  ``size``: the number of copies to run, the last point repeated
    (its extra copies' results dropped): a network's code depends on its number of copies, so packs of one
    size compile once."""
    rows = [None] * len(points)
    store = open_store(store)
    if store is not None:
        for n, key in enumerate(keys):
            if store.has(key):
                rows[n] = _stored_row(store, key, points[n], seed)
    todo = [n for n, row in enumerate(rows) if row is None]
    if len(todo) == 1:
        values, packed = [run_point(fn, points[todo[0]], seed, pass_seed)], 1
    else:
        run = [points[n] for n in todo]
        run += [run[-1]] * ((size or 0) - len(run)) if run else []
        values, packed = run_pack(fn, run, seed, pass_seed, names, forced) if todo else ([], 1)
        if packed > 1:
            packed = len(todo)
            values = [{**v, "seconds": v["seconds"] * len(run) / len(todo)} for v in values[:len(todo)]]
    for n, value in zip(todo, values):
        rows[n] = _row(points[n], seed, {**value, "packed": packed})
        if store is not None:
            store.write(keys[n], rows[n])
    return rows


def _stored_row(store, key, point, seed):
    """A stored row with the point and seed as given (the store holds quantities as their repr)."""
    stored = store.read(key)
    return {**point, "seed": seed, **{k: v for k, v in stored.items() if k not in point and k != "seed"}}


def _row(point, seed, values):
    """A row: the point, the seed, then fn's values (one named like a parameter or ``seed`` gets ``out_``)."""
    taken = set(point) | {"seed"}
    return {**point, "seed": seed, **{f"out_{k}" if k in taken else k: v for k, v in values.items()}}


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


def _is_quantity(value):
    return hasattr(value, "dim") and hasattr(value, "__float__")


def _is_dataarray(value):
    return type(value).__name__ == "DataArray" and hasattr(value, "dims") and hasattr(value, "coords")


# no dashboard, and the scheduler's HTTP server (always started) on a free port: with port 8787 taken (another
# cluster), Dask would warn at every sweep
def _no_dashboard():
    return {"dashboard_address": ":0", "scheduler_kwargs": {"dashboard": False}}

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


def local_cluster(n_workers=None, gpus=None):
    """The default cluster: ``n_workers`` (default ``os.cpu_count()``) single-threaded worker processes,
    each with the thread counts of :data:`WORKER_ENV` (see the module's docstring for why), without
    Dask's profiler, its ``MALLOC_TRIM_THRESHOLD_`` (unless set in this process's environment) and its
    dashboard.

    gpus: None (CPU workers), or one worker per GPU, each with one thread: True (every GPU of
        :func:`visible_gpus`), a number (the first that many of them), or the GPUs' ``CUDA_VISIBLE_DEVICES``
        entries (a list, or a string ``"0,2"``).  ``n_workers``, if given, takes the first ``n_workers`` of
        them.  With dask-cuda installed this is its ``LocalCUDACluster`` (worker i sees the GPUs rotated so
        that its own is device 0); without it, a ``LocalCluster`` whose worker i sees only GPU i
        (``CUDA_VISIBLE_DEVICES`` set in its process).  Either way each worker has :data:`WORKER_ENV`.
    """
    import dask
    from distributed import LocalCluster

    # Dask's statistical profiler samples each running task's stack every 10 ms (~8% of a CUBA point under load);
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 turns off glibc's adaptive mmap threshold, so every large
    # temporary array (connect's random draws) is fresh pages from the OS: ~11% of a CUBA point (both measured)
    config = {"distributed.worker.profile.enabled": False,
              "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    if gpus is None or gpus is False:
        with dask.config.set(config):
            return LocalCluster(n_workers=n_workers or os.cpu_count(), threads_per_worker=1, processes=True,
                                worker_class=_worker_nanny(), **_no_dashboard())
    ids = gpu_ids(gpus, n_workers)
    with dask.config.set(config):
        try:
            from dask_cuda import LocalCUDACluster
        except ImportError:
            return _gpu_cluster_class()(ids)
        return LocalCUDACluster(CUDA_VISIBLE_DEVICES=ids, n_workers=len(ids), threads_per_worker=1,
                                worker_class=_worker_nanny(), **_no_dashboard())


def gpu_ids(gpus=True, n_workers=None):
    """The ``CUDA_VISIBLE_DEVICES`` entries of the GPUs that :func:`local_cluster` gives a worker each (see there)."""
    if gpus is True or (isinstance(gpus, str) and gpus.strip() == "all"):
        ids = visible_gpus()
    elif isinstance(gpus, numbers.Integral) and not isinstance(gpus, bool):
        ids = visible_gpus()
        if not 1 <= gpus <= len(ids):
            raise ModelError(f"sweep: gpus={gpus}, but {len(ids)} GPU(s) are visible ({','.join(ids)})")
        ids = ids[:gpus]
    elif isinstance(gpus, str):
        ids = [g.strip() for g in gpus.split(",") if g.strip()]
    elif isinstance(gpus, (list, tuple, range)):
        ids = [str(g).strip() for g in gpus]
    else:
        raise ModelError(f"sweep: gpus must be True, a number of GPUs, or a list of GPU ids, not {gpus!r}")
    if not ids or any(not g for g in ids):
        raise ModelError(f"sweep: gpus={gpus!r} names no GPU")
    if len(set(ids)) != len(ids):
        raise ModelError(f"sweep: gpus={gpus!r} names a GPU twice (one worker per GPU)")
    if n_workers is not None:
        if not 1 <= n_workers <= len(ids):
            raise ModelError(f"sweep: one worker per GPU: n_workers={n_workers}, but the GPUs are {','.join(ids)}")
        ids = ids[:n_workers]
    return ids


def visible_gpus():
    """The GPUs this process sees, as ``CUDA_VISIBLE_DEVICES`` entries: that variable's when it is set (up to its
    first invalid entry, as CUDA reads it), else ``"0"`` ... ``"n-1"`` for the n devices numba-cuda (or CuPy)
    counts.  No GPU visible is a :class:`ModelError` saying why."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        ids = []
        for part in env.split(","):
            part = part.strip()
            if not part or part.startswith("-"):
                break  # CUDA stops at the first invalid entry ("-1" hides every device)
            ids.append(part)
        if not ids:
            raise ModelError(f"sweep: no GPU visible: CUDA_VISIBLE_DEVICES={env!r} hides every device. Set it to the "
                             "GPUs to use (e.g. '0,1'), pass gpus=[...], or run on the CPU (backend=None)")
        return ids
    count, why = _device_count()
    if not count:
        raise ModelError(f"sweep: no GPU visible ({why}). Run on the CPU (backend=None), or pass the GPUs' ids "
                         "(gpus=[...] to local_cluster)")
    return [str(n) for n in range(count)]


def _device_count():
    """The number of CUDA devices (numba-cuda's count, else CuPy's), and why none when 0."""
    reasons = []
    try:
        from .cuda import require

        return len(require().gpus), ""
    except ModelError as exc:
        reasons.append(str(exc))
    except Exception as exc:  # a broken driver or install
        reasons.append(f"numba-cuda: {exc!r}")
    try:
        import cupy
    except ImportError:
        return 0, reasons[0]
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        reasons.append(f"CuPy: {exc!r}")
        count = 0
    return count, "; ".join(reasons) if not count else ""


_CLASSES = {}  # the Dask classes below, made on first use (snngen imports without distributed)


def _worker_nanny():
    """The Nanny of the sweeps' local clusters: its worker process starts with :data:`WORKER_ENV` in its
    environment, under the environment its cluster gives it (dask-cuda replaces a cluster's ``env`` with each
    worker's ``CUDA_VISIBLE_DEVICES``).

    Dask applies a worker's ``env`` in the new process only after that (spawned) process has imported the
    script that started the cluster: a script with ``import snngen`` (or numpy, numba) at its top has by then
    read the thread counts, and Numba, started with as many threads as cores, refuses the later
    ``NUMBA_NUM_THREADS=1`` at its next compile ("Cannot set NUMBA_NUM_THREADS to a different value once the
    threads have been launched").  So :data:`WORKER_ENV` is also put in this process's environment while a
    worker process is spawned (Dask's ``pre_spawn_env``; the same values for every worker, so workers spawned at
    once agree) and the previous values are restored when the last spawn in progress is done."""
    if "nanny" not in _CLASSES:
        from distributed import Nanny

        class SweepNanny(Nanny):
            def __init__(self, *args, env=None, **kwargs):
                super().__init__(*args, env={**WORKER_ENV, **(env or {})}, **kwargs)
                self.pre_spawn_env = {**self.pre_spawn_env, **WORKER_ENV}

            async def instantiate(self):
                _spawning(+1)
                try:
                    return await super().instantiate()
                finally:
                    _spawning(-1)

        _CLASSES["nanny"] = SweepNanny
    return _CLASSES["nanny"]


_SPAWNS = {"depth": 0, "saved": {}}
_SPAWNS_LOCK = threading.Lock()


def _spawning(step):
    """Count the worker spawns in progress: this process's values of :data:`WORKER_ENV`'s variables are saved
    when the first starts and restored when the last ends."""
    with _SPAWNS_LOCK:
        if step > 0 and _SPAWNS["depth"] == 0:
            _SPAWNS["saved"] = {k: os.environ.get(k) for k in WORKER_ENV}
        _SPAWNS["depth"] += step
        if step < 0 and _SPAWNS["depth"] == 0:
            for k, v in _SPAWNS["saved"].items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _gpu_cluster_class():
    """A LocalCluster of one single-threaded worker process per GPU, worker ``gpu-<id>`` seeing only GPU
    ``<id>`` (its ``CUDA_VISIBLE_DEVICES``), with :data:`WORKER_ENV`: what :func:`local_cluster` starts
    without dask-cuda."""
    if "gpu" not in _CLASSES:
        from distributed import LocalCluster

        class GPUCluster(LocalCluster):
            def __init__(self, gpus, **kwargs):
                self.gpus = list(gpus)
                super().__init__(n_workers=0, threads_per_worker=1, processes=True, worker_class=_worker_nanny(),
                                 **_no_dashboard(), **kwargs)
                self.scale(len(self.gpus))
                self.sync(self._correct_state)

            def new_worker_spec(self):
                free = [g for g in self.gpus if f"gpu-{g}" not in self.worker_spec]
                if not free:
                    raise ModelError(f"one worker per GPU: every GPU of {','.join(self.gpus)} has its worker")
                spec = copy.deepcopy(self.new_spec)
                spec["options"]["env"] = {**spec["options"].get("env", {}), "CUDA_VISIBLE_DEVICES": free[0]}
                return {f"gpu-{free[0]}": spec}

        _CLASSES["gpu"] = GPUCluster
    return _CLASSES["gpu"]


def sweep(fn, params, seeds=None, client=None, store=None, pack="auto", progress=True, retries=3, pack_size=None,
          output="dataframe", backend=None):
    """Run ``fn(**point)`` at every point of ``params`` and every seed, on Dask; a table of the results.

    fn: builds and runs a network, returns a dict of scalars or arrays (numpy arrays, lists, or
        ``xarray.DataArray`` with dims of their own); any other return value lands in a ``result`` column,
        and a value named like a parameter (or ``seed``) in ``out_<name>``.  It is shipped to the workers
        with cloudpickle.
    params: a grid, dict of lists (the cartesian product), or a list of dicts.
    seeds: a list of ints; every point runs once per seed, after ``snngen.seed(seed)``.  None: [0].
    client: a ``distributed.Client``; None starts (and closes) :func:`local_cluster`: one worker per core,
        or with ``backend="cuda"`` one worker per GPU.
    store: a folder (one parquet file per finished point) or a path ending in ``.zarr`` (a zarr store, one
        group per finished point); finished points are written there as they complete and a rerun skips them.
    pack: "auto" (points that differ only in the parameters ``fn`` declares with :func:`packable` run as
        the copies of one batched network, a call per pack; a pack whose call fails runs its points one
        by one), True (the same, a failed packed call is an error of each of its points; ``fn`` must be
        packable), False (every point alone).  A packable ``fn`` adds a column ``packed``: how many
        points the call that computed the row ran (1: alone), and ``seconds`` is then its share of the call.
        CPU backend only: with ``backend="cuda"``, "auto" runs every point alone and True is an error.
    progress: a tqdm bar over the points.
    retries: Dask's retries of a task whose worker failed it (``fn``'s own errors are rows, not retried).
    pack_size: the most points in one pack; None: the points of a pack spread over the workers, at most
        :data:`MAX_PACK`.
    output: "dataframe" (a pandas DataFrame) or "xarray" (the same results as an ``xarray.Dataset``,
        :func:`to_xarray`).
    backend: None (``fn`` chooses), "cpu" or "cuda": passed to ``fn`` as ``backend=`` (``fn`` must take it,
        and give it to its ``Network(..., backend=backend)``).  "cuda" with ``client=None`` runs on
        ``local_cluster(gpus=True)``: one single-threaded worker per visible GPU.

    Returns a pandas DataFrame, one row per (point, seed) in grid order, seeds varying fastest (or, with
    ``output="xarray"``, a Dataset over the grid's parameters and ``seed``).
    """
    import pandas as pd

    if pack not in (False, True, "auto"):
        raise ModelError(f"sweep: pack must be 'auto', True or False, not {pack!r}")
    if output not in OUTPUTS:
        raise ModelError(f"sweep: output must be 'dataframe' or 'xarray', not {output!r}")
    if output == "xarray":
        _require("xarray", 'sweep: output="xarray"')  # before the sweep, not after it
    if backend not in BACKENDS:
        raise ModelError(f"sweep: backend must be None, 'cpu' or 'cuda', not {backend!r}")
    names = getattr(fn, "__snngen_packable__", None)
    if pack is True and not names:
        raise ModelError("sweep: pack=True needs a function that declares its packable parameters, "
                         "with @snngen.sweep.packable('name', ...) (and takes batch=)")
    if pack is True and backend == "cuda":
        raise ModelError("sweep: pack=True runs the points of a pack as the copies of one network on the CPU "
                         "backend's batch axis; the CUDA backend does not read per-copy values: use pack='auto' "
                         "or False with backend='cuda' (each point runs alone)")
    if pack_size is not None and (not isinstance(pack_size, numbers.Integral) or pack_size < 1):
        raise ModelError(f"sweep: pack_size must be a positive integer, not {pack_size!r}")
    names = names if pack is not False and backend != "cuda" else None
    if isinstance(params, dict):
        params = {k: v if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__") else list(v)
                  for k, v in params.items()}  # (a generator is read once: for the points and the Dataset)
    points = expand(params)
    if backend is not None:
        if not _takes(fn, "backend"):
            raise ModelError(f"sweep: backend={backend!r} is passed to fn as backend=, and "
                             f"{getattr(fn, '__name__', fn)!r} does not take it: add a backend argument and give it to "
                             "Network(..., backend=backend) (or leave backend=None and choose it in fn)")
        if any("backend" in point for point in points):
            raise ModelError("sweep: 'backend' is a parameter of the grid and the argument backend= is given; "
                             "choose one")
    seeds = [0] if seeds is None else [int(s) for s in seeds]
    tasks = [(point, seed) for point in points for seed in seeds]
    keys = [point_key(point, seed) for point, seed in tasks]
    rows = [None] * len(tasks)
    store = open_store(store)
    if store is not None:
        store.create()
        for n, key in enumerate(keys):
            if store.has(key):
                rows[n] = _stored_row(store, key, *tasks[n])
    todo = [n for n, row in enumerate(rows) if row is None]
    if todo:
        call = fn if backend is None else functools.partial(fn, backend=backend)
        _compute(call, tasks, keys, todo, rows, client, store, progress, retries, names, pack is True, pack_size,
                 gpus=backend == "cuda")
    if names:
        for row in rows:
            row.setdefault("packed", 1)  # (a row stored by a sweep without packing)
    table = pd.DataFrame(rows)
    return to_xarray(table, params if isinstance(params, dict) else points) if output == "xarray" else table


def _packable_value(value):
    """A value a pack can hold per copy: a real number or a 0-d quantity (not a bool, string or array)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (numbers.Real, np.number)):
        return True
    return hasattr(value, "dim") and getattr(value, "ndim", 1) == 0


def packs(tasks, todo, names, workers, pack_size=None):
    """The todo tasks (indices into ``tasks``, (point, seed) pairs) in packs: lists of indices whose points
    have the same seed, the same keys and the same values of every parameter not in ``names``, and values
    of ``names`` that can be per-copy values of one unit.  A group is split into nearly equal packs so that
    the packs keep ``workers`` busy (a pack holds at least 2 points when it can), at most ``pack_size`` (default
    :data:`MAX_PACK`) each; tasks that share a pack with no other are alone (lists of one)."""
    from snngen.units import get_dimensions

    groups = {}
    for n in todo:
        point, seed = tasks[n]
        if not names or not all(k in point and _packable_value(point[k]) for k in names):
            groups[("alone", n)] = [n]
            continue
        rest = {k: v for k, v in point.items() if k not in names}
        dims = tuple(repr(get_dimensions(point[k])) for k in names)
        groups.setdefault((point_key(rest, seed), tuple(sorted(point)), dims), []).append(n)
    packed = [g for g in groups.values() if len(g) > 1]
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append(group)
            continue
        chunks = max(1, min(-(-workers // len(packed)), len(group) // 2))
        chunks = max(chunks, -(-len(group) // (pack_size or MAX_PACK)))
        size = -(-len(group) // chunks)
        out += [group[k:k + size] for k in range(0, len(group), size)]
    return out


def _workers(client):
    try:
        return max(1, len(client.scheduler_info()["workers"]))
    except Exception:
        return 1


def _compute(fn, tasks, keys, todo, rows, client, store, progress, retries, names=None, forced=False,
             pack_size=None, gpus=False):
    from distributed import Client, as_completed

    own = client is None
    if own:
        if gpus:
            ids = visible_gpus()[:len(todo)]
            workers, cluster = len(ids), local_cluster(gpus=ids)
        else:
            workers = min(os.cpu_count() or 1, len(todo))
            cluster = local_cluster(workers)
        client = Client(cluster)
    else:
        workers = _workers(client)
    try:
        pass_seed = _takes_seed(fn)
        token = uuid.uuid4().hex[:12]  # this call's own task names: another sweep's results are never reused
        futures = {}
        groups = packs(tasks, todo, names, workers, pack_size) if names else [[n] for n in todo]
        size = max(len(g) for g in groups)  # packs of at least half this size run this many copies (one compile)
        for group in groups:
            n = group[0]
            if len(group) == 1:
                point, seed = tasks[n]
                future = client.submit(task, fn, point, seed, pass_seed, store, keys[n],
                                       key=f"snngen-sweep-{token}-{n}", retries=retries, pure=False)
            else:
                seed = tasks[n][1]
                future = client.submit(pack_task, fn, [tasks[m][0] for m in group], seed, pass_seed, names, forced,
                                       store, [keys[m] for m in group], size if 2 * len(group) >= size else None,
                                       key=f"snngen-sweep-{token}-{n}-pack", retries=retries, pure=False)
            futures[future] = group
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(rows), initial=len(rows) - len(todo), desc="sweep", unit="point")
        for future in as_completed(futures):
            group = futures.pop(future)  # popped: a finished result is not kept on its worker
            result = future.result()
            for n, row in zip(group, result if len(group) > 1 else [result]):
                rows[n] = {**row, "packed": row.get("packed", 1)} if names else row
            if bar is not None:
                bar.update(len(group))
        if bar is not None:
            bar.close()
    finally:
        if own:
            client.close()
            cluster.close()


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
        from .units import get_dimensions

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
