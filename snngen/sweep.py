"""Parameter sweeps on Dask: ``snngen.sweep.sweep(fn, params, seeds)`` runs ``fn`` at every point and seed.

>>> from snngen.sweep import sweep
>>> def rate(we, wi):
...     ...  # build a network with these weights, run it, return {"rate": ..., "cv": ...}
>>> table = sweep(rate, {"we": [0.5, 1.0], "wi": [-2.0, -4.0]}, seeds=[1, 2])  # doctest: +SKIP

The result is a pandas DataFrame with one row per (point, seed), in grid order: a column per
parameter, ``seed``, a column per value ``fn`` returned, ``error`` (the repr of the exception a
point raised, None if it ran) and ``seconds`` (the wall time of the call in its worker).

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
delete their files, to retry them).

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

Needs ``dask[distributed]`` and pandas (and pyarrow for ``store=``); snngen imports without them.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import numbers
import os
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
    if store is not None and (store / f"{key}.parquet").exists():
        return _stored_row(store, key, point, seed)
    row = _row(point, seed, run_point(fn, point, seed, pass_seed))
    if store is not None:
        _write(store, key, row)
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
    if store is not None:
        for n, key in enumerate(keys):
            if (store / f"{key}.parquet").exists():
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
            _write(store, keys[n], rows[n])
    return rows


def _stored_row(store, key, point, seed):
    """A stored row with the point and seed as given (the file holds quantities as their repr)."""
    stored = _read(store, key)
    return {**point, "seed": seed, **{k: v for k, v in stored.items() if k not in point and k != "seed"}}


def _row(point, seed, values):
    """A row: the point, the seed, then fn's values (one named like a parameter or ``seed`` gets ``out_``)."""
    taken = set(point) | {"seed"}
    return {**point, "seed": seed, **{f"out_{k}" if k in taken else k: v for k, v in values.items()}}


def _write(store, key, row):
    import pandas as pd

    path = store / f"{key}.parquet"
    fd, tmp = tempfile.mkstemp(dir=store, prefix=".tmp-", suffix=".parquet")
    os.close(fd)
    try:
        pd.DataFrame([{k: _cell(v) for k, v in row.items()}]).to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _cell(value):
    """A value parquet can hold: quantities as their repr (the unit kept), others as they are."""
    if hasattr(value, "dim") and hasattr(value, "__float__") and getattr(value, "ndim", 0) == 0:
        return repr(value)
    return value


def _read(store, key):
    import pandas as pd

    return pd.read_parquet(store / f"{key}.parquet").iloc[0].to_dict()


def local_cluster(n_workers=None):
    """The default cluster: ``n_workers`` (default ``os.cpu_count()``) single-threaded worker processes,
    each with the thread counts of :data:`WORKER_ENV` (see the module's docstring for why), without
    Dask's profiler, its ``MALLOC_TRIM_THRESHOLD_`` (unless set in this process's environment) and its
    dashboard."""
    import dask
    from distributed import LocalCluster

    # Dask's statistical profiler samples each running task's stack every 10 ms (~8% of a CUBA point under load);
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 turns off glibc's adaptive mmap threshold, so every large
    # temporary array (connect's random draws) is fresh pages from the OS: ~11% of a CUBA point (both measured)
    with dask.config.set({"distributed.worker.profile.enabled": False,
                          "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        return LocalCluster(n_workers=n_workers or os.cpu_count(), threads_per_worker=1, processes=True,
                            env=dict(WORKER_ENV), dashboard_address=None)


def sweep(fn, params, seeds=None, client=None, store=None, pack="auto", progress=True, retries=3, pack_size=None):
    """Run ``fn(**point)`` at every point of ``params`` and every seed, on Dask; a DataFrame of the results.

    fn: builds and runs a network, returns a dict of scalars (or arrays, kept as object cells); any
        other return value lands in a ``result`` column, and a value named like a parameter (or ``seed``)
        in ``out_<name>``.  It is shipped to the workers with cloudpickle.
    params: a grid, dict of lists (the cartesian product), or a list of dicts.
    seeds: a list of ints; every point runs once per seed, after ``snngen.seed(seed)``.  None: [0].
    client: a ``distributed.Client``; None starts (and closes) :func:`local_cluster`.
    store: a folder; finished points are written there as they complete and a rerun skips them.
    pack: "auto" (points that differ only in the parameters ``fn`` declares with :func:`packable` run as
        the copies of one batched network, a call per pack; a pack whose call fails runs its points one
        by one), True (the same, a failed packed call is an error of each of its points; ``fn`` must be
        packable), False (every point alone).  A packable ``fn`` adds a column ``packed``: how many
        points the call that computed the row ran (1: alone), and ``seconds`` is then its share of the call.
    progress: a tqdm bar over the points.
    retries: Dask's retries of a task whose worker failed it (``fn``'s own errors are rows, not retried).
    pack_size: the most points in one pack; None: the points of a pack spread over the workers, at most
        :data:`MAX_PACK`.

    Returns a pandas DataFrame, one row per (point, seed) in grid order, seeds varying fastest.
    """
    import pandas as pd

    if pack not in (False, True, "auto"):
        raise ModelError(f"sweep: pack must be 'auto', True or False, not {pack!r}")
    names = getattr(fn, "__snngen_packable__", None)
    if pack is True and not names:
        raise ModelError("sweep: pack=True needs a function that declares its packable parameters, "
                         "with @snngen.sweep.packable('name', ...) (and takes batch=)")
    if pack_size is not None and (not isinstance(pack_size, numbers.Integral) or pack_size < 1):
        raise ModelError(f"sweep: pack_size must be a positive integer, not {pack_size!r}")
    names = names if pack is not False else None
    points = expand(params)
    seeds = [0] if seeds is None else [int(s) for s in seeds]
    tasks = [(point, seed) for point in points for seed in seeds]
    keys = [point_key(point, seed) for point, seed in tasks]
    rows = [None] * len(tasks)
    if store is not None:
        store = Path(store)
        store.mkdir(parents=True, exist_ok=True)
        for n, key in enumerate(keys):
            if (store / f"{key}.parquet").exists():
                rows[n] = _stored_row(store, key, *tasks[n])
    todo = [n for n, row in enumerate(rows) if row is None]
    if todo:
        _compute(fn, tasks, keys, todo, rows, client, store, progress, retries, names, pack is True, pack_size)
    if names:
        for row in rows:
            row.setdefault("packed", 1)  # (a row stored by a sweep without packing)
    return pd.DataFrame(rows)


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
             pack_size=None):
    from distributed import Client, as_completed

    own = client is None
    if own:
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
