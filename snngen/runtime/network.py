"""Network: collects objects, generates ONE run function, calls it per run().

Python is involved once per ``run()`` (or per progress/buffer chunk), never per
step.  The generated function is cached by its source text; parameter values
are its arguments, so changing them never recompiles.
"""

from __future__ import annotations

import collections
import math
import sys
import time

import numba
import numpy as np

from ..codegen.compiler import after_call, load_module
from ..codegen.names import NameTable
from ..codegen.render import render
from ..errors import ModelError, SimulationError
from ..prefs import prefs
from ..units import get_dimensions, second
from . import random as _random
from .clock import defaultclock
from .operations import NetworkOperation, _running
from .progress import Reporter, progress
from .schedule import SLOTS, sort_key


def _steps(duration, dt, what="duration", start=None):
    """The steps of ``duration``; with ``start`` (the current step), the steps to the end time
    ``start*dt + duration`` as Brian2 counts them: the nearest step when within 1e-4 dt of it, else
    the next one (so runs of 56.67 ms at dt = 0.1 ms end where Brian2's end).  Without ``start``
    the duration must be a whole number of steps."""
    if get_dimensions(duration) != second.dim:
        raise ModelError(f"the {what} must be a time, it has units {get_dimensions(duration)}")
    value = float(np.asarray(duration))
    if not np.isfinite(value):
        raise ModelError(f"the {what} must be finite, not {value}")
    if value < 0:
        raise ModelError(f"the {what} must not be negative")
    if start is not None:
        end = (start * dt + value) / dt  # Brian2 rounds the end time, not the duration
        nearest = round(end)
        end_step = nearest if abs(end - nearest) <= 1e-4 else math.ceil(end)
        return max(0, int(end_step) - start)
    n = value / dt
    steps = int(round(n))
    if abs(steps - n) > 1e-6 * max(1.0, n):
        raise ModelError(f"the {what} ({value} s) is not a multiple of dt ({dt} s)")
    return steps


