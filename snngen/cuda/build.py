"""Each network object's kernels for the CUDA backend, from the same per-element code
as the CPU backend's loops (:meth:`NeuronGroup.generate`, the synapse statement printers).

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
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field

import numpy as np

from ..codegen.names import variable
from ..errors import ModelError
from ..groups.inputs import input_args

WARP = 32


@dataclass
class Kernel:
    name: str
    code: list  # lines of the kernel body (after the clock/halt prologue)
    threads: str  # host expression: the number of threads to launch
    block: int = 0  # 0: prefs.cuda_block; 1: one thread per launch; -1 (single_block): one block in all
    single_block: bool = False  # one block per copy (batch axis)
    args: list = field(default_factory=list)  # filled in by the module builder


@dataclass
class CudaPart:
    kernels: list = field(default_factory=list)  # (slot, order, name, Kernel): where each runs in a step
    args: dict = field(default_factory=dict)  # argument name -> getter (as Part.args)
    prologue: list = field(default_factory=list)  # host lines run before the launches (run constants)
    flat: set = field(default_factory=set)  # array arguments the kernels index flat (copy b's row at b*N)

    def add(self, slot, kernel, order=0, name=""):
        """``kernel`` in ``slot`` ("capacity", or a slot of :mod:`snngen.runtime.schedule`), sorted there by
        ``(order, name)`` as the CPU backend's code."""
        self.kernels.append((slot, order, name, kernel))


def nan_lines(prefix):
    def lines(vid, idx, value):
        return [f"if not math.isfinite({value}):", f"    _report_nan(_ctl, {prefix}_id, {vid}, {idx}, _step)"]
    return lines


def _each(index, size):
    return [f"{index} = cuda.grid(1)", f"if {index} >= {size}:", "    return"]


def _input_row(origin, arr, test, then, otherwise):
    """Kernel lines reading row ``_row = _step - origin`` of an input array: ``then`` while the row exists (and
    ``test`` holds), else ``otherwise``."""
    return [f"_row = _step - {origin}[0]", f"if _row >= 0 and _row < {arr}.shape[0]{test}:", f"    {then}", "else:",
            f"    {otherwise}"]


# Every kernel runs all _B copies of the network (the batch axis; _B = 1 without one): copy b's
# element of a per-neuron array of group p is at b*{p}_N + i, its spike list in spikes[b*N:(b+1)*N]
# with nspikes[b], a per-copy synaptic variable's at b*nsyn + s.

def compaction(p, name):
    """Ordered compaction of the spike flags of group ``p`` into its spike list (a block per copy)."""
    return Kernel(f"{p}_compact", [
        f"# {name}: spike flags -> sorted spike list (a block per copy: per-thread counts, scan, write)",
        "_tid = cuda.threadIdx.x",
        "_nt = cuda.blockDim.x",
        "_b = cuda.blockIdx.x",
        f"_base = _b * {p}_N",
        "_sh = cuda.shared.array(_ONE_BLOCK, np.int32)",
        f"_chunk = ({p}_N + _nt - 1) // _nt",
        "_lo = _tid * _chunk",
        f"_hi = min(_lo + _chunk, {p}_N)",
        "_c = 0",
        "for _k in range(_lo, _hi):",
        f"    _c += {p}_flags[_base + _k]",
        "_sh[_tid] = _c",
        "_barrier()",
        "_off = 1",
        "while _off < _nt:",
        "    _v = _sh[_tid - _off] if _tid >= _off else 0",
        "    _barrier()",
        "    _sh[_tid] += _v",
        "    _barrier()",
        "    _off *= 2",
        "_pos = _sh[_tid] - _c",
        "for _k in range(_lo, _hi):",
        f"    if {p}_flags[_base + _k]:",
        f"        {p}_spikes[_base + _pos] = _k",
        "        _pos += 1",
        "if _tid == _nt - 1:",
        f"    {p}_nspikes[_b] = _sh[_nt - 1]",
    ], "_BLOCK", single_block=True)


