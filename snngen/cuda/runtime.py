"""Runs a network's CUDA kernels: device copies of its arrays, the step loop, CUDA graphs.

Arrays stay on the device between runs.  A state variable's host copy is brought up
to date when it is read (``G.v``, ``net.get_states()`` ...) and re-sent before the
next run only if the host copy may have changed; recording buffers and other arrays
the kernels write come back at the end of each run.  Other arrays (connectivity,
rates, external parameters) are sent when replaced, and when at most
``_RESEND_BYTES`` large at each run (so in-place changes are seen); input arrays
(``set_input``), which users write into between samples, at every run whatever their size.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..codegen.compiler import after_call, load_module
from ..codegen.kernel import Kernel, check_writes, free_names
from ..codegen.names import variable
from ..codegen.render import render
from ..errors import ModelError, SimulationError
from ..prefs import prefs
from ..runtime.progress import progress
from ..runtime.rng import copy_seed_py
from ..runtime.schedule import sort_key
from . import require, simulator

_RESEND_BYTES = 16 << 20
# Numba's simulator runs a thread per CUDA thread, and its barriers are slow (0.3 s for one block
# scan of 32 threads): there, one-block kernels run with one thread (same results, serially) unless
# this is set (tests of the parallel versions set it).
FULL_BLOCKS_IN_SIMULATOR = False
_FIXED = ("_ctl", "_seeds", "dt")
_NUMPY_TO_MATH = (("np.floor(", "math.floor("), ("np.ceil(", "math.ceil("), ("np.sign(", "_sign("))


def _one_block(block):
    """Threads of the one-block kernels (spike compaction, recording): a full block on a device."""
    if simulator():
        return block if FULL_BLOCKS_IN_SIMULATOR else 1
    return 1024


class DeviceCopy:
    """The device copy of one state variable (see :class:`~snngen.groups.base.Variable`)."""

    __slots__ = ("runner", "dev", "host_stale", "device_stale")

    def __init__(self, runner):
        self.runner, self.dev, self.host_stale, self.device_stale = runner, None, False, True

    def to_host(self, var):
        if self.runner.quiet:
            return
        if self.host_stale and self.dev is not None:
            self.dev.copy_to_host(var._array.reshape(-1) if var._array.ndim == 2 else var._array)
            self.host_stale = False
        self.device_stale = True  # the reader may write into the array

    def stale(self, var):
        self.device_stale = True

    def overwritten(self, var):
        """The host copy was entirely rewritten: it is the values now, the device's are old."""
        self.host_stale, self.device_stale = False, True


@dataclass
class Plan:
    """The generated CUDA module of one network build, and what its launches take."""

    source: str
    names: list  # arguments of launches(), after _ctl, _seeds, dt
    getters: list
    kernels: list
    flat: set  # arguments indexed flat (batched 2-D host arrays)
    fresh: set  # arguments sent at every run whatever their size
    written: set  # arguments some kernel writes
    module_tag: str


def _launch(space):
    """(blocks, threads per block, lines opening the kernel) of an iteration space."""
    if space.over == "elements":
        return (f"max(1, ({space.size} + _BLOCK - 1) // _BLOCK)", "_BLOCK",
                [f"{space.index} = cuda.grid(1)", f"if {space.index} >= {space.size}:", "    return"])
    if space.over == "thread":
        return "1", "1", []
    if space.over == "block per copy":
        return "_B", "_ONE_BLOCK", []
    return "1", "_ONE_BLOCK", []  # "block": one block in all


@dataclass
class Rendered:
    """A kernel as the module template takes it."""

    name: str
    code: list
    args: list
    blocks: str
    threads: str
    kernel: Kernel


