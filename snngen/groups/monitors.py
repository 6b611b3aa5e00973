"""Monitors: recorded inside the compiled run loop into preallocated buffers."""

from __future__ import annotations

import numpy as np

from ..codegen.blocks import BlockBuilder
from ..codegen.kernel import BLOCK, THREAD, Kernel
from ..codegen.names import user, variable
from ..codegen.render import render
from ..equations.parser import suggest
from ..errors import ModelError
from ..runtime.schedule import check_order, check_when
from ..units import DIMENSIONLESS, Quantity, get_dimensions, second
from .base import Part, event_list, object_name, register


def _q(values, dim):
    if dim is None or dim == DIMENSIONLESS:
        return np.asarray(values)
    q = np.asarray(values, dtype=float).view(Quantity)
    q.dim = dim
    return q


def _grow(arr, needed):
    """``arr`` (first axis) enlarged to hold at least ``needed`` rows, contents kept."""
    if arr.shape[0] >= needed:
        return arr
    new = np.zeros((max(needed, 2 * arr.shape[0]),) + arr.shape[1:], dtype=arr.dtype)
    new[: arr.shape[0]] = arr
    return new


class _Monitor:
    _dt = None
    _code_version = 0  # (the network compares it at each run: a class attribute, not a miss in __getattr__)

    def _source_prefix(self):
        prefix = getattr(self.source, "_prefix", None)
        if prefix is None:
            raise ModelError(f"{self.name} records {self.source.name}, which is not part of the network")
        return prefix

    def _times(self, steps):
        return _q(np.asarray(steps) * self._dt, second.dim)

    def _cpu_copies(self):
        """The copies of a batched network on the CPU backend (1 otherwise): each records into its own
        part of the buffers, merged after each run."""
        batch = self.__dict__.get("_batch", 1)  # (not getattr: a missing attribute costs __getattr__)
        if batch == 1:
            return 1
        net = self.__dict__.get("_network")
        return batch if net is not None and net.backend == "cpu" else 1

    def _per_copy_steps(self):
        """Monitors recording once per step (state, rate) on a batched CPU network: each copy counts and
        writes its own steps (``_nb``, ``_stepsb``); all copies record the same steps."""
        B = self._cpu_copies()
        if B == 1:
            return
        stepsb = self.__dict__.get("_stepsb")
        if stepsb is None or stepsb.shape != (B, self._steps.shape[0]):
            self._stepsb = np.zeros((B, self._steps.shape[0]), dtype=np.int64)
        self._nb = np.full(B, self._n[0], dtype=np.int64)

    def after_run(self):
        """A batched CPU network: the steps each copy recorded (the same for all) become the monitor's."""
        nb = self.__dict__.get("_nb")
        if nb is None or self._cpu_copies() == 1:
            return
        n0, n1 = int(self._n[0]), int(nb[0])
        self._steps[n0:n1] = self._stepsb[0, n0:n1]
        self._n[0] = n1

    def _schedule(self, when, order, default_when, default_order):
        register(self)
        self.when = check_when(default_when if when is None else when, self.name)
        self.order = check_order(default_order if order is None else order, self.name)


def _check_variables(monitor, source, variables):
    """The names a monitor records: variables or subexpressions of ``source`` (``True``: all of them)."""
    eqs = getattr(source, "equations", None)
    known = [n for n, v in getattr(source, "variables", {}).items() if v.kind != "internal"]
    if eqs is not None:
        known += [n for n in eqs.subexpr_names if "summed" not in eqs[n].flags]
    if variables is True:
        return known
    if isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    synaptic = hasattr(source, "_resolve_var")  # a Synapses object: its neurons' variables too (v_post, v)
    for v in variables:
        if v not in known and v not in getattr(source, "variables", {}) and not (
                synaptic and source._resolve_var(v) is not None):
            raise ModelError(f"{monitor.name}: {source.name} has no variable '{v}'.{suggest(v, known)}")
    return variables


def _dimension(source, name):
    var = source.variables.get(name)
    if var is not None:
        return var.dim
    if name in source.equations:
        return source.equations[name].dim
    return source.dimension_lookup({})(name)  # a neuron variable read through synapses