# -- groups -----------------------------------------------------------------------------
def neurongroup(group, prefix, run_namespace, check_nan):
    from ..groups.neurongroup import PoissonGroup

    p = prefix
    part = CudaPart()
    if isinstance(group, PoissonGroup) and group._rates is not None:
        return poissongroup(group, p)
    if group._events or any(op.event is not None for op in group._regular):
        raise ModelError(f"{group.name}: custom events (events=, run_on_event) are not supported on the CUDA backend "
                         "yet; use backend='cpu'")
    g = group.generate(p, run_namespace, nan_lines(p) if check_nan else None, batch=True)
    b = g.builder
    b.arg(f"{p}_flags", lambda: group._flags)
    part.args = b.args
    part.prologue = [f"{p}_N = {p}_flags.shape[0] // _B"] + g.prologue
    if g.has_loop:
        code = [f"# {group.name}: state update" + (" and threshold" if g.threshold else "")]
        code += _each(g.index, f"{p}_N * _B") + g.loads + g.body
        if g.threshold is not None:
            code.append(f"{p}_flags[{g.index}] = 1 if ({g.threshold}) else 0")
            on_spike = g.on_spike(g.index)
            if on_spike:
                code += [f"if {p}_flags[{g.index}]:"] + ["    " + line for line in on_spike]
        part.add("groups", Kernel(f"{p}_update", code, f"{p}_N * _B"), group.order, f"{group.name}_stateupdater")
    if g.threshold is not None:
        part.add("groups", compaction(p, group.name), group.order, f"{group.name}_stateupdater")
    if g.reset is not None:
        loads, body = g.reset
        code = [f"# {group.name}: reset of the neurons that spiked"] + _each("_i", f"{p}_N * _B")
        code += [f"if {p}_flags[_i] == 0:", "    return"] + loads + body
        part.add("resets", Kernel(f"{p}_reset", code, f"{p}_N * _B"), group.order, f"{group.name}_spike_resetter")
    for k, (op, (scalar_loads, scalar), (loads, body)) in enumerate(g.regular):
        every = b.arg(f"{p}_rr{k}_every", lambda op=op: op.every(group._net_dt))
        if scalar:  # statements writing (shared) variables: one thread, once, before the others
            code = [f"# {op.name}: run regularly, (shared) variables", "if cuda.grid(1) != 0:", "    return",
                    "_i = 0", f"if _step % {every} != 0:", "    return"] + scalar_loads + scalar
            part.add(op.when, Kernel(f"{p}_rr{k}s", code, "1", block=1), op.order, op.name)
        if body:
            code = [f"# {op.name}: run regularly"] + _each("_i", f"{p}_N * _B")
            if op.span is not None:  # a subgroup's neurons only
                code += [f"if _i % {p}_N < {op.span[0]} or _i % {p}_N >= {op.span[1]}:", "    return"]
            code += [f"if _step % {every} != 0:", "    return"] + loads + body
            part.add(op.when, Kernel(f"{p}_rr{k}", code, f"{p}_N * _B"), op.order, op.name)
    for name, inp in group._inputs.items():
        inp.check_batch(getattr(group, "_batch", 1))
        arr, origin = (b.arg(arg, getter) for arg, getter in input_args(p, name, inp).items())
        col = "_i" if inp.per_copy else f"_i % {p}_N"
        target = f"{variable(p, name)}[_i]"
        code = [f"# {group.name}: '{name}' from row (_step - origin) of its input array (0 after its last row)"]
        code += _each("_i", f"{p}_N * _B") + _input_row(origin, arr, "", f"{target} = {arr}[_row, {col}]",
                                                        f"{target} = 0.0")
        part.add("before_start", Kernel(f"{p}_feed_{name}", code, f"{p}_N * _B"), group.order,
                 f"{group.name}_input_{name}")
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
    part.add("thresholds", Kernel(f"{p}_rates", [f"# {pool.name}: the inputs' rate traces"]
                                  + _each("_i", f"{gp}_N * _B")
                                  + [f"{rate}[_i] = {rate}[_i] * {p}_keep + {gp}_flags[_i]"], f"{gp}_N * _B"),
             pool.order, pool.name)
    part.add("thresholds", Kernel(f"{p}_select", [f"# {pool.name}: the strongest input of each window"]
                                  + _each("_i", f"{p}_N * _B") + [
        f"_b = _i // {p}_N",
        f"_o = _i - _b * {p}_N",
        "_best = -1",
        "_bestv = -1.0",
        f"for _e in range({p}_win.shape[1]):",
        f"    _j = {p}_win[_o, _e]",
        f"    if _j >= 0 and {rate}[_b * {gp}_N + _j] > _bestv:",
        "        _best = _j",
        f"        _bestv = {rate}[_b * {gp}_N + _j]",
        f"{p}_flags[_i] = 1 if _best >= 0 and {gp}_flags[_b * {gp}_N + _best] != 0 else 0",
    ], f"{p}_N * _B"), pool.order, pool.name)
    part.add("thresholds", compaction(p, pool.name), pool.order, pool.name)
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
    col = "_i" if inp.per_copy else f"_i % {p}_N"
    code = [f"# {group.name}: the spikes of row (_step - origin) of the input array (none after its last row)"]
    code += _each("_i", f"{p}_N * _B") + _input_row(f"{p}_origin", f"{p}_in", f" and {p}_in[_row, {col}]",
                                                    f"{p}_flags[_i] = 1", f"{p}_flags[_i] = 0")
    part.add("groups", Kernel(f"{p}_update", code, f"{p}_N * _B"), group.order, group.name)
    part.add("groups", compaction(p, group.name), group.order, group.name)
    return part


