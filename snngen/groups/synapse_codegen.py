"""Generated code of a :class:`~snngen.groups.synapses.Synapses` object.

Slots: clock-driven synaptic equations and ``(summed)`` variables run in
``before_groups`` (before the neurons they feed); ``on_pre`` / ``on_post``
pathways run in ``synapses``, after thresholds, over the synapses of the
neurons that spiked (with delays: that spiked ``d`` steps ago, read from a ring
buffer of past spike lists).
"""

from __future__ import annotations

import re

import numpy as np
import sympy

from ..codegen.names import internal, variable
from ..codegen.optimise import Hoister, inline_temporaries
from ..codegen.printer import NumbaPrinter
from ..codegen.render import render
from ..errors import ModelError
from ..integrate import DT, MethodNotApplicable, integrate
from ..prefs import prefs
from .base import event_list

ELAPSED = sympy.Symbol("_elapsed", real=True)


class SynapseState:
    """Connectivity arrays, delay grouping and the delay ring buffer of one Synapses.

    Recomputed only when the structure changes (connect, new delays, new dt).
    """

    def __init__(self, syn):
        self.syn = syn
        self.version = None
        self.dt = None
        self.delays = {}  # pathway name -> DelayState
        self.fresh = False

    def refresh(self, dt):
        """Bring the arrays up to date; True if anything was recomputed."""
        syn = self.syn
        if self.version == syn._structure_version and self.dt == dt:
            return False
        self._connectivity()
        for name, pathway in syn.pathways.items():
            self.delays.setdefault(name, DelayState()).update(syn, pathway, dt)
        if syn.post_pathway is not None:
            self.delays.setdefault("post", DelayState()).update(syn, syn.post_pathway, dt)
        self.version, self.dt = syn._structure_version, dt
        self.fresh = True  # arrays replaced: the run function's arguments must be gathered again
        return True

    def take_fresh(self):
        fresh, self.fresh = self.fresh, False
        return fresh

    def key(self):
        """What the generated code depends on: dense storage, and per pathway (homogeneous, delayed)."""
        return (self.dense, self.sorted,
                tuple((n, d.homogeneous, d.max_delay > 0) for n, d in self.delays.items()))

    def _connectivity(self):
        syn = self.syn
        ns, nt = len(syn.source), len(syn.target)
        self.dense = syn._dense
        if syn.storage == "dense" and not self.dense:
            raise ModelError(f"{syn.name}: storage='dense' needs all-to-all connectivity (connect() with p=1 "
                             "on a Synapses without other synapses)")
        self.sorted = True
        if self.dense:  # indices are arithmetic: s = i*N_post + j
            self.rowptr = self.colptr = self.colsyn = self.rowsyn = np.zeros(1, dtype=np.int64)
            self.n_incoming, self.n_outgoing = np.full(nt, ns, dtype=np.int64), np.full(ns, nt, dtype=np.int64)
            return
        i, j = syn._pre, syn._post
        # synapses per target and per source (Brian2's N_incoming and N_outgoing)
        self.n_incoming, self.n_outgoing = np.bincount(j, minlength=nt), np.bincount(i, minlength=ns)
        self.rowptr = np.zeros(ns + 1, dtype=np.int64)
        np.cumsum(np.bincount(i, minlength=ns), out=self.rowptr[1:])
        # storage keeps creation order; rows are read through a permutation unless already sorted
        self.sorted = bool(np.all(i[1:] >= i[:-1])) if len(i) else True
        self.rowsyn = np.zeros(1, dtype=np.int64) if self.sorted else np.argsort(i, kind="stable").astype(np.int64)
        self.colptr = np.zeros(nt + 1, dtype=np.int64)
        np.cumsum(np.bincount(j, minlength=nt), out=self.colptr[1:])
        self.colsyn = np.argsort(j, kind="stable").astype(np.int64)

    def get_state(self):
        out = {}
        for name, d in self.delays.items():
            for kind, h in d.histories():
                out[f"{kind}_{name}"] = h.copy()
        return out

    def set_state(self, state):
        for name, d in self.delays.items():
            for kind in HISTORIES:
                if f"{kind}_{name}" in state:
                    setattr(d, kind, state[f"{kind}_{name}"].copy())
        self.fresh = True

    def clear_histories(self):
        """Drop the spikes in flight (new arrays: the run's arguments are gathered again)."""
        for d in self.delays.values():
            for kind, h in d.histories():
                setattr(d, kind, np.zeros_like(h))
        self.fresh = True