def plan(ordered, run_namespace, check_nan, batch):
    """Generate the kernels of ``ordered`` objects (prefixes assigned); needs no device."""
    parts = []
    for obj in ordered:
        describe = getattr(obj, "cuda_part", None)
        if describe is None:
            raise ModelError(f"the CUDA backend cannot simulate a {type(obj).__name__} yet ({obj.name}); use "
                             "backend='cpu'")
        parts.append(describe(obj._prefix, run_namespace, check_nan))
    flat = set().union(*(part.flat for part in parts)) if parts else set()
    fresh = set().union(*(part.fresh for part in parts)) if parts else set()
    args = {}
    for obj, part in zip(ordered, parts):
        args.update(part.args)
        if check_nan and hasattr(obj, "equations"):
            args[f"{obj._prefix}_id"] = lambda obj=obj: obj._network_id
    prologue = []
    for part in parts:
        prologue += [line for line in part.prologue if line not in prologue]
    # the capacity checks first, then the step's work in the schedule's order (as the CPU backend's)
    everything = [k for part in parts for k in part.kernels]
    placed = [((-1,) if slot == "capacity" else sort_key(slot, order, name), n, kernel)
              for n, (slot, order, name, kernel) in enumerate(everything)]
    described = [kernel for _key, _n, kernel in sorted(placed, key=lambda x: x[:2])]
    defined = {line.split("=", 1)[0].strip() for line in prologue}
    known = (set(args) | defined) - set(_FIXED)
    clash = {k.name for k in described} & (set(args) | defined)
    if clash:  # a kernel's name would be shadowed by an argument of launches()
        raise ModelError(f"internal error: generated kernels and arguments share the names {sorted(clash)}")
    block = 32 if simulator() and prefs.cuda_block > 32 else prefs.cuda_block
    kernels, written = [], set()
    for k in described:
        blocks, threads, opening = _launch(k.space)
        code = []
        for line in opening + k.lines("cuda"):
            for old, new in _NUMPY_TO_MATH:
                line = line.replace(old, new)
            code.append(line)
        check_writes(k, code, known)
        written |= k.writes & known
        kernels.append(Rendered(k.name, code, sorted(free_names(code) & known), blocks, threads, k))
    # only what some kernel (or the host prologue) reads goes to the device
    needed = set().union(*(k.args for k in kernels)) | free_names(prologue)
    args = {n: g for n, g in args.items() if n in needed}
    source = "\n".join(render("cuda/module.py.j2", kernels=kernels, args=list(args), prologue=prologue,
                              block=block, cache=not simulator(), batch=batch, one_block=_one_block(block)))
    return Plan(source, list(args), list(args.values()), kernels, flat, fresh, written,
                "cuda-sim" if simulator() else "cuda")


def plan_network(net, namespace):
    """``(objects, Plan)``: the kernels ``net`` would run on the CUDA backend (with ``net.batch`` copies),
    generated without a device and without running anything (``net`` may be a CPU network)."""
    from ..runtime import batch as _batch

    ordered = net._assign()
    if net.batch > 1:
        for obj in ordered:
            _batch.apply(obj, net.batch)
    for obj in ordered:
        if hasattr(obj, "before_run"):
            obj.before_run(net, net.step, 1)
    return ordered, plan(ordered, namespace, net.check_nan, net.batch)