class Network:
    """The objects to simulate together, their clock and their compiled loop.

    >>> net = Network(G, SpikeMonitor(G), dt=0.1*ms)     # doctest: +SKIP
    >>> net.run(100*ms)                                    # doctest: +SKIP
    """

    def __init__(self, *objects, dt=None, backend="cpu", check_nan=None, batch=None, name="network",
                 copy_random=None):
        if backend not in ("cpu", "cuda"):
            raise ModelError(f"unknown backend {backend!r}: choose 'cpu' or 'cuda'")
        if backend == "cuda":
            from ..cuda import require

            require()
        self.backend = backend
        self.batch = 1 if batch is None else batch
        if not isinstance(self.batch, (int, np.integer)) or self.batch < 1:
            raise ModelError(f"batch must be a positive integer, not {batch!r}")
        from . import batch as _batch

        # the random numbers of copy b: "independent" (those of seed copy_seed(seed, b)) or "same" (every copy
        # draws the unbatched network's: copies that differ only in PerCopy parameters are the unbatched runs
        # of their values); inside a packed sweep's call, "same"
        self._in_pack = _batch.in_pack()
        if copy_random is None:
            copy_random = "same" if self._in_pack else "independent"
        if copy_random not in ("independent", "same"):
            raise ModelError(f"copy_random must be 'independent' or 'same', not {copy_random!r}")
        if self._in_pack and copy_random != "same":
            raise ModelError("a network made in a packed sweep's call draws, in every copy, the numbers of the "
                             "unbatched run (copy_random='same'): each copy must be the run of its own point")
        self.copy_random = copy_random
        self.name = name
        self.objects = []
        self._own_dt = dt is not None  # else the default clock's dt (defaultclock.dt), read at each run
        self._set_dt(defaultclock.dt if dt is None else dt)
        self.step = 0
        self._stop_requested = False
        self.check_nan = prefs.check_nan if check_nan is None else bool(check_nan)
        self._fn = None
        self._stored = {}
        self._initial = {}  # id(object) -> (object, the values reset_state() returns to)
        self._err = np.zeros(5, dtype=np.int64)
        self.add(*objects)

    # -- objects -----------------------------------------------------------------
    def add(self, *objects):
        for obj in objects:
            if isinstance(obj, (list, tuple, set)):
                self.add(*obj)
                continue
            if not hasattr(obj, "build") and not isinstance(obj, NetworkOperation):
                raise ModelError(f"cannot add a {type(obj).__name__} to a network")
            if obj not in self.objects:
                if any(o.name == obj.name for o in self.objects):
                    raise ModelError(f"two objects in the network are called '{obj.name}'")
                if self.batch > 1:  # the copies' arrays exist from here on: G.v is (batch, N)
                    from . import batch as _batch

                    _batch.apply(obj, self.batch)
                self.objects.append(obj)
        self._fn = None
        self._initial_taken = False

    def remove(self, *objects):
        for obj in objects:
            self.objects.remove(obj)
        self._fn = None

    def __getitem__(self, name):
        for obj in self.objects:
            if obj.name == name:
                return obj
        raise KeyError(name)

    @property
    def dt(self):
        return self._dt_q

    @dt.setter
    def dt(self, value):
        self._own_dt = True
        self._set_dt(value)

    def _set_dt(self, value):
        if get_dimensions(value) != second.dim:
            raise ModelError(f"dt must be a time, it has units {get_dimensions(value)}")
        dt_ = float(np.asarray(value))
        if dt_ <= 0:
            raise ModelError("dt must be positive")
        self._dt_q = value
        self.dt_ = dt_
        self._fn = None

    @property
    def t_(self):
        return self.step * self.dt_

    @property
    def t(self):
        return self.t_ * second

    # -- building ----------------------------------------------------------------
    def _ordered(self):
        """The objects whose code runs in the compiled loop (network operations are Python), with the
        subgroups they use: groups and synapses first, then subgroups, then monitors."""
        from ..groups.subgroup import Subgroup

        compiled = [o for o in self.objects if not isinstance(o, NetworkOperation)]
        used = [getattr(o, attr, None) for o in compiled for attr in ("source", "target")]
        for sub in used:
            if isinstance(sub, Subgroup) and sub not in compiled:
                compiled.append(sub)
        subgroups = [o for o in compiled if isinstance(o, Subgroup)]
        monitors = [o for o in compiled if hasattr(o, "source") and not hasattr(o, "equations")]
        rest = [o for o in compiled if o not in monitors and o not in subgroups]
        return rest + subgroups + monitors

    def build(self, run_namespace):
        """Generate and compile the run function (cached on disk by its source)."""
        ordered = self._assign()
        self._ordered_objects = ordered
        self._resolving = [o for o in ordered if hasattr(o, "externals")]
        self._checking = [o for o in ordered if hasattr(o, "needs_rebuild")]
        self._preparing = [o for o in ordered if hasattr(o, "before_run")]
        self._growing = [o for o in ordered if hasattr(o, "ensure_capacity")]
        self._finishing = [o for o in ordered if hasattr(o, "after_run")]
        self._args = None
        # the code now includes what was added to the objects (run_regularly, links ...)
        self._versions = {id(obj): getattr(obj, "_code_version", 0) for obj in ordered}
        self._check_pack(ordered, run_namespace)
        if self.backend == "cuda":  # (a batch's copies were given to each object by add())
            from ..cuda.runtime import CudaRunner

            self._fn = self._runner = CudaRunner(self, ordered, run_namespace)
            self._source = self._runner.source
            return
        parts = []
        for obj in ordered:
            parts.append(obj.build(obj._prefix, run_namespace, check_nan=self.check_nan))
        args, table = {}, NameTable()
        for obj, part in zip(ordered, parts):
            table.claim_all(part.args, obj.name)
            args.update(part.args)
        # in the schedule's order; one object's pieces of the same place in the order they were added
        segments = sorted((sort_key(slot, order, name), k, n, lines) for k, part in enumerate(parts)
                          for n, (slot, order, name, lines) in enumerate(part.segments))
        schedule = {}
        for (slot_index, _order, _name), _k, _n, lines in segments:
            schedule.setdefault(SLOTS[slot_index], []).extend(lines)
        parallel = any(p.parallel for p in parts)
        views = []
        if self.batch > 1:  # copies run in parallel, each a serial run of the loop on its part of the arrays
            parallel = False
            copies = {}
            for obj, part in zip(ordered, parts):
                if part.copies is None:
                    raise ModelError(f"{obj.name}: a {type(obj).__name__} has no batch axis on the CPU backend yet; "
                                     "use backend='cuda', or run without batch=")
                copies.update(part.copies)
            copies.update({name: "row" for name in self._per_copy_args(ordered, args)})  # copy b: its value
            views = [_copy_view(name, copies.get(name)) for name in args]
        else:
            self._per_copy_args(ordered, args)  # (refused: PerCopy values need a batched network)
        source = "\n".join(render("cpu/run.py.j2", parallel=parallel, args=list(args), schedule=list(schedule.items()),
                                   batch=self.batch, views=views, reduce=[line for part in parts
                                                                         for line in part.reduce],
                                   **{slot: [line for part in parts for line in getattr(part, slot)]
                                      for slot in ("prologue", "capacity", "epilogue")}))
        module = load_module(source, self.backend)
        self._fn = module.run if self.batch == 1 else module.run_copies
        if hasattr(module, "run_copies_serial") and \
                self.batch < prefs.lockstep_parallel_copies * numba.get_num_threads():
            # copies sharing variables meet after every step: a parallel region per step pays only for many copies
            self._fn = module.run_copies_serial
        self._module = module
        self._source = source
        self._getters = list(args.values())

    def _check_pack(self, ordered, run_namespace):
        """Before building: refuse what a packed sweep's copies (or PerCopy values) cannot be.  Copies that
        share variables (``batch_shared``) change each other; on the CUDA backend, PerCopy values are not
        read per copy yet (its run constants are computed once, on the host)."""
        from .batch import PerCopy

        if self._in_pack and self.batch > 1:
            shared = [o.name for o in ordered if getattr(o, "batch_shared", None)]
            if shared:
                raise ModelError(f"{', '.join(shared)}: variables shared by the copies (batch_shared) make each "
                                 "copy depend on the others: such a network cannot hold a packed sweep's points")
        if self.backend != "cuda":
            return
        for obj in ordered:
            if not hasattr(obj, "external_names"):
                continue
            own = getattr(obj, "namespace", None) or {}
            for name in obj.external_names():
                value = own[name] if name in own else (run_namespace.get(name) if run_namespace is not None
                                                       else None)
                if isinstance(value, PerCopy):
                    raise ModelError(f"'{name}' of {obj.name} has one value per copy (PerCopy): the CUDA backend "
                                     "does not read per-copy values yet; use backend='cpu' (or pack=False in a "
                                     "sweep)")

    def _per_copy_args(self, ordered, args):
        """The arguments holding PerCopy values (one per copy: copy b's code reads its b-th), checked against
        the network's number of copies."""
        out = []
        for obj in ordered:
            for name, ext in (getattr(obj, "_externals", None) or {}).items():
                if ext.copies is None:
                    continue
                if ext.copies != self.batch:
                    raise ModelError(f"'{name}' of {obj.name} has {ext.copies} values, one per copy (PerCopy), but "
                                     f"{self.name} has batch={self.batch}"
                                     + ("" if self.batch > 1 else ": make the network with batch="
                                        f"{ext.copies} (a packed sweep passes it to the function as batch=)"))
                arg = f"{obj._prefix}x_{name}"
                if arg in args:
                    out.append(arg)
        return out

    def _assign(self):
        """The objects in run order, each given its code prefix, id and the clock's dt."""
        ordered = self._ordered()
        for k, obj in enumerate(ordered):
            object.__setattr__(obj, "_prefix", f"o{k}_")
            object.__setattr__(obj, "_network_id", k)
            object.__setattr__(obj, "_network", self)
            object.__setattr__(obj, "_net_dt", self.dt_)
        self._check_summed_targets(ordered)
        return ordered

    @staticmethod
    def _check_summed_targets(ordered):
        """Two ``(summed)`` variables writing one target variable would overwrite each other."""
        seen = {}
        for obj in ordered:
            for eq in getattr(obj, "equations", ()):
                if eq.kind == "subexpression" and "summed" in eq.flags and hasattr(obj, "target"):
                    key = (id(obj.target), eq.name[:-5])
                    if key in seen:
                        raise ModelError(f"{obj.name} and {seen[key]} both set '{eq.name[:-5]}' of "
                                         f"{obj.target.name} with a (summed) variable; sum into two variables "
                                         "and add them in the target's equations")
                    seen[key] = obj.name

    def _refresh_externals(self, run_namespace):
        """Re-read external values; True if one changed kind or units (needs a rebuild)."""
        for obj in self._resolving:
            old = obj._externals
            new = obj.externals(run_namespace, previous=old)
            for k, ext in new.items():
                if ext is not old[k]:
                    if ext.signature() != old[k].signature():
                        return True
                    old[k].value, old[k].raw, old[k].live = ext.value, ext.raw, ext.live
                    self._args = None
        return False

    # -- running -----------------------------------------------------------------
    def run(self, duration, report=None, namespace=None, level=0, report_period=None, profile=False,
            _device=True):
        """Simulate ``duration`` (a time); names resolve from ``namespace`` or the caller's scope.

        ``report`` = ``"text"`` / ``"tqdm"`` shows a progress bar, or a callable
        ``report(elapsed_steps, total_steps)`` is called at chunk ends (a callable of four arguments is
        Brian2's ``report(elapsed, completed, start, duration)``, called every ``report_period`` of wall
        time, 10 s by default).  A duration that is not a whole number of steps ends at the first step
        at or after the end time (Brian2's rule: within 1e-4 dt of a step counts as that step).
        ``profile=True`` adds the time of building and of simulating to ``profiling_info`` (the whole step
        is one compiled function, so snngen cannot time each object as Brian2 does).
        """
        if namespace is None:
            frame = sys._getframe(level + 1)
            namespace = collections.ChainMap(frame.f_locals, frame.f_globals)
        if _device and device_hook is not None and device_hook(self, duration, report, namespace):
            return  # recorded, to be run later (Brian2's standalone device with build_on_run=False)
        self._follow_default_clock()
        nsteps = _steps(duration, self.dt_, start=self.step)
        if report is not None:
            report = Reporter(report, self.step * self.dt_, nsteps * self.dt_, report_period)
        started = time.perf_counter()
        self._ensure_built(namespace, level + 1)
        built = time.perf_counter()
        self._note_initial_state()
        _running.append(self)
        self._stop_requested = False
        try:
            operations = [o for o in self.objects if isinstance(o, NetworkOperation)]
            if operations:
                self._run_with_operations(nsteps, report, sorted(operations, key=NetworkOperation.key))
            else:
                self._run_steps(nsteps, report)
        finally:
            _running.pop()
            self._sync_clock()
        if profile:
            self._profile(f"{self.name}: code generation and compilation (or cache)", built - started)
            self._profile(f"{self.name}: simulation (one compiled loop)", time.perf_counter() - built)

    def _profile(self, what, seconds):
        totals = dict(self.profiling_info)
        totals[what] = totals.get(what, 0.0) + seconds
        self.profiling_info = sorted(totals.items(), key=lambda item: item[1], reverse=True)

    profiling_info = []  # (what, seconds) of the runs with profile=True, the longest first

    def stop(self):
        """Stop the running network at the end of the current step (from a network operation)."""
        self._stop_requested = True

    def _follow_default_clock(self):
        """A network without dt= takes its objects' dt (Brian2's NeuronGroup(dt=...)), else the default
        clock's, read at each run."""
        if self._own_dt:
            return
        given = {}
        for obj in self.objects:
            value = getattr(obj, "_own_dt", None)
            if value is not None:
                given.setdefault(float(np.asarray(value)), []).append(obj.name)
        if len(given) > 1:
            listed = "; ".join(f"{', '.join(names)}: {dt:g} s" for dt, names in given.items())
            raise ModelError(f"objects of {self.name} have different time steps ({listed}); snngen runs one clock "
                             "per network: give them the same dt")
        dt = next(iter(given)) * second if given else defaultclock.dt
        if float(np.asarray(dt)) == self.dt_:
            return
        if self.step:
            raise ModelError(f"the time step changed ({self.dt_:g} s -> {float(np.asarray(dt)):g} s) after "
                             f"{self.name} ran {self.step} steps; a network keeps its time step: make a new "
                             "network, or give this one dt= when it is made")
        self._set_dt(dt)

    def _sync_clock(self):
        if not self._own_dt:
            defaultclock._t_ = self.t_

    def _run_with_operations(self, nsteps, report, operations):
        """Run in segments between the steps where network operations are due, calling them in Python."""
        every = [op.every(self.dt_) for op in operations]
        start = [(op, k) for op, k in zip(operations, every) if op.at_start]
        end_ops = [(op, k) for op, k in zip(operations, every) if not op.at_start]
        last = self.step + nsteps
        bar = progress(report, nsteps)
        first = self.step
        while self.step < last:
            s = self.step
            if self._operations_done != s:  # at the start of step s (once, even if a segment stops early)
                self._operations_done = s
                self._sync_clock()
                for op, k in start:
                    if s % k == 0:
                        op.call(s * self.dt_)
            upto = last if not self._stop_requested else s + 1
            for _op, k in start:
                upto = min(upto, (s // k + 1) * k)
            for _op, k in end_ops:
                upto = min(upto, -(-s // k) * k + 1)
            self._run_steps(upto - s, None)
            done = self.step - 1
            self._sync_clock()
            for op, k in end_ops:
                if done % k == 0:
                    op.call(done * self.dt_)
            if bar is not None:
                bar(self.step - first, nsteps)
            if self._stop_requested:
                break
        if bar is not None:
            bar(nsteps, nsteps, close=True)

    _operations_done = -1

    def prepare(self, namespace=None, level=0):
        """Resolve names, generate and compile (or load from the cache) without simulating.

        ``run()`` does this itself; call it to time start-up apart from simulation.
        """
        self._ensure_built(namespace, level + 1)
        self._run_steps(0, None, call_empty=True)

    def _ensure_built(self, namespace, level):
        if namespace is None:
            frame = sys._getframe(level + 1)
            namespace = collections.ChainMap(frame.f_locals, frame.f_globals)
        if prefs.threads is not None:
            numba.set_num_threads(prefs.threads)
        if self._fn is None or any(o.needs_rebuild(self.dt_) for o in self._checking) \
                or any(getattr(o, "_code_version", 0) != self._versions[id(o)] for o in self._ordered_objects) \
                or self._refresh_externals(namespace):
            self.build(namespace)

    def _run_steps(self, nsteps, report, call_empty=False):
        if self.backend == "cuda":
            self._runner.run_steps(nsteps, report, call_empty)
            return
        step0 = self.step
        for obj in self._preparing:
            if obj.before_run(self, step0, nsteps):
                self._args = None
        bar = progress(report, nsteps)
        chunk = nsteps if bar is None else max(1, min(nsteps, 100))
        done = 0
        seed = _random.current_seed()
        try:
            while done < nsteps or call_empty:
                call_empty = False  # a 0-step call compiles (or loads) the function
                todo = min(chunk, nsteps - done)
                t0 = time.perf_counter()
                n = self._call(seed, todo) if self.batch == 1 else self._call_copies(self._copies_seed(seed), todo)
                self.step += n
                done += n
                if bar is not None:
                    bar(done, nsteps)
                    elapsed = time.perf_counter() - t0
                    if elapsed > 0:
                        chunk = max(1, int(todo * prefs.report_period / elapsed / 10))
        finally:
            for obj in self._finishing:
                obj.after_run()
        if bar is not None:
            bar(nsteps, nsteps, close=True)

    def _copies_seed(self, seed):
        """The seed given to a batched run: with ``copy_random="same"`` it carries the bit telling every copy to
        draw with the seed itself (:func:`snngen.runtime.rng.copy_seed`)."""
        from .rng import SAME_SEED

        return seed | SAME_SEED if self.copy_random == "same" else seed

    def _call(self, seed, todo):
        """One call of the run function: the steps it ran (fewer than ``todo`` when a buffer filled up: it
        is grown for the next call)."""
        if self._args is None:
            self._args = tuple(g() for g in self._getters)
        n = self._fn(seed, self.step, todo, self._err, self.dt_, numba.get_num_threads(), *self._args)
        after_call(self._module)
        if self._err[0]:
            self.step += n  # the steps done, up to the one that failed
            self._raise_nan()
        if n < todo:
            self._grow()
        return n

    def _grow(self):
        if not any([o.ensure_capacity() for o in self._growing]):
            raise SimulationError("the run stopped early without a full buffer (internal error)")
        self._args = None

    def _call_copies(self, seed, todo):
        """A batched network on the CPU: every copy runs ``todo`` steps (those whose buffers filled up go on
        after they grew)."""
        done = np.zeros(self.batch, dtype=np.int64)
        errb = np.zeros((self.batch, 5), dtype=np.int64)
        while True:
            if self._args is None:
                self._args = tuple(g() for g in self._getters)
            self._fn(seed, self.step, todo, errb, self.dt_, numba.get_num_threads(), done, *self._args)
            after_call(self._module)
            failed = np.flatnonzero(errb[:, 0])
            if len(failed):
                self._err[:] = errb[failed[0]]
                self.step += int(done[failed[0]])
                self._raise_nan(copy=int(failed[0]))
            if np.all(done == todo):
                return todo
            self._grow()

    def _raise_nan(self, copy=None):
        _, obj_id, var_id, index, step = (int(x) for x in self._err)
        self._err[:] = 0
        obj = self._ordered_objects[obj_id]
        var = list(obj.variables)[var_id]
        where = f" of copy {copy}" if copy is not None else ""
        raise SimulationError(f"'{var}' of {obj.name} became NaN or infinite at neuron {index}{where}, step {step} "
                              f"(t = {step * self.dt_:g} s); check the parameters or use a smaller dt")

    def device_array(self, obj, name):
        """``backend="cuda"``: the device array holding variable ``name`` of ``obj``, shared without a copy
        (``cupy.asarray(...)``, ``torch.as_tensor(..., device="cuda")``).  Writes into it are seen by
        the next run, unless the host copy (``obj.v``) is read or set before it: then the host copy, which
        those writes do not update, is sent instead.  Valid until the network rebuilds."""
        if self.backend != "cuda" or self._fn is None:
            raise ModelError("device_array() needs a built network with backend='cuda' (run it first)")
        return self._runner.device_array(obj, name)

    # -- samples, one after another ------------------------------------------------------
    def take_initial_state(self):
        """The current values become those :meth:`reset_state` returns to (the network takes them itself
        at the start of its first run, and for an object added later, at the start of its first run in
        the network)."""
        self._initial = {}
        self._initial_taken = False
        self._note_initial_state()

    def _note_initial_state(self):
        if self._initial_taken:
            return
        for obj in self.objects:
            if id(obj) not in self._initial and hasattr(type(obj), "initial_state"):
                self._initial[id(obj)] = (obj, obj.initial_state())
        self._initial_taken = True

    _initial_taken = False  # every object's initial state is taken (add() and take_initial_state() clear it)

    def reset_state(self, monitors="keep", keep=()):
        """Start a new sample: every variable that an equation changes over time (``dv/dt = ...``) returns to
        its value at the start of the network's first run; last spike times, refractoriness, spikes in
        delay rings, Poisson gaps and event-driven traces are cleared, and input arrays start again at
        their first row.  Parameters, weights among them, are kept, as are the variables named in ``keep``
        (``"group.var"``, e.g. a learned adaptive threshold ``"exc.theta"``).  ``monitors="clear"``
        forgets what the monitors recorded; ``"keep"`` (the default) keeps it.  The time goes on."""
        if monitors not in ("keep", "clear"):
            raise ModelError(f"reset_state: monitors must be 'keep' or 'clear', not {monitors!r}")
        kept = {}
        for item in (keep,) if isinstance(keep, str) else keep:
            name, _, var = str(item).partition(".")
            owner = next((o for o in self.objects if o.name == name), None)
            if owner is None or var not in getattr(owner, "variables", {}):
                from ..equations.parser import suggest

                known = [f"{o.name}.{v}" for o in self.objects for v in getattr(o, "variables", {})]
                raise ModelError(f"reset_state: keep={item!r} names no variable of {self.name} (write "
                                 f"'group.variable').{suggest(str(item), known)}")
            kept.setdefault(id(owner), set()).add(var)
        self._note_initial_state()  # objects never run yet: their current values are their initial ones
        for key, (obj, initial) in self._initial.items():
            if obj in self.objects:
                obj.reset_state(initial, self.t_, kept.get(key, ()))
        for obj in self.objects:
            if hasattr(type(obj), "rewind"):
                obj.rewind()
            if monitors == "clear" and hasattr(type(obj), "clear"):
                obj.clear()
        self._args = None

    # -- state ---------------------------------------------------------------------
    def get_states(self):
        """Copies of every object's state, plus the step counter."""
        state = {"__step__": np.int64(self.step)}
        for obj in self.objects:
            if hasattr(obj, "variables"):
                for name, var in obj.variables.items():
                    if var.kind != "linked":  # the source's, stored with it
                        state[f"{obj.name}/{name}"] = var.array.copy()
            if hasattr(obj, "get_state"):
                for name, value in obj.get_state().items():
                    state[f"{obj.name}/_{name}"] = value
        return state

    def set_states(self, state):
        self._args = None
        self.step = int(state["__step__"])
        for obj in self.objects:
            if hasattr(obj, "variables"):
                for name, var in obj.variables.items():
                    if var.kind == "linked":
                        continue
                    key = f"{obj.name}/{name}"
                    if key not in state:
                        raise ModelError(f"the stored state has no '{key}'")
                    var.array[...] = state[key]
            if hasattr(obj, "set_state"):
                prefix = f"{obj.name}/_"
                obj.set_state({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})

    def store(self, name="default"):
        """Keep a snapshot of the whole state (monitors and time included) in memory."""
        self._stored[name] = self.get_states()

    def restore(self, name="default"):
        if name not in self._stored:
            raise ModelError(f"nothing stored under {name!r}; stored: {sorted(self._stored)}")
        self.set_states(self._stored[name])

    def save(self, path):
        """Write the state to an ``.npz`` file (no pickle)."""
        np.savez(path, **self.get_states())

    def load(self, path):
        with np.load(path, allow_pickle=False) as data:
            self.set_states({k: data[k] for k in data.files})


def _copy_view(name, kind):
    """The code of copy ``_b``'s part of argument ``name`` (of ``_B`` copies) in a batched CPU run."""
    if kind is None:
        return name
    if kind == "row":
        return f"{name}[_b]"
    if kind == "stride":
        return f"{name}[_b::_B]"
    size = f"({name}.shape[-1] // _B)"
    if kind == "block":
        return f"{name}[_b * {size}:(_b + 1) * {size}]"
    if kind == "col":
        return f"{name}[:, _b * {size}:(_b + 1) * {size}]"
    raise ValueError(kind)


# Set by snngen.brian2's device emulation: called at the start of every run(); True means "recorded, do not
# run now".
device_hook = None
