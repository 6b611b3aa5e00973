"""Each network object's kernels for the CUDA backend, described as data (:class:`~snngen.codegen.kernel.Kernel`)
from the same per-element code as the CPU backend's loops (:meth:`NeuronGroup.generate`, the synapse statement
printers) and rendered through ``templates/cuda/<kind>.py.j2`` by :mod:`snngen.cuda.runtime`.

One step launches, in Brian2's schedule order: state monitors; synaptic state updates and
summed variables; per group a state update + threshold kernel (one thread per neuron,
writing a spike flag) and an ordered compaction of the flags into the spike list (a
block per copy, so spike lists come out sorted as on the CPU); spike monitors and delay
histories; synaptic propagation; resets; rate monitors.  A recording buffer that could
overflow stops the step first ("capacity"), before anything of it ran.

Propagation strategies (``Synapses.propagation``):

* ``"target"`` — one thread per postsynaptic neuron walks the spiking sources (dense
  storage: the spike list; sparse: its incoming synapses, checking the sources' spike
  flags, delayed through a flag history).  No atomics, and each target sums in the same
  order as the CPU backend, so float64 results are identical.
* ``"row"`` — one warp per spiking row, lanes over its synapses (coalesced), targets
  updated with atomic adds: the fast choice for sparse connectivity and few spikes.
  Only for pathways whose postsynaptic writes are ``+=``/``-=`` of values that read no
  variable the pathway writes; sums then come in any order (float64 last-bit
  differences from the CPU).
* ``"auto"`` — dense: target; sparse: row where allowed and delays are homogeneous,
  else target.

Every kernel runs all ``_B`` copies of the network (the batch axis; ``_B = 1`` without one): copy b's
element of a per-neuron array of group p is at ``b*{p}_N + i``, its spike list in ``spikes[b*N:(b+1)*N]``
with ``nspikes[b]``, a per-copy synaptic variable's at ``b*nsyn + s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..codegen.kernel import BLOCK_PER_COPY, Kernel, elements
from ..codegen.names import variable
from ..errors import ModelError
from ..groups.inputs import input_args
from ..groups.synapse_codegen import per_copy_variables

WARP = 32


@dataclass
class CudaPart:
    kernels: list = field(default_factory=list)  # (slot, order, name, Kernel): where each runs in a step
    args: dict = field(default_factory=dict)  # argument name -> getter (as Part.args)
    prologue: list = field(default_factory=list)  # host lines run before the launches (run constants)
    flat: set = field(default_factory=set)  # array arguments the kernels index flat (copy b's row at b*N)
    fresh: set = field(default_factory=set)  # arrays sent at every run whatever their size (read in place)

    def add(self, slot, kernel, order=0, name=""):
        """``kernel`` in ``slot`` ("capacity", or a slot of :mod:`snngen.runtime.schedule`), sorted there by
        ``(order, name)`` as the CPU backend's code."""
        self.kernels.append((slot, order, name, kernel))

    def add_kernels(self, kernels):
        """Kernel descriptions ``[(slot, order, name, Kernel)]``, each with what it implies (:func:`add_kernel`)."""
        for slot, order, name, kernel in kernels:
            add_kernel(self, slot, kernel, order, name)


def nan_lines(prefix):
    def lines(vid, idx, value):
        return [f"if not math.isfinite({value}):", f"    _report_nan(_ctl, {prefix}_id, {vid}, {idx}, _step)"]
    return lines


def compaction(p, name):
    """Ordered compaction of the spike flags of group ``p`` into its spike list (a block per copy)."""
    return Kernel("compaction", f"{p}_compact", BLOCK_PER_COPY, dict(p=p, name=name),
                  writes={f"{p}_spikes", f"{p}_nspikes"})


def add_kernel(part, slot, kernel, order, name):
    """``kernel`` into ``part``; a kernel that decides a group's spikes writes its spike flags, and the ordered
    compaction of the flags into the spike list runs right after it."""
    if kernel.emits is None:
        part.add(slot, kernel, order, name)
        return
    p = kernel.emits
    part.add(slot, replace(kernel, writes=kernel.writes | {f"{p}_flags"}), order, name)
    part.add(slot, compaction(p, kernel.params.get("name", name)), order, name)


