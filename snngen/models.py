"""Prebuilt neuron and synapse models, one TOML file each (``models/*.toml``, installed as ``snngen.model_files``).

A neuron model file holds a model's equations, threshold, reset, refractoriness, integration method,
parameter defaults (strings of numbers and unit names such as ``"-65*mV"``), initial values and named
presets, with the paper it transcribes.  A synapse model file (``kind = "synapse"``: the plasticity
rules ``STDP_*``) holds the synaptic ``model``, ``on_pre`` and ``on_post`` code and its parameters.
Adding a file adds a model: no Python is needed.

>>> from snngen import models
>>> from snngen.units import mV, ms
>>> models.list_models("neuron")
['AdEx', 'AdaptiveLIF', 'HH', 'IF', 'Izhikevich', 'LIF']
>>> models.list_models("synapse")
['STDP_additive', 'STDP_multiplicative', 'STDP_nearest', 'STDP_triplet']
>>> G = models.Izhikevich(10, preset="FS", I=10*mV)     # same as models.make("Izhikevich", 10, "FS", I=10*mV)
>>> G = models.LIF(100, tau=20*ms)
>>> print(models.get("AdEx"))                            # equations, parameters and reference
>>> print(models.get("LIF").source)                      # the TOML text, to copy and edit

Synapse models take a source and a target group.  Their weight ``w`` is dimensionless, kept in
``[0, w_max]``; ``drive`` names the target variable a presynaptic spike increments by ``w*w_scale``
(``w_scale`` in that variable's units), ``drive=None`` gives plasticity only:

>>> S = models.STDP_additive(P, G, drive="g_post", w_scale=0.015)   # "g_post += w*w_scale" on_pre
>>> S.connect(); S.w = "rand()"                                     # (or connect=True: all-to-all)

Parameter overrides are checked: an unknown name or preset is a :class:`~snngen.ModelError` suggesting
close names, a value with the wrong units a :class:`~snngen.UnitError` naming both units.  An override
may be a Quantity, a number, an array with one value per neuron (per synapse) or a string such as ``"20*ms"``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from types import MappingProxyType

from .equations.dimensions import evaluate_constant
from .equations.parser import NAME_RE, parse_expression, suggest
from .errors import EquationError, ModelError, UnitError
from .groups.base import unique_name
from .groups.neurongroup import NeuronGroup
from .groups.synapses import Synapses
from .units import DIMENSIONLESS, get_dimensions

PACKAGE = "snngen.model_files"
KINDS = ("neuron", "synapse")
_REQUIRED = {"neuron": ("name", "title", "reference", "equations"),
             "synapse": ("kind", "name", "title", "reference", "model")}
_OPTIONAL = {"neuron": ("kind", "threshold", "reset", "refractory", "method", "parameters", "initial", "presets"),
             "synapse": ("on_pre", "on_post", "method", "parameters", "initial", "presets")}
DRIVE = "{drive}"  # placeholder, in a synapse model's code, for the target variable its weight drives
SCALE = "w_scale"  # the parameter that gives the weight its units: "{drive} += w*w_scale"
_PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class ModelSpec:
    """One prebuilt model, as read from its TOML file.

    ``kind`` is ``"neuron"`` or ``"synapse"``; ``equations`` holds a neuron model's equations or a synapse
    model's ``model`` text (also readable as ``spec.model``), ``on_pre``/``on_post`` a synapse model's
    pathway code.  ``parameters`` maps each parameter to its default (a Quantity or a float, in SI units),
    ``initial`` each state variable to its initialiser string, ``presets`` each preset name to the
    parameters it sets; ``source`` is the file's text.
    """

    name: str
    title: str
    reference: str
    equations: str
    kind: str = "neuron"
    on_pre: str | None = None
    on_post: str | None = None
    threshold: str | None = None
    reset: str | None = None
    refractory: str | None = None
    method: str | None = None
    parameters: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    initial: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    presets: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    source: str = field(default="", repr=False)

    @property
    def model(self):
        """The equations (a synapse file's ``model``)."""
        return self.equations

    def __str__(self):
        lines = [f"{self.name}: {self.title}" + (" (synapse model)" if self.kind == "synapse" else ""),
                 f"  reference: {self.reference}", "  equations:" if self.kind == "neuron" else "  model:"]
        lines += [f"    {line.strip()}" for line in self.equations.strip().splitlines()]
        for key in ("on_pre", "on_post"):
            if getattr(self, key) is not None:
                lines.append(f"  {key}:")
                lines += [f"    {line.strip()}" for line in getattr(self, key).strip().splitlines()]
        for key in ("threshold", "reset", "refractory", "method"):
            if getattr(self, key) is not None:
                lines.append(f"  {key}: {getattr(self, key)}")
        if self.parameters:
            lines.append("  parameters:")
            lines += [f"    {k} = {v}" for k, v in self.parameters.items()]
        if self.initial:
            lines.append("  initial: " + ", ".join(f"{k} = {v}" for k, v in self.initial.items()))
        if self.presets:
            lines.append("  presets: " + ", ".join(self.presets))
        return "\n".join(lines)

    def namespace(self, preset=None, **overrides):
        """The parameter values of a group: defaults, then the preset, then checked overrides."""
        values = dict(self.parameters)
        if preset is not None:
            if preset not in self.presets:
                known = ", ".join(self.presets) or "none"
                raise ModelError(f"model {self.name} has no preset '{preset}'.{_hint(preset, self.presets)} "
                                 f"Presets: {known}")
            values.update(self.presets[preset])
        for key, value in overrides.items():
            values[key] = self._checked_override(key, value)
        return values

    def _checked_override(self, key, value):
        if key not in self.parameters:
            hint = _hint(key, self.parameters)
            if not hint and key in _state_names(self.equations):
                hint = f" '{key}' is a variable of the model: set it on the group (G.{key} = ...)."
            raise ModelError(f"model {self.name} has no parameter '{key}'.{hint} "
                             f"Parameters: {', '.join(self.parameters)}")
        if isinstance(value, str):
            value = _constant(value, f"override of '{key}'")
        expected, got = get_dimensions(self.parameters[key]), get_dimensions(value)
        if got != expected:
            raise UnitError(f"parameter '{key}' of model {self.name} has units {_units(expected)}, "
                            f"but the value {value!r} has units {_units(got)}")
        return value

    def make(self, N, preset=None, *, method=None, name=None, **overrides):
        """A :class:`~snngen.NeuronGroup` of ``N`` such neurons (see :func:`make`)."""
        if self.kind != "neuron":
            raise ModelError(f"{self.name} is a synapse model, not a neuron model: use "
                             f"models.make_synapses({self.name!r}, source, target, ...) or "
                             f"models.{self.name}(source, target, ...)")
        namespace = self.namespace(preset, **overrides)
        group = NeuronGroup(N, self.equations, threshold=self.threshold, reset=self.reset,
                            refractory=self.refractory or False, method=method or self.method,
                            namespace=namespace, name=name or unique_name(self.name.lower()))
        for variable, text in self.initial.items():
            setattr(group, variable, text)
        object.__setattr__(group, "model_spec", self)
        return group

    def make_synapses(self, source, target, preset=None, *, drive=None, connect=None, delay=None, method=None,
                      dtype=None, storage="auto", name=None, **overrides):
        """:class:`~snngen.Synapses` from ``source`` to ``target`` with this rule (see :func:`make_synapses`)."""
        if self.kind != "synapse":
            raise ModelError(f"{self.name} is a neuron model, not a synapse model: use models.make({self.name!r}, N, "
                             f"...) or models.{self.name}(N, ...)")
        scale = overrides.pop(SCALE, None)
        namespace = self.namespace(preset, **overrides)
        on_pre, on_post = (_with_drive(code, drive) for code in (self.on_pre, self.on_post))
        if drive is not None:
            namespace[SCALE] = self._checked_scale(drive, target, scale)
        elif scale is not None:
            raise ModelError(f"model {self.name}: {SCALE} scales what the weight drives, but no drive was given: "
                             f"pass drive='<variable>_post' too (e.g. drive='g_post')")
        syn = Synapses(source, target, self.equations, on_pre=on_pre, on_post=on_post, delay=delay,
                       method=method or self.method, namespace=namespace, dtype=dtype, storage=storage,
                       name=name or unique_name(self.name.lower()))
        object.__setattr__(syn, "model_spec", self)
        if connect is not None and connect is not False:
            syn.connect(**({} if connect is True else dict(connect)))
            for variable, text in self.initial.items():
                setattr(syn, variable, text)
        return syn

    def _checked_scale(self, drive, target, scale):
        """``w_scale``, checked against the units of the driven target variable ``drive``."""
        variables = getattr(target, "variables", {})
        base = drive[: -len("_post")] if isinstance(drive, str) and drive.endswith("_post") else drive
        if not isinstance(drive, str) or not NAME_RE.match(drive) or base not in variables:
            known = [f"{v}_post" for v in variables if not v.startswith("_")]
            hint = _hint(drive, known) if isinstance(drive, str) else ""
            raise ModelError(f"model {self.name}: drive={drive!r} is not a variable of the target "
                             f"{getattr(target, 'name', target)!r}.{hint} Its variables: {', '.join(known) or 'none'}")
        expected = variables[base].dim if variables[base].dim is not None else DIMENSIONLESS
        if scale is None:
            scale = self.parameters[SCALE]
            if get_dimensions(scale) != expected:
                raise UnitError(f"model {self.name}: '{drive}' has units {_units(expected)}, so {SCALE} (what w = 1 "
                                f"adds to it) needs them too: pass {SCALE}=... in {_units(expected)}")
            return scale
        if isinstance(scale, str):
            scale = _constant(scale, f"override of '{SCALE}'")
        if get_dimensions(scale) != expected:
            raise UnitError(f"parameter '{SCALE}' of model {self.name} must have the units of '{drive}', "
                            f"{_units(expected)}, but the value {scale!r} has units {_units(get_dimensions(scale))}")
        return scale


def _with_drive(code, drive):
    """A pathway's code with its ``{drive}`` statement bound to ``drive``, or dropped when ``drive`` is None."""
    if code is None:
        return None
    statements = [part.strip() for line in code.splitlines() for part in line.split(";")]
    if drive is None:
        statements = [st for st in statements if DRIVE not in st]
    else:
        statements = [st.replace(DRIVE, drive) for st in statements]
    return "\n".join(st for st in statements if st) or None


def _hint(name, candidates):
    """``suggest`` (close spellings), or else the candidates that differ from ``name`` only in case."""
    same = [c for c in candidates if c.lower() == name.lower()]
    if same and not suggest(name, candidates):
        return " Did you mean " + " or ".join(repr(c) for c in same) + "?"
    return suggest(name, candidates)


def _units(dim):
    return "dimensionless" if dim == DIMENSIONLESS else str(dim)


def _constant(text, what):
    """``"-65*mV"`` -> Quantity, through the whitelisting parser (never ``eval``)."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ModelError(f"{what} must be a string such as \"-65*mV\" or a number, not {text!r}")
    if not isinstance(text, str):
        return float(text)
    try:
        return evaluate_constant(parse_expression(text, line_text=text))
    except EquationError as exc:
        raise EquationError(f"{what}: {exc}") from None


@cache
def _state_names(equations):
    from .equations import Equations

    return frozenset(Equations(equations).state_names)


def list_models(kind=None):
    """Names of the prebuilt models, sorted; ``kind="neuron"`` or ``"synapse"`` keeps the models of that kind."""
    names = sorted(f.name[: -len(".toml")] for f in files(PACKAGE).iterdir() if f.name.endswith(".toml"))
    if kind is None:
        return names
    if kind not in KINDS:
        raise ModelError(f"kind must be one of {', '.join(map(repr, KINDS))} or None, not {kind!r}."
                         f"{_hint(str(kind), KINDS)}")
    return [n for n in names if _load(n).kind == kind]


def get(name):
    """The :class:`ModelSpec` of model ``name`` (e.g. ``"LIF"``, ``"STDP_additive"``)."""
    known = list_models()
    if name not in known:
        raise ModelError(f"unknown model '{name}'.{_hint(name, known)} Models: {', '.join(known)}")
    return _load(name)


@cache
def _load(name):
    filename = f"{name}.toml"
    source = files(PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"model file {filename}: {exc}") from None
    kind = data.get("kind", "neuron")
    if kind not in KINDS:
        raise ModelError(f"model file {filename}: kind must be one of {', '.join(map(repr, KINDS))}, not {kind!r}")
    required, optional = _REQUIRED[kind], _OPTIONAL[kind]
    for key in required:
        if key not in data:
            raise ModelError(f"model file {filename} lacks the required key '{key}'")
    for key in data:
        if key not in required + optional:
            raise ModelError(f"model file {filename}: unknown key '{key}' for a {kind} model."
                             f"{suggest(key, required + optional)}")
    if data["name"] != name:
        raise ModelError(f"model file {filename} names its model '{data['name']}'")
    parameters = {k: _constant(v, f"{filename}, parameter '{k}'") for k, v in data.get("parameters", {}).items()}
    for k in parameters:
        if not NAME_RE.match(k):
            raise ModelError(f"model file {filename}: '{k}' is not a valid parameter name")
    if kind == "synapse":
        _check_pathways(filename, data, parameters)
    presets = {}
    for preset, values in data.get("presets", {}).items():
        presets[preset] = MappingProxyType(_preset(filename, preset, values, parameters))
    return ModelSpec(
        name=name, title=data["title"], reference=data["reference"],
        equations=data["equations"] if kind == "neuron" else data["model"], kind=kind,
        on_pre=data.get("on_pre"), on_post=data.get("on_post"),
        threshold=data.get("threshold"), reset=data.get("reset"), refractory=data.get("refractory"),
        method=data.get("method"), parameters=MappingProxyType(parameters),
        initial=MappingProxyType({k: str(v) for k, v in data.get("initial", {}).items()}),
        presets=MappingProxyType(presets), source=source,
    )


def _check_pathways(filename, data, parameters):
    """A synapse file's code uses no placeholder but ``{drive}``, and ``{drive}`` comes with ``w_scale``."""
    uses_drive = False
    for key in ("on_pre", "on_post"):
        code = data.get(key)
        if code is None:
            continue
        if not isinstance(code, str):
            raise ModelError(f"model file {filename}: {key} must be a string of statements")
        for placeholder in _PLACEHOLDER_RE.findall(code):
            if placeholder != DRIVE:
                raise ModelError(f"model file {filename}, {key}: unknown placeholder {placeholder}; the only one is "
                                 f"{DRIVE} (the target variable the weight drives)")
        uses_drive |= DRIVE in code
    if uses_drive and SCALE not in parameters:
        raise ModelError(f"model file {filename}: its code uses {DRIVE}, so it needs the parameter '{SCALE}'")


def _preset(filename, preset, values, parameters):
    out = {}
    for k, text in values.items():
        if k not in parameters:
            raise ModelError(f"model file {filename}, preset '{preset}': unknown parameter '{k}'."
                             f"{suggest(k, parameters)}")
        value = _constant(text, f"{filename}, preset '{preset}', parameter '{k}'")
        if get_dimensions(value) != get_dimensions(parameters[k]):
            raise UnitError(f"model file {filename}, preset '{preset}': '{k}' has units "
                            f"{_units(get_dimensions(value))}, its default {_units(get_dimensions(parameters[k]))}")
        out[k] = value
    return out


def make(name, N, preset=None, *, method=None, **overrides):
    """``N`` neurons of the prebuilt model ``name``: a :class:`~snngen.NeuronGroup`.

    ``preset`` picks a named parameter set of the model (e.g. ``"FS"`` for ``Izhikevich``); keyword
    arguments override single parameters (checked: names and units); ``method`` overrides the model's
    integration method.  Initial values from the model file are applied; ``G.model_spec`` is the
    :class:`ModelSpec`.

    >>> G = make("LIF", 100, tau=20*ms)
    """
    return get(name).make(N, preset, method=method, **overrides)


def make_synapses(name, source, target, preset=None, *, drive=None, connect=None, delay=None, method=None,
                  dtype=None, storage="auto", **overrides):
    """Synapses from ``source`` to ``target`` with the prebuilt plasticity rule ``name``: a :class:`~snngen.Synapses`.

    The weight ``w`` is dimensionless and kept in ``[0, w_max]``.  ``drive`` names the target variable a
    presynaptic spike increments by ``w*w_scale`` (``"g_post"`` or ``"g"``: the model's ``{drive}``
    statement), with ``w_scale`` in that variable's units (checked); ``drive=None`` leaves the statement
    out, for plasticity alone.  ``connect`` (optional) connects at once: ``True`` all-to-all, or a dict of
    :meth:`~snngen.Synapses.connect` arguments, and then applies the file's initial values; otherwise call
    ``S.connect(...)`` yourself.  ``preset`` and keyword overrides of parameters are checked as for
    :func:`make` (a per-synapse array is allowed); ``S.model_spec`` is the :class:`ModelSpec`.

    >>> S = make_synapses("STDP_additive", P, G, drive="g_post", w_scale=0.015, connect=True)
    """
    return get(name).make_synapses(source, target, preset, drive=drive, connect=connect, delay=delay, method=method,
                                   dtype=dtype, storage=storage, **overrides)


def _factory(model):
    spec = get(model)
    presets = f"\n\nPresets: {', '.join(spec.presets)}." if spec.presets else ""
    if spec.kind == "synapse":
        def build(source, target, preset=None, **kwargs):
            return spec.make_synapses(source, target, preset, **kwargs)

        build.__doc__ = (f"{spec.title}: synapses from ``source`` to ``target`` (see "
                         f":func:`snngen.models.make_synapses`).\n\n{spec.reference}{presets}\n\n"
                         f"Parameters: {', '.join(spec.parameters)}.")
    else:
        def build(N, preset=None, *, method=None, **overrides):
            return spec.make(N, preset, method=method, **overrides)

        build.__doc__ = (f"{spec.title}: ``N`` neurons (see :func:`snngen.models.make`).\n\n"
                         f"{spec.reference}{presets}\n\nParameters: {', '.join(spec.parameters)}.")
    build.__name__ = build.__qualname__ = model
    build.__module__ = __name__
    return build


def __getattr__(name):
    """``models.LIF(N, **overrides)``, ``models.STDP_additive(source, target, ...)``: one function per model file."""
    if name.startswith("_") or name not in list_models():
        raise AttributeError(f"module {__name__} has no attribute '{name}'.{_hint(name, list_models())}")
    function = _factory(name)
    globals()[name] = function
    return function


def __dir__():
    return sorted(set(globals()) | set(list_models()))
