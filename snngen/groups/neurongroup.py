"""NeuronGroup and PoissonGroup: equations, threshold, reset, refractoriness."""

from __future__ import annotations

import numpy as np
import sympy

from ..codegen.blocks import DRAW_RESET, DRAW_THRESHOLD, BlockBuilder, called_names, symbols_of
from ..codegen.kernel import THREAD, Kernel, elements
from ..codegen.names import LOCAL, UPDATE_LOCAL, internal, user, variable
from ..codegen.optimise import inline_temporaries
from ..equations.dimensions import check_equation_units, dimension_of
from ..equations.equations import NOISE_RE, Equations
from ..equations.parser import NAME_RE, parse_expression, parse_statements, suggest
from ..errors import EquationError, ModelError, UnitError
from ..integrate import integrate, noise_symbols
from ..prefs import prefs
from ..runtime.namespace import SPECIAL_DIMS, resolve
from ..runtime.random import new_stream
from ..runtime.schedule import check_order
from ..units import DIMENSIONLESS, get_dimensions, hertz, second
from .base import (
    Part,
    SpikeSource,
    VariableOwner,
    VariableView,
    check_size,
    code_temporaries,
    event_list,
    object_dt,
    object_name,
)
from .inputs import input_args, input_kernel, on_device

_NEVER = np.int64(-(2**62))
_DTYPES = {"float": None, "boolean": np.bool_, "integer": np.int64}