# a pathway's ring buffers of past spikes: the CPU's spike lists (hist, histn; histc, histnc per copy of a
# batched network); the CUDA backend's spike flags (histf) and per-copy spike lists (histb, histnb)
HISTORIES = ("hist", "histn", "histf", "histb", "histnb", "histc", "histnc")


class DelayState:
    """One pathway's delays in steps, grouped for the propagation loop, and its ring buffer of past
    spike lists (slot = step modulo max delay + 1)."""

    def histories(self):
        """``[(kind, array)]`` of the ring buffers this pathway has."""
        return [(kind, getattr(self, kind)) for kind in HISTORIES if getattr(self, kind, None) is not None]

    def __init__(self):
        self.hist = np.zeros((1, 1), dtype=np.int32)
        self.histn = np.zeros(1, dtype=np.int64)

    def update(self, syn, pathway, dt):
        delay = pathway.delays()
        steps = np.floor(delay / dt + 0.5).astype(np.int64)
        if len(delay):
            if delay.min() < 0:
                raise ModelError(f"{syn.name}: delays must not be negative")
            # rounded to the nearest step, as Brian2 does (delays drawn from a distribution are not on the grid)
        self.uniq = np.unique(steps) if len(steps) else np.zeros(1, dtype=np.int64)
        self.homogeneous = len(self.uniq) <= 1
        self.max_delay = int(self.uniq.max())
        post = pathway.prepost == "post"  # on_post: the target's spikes trigger it, grouped by target
        ns = len(syn.target) if post else len(syn.source)
        if self.homogeneous:
            self.order = np.zeros(1, dtype=np.int64)
            self.rdptr = np.zeros((1, 1), dtype=np.int64)
        else:
            k = np.searchsorted(self.uniq, steps)
            i = syn.j if post else syn.i
            self.order = np.lexsort((np.arange(len(i)), k, i)).astype(np.int64)
            counts = np.zeros((ns, len(self.uniq)), dtype=np.int64)
            np.add.at(counts, (i, k), 1)
            rowstart = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=ns))[:-1]])
            self.rdptr = np.zeros((ns, len(self.uniq) + 1), dtype=np.int64)
            self.rdptr[:, 1:] = np.cumsum(counts, axis=1)
            self.rdptr += rowstart[:, None]
        slots = self.max_delay + 1
        if self.hist.shape != (slots, ns):
            old_hist, old_n = self.hist, self.histn
            self.hist = np.zeros((slots, ns), dtype=np.int32)
            self.histn = np.zeros(slots, dtype=np.int64)
            if old_hist.shape[1] == ns:  # keep the spikes still in flight
                m = min(slots, old_hist.shape[0])
                self.hist[:m], self.histn[:m] = old_hist[:m], old_n[:m]