def poissongroup(group, p):
    part = CudaPart()
    part.args = {f"{p}_rates": lambda: group._rates_array,
                 variable(p, "next_spike"): lambda: group.variables["next_spike"].array,
                 f"{p}_stream": lambda: group._stream, f"{p}_spikes": lambda: group._spikes,
                 f"{p}_nspikes": lambda: group._nspikes, f"{p}_flags": lambda: group._flags}
    group._externals = {}
    part.prologue = [f"{p}_N = {p}_flags.shape[0] // _B"]
    gap = "_poisson_gap(_seed, {p}_stream, _i, _step, {k}, {p}_rates[_i] * dt)"
    code = [f"# {group.name}: Poisson spikes; the next spike step is drawn (geometric gap) at each spike"]
    code += _each("_i", f"{p}_N * _B") + [
        f"_nx = {variable(p, 'next_spike')}[_i]",
        "if _nx < _step:",
        "    _nx = _step - 1 + " + gap.format(p=p, k=0),
        f"    {variable(p, 'next_spike')}[_i] = _nx",
        "if _nx == _step:",
        f"    {p}_flags[_i] = 1",
        f"    {variable(p, 'next_spike')}[_i] = _step + " + gap.format(p=p, k=1),
        "else:",
        f"    {p}_flags[_i] = 0",
    ]
    part.add("groups", Kernel(f"{p}_update", code, f"{p}_N * _B"), group.order, f"{group.name}_stateupdater")
    part.add("groups", compaction(p, group.name), group.order, f"{group.name}_stateupdater")
    return part


def spikegenerator(group, p):
    part = CudaPart()
    part.args = {f"{p}_spikes": lambda: group._spikes, f"{p}_nspikes": lambda: group._nspikes,
                 f"{p}_evstep": lambda: group._evstep, f"{p}_evidx": lambda: group._evidx,
                 f"{p}_ptrarr": lambda: group._ptr, f"{p}_flags": lambda: group._flags,
                 f"{p}_period": lambda: group._period_steps}
    part.prologue = [f"{p}_N = {p}_flags.shape[0] // _B"]
    part.add("groups", Kernel(f"{p}_clear", _each("_i", f"{p}_N * _B") + [f"{p}_flags[_i] = 0"], f"{p}_N * _B"),
             group.order, group.name)
    part.add("groups", Kernel(f"{p}_events", [
        f"# {group.name}: spikes given as (index, step) pairs, sorted by step (a thread per copy)",
        *_each("_b", "_B"),
        "_n = 0",
        f"_base = _b * {p}_N",
        f"_ptr = {p}_ptrarr[_b]",
        f"_P = {p}_period[0]",
        "_ls = _step % _P if _P > 0 else _step",
        "if _P > 0 and _ls == 0:",
        "    _ptr = 0",
        f"while _ptr < {p}_evstep.shape[0] and {p}_evstep[_ptr] <= _ls:",
        f"    if {p}_evstep[_ptr] == _ls:",
        f"        {p}_spikes[_base + _n] = {p}_evidx[_ptr]",
        f"        {p}_flags[_base + {p}_evidx[_ptr]] = 1",
        "        _n += 1",
        "    _ptr += 1",
        f"{p}_ptrarr[_b] = _ptr",
        f"{p}_nspikes[_b] = _n",
    ], "_B"), group.order, group.name)
    return part


