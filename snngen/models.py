"""Prebuilt neuron models, one TOML file each (``models/*.toml``, installed as ``snngen.model_files``).

A model file holds a model's equations, threshold, reset, refractoriness, integration method, parameter
defaults (strings of numbers and unit names such as ``"-65*mV"``), initial values and named presets,
with the paper it transcribes.  Adding a file adds a model: no Python is needed.

>>> from snngen import models
>>> from snngen.units import mV, ms
>>> models.list_models()
['AdEx', 'AdaptiveLIF', 'HH', 'IF', 'Izhikevich', 'LIF']
>>> G = models.Izhikevich(10, preset="FS", I=10*mV)     # same as models.make("Izhikevich", 10, "FS", I=10*mV)
>>> G = models.LIF(100, tau=20*ms)
>>> print(models.get("AdEx"))                            # equations, parameters and reference
>>> print(models.get("LIF").source)                      # the TOML text, to copy and edit

Parameter overrides are checked: an unknown name or preset is a :class:`~snngen.ModelError` suggesting
close names, a value with the wrong units a :class:`~snngen.UnitError` naming both units.  An override
may be a Quantity, a number, an array with one value per neuron or a string such as ``"20*ms"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from types import MappingProxyType

import tomllib

from .equations.dimensions import evaluate_constant
from .equations.parser import NAME_RE, parse_expression, suggest
from .errors import EquationError, ModelError, UnitError
from .groups.base import unique_name
from .groups.neurongroup import NeuronGroup
from .units import DIMENSIONLESS, get_dimensions

PACKAGE = "snngen.model_files"
_REQUIRED = ("name", "title", "reference", "equations")
_OPTIONAL = ("threshold", "reset", "refractory", "method", "parameters", "initial", "presets")


@dataclass(frozen=True)
class ModelSpec:
    """One prebuilt model, as read from its TOML file.

    ``parameters`` maps each parameter to its default (a Quantity or a float, in SI units), ``initial``
    each state variable to its initialiser string, ``presets`` each preset name to the parameters it sets;
    ``source`` is the file's text.
    """

    name: str
    title: str
    reference: str
    equations: str
    threshold: str | None = None
    reset: str | None = None
    refractory: str | None = None
    method: str | None = None
    parameters: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    initial: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    presets: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    source: str = field(default="", repr=False)

    def __str__(self):
        lines = [f"{self.name}: {self.title}", f"  reference: {self.reference}", "  equations:"]
        lines += [f"    {line.strip()}" for line in self.equations.strip().splitlines()]
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
        namespace = self.namespace(preset, **overrides)
        group = NeuronGroup(N, self.equations, threshold=self.threshold, reset=self.reset,
                            refractory=self.refractory or False, method=method or self.method,
                            namespace=namespace, name=name or unique_name(self.name.lower()))
        for variable, text in self.initial.items():
            setattr(group, variable, text)
        object.__setattr__(group, "model_spec", self)
        return group


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


def list_models():
    """Names of the prebuilt models, sorted."""
    return sorted(f.name[: -len(".toml")] for f in files(PACKAGE).iterdir() if f.name.endswith(".toml"))


def get(name):
    """The :class:`ModelSpec` of model ``name`` (e.g. ``"LIF"``)."""
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
    for key in _REQUIRED:
        if key not in data:
            raise ModelError(f"model file {filename} lacks the required key '{key}'")
    for key in data:
        if key not in _REQUIRED + _OPTIONAL:
            raise ModelError(f"model file {filename}: unknown key '{key}'.{suggest(key, _REQUIRED + _OPTIONAL)}")
    if data["name"] != name:
        raise ModelError(f"model file {filename} names its model '{data['name']}'")
    parameters = {k: _constant(v, f"{filename}, parameter '{k}'") for k, v in data.get("parameters", {}).items()}
    for k in parameters:
        if not NAME_RE.match(k):
            raise ModelError(f"model file {filename}: '{k}' is not a valid parameter name")
    presets = {}
    for preset, values in data.get("presets", {}).items():
        presets[preset] = MappingProxyType(_preset(filename, preset, values, parameters))
    return ModelSpec(
        name=name, title=data["title"], reference=data["reference"], equations=data["equations"],
        threshold=data.get("threshold"), reset=data.get("reset"), refractory=data.get("refractory"),
        method=data.get("method"), parameters=MappingProxyType(parameters),
        initial=MappingProxyType({k: str(v) for k, v in data.get("initial", {}).items()}),
        presets=MappingProxyType(presets), source=source,
    )


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


def _factory(model):
    spec = get(model)

    def build(N, preset=None, *, method=None, **overrides):
        return spec.make(N, preset, method=method, **overrides)

    build.__name__ = build.__qualname__ = model
    build.__module__ = __name__
    presets = f"\n\nPresets: {', '.join(spec.presets)}." if spec.presets else ""
    build.__doc__ = (f"{spec.title}: ``N`` neurons (see :func:`snngen.models.make`).\n\n"
                     f"{spec.reference}{presets}\n\nParameters: {', '.join(spec.parameters)}.")
    return build


def __getattr__(name):
    """``models.LIF(N, **overrides)``: one function per model file."""
    if name.startswith("_") or name not in list_models():
        raise AttributeError(f"module {__name__} has no attribute '{name}'.{_hint(name, list_models())}")
    function = _factory(name)
    globals()[name] = function
    return function


def __dir__():
    return sorted(set(globals()) | set(list_models()))