def _names(syn, p, externals, hoister, extra=None, rows=False, tag="", batch=None):
    """How each name of synaptic code prints, with _s (synapse), _ip (pre), _jp (post) in scope.

    ``batch`` (the CUDA backend): the set of synaptic variables kept per copy; neuron variables
    are read at the copy's elements ``_ib`` / ``_jb``, per-copy synaptic ones at ``_sb``.

    ``rows``: dense on_pre code, where synaptic variables are read through views of
    the spiking neuron's row (``{p}r_w[_jj]``) and target variables through views
    of the current chunk of targets (``{p}c_v[_jj]``): plain unit-stride loops
    that LLVM vectorises.
    """
    src, tgt = syn.source._prefix, syn.target._prefix
    q = p + tag  # the pathway's own prefix for views and loop indices
    s_, ip, jp, jj = _index_names(q, rows)
    syn_at = (lambda name: f"{q}r_{name}[{jj}]") if rows else (lambda name: f"{variable(p, name)}[{s_}]")
    if batch is not None:
        def syn_at(name):
            return f"{variable(p, name)}[{'_sb' if name in batch else '_s'}]"
        ip, jp = "_ib", "_jb"
    names = {"t": "_t", "dt": "dt", "i": "float(_ip)" if batch is not None else f"float({ip})",
             "j": "float(_jp)" if batch is not None else f"float({jp})", "N_pre": f"float({src}_N)",
             "N_post": f"float({tgt}_N)", "N": f"float({p}_nsyn)",
             "N_incoming": f"float({p}_nin[{'_jp' if batch is not None else jp}])",
             "N_outgoing": f"float({p}_nout[{'_ip' if batch is not None else ip}])"}
    reducing = syn.__dict__.get("_reducing") or {}
    for name, var in syn.variables.items():
        if name in reducing:  # batch_shared: the shared value plus this copy's change in this step
            if batch is not None:  # CUDA: the copies' changes are one flat array, copy b's at b*nsyn + s
                names[name] = f"({variable(p, name)}[_s] + {variable(p, name + '__d')}[_sb])"
            else:
                names[name] = f"({variable(p, name)}[{s_}] + {variable(p, name + '__d')}[{s_}])"
            continue
        if "indexed" in var.flags:  # an entry shared by synapses (the same for every copy of a batch)
            names[name] = f"{variable(p, name)}[{p}_kidx[{'_s' if batch is not None else s_}]]"
            continue
        names[name] = f"{variable(p, name)}[0]" if "shared" in var.flags else syn_at(name)
    names["_elapsed"] = f"(_t - {syn_at('lastupdate')})"
    for owner, pre, suffix, idx in ((syn.source, src, "_pre", ip), (syn.target, tgt, "_post", jp)):
        for name, var in getattr(owner, "variables", {}).items():
            if (var.kind == "internal" and name != "not_refractory") or var.kind == "linked":
                continue  # (synaptic code reads a linked variable's source directly: x_pre of that group)
            if "shared" in var.flags:
                code = f"{variable(pre, name)}[0]"
            elif rows and suffix == "_post":
                code = f"{q}c_{name}[{jj}]"
            else:
                code = f"{variable(pre, name)}[{idx}]"
            names[name + suffix] = code
            if suffix == "_post" and name not in names:  # unsuffixed: synaptic, else postsynaptic
                names[name] = code
    for name, ext in externals.items():
        if ext.kind == "function":
            continue  # a TimedArray: printed as a call (see _printer)
        names[name] = f"{p}x_{name}" if ext.kind == "scalar" else (
            f"{q}rx_{name}[{jj}]" if rows else f"{p}x_{name}[{s_}]")
    for sym in hoister.hoisted.values():
        names[sym.name] = internal(p, sym.name.lstrip("_"))
    if extra:
        names.update(extra)
    return names


def _index_names(p, rows):
    """(synapse, pre, post, row offset) index names: the parallel row loop has names of its own,
    used nowhere else in the run function, so that numba keeps them private to each thread."""
    return (f"{p}s", f"{p}ip", f"{p}jp", f"{p}jj") if rows else ("_s", "_ip", "_jp", "_jj")


def _printer(syn, p, externals, hoister, draw_base, extra=None, rows=False, tag="", batch=None):
    # a copy of a batched network (the CUDA backend: _b) draws what the unbatched network draws with its seed
    seed, index = ("_seeds[_b]", "_s") if batch is not None else ("_seed", _index_names(p + tag, rows)[0])
    rng = f"({seed}, {p}_stream, {index}, _step, {{draw}} + {draw_base})"
    functions = {name: (lambda args, ext=ext, name=name: ext.value.code(f"{p}ta_{name}", f"{p}tadt_{name}", args))
                 for name, ext in externals.items() if ext.kind == "function"}  # TimedArrays
    return NumbaPrinter(_names(syn, p, externals, hoister, extra, rows, tag, batch), rng=rng, functions=functions,
                        float_type=np.dtype(syn.dtype).name)


def _write_condition(syn, target):
    """Brian2's conditional write: a neuron variable flagged ``(unless refractory)`` is only
    changed by synaptic code while its neuron is not refractory.  Returns the name of the
    condition (``not_refractory_post``) or None."""
    where, var = syn._resolve_var(target)
    if where == "syn":
        return None
    owner = syn.source if where == "pre" else syn.target
    eqs = getattr(owner, "equations", None)
    if eqs is None or var not in eqs or "unless refractory" not in eqs[var].flags:
        return None
    if "not_refractory" not in owner.variables:
        return None
    return f"not_refractory_{where}"