# -- monitors -------------------------------------------------------------------------------
def spikemonitor(mon, p):
    from ..groups.monitors import value_code

    if mon._event != "spike":
        raise ModelError(f"{mon.name}: EventMonitor is not supported on the CUDA backend yet; use backend='cpu'")
    src = mon.source._prefix
    part = CudaPart(args={f"{p}_i": lambda: mon._i, f"{p}_step": lambda: mon._step, f"{p}_copy": lambda: mon._copy,
                          f"{p}_n": lambda: mon._n, f"{p}_count": lambda: mon._count}, flat={f"{p}_count"})
    if mon.record:
        part.add("capacity", Kernel(f"{p}_capacity", [
            "# the buffer must hold one more step of spikes; else stop here (the host grows it)",
            "if cuda.grid(1) == 0 and " + f"{p}_n[0] + {src}_N * _B > {p}_i.shape[0]:",
            "    _halt(_ctl, _step)",
        ], "1", block=1))
    record = [f"        {p}_i[_nn + _off + _k] = _j", f"        {p}_step[_nn + _off + _k] = _step",
              f"        {p}_copy[_nn + _off + _k] = _b"] if mon.record else []
    if mon.record_variables:
        b, loads, values = value_code(mon.source, mon.record_variables, neuron_index="_j")
        part.args.update(b.args)
        part.prologue += b.prologue()
        record += [f"        _i = _b * {src}_N + _j"] + ["        " + line for line in loads]
        for k, (v, value) in enumerate(zip(mon.record_variables, values)):
            part.args[f"{p}_b{k}"] = lambda v=v: mon._values[v]
            record.append(f"        {p}_b{k}[_nn + _off + _k] = {value}")
    part.add(mon.when, Kernel(f"{p}_record", [
        f"# {mon.name}: spikes of the step, copy after copy (one block)",
        "if cuda.blockIdx.x != 0:",
        "    return",
        "_tid = cuda.threadIdx.x",
        f"_nn = {p}_n[0]",
        "_off = 0",
        "for _b in range(_B):",
        f"    _ns = {src}_nspikes[_b]",
        "    for _k in range(_tid, _ns, cuda.blockDim.x):",
        f"        _j = {src}_spikes[_b * {src}_N + _k]",
        f"        {p}_count[_b * {src}_N + _j] += 1",
        *record,
        "    _off += _ns",
        "_barrier()",
        "if _tid == 0:",
        f"    {p}_n[0] = _nn + _off" if mon.record else "    pass",
    ], "_BLOCK", single_block=True, block=-1), mon.order, mon.name)
    part.prologue += [f"{src}_N = {src}_flags.shape[0] // _B"]
    return part


def statemonitor(mon, p):
    from ..groups.monitors import value_code

    if hasattr(mon.source, "_resolve_var"):
        raise ModelError(f"{mon.name}: recording a Synapses object is not supported on the CUDA backend yet; use "
                         "backend='cpu'")
    src = mon.source._prefix
    b, loads, values = value_code(mon.source, mon.record_variables, neuron_index="_n")
    part = CudaPart(args=dict(b.args))
    part.args.update({f"{p}_every": lambda: mon._every, f"{p}_rec": lambda: mon.indices,
                      f"{p}_n": lambda: mon._n, f"{p}_steps": lambda: mon._steps})
    for k, v in enumerate(mon.record_variables):
        part.args[f"{p}_b{k}"] = lambda v=v: mon._buffers[v]
    code = [f"# {mon.name}: values at the start of the step (one block; columns copy-major)",
            "if cuda.blockIdx.x != 0:", "    return",
            f"if _step % {p}_every != 0:", "    return",
            "_tid = cuda.threadIdx.x", f"_nn = {p}_n[0]", f"_nrec = {p}_rec.shape[0]",
            "for _kk in range(_tid, _nrec * _B, cuda.blockDim.x):",
            "    _b = _kk // _nrec",
            f"    _n = {p}_rec[_kk - _b * _nrec]",
            f"    _i = _b * {src}_N + _n"]
    code += ["    " + line for line in loads]
    code += [f"    {p}_b{k}[_nn, _kk] = {val}" for k, val in enumerate(values)]
    code += ["_barrier()", "if _tid == 0:", f"    {p}_steps[_nn] = _step", f"    {p}_n[0] = _nn + 1"]
    part.add(mon.when, Kernel(f"{p}_record", code, "_BLOCK", single_block=True, block=-1), mon.order, mon.name)
    part.prologue = b.prologue() + [f"{src}_N = {src}_flags.shape[0] // _B"]
    return part


def ratemonitor(mon, p):
    src = mon.source._prefix
    part = CudaPart(args={f"{p}_n": lambda: mon._n, f"{p}_counts": lambda: mon._counts,
                          f"{p}_steps": lambda: mon._steps})
    part.add(mon.when, Kernel(f"{p}_record", [
        f"# {mon.name}: the step's spike count of each copy (one thread)",
        "if cuda.grid(1) != 0:", "    return",
        f"_nn = {p}_n[0]",
        "for _b in range(_B):",
        f"    {p}_counts[_nn * _B + _b] = {src}_nspikes[_b]",
        f"{p}_steps[_nn] = _step",
        f"{p}_n[0] = _nn + 1",
    ], "1", block=1), mon.order, mon.name)
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