# -- groups -----------------------------------------------------------------------------
def neurongroup(group, prefix, run_namespace, check_nan):
    """The group's own description (:meth:`NeuronGroup.kernels`), its index over the elements of all copies."""
    p = prefix
    part = CudaPart()
    if group._events or any(op.event is not None for op in group._regular):
        raise ModelError(f"{group.name}: custom events (events=, run_on_event) are not supported on the CUDA backend "
                         "yet; use backend='cpu'")
    g, kernels = group.kernels(p, run_namespace, nan_lines(p) if check_nan else None, flat=True)
    g.builder.arg(f"{p}_flags", lambda: group._flags)
    part.args = g.builder.args
    part.prologue = [f"{p}_N = {p}_flags.shape[0] // _B"] + g.prologue
    part.add_kernels(kernels)
    # the user may write into an input between runs
    part.fresh = {arg for name, inp in group._inputs.items() for arg in input_args(p, name, inp)}
    return part


def maxpool(pool, p):
    """A thread per input element updates its rate trace; a thread per output element takes its window's
    strongest input (the first among equals) and passes on its spike; then the ordered compaction."""
    gp = pool.group._prefix
    rate = variable(p, "rate")
    part = CudaPart()
    part.args = {rate: lambda: pool.variables["rate"].array, f"{p}_win": lambda: pool._windows,
                 f"{p}_keep": lambda: 1.0 - pool.decay, f"{p}_spikes": lambda: pool._spikes,
                 f"{p}_nspikes": lambda: pool._nspikes, f"{p}_flags": lambda: pool._flags,
                 f"{gp}_flags": lambda: pool.group._flags}
    part.prologue = [f"{p}_N = {p}_flags.shape[0] // _B", f"{gp}_N = {gp}_flags.shape[0] // _B"]
    common = dict(p=p, gp=gp, rate=rate, name=pool.name)
    part.add("thresholds", Kernel("maxpool", f"{p}_rates", elements(f"{gp}_N * _B"), dict(common, stage="rates"),
                                  writes={rate}), pool.order, pool.name)
    add_kernel(part, "thresholds", Kernel("maxpool", f"{p}_select", elements(f"{p}_N * _B"),
                                          dict(common, stage="select"), emits=p), pool.order, pool.name)
    return part


def spikearray(group, p):
    inp = group._input
    if inp.values is None:
        raise ModelError(f"{group.name} has no input: give it one with {group.name}.set_input(array)")
    inp.check_batch(getattr(group, "_batch", 1))
    part = CudaPart()
    part.args = {f"{p}_spikes": lambda: group._spikes, f"{p}_nspikes": lambda: group._nspikes,
                 f"{p}_flags": lambda: group._flags, f"{p}_in": lambda: inp.values, f"{p}_origin": lambda: inp.origin}
    part.prologue = [f"{p}_N = {p}_flags.shape[0] // _B"]
    part.fresh = {f"{p}_in", f"{p}_origin"}  # the user may write into the input between runs
    add_kernel(part, "groups", group.kernel(p), group.order, group.name)
    return part


def poissongroup(group, p):
    part = CudaPart()
    next_spike = variable(p, "next_spike")
    part.args = {f"{p}_rates": lambda: group._rates_array, next_spike: lambda: group.variables["next_spike"].array,
                 f"{p}_stream": lambda: group._stream, f"{p}_spikes": lambda: group._spikes,
                 f"{p}_nspikes": lambda: group._nspikes, f"{p}_flags": lambda: group._flags}
    group._externals = {}
    part.prologue = [f"{p}_N = {p}_flags.shape[0] // _B"]
    add_kernel(part, "groups", group.kernel(p), group.order, f"{group.name}_stateupdater")
    return part


def spikegenerator(group, p):
    part = CudaPart()
    part.args = {f"{p}_spikes": lambda: group._spikes, f"{p}_nspikes": lambda: group._nspikes,
                 f"{p}_evstep": lambda: group._evstep, f"{p}_evidx": lambda: group._evidx,
                 f"{p}_ptrarr": lambda: group._ptr, f"{p}_flags": lambda: group._flags,
                 f"{p}_period": lambda: group._period_steps}
    part.prologue = [f"{p}_N = {p}_flags.shape[0] // _B"]
    part.add("groups", Kernel("spikegenerator", f"{p}_clear", elements(f"{p}_N * _B"),
                              dict(p=p, name=group.name, clear=True), writes={f"{p}_flags"}), group.order, group.name)
    part.add("groups", Kernel("spikegenerator", f"{p}_events", elements("_B", "_b"),
                              dict(p=p, name=group.name, clear=False),
                              writes={f"{p}_spikes", f"{p}_flags", f"{p}_ptrarr", f"{p}_nspikes"}),
             group.order, group.name)
    return part