def value_code(source, names, neuron_index=None):
    """How to compute ``names`` of ``source`` for element ``_i`` in generated code: ``(builder, loads,
    values)``, where ``values[k]`` is the code of the k-th name (variables are read from their
    arrays, subexpressions computed).  ``neuron_index``: the neuron's number when ``_i`` runs over the
    elements of several copies (CUDA; random draws are then keyed by copy and neuron)."""
    import sympy

    src = source._prefix
    if hasattr(source, "_resolve_var"):  # a Synapses object
        return _synaptic_value_code(source, names)
    if hasattr(source, "code_builder"):
        b = source.code_builder(src, getattr(source, "_externals", {}), register=False)
    else:
        arrays = {n: variable(src, n) for n, v in source.variables.items() if v.kind != "internal"}
        b = BlockBuilder(src, arrays, getattr(source, "_externals", {}))
    b.local = user(src, "m", "")  # a monitor's locals, apart from the group's own loops
    b.neuron_index = neuron_index
    if neuron_index is not None:
        b.copy_size = f"{src}_N"
    _, subs = source.equations.substituted() if hasattr(source, "equations") else ({}, {})
    exprs = [None if n in source.variables and n not in b.arrays else sympy.Symbol(n, real=True).xreplace(subs)
             for n in names]
    pr = b.printer()
    shared = {n for n, v in source.variables.items() if "shared" in v.flags}
    values = [f"{variable(src, n)}[{0 if n in shared else '_i'}]" if e is None else pr.doprint(e)
              for n, e in zip(names, exprs)]
    b.args.clear()  # the group's own arguments: the monitor reads them, the group passes them
    return b, b.loads([e for e in exprs if e is not None]), values


def _synaptic_value_code(syn, names):
    """``value_code`` of a Synapses object: its variables and its neurons' (``x_pre``, ``x_post``, or
    unsuffixed), for synapse ``_i``."""
    import sympy

    from ..codegen.optimise import Hoister
    from .synapse_codegen import _printer, _subs

    p, tgt = syn._prefix, syn.target._prefix
    dense = syn._state.dense
    pr = _printer(syn, p, getattr(syn, "_externals", {}), Hoister(lambda name: False), 0)
    loads = ["_s = _i", f"_ip = {'_s // ' + tgt + '_N' if dense else p + '_pre[_s]'}",
             f"_jp = {'_s % ' + tgt + '_N' if dense else p + '_post[_s]'}"]
    values = [pr.doprint(sympy.Symbol(n, real=True).xreplace(_subs(syn))) for n in names]
    return BlockBuilder(p, {}, {}), loads, values