def per_copy_variables(syn):
    """Synaptic variables each copy keeps its own (batch axis): those the network writes (plastic
    weights, traces, clock-driven state) and those named in ``syn.batch_separate``; the others
    (fixed weights) are shared by all copies."""
    eqs = syn.equations
    def synaptic(t):
        return t not in syn._temporaries and syn._resolve_var(t)[0] == "syn"

    out = {t for _, pw in syn.pathways.items() for t, _op, _p in pw.statements if synaptic(t)}
    out |= {t for t, _op, _p in syn.on_post if synaptic(t)}
    out |= {t for op in getattr(syn, "_regular", ()) for t, _op, _p in op.statements if synaptic(t)}
    out |= set(eqs.diff_names)
    if "lastupdate" in syn.variables:
        out.add("lastupdate")
    out |= set(getattr(syn, "batch_separate", ()))
    out -= set(getattr(syn, "batch_shared", None) or ())  # one value for all copies, updated by their mean
    return {n for n in out & set(syn.variables) if "indexed" not in syn.variables[n].flags}


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

    p = prefix
    dt = syn._net_dt
    B = getattr(syn, "_batch", 1)
    from ..groups.synapses import Synapses

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
    pre_of_s = f"_s // {tgt}_N" if dense else f"{p}_pre[_s]"
    post_of_s = f"_s % {tgt}_N" if dense else f"{p}_post[_s]"
    has_ed = any("event-driven" in syn.equations[n].flags for n in syn.equations.diff_names)
    tail = [f"{variable(p, 'lastupdate')}[_sb] = _t"] if has_ed else []
    sb = f"_sb = _b * {p}_nsyn + _s"
    ib, jb = f"_ib = _b * {src}_N + _ip", f"_jb = _b * {tgt}_N + _jp"

    update = sc._clock_driven(syn, p, externals, hoister, batch=percopy)
    if update:
        code = [f"# {syn.name}: clock-driven synaptic equations"] + _each("_sb", f"{p}_nsyn * _B")
        code += [f"_b = _sb // {p}_nsyn", f"_s = _sb - _b * {p}_nsyn", f"_ip = {pre_of_s}", f"_jp = {post_of_s}",
                 ib, jb] + update
        part.add("groups", Kernel(f"{p}_update", code, f"{p}_nsyn * _B"), syn.order, f"{syn.name}_stateupdater")
    for k, (summed, target, expr) in enumerate(sc._summed(syn, p, externals, hoister, batch=percopy)):
        var = syn.target.variables[target[len(variable(tgt, "")):]]
        zero = "np.float32(0.0)" if var._array.dtype == np.float32 else "0.0"
        code = [f"# {syn.name}: summed into {target}"] + _each("_jb", f"{tgt}_N * _B")
        code += [f"_b = _jb // {tgt}_N", f"_jp = _jb - _b * {tgt}_N", f"_acc = {zero}"]
        if dense:
            code += [f"for _ip in range({src}_N):", f"    _s = _ip * {tgt}_N + _jp"]
        else:
            code += [f"for _q in range({p}_colptr[_jp], {p}_colptr[_jp + 1]):", f"    _s = {p}_colsyn[_q]",
                     f"    _ip = {p}_pre[_s]"]
        code += ["    " + ib, "    " + sb, f"    _acc += {expr}", f"{target}[_jb] = _acc"]
        part.add("groups", Kernel(f"{p}_summed{k}", code, f"{tgt}_N * _B"), getattr(syn.target, "order", 0) - 1,
                 f"{syn.name}_summed_variable_{summed}")

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
        draw = 5000 + 100 * k
        ed = sc._event_driven_lines(syn, p, externals, hoister, batch=percopy, statements=pathway.statements)
        body = ed + sc._statement_lines(syn, p, externals, hoister, pathway.statements, draw,
                                        atomic=mode == "row", batch=percopy) + tail
        listed = mode == "row" or (dense and homogeneous)
        if delayed and listed:  # per copy, the history of spike lists (as the CPU backend)
            args[f"{q}hist"] = lambda d=d, shape=(slots, B * ns): _history(d, "histb", shape, np.int32)
            args[f"{q}histn"] = lambda d=d, shape=(slots * B,): _history(d, "histnb", shape, np.int64)
            part.add("thresholds", Kernel(f"{q}history", [
                f"# {syn.name} {pathway.label}: this step's spike lists into the delay ring buffer (a block per copy)",
                "_tid = cuda.threadIdx.x",
                "_b = cuda.blockIdx.x",
                f"_slot = _step % {q}hist.shape[0]",
                f"_ns = {src}_nspikes[_b]",
                "for _k in range(_tid, _ns, cuda.blockDim.x):",
                f"    {q}hist[_slot, _b * {src}_N + _k] = {src}_spikes[_b * {src}_N + _k]",
                "if _tid == 0:",
                f"    {q}histn[_slot * _B + _b] = _ns",
            ], "_BLOCK", single_block=True), 0, f"{syn.name}_{pw_name}_history")
        elif delayed:  # the history of spike flags
            args[f"{q}histf"] = lambda d=d, shape=(slots, B * ns): _history(d, "histf", shape, np.uint8)
            part.add("thresholds", Kernel(f"{q}flaghistory", _each("_i", f"{src}_N * _B") + [
                f"{q}histf[_step % {q}histf.shape[0], _i] = {src}_flags[_i]"], f"{src}_N * _B"), 0,
                f"{syn.name}_{pw_name}_history")
        head = []
        if listed:
            if delayed:
                count = f"{q}histn[_rslot * _B + _b]"
                neuron = f"{q}hist[_rslot, _b * {src}_N + {{k}}]"
                head = [f"_rslot = (_step - {q}dsteps[0]) % {q}hist.shape[0]"]
            else:
                count, neuron = f"{src}_nspikes[_b]", f"{src}_spikes[_b * {src}_N + {{k}}]"
        if mode == "target" and dense and homogeneous:
            code = [f"# {syn.name}: {pathway.label}, one thread per target over the spike list"]
            code += _each("_jb", f"{tgt}_N * _B") + [f"_b = _jb // {tgt}_N", f"_jp = _jb - _b * {tgt}_N"] + head + [
                f"for _k in range({count}):",
                f"    _ip = {neuron.format(k='_k')}",
                "    " + ib,
                f"    _s = _ip * {tgt}_N + _jp",
                "    " + sb] + ["    " + line for line in body]
            part.add("synapses", Kernel(f"{q}propagate", code, f"{tgt}_N * _B"), -1, f"{syn.name}_{pw_name}")
        elif mode == "target":
            slot = "0" if not delayed else (f"(_step - {q}dsteps[0]) % {q}histf.shape[0]" if homogeneous
                                            else f"(_step - {q}dsyn[_s]) % {q}histf.shape[0]")
            spiked = f"{src}_flags[_ib]" if not delayed else f"{q}histf[{slot}, _ib]"
            code = [f"# {syn.name}: {pathway.label}, one thread per target over its incoming synapses"]
            code += _each("_jb", f"{tgt}_N * _B") + [f"_b = _jb // {tgt}_N", f"_jp = _jb - _b * {tgt}_N"]
            if dense:
                if delayed and not homogeneous:
                    args[f"{q}dsyn"] = lambda n=pw_name, dt=dt: np.floor(
                        syn.pathways[n].delays() / dt + 0.5).astype(np.int32)
                code += [f"for _ip in range({src}_N):", f"    _s = _ip * {tgt}_N + _jp"]
            else:
                args[f"{q}order"] = lambda extra=extra, n=pw_name: extra.pathways[n][0]
                args[f"{q}dsyn"] = lambda extra=extra, n=pw_name: extra.pathways[n][1]
                code += [f"for _q in range({p}_colptr[_jp], {p}_colptr[_jp + 1]):", f"    _s = {q}order[_q]",
                         f"    _ip = {p}_pre[_s]"]
            code += ["    " + ib, f"    if {spiked}:", "        " + sb] + ["        " + line for line in body]
            part.add("synapses", Kernel(f"{q}propagate", code, f"{tgt}_N * _B"), -1, f"{syn.name}_{pw_name}")
        else:  # row: a warp per spiking row
            syn_of_q = "_q" if state.sorted else f"{p}_rowsyn[_q]"
            code = [f"# {syn.name}: {pathway.label}, one warp per spiking row, atomic adds to targets",
                    "_g = cuda.grid(1)", f"_w = _g // {WARP}", f"_lane = _g - _w * {WARP}",
                    f"_b = _w // {src}_N", f"_k = _w - _b * {src}_N", "if _b >= _B:", "    return"] + head + [
                f"if _k >= {count}:", "    return",
                f"_ip = {neuron.format(k='_k')}",
                ib,
                f"for _q in range({p}_rowptr[_ip] + _lane, {p}_rowptr[_ip + 1], {WARP}):",
                f"    _s = {syn_of_q}", "    " + sb, f"    _jp = {p}_post[_s]", "    " + jb]
            code += ["    " + line for line in body]
            part.add("synapses", Kernel(f"{q}propagate", code, f"{src}_N * _B * {WARP}"), -1,
                     f"{syn.name}_{pw_name}")
    if syn.on_post:
        _check_writes(syn, syn.on_post, "on_post", ("syn", "pre"))
        ed = sc._event_driven_lines(syn, p, externals, hoister, batch=percopy, statements=syn.on_post)
        body = ed + sc._statement_lines(syn, p, externals, hoister, syn.on_post, 6000, batch=percopy) + tail
        code = [f"# {syn.name}: on_post, one thread per presynaptic neuron"] + _each("_ib", f"{src}_N * _B")
        code += [f"_b = _ib // {src}_N", f"_ip = _ib - _b * {src}_N"]
        d = state.delays["post"]
        if d.max_delay > 0:  # the targets' spike flags of the last steps; a synapse reads its delay's row
            q = f"{p}_post_"
            nt = len(syn.target)
            args[f"{q}histf"] = lambda d=d, shape=(d.max_delay + 1, B * nt): _history(d, "histf", shape, np.uint8)
            args[f"{q}dsteps"] = lambda d=d: d.uniq
            part.add("thresholds", Kernel(f"{q}flaghistory", _each("_i", f"{tgt}_N * _B") + [
                f"{q}histf[_step % {q}histf.shape[0], _i] = {tgt}_flags[_i]"], f"{tgt}_N * _B"), 0,
                f"{syn.name}_post_history")
            if d.homogeneous:
                spiked = f"{q}histf[(_step - {q}dsteps[0]) % {q}histf.shape[0], _jb]"
            else:
                args[f"{q}dsyn"] = lambda: np.floor(syn.post_pathway.delays() / dt + 0.5).astype(np.int32)
                spiked = f"{q}histf[(_step - {q}dsyn[_s]) % {q}histf.shape[0], _jb]"
            if dense:
                code += [f"for _jp in range({tgt}_N):", "    " + jb, f"    _s = _ip * {tgt}_N + _jp",
                         f"    if {spiked}:", "        " + sb] + ["        " + line for line in body]
            else:
                syn_of_q = "_q" if state.sorted else f"{p}_rowsyn[_q]"
                code += [f"for _q in range({p}_rowptr[_ip], {p}_rowptr[_ip + 1]):", f"    _s = {syn_of_q}",
                         f"    _jp = {p}_post[_s]", "    " + jb, f"    if {spiked}:", "        " + sb]
                code += ["        " + line for line in body]
        elif dense:
            code += [f"for _k in range({tgt}_nspikes[_b]):", f"    _jp = {tgt}_spikes[_b * {tgt}_N + _k]",
                     "    " + jb, f"    _s = _ip * {tgt}_N + _jp", "    " + sb] + ["    " + line for line in body]
        else:
            syn_of_q = "_q" if state.sorted else f"{p}_rowsyn[_q]"
            code += [f"for _q in range({p}_rowptr[_ip], {p}_rowptr[_ip + 1]):", f"    _s = {syn_of_q}",
                     f"    _jp = {p}_post[_s]", "    " + jb, f"    if {tgt}_flags[_jb]:", "        " + sb]
            code += ["        " + line for line in body]
        part.add("synapses", Kernel(f"{p}_on_post", code, f"{src}_N * _B"), 1, f"{syn.name}_post")
    for k, (name, how) in enumerate(syn._reducing.items()):
        # batch_shared: after the step, the shared value takes the mean (or sum) of the copies' changes
        d = variable(p, name + "__d")
        args[d] = lambda name=name: sc._reduction_arrays(syn, name, B)[0]
        part.flat.add(d)
        w = variable(p, name)
        code = [f"# {syn.name}: '{name}' shared by the copies, changed by the {how} of their changes"]
        code += _each("_s", f"{p}_nsyn") + ["_acc = 0.0", "for _b in range(_B):",
                                            f"    _acc += {d}[_b * {p}_nsyn + _s]",
                                            f"    {d}[_b * {p}_nsyn + _s] = 0.0",
                                            f"{w}[_s] += _acc{' / _B' if how == 'mean' else ''}"]
        part.add("end", Kernel(f"{p}_reduce{k}", code, f"{p}_nsyn"), 1000, f"{syn.name}_batch_shared_{name}")
    for k, op in enumerate(syn._regular):
        _check_writes(syn, op.statements, op.name, {"syn", "post"})
        if not _row_allowed(syn, op.statements):
            raise ModelError(f"{syn.name}: {op.name} writes postsynaptic variables with something other than '+=' "
                             "or '-=' of values that read nothing it writes; on the CUDA backend its synapses run "
                             "at once (atomic adds), so this is not supported. Use backend='cpu'.")
        every = f"{p}_rr{k}_every"
        args[every] = lambda op=op: op.every(syn._net_dt)
        code = [f"# {op.name}: run regularly, for every synapse (postsynaptic sums by atomic adds)"]
        code += _each("_sb", f"{p}_nsyn * _B") + [f"if _step % {every} != 0:", "    return",
                                                  f"_b = _sb // {p}_nsyn", f"_s = _sb - _b * {p}_nsyn",
                                                  f"_ip = {pre_of_s}", f"_jp = {post_of_s}", ib, jb]
        code += sc._statement_lines(syn, p, externals, hoister, op.statements, 7000 + 100 * k, atomic=True,
                                    batch=percopy)
        part.add(op.when, Kernel(f"{p}_rr{k}", code, f"{p}_nsyn * _B"), op.order, op.name)
    pr = sc._printer(syn, p, externals, hoister, 0, batch=percopy)
    part.prologue += [f"{pr.names[s.name]} = {pr.doprint(e)}" for e, s in hoister.hoisted.items()]
    part.args = args
    return part