# -- monitors -------------------------------------------------------------------------------
def spikemonitor(mon, p):
    if mon._event != "spike":
        raise ModelError(f"{mon.name}: EventMonitor is not supported on the CUDA backend yet; use backend='cpu'")
    src = mon.source._prefix
    part = CudaPart(args={f"{p}_i": lambda: mon._i, f"{p}_step": lambda: mon._step, f"{p}_copy": lambda: mon._copy,
                          f"{p}_n": lambda: mon._n, f"{p}_count": lambda: mon._count}, flat={f"{p}_count"})
    b, kernels = mon.kernels(p, flat=True)
    if b is not None:
        part.args.update(b.args)
        part.prologue += b.prologue()
        for k, v in enumerate(mon.record_variables):
            part.args[f"{p}_b{k}"] = lambda v=v: mon._values[v]
    part.add_kernels(kernels)
    part.prologue += [f"{src}_N = {src}_flags.shape[0] // _B"]
    return part


def statemonitor(mon, p):
    if hasattr(mon.source, "_resolve_var"):
        raise ModelError(f"{mon.name}: recording a Synapses object is not supported on the CUDA backend yet; use "
                         "backend='cpu'")
    src = mon.source._prefix
    b, kernels = mon.kernels(p, flat=True)
    part = CudaPart(args=dict(b.args))
    part.args.update({f"{p}_every": lambda: mon._every, f"{p}_rec": lambda: mon.indices,
                      f"{p}_n": lambda: mon._n, f"{p}_steps": lambda: mon._steps})
    for k, v in enumerate(mon.record_variables):
        part.args[f"{p}_b{k}"] = lambda v=v: mon._buffers[v]
    part.add_kernels(kernels)
    part.prologue = b.prologue() + [f"{src}_N = {src}_flags.shape[0] // _B"]
    return part


def ratemonitor(mon, p):
    part = CudaPart(args={f"{p}_n": lambda: mon._n, f"{p}_counts": lambda: mon._counts,
                          f"{p}_steps": lambda: mon._steps})
    part.add_kernels(mon.kernels(p, flat=True))
    return part


# -- synapses -------------------------------------------------------------------------------
def _post_writes(syn, statements):
    return {syn._resolve_var(t)[1] for t, _op, _p in statements
            if t not in syn._temporaries and syn._resolve_var(t)[0] == "post"}


def _row_allowed(syn, statements):
    """Atomic adds are exact only for ``post += value`` where no value reads what the pathway writes."""
    written = _post_writes(syn, statements)
    for target, op, parsed in statements:
        if target in syn._temporaries:
            continue
        where, _var = syn._resolve_var(target)
        if where == "post" and op not in ("+=", "-="):
            return False
        used = {s.name for s in parsed.expr.free_symbols}
        for name in used:
            found = syn._resolve_var(name)
            if found is not None and found[0] == "post" and found[1] in written:
                return False
    return True


def _check_writes(syn, statements, what, allowed):
    for target, _op, _parsed in statements:
        if target in syn._temporaries:
            continue
        where, var = syn._resolve_var(target)
        owner = {"pre": syn.source, "post": syn.target}.get(where)
        if where not in allowed or (owner is not None and "shared" in owner.variables[var].flags):
            raise ModelError(f"{syn.name}: {what} writes '{target}' ({'shared ' if where != 'syn' else ''}"
                             f"{ {'pre': 'presynaptic', 'post': 'postsynaptic', 'syn': 'synaptic'}[where] } "
                             "variable); on the CUDA backend this is not supported yet (many threads would "
                             "write one element). Use backend='cpu'.")


class CudaSynapseArrays:
    """Connectivity arrays the CUDA kernels need beyond the CPU's: incoming synapses in the
    CPU's summation order, and per-synapse delays in steps."""

    def __init__(self):
        self.version = None

    def refresh(self, syn):
        st = syn._state
        key = (st.version, st.dt)
        if key == self.version:
            return
        self.version = key
        self.pathways = {}
        if st.dense:
            return
        i, j = syn._pre, syn._post
        for name, d in st.delays.items():
            if name not in syn.pathways:
                continue  # on_post's: read through flags (see synapses())
            dsyn = np.floor(syn.pathways[name].delays() / st.dt + 0.5).astype(np.int64)
            if dsyn.shape[0] != len(i):
                dsyn = np.full(len(i), int(d.uniq[0]) if len(d.uniq) else 0, dtype=np.int64)
            # a target's contributions in the CPU's order: delay, then source, then creation
            order = np.lexsort((np.arange(len(i)), i, dsyn, j)).astype(np.int64)
            self.pathways[name] = (order, dsyn.astype(np.int32))