def _statement_lines(syn, p, externals, hoister, statements, draw_base, rows=False, tag="", atomic=False,
                     batch=None):
    """Printed on_pre/on_post statements; ``atomic``: postsynaptic ``+=``/``-=`` as CUDA atomic adds."""
    hoisted = [(t, op, hoister(parsed.expr.xreplace(_subs(syn)))) for t, op, parsed in statements]
    # temporaries (names the code assigns that are not variables) are locals of this pathway's code
    temps = {t: f"{p}{tag or '_'}t_{t}" for t, _, _ in statements if t in syn._temporaries}
    pr = _printer(syn, p, externals, hoister, draw_base, extra=temps, rows=rows, tag=tag, batch=batch)
    cast = "np.float32" if pr.f32 else "np.float64"
    lines = []
    for target, op, expr in hoisted:
        lhs = pr.names[target]
        value = pr.doprint(expr)
        if target in temps:
            lines.append(f"{lhs} = {value}")
            continue
        condition = _write_condition(syn, target)
        if target in (syn.__dict__.get("_reducing") or {}):
            if batch is not None:  # CUDA: only this copy's change; a kernel sums them all after the step
                new = value if op == "=" else f"{lhs} {op[0]} ({value})"
                lines.append(f"{variable(p, target + '__d')}[_sb] = ({new}) - {variable(p, target)}[_s]")
            else:
                lines += _reduced_write(p, target, op, lhs, value, _index_names(p + tag, rows)[0],
                                        f"{p}{tag or '_'}")
            continue
        if batch is not None and target in syn.variables and "indexed" in syn.variables[target].flags:
            # the CUDA backend: threads of many synapses write one shared entry at once
            if op not in ("+=", "-="):
                raise ModelError(f"{syn.name}: '{target} {op} ...' writes an (indexed) variable; on the CUDA backend "
                                 "only '+=' and '-=' can (atomic adds: the synapses sharing an entry run at once). "
                                 "Use backend='cpu'.")
            array, index = lhs[:-1].split("[", 1)
            lines.append(f"cuda.atomic.add({array}, {index}, {'-' if op == '-=' else ''}({value}))")
            continue
        if atomic and syn._resolve_var(target)[0] == "post":
            array, index = lhs[:-1].split("[", 1)
            sign = "-" if op == "-=" else ""
            mask = "" if condition is None else f"*{cast}({pr.names[condition]})"
            lines.append(f"cuda.atomic.add({array}, {index}, {sign}({value}){mask})")
        elif condition is None:
            lines.append(f"{lhs} {op} {value}")
        elif op in ("+=", "-="):  # masked arithmetic keeps the row loop vectorisable
            lines.append(f"{lhs} {op} ({value})*{cast}({pr.names[condition]})")
        else:
            lines += [f"if {pr.names[condition]}:", f"    {lhs} {op} {value}"]
    return lines


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


def statement_writes(syn, p, statements, batch=False):
    """``{array: kind}`` of the arrays ``statements`` assign, ``kind`` saying whose: ``"pre"``, ``"post"``,
    ``"syn"``, ``"indexed"`` (an entry shared by synapses) or ``"change"`` (a ``batch_shared`` variable's
    per-copy change; ``batch``: the CUDA backend's flat change array, else the CPU's change, mark and list)."""
    prefixes = {"pre": syn.source._prefix, "post": syn.target._prefix, "syn": p}
    reducing = syn.__dict__.get("_reducing") or {}
    out = {}
    for target, _op, _parsed in statements:
        if target in syn._temporaries:
            continue
        where, var = syn._resolve_var(target)
        if where == "syn" and var in reducing:
            out.update({variable(p, f"{var}__{k}"): "change" for k in ("d" if batch else "dmlc")})
        elif where == "syn" and "indexed" in syn.variables[var].flags:
            out[variable(p, var)] = "indexed"
        else:
            out[variable(prefixes[where], var)] = where
    return out


def event_driven_writes(syn, p, statements):
    """The arrays of the event-driven variables brought up to date before ``statements`` run."""
    eqs = syn.equations
    skip = overwritten(syn, statements)
    return {variable(p, n) for n in eqs.diff_names if "event-driven" in eqs[n].flags and n not in skip}


def clock_driven_writes(syn, p):
    eqs = syn.equations
    return {variable(p, n) for n in eqs.diff_names if "event-driven" not in eqs[n].flags}


def _reduced_write(p, target, op, current, value, s, local):
    """A copy's write of a ``batch_shared`` variable (CPU): its change is kept in the copy's row ``__d`` and the
    synapse listed (``__l``, ``__c``; ``__m`` marks it) for the reduction at the end of the step."""
    new = value if op == "=" else f"{current} {op[0]} ({value})"
    tmp = f"{local}rd_{target}"
    d, m, lst, c = (variable(p, f"{target}__{k}") for k in "dmlc")
    return [f"{tmp} = {new}", f"{d}[{s}] = {tmp} - {variable(p, target)}[{s}]",
            f"if {m}[{s}] == 0:", f"    {m}[{s}] = 1", f"    {lst}[{c}[0]] = {s}", f"    {c}[0] += 1"]