class NeuronGroup(SpikeSource, VariableOwner):
    """``N`` neurons sharing a model.

    Parameters
    ----------
    N : int
    model : str or Equations
        ``dv/dt = (v_rest - v)/tau : volt (unless refractory)`` and friends.
    threshold : str, optional
        Spike condition, e.g. ``"v > v_th"``.
    reset : str, optional
        Statements run for each spiking neuron, e.g. ``"v = v_reset; w += b"``.
    refractory : Quantity, str or False
        A duration (``5*ms``), a per-neuron duration expression (``"t_ref"``)
        or a condition (``"v > -40*mV"``) during which threshold is not checked
        and ``(unless refractory)`` variables are frozen.
    method : str, optional
        Integration method (see :mod:`snngen.integrate`); chosen automatically.
    namespace : dict, optional
        Values of external names; otherwise they come from ``run()``'s caller.
    dtype : "float64" or "float32", optional
        Storage of float state variables (default ``snngen.prefs.dtype``).
    one_spike : bool
        At most one neuron spikes in a step (in each copy of a batched network): when several meet the
        threshold, one drawn uniformly among them, before the reset (the winner-take-all of BindsNET's
        ``DiehlAndCookNodes``).  Not with a refractory period (write refractoriness in the equations).

    Example
    -------
    >>> from snngen.units import mV, ms
    >>> G = NeuronGroup(10, "dv/dt = (v_rest - v)/tau : volt", threshold="v > v_th",
    ...                 reset="v = v_rest", namespace=dict(v_rest=-65*mV, tau=10*ms, v_th=-50*mV))
    """

    integration_method = None  # the method chosen when the group was last built

    def __init__(self, N, model="", threshold=None, reset=None, refractory=False, method=None,
                 namespace=None, dtype=None, order=0, dt=None, clock=None, events=None, name=None, one_spike=False):
        self._init_variables()
        self.name = object_name(name, "neurongroup")
        self.order = check_order(order, self.name)
        self._own_dt = object_dt(dt, clock, self.name)  # the network's dt, when given
        self.N = check_size(N, f"the size of {self.name}")
        self.equations = model if isinstance(model, Equations) else Equations(model)
        self._method = method
        # values substituted into the equations (Equations(text, tau=10*ms)) come first
        self.namespace = {**self.equations.values, **(namespace or {})} or None
        self.dtype = np.dtype(dtype or prefs.dtype).type
        self._stream = new_stream()
        self._regular = []  # run_regularly operations
        self._inputs = {}  # variable name -> InputArray (set_input)
        self._code_version = 0
        self._n_inits = 0
        self._rand = [0]
        self._threshold = None
        if threshold is not None:
            self._threshold = parse_expression(threshold, line=1, line_text=threshold)
        self._reset = parse_statements(reset) if reset else []
        self._events = {}  # custom events (Brian2's events={name: condition}), tested after the threshold
        for event, condition in (events or {}).items():
            if not isinstance(event, str) or not NAME_RE.match(event) or event == "spike":
                raise ModelError(f"{self.name}: an event's name must be an identifier other than 'spike', not "
                                 f"{event!r}")
            self._events[event] = parse_expression(condition, line=1, line_text=condition)
        self._refractory = refractory
        self.one_spike = bool(one_spike)
        if self.one_spike and (threshold is None or (refractory is not False and refractory is not None)):
            raise ModelError(f"{self.name}: one_spike needs a threshold and no refractory= (write refractoriness "
                             "into the equations and the reset)")
        self._refractory_expr = None
        if isinstance(refractory, str):
            self._refractory_expr = parse_expression(refractory, line=1, line_text=refractory)
        elif refractory is not False and refractory is not None:
            if get_dimensions(refractory) != get_dimensions(second):
                raise UnitError(f"refractory of {self.name} must be a time, it has units "
                                f"{get_dimensions(refractory)}")
        for eq in self.equations:
            synaptic = eq.flags & {"event-driven", "summed", "indexed"}
            if synaptic:
                raise EquationError(f"the flag '{sorted(synaptic)[0]}' belongs in Synapses, not in a NeuronGroup",
                                    text=eq.text, line=eq.line, token=sorted(synaptic)[0])
            if eq.kind == "subexpression":
                continue
            dtype_ = _DTYPES[eq.dtype] or self.dtype
            if "linked" in eq.flags:  # no array of its own: another group's, once linked (linked_var)
                self._add_variable(eq.name, eq.dim, 0, dtype_, "linked", eq.flags)
                continue
            size = 1 if "shared" in eq.flags else self.N
            self._add_variable(eq.name, eq.dim, size, dtype_, eq.kind, eq.flags)
        if self.has_refractory:
            self._add_variable("lastspike", None, self.N, np.int64, "internal", fill=_NEVER)
            self._add_variable("not_refractory", DIMENSIONLESS, self.N, np.bool_, "internal", fill=True)
        self._spikes = np.zeros(self.N, dtype=np.int32)
        self._flags = np.zeros(self.N, dtype=np.uint8)
        self._nspikes = np.zeros(1, dtype=np.int64)
        self._event_arrays = {e: (np.zeros(self.N, dtype=np.int32), np.zeros(1, dtype=np.int64)) for e in self._events}
        self._check_reset_targets()
        self._check_attribute_clashes(self.variables)
        self._frozen = True

    # -- description -----------------------------------------------------------
    def unless_refractory(self):
        """The variables that only change while a neuron is not refractory (``(unless refractory)``, with a
        refractory period): Brian2 conditions every write to them on ``not_refractory``, except the reset's."""
        if not self.has_refractory:
            return set()
        return {n for n in self.equations.diff_names if "unless refractory" in self.equations[n].flags}

    @property
    def has_refractory(self):
        """True if the group has a refractory period or condition."""
        return self._refractory is not False and self._refractory is not None

    def _statement_temporaries(self):
        """The temporaries of the reset and run_regularly code (names they assign that are not variables)."""
        out = set()
        for statements in [self._reset] + [op.statements for op in self._regular]:
            out |= code_temporaries(statements, self.variables, f"the code of {self.name}")
        return out

    def _check_reset_targets(self):
        temps = code_temporaries(self._reset, self.variables, f"reset of {self.name}")
        for target, _op, parsed in self._reset:
            if target in temps:
                continue
            if target not in self.variables or self.variables[target].kind == "internal":
                raise EquationError(f"reset of {self.name} assigns to '{target}', which is not a variable of "
                                    f"the group.{suggest(target, self.variables)}", line=parsed.line,
                                    text=parsed.text, token=target)
            if self.variables[target].flags & {"constant", "shared"}:
                raise EquationError(f"reset of {self.name} assigns to '{target}', which is constant or shared "
                                    "(one value for all neurons)", token=target)

    def own_names(self):
        names = set(self.variables) | set(self.equations.subexpr_names)
        names |= set(SPECIAL_DIMS)
        return names

    def _all_parsed(self):
        out = [eq.expr for eq in self.equations if eq.expr is not None]
        if self._threshold is not None:
            out.append(self._threshold)
        out += [p for _, _, p in self._reset]
        out += [p for op in self._regular for _, _, p in op.statements]
        out += list(self._events.values())
        if self._refractory_expr is not None:
            out.append(self._refractory_expr)
        return out

    def _locate(self, name):
        for eq in self.equations:
            if eq.expr is not None and name in eq.expr.positions:
                col = eq.expr.offset + eq.expr.positions[name] + 1
                return f" (line {eq.line}, column {col}: {eq.text.strip()!r})"
        for parsed in self._all_parsed():
            if name in parsed.positions:
                return f" (in {parsed.text!r}, column {parsed.positions[name] + 1})"
        return ""

    def external_names(self):
        """Names the model uses but does not define (computed once)."""
        if getattr(self, "_external_names", None) is None:
            used = symbols_of([parsed.expr for parsed in self._all_parsed()])
            used -= self.own_names() | self._statement_temporaries()
            object.__setattr__(self, "_external_names", {n for n in used if not NOISE_RE.match(n)})
            object.__setattr__(self, "_called_names", called_names(parsed.expr for parsed in self._all_parsed()))
        return self._external_names

    def externals(self, run_namespace, previous=None):
        return resolve(self.external_names(), f"{type(self).__name__} '{self.name}'", self.N, self.namespace,
                       run_namespace, locate=self._locate, previous=previous,
                       called=self._called_names, per_copy=True)

    def dimension_lookup(self, externals):
        def lookup(name):
            if name in self.variables:
                return self.variables[name].dim or second.dim
            if name in self.equations:
                return self.equations[name].dim
            if name in SPECIAL_DIMS:
                return SPECIAL_DIMS[name]
            if NOISE_RE.match(name):
                return second.dim ** -0.5
            if name in externals:
                return externals[name].dim
            raise UnitError(f"unknown name '{name}'")

        return lookup

    # -- checks ------------------------------------------------------------------
    def check_units(self, externals):
        lookup = self.dimension_lookup(externals)
        check_equation_units(self.name, self.equations, lookup)
        if self._threshold is not None:
            dimension_of(self._threshold.expr, lookup)
            if not isinstance(self._threshold.expr, (sympy.core.relational.Relational, sympy.logic.boolalg.Boolean)):
                raise ModelError(f"threshold of {self.name} must be a condition (like 'v > v_th'), "
                                 f"not {self._threshold.text!r}")
        code = [(f"reset of {self.name}", self._reset)] + [(op.name, op.statements) for op in self._regular]
        for what, statements in code:
            check_statement_units(what, statements, lookup, lambda t: self.variables[t].dim or second.dim)
        for event, condition in self._events.items():
            dimension_of(condition.expr, lookup)
            if not isinstance(condition.expr, (sympy.core.relational.Relational, sympy.logic.boolalg.Boolean)):
                raise ModelError(f"event '{event}' of {self.name} must be a condition, not {condition.text!r}")
        if self._refractory_expr is not None:
            d = dimension_of(self._refractory_expr.expr, lookup)
            if d not in (second.dim, DIMENSIONLESS):
                raise UnitError(f"refractory of {self.name} must be a time or a condition; "
                                f"{self._refractory_expr.text!r} has units {d}")

    # -- code generation ---------------------------------------------------------
    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """This group's kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import neurongroup

        return neurongroup(self, prefix, run_namespace, check_nan)

    def kernels(self, prefix, run_namespace, nan_lines=None, flat=False):
        """What this group runs in a step, described for either backend: ``(g, [(slot, order, label, Kernel)])``,
        ``g`` the generated per-neuron code (:meth:`generate`; its builder holds the arguments).  ``flat``: the
        index runs over the elements of all copies of a batched network (the CUDA backend's threads), else over
        one copy's neurons (the CPU backend, where each copy runs the loop)."""
        g = self.generate(prefix, run_namespace, nan_lines, batch=flat)
        b = g.builder
        size = f"{prefix}_N * _B"
        out = []
        spiking = g.threshold is not None
        if g.has_loop:
            out.append(("groups", self.order, f"{self.name}_stateupdater", Kernel(
                "neuron_update", f"{prefix}_update", elements(size, g.index), dict(
                    p=prefix, name=self.name, index=g.index, loads=g.loads, body=g.body, threshold=g.threshold,
                    on_spike=g.on_spike(g.index), on_spike_k=g.on_spike(f"{prefix}_k"),
                    parallel=not flat and self.N >= prefs.parallel_threshold),
                writes=g.writes | (g.on_spike_writes if spiking else set()), emits=prefix if spiking else None)))
        if self.one_spike:
            out.append(("thresholds", self.order, f"{self.name}_one_spike", Kernel(
                "one_spike", f"{prefix}_one", elements("_B", "_b"),
                dict(p=prefix, name=self.name, draw=DRAW_THRESHOLD + 900),
                writes={f"{prefix}_spikes", f"{prefix}_nspikes", f"{prefix}_flags"})))
        if g.reset is not None:
            out.append(("resets", self.order, f"{self.name}_spike_resetter", Kernel(
                "reset", f"{prefix}_reset", elements(size), dict(p=prefix, name=self.name, ev=f"{prefix}_",
                                                                 loads=g.reset[0], body=g.reset[1]),
                writes=self._stored(prefix, self._reset))))
        for k, (op, (scalar_loads, scalar), (loads, body)) in enumerate(g.regular):
            if op.event is not None:  # run_on_event: for the neurons that had the event this step
                out.append((op.when, op.order, op.name, Kernel(
                    "reset", f"{prefix}_rr{k}", elements(size), dict(
                        p=prefix, name=op.name, ev=event_list(self, op.event), loads=scalar_loads + loads,
                        body=scalar + body), writes=self._stored(prefix, op.statements))))
                continue
            every = b.arg(internal(prefix, f"rr{k}_every"), lambda op=op: op.every(self._net_dt))
            start, stop = op.span or (0, f"{prefix}_N")
            common = dict(p=prefix, name=op.name, every=every, span=op.span, start=start, stop=stop)
            if scalar:  # statements writing (shared) variables: once, before the others
                out.append((op.when, op.order, op.name, Kernel(
                    "regular", f"{prefix}_rr{k}s", THREAD, dict(common, scalar=True, loads=scalar_loads, body=scalar),
                    writes=self._stored(prefix, op.scalar))))
            if body:
                out.append((op.when, op.order, op.name, Kernel(
                    "regular", f"{prefix}_rr{k}", elements(size), dict(common, scalar=False, loads=loads, body=body),
                    writes=self._stored(prefix, op.vector))))
        for k, (event, (loads, condition)) in enumerate(g.events.items()):
            ev = f"{prefix}_ev{k}_"
            b.arg(f"{ev}spikes", lambda event=event: self._event_arrays[event][0])
            b.arg(f"{ev}nspikes", lambda event=event: self._event_arrays[event][1])
            out.append(("thresholds", self.order, f"{self.name}_{event}_thresholder", Kernel(
                "event", f"{prefix}_ev{k}", elements(size), dict(name=self.name, event=event, ev=ev, n=f"{prefix}_N",
                                                                 loads=loads, condition=condition),
                writes={f"{ev}spikes"})))
        for name, inp in self._inputs.items():
            inp.check_batch(self.__dict__.get("_batch", 1))
            for arg, getter in input_args(prefix, name, inp).items():
                b.arg(arg, getter)
            out.append(("before_start", self.order, f"{self.name}_input_{name}",
                        input_kernel(self, prefix, name, inp)))
        return g, out

    def _stored(self, prefix, statements):
        """The arrays of this group's variables that ``statements`` assign (not their temporaries)."""
        return {variable(prefix, t) for t, _op, _p in statements
                if t in self.variables and self.variables[t].kind not in ("internal", "linked")}

    def build(self, prefix, run_namespace, check_nan=False):
        """This group's :class:`Part` of the network's run function."""
        def nan_lines(vid, idx, value):
            return [f"if not math.isfinite({value}):",
                    f"    _err[0] = 1; _err[1] = {internal(prefix, 'id')}; _err[2] = {vid}; _err[3] = {idx}; "
                    "_err[4] = _step"]

        for name, inp in self._inputs.items():
            if on_device(inp.values):
                raise ModelError(f"{self.name}: the input of '{name}' is a device array (CuPy, torch): an input for "
                                 "backend='cuda' only")
        g, kernels = self.kernels(prefix, run_namespace, nan_lines if check_nan else None)
        b, part = g.builder, Part()
        b.arg(internal(prefix, "flags"), lambda: self._flags)
        part.add_kernels(kernels)
        part.prologue = ([f"{prefix}_N = {prefix}_spikes.shape[0]"] + g.prologue
                         + [f"{prefix}_nspk = {prefix}_nspikes[0]"])
        part.epilogue = [f"{prefix}_nspikes[0] = {prefix}_nspk"]
        for k in range(len(g.events)):
            ev = f"{prefix}_ev{k}_"
            part.prologue.append(f"{ev}nspk = {ev}nspikes[0]")
            part.epilogue.append(f"{ev}nspikes[0] = {ev}nspk")
        part.args = b.args
        if self.__dict__.get("_batch", 1) > 1:
            part.copies = self._copies(prefix)
        return part

    def _copies(self, prefix):
        """The arguments each copy of a batched CPU network takes its part of (see :class:`Part`)."""
        if self._events or any(op.event is not None for op in self._regular):
            raise ModelError(f"{self.name}: custom events (events=, run_on_event) have no batch axis yet")
        if any(v.kind == "linked" for v in self.variables.values()):
            raise ModelError(f"{self.name}: linked variables are not supported with a batch axis yet")
        written = {t for op in self._regular for t, _op, _p in op.scalar}  # (resets and synapses may not)
        if written:
            raise ModelError(f"{self.name}: its code writes the (shared) variable(s) {sorted(written)}, one value for "
                             "all copies; on the CPU a batched network runs each copy's code, so this is not "
                             "supported with batch= yet (use backend='cuda', or a per-neuron variable)")
        out = {variable(prefix, n): "row" for n, v in self.variables.items() if v._array.ndim == 2}
        out.update({internal(prefix, k): "block" for k in ("spikes", "nspikes", "flags")})
        for name, inp in self._inputs.items():
            if inp.per_copy:
                out[internal(prefix, f"in_{name}")] = "col"
        return out

    # -- inputs, one sample after another ----------------------------------------------
    def set_input(self, name, values, raw=False):
        """Make variable ``name`` take, at the start of each step, a row of ``values``: an array ``(time, N)``
        (``(time, batch, N)`` in a batched network: one input per copy), with the variable's units
        (``raw=True``: a plain array in SI units).  Row ``k`` is read at the ``k``-th step after this call or
        after ``Network.reset_state()``; after the last row the variable is 0.  The array is read in place;
        a new array of the same dtype and shape kind does not recompile.  ``values=None`` removes the
        input (the variable keeps its last value)."""
        from .inputs import InputArray, check_input_variable

        if values is None:
            if self._inputs.pop(name, None) is not None:
                self._code_version += 1
            return
        check_input_variable(self, name, values, raw)
        inp = self._inputs.get(name) or InputArray(self, f"the input of {self.name}.{name}")
        if inp.set(values, self.N) or name not in self._inputs:
            self._inputs[name] = inp
            self._code_version += 1

    def before_run(self, net, step0, nsteps):
        return any([inp.start(step0) for inp in self._inputs.values()])

    def rewind(self):
        """Inputs start again at their first row (``Network.reset_state``)."""
        for inp in self._inputs.values():
            inp.rewind()

    def get_state(self):
        """What ``Network.store()`` keeps besides the variables: where each input array is."""
        return {f"inorigin_{name}": inp.origin.copy() for name, inp in self._inputs.items()}

    def set_state(self, state):
        for name, inp in self._inputs.items():
            if f"inorigin_{name}" in state:
                inp.origin[...] = state[f"inorigin_{name}"]

    def generate(self, prefix, run_namespace, nan_lines=None, batch=False):
        """The per-neuron code of this group, for any backend's loop or kernel.

        Returns a namespace: ``builder`` (its ``args``), ``index`` (the neuron
        index name), ``loads``/``body`` (state update), ``threshold`` (an
        expression, or None), ``reset`` ((loads, body) run for a spiking neuron
        ``_i``, or None), ``prologue`` (run constants), ``has_loop``.
        ``nan_lines(var_id, index, value)`` gives the lines reporting a NaN.
        ``batch``: the index runs over the elements of several copies of the group
        (copy b's neuron i at b*N + i); ``i`` in the equations is then the index modulo N.
        """
        from types import SimpleNamespace

        externals = self.externals(run_namespace)
        self.check_units(externals)
        self._externals = externals
        rhs, subs = self.equations.substituted()
        noises = [s.name for s in noise_symbols(rhs)]
        b = self.code_builder(prefix, externals, noise_names=noises)
        if batch and any(v.kind == "linked" for v in self.variables.values()):
            raise ModelError(f"{self.name}: linked variables are not supported with a batch axis yet")
        b.arg(internal(prefix, "stream"), lambda: self._stream)
        b.arg(internal(prefix, "spikes"), lambda: self._spikes)
        b.arg(internal(prefix, "nspikes"), lambda: self._nspikes)
        b.register_externals()
        # the update loop may run in parallel (prange): its locals and index are its own names,
        # used nowhere else in the run function, so numba keeps them private to each thread
        idx = b.index = internal(prefix, "i")
        loc = b.local = user(prefix, UPDATE_LOCAL, "")
        nr = internal(prefix, "nr")
        if batch:
            b.neuron_index = f"({idx} % {prefix}_N)"
            b.copy_size = f"{prefix}_N"
        body = []
        if self.has_refractory:
            body.append(f"{nr} = {self._not_refractory_code(b, subs)}")
            body.append(f"{variable(prefix, 'not_refractory')}[{idx}] = {nr}")
            b.extra_names["not_refractory"] = nr
        # constant over dt subexpressions: computed once per step, before integration
        cod = [n for n in self.equations.subexpression_order()
               if "constant over dt" in self.equations[n].flags]
        cod_stmts = [(n, self.equations[n].expr.expr.xreplace(subs)) for n in cod]
        statements, method = integrate(rhs, self._method)
        self.integration_method = method
        statements = inline_temporaries(statements)
        all_exprs = [e for _, e in statements] + [e for _, e in cod_stmts]
        thr = self._threshold.expr.xreplace(subs) if self._threshold is not None else None
        refr = [self._refractory_expr.expr.xreplace(subs)] if self._refractory_expr is not None else []
        loads = b.loads(all_exprs + ([thr] if thr is not None else []) + refr, extra=[v for v in rhs])
        cod_lines, _ = b.statements([(f"_cod_{n}", e) for n, e in cod_stmts], cse=False)
        for n in cod:  # constant-over-dt names print as the local holding this step's value
            b.extra_names[n] = internal(prefix, f"tcod_{n}")
        stmt_lines, temps = b.statements(statements)
        pr_names = b.names(temporaries=temps)
        body += cod_lines + stmt_lines
        for name in rhs:
            new = pr_names["_new_" + name]
            if "unless refractory" in self.equations[name].flags and self.has_refractory:
                body.append(f"if {nr}:")
                body.append(f"    {loc}{name} = {new}")
            else:
                body.append(f"{loc}{name} = {new}")
            body.append(f"{variable(prefix, name)}[{idx}] = {loc}{name}")
            if nan_lines is not None:
                body += nan_lines(list(self.variables).index(name), b.neuron_index or idx, f"{loc}{name}")
        if nan_lines is not None:
            b.arg(internal(prefix, "id"), lambda: self._network_id)
        threshold = None
        if thr is not None:
            threshold = b.expression(thr, draw_base=DRAW_THRESHOLD)
            if self.has_refractory:
                threshold = f"{nr} and ({threshold})"
        reset = None
        b.index, b.local = "_i", user(prefix, LOCAL, "")
        if batch:
            b.neuron_index = f"(_i % {prefix}_N)"
        b.extra_names.pop("not_refractory", None)
        if self._reset:
            reset = statement_code(b, prefix, subs, self._reset, DRAW_RESET)
        regular = self._regular_code(b, prefix, subs)
        events = {}
        if "not_refractory" in self.variables:  # conditions may read it (Brian2's not_refractory)
            b.extra_names["not_refractory"] = f"{variable(prefix, 'not_refractory')}[_i]"
        for event, condition in self._events.items():
            expr = condition.expr.xreplace(subs)
            events[event] = (b.loads([expr]), b.expression(expr, draw_base=DRAW_THRESHOLD + 500))
        b.extra_names.pop("not_refractory", None)
        def on_spike(index):  # at the threshold, as Brian2: a neuron is refractory from the step it spikes
            if not self.has_refractory or threshold is None:
                return []
            return [f"{variable(prefix, 'lastspike')}[{index}] = _step",
                    f"{variable(prefix, 'not_refractory')}[{index}] = False"]

        # the arrays the state update writes (besides the spike flag), and those a spike's bookkeeping writes
        writes = {variable(prefix, name) for name in rhs}
        writes |= {variable(prefix, "not_refractory")} if self.has_refractory else set()
        on_spike_writes = {variable(prefix, n) for n in ("lastspike", "not_refractory")} if self.has_refractory \
            else set()
        return SimpleNamespace(builder=b, index=idx, loads=loads, body=body, threshold=threshold, reset=reset,
                               on_spike=on_spike, writes=writes, on_spike_writes=on_spike_writes,
                               regular=regular, events=events, prologue=b.prologue(),
                               has_loop=bool(rhs) or threshold is not None or self.has_refractory)

    def code_builder(self, prefix, externals, noise_names=(), register=True):
        """A :class:`BlockBuilder` for this group's per-neuron code: its variables' arrays as arguments
        (a linked variable reads its source's array, through its index); ``register=False``: the names
        only (code that runs beside the group's own, whose arguments these are)."""
        arrays, indexed = {}, {}
        shared = {n for n, v in self.variables.items() if "shared" in v.flags}
        args = {}
        for name, var in self.variables.items():
            if var.kind == "linked":
                if var.link is None:
                    raise ModelError(f"{self.name}: the linked variable '{name}' is not linked: set "
                                     f"{self.name}.{name} = linked_var(group, name)")
                link = var.link
                arrays[name] = args_name = internal(prefix, f"link_{name}")
                args[args_name] = lambda v=link.variable: v.array
                if link.single:
                    shared.add(name)
                elif link.index is not None:
                    index_name = internal(prefix, f"link_{name}_index")
                    args[index_name] = lambda link=link: link.index
                    indexed[name] = f"{index_name}[{{}}]"
                continue
            args[variable(prefix, name)] = lambda var=var: var.array
            if var.kind != "internal":
                arrays[name] = variable(prefix, name)
        b = BlockBuilder(prefix, arrays, externals, noise_names=noise_names, shared=shared)
        b.indexed = indexed
        for name, getter in args.items() if register else ():
            b.arg(name, getter)
        return b

    def _not_refractory_code(self, b, subs):
        if self._refractory_expr is None:
            b.arg(internal(b.p, "refractory"), lambda: float(np.asarray(self._refractory)))
            return (f"(_step - {variable(b.p, 'lastspike')}[{b.index}]) >= "
                    f"int(({internal(b.p, 'refractory')} + 0.001*dt)/dt)")
        expr = self._refractory_expr.expr.xreplace(subs)
        code = b.expression(expr)
        if dimension_of(expr, self.dimension_lookup(self._externals)) != second.dim:
            return f"not ({code})"  # refractory while the condition holds (Brian2's semantics)
        return f"(_step - {variable(b.p, 'lastspike')}[{b.index}]) >= int(({code}) / dt + 0.001)"

    # -- run_regularly -----------------------------------------------------------------
    def run_regularly(self, code, dt=None, when="start", order=0, name=None):
        """Run the statements ``code`` for every neuron every ``dt`` (every step if None), compiled into the
        network's loop at ``when`` (Brian2's ``run_regularly``): ``G.run_regularly("I = 5*randn()",
        dt=1*ms)``.  Returns the :class:`RegularOperation`; statements that write only ``(shared)``
        variables run once, not once per neuron."""
        from .regular import RegularOperation

        op = RegularOperation(self, code, dt, when, order, name)
        self._add_code(op)
        return op

    def run_on_event(self, event, code, when="resets", order=None, name=None):
        """Run the statements ``code`` for each neuron that had ``event`` in a step (Brian2's
        ``run_on_event``; ``"spike"``: as a second reset)."""
        from .regular import RegularOperation

        if event != "spike" and event not in self._events:
            raise ModelError(f"{self.name} has no event '{event}' (its events: {['spike'] + list(self._events)})"
                             f".{suggest(event, self._events)}")
        op = RegularOperation(self, code, None, when, self.order if order is None else order,
                              name or f"{self.name}_{event}_resetter*", event=event)
        self._add_code(op)
        return op

    def _add_code(self, op):
        self._regular.append(op)
        self._code_version += 1
        object.__setattr__(self, "_external_names", None)  # the new statements may use new names

    def _regular_code(self, b, prefix, subs):
        """[(operation, (scalar loads, scalar body), (loads, body))] of the group's run_regularly and
        run_on_event operations: the scalar part (statements writing (shared) variables) once, the rest for
        element ``_i``."""
        out = []
        for k, op in enumerate(self._regular):
            saved = b.neuron_index, dict(b.extra_names)
            if op.span is not None:  # a subgroup's: i and N are the subgroup's
                b.neuron_index = f"({saved[0] or '_i'} - {op.span[0]})"
                b.extra_names["N"] = f"{float(op.span[1] - op.span[0])!r}"
            scalar = statement_code(b, prefix, subs, op.scalar, 7000 + 100 * k) if op.scalar else ([], [])
            # Brian2's conditional write: run_regularly leaves (unless refractory) variables of refractory
            # neurons alone; run_on_event code is a reset, which writes them
            guarded = self.unless_refractory() if op.event is None else set()
            vector = (statement_code(b, prefix, subs, op.vector, 7000 + 100 * k + 50,
                                     {t: f"{variable(prefix, 'not_refractory')}[_i]" for t in guarded})
                      if op.vector else ([], []))
            out.append((op, scalar, vector))
            b.neuron_index, b.extra_names = saved
        return out


def check_statement_units(what, statements, lookup, dim_of_target):
    """Units of statement code: each statement's value against its target's units; a temporary (a target
    ``dim_of_target`` does not know: it raises KeyError) takes its value's units."""
    temps = {}

    def look(name):
        return temps[name] if name in temps else lookup(name)

    for target, op, parsed in statements:
        try:
            d = dimension_of(parsed.expr, look)
        except UnitError as exc:
            raise UnitError(f"{what} ({parsed.text!r}): {exc}") from None
        try:
            target_dim = temps[target] if target in temps else dim_of_target(target)
        except KeyError:
            temps[target] = d  # a temporary: its value's units
            continue
        expected = target_dim if op in ("=", "+=", "-=") else DIMENSIONLESS
        if d != expected:
            raise UnitError(f"{what}: '{target} {op} {parsed.text}' assigns units {d} to '{target}', which has "
                            f"units {target_dim}")


def statement_code(b, prefix, subs, statements, draw_base, conditions=None):
    """``(loads, body)`` of statements ``[(target, op, parsed)]`` run in order for element ``_i``: each reads
    the values the previous ones wrote, and every target is stored back at the end.  A target that is not
    one of the builder's arrays is a temporary: a local of the code, never stored.  ``conditions``: target ->
    code of the condition under which a statement may change it (Brian2's conditional write)."""
    conditions = conditions or {}
    temps = {t for t, _, _ in statements if t not in b.arrays}
    for t in temps:
        b.extra_names[t] = f"{b.local}{t}"
    stmts = []
    for target, op, parsed in statements:
        expr = parsed.expr.xreplace(subs)
        if op != "=":
            expr = {"+=": sympy.Add, "-=": lambda a, c: a - c, "*=": sympy.Mul,
                    "/=": lambda a, c: a / c}[op](sympy.Symbol(target, real=True), expr)
        stmts.append((target, expr))
    loads = b.loads([e for _, e in stmts], extra=[t for t, _ in stmts if t not in temps])
    hoisted = [(t, b.hoister(e)) for t, e in stmts]
    pr = b.printer(draw_base)
    body = [f"{b.local}{t} = {pr.doprint(e)}" if t not in conditions else
            f"{b.local}{t} = {pr.doprint(e)} if {conditions[t]} else {b.local}{t}" for t, e in hoisted]
    shared = b.shared
    stores = sorted({f"{variable(prefix, t)}[{0 if t in shared else '_i'}] = {b.local}{t}" for t, _ in stmts
                     if t not in temps})
    return loads, body + stores


class PoissonGroup(NeuronGroup):
    """``N`` independent Poisson spike sources: each step, a spike with probability ``rates*dt``.

    ``rates`` is a frequency (scalar or one per neuron) or an expression string
    (which may depend on ``t`` and ``i``), e.g. ``"100*Hz*(1 + sin(2*pi*5*Hz*t))"``.
    Constant rates draw the gap to each neuron's next spike (geometric) when it
    spikes: the same process as one draw per step, at a fraction of the cost.
    Setting ``P.rates`` between runs restarts the gaps (exact: the process is memoryless);
    ``P.rates`` reads them back, one per neuron.  ``P.run_regularly("rates = ...", dt=...)`` makes
    the rates a variable that compiled code changes during a run (then each step draws
    ``rand() < rates*dt``).

    Beyond Brian2: ``model`` may give the sources variables of their own (no differential equations),
    which ``reset`` statements change for the neurons that spiked and ``run_regularly`` code every step
    (a spike trace, say: ``snngen.ml``'s input layers fed rates).
    """

    def __init__(self, N, rates, namespace=None, name=None, dtype=None, order=0, dt=None, clock=None, model="",
                 reset=None):
        name = object_name(name, "poissongroup")
        if isinstance(rates, str):
            super().__init__(N, model, threshold=f"rand() < ({rates})*dt", reset=reset, namespace=namespace,
                             name=name, dtype=dtype, order=order, dt=dt, clock=clock)
            object.__setattr__(self, "_rates", None)
            object.__setattr__(self, "_rates_expression", rates)
            return
        super().__init__(N, model, reset=reset, namespace=namespace, name=name, dtype=dtype, order=order, dt=dt,
                         clock=clock)
        if self.equations.diff_names:
            raise ModelError(f"{name}: a PoissonGroup's model may not have differential equations")
        self._frozen = False
        self._add_variable("next_spike", None, self.N, np.int64, "internal", fill=-1)
        self.rates = rates
        self._frozen = True

    @property
    def rates(self):
        """The rates, one per neuron (a Quantity in Hz); the expression for expression rates."""
        if "rates" in self.variables:
            return VariableView.of(self, self.variables["rates"])
        if self._rates is None:
            return self._rates_expression
        return self._rates_array.copy().reshape(-1, self.N).squeeze(0) * hertz

    @rates.setter
    def rates(self, value):
        if "rates" in self.variables:
            self._set_variable(self.variables["rates"], value, level=1)
            return
        if self.__dict__.get("_rates", 0) is None:
            raise ModelError(f"{self.name} has expression rates; make a new PoissonGroup to change them")
        if isinstance(value, str):  # an expression of i (and constants), evaluated now
            from ..runtime.initialise import initialise
            from .base import Variable

            tmp = Variable("rates", (second.dim ** -1), np.zeros(self.N), "parameter")
            initialise(self, tmp, value, level=1)
            value = tmp.array * hertz
        if get_dimensions(value) != (second.dim ** -1):
            raise UnitError(f"rates of {self.name} must be a frequency, they have units {get_dimensions(value)}")
        arr = np.asarray(value, dtype=np.float64)
        batch = self.__dict__.get("_batch", 1)
        if arr.ndim > 2 or (arr.ndim >= 1 and arr.shape[-1] != self.N) or \
                (arr.ndim == 2 and arr.shape[0] != batch):
            raise ModelError(f"rates of {self.name}: one value or {self.N} values"
                             f"{f' (or {batch} rows of them, one per copy)' if batch > 1 else ''}, "
                             f"not shape {arr.shape}")
        if np.any(arr < 0) or not np.all(np.isfinite(arr)):
            raise ModelError(f"rates of {self.name} must be finite and non-negative")
        object.__setattr__(self, "_rates", value)
        if "_rates_array" not in self.__dict__:
            object.__setattr__(self, "_rates_array", np.zeros(self.N))
        self._rates_array.reshape(-1, self.N)[...] = arr  # in place: a built network keeps reading this array
        self.variables["next_spike"].array[:] = -1  # redraw from the next step on

    def run_regularly(self, code, dt=None, when="start", order=0, name=None):
        """As :meth:`NeuronGroup.run_regularly`; statements writing ``rates`` make the rates a variable."""
        if self._rates is not None and "rates" not in self.variables and \
                any(target == "rates" for target, _, _ in parse_statements(code)):
            current = self._rates_array.copy()
            self._frozen = False
            self._add_variable("rates", second.dim ** -1, self.N, np.float64, "parameter")
            self.variables["rates"].array[...] = current.reshape(self.variables["rates"].array.shape)
            self._threshold = parse_expression("rand() < rates*dt", line=1, line_text="rand() < rates*dt")
            object.__setattr__(self, "_rates", None)
            object.__setattr__(self, "_rates_expression", None)
            self._frozen = True
        return super().run_regularly(code, dt=dt, when=when, order=order, name=name)

    def _take_copies(self, B):
        super()._take_copies(B)
        if self._rates is not None:  # one rate per neuron of each copy
            object.__setattr__(self, "_rates_array", np.tile(self._rates_array, B))

    def kernel(self, prefix):
        """The step's spikes of constant rates (a neuron's next spike step drawn when it spikes), for either
        backend."""
        next_spike = variable(prefix, "next_spike")
        return Kernel("poisson", f"{prefix}_update", elements(f"{prefix}_N * _B"), dict(
            p=prefix, name=self.name, next_spike=next_spike), writes={next_spike}, emits=prefix)

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        if self._rates is None:  # rates set by compiled code: a NeuronGroup's update
            return super().cuda_part(prefix, run_namespace, check_nan)
        from ..cuda.build import add_kernel, poissongroup

        if self._has_model():  # the group's own code (reset, run_regularly) around the Poisson spikes
            part = super().cuda_part(prefix, run_namespace, check_nan)
            part.args.update({f"{prefix}_rates": lambda: self._rates_array,
                              variable(prefix, "next_spike"): lambda: self.variables["next_spike"].array})
            add_kernel(part, "groups", self.kernel(prefix), self.order, f"{self.name}_stateupdater")
            return part
        return poissongroup(self, prefix)

    def _has_model(self):
        """Variables, a reset or run_regularly code of its own besides the spikes."""
        return bool(self._reset or self._regular or any(v.kind != "internal" for v in self.variables.values()))

    def build(self, prefix, run_namespace, check_nan=False):
        if self._rates is None:
            return super().build(prefix, run_namespace, check_nan)
        if self._has_model():  # the group's own code (reset, run_regularly) around the Poisson spikes
            part = super().build(prefix, run_namespace, check_nan)
            part.args.update({f"{prefix}_rates": lambda: self._rates_array,
                              variable(prefix, "next_spike"): lambda: self.variables["next_spike"].array})
            part.add("groups", self.kernel(prefix).lines("cpu"), self.order, f"{self.name}_stateupdater")
            if self.__dict__.get("_batch", 1) > 1:
                part.copies[f"{prefix}_rates"] = "block"
                part.copies[variable(prefix, "next_spike")] = "row"
            return part
        part = Part()
        part.args = {f"{prefix}_rates": lambda: self._rates_array,
                     variable(prefix, "next_spike"): lambda: self.variables["next_spike"].array,
                     f"{prefix}_stream": lambda: self._stream, f"{prefix}_spikes": lambda: self._spikes,
                     f"{prefix}_nspikes": lambda: self._nspikes}
        part.prologue = [f"{prefix}_N = {prefix}_spikes.shape[0]", f"{prefix}_nspk = {prefix}_nspikes[0]"]
        part.add("groups", self.kernel(prefix).lines("cpu"), self.order, f"{self.name}_stateupdater")
        part.epilogue = [f"{prefix}_nspikes[0] = {prefix}_nspk"]
        self._externals = {}
        if self.__dict__.get("_batch", 1) > 1:
            part.copies = {f"{prefix}_rates": "block", variable(prefix, "next_spike"): "row",
                           f"{prefix}_spikes": "block", f"{prefix}_nspikes": "block"}
        return part