def _history(d, kind, shape, dtype):
    """A pathway's per-copy delay history (kept on its DelayState, so store/restore keep it)."""
    h = getattr(d, kind, None)
    if h is None or h.shape != shape:
        h = np.zeros(shape, dtype=dtype)
        setattr(d, kind, h)
    return h


def synapses(syn, prefix, run_namespace, check_nan):
    from ..groups import synapse_codegen as sc
    from ..groups.synapses import Synapses

    p = prefix
    dt = syn._net_dt
    B = getattr(syn, "_batch", 1)
    if isinstance(syn.source, Synapses) or isinstance(syn.target, Synapses):
        raise ModelError(f"{syn.name}: synapses from or onto synapses are not supported on the CUDA backend yet; use "
                         "backend='cpu'")
    triggers = [pw.event for pw in syn.pathways.values()] + ([syn.post_pathway.event] if syn.post_pathway else [])
    if any(event != "spike" for event in triggers):
        raise ModelError(f"{syn.name}: pathways triggered by custom events (on_event) are not supported on the CUDA "
                         "backend yet; use backend='cpu'")
    syn._reducing = syn._check_batch_shared() if B > 1 else {}
    externals, state, hoister = sc.prepare(syn, run_namespace, dt)
    if not hasattr(syn, "_cuda_arrays"):
        syn._cuda_arrays = CudaSynapseArrays()
    extra = syn._cuda_arrays
    extra.refresh(syn)
    dense = state.dense
    src, tgt = syn.source._prefix, syn.target._prefix
    ns = len(syn.source)
    percopy = per_copy_variables(syn)
    part = CudaPart()
    args = sc.synapse_args(syn, p, externals)
    args.update({f"{src}_flags": lambda: syn.source._flags, f"{tgt}_flags": lambda: syn.target._flags})
    part.prologue = [f"{src}_N = {src}_flags.shape[0] // _B", f"{tgt}_N = {tgt}_flags.shape[0] // _B",
                     f"{p}_nsyn = {src}_N * {tgt}_N" if dense else f"{p}_nsyn = {p}_pre.shape[0]"]
    has_ed = any("event-driven" in syn.equations[n].flags for n in syn.equations.diff_names)
    tail = [f"{variable(p, 'lastupdate')}[_sb] = _t"] if has_ed else []
    syn_of_q = "_q" if state.sorted else f"{p}_rowsyn[_q]"
    common = dict(p=p, src=src, tgt=tgt, name=syn.name, dense=dense, syn_of_q=syn_of_q,
                  pre_of_s=f"_s // {tgt}_N" if dense else f"{p}_pre[_s]",
                  post_of_s=f"_s % {tgt}_N" if dense else f"{p}_post[_s]")

    def code(statements, draw, atomic=False, event_driven=True):
        """(lines, written arrays, atomically written arrays) of statements run for synapse _s of copy _b."""
        written = sc.statement_writes(syn, p, statements, batch=True)
        lines, writes = [], set(written)
        atomics = {a for a, where in written.items() if where == "indexed" or (atomic and where == "post")}
        if event_driven:
            lines += sc._event_driven_lines(syn, p, externals, hoister, batch=percopy, statements=statements)
            writes |= sc.event_driven_writes(syn, p, statements)
        lines += sc._statement_lines(syn, p, externals, hoister, statements, draw, atomic=atomic, batch=percopy)
        if event_driven and has_ed:
            lines += tail
            writes.add(variable(p, "lastupdate"))
        return lines, writes, atomics

    update = sc._clock_driven(syn, p, externals, hoister, batch=percopy)
    if update:
        part.add("groups", Kernel("synapse_each", f"{p}_update", elements(f"{p}_nsyn * _B", "_sb"), dict(
            common, what="clock-driven synaptic equations", every=None, body=update),
            writes=sc.clock_driven_writes(syn, p)), syn.order, f"{syn.name}_stateupdater")
    for k, (summed, target, expr) in enumerate(sc._summed(syn, p, externals, hoister, batch=percopy)):
        var = syn.target.variables[target[len(variable(tgt, "")):]]
        zero = "np.float32(0.0)" if var._array.dtype == np.float32 else "0.0"
        part.add("groups", Kernel("summed", f"{p}_summed{k}", elements(f"{tgt}_N * _B", "_jb"), dict(
            common, target=target, zero=zero, expr=expr), writes={target}),
            getattr(syn.target, "order", 0) - 1, f"{syn.name}_summed_variable_{summed}")

    choice = getattr(syn, "propagation", "auto")
    if choice not in ("auto", "row", "target"):
        raise ModelError(f"{syn.name}: propagation must be 'auto', 'row' or 'target', not {choice!r}")
    for k, (pw_name, pathway) in enumerate(syn.pathways.items()):
        _check_writes(syn, pathway.statements, pathway.label, ("syn", "post"))
        d = state.delays[pw_name]
        q = f"{p}_p{k}_"
        slots = d.max_delay + 1
        args[f"{q}dsteps"] = lambda d=d: d.uniq
        delayed, homogeneous = d.max_delay > 0, d.homogeneous
        row_ok = not dense and homogeneous and _row_allowed(syn, pathway.statements)
        mode = choice
        if mode == "auto":
            mode = "row" if row_ok else "target"
        if mode == "row" and not row_ok:
            raise ModelError(f"{syn.name}: propagation='row' needs sparse storage, homogeneous delays and "
                             f"a {pathway.label} whose postsynaptic writes are '+=' or '-=' of values that "
                             "read nothing the pathway writes; use 'target'")
        body, writes, atomics = code(pathway.statements, 5000 + 100 * k, atomic=mode == "row")
        listed = mode == "row" or (dense and homogeneous)
        history = f"{syn.name}_{pw_name}_history"
        if delayed and listed:  # per copy, the history of spike lists (as the CPU backend)
            args[f"{q}hist"] = lambda d=d, shape=(slots, B * ns): _history(d, "histb", shape, np.int32)
            args[f"{q}histn"] = lambda d=d, shape=(slots * B,): _history(d, "histnb", shape, np.int64)
            part.add("thresholds", Kernel("delay_history", f"{q}history", BLOCK_PER_COPY, dict(
                name=f"{syn.name} {pathway.label}", src=src, lists=True, hist=f"{q}hist", histn=f"{q}histn"),
                writes={f"{q}hist", f"{q}histn"}), 0, history)
        elif delayed:  # the history of spike flags
            args[f"{q}histf"] = lambda d=d, shape=(slots, B * ns): _history(d, "histf", shape, np.uint8)
            part.add("thresholds", Kernel("delay_history", f"{q}flaghistory", elements(f"{src}_N * _B"), dict(
                name=f"{syn.name} {pathway.label}", src=src, lists=False, hist=f"{q}histf"),
                writes={f"{q}histf"}), 0, history)
        head, count, neuron = [], None, None
        if listed:
            if delayed:
                head = [f"_rslot = (_step - {q}dsteps[0]) % {q}hist.shape[0]"]
                count, neuron = f"{q}histn[_rslot * _B + _b]", f"np.int64({q}hist[_rslot, _b * {src}_N + _k])"
            else:  # (spike lists are int32; indices computed from them, random draws keyed by them, int64)
                count, neuron = f"{src}_nspikes[_b]", f"np.int64({src}_spikes[_b * {src}_N + _k])"
        params = dict(common, label=pathway.label, head=head, count=count, neuron=neuron, body=body, warp=WARP)
        if mode == "target" and dense and homogeneous:
            kernel = Kernel("propagate", f"{q}propagate", elements(f"{tgt}_N * _B", "_jb"),
                            dict(params, mode="list"), writes=writes, atomic=atomics)
        elif mode == "target":
            slot = "0" if not delayed else (f"(_step - {q}dsteps[0]) % {q}histf.shape[0]" if homogeneous
                                            else f"(_step - {q}dsyn[_s]) % {q}histf.shape[0]")
            if dense and delayed and not homogeneous:
                args[f"{q}dsyn"] = lambda n=pw_name, dt=dt: np.floor(
                    syn.pathways[n].delays() / dt + 0.5).astype(np.int32)
            elif not dense:
                args[f"{q}order"] = lambda extra=extra, n=pw_name: extra.pathways[n][0]
                args[f"{q}dsyn"] = lambda extra=extra, n=pw_name: extra.pathways[n][1]
            kernel = Kernel("propagate", f"{q}propagate", elements(f"{tgt}_N * _B", "_jb"), dict(
                params, mode="incoming", order=f"{q}order",
                spiked=f"{src}_flags[_ib]" if not delayed else f"{q}histf[{slot}, _ib]"),
                writes=writes, atomic=atomics)
        else:  # row: a warp per spiking row
            kernel = Kernel("propagate", f"{q}propagate", elements(f"{src}_N * _B * {WARP}", "_g"),
                            dict(params, mode="row"), writes=writes, atomic=atomics)
        part.add(pathway.when, kernel, pathway.order, f"{syn.name}_{pw_name}")
    if syn.on_post:
        _check_writes(syn, syn.on_post, "on_post", ("syn", "pre"))
        body, writes, atomics = code(syn.on_post, 6000)
        d = state.delays["post"]
        spiked = None if dense else f"{tgt}_flags[_jb]"
        if d.max_delay > 0:  # the targets' spike flags of the last steps; a synapse reads its delay's row
            q = f"{p}_post_"
            nt = len(syn.target)
            args[f"{q}histf"] = lambda d=d, shape=(d.max_delay + 1, B * nt): _history(d, "histf", shape, np.uint8)
            args[f"{q}dsteps"] = lambda d=d: d.uniq
            part.add("thresholds", Kernel("delay_history", f"{q}flaghistory", elements(f"{tgt}_N * _B"), dict(
                name=f"{syn.name} on_post", src=tgt, lists=False, hist=f"{q}histf"), writes={f"{q}histf"}),
                0, f"{syn.name}_post_history")
            if d.homogeneous:
                spiked = f"{q}histf[(_step - {q}dsteps[0]) % {q}histf.shape[0], _jb]"
            else:
                args[f"{q}dsyn"] = lambda: np.floor(syn.post_pathway.delays() / dt + 0.5).astype(np.int32)
                spiked = f"{q}histf[(_step - {q}dsyn[_s]) % {q}histf.shape[0], _jb]"
        part.add(syn.post_pathway.when, Kernel("on_post", f"{p}_on_post", elements(f"{src}_N * _B", "_ib"), dict(
            common, spiked=spiked, body=body), writes=writes, atomic=atomics), syn.post_pathway.order,
            f"{syn.name}_post")
    for k, (name, how) in enumerate(syn._reducing.items()):
        # batch_shared: after the step, the shared value takes the mean (or sum) of the copies' changes
        d = variable(p, name + "__d")
        args[d] = lambda name=name: sc._reduction_arrays(syn, name, B)[0]
        part.flat.add(d)
        w = variable(p, name)
        bounds = None
        if name in syn._batch_clip:
            bounds = variable(p, f"{name}__bounds")
            args[bounds] = lambda name=name: syn.batch_bounds(name)
        part.add("end", Kernel("batch_reduce", f"{p}_reduce{k}", elements(f"{p}_nsyn", "_s"), dict(
            p=p, name=syn.name, var=name, how=how, d=d, w=w, bounds=bounds), writes={d, w}), 1000,
            f"{syn.name}_batch_shared_{name}")
    clip_args, clips = syn.clip_kernels(p)
    args.update(clip_args)
    part.add_kernels(clips)
    for k, op in enumerate(syn._regular):
        _check_writes(syn, op.statements, op.name, {"syn", "post"})
        if not _row_allowed(syn, op.statements):
            raise ModelError(f"{syn.name}: {op.name} writes postsynaptic variables with something other than '+=' "
                             "or '-=' of values that read nothing it writes; on the CUDA backend its synapses run "
                             "at once (atomic adds), so this is not supported. Use backend='cpu'.")
        every = f"{p}_rr{k}_every"
        args[every] = lambda op=op: op.every(syn._net_dt)
        body, writes, atomics = code(op.statements, 7000 + 100 * k, atomic=True, event_driven=False)
        part.add(op.when, Kernel("synapse_each", f"{p}_rr{k}", elements(f"{p}_nsyn * _B", "_sb"), dict(
            common, name=op.name, what="run regularly, for every synapse (postsynaptic sums by atomic adds)",
            every=every, body=body), writes=writes, atomic=atomics), op.order, op.name)
    pr = sc._printer(syn, p, externals, hoister, 0, batch=percopy)
    part.prologue += [f"{pr.names[s.name]} = {pr.doprint(e)}" for e, s in hoister.hoisted.items()]
    part.args = args
    return part


def poissoninput(obj, p, run_namespace):
    tp = obj._target_prefix()
    b, kernels = obj.kernels(p, run_namespace, flat=True)
    part = CudaPart(args=b.args)
    part.prologue = [f"{p}_N = {tp}_flags.shape[0] // _B", f"{tp}_N = {tp}_flags.shape[0] // _B"] + b.prologue()
    part.add_kernels(kernels)
    return part