def reduction_lines(syn, p):
    """After each step of a batched CPU run: every ``batch_shared`` variable takes the mean (or sum) of the
    changes the copies made (run on the whole arrays, copy after copy: the same order every time), then, with
    bounds, is clipped where it changed."""
    lines = []
    for name, how in (syn.__dict__.get("_reducing") or {}).items():
        w, d, m, lst, c = variable(p, name), *(variable(p, f"{name}__{k}") for k in "dmlc")
        scale = " / _B" if how == "mean" else ""
        lines += [f"# {syn.name}: '{name}' shared by the copies, changed by the {how} of their changes",
                  "for _b in range(_B):",
                  f"    for _k in range({c}[_b]):",
                  f"        _s = {lst}[_b, _k]",
                  f"        {w}[_s] += {d}[_b, _s]{scale}",
                  f"        {d}[_b, _s] = 0",
                  f"        {m}[_b, _s] = 0"]
        if name in syn.__dict__.get("_batch_clip", {}):
            bounds = variable(p, f"{name}__bounds")
            lines += ["for _b in range(_B):",
                      f"    for _k in range({c}[_b]):",
                      f"        _s = {lst}[_b, _k]",
                      f"        {w}[_s] = min(max({w}[_s], {bounds}[0]), {bounds}[1])"]
        lines += ["for _b in range(_B):", f"    {c}[_b] = 0"]
    return lines


def _reduction_arrays(syn, name, B):
    """The per-copy arrays of ``batch_shared`` variable ``name``: change, mark, list of changed synapses, count."""
    state = syn.__dict__.setdefault("_reduce_arrays", {})
    n = syn.N
    arrays = state.get(name)
    if arrays is None or arrays[0].shape != (B, n):
        arrays = (np.zeros((B, n), dtype=syn.variables[name]._array.dtype), np.zeros((B, n), dtype=np.uint8),
                  np.zeros((B, n), dtype=np.int64), np.zeros(B, dtype=np.int64))
        state[name] = arrays
    return arrays


def _subs(syn):
    """Subexpressions to inline: the synapses' own and those of their neurons that the code reads."""
    if not hasattr(syn, "_subexpr_subs"):
        neuron = syn._neuron_subexpressions()
        subs = {k: v.xreplace(neuron) for k, v in syn.equations.substituted()[1].items()}
        subs.update(neuron)
        syn._subexpr_subs = subs
    return syn._subexpr_subs


def overwritten(syn, statements):
    """The event-driven variables that ``statements`` set (``x = ...`` reading no ``x``) before anything reads
    them: bringing them up to date at that event would be work thrown away (``apre = 1`` at each spike: no
    exponential per synapse)."""
    eqs = syn.equations
    pending = {n for n in eqs.diff_names if "event-driven" in eqs[n].flags}
    out = set()
    subs = _subs(syn)
    for target, op, parsed in statements:
        read = {sym.name for sym in parsed.expr.xreplace(subs).free_symbols}
        pending -= read
        if target in pending:
            if op == "=":
                out.add(target)
            pending.discard(target)
    return out