class CudaRunner:
    """The compiled kernels of one network build, and what runs them."""

    def __init__(self, net, ordered, run_namespace):
        self.cuda = require()
        self.net = net
        self.quiet = False
        self.batch = net.batch
        p = plan(ordered, run_namespace, net.check_nan, net.batch)
        self.source, self.names, self.getters, self.kernels = p.source, p.names, p.getters, p.kernels
        self.flat, self.fresh, self.written = p.flat, p.fresh, p.written
        self.module = load_module(p.source, p.module_tag)
        self.dev = {}  # name -> (host object, device array) of arrays that are not state variables
        self.vars = {}  # id(host array) -> Variable, for the objects of this network
        for obj in ordered:
            for var in getattr(obj, "variables", {}).values():
                if isinstance(var.device, DeviceCopy):  # a rebuilt network: what the old kernels computed
                    var.device.to_host(var)
                var.device = DeviceCopy(self)
                self.vars[id(var._array)] = var
        self.graphs = {}
        self._graphs_failed = False
        self._warm = False
        self._ctl = self.cuda.to_device(np.zeros(7, dtype=np.int64))
        self._key = None  # what the current launches were made from (their arguments)
        self._launches = None

    # -- arrays ------------------------------------------------------------------------
    def _gather(self):
        self.quiet = True
        try:
            values = [g() for g in self.getters]
        finally:
            self.quiet = False
        return values

    def _variable_of(self, value):
        var = self.vars.get(id(value))
        if var is None or var._array is not value:  # replaced (connect(), growth): find it again
            self.vars = {id(v._array): v for v in (v for vs in self._all_variables() for v in vs)}
            var = self.vars.get(id(value))
        return var

    def _all_variables(self):
        return [getattr(o, "variables", {}).values() for o in self.net._ordered_objects]

    def upload(self):
        """Device arguments for this run, sending what changed on the host."""
        cuda = self.cuda
        out = []
        for name, value in zip(self.names, self._gather()):
            if not isinstance(value, np.ndarray):
                out.append(value)
                continue
            var = self._variable_of(value)
            orig = value
            if value.ndim == 2 and (var is not None or name in self.flat):
                value = value.reshape(-1)  # copies of a batched network, flat on the device (a view)
            if var is not None:
                copy = var.device if isinstance(var.device, DeviceCopy) and var.device.runner is self else None
                if copy is None:
                    copy = var.device = DeviceCopy(self)
                if copy.dev is None or copy.dev.shape != value.shape or copy.dev.dtype != value.dtype:
                    copy.dev = cuda.to_device(value)
                elif copy.device_stale:
                    copy.dev.copy_to_device(value)
                copy.device_stale = False
                out.append(copy.dev)
                continue
            host, dev = self.dev.get(name, (None, None))
            if dev is None or host is not orig or dev.shape != value.shape or dev.dtype != value.dtype:
                dev = cuda.to_device(value)
            elif value.nbytes <= _RESEND_BYTES or name in self.fresh:
                dev.copy_to_device(value)
            self.dev[name] = (orig, dev)
            out.append(dev)
        return out

    def download(self):
        """Bring back what the kernels wrote: recording buffers and small state now; state
        variables when next read."""
        for name in self.written & set(self.dev):
            host, dev = self.dev[name]
            dev.copy_to_host(host.reshape(-1) if host.ndim == 2 and name in self.flat else host)
        for name in self.written:
            for var in self._written_variables(name):
                var.device.host_stale = True

    def _written_variables(self, name):
        for obj in self.net._ordered_objects:
            p = variable(obj._prefix, "")
            if name.startswith(p) and name[len(p):] in getattr(obj, "variables", {}):
                var = obj.variables[name[len(p):]]
                if isinstance(var.device, DeviceCopy) and var.device.runner is self:
                    yield var

    def device_array(self, obj, name):
        """The device array of variable ``name`` of ``obj`` (``__cuda_array_interface__``: hand it to
        CuPy or PyTorch without a copy).  Valid until the network is rebuilt."""
        var = obj.variables[name]
        if not isinstance(var.device, DeviceCopy) or var.device.dev is None:
            raise ModelError(f"'{name}' of {obj.name} has no device copy yet: run the network first")
        return var.device.dev

    # -- running -------------------------------------------------------------------------
    def run_steps(self, nsteps, report, call_empty=False):
        from ..runtime import random as _random

        net = self.net
        step0 = net.step
        for obj in net._preparing:
            obj.before_run(net, step0, nsteps)
        ctl_host = np.zeros(7, dtype=np.int64)
        ctl_host[0] = step0
        ctl = self._ctl
        ctl.copy_to_device(ctl_host)
        seed = self.net._copies_seed(_random.current_seed()) if self.batch > 1 else _random.current_seed()
        launches = self._make_launches(seed)
        if call_empty and not self._warm:  # compile every kernel: launched on a halted clock, they do nothing
            halted = ctl_host.copy()
            halted[1] = 1
            ctl.copy_to_device(halted)
            for kernel, blocks, threads, args in launches:
                kernel[blocks, threads](0, *args)
            ctl.copy_to_device(ctl_host)
            self._warm = True
            if self._graphs_wanted():  # capture the chunk now, so that run() only replays it
                self._graph(launches, prefs.cuda_chunk, ctl)
        bar = progress(report, nsteps)
        done = 0
        try:
            while done < nsteps:
                todo = min(prefs.cuda_chunk, nsteps - done)
                self._chunk(launches, todo, ctl)
                after_call(self.module)
                ctl.copy_to_host(ctl_host)
                n = int(ctl_host[0]) - net.step
                net.step += n
                done += n
                if ctl_host[2]:
                    net._err[:] = [1, ctl_host[3], ctl_host[4], ctl_host[5], ctl_host[6]]
                    self.download()
                    net._raise_nan()
                if ctl_host[1]:  # a recording buffer is full: grow it and go on
                    self.download()
                    if not any([o.ensure_capacity() for o in net._growing]):
                        raise SimulationError("the run stopped early without a full buffer (internal error)")
                    ctl_host[1] = 0
                    ctl.copy_to_device(ctl_host)
                    launches = self._make_launches(seed)
                if bar is not None:
                    bar(done, nsteps)
        finally:
            self.download()
        if bar is not None:
            bar(nsteps, nsteps, close=True)

    def _make_launches(self, seed):
        """The step's launches; the same list (and its captured graphs) while no argument changed."""
        dev_args = self.upload()
        key = (seed, self.net.dt_) + tuple(id(a) if hasattr(a, "shape") and not np.isscalar(a) else a
                                           for a in dev_args)
        if key != self._key:
            # copy b draws what the unbatched network draws with seed copy_seed(seed, b) (as on the CPU)
            # (every copy: the seed itself, when the SAME_SEED bit is set: Network(copy_random="same"))
            seeds = np.array([copy_seed_py(seed, b) for b in range(self.batch)], dtype=np.int64)
            self._seeds = self.cuda.to_device(seeds)
            self._launches = self.module.launches(self._ctl, self._seeds, self.net.dt_, *dev_args)
            self._key, self._key_refs = key, dev_args  # the references keep the ids unique
            self.graphs.clear()
        return self._launches

    def _chunk(self, launches, nsteps, ctl):
        from .device import advance

        if self._graphs_wanted() and self._warm:  # the kernels compile outside a capture
            graph = self._graph(launches, nsteps, ctl)
            if graph is not None:
                graph.launch(self._stream)
                self._stream.synchronize()
                return
        for k in range(nsteps):
            for kernel, blocks, threads, args in launches:
                kernel[blocks, threads](k, *args)
        advance[1, 1](ctl, nsteps)
        self._warm = True

    def _graphs_wanted(self):
        return prefs.cuda_graphs and not simulator() and not self._graphs_failed

    def _graph(self, launches, nsteps, ctl):
        """The chunk captured once as a CUDA graph (CuPy stream capture around numba launches):
        replaying it costs one launch instead of one per kernel and step."""
        from .device import advance

        key = (nsteps, id(launches))
        if key in self.graphs:
            return self.graphs[key]
        try:
            import cupy
        except ImportError:
            self.graphs[key] = None
            return None
        try:
            if not hasattr(self, "_stream"):
                self._stream = cupy.cuda.Stream(non_blocking=True)
                self._nb_stream = self.cuda.external_stream(self._stream.ptr)
            relaxed = getattr(cupy.cuda.runtime, "streamCaptureModeRelaxed", None)
            self._stream.begin_capture(**({} if relaxed is None else {"mode": relaxed}))
            try:
                for k in range(nsteps):
                    for kernel, blocks, threads, args in launches:
                        kernel[blocks, threads, self._nb_stream](k, *args)
                advance[1, 1, self._nb_stream](ctl, nsteps)
            finally:
                graph = self._stream.end_capture()
        except Exception as exc:  # capture unsupported here: plain launches still work
            warnings.warn(f"CUDA graph capture failed ({exc}); launching kernels one by one", stacklevel=3)
            self._graphs_failed = True
            return None
        self.graphs[key] = graph
        return graph

