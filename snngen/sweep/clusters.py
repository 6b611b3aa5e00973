"""The sweeps' local Dask clusters: one single-threaded worker process per core, or one per GPU."""

from __future__ import annotations

import copy
import numbers
import os
import threading

from ..errors import ModelError

WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1"}


# no dashboard, and the scheduler's HTTP server (always started) on a free port: with port 8787 taken (another
# cluster), Dask would warn at every sweep
def _no_dashboard():
    return {"dashboard_address": ":0", "scheduler_kwargs": {"dashboard": False}}


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
        from ..cuda import require

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
