"""What every simulated object shares: a name, state variables with units, and
the :class:`Part` of generated code it contributes to a network's run loop."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import EquationError, ModelError, UnitError
from ..units import DIMENSIONLESS, Quantity, get_dimensions

_counters: dict[str, itertools.count] = {}


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_scope = [0]  # objects created since the last start_scope() are the magic run()'s


def register(obj):
    """Record the scope a new object belongs to (see :func:`start_scope`)."""
    object.__setattr__(obj, "_scope", _scope[0])


def start_scope():
    """Brian2's ``start_scope()``: objects created before are left out of the next magic ``run()``, which
    starts at t = 0 (the way to run independent simulations in a loop)."""
    _scope[0] += 1


def current_scope():
    return _scope[0]


def unique_name(base):
    n = next(_counters.setdefault(base, itertools.count()))
    return base if n == 0 else f"{base}_{n}"


def object_name(name, default):
    """The name of a new object: ``name`` if given (an identifier; a trailing ``*`` asks for a unique
    name starting with it, as in Brian2), else a unique name from ``default``."""
    if name is None:
        return unique_name(default)
    if not isinstance(name, str):
        raise ModelError(f"an object's name must be a string, not {type(name).__name__}")
    base = name[:-1] if name.endswith("*") else name
    if not _IDENTIFIER.fullmatch(base):
        raise ModelError(f"an object's name must be an identifier (ASCII letters, digits and '_', not starting "
                         f"with a digit), not {name!r}")
    return unique_name(base) if name.endswith("*") else name


@dataclass
class Part:
    """Lines of generated code an object adds to the network's run loop.

    ``add(slot, lines, order, name)`` puts lines into a slot of the step (see
    :mod:`snngen.runtime.schedule`: Brian2's schedule, sorted within a slot by order and name);
    ``prologue``/``epilogue`` run once per call, ``capacity`` at each step start (``break``
    when a buffer is full).  ``args`` maps argument names to getters called before every run.
    """

    args: dict = field(default_factory=dict)
    prologue: list = field(default_factory=list)
    capacity: list = field(default_factory=list)
    epilogue: list = field(default_factory=list)
    segments: list = field(default_factory=list)  # (slot, order, name, lines)
    parallel: bool = False
    # a batched network on the CPU: argument name -> how a copy's part of it is taken ("row": a[b];
    # "block": the b-th of B equal blocks of the last axis; "stride": a[b::B]); None: the object has no
    # batch axis on the CPU
    copies: dict | None = None
    reduce: list = field(default_factory=list)  # a batched CPU run: lines run after each step of all copies

    def add(self, slot, lines, order, name):
        from ..runtime.schedule import SLOTS

        assert slot in SLOTS, slot
        if lines:
            self.segments.append((slot, order, name, list(lines)))

    def add_kernels(self, kernels):
        """Kernel descriptions ``[(slot, order, name, Kernel)]`` rendered through ``templates/cpu`` (slot
        ``"capacity"``: the checks at the start of each step)."""
        for slot, order, name, kernel in kernels:
            if slot == "capacity":
                self.capacity += kernel.lines("cpu")
            else:
                self.add(slot, kernel.lines("cpu"), order, name)
            self.parallel |= kernel.params.get("parallel", False)


class Variable:
    """One named array of an object, stored in SI units.

    On a device backend the array has a device copy (``device``, an object with
    ``to_host()`` and ``stale()``): reading ``array`` first brings the host copy up
    to date, and since the reader may write into it, marks the device copy stale.
    """

    __slots__ = ("name", "dim", "_array", "kind", "flags", "device", "link")

    def __init__(self, name, dim, array, kind, flags=frozenset()):
        self.name, self.dim, self._array, self.kind, self.flags = name, dim, array, kind, flags
        self.device = None
        self.link = None  # a linked variable's LinkedVariable (snngen.groups.linked)

    @property
    def array(self):
        if self.kind == "linked":  # the values the group reads (a copy: a linked variable is read-only)
            if self.link is None:
                raise ModelError(f"the linked variable '{self.name}' is not linked yet: set it with linked_var()")
            return self.link.values()
        if self.device is not None:
            self.device.to_host(self)
        return self._array

    @array.setter
    def array(self, value):
        self._array = value
        if self.device is not None:
            self.device.stale(self)

    def overwrite(self, values):
        """Every element set to ``values`` (broadcast), without bringing a device copy back first (all of it is
        replaced; it is sent before the next run)."""
        if self.kind == "linked":
            raise ModelError(f"the linked variable '{self.name}' is read-only")
        self._array[...] = values
        if self.device is not None:
            self.device.overwritten(self)


class SpikeSource:
    """What every group of ``N`` neurons offers: ``len(G)``, ``G[a:b]`` (a subgroup), the last step's spikes."""

    @property
    def spikes(self):
        """Indices of the neurons that spiked in the last simulated step (a list, one per copy, in a
        batched network)."""
        if self._nspikes.shape[0] > 1:
            return [self._spikes[b * self.N: b * self.N + n].copy() for b, n in enumerate(self._nspikes)]
        return self._spikes[: self._nspikes[0]].copy()

    def _take_copies(self, B):
        """Arrays for ``B`` copies (a batched network, :mod:`snngen.runtime.batch`): each per-neuron variable
        (``(B, N)``; the values set so far go to every copy), spike lists and spike flags."""
        for var in getattr(self, "variables", {}).values():
            if "shared" not in var.flags and var.kind != "linked" and var._array.ndim == 1:
                var.array = np.ascontiguousarray(np.tile(var._array, (B, 1)))
        object.__setattr__(self, "_spikes", np.zeros(B * self.N, dtype=np.int32))
        object.__setattr__(self, "_flags", np.zeros(B * self.N, dtype=np.uint8))
        object.__setattr__(self, "_nspikes", np.zeros(B, dtype=np.int64))

    def __len__(self):
        return self.N

    def __getitem__(self, item):
        """``G[a:b]``: a :class:`~snngen.groups.subgroup.Subgroup` of neurons a to b - 1."""
        from .subgroup import subgroup

        return subgroup(self, item)

    def __repr__(self):
        return f"{type(self).__name__}({self.N}, name={self.name!r})"


class VariableOwner:
    """Attribute access with units: ``G.v`` (Quantity view), ``G.v_`` (raw array),
    ``G.v = -70*mV``, ``G.v = "v_rest + rand()*5*mV"`` (compiled initialiser)."""

    _frozen = False

    def _init_variables(self):
        object.__setattr__(self, "variables", {})
        register(self)

    def _check_attribute_clashes(self, names, what="variable"):
        """A user's name that is also an attribute of this object (``G.spikes``, ``G.N``) could not be
        read as ``G.<name>``: refuse it, saying what the attribute is."""
        for name in names:
            if name.startswith("_"):
                continue
            if not hasattr(type(self), name) and name not in self.__dict__:
                continue
            attr = getattr(type(self), name, None)
            doc = (getattr(attr, "__doc__", None) or "").strip().split("\n\n")[0] if attr is not None else ""
            doc = " ".join(doc.split()).split(". ")[0]  # the first sentence of the first paragraph
            meaning = f" ({doc.rstrip('.')})" if doc and not isinstance(attr, (int, float, str)) else ""
            raise ModelError(f"{type(self).__name__} '{self.name}': '{name}' cannot be the name of a {what}: "
                             f"{self.name}.{name} is the {type(self).__name__}'s own attribute{meaning}. "
                             f"Rename the {what}, for example to 'my_{name}'.")

    def _add_variable(self, name, dim, size, dtype, kind, flags=frozenset(), fill=0):
        arr = np.full(size, fill, dtype=dtype)
        self.variables[name] = Variable(name, dim, arr, kind, flags)
        return arr

    def __getattr__(self, name):
        variables = self.__dict__.get("variables", {})
        if name in variables:
            var = variables[name]
            if var.array.dtype.kind != "f":  # integer and boolean variables: the plain array
                return var.array
            return VariableView.of(self, var)
        if name.endswith("_") and name[:-1] in variables:
            return variables[name[:-1]].array
        if name == "i" and "N" in self.__dict__:  # Brian2's G.i: the indices
            return np.arange(self.__dict__["N"])
        try:
            equations = object.__getattribute__(self, "equations")
        except AttributeError:
            equations = None
        raw = name[:-1] if name.endswith("_") else None
        if equations is not None and (name in equations or raw in equations):
            from ..runtime.initialise import evaluate

            values = evaluate(self, raw or name, level=1)  # a subexpression, computed now
            return np.asarray(values) if raw else values
        from ..equations.parser import suggest

        raise AttributeError(f"{type(self).__name__} '{self.__dict__.get('name', '?')}' has no variable "
                             f"'{name}'.{suggest(name, variables)}")

    def __setattr__(self, name, value):
        variables = self.__dict__.get("variables", {})
        raw = name.endswith("_") and name[:-1] in variables
        key = name[:-1] if raw else name
        if key in variables and self._frozen:  # during construction, attributes are plain attributes
            self._set_variable(variables[key], value, raw=raw, level=1)
        elif self._frozen and not name.startswith("_") and name not in self.__dict__ \
                and not hasattr(type(self), name):
            from ..equations.parser import suggest

            raise AttributeError(f"{type(self).__name__} '{self.name}' has no variable '{name}'."
                                 f"{suggest(name, variables)}")
        else:
            object.__setattr__(self, name, value)

    def _set_variable(self, var, value, raw=False, level=0):
        from .linked import LinkedVariable

        if var.kind == "linked" or isinstance(value, LinkedVariable):
            if not isinstance(value, LinkedVariable) or var.kind != "linked":
                raise ModelError(f"'{var.name}' of {self.name} " + ("is a linked variable: set it with "
                                 "linked_var(group, name)" if var.kind == "linked" else
                                 "is not declared (linked) in the model: it cannot be linked"))
            value.check(self, var)
            var.link = value
            self._code_version = getattr(self, "_code_version", 0) + 1  # the code reads another array now
            return
        if isinstance(value, str):
            self._initialise(var, value, level=level + 1)
            return
        if not raw:
            got = get_dimensions(value)
            zero = got is DIMENSIONLESS and np.all(np.asarray(value) == 0)  # 0 fits any unit (as in Brian2)
            if got != var.dim and not zero:
                raise UnitError(f"cannot set '{var.name}' of {self.name}: it has units {var.dim}, "
                                f"the value has units {got}")
        var.array[...] = np.asarray(value)

    def get_states(self, vars=None, units=True, format="dict", level=0):
        """Brian2's ``get_states``: ``{name: values}`` of the variables (all that the model declares when
        ``vars`` is None, and ``i``, ``N``); ``units=False`` gives plain arrays in SI units."""
        if format != "dict":
            raise ModelError(f"get_states: only format='dict' is supported, not {format!r}")
        variables = self.__dict__.get("variables", {})
        names = [n for n, v in variables.items() if v.kind not in ("internal", "linked")] + ["i", "N"] \
            if vars is None else list(vars)
        out = {}
        for name in names:
            if name == "N":
                out[name] = self.N
                continue
            value = getattr(self, name if units else (name + "_" if name in variables else name))
            out[name] = value.copy() if isinstance(value, np.ndarray) else value
        return out

    def set_states(self, values, units=True, format="dict", level=0):
        """Brian2's ``set_states``: set variables from ``{name: values}`` (``units=False``: plain SI values)."""
        if format != "dict":
            raise ModelError(f"set_states: only format='dict' is supported, not {format!r}")
        variables = self.__dict__.get("variables", {})
        for name, value in values.items():
            if name not in variables:
                from ..equations.parser import suggest

                raise ModelError(f"set_states: {self.name} has no variable '{name}'.{suggest(name, variables)}")
            self._set_variable(variables[name], value, raw=not units, level=level + 1)

    # -- samples, one after another (Network.reset_state) ------------------------------
    _RESET_INTERNALS = {"lastspike": -(2**62), "not_refractory": True, "next_spike": -1}

    def initial_state(self):
        """Copies of the variables :meth:`Network.reset_state` returns to: every variable an equation
        changes over time (``dx/dt = ...``).  Parameters (weights among them) are not in it: a reset
        keeps them."""
        return {name: var.array.copy() for name, var in self.variables.items() if var.kind == "differential"}

    def reset_state(self, initial, t_, keep=()):
        """State back to ``initial`` (from :meth:`initial_state`), except the variables named in ``keep``;
        the last spike times, refractoriness, Poisson gaps and spike lists cleared; the time of the
        last event-driven update set to ``t_`` (now)."""
        for name, values in initial.items():
            if name in keep:
                continue
            var = self.variables[name]
            shape = (var.array if var._array is None else var._array).shape  # (no device copy brought back)
            if shape != values.shape:
                raise ModelError(f"reset_state: '{name}' of {self.name} has shape {shape} now, "
                                 f"{values.shape} when the initial state was taken (the network's first run); "
                                 "call net.take_initial_state() after changing the network's structure")
            var.overwrite(values)
        for name, fill in self._RESET_INTERNALS.items():
            if name in self.variables:
                self.variables[name].overwrite(fill)
        if "lastupdate" in self.variables:
            self.variables["lastupdate"].overwrite(t_)
        nspikes = self.__dict__.get("_nspikes")
        if nspikes is not None:
            nspikes[...] = 0
        for _spikes, n in self.__dict__.get("_event_arrays", {}).values():
            n[...] = 0

    def _initialise(self, var, text, level, indices=None):
        from ..runtime.initialise import initialise

        initialise(self, var, text, level=level + 1, indices=indices)


class VariableView(Quantity):
    """A variable of a group as a Quantity view of its array (writes go through), which also
    takes expression strings: ``G.v[:10] = "v_rest + rand()*5*mV"``.  Hashable (by the variable), so
    that it can key a dict, as Brian2's ``run_args={G.v: values}``."""

    def __hash__(self):
        owner, var = getattr(self, "_owner", None), getattr(self, "_var", None)
        if owner is None:
            raise TypeError("unhashable: a plain array")
        return hash((id(owner), var.name))

    @classmethod
    def of(cls, owner, var):
        view = var.array.view(cls)
        view.dim = var.dim if var.dim is not None else DIMENSIONLESS
        view._owner, view._var = owner, var
        return view

    def __getitem__(self, key):
        return super().__getitem__(self._condition(key, level=1))

    def __setitem__(self, key, value):
        self._assign(self._condition(key, level=1), value)

    def _condition(self, key, level):
        """A string index is a condition on the elements (Brian2's ``S.w["i > j"] = ...``): their mask."""
        owner = getattr(self, "_owner", None)
        if not isinstance(key, str) or owner is None:
            return key
        from ..runtime.initialise import compute

        n = self._var.array.shape[-1]
        values = compute(owner, key, np.zeros(n), f"the condition {key!r} on {owner.name}", None, level + 1)
        return values != 0

    def _assign(self, key, value):
        owner = getattr(self, "_owner", None)
        if isinstance(value, str) and owner is not None and self.base is not None:
            owner._initialise(self._var, value, level=2, indices=key)
            return
        super().__setitem__(key, value)


def code_temporaries(statements, variables, what, is_variable=None):
    """The temporaries of statement code (see :func:`snngen.equations.parser.temporaries`); one that is
    assigned but never read is an error (most likely a misspelt variable).  ``is_variable`` decides what a
    variable is (default: a non-internal name of ``variables``)."""
    from ..equations.parser import suggest, temporaries

    if is_variable is None:
        def is_variable(name):
            return name in variables and variables[name].kind != "internal"
    temps = temporaries(statements, is_variable)
    for name in temps:
        position = next(k for k, (t, _, _) in enumerate(statements) if t == name)
        if not any(name in {s.name for s in p.expr.free_symbols} for _, _, p in statements[position + 1:]):
            _, _, parsed = statements[position]
            raise EquationError(f"{what} assigns to '{name}', which is not a variable, and no statement after it "
                                f"reads it.{suggest(name, variables)}", text=parsed.line_text, line=parsed.line,
                                token=name)
    return temps


def object_dt(dt, clock, owner):
    """An object's own time step (Brian2's ``dt=`` or ``clock=``), or None."""
    if clock is not None:
        if dt is not None:
            raise ModelError(f"{owner}: give dt= or clock=, not both")
        dt = clock.dt
    if dt is None:
        return None
    from ..units import second

    if get_dimensions(dt) is not second.dim or not float(np.asarray(dt)) > 0:
        raise ModelError(f"{owner}: dt must be a positive time, not {dt!r}")
    return dt


def event_list(group, event):
    """The names of the list of ``group``'s neurons that had ``event`` this step, in a network's code: a
    prefix ``X`` of ``Xspikes`` (the indices) and ``Xnspk`` (how many).  ``"spike"`` is the threshold's."""
    prefix = group._prefix
    if event == "spike":
        return f"{prefix}_"
    events = getattr(group, "_events", {})
    if event not in events:
        from ..equations.parser import suggest

        raise ModelError(f"{group.name} has no event '{event}' (its events: {['spike'] + list(events)})."
                         f"{suggest(event, events)}")
    return f"{prefix}_ev{list(events).index(event)}_"


def check_size(n, what):
    try:
        n = int(n)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be a positive integer, not {n!r}") from None
    if n <= 0:
        raise ModelError(f"{what} must be a positive integer, not {n}")
    return n