def _event_driven_lines(syn, p, externals, hoister, rows=False, tag="", batch=None, statements=None):
    """Lines bringing the event-driven variables up to date at an event (exact solution since their last
    update); ``statements``: the code that runs next, whose overwritten variables are left out."""
    eqs = syn.equations
    skip = overwritten(syn, statements) if statements is not None else set()
    ed = [n for n in eqs.diff_names if "event-driven" in eqs[n].flags]
    if not ed:
        return []
    rhs_all, subs = eqs.substituted()
    rhs = {n: rhs_all[n].xreplace(_subs(syn)) for n in ed}
    for n, e in rhs.items():
        others = {s.name for s in e.free_symbols} & (set(eqs.diff_names) - set(ed))
        for name in {s.name for s in e.free_symbols}:
            where = syn._resolve_var(name)
            owner = {"pre": syn.source, "post": syn.target}.get(where[0]) if where else None
            owner_eqs = getattr(owner, "equations", None)
            if owner_eqs is not None and where[1] in owner_eqs and owner_eqs[where[1]].kind == "differential":
                others.add(name)
        if others:
            raise ModelError(f"{syn.name}: the event-driven equation for '{n}' depends on {sorted(others)}, which "
                             "change between events; make the variable clock-driven")
    # between events, always the exact solution, whatever method= says for the clock-driven equations
    # (Brian2's rule): one Euler step over the whole gap would be wrong by orders of magnitude
    try:
        stmts, _ = integrate(rhs, "exact")
    except MethodNotApplicable as exc:
        raise ModelError(f"{syn.name}: event-driven equations are integrated exactly from one event to the next, "
                         f"so they must be linear with constant coefficients ({exc})") from None
    stmts = inline_temporaries(stmts)
    stmts = [(n, e.xreplace({DT: ELAPSED})) for n, e in stmts if n[5:] not in skip]
    temps = {n: f"{p}{tag or '_'}ev{'r' if rows else ''}_{n.lstrip('_')}" for n, _ in stmts}
    hoisted = [(n, hoister(e)) for n, e in stmts]
    pr = _printer(syn, p, externals, hoister, 0, extra=temps, rows=rows, tag=tag, batch=batch)
    lines = [f"{temps[n]} = {pr.doprint(e)}" for n, e in hoisted]
    lines += [f"{pr.names[n[5:]]} = {temps[n]}" for n, _ in stmts]
    return lines


def _clock_driven(syn, p, externals, hoister, batch=None):
    eqs = syn.equations
    cd = [n for n in eqs.diff_names if "event-driven" not in eqs[n].flags]
    if not cd:
        return []
    rhs_all, _ = eqs.substituted()
    stmts, method = integrate({n: rhs_all[n].xreplace(_subs(syn)) for n in cd}, syn._method)
    syn.integration_method = method
    stmts = inline_temporaries(stmts)
    temps = {n: f"{p}_cd_{n.lstrip('_')}" for n, _ in stmts}
    noises = sorted({s.name for _, e in stmts for s in e.free_symbols if s.name.startswith("_normal_")})
    extra = dict(temps)
    for k, nm in enumerate(noises):
        extra[nm] = f"_normal({'_seed' if batch is None else '_seeds[_b]'}, {p}_stream, _s, _step, {3000 + k})"
    hoisted = [(n, hoister(e)) for n, e in stmts]
    pr = _printer(syn, p, externals, hoister, 0, extra=extra, batch=batch)
    lines = [f"{temps[n]} = {pr.doprint(e)}" for n, e in hoisted]
    lines += [f"{pr.names[n[5:]]} = {temps[n]}" for n, _ in stmts]
    return lines


def _summed(syn, p, externals, hoister, batch=None):
    """``[(summed variable, target array, code of the summed expression)]``."""
    out = []
    for eq in syn.equations:
        if eq.kind == "subexpression" and "summed" in eq.flags:
            expr = hoister(eq.expr.expr.xreplace(_subs(syn)))
            pr = _printer(syn, p, externals, hoister, 0, batch=batch)
            out.append((eq.name, variable(syn.target._prefix, eq.name[:-5]), pr.doprint(expr)))
    return out


def _chunk_safe(syn, statements):
    """True if the pathway writes only synaptic and (non-shared) postsynaptic variables, so that
    chunks of targets can run in parallel without two threads writing one element."""
    for target, _op, _parsed in statements:
        if target in syn._temporaries:
            continue
        where, var = syn._resolve_var(target)
        if where == "pre" or (where == "post" and "shared" in syn.target.variables[var].flags):
            return False
    return True


def prepare(syn, run_namespace, dt):
    """What every backend's build of ``syn`` starts from: its resolved and unit-checked externals,
    its up-to-date connectivity state, and a hoister of run constants."""
    externals = syn.externals(run_namespace)
    syn.check_units(externals)
    syn._externals = externals
    state = syn._state
    state.refresh(dt)
    syn._built_key = state.key()
    hoister = Hoister(lambda n: n == "dt" or n.startswith("_h") or (n in externals and externals[n].kind == "scalar"))
    return externals, state, hoister


