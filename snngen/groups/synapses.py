"""Synapses: connectivity, per-synapse variables, event-driven pathways, delays.

Storage is sorted by presynaptic index (CSR rows); all-to-all connectivity is
recognised as *dense* (the postsynaptic index is the offset in the row, no
index array is read).  A step costs work proportional to the spikes that
arrive: the rows of the neurons that spiked (``on_pre``) or the columns of the
targets that spiked (``on_post``).
"""

from __future__ import annotations

import re

import numpy as np

from ..codegen.blocks import called_names, symbols_of
from ..equations.dimensions import check_equation_units
from ..equations.equations import NOISE_RE, Equations
from ..equations.parser import parse_expression, parse_statements
from ..errors import EquationError, ModelError, UnitError
from ..prefs import prefs
from ..runtime.namespace import resolve
from ..runtime.random import new_stream
from ..runtime.schedule import check_order
from ..units import DIMENSIONLESS, Quantity, get_dimensions, second
from .base import VariableOwner, VariableView, code_temporaries, object_dt, object_name
from .connect import Connector
from .neurongroup import check_statement_units
from .synapse_codegen import SynapseState

_OPS = {"+=": lambda a, c: a + c, "-=": lambda a, c: a - c, "*=": lambda a, c: a * c, "/=": lambda a, c: a / c}
_SPECIAL = {"t": second.dim, "dt": second.dim, "i": DIMENSIONLESS, "j": DIMENSIONLESS, "N": DIMENSIONLESS,
            "N_pre": DIMENSIONLESS, "N_post": DIMENSIONLESS, "lastupdate": second.dim,
            "N_incoming": DIMENSIONLESS, "N_outgoing": DIMENSIONLESS}


def _match(idx, sel, size):
    if isinstance(sel, slice):
        return np.isin(idx, np.arange(size)[sel])
    return np.isin(idx, np.atleast_1d(sel))


def _has_name(group, name):
    """``name`` is a variable or a subexpression of ``group``."""
    if name in getattr(group, "variables", {}):
        return True
    eqs = getattr(group, "equations", None)
    return eqs is not None and name in eqs.subexpr_names

class SynapticView(VariableView):
    """A synaptic variable: a view over synapses that also takes ``[i, j]`` (pre, post) indices."""

    def _pairs(self, key):
        syn = getattr(self, "_owner", None)
        if syn is not None and isinstance(key, tuple) and len(key) == 2 and self.ndim == 1:
            return syn._pair_indices(*key)
        return None

    def __getitem__(self, key):
        k = self._pairs(key)
        return Quantity.__getitem__(self, self._condition(key, level=1) if k is None else k)

    def __setitem__(self, key, value):
        k = self._pairs(key)
        self._assign(self._condition(key, level=1) if k is None else k, value)


class _ByPair(np.ndarray):
    """A per-synapse array that also takes Brian2's ``[i, j]`` (pre, post) selections."""

    @classmethod
    def of(cls, syn, values):
        out = values.view(cls)
        out._syn = syn
        return out

    def __array_finalize__(self, obj):
        self._syn = getattr(obj, "_syn", None)

    def __getitem__(self, key):
        if self._syn is not None and isinstance(key, tuple) and len(key) == 2 and self.ndim == 1:
            return np.asarray(self)[self._syn._pair_indices(*key)]
        result = super().__getitem__(key)
        return np.asarray(result) if isinstance(result, np.ndarray) else result


class _Indexer:
    """``S.indices[...]``: synapse numbers from (pre, post) selections or a condition."""

    def __init__(self, syn):
        self.syn = syn

    def __call__(self, i, j):
        return self.syn._pair_indices(i, j)

    def __getitem__(self, key):
        syn = self.syn
        if isinstance(key, str):
            from ..runtime.initialise import compute

            values = compute(syn, key, np.zeros(syn.N), f"the condition {key!r} on {syn.name}", None, 1)
            return np.flatnonzero(values != 0)
        if isinstance(key, tuple) and len(key) == 2:
            return syn._pair_indices(*key)
        return np.arange(syn.N)[key]


class _DelayView(SynapticView):
    """A pathway's delays: writing into them changes the structure of the propagation code."""

    def _assign(self, key, value):
        super()._assign(key, value)
        owner = getattr(self, "_owner", None)
        if owner is not None:
            owner._structure_version += 1