class SpikeMonitor(_Monitor):
    """Records the spikes of a group: ``.i`` (indices), ``.t`` (times), ``.count`` (per neuron).

    ``record=False`` keeps only the counts.  ``variables`` (a name, a list, or True for all) also
    records the source's variables at each spike, read after the state update and before the reset
    (Brian2's ``SpikeMonitor(G, variables='v')``): ``M.v`` is one value per spike,
    ``M.values('v')`` the values per neuron.  ``when``/``order``: where in the step it records
    (default: after the thresholds, order of the source + 1).
    """

    _event = "spike"

    def __init__(self, source, variables=None, record=True, when=None, order=None, name=None):
        self.source = source
        self.record = bool(record)
        self.name = object_name(name, f"{'spike' if self._event == 'spike' else 'event'}monitor")
        self._schedule(when, order, "thresholds", getattr(source, "order", 0) + 1)
        self.record_variables = [] if variables is None else _check_variables(self, source, variables)
        if self.record_variables and not self.record:
            raise ModelError(f"{self.name}: recording variables needs record=True")
        self._i = np.zeros(1024, dtype=np.int32)
        self._step = np.zeros(1024, dtype=np.int64)
        self._copy = np.zeros(1024, dtype=np.int32)  # the copy of each spike (a batched CUDA network)
        self._values = {v: np.zeros(1024) for v in self.record_variables}
        self._n = np.zeros(1, dtype=np.int64)
        self._count = np.zeros(source.N, dtype=np.int64)

    def _take_copies(self, B):
        if self._n[0]:
            raise ModelError(f"{self.name} has recorded spikes already: make a new monitor for a batched network")
        self._count = np.zeros((B, self.source.N), dtype=np.int64)

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """This monitor's kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import spikemonitor

        return spikemonitor(self, prefix)

    def kernels(self, prefix, flat=False):
        """What the monitor runs in a step, described for either backend: ``(builder of the recorded values'
        code or None, [(slot, order, label, Kernel)])``; ``flat``: over the copies one after another (CUDA)."""
        src = self._source_prefix()
        b, loads, values = None, [], []
        writes = {f"{prefix}_count"}
        if self.record:
            writes |= {f"{prefix}_i", f"{prefix}_step", f"{prefix}_copy", f"{prefix}_n"}
        if self.record_variables:
            b, loads, values = value_code(self.source, self.record_variables, neuron_index="_j" if flat else None)
            writes |= {f"{prefix}_b{k}" for k in range(len(values))}
        common = dict(p=prefix, src=src, name=self.name, record=self.record, sev=event_list(self.source, self._event))
        out = [("capacity", 0, self.name, Kernel("spikemonitor", f"{prefix}_capacity", THREAD,
                                                 dict(common, capacity=True)))] if self.record else []
        out.append((self.when, self.order, self.name, Kernel("spikemonitor", f"{prefix}_record", BLOCK, dict(
            common, capacity=False, loads=loads, values=values), writes=writes)))
        return b, out

    def build(self, prefix, run_namespace, check_nan=False):
        part = Part()
        B = self._cpu_copies()
        if B > 1:  # each copy records into its row of the scratch buffers, merged after the run
            if not hasattr(self, "_si"):
                self._si, self._sstep = np.zeros((B, 1024), np.int32), np.zeros((B, 1024), np.int64)
                self._sn = np.zeros(B, dtype=np.int64)
                self._svalues = {v: np.zeros((B, 1024)) for v in self.record_variables}
            part.args = {f"{prefix}_i": lambda: self._si, f"{prefix}_step": lambda: self._sstep,
                         f"{prefix}_n": lambda: self._sn, f"{prefix}_count": lambda: self._count}
            part.copies = {f"{prefix}_i": "row", f"{prefix}_step": "row", f"{prefix}_n": "block",
                           f"{prefix}_count": "row"}
        else:
            part.args = {f"{prefix}_i": lambda: self._i, f"{prefix}_step": lambda: self._step,
                         f"{prefix}_n": lambda: self._n, f"{prefix}_count": lambda: self._count}
        b, kernels = self.kernels(prefix)
        if b is not None:
            part.args.update(b.args)
            part.prologue += b.prologue()
            for k, v in enumerate(self.record_variables):
                part.args[f"{prefix}_b{k}"] = (lambda v=v: self._svalues[v]) if B > 1 else \
                    (lambda v=v: self._values[v])
                if B > 1:
                    part.copies[f"{prefix}_b{k}"] = "row"
        part.prologue += [f"{prefix}_nn = {prefix}_n[0]"]
        part.add_kernels(kernels)
        part.epilogue = [f"{prefix}_n[0] = {prefix}_nn"]
        return part

    def before_run(self, net, step0, nsteps):
        """Prepare buffers; True if an array was reallocated (the run's arguments change)."""
        self._dt = net.dt_
        return self.ensure_capacity()

    def ensure_capacity(self):
        """Grow the buffers so that one more step of spikes always fits; True if they grew."""
        if "_si" in self.__dict__ and self._cpu_copies() > 1:
            needed = int(self._sn.max()) + self.source.N
            if self.record and needed > self._si.shape[1]:
                def wider(a):
                    new = np.zeros((a.shape[0], max(needed, 2 * a.shape[1])), dtype=a.dtype)
                    new[:, : a.shape[1]] = a
                    return new
                self._si, self._sstep = wider(self._si), wider(self._sstep)
                self._svalues = {v: wider(a) for v, a in self._svalues.items()}
                return True
            return False
        needed = int(self._n[0]) + self.source.N * getattr(self, "_batch", 1)
        if self.record and needed > self._i.shape[0]:
            self._i, self._step = _grow(self._i, needed), _grow(self._step, needed)
            self._copy = _grow(self._copy, needed)
            self._values = {v: _grow(a, needed) for v, a in self._values.items()}
            return True
        return False

    def after_run(self):
        """A batched CPU network: the spikes each copy recorded join the monitor's, in the order of their step,
        then copy."""
        sn = self.__dict__.get("_sn")
        if sn is None or not sn.any():
            return
        B = len(sn)
        copy = np.repeat(np.arange(B, dtype=np.int32), sn)
        i = np.concatenate([self._si[b, : sn[b]] for b in range(B)])
        step = np.concatenate([self._sstep[b, : sn[b]] for b in range(B)])
        order = np.lexsort((copy, step))  # stable: within a step and copy, the recording order
        n0, total = int(self._n[0]), int(sn.sum())
        needed = n0 + total
        self._i, self._step, self._copy = _grow(self._i, needed), _grow(self._step, needed), _grow(self._copy, needed)
        self._i[n0:needed], self._step[n0:needed], self._copy[n0:needed] = i[order], step[order], copy[order]
        for v in self._values:
            values = np.concatenate([self._svalues[v][b, : sn[b]] for b in range(B)])
            self._values[v] = _grow(self._values[v], needed)
            self._values[v][n0:needed] = values[order]
        self._n[0] = needed
        sn[:] = 0

    @property
    def count(self):
        """Spikes per neuron so far (a copy, as in Brian2: ``count[:]`` taken before a run does not change
        during it); ``(batch, N)`` in a batched network."""
        return self._count.copy()

    @property
    def num_spikes(self):
        """The number of spikes recorded (counted) so far."""
        return int(self._count.sum())

    @property
    def i(self):
        return self._i[: self._n[0]].copy()

    @property
    def t(self):
        return self._times(self._step[: self._n[0]])

    @property
    def t_(self):
        return self._step[: self._n[0]] * self._dt

    @property
    def it(self):
        """``(i, t)``: the indices and times of the spikes (Brian2's ``M.it``)."""
        return self.i, self.t

    @property
    def it_(self):
        return self.i, self.t_

    @property
    def copy(self):
        """The copy (batch axis) of each spike; all 0 without one."""
        return self._copy[: self._n[0]].copy()

    def __getattr__(self, name):
        values = self.__dict__.get("_values", {})
        raw = name.endswith("_") and name[:-1] in values
        key = name[:-1] if raw else name
        if key in values:
            data = values[key][: self._n[0]].copy()
            return data if raw else _q(data, _dimension(self.source, key))
        raise AttributeError(f"{type(self).__name__} has no attribute '{name}'")

    def _per_neuron(self, data, copy=None):
        i = self.i
        if getattr(self, "_batch", 1) > 1:
            if copy is None:
                raise ModelError(f"{self.name} records {self._batch} copies: pass copy=k")
            sel = self.copy == copy
            i, data = i[sel], data[sel]
        order = np.argsort(i, kind="stable")
        split = np.searchsorted(i[order], np.arange(self.source.N + 1))
        return {k: data[order[split[k]:split[k + 1]]] for k in range(self.source.N)}

    def spike_trains(self, copy=None):
        """``{index: spike times}`` for every neuron of the source (of one ``copy`` when batched)."""
        return self._per_neuron(self.t, copy)

    def values(self, name, copy=None):
        """``{index: values of variable name at its spikes}`` for every neuron of the source."""
        if name not in self._values:
            raise ModelError(f"{self.name} does not record '{name}' (it records {self.record_variables})")
        return self._per_neuron(getattr(self, name), copy)

    def all_values(self, copy=None):
        """``{"t": spike_trains(), name: values(name) ...}`` (Brian2's ``all_values``)."""
        out = {"t": self.spike_trains(copy)}
        out.update({v: self.values(v, copy) for v in self.record_variables})
        return out

    def clear(self):
        """Forget what was recorded (the buffers are kept for the next recordings)."""
        self._n[...] = 0
        self._count[...] = 0
        if "_sn" in self.__dict__:
            self._sn[...] = 0

    def get_state(self):
        out = {"i": self.i, "step": self._step[: self._n[0]].copy(), "count": self._count.copy(), "copy": self.copy}
        out.update({f"var_{v}": a[: self._n[0]].copy() for v, a in self._values.items()})
        return out

    def set_state(self, state):
        n = len(state["i"])
        self._i = _grow(np.zeros(0, np.int32), max(n, 1024))
        self._step = _grow(np.zeros(0, np.int64), max(n, 1024))
        self._copy = _grow(np.zeros(0, np.int32), max(n, 1024))
        self._i[:n], self._step[:n] = state["i"], state["step"]
        if "copy" in state:
            self._copy[:n] = state["copy"]
        for v in self._values:
            self._values[v] = _grow(np.zeros(0), max(n, 1024))
            self._values[v][:n] = state[f"var_{v}"]
        self._n[0] = n
        self._count[:] = state["count"]


class EventMonitor(SpikeMonitor):
    """Records a group's custom event (``events={"name": condition}``) as a SpikeMonitor records spikes:
    ``EventMonitor(G, "name", variables=...)`` (Brian2's)."""

    def __init__(self, source, event, variables=None, record=True, when=None, order=None, name=None):
        if event != "spike" and event not in getattr(source, "_events", {}):
            raise ModelError(f"{source.name} has no event '{event}' (its events: "
                             f"{['spike'] + list(getattr(source, '_events', {}))})")
        self._event = event
        super().__init__(source, variables=variables, record=record, when=when, order=order, name=name)
        self.event = event

    @property
    def num_events(self):
        """The number of events recorded (counted) so far (Brian2's name; ``num_spikes`` is the same)."""
        return self.num_spikes

    def event_trains(self, copy=None):
        """``{index: event times}`` for every neuron of the source (Brian2's name for spike_trains)."""
        return self.spike_trains(copy)


class StateMonitor(_Monitor):
    """Records variables (or subexpressions) of a group every ``dt``.

    ``mon.v`` has shape ``(n_recorded, n_times)``; ``mon.t`` the times; ``mon[i].v`` the trace of
    recorded element ``i`` (its index in the group, as in Brian2).  ``variables`` is a name, a
    list or True (all); ``record`` is ``True`` (all), an index or a list of indices.  Values are
    taken at the start of each step, before the update (Brian2's default, ``when="start"``).
    """

    def __init__(self, source, variables, record=True, dt=None, when=None, order=None, name=None):
        self.source = source
        self.name = object_name(name, "statemonitor")
        self._schedule(when, order, "start", 0)
        self.record_variables = _check_variables(self, source, variables)
        if record is True:
            record = np.arange(source.N)
        elif record is False or record is None:
            record = np.zeros(0, dtype=np.int64)
        self.indices = np.atleast_1d(np.asarray(record, dtype=np.int64))
        if len(self.indices) and (self.indices.min() < 0 or self.indices.max() >= source.N):
            raise ModelError(f"{self.name}: record indices must lie in [0, {source.N})")
        self.dt = dt
        self._n = np.zeros(1, dtype=np.int64)
        self._steps = np.zeros(0, dtype=np.int64)
        self._buffers = {v: np.zeros((0, len(self.indices))) for v in self.record_variables}

    @property
    def record(self):
        """The recorded indices (Brian2's ``record``; ``record=True`` gives every index)."""
        return self.indices.copy()

    def _dims(self, v):
        return _dimension(self.source, v)

    def _take_copies(self, B):
        if self._n[0]:
            raise ModelError(f"{self.name} has recorded values already: make a new monitor for a batched network")
        self._buffers = {v: np.zeros((0, B * len(self.indices))) for v in self.record_variables}

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """This monitor's kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import statemonitor

        return statemonitor(self, prefix)

    def kernels(self, prefix, flat=False):
        """What the monitor runs in a step, described for either backend: ``(builder of the recorded values'
        code, [(slot, order, label, Kernel)])``; ``flat``: over the copies' elements one after another (CUDA)."""
        src = self._source_prefix()
        b, loads, values = value_code(self.source, self.record_variables, neuron_index="_n" if flat else None)
        writes = {f"{prefix}_b{k}" for k in range(len(values))} | {f"{prefix}_steps", f"{prefix}_n"}
        return b, [(self.when, self.order, self.name, Kernel("statemonitor", f"{prefix}_record", BLOCK, dict(
            p=prefix, src=src, name=self.name, capacity=False, loads=loads, values=values), writes=writes))]

    def build(self, prefix, run_namespace, check_nan=False):
        part = Part()
        b, kernels = self.kernels(prefix)
        args = dict(b.args)
        args.update({f"{prefix}_every": lambda: self._every, f"{prefix}_rec": lambda: self.indices,
                     f"{prefix}_n": lambda: self._n, f"{prefix}_steps": lambda: self._steps})
        for k, v in enumerate(self.record_variables):
            args[f"{prefix}_b{k}"] = lambda v=v: self._buffers[v]
        if self._cpu_copies() > 1:  # each copy: its columns of the buffers, its own step counter
            args.update({f"{prefix}_n": lambda: self._nb, f"{prefix}_steps": lambda: self._stepsb})
            part.copies = {f"{prefix}_n": "block", f"{prefix}_steps": "row"}
            part.copies.update({f"{prefix}_b{k}": "col" for k in range(len(self.record_variables))})
        part.args = args
        part.add_kernels(kernels)
        part.prologue = b.prologue() + [f"{prefix}_nn = {prefix}_n[0]"]
        # (never met: before_run sizes the buffers for the run) the guard of a compiled loop
        part.capacity = render("cpu/statemonitor.py.j2", p=prefix, name=self.name, capacity=True)
        part.epilogue = [f"{prefix}_n[0] = {prefix}_nn"]
        return part

    def __getitem__(self, item):
        """The traces of recorded element(s) ``item`` (group indices): ``mon[5].v``, ``mon[[0, 5]].v``."""
        wanted = np.asarray(item)
        positions = []
        for k in np.atleast_1d(wanted).ravel():
            where = np.flatnonzero(self.indices == k)
            if not len(where):
                raise ModelError(f"{self.name} does not record element {k} of {self.source.name} "
                                 f"(it records {self.indices.tolist() if len(self.indices) < 20 else 'others'})")
            positions.append(int(where[0]))
        return _StateMonitorView(self, positions[0] if wanted.ndim == 0 else positions)

    def before_run(self, net, step0, nsteps):
        self._dt = net.dt_
        every = 1 if self.dt is None else int(round(float(np.asarray(self.dt)) / net.dt_))
        if every < 1 or abs(every * net.dt_ - float(np.asarray(self.dt if self.dt is not None else net.dt_))) > \
                1e-9 * every * net.dt_:
            raise ModelError(f"{self.name}: dt must be a multiple of the network's dt")
        self._every = every
        first = -(-step0 // every) * every
        count = max(0, (step0 + nsteps - 1 - first) // every + 1)
        needed = int(self._n[0]) + count
        grown = needed > self._steps.shape[0]
        if grown:
            self._steps = _grow(self._steps, needed)
            for v in self.record_variables:
                self._buffers[v] = _grow(self._buffers[v], needed)
        self._per_copy_steps()
        return grown or self._cpu_copies() > 1

    def ensure_capacity(self):
        return False

    @property
    def t(self):
        return self._times(self._steps[: self._n[0]])

    @property
    def t_(self):
        return self._steps[: self._n[0]] * self._dt

    def __getattr__(self, name):
        buffers = self.__dict__.get("_buffers", {})
        raw = name.endswith("_") and name[:-1] in buffers
        key = name[:-1] if raw else name
        if key in buffers:
            n, batch = self._n[0], self.__dict__.get("_batch", 1)
            data = buffers[key][:n].T.copy() if batch == 1 else \
                buffers[key][:n].reshape(n, batch, -1).transpose(1, 2, 0).copy()
            return data if raw else _q(data, self._dims(key))
        raise AttributeError(f"{type(self).__name__} has no attribute '{name}'")

    def clear(self):
        """Forget what was recorded (the buffers are kept for the next recordings)."""
        self._n[...] = 0

    def get_state(self):
        out = {"steps": self._steps[: self._n[0]].copy()}
        out.update({f"var_{v}": b[: self._n[0]].copy() for v, b in self._buffers.items()})
        return out

    def set_state(self, state):
        n = len(state["steps"])
        self._steps = state["steps"].copy()
        for v in self.record_variables:
            self._buffers[v] = state[f"var_{v}"].copy()
        self._n[0] = n


class _StateMonitorView:
    """Traces of some recorded elements of a :class:`StateMonitor` (``mon[i]``)."""

    def __init__(self, monitor, positions):
        self._monitor, self._positions = monitor, positions

    def __getattr__(self, name):
        monitor = self._monitor
        raw = name.endswith("_") and name[:-1] in monitor._buffers
        key = name[:-1] if raw else name
        if key not in monitor._buffers:
            if name in ("t", "t_"):
                return getattr(monitor, name)
            raise AttributeError(f"{monitor.name} does not record '{name}' (it records {monitor.record_variables})")
        return getattr(monitor, name)[..., self._positions, :]


class PopulationRateMonitor(_Monitor):
    """The population's instantaneous rate each step: ``.rate`` (Hz) and ``.t``."""

    def __init__(self, source, when=None, order=None, name=None):
        self.source = source
        self.name = object_name(name, "ratemonitor")
        self._schedule(when, order, "end", 0)
        self._n = np.zeros(1, dtype=np.int64)
        self._counts = np.zeros(0, dtype=np.int64)
        self._steps = np.zeros(0, dtype=np.int64)

    def _take_copies(self, B):
        if self._n[0]:
            raise ModelError(f"{self.name} has recorded already: make a new monitor for a batched network")

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """This monitor's kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import ratemonitor

        return ratemonitor(self, prefix)

    def kernels(self, prefix, flat=False):
        """What the monitor runs in a step, described for either backend: ``[(slot, order, label, Kernel)]``."""
        return [(self.when, self.order, self.name, Kernel("ratemonitor", f"{prefix}_record", THREAD, dict(
            p=prefix, src=self._source_prefix(), name=self.name, capacity=False),
            writes={f"{prefix}_counts", f"{prefix}_steps", f"{prefix}_n"}))]

    def build(self, prefix, run_namespace, check_nan=False):
        part = Part()
        part.args = {f"{prefix}_n": lambda: self._n, f"{prefix}_counts": lambda: self._counts,
                     f"{prefix}_steps": lambda: self._steps}
        if self._cpu_copies() > 1:  # each copy: every B-th count (step-major), its own step counter
            part.args.update({f"{prefix}_n": lambda: self._nb, f"{prefix}_steps": lambda: self._stepsb})
            part.copies = {f"{prefix}_n": "block", f"{prefix}_steps": "row", f"{prefix}_counts": "stride"}
        part.prologue = [f"{prefix}_nn = {prefix}_n[0]"]
        # (never met: before_run sizes the buffers for the run) the guard of a compiled loop
        part.capacity = render("cpu/ratemonitor.py.j2", p=prefix, name=self.name, capacity=True)
        part.add_kernels(self.kernels(prefix))
        part.epilogue = [f"{prefix}_n[0] = {prefix}_nn"]
        return part

    def before_run(self, net, step0, nsteps):
        self._dt = net.dt_
        needed = int(self._n[0]) + nsteps
        grown = needed > self._steps.shape[0]
        if grown:
            batch = getattr(self, "_batch", 1)  # counts: step-major, one per copy
            self._counts, self._steps = _grow(self._counts, needed * batch), _grow(self._steps, needed)
        self._per_copy_steps()
        return grown or self._cpu_copies() > 1

    def ensure_capacity(self):
        return False

    @property
    def t(self):
        return self._times(self._steps[: self._n[0]])

    @property
    def rate_(self):
        batch, n = getattr(self, "_batch", 1), self._n[0]
        counts = self._counts[: n * batch]
        if batch > 1:
            counts = counts.reshape(n, batch).T
        return counts / (self.source.N * self._dt)

    @property
    def rate(self):
        return _q(self.rate_, second.dim ** -1)

    def smooth_rate(self, window="gaussian", width=None):
        """The rate convolved with a ``"gaussian"`` (sd = width) or ``"flat"`` window."""
        if width is None:
            raise ModelError("smooth_rate needs a width, e.g. width=5*ms")
        if get_dimensions(width) != second.dim:
            raise ModelError(f"smooth_rate width must be a time, it has units {get_dimensions(width)}")
        w = float(np.asarray(width)) / self._dt
        if window == "gaussian":
            half = int(np.ceil(4 * w))
            x = np.arange(-half, half + 1)
            kernel = np.exp(-0.5 * (x / w) ** 2)
        elif window == "flat":
            half = int(np.round(w / 2))
            kernel = np.ones(2 * half + 1)
        else:
            raise ModelError(f"unknown window {window!r}: use 'gaussian' or 'flat'")
        kernel /= kernel.sum()
        return _q(np.convolve(self.rate_, kernel, mode="same"), second.dim ** -1)

    def clear(self):
        """Forget what was recorded (the buffers are kept for the next recordings)."""
        self._n[...] = 0

    def get_state(self):
        return {"counts": self._counts[: self._n[0]].copy(), "steps": self._steps[: self._n[0]].copy()}

    def set_state(self, state):
        self._counts, self._steps = state["counts"].copy(), state["steps"].copy()
        self._n[0] = len(self._counts)