def synapse_args(syn, p, externals):
    """The arguments (name -> getter) every backend's synapse code takes: variables, connectivity
    and externals."""
    state = syn._state
    args = {variable(p, name): (lambda var=var: var.array) for name, var in syn.variables.items()}
    args.update({f"{p}_stream": lambda: syn._stream,
                 f"{p}_pre": lambda: syn._pre, f"{p}_post": lambda: syn._post,
                 f"{p}_rowptr": lambda: state.rowptr, f"{p}_colptr": lambda: state.colptr,
                 f"{p}_colsyn": lambda: state.colsyn, f"{p}_rowsyn": lambda: state.rowsyn,
                 f"{p}_nin": lambda: state.n_incoming, f"{p}_nout": lambda: state.n_outgoing,
                 f"{p}_kidx": lambda: syn._kidx})
    for name, ext in externals.items():
        if ext.kind == "function":
            args[f"{p}ta_{name}"] = lambda ext=ext: ext.value.values
            args[f"{p}tadt_{name}"] = lambda ext=ext: ext.value.dt
            continue
        if ext.kind == "scalar" and syn.dtype == np.float32:
            # float32 synapses compute in float32: a float64 scalar would promote every row to float64
            args[f"{p}x_{name}"] = lambda ext=ext: (np.float32(ext.value) if ext.copies is None
                                                    else ext.value.astype(np.float32))
        else:
            args[f"{p}x_{name}"] = lambda ext=ext: ext.value
    return args