class Pathway:
    """One pathway (an ``on_pre`` one, or ``on_post``): its statements and its delay (one value, or one
    per synapse).  ``prepost``: whose spikes trigger it, the source's (``"pre"``) or the target's."""

    def __init__(self, syn, name, statements, delay, prepost="pre"):
        self.syn, self.name, self.statements, self.prepost = syn, name, statements, prepost
        self.event = "spike"  # the event of its group that triggers it (on_event)
        self._when, self._order = "synapses", (1 if prepost == "post" else -1)  # Brian2's defaults
        self.label = "on_post" if prepost == "post" else ("on_pre" if name == "pre" else f"on_pre[{name!r}]")
        self.delay_variable = "delay" if name == "pre" else f"delay_{name}"
        self.default_delay = 0.0
        if delay is not None:
            self._set_default(delay)

    def _set_default(self, value):
        if get_dimensions(value) != second.dim:
            raise UnitError(f"{self.syn.name}: the delay of {self.label} must be a time, it has units "
                            f"{get_dimensions(value)}")
        if np.ndim(value) != 0:
            raise ModelError(f"{self.syn.name}: give per-synapse delays after connect(), as "
                             f"syn.{'delay' if self.name == 'pre' else self.name + '.delay'} = ...")
        value = float(np.asarray(value))
        if value < 0:
            raise ModelError(f"{self.syn.name}: the delay of {self.label} must not be negative")
        self.default_delay = value

    @property
    def when(self):
        """The slot of the schedule this pathway runs in (Brian2's ``S.pre.when``; default ``"synapses"``)."""
        return self._when

    @when.setter
    def when(self, value):
        from ..runtime.schedule import check_when

        self._when = check_when(value, f"{self.syn.name}.{self.name}")
        self.syn._code_version += 1

    @property
    def order(self):
        """Its place within the slot (Brian2's ``S.pre.order``; default -1 for ``on_pre``, 1 for ``on_post``):
        pieces of work of one slot run by ``(order, name)``."""
        return self._order

    @order.setter
    def order(self, value):
        self._order = check_order(value, f"{self.syn.name}.{self.name}")
        self.syn._code_version += 1

    @property
    def delay(self):
        """The delays, one per synapse (a view: ``S.delay["i == 0"] = ...`` sets some of them)."""
        var = self.syn.variables.get(self.delay_variable)
        if var is None:
            if self.syn.N == 0:
                return self.default_delay * second
            self.syn._add_variable(self.delay_variable, second.dim, self.syn.N, np.float64, "internal",
                                   fill=self.default_delay)
            var = self.syn.variables[self.delay_variable]
            self.syn._structure_version += 1
        return _DelayView.of(self.syn, var)

    @delay.setter
    def delay(self, value):
        syn = self.syn
        syn._structure_version += 1
        if not isinstance(value, str) and np.ndim(value) == 0:
            self._set_default(value)
            syn.variables.pop(self.delay_variable, None)
            return
        if self.delay_variable not in syn.variables:
            syn._add_variable(self.delay_variable, second.dim, syn.N, np.float64, "internal", fill=self.default_delay)
        syn._set_variable(syn.variables[self.delay_variable], value, level=1)

    def delays(self):
        """Per-synapse delays in seconds (one value if homogeneous)."""
        var = self.syn.variables.get(self.delay_variable)
        return var.array if var is not None else np.array([self.default_delay])