def poissoninput(obj, p, run_namespace):
    tp = obj._target_prefix()
    b, loads, target, value, once = obj.code(p, run_namespace, neuron_index=f"(_i % {tp}_N)")
    part = CudaPart(args=b.args)
    part.prologue = [f"{p}_N = {tp}_flags.shape[0] // _B", f"{tp}_N = {tp}_flags.shape[0] // _B"] + b.prologue()
    if once:
        code = ["if cuda.grid(1) != 0:", "    return", "_i = 0"] + loads + [f"{target} += {value}"]
        part.add(obj.when, Kernel(f"{p}_input", code, "1", block=1), obj.order, obj.name)
    else:
        code = _each("_i", f"{tp}_N * _B") + loads + [f"{target} += {value}"]
        part.add(obj.when, Kernel(f"{p}_input", code, f"{tp}_N * _B"), obj.order, obj.name)
    return part


def part_of(obj, prefix, run_namespace, check_nan):
    """The :class:`CudaPart` of any network object."""
    from ..groups.inputs import SpikeArrayGroup
    from ..groups.monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor
    from ..groups.neurongroup import NeuronGroup
    from ..groups.poissoninput import PoissonInput
    from ..groups.pooling import MaxPool2dGroup
    from ..groups.spikegenerator import SpikeGeneratorGroup
    from ..groups.synapses import Synapses

    if isinstance(obj, NeuronGroup):
        return neurongroup(obj, prefix, run_namespace, check_nan)
    if isinstance(obj, SpikeGeneratorGroup):
        return spikegenerator(obj, prefix)
    if isinstance(obj, SpikeArrayGroup):
        return spikearray(obj, prefix)
    if isinstance(obj, MaxPool2dGroup):
        return maxpool(obj, prefix)
    if isinstance(obj, Synapses):
        return synapses(obj, prefix, run_namespace, check_nan)
    if isinstance(obj, SpikeMonitor):
        return spikemonitor(obj, prefix)
    if isinstance(obj, StateMonitor):
        return statemonitor(obj, prefix)
    if isinstance(obj, PopulationRateMonitor):
        return ratemonitor(obj, prefix)
    if isinstance(obj, PoissonInput):
        return poissoninput(obj, prefix, run_namespace)
    raise ModelError(f"the CUDA backend cannot simulate a {type(obj).__name__} yet ({obj.name}); use backend='cpu'")


_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


def used_names(lines):
    out = set()
    for line in lines:
        out |= set(_IDENT.findall(line.split("#", 1)[0]))
    return out


def written_names(lines):
    """The arrays a kernel's code writes: element assignments (``a[...] = ``, ``a[...] += ``, whatever the index
    holds: nested subscripts, ``.shape``) and ``cuda.atomic.*(a, ...)`` calls, read from the code's syntax tree."""
    tree = ast.parse("def _kernel():\n" + textwrap.indent("\n".join(lines), "    ") + "\n")
    out = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AugAssign) else []
        for target in targets:
            for element in (target.elts if isinstance(target, ast.Tuple) else [target]):
                while isinstance(element, ast.Subscript):
                    element = element.value
                    if isinstance(element, ast.Name):
                        out.add(element.id)
        func = getattr(node, "func", None)
        if isinstance(node, ast.Call) and isinstance(func, ast.Attribute) and \
                isinstance(func.value, ast.Attribute) and func.value.attr == "atomic" and node.args and \
                isinstance(node.args[0], ast.Name):
            out.add(node.args[0].id)
    return out
