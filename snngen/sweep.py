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
unchanged; its workers are used as they are (set their thread counts yourself).  The worker processes
are spawned, so a script that calls ``sweep`` keeps its top-level code under
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

Needs ``dask[distributed]`` and pandas (and pyarrow for ``store=``); snngen imports without them.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from .errors import ModelError

WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1"}
RESERVED = ("seed", "error", "seconds")


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
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "seed" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


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


def run_point(fn, point, seed, pass_seed):
    """One call in a worker: fresh object names, seed snngen, call ``fn(**point)``, time it; an exception
    becomes ``error``."""
    import snngen

    start = time.perf_counter()
    try:
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


def sweep(fn, params, seeds=None, client=None, store=None, pack=False, progress=True, retries=3):
    """Run ``fn(**point)`` at every point of ``params`` and every seed, on Dask; a DataFrame of the results.

    fn: builds and runs a network, returns a dict of scalars (or arrays, kept as object cells); any
        other return value lands in a ``result`` column, and a value named like a parameter (or ``seed``)
        in ``out_<name>``.  It is shipped to the workers with cloudpickle.
    params: a grid, dict of lists (the cartesian product), or a list of dicts.
    seeds: a list of ints; every point runs once per seed, after ``snngen.seed(seed)``.  None: [0].
    client: a ``distributed.Client``; None starts (and closes) :func:`local_cluster`.
    store: a folder; finished points are written there as they complete and a rerun skips them.
    pack: packing points onto the batch axis of one network is not implemented yet: only False.
    progress: a tqdm bar over the points.
    retries: Dask's retries of a task whose worker failed it (``fn``'s own errors are rows, not retried).

    Returns a pandas DataFrame, one row per (point, seed) in grid order, seeds varying fastest.
    """
    import pandas as pd

    if pack is not False:
        raise ModelError(f"sweep: pack={pack!r}: packing points onto the batch axis is not implemented yet; "
                         "use pack=False (each point runs as its own network)")
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
        _compute(fn, tasks, keys, todo, rows, client, store, progress, retries)
    return pd.DataFrame(rows)


def _compute(fn, tasks, keys, todo, rows, client, store, progress, retries):
    from distributed import Client, as_completed

    own = client is None
    if own:
        cluster = local_cluster(min(os.cpu_count() or 1, len(todo)))
        client = Client(cluster)
    try:
        pass_seed = _takes_seed(fn)
        token = uuid.uuid4().hex[:12]  # this call's own task names: another sweep's results are never reused
        futures = {}
        for n in todo:
            point, seed = tasks[n]
            future = client.submit(task, fn, point, seed, pass_seed, store, keys[n], key=f"snngen-sweep-{token}-{n}",
                                   retries=retries, pure=False)
            futures[future] = n
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(rows), initial=len(rows) - len(todo), desc="sweep", unit="point")
        for future in as_completed(futures):
            rows[futures.pop(future)] = future.result()  # popped: a finished result is not kept on its worker
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
    finally:
        if own:
            client.close()
            cluster.close()