class Synapses(VariableOwner):
    """Connections from ``source`` to ``target`` with per-synapse state.

    Parameters
    ----------
    source, target : groups (``target`` defaults to ``source``)
    model : str
        Per-synapse variables (``w : volt``), clock-driven equations,
        ``(event-driven)`` equations (integrated exactly from ``lastupdate`` at
        each event: the STDP trace idiom), ``(summed)`` subexpressions that set a
        target variable every step (``I_syn_post = g*(E - v_post) : amp (summed)``).
    on_pre, on_post : str
        Statements run for each synapse when its presynaptic (postsynaptic)
        neuron spikes; ``x_pre``/``x_post`` name the neurons' variables,
        unsuffixed names are synaptic, then postsynaptic variables (Brian2's rule).
        ``on_pre`` may be a dict of named pathways, ``{"up": ..., "down": ...}``,
        each with its own delay (``syn.up.delay``).
    delay : Quantity or dict, optional
        Homogeneous delay of ``on_pre`` (a dict: per pathway); per-synapse delays via
        ``syn.delay = ...`` (or ``syn.<pathway>.delay``) after ``connect``.  Delays
        must be whole multiples of dt.
    storage : "auto", "dense" or "sparse"
        Dense needs all-to-all connectivity; auto picks dense when it has it.

    Example
    -------
    >>> syn = Synapses(P, G, "w : volt", on_pre="v_post += w")      # doctest: +SKIP
    >>> syn.connect(p=0.1); syn.w = "rand()*0.5*mV"                  # doctest: +SKIP
    """

    def __init__(self, source, target=None, model="", on_pre=None, on_post=None, delay=None, method=None,
                 namespace=None, dtype=None, storage="auto", order=0, dt=None, clock=None, on_event=None,
                 name=None):
        self._init_variables()
        self.name = object_name(name, "synapses")
        self.order = check_order(order, self.name)
        self._own_dt = object_dt(dt, clock, self.name)
        self.source = source
        self.target = source if target is None else target
        for end, group in (("source", self.source), ("target", self.target)):
            # a Synapses object as an end (Brian2's synapses onto synapses): its synapses are the elements
            if not hasattr(group, "variables") or not hasattr(group, "N"):
                raise ModelError(f"{self.name}: the {end} must be a group of neurons or a Synapses object, not "
                                 f"{type(group).__name__}")
        self.equations = model if isinstance(model, Equations) else Equations(model)
        linked = [eq.name for eq in self.equations if "linked" in eq.flags]
        if linked:
            raise ModelError(f"{self.name}: (linked) variables in Synapses ({', '.join(linked)}) are not supported "
                             "yet; read the other group's variable through the pre- or postsynaptic group (x_pre, "
                             "x_post), or link it into one of them")
        self._method = method
        self._stream = new_stream()
        self.namespace = {**self.equations.values, **(namespace or {})} or None
        self.dtype = np.dtype(dtype or prefs.dtype).type
        if storage not in ("auto", "dense", "sparse"):
            raise ModelError(f"{self.name}: storage must be 'auto', 'dense' or 'sparse', not {storage!r}")
        self.storage = storage
        if isinstance(on_pre, dict):
            codes = dict(on_pre)
        else:
            codes = {} if on_pre is None else {"pre": on_pre}
        delays = delay if isinstance(delay, dict) else ({name: delay for name in codes} if delay is not None else {})
        unknown = set(delays) - set(codes) - ({"post"} if on_post is not None else set())
        if unknown:
            raise ModelError(f"{self.name}: delay given for unknown pathway(s) {sorted(unknown)}; "
                             f"pathways: {sorted(codes) + (['post'] if on_post is not None else [])}")
        self.pathways = {}
        for name, code in codes.items():
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or name == "post":
                raise ModelError(f"{self.name}: pathway names must be identifiers other than 'post', not {name!r}")
            self.pathways[name] = Pathway(self, name, self._statements(code, f"on_pre[{name!r}]"), delays.get(name))
        self.on_post = self._statements(on_post, "on_post")
        for end, group, code, what in (("source", self.source, codes, "on_pre"),
                                       ("target", self.target, on_post, "on_post")):
            if isinstance(group, Synapses) and code:
                raise ModelError(f"{self.name}: the {end} is a Synapses object ({group.name}), whose synapses do not "
                                 f"spike: there is nothing to trigger {what} (summed variables, clock-driven "
                                 "equations and the other end's pathways work)")
        # on_post's delay (Brian2's delay={"post": ...} or S.post.delay = ...)
        self.post_pathway = Pathway(self, "post", self.on_post, delays.get("post"), prepost="post") \
            if on_post is not None else None
        # which event of the source (of the target, for on_post) triggers each pathway (Brian2's on_event)
        events = on_event if isinstance(on_event, dict) else ({"pre": on_event} if on_event is not None else {})
        for pathway, event in events.items():
            known = list(self.pathways) + (["post"] if self.post_pathway is not None else [])
            if pathway not in known:
                raise ModelError(f"{self.name}: on_event names the pathway {pathway!r}, which does not exist "
                                 f"(pathways: {known})")
            (self.post_pathway if pathway == "post" else self.pathways[pathway]).event = event
        self._n_inits = 0
        self._regular = []  # run_regularly operations: statements for every synapse, every dt
        self._clips = []  # (variable, low, high, when, order): (indexed) entries kept in bounds
        self._code_version = 0
        self._check_model()
        for eq in self.equations:
            if eq.kind == "subexpression":
                continue
            dtype_ = {"boolean": np.bool_, "integer": np.int64}.get(eq.dtype, self.dtype)
            # a (shared) variable has one value for all synapses
            self._add_variable(eq.name, eq.dim, 1 if "shared" in eq.flags else 0, dtype_, eq.kind, eq.flags)
        if any("event-driven" in eq.flags for eq in self.equations):
            self._add_variable("lastupdate", second.dim, 0, np.float64, "internal")
        # connectivity: sorted (pre, post) index arrays, or None while all-to-all ("dense")
        self._pre = np.zeros(0, dtype=np.int32)
        self._post = np.zeros(0, dtype=np.int32)
        self._kidx = np.zeros(0, dtype=np.int64)  # the entry of the (indexed) variables each synapse reads
        self._dense = False
        self._connector = Connector(self)
        self._structure_version = 0
        self._state = SynapseState(self)
        self.integration_method = None
        # backend="cuda" only: how spikes reach targets ("auto", "row", "target"; see snngen.cuda.build)
        self.propagation = "auto"
        # a batched network: synaptic variables all copies share, each step changed by the mean (or sum) of
        # the changes the copies made (BindsNET's batch training), e.g. {"w": "mean"}; set before the network
        # is made
        self.batch_shared = {}
        self._check_attribute_clashes(self.variables)
        self._frozen = True

    # -- description ---------------------------------------------------------------
    def _statements(self, code, what):
        if code is None:
            return []
        if not isinstance(code, str):
            raise ModelError(f"{self.name}: {what} must be a string of statements")
        return parse_statements(code)

    def _check_model(self):
        eqs = self.equations
        for eq in eqs:
            if eq.kind == "subexpression" and "summed" in eq.flags:
                base = eq.name[:-5] if eq.name.endswith("_post") else None
                tv = getattr(self.target, "variables", {}).get(base)
                if base is None or tv is None or tv.kind != "parameter":
                    raise EquationError(f"{self.name}: a (summed) variable must be named '<var>_post' for a "
                                        f"parameter <var> of the target, not '{eq.name}'",
                                        text=eq.text, line=eq.line, token=eq.name)
                if tv.dim != eq.dim:
                    raise UnitError(f"{self.name}: '{eq.name}' has units {eq.dim} but '{base}' of "
                                    f"{self.target.name} has units {tv.dim}")
        self._temporaries = set()  # names the statement code assigns that are not variables (locals of the code)
        for code, what in self._code_blocks():
            temps = code_temporaries(code, {}, f"{self.name}: {what}",
                                     is_variable=lambda n: self._resolve_var(n) is not None)
            self._temporaries |= temps
            for target, _op, parsed in code:
                if target in temps:
                    continue
                resolved = self._resolve_var(target)
                column = parsed.line_text.find(target) + 1 or None
                if resolved is None:
                    raise EquationError(f"{self.name}: {what} assigns to '{target}', which is neither a synaptic "
                                        f"variable nor a variable of the source or target groups",
                                        text=parsed.line_text, line=parsed.line, column=column, token=target)
                where, name = resolved
                owner = {"syn": self, "pre": self.source, "post": self.target}[where]
                owner_eqs = getattr(owner, "equations", None)
                if owner_eqs is not None and name in owner_eqs.subexpr_names:
                    raise EquationError(f"{self.name}: {what} assigns to '{target}', which is a subexpression "
                                        f"of {owner.name}: it is computed, not stored", text=parsed.line_text,
                                        line=parsed.line, column=column, token=target)
                flags = owner_eqs[name].flags if owner_eqs is not None and name in owner_eqs else frozenset()
                for flag, meaning in (("constant", "it does not change during a run"),
                                      ("shared", "it has one value for all elements")):
                    if flag in flags:
                        raise EquationError(f"{self.name}: {what} assigns to '{target}', which is ({flag}): "
                                            f"{meaning}", text=parsed.line_text, line=parsed.line, column=column,
                                            token=target)

    @property
    def N(self):
        """The number of synapses."""
        if self._dense:
            return len(self.source) * len(self.target)
        return len(self._pre)

    @property
    def i(self):
        """Presynaptic index of every synapse (a copy; ``S.i[i, j]`` selects by pre and post index)."""
        if self._dense:
            values = np.repeat(np.arange(len(self.source), dtype=np.int32), len(self.target))
        else:
            values = self._pre.copy()
        return _ByPair.of(self, values)

    @property
    def j(self):
        """Postsynaptic index of every synapse (a copy; ``S.j[i, :]``: the targets of neuron i)."""
        if self._dense:
            values = np.tile(np.arange(len(self.target), dtype=np.int32), len(self.source))
        else:
            values = self._post.copy()
        return _ByPair.of(self, values)

    @property
    def on_pre(self):
        """The statements of every ``on_pre`` pathway, in order."""
        return [stmt for pw in self.pathways.values() for stmt in pw.statements]

    def _pathway(self):
        if len(self.pathways) != 1:
            raise ModelError(f"{self.name} has the pathways {sorted(self.pathways)}: use "
                             f"{self.name}.<pathway>.delay")
        return next(iter(self.pathways.values()))

    @property
    def delay(self):
        """The ``on_pre`` delay: one value, or one per synapse once set per synapse."""
        return self._pathway().delay

    @delay.setter
    def delay(self, value):
        self._pathway().delay = value

    def __len__(self):
        return self.N

    def __repr__(self):
        return f"Synapses({self.source.name} -> {self.target.name}, {self.N} synapses, name={self.name!r})"

    def _resolve_var(self, name):
        """``name`` in synaptic code -> ('syn'|'pre'|'post', variable name) or None."""
        if name in self.variables:
            return ("syn", name)
        if name in self.equations:
            return ("syn", name)
        if name.endswith("_pre") and _has_name(self.source, name[:-4]):
            return ("pre", name[:-4])
        if name.endswith("_post") and _has_name(self.target, name[:-5]):
            return ("post", name[:-5])
        if _has_name(self.target, name):
            return ("post", name)
        return None

    def _neuron_subexpressions(self):
        """``{Symbol("F_post"): expression}`` for the source's and target's subexpressions that synaptic code
        reads (``F_pre``, ``F_post``, or ``F`` for the target's): each expression written in the neurons'
        suffixed names, so that it prints as a read of their arrays."""
        import sympy

        out = {}
        used = symbols_of([p.expr for p in self._parsed()])
        for name in sorted(used):
            resolved = self._resolve_var(name)
            if resolved is None or resolved[0] == "syn":
                continue
            where, var = resolved
            owner = self.source if where == "pre" else self.target
            if var in owner.variables:
                continue
            eq = owner.equations[var]
            if "constant over dt" in eq.flags:
                raise ModelError(f"{self.name}: '{name}' reads {owner.name}'s (constant over dt) subexpression "
                                 f"'{var}', which synaptic code cannot read yet; make it a variable set by "
                                 "run_regularly")
            expr = owner.equations.substituted()[1][sympy.Symbol(var, real=True)]
            suffix = "_pre" if where == "pre" else "_post"
            mapping = {}
            for sym in expr.free_symbols:
                n = sym.name
                if n in owner.variables:
                    mapping[sym] = sympy.Symbol(n + suffix, real=True)
                elif n == "i":
                    mapping[sym] = sympy.Symbol("i" if where == "pre" else "j", real=True)
                elif n == "N":
                    mapping[sym] = sympy.Symbol("N" + suffix, real=True)
                elif n not in ("t", "dt") and (n in self.own_names() or self._resolve_var(n) is not None):
                    raise ModelError(f"{self.name}: '{name}' is {owner.name}'s subexpression '{var}', whose "
                                     f"name '{n}' means something else in the synapses' code; rename one of them")
            out[sympy.Symbol(name, real=True)] = expr.xreplace(mapping)
        return out

    # -- connectivity ------------------------------------------------------------
    def connect(self, condition=None, i=None, j=None, p=1.0, n=1, skip_if_invalid=False, index=None):
        """Create synapses.

        ``connect()`` all-to-all; ``connect(i=[...], j=[...])`` given pairs;
        ``connect(j="i")`` one-to-one; ``connect(condition="i != j", p=0.1)``
        where ``condition`` and ``p`` are expressions of ``i``, ``j`` and the
        neurons' variables (``x_pre``, ``x_post``); ``n`` synapses per pair.
        Generated and compiled like everything else; random draws use the
        counter-based generator (seeded by ``snngen.seed``).  ``index``: with ``(indexed)`` variables in the
        model (shared weights), the entry each synapse of ``i``, ``j`` reads.
        """
        before = self.N
        if self.has_indexed and (i is None or isinstance(i, str) or n != 1):
            raise ModelError(f"{self.name}: the model has (indexed) variables: connect with explicit pairs and the "
                             "entry each reads, connect(i=..., j=..., index=...) (snngen.conv2d(...) makes them for "
                             "a convolution)")
        self._connector.connect(condition=condition, i=i, j=j, p=p, n=n, skip_if_invalid=skip_if_invalid, level=1)
        self._append_index(index, self.N - before)
        self._structure_version += 1

    def _append(self, i, j, dense=False):
        """Add synapses (i, j) in the given order; ``dense``: all-to-all on an empty object."""
        if dense and self.N == 0 and self.storage != "sparse":
            self._dense = True
            for var in self._per_synapse_variables():
                fill = self._fill(var.name)
                # zeros come from calloc: pages are touched only when values are written
                var.array = np.zeros(self.N, dtype=var.array.dtype) if fill == 0 else \
                    np.full(self.N, fill, dtype=var.array.dtype)
            return
        if dense:
            ns, nt = len(self.source), len(self.target)
            i = np.repeat(np.arange(ns, dtype=np.int32), nt)
            j = np.tile(np.arange(nt, dtype=np.int32), ns)
        if self._dense:  # a second connect() turns all-to-all storage into explicit pairs
            self._pre, self._post, self._dense = self.i, self.j, False
        new = len(i)
        for var in self._per_synapse_variables():
            fill = self._fill(var.name)
            var.array = np.concatenate([var.array, np.full(new, fill, dtype=var.array.dtype)])
        # synapses keep the order they were created in (as in Brian2): arrays assigned afterwards
        # (S.w = ...) follow the user's i, j lists; the propagation loop reads rows through a permutation
        self._pre = np.concatenate([self._pre, np.asarray(i, dtype=np.int32)])
        self._post = np.concatenate([self._post, np.asarray(j, dtype=np.int32)])


    def _check_batch_shared(self):
        """``batch_shared``: {variable: "mean" | "sum" | (how, low, high)} of synaptic parameters that statement
        code writes; with bounds, the shared value is clipped to ``[low, high]`` after the copies' changes are
        added (the bounds are read at each run: changing them does not recompile)."""
        shared = dict(self.batch_shared or {})
        out, clips = {}, {}
        for name, how in shared.items():
            var = self.variables.get(name)
            if var is None or var.kind != "parameter" or var.flags & {"shared", "indexed", "constant"}:
                raise ModelError(f"{self.name}.batch_shared: '{name}' must be a synaptic parameter (a variable "
                                 "without an equation, not shared, indexed or constant)")
            if var._array.ndim == 2:
                raise ModelError(f"{self.name}.batch_shared: set it before the network is made (the network gave "
                                 f"'{name}' one value per copy)")
            if isinstance(how, tuple) and len(how) == 3:
                how, low, high = how
                try:
                    clips[name] = (float(low), float(high))
                except (TypeError, ValueError):
                    raise ModelError(f"{self.name}.batch_shared['{name}']: the bounds must be numbers, not "
                                     f"{(low, high)!r}") from None
            if how not in ("mean", "sum"):
                raise ModelError(f"{self.name}.batch_shared['{name}'] must be 'mean' or 'sum' (or (how, low, high)), "
                                 f"not {how!r}")
            out[name] = how
        object.__setattr__(self, "_batch_clip", clips)
        return out

    def batch_bounds(self, name):
        """The bounds ``(low, high)`` of ``batch_shared`` variable ``name`` (``(-inf, inf)`` when it has none)."""
        how = (self.batch_shared or {}).get(name)
        if isinstance(how, tuple) and len(how) == 3:
            return np.array([float(how[1]), float(how[2])])
        return np.array([-np.inf, np.inf])

    def _per_synapse_variables(self):
        return [var for var in self.variables.values() if not var.flags & {"shared", "indexed"}]

    @property
    def has_indexed(self):
        """True if the model has ``(indexed)`` variables (shared weights: one value per entry, read by the
        synapses whose ``index`` is that entry)."""
        return any("indexed" in v.flags for v in self.variables.values())

    @property
    def index(self):
        """The entry of the ``(indexed)`` variables each synapse reads and writes (a copy)."""
        return self._kidx.copy()

    def _append_index(self, index, new):
        """Record the entries of ``new`` synapses; the (indexed) variables grow to hold the largest."""
        if not self.has_indexed:
            if index is not None:
                raise ModelError(f"{self.name}.connect: index= names entries of (indexed) variables, and the model "
                                 "has none (declare one: 'w : 1 (indexed)')")
            return
        if index is None:
            raise ModelError(f"{self.name}: the model has (indexed) variables: connect(i=..., j=..., index=...) must "
                             "give each synapse the entry it reads")
        k = np.asarray(index)
        if k.dtype.kind not in "iu" or k.shape not in ((new,), ()) or (k.size and k.min() < 0):
            raise ModelError(f"{self.name}.connect: index must be {new} non-negative integers (one per synapse), "
                             f"not {k.dtype} of shape {k.shape}")
        k = np.broadcast_to(k, (new,)).astype(np.int64)
        self._kidx = np.concatenate([self._kidx, k])
        size = int(self._kidx.max()) + 1 if len(self._kidx) else 0
        for var in self.variables.values():
            if "indexed" in var.flags and var.array.shape[-1] < size:
                grown = np.zeros(var.array.shape[:-1] + (size,), dtype=var.array.dtype)
                grown[..., : var.array.shape[-1]] = var.array
                var.array = grown

    def _initialise(self, var, text, level, indices=None):
        if "indexed" in var.flags:
            used = symbols_of([parse_expression(text, line=1, line_text=text).expr])
            bad = sorted(n for n in used if n in ("i", "j", "N_incoming", "N_outgoing")
                         or (self._resolve_var(n) or ("syn",))[0] != "syn")
            if bad:
                raise ModelError(f"{self.name}.{var.name} is (indexed): its values are entries shared by synapses, "
                                 f"so its initialiser cannot read {bad}")
        super()._initialise(var, text, level + 1, indices)

    def _fill(self, variable):
        for pw in self.pathways.values():
            if variable == pw.delay_variable:
                return pw.default_delay
        return 0

    def initialiser_names(self, names):
        """How ``i``, ``j``, ``x_pre``, ``x_post``, ``N_incoming``, ``N_outgoing`` read in an initialiser of a
        synaptic variable (index ``_i``)."""
        nt = len(self.target)
        if self._dense:
            pre, post = "(_i // o__nt)", "(_i % o__nt)"
            out = {"i": ("o__nt", nt, f"float{pre}"), "j": ("o__nt", nt, f"float{post}")}
        else:
            pre, post = "o__pre[_i]", "o__post[_i]"
            out = {"i": ("o__pre", self._pre, f"float({pre})"), "j": ("o__post", self._post, f"float({post})")}
        for name in names & {"N_incoming", "N_outgoing"}:
            out[name] = (f"o__{name}", self._counts(name).astype(np.float64), f"o__{name}[_i]")
        for name in names:
            resolved = self._resolve_var(name)
            if resolved is None or resolved[0] == "syn":
                continue
            where, var = resolved
            owner = self.source if where == "pre" else self.target
            arg = f"o__{where}_{var}"
            out[name] = (arg, owner.variables[var].array, f"{arg}[{pre if where == 'pre' else post}]")
        return out

    def __getattr__(self, name):
        variables = self.__dict__.get("variables", {})
        if name in variables:
            return SynapticView.of(self, variables[name])
        pathways = self.__dict__.get("pathways", {})
        if name in pathways:
            return pathways[name]
        if name == "post" and self.__dict__.get("post_pathway") is not None:
            return self.post_pathway
        if name in ("N_incoming", "N_outgoing", "N_incoming_post", "N_outgoing_pre"):
            return self._counts(name)
        resolved = self._resolve_var(name) if variables else None
        if resolved is not None and resolved[0] != "syn":  # x_pre / x_post: the neuron's value per synapse
            where, var = resolved
            owner = self.source if where == "pre" else self.target
            values = owner.variables[var].array[..., self.i if where == "pre" else self.j]
            dim = owner.variables[var].dim
            return values if dim is None or dim is DIMENSIONLESS else Quantity(values, dim)
        return super().__getattr__(name)

    def _counts(self, name):
        """Brian2's N_incoming (synapses onto each synapse's target), N_outgoing (from each synapse's
        source), N_incoming_post / N_outgoing_pre (per neuron)."""
        ns, nt = len(self.source), len(self.target)
        i, j = self.i, self.j
        incoming, outgoing = np.bincount(j, minlength=nt), np.bincount(i, minlength=ns)
        return {"N_incoming": incoming[j], "N_outgoing": outgoing[i], "N_incoming_post": incoming,
                "N_outgoing_pre": outgoing}[name]

    @property
    def indices(self):
        """Synapse numbers: ``S.indices[i, j]`` (ints, slices or arrays; all synapses of each pair),
        ``S.indices["i > j"]`` (a condition), ``S.indices(i, j)``."""
        return _Indexer(self)

    def __getitem__(self, key):
        """``S[i, j]`` or ``S["condition"]``: the synapse numbers (Brian2's synaptic subgroups; usable as a
        StateMonitor's ``record=``)."""
        return self.indices[key]

    def _pair_indices(self, i, j):
        pre, post = self.i, self.j
        return np.flatnonzero(_match(pre, i, len(self.source)) & _match(post, j, len(self.target)))

    def own_names(self):
        return set(self.variables) | set(self.equations.subexpr_names) | set(_SPECIAL) | {"i", "j"}

    def dimension_lookup(self, externals):
        def lookup(name):
            resolved = self._resolve_var(name)
            if resolved is not None:
                where, var = resolved
                owner = {"syn": self, "pre": self.source, "post": self.target}[where]
                if var in owner.variables:
                    return owner.variables[var].dim or second.dim
                return owner.equations[var].dim
            if name in _SPECIAL:
                return _SPECIAL[name]
            if name in ("i", "j"):
                return DIMENSIONLESS
            if name in externals:
                return externals[name].dim
            if NOISE_RE.match(name):
                return second.dim ** -0.5
            raise UnitError(f"unknown name '{name}'")

        return lookup

    def _parsed(self):
        out = [eq.expr for eq in self.equations if eq.expr is not None]
        out += [p for _, _, p in self.on_pre] + [p for _, _, p in self.on_post]
        out += [p for op in self._regular for _, _, p in op.statements]
        return out

    def _code_blocks(self):
        """``[(statements, what)]``: every piece of statement code (pathways, on_post, run_regularly)."""
        return ([(pw.statements, pw.label) for pw in self.pathways.values()] + [(self.on_post, "on_post")]
                + [(op.statements, op.name) for op in getattr(self, "_regular", ())])

    def clip(self, var, low, high, when="after_synapses", order=0):
        """Keep the (indexed) variable ``var`` in ``[low, high]``: every step, at ``when`` (after the synaptic
        code of the step, by default), each entry is clipped, so the synapses sharing an entry add their changes
        first and the sum is clipped once (a convolution's plasticity, as in BindsNET).  On the CPU and CUDA
        backends; for per-synapse variables, write ``clip(...)`` in the statements instead."""
        from ..runtime.schedule import check_order, check_when

        v = self.variables.get(var)
        if v is None or "indexed" not in v.flags:
            raise ModelError(f"{self.name}.clip: '{var}' must be an (indexed) variable of {self.name}")
        low, high = float(low), float(high)
        if not low <= high:
            raise ModelError(f"{self.name}.clip: low ({low}) must not exceed high ({high})")
        self._clips.append((var, low, high, check_when(when, f"{self.name}.clip"), check_order(order, self.name)))
        self._code_version += 1

    def clip_kernels(self, prefix):
        """The kernels of :meth:`clip`, for either backend: ``(args, [(slot, order, name, Kernel)])``."""
        from ..codegen.kernel import Kernel, elements
        from ..codegen.names import variable

        args, out = {}, []
        for k, (var, low, high, when, order) in enumerate(self.__dict__.get("_clips", ())):
            w, bounds = variable(prefix, var), variable(prefix, f"{var}__clip{k}")
            args[bounds] = lambda low=low, high=high: np.array([low, high])
            out.append((when, order, f"{self.name}_clip_{var}", Kernel(
                "clip", f"{prefix}_clip{k}", elements(f"{w}.shape[0]", "_k"), dict(name=self.name, var=var, w=w,
                                                                                    bounds=bounds), writes={w})))
        return args, out

    def run_regularly(self, code, dt=None, when="start", order=0, name=None):
        """Run the statements ``code`` for every synapse every ``dt`` (every step if None), compiled into the
        network's loop at ``when`` (Brian2's ``run_regularly``).  The statements may read and write synaptic
        variables and those of the pre- and postsynaptic neurons (``x_pre``, ``x_post``), synapse after synapse
        in the order of creation; ``total_post += w`` sums over each neuron's synapses.  Event-driven variables
        are read as they were at their last event.  Per-sample weight normalisation, for example::

            G.run_regularly("total = 0", dt=250*ms, order=0)
            S.run_regularly("total_post += w", dt=250*ms, order=1)
            S.run_regularly("w = w * 78.4 / total_post", dt=250*ms, order=2)
        """
        from .regular import RegularOperation

        op = RegularOperation(self, code, dt, when, order, name, synaptic=True)
        self._regular.append(op)
        try:
            self._check_model()
        except Exception:
            self._regular.pop()
            self._check_model()
            raise
        self._code_version += 1
        for attr in ("_external_names", "_subexpr_subs"):  # the new statements may use new names
            self.__dict__.pop(attr, None)
        return op

    def external_names(self):
        """Names the code uses but does not define (the code is fixed at construction: computed once)."""
        if getattr(self, "_external_names", None) is None:
            exprs = [p.expr for p in self._parsed()] + list(self._neuron_subexpressions().values())
            names = {n for n in symbols_of(exprs) if self._resolve_var(n) is None and n not in _SPECIAL
                     and not NOISE_RE.match(n) and n not in self.equations and n not in self._temporaries}
            object.__setattr__(self, "_external_names", names)
            object.__setattr__(self, "_called_names", called_names(exprs))
        return self._external_names

    def externals(self, run_namespace, previous=None):
        def locate(name):
            for p in self._parsed():
                if name in p.positions:
                    return f" (in {p.line_text.strip()!r}, column {p.offset + p.positions[name] + 1})"
            return ""

        return resolve(self.external_names(), f"Synapses '{self.name}'", self.N, self.namespace, run_namespace,
                       locate=locate, previous=previous, called=self._called_names, per_copy=True)

    def check_units(self, externals):
        lookup = self.dimension_lookup(externals)
        check_equation_units(self.name, self.equations, lookup)
        def dim_of_target(name):
            if name in self._temporaries:
                raise KeyError(name)
            return lookup(name)

        for code, what in self._code_blocks():
            check_statement_units(f"{self.name} {what}", code, lookup, dim_of_target)

    # -- code generation ------------------------------------------------------------
    def _take_copies(self, B):
        """Each copy's own values of the synaptic variables the network writes (``(B, n_synapses)``; see
        :func:`~snngen.groups.synapse_codegen.per_copy_variables`); the others are shared by the copies."""
        from .synapse_codegen import per_copy_variables

        for name in per_copy_variables(self):
            var = self.variables[name]
            var.array = np.ascontiguousarray(np.tile(var._array, (B, 1)))

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """These synapses' kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import synapses

        return synapses(self, prefix, run_namespace, check_nan)

    def build(self, prefix, run_namespace, check_nan=False):
        from .synapse_codegen import build_synapses

        return build_synapses(self, prefix, run_namespace, self._net_dt, check_nan)

    def needs_rebuild(self, dt):
        """True if connectivity or delays changed what the generated code must be."""
        return self._state.refresh(dt) and self._state.key() != getattr(self, "_built_key", None)

    def before_run(self, net, step0, nsteps):
        self._state.refresh(net.dt_)
        return self._state.take_fresh()

    def reset_state(self, initial, t_, keep=()):
        """As :meth:`VariableOwner.reset_state`; the spikes still in the delay rings are dropped too."""
        super().reset_state(initial, t_, keep)
        self._state.clear_histories()

    def get_state(self):
        return self._state.get_state()

    def set_state(self, state):
        self._state.set_state(state)
