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

import functools
import inspect
import numbers
import os
import threading
import time
import uuid

import numpy as np

from ..errors import ModelError
from .clusters import WORKER_ENV, gpu_ids, local_cluster, visible_gpus
from .points import RESERVED, _require, expand, point_key
from .stores import ParquetStore, ZarrStore, open_store
from .tables import to_xarray

__all__ = ["sweep", "packable", "expand", "point_key", "fresh_names", "local_cluster", "gpu_ids", "visible_gpus",
           "to_xarray", "open_store", "ParquetStore", "ZarrStore", "WORKER_ENV", "RESERVED", "MAX_PACK"]

MAX_PACK = 256  # the most points in one pack (copies of one network) by default
OUTPUTS = ("dataframe", "xarray")
BACKENDS = (None, "cpu", "cuda")


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
    from ..groups import base

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