def build_synapses(syn, prefix, run_namespace, dt, check_nan=False):
    """The :class:`~snngen.groups.base.Part` of ``syn`` in the network's run function."""
    from .base import Part

    p = prefix
    B = syn.__dict__.get("_batch", 1)
    if B > 1 and (not hasattr(syn.source, "_spikes") or not hasattr(syn.target, "_spikes")):
        raise ModelError(f"{syn.name}: synapses onto synapses have no batch axis yet")
    if B > 1 and any(pw.event != "spike" for pw in syn.pathways.values()):
        raise ModelError(f"{syn.name}: pathways triggered by custom events have no batch axis yet")
    syn._reducing = syn._check_batch_shared() if B > 1 else {}
    if B > 1 and written_indexed(syn):
        raise ModelError(f"{syn.name}: (indexed) variables written by the network ({sorted(written_indexed(syn))}) "
                         "have no batch axis on the CPU yet (the copies would write one entry at once)")
    externals, state, hoister = prepare(syn, run_namespace, dt)
    dense = state.dense
    args = synapse_args(syn, p, externals)
    args[f"{p}_nsyn"] = lambda: syn.N
    rings = []  # the arguments holding delay rings
    has_ed = any("event-driven" in syn.equations[n].flags for n in syn.equations.diff_names)
    ed_lines = _event_driven_lines(syn, p, externals, hoister, statements=syn.on_post)
    tail = [f"{variable(p, 'lastupdate')}[_s] = _t"] if has_ed else []
    src, tgt = syn.source._prefix, syn.target._prefix
    index = dict(p=p, name=syn.name, src=src, tgt=tgt, dense=dense, rows_sorted=state.sorted,
                 pre_of_s=f"_s // {tgt}_N" if dense else f"{p}_pre[_s]",
                 post_of_s=f"_s % {tgt}_N" if dense else f"{p}_post[_s]")
    part = Part()
    # Brian2's order: the summed variables (order of their target - 1) before every state update
    # (order 0), synapses' clock-driven equations among the groups' updates by name
    for name, target, expr in _summed(syn, p, externals, hoister):
        part.add("groups", render("cpu/synapse_update.py.j2", update=[], summed=[(target, expr)], **index),
                 getattr(syn.target, "order", 0) - 1, f"{syn.name}_summed_variable_{name}")
    part.add("groups", render("cpu/synapse_update.py.j2", update=_clock_driven(syn, p, externals, hoister),
                              summed=[], **index), syn.order, f"{syn.name}_stateupdater")
    for k, (pw_name, pathway) in enumerate(syn.pathways.items()):
        d = state.delays[pw_name]
        tag = f"_p{k}_"
        q = p + tag  # the pathway's ring buffer, views and loop indices
        rings += _history_args(q, d, B, args)
        args.update({f"{q}order": lambda d=d: d.order, f"{q}rdptr": lambda d=d: d.rdptr,
                     f"{q}dsteps": lambda d=d: d.uniq})
        rows = dense and d.homogeneous
        body = (_event_driven_lines(syn, p, externals, hoister, rows=rows, tag=tag, statements=pathway.statements)
                + _statement_lines(syn, p, externals, hoister, pathway.statements, 5000 + 100 * k, rows=rows,
                                   tag=tag)
                + ([f"{_names(syn, p, externals, hoister, rows=rows, tag=tag)['lastupdate']} = _t"] if has_ed else []))
        text = "\n".join(body)
        jj = _index_names(q, rows)[3]
        views = {kind: sorted(set(re.findall(rf"\b{q}{kind}_(\w+)\[{jj}\]", text))) for kind in ("r", "c", "rx")}
        parallel = (rows and len(syn.target) >= prefs.parallel_rows_threshold
                    and _chunk_safe(syn, pathway.statements))
        part.parallel = part.parallel or parallel
        part.add(pathway.when, render("cpu/synapse_pre.py.j2", body=body, delayed=d.max_delay > 0,
                                    sev=event_list(syn.source, pathway.event),
                                    homogeneous=d.homogeneous, rows=rows, parallel=parallel, q=q, label=pathway.label,
                                    row_views=views["r"], post_views=views["c"], ext_views=views["rx"], **index),
                 pathway.order, f"{syn.name}_{pw_name}")
    if syn.on_post:
        body = ed_lines + _statement_lines(syn, p, externals, hoister, syn.on_post, 6000) + tail
        d = state.delays["post"]
        q = f"{p}_post_"  # on_post's ring buffer of the target's spike lists (delayed on_post)
        rings += _history_args(q, d, B, args)
        args.update({f"{q}order": lambda d=d: d.order, f"{q}rdptr": lambda d=d: d.rdptr,
                     f"{q}dsteps": lambda d=d: d.uniq})
        part.add(syn.post_pathway.when, render("cpu/synapse_post.py.j2", body=body, q=q, delayed=d.max_delay > 0,
                                    tev=event_list(syn.target, syn.post_pathway.event),
                                    homogeneous=d.homogeneous, **index), syn.post_pathway.order, f"{syn.name}_post")
    for k, op in enumerate(syn._regular):
        every = f"{p}_rr{k}_every"
        args[every] = lambda op=op: op.every(syn._net_dt)
        body = _statement_lines(syn, p, externals, hoister, op.statements, 7000 + 100 * k)
        part.add(op.when, render("cpu/synapse_regular.py.j2", every=every, body=body, label=op.name, **index),
                 op.order, op.name)
    clip_args, clips = syn.clip_kernels(p)
    args.update(clip_args)
    part.add_kernels(clips)
    pr = _printer(syn, p, externals, hoister, 0)
    # {p}_N: the number of synapses, for synapses whose source or target is this object
    hoisted = [f"{pr.names[s.name]} = {pr.doprint(e)}" for e, s in hoister.hoisted.items()]
    part.prologue = [f"{p}_N = {p}_nsyn"] + hoisted
    part.args = args
    if B > 1:  # per copy: the variables the network writes (see snngen.runtime.batch) and the delay rings
        part.copies = {variable(p, n): "row" for n, v in syn.variables.items() if v._array.ndim == 2}
        part.copies.update({name: "row" for name in rings})
        for name in syn._reducing:
            for k, kind in zip(range(4), ("row", "row", "row", "block")):
                arg = variable(p, f"{name}__{'dmlc'[k]}")
                args[arg] = lambda name=name, k=k: _reduction_arrays(syn, name, B)[k]
                part.copies[arg] = kind
            if name in syn._batch_clip:
                args[variable(p, f"{name}__bounds")] = lambda name=name: syn.batch_bounds(name)
        part.reduce = reduction_lines(syn, p)
    return part


def written_indexed(syn):
    """The (indexed) variables some statement code of ``syn`` writes."""
    return {t for code, _what in syn._code_blocks() for t, _op, _p in code
            if t in syn.variables and "indexed" in syn.variables[t].flags}


def _history_args(q, d, B, args):
    """Add the ring buffer arguments of pathway ``q`` (delay state ``d``) to ``args``, and return their names:
    one ring per copy on a batched CPU network (``histc``, ``histnc``: ``(B, slots, n)`` and ``(B, slots)``)."""
    names = [f"{q}hist", f"{q}histn"]
    if B == 1:
        args.update({names[0]: lambda: d.hist, names[1]: lambda: d.histn})
        return names

    def ring(kind, like):
        h = getattr(d, kind, None)
        if h is None or h.shape != (B,) + like.shape:
            h = np.zeros((B,) + like.shape, dtype=like.dtype)
            setattr(d, kind, h)
        return h

    args.update({names[0]: lambda: ring("histc", d.hist), names[1]: lambda: ring("histnc", d.histn)})
    return names
