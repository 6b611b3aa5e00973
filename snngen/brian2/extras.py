"""Brian2 names that are not simulation objects: ``magic_network``, ``profiling_summary``, ``BrianLogger``."""

from __future__ import annotations

import logging

from ..errors import ModelError
from ..runtime.magic import current_magic_network

__all__ = ["BrianLogger", "Cylinder", "Morphology", "Section", "Soma", "SpatialNeuron", "codegen", "magic_network",
           "profiling_summary"]


class _NoMagicNetwork(ModelError, AttributeError):
    pass


class _MagicNetwork:
    """Brian2's ``magic_network``: the network the magic ``run()`` simulates (its ``t``,
    ``profiling_info``, ``store``/``restore`` ...)."""

    def __getattr__(self, name):
        net = current_magic_network()
        if net is None:
            raise _NoMagicNetwork(f"magic_network.{name}: run() has not run a network yet")
        return getattr(net, name)

    def __repr__(self):
        return f"<magic_network: {current_magic_network()!r}>"


magic_network = _MagicNetwork()


class ProfilingSummary:
    """What ``profiling_summary()`` returns: a table of (what, seconds) printed by ``print``."""

    def __init__(self, info, show=None):
        self.info = list(info)[:show] if show else list(info)

    def __repr__(self):
        total = sum(t for _, t in self.info) or 1.0
        width = max([len(name) for name, _ in self.info] + [10])
        lines = [f"{'Profiling summary':{width}}    seconds   share"]
        lines += [f"{name:{width}} {t:10.4f} {100 * t / total:6.1f} %" for name, t in self.info]
        return "\n".join(lines)

    __str__ = __repr__


def profiling_summary(net=None, show=None):
    """Brian2's ``profiling_summary``: the time of the runs made with ``profile=True``."""
    net = net if net is not None else current_magic_network()
    if net is None:
        raise ModelError("profiling_summary(): no network has run")
    return ProfilingSummary(net.profiling_info, show)


class _Multicompartment:
    """Brian2's multicompartment neurons (SpatialNeuron and its morphologies), which snngen does not simulate."""

    def __init__(self, *args, **kwargs):
        raise ModelError(f"{type(self).__name__}: snngen does not simulate multicompartment neurons (Brian2's "
                         "SpatialNeuron and morphologies) yet; model the neuron as a point neuron (NeuronGroup)")


class SpatialNeuron(_Multicompartment):
    pass


class Morphology(_Multicompartment):
    pass


class Soma(Morphology):
    pass


class Cylinder(Morphology):
    pass


class Section(Morphology):
    pass


class _Codegen:
    """Brian2's ``codegen`` (the package): ``codegen.target = ...`` sets ``prefs.codegen.target``."""

    def __getattr__(self, name):
        from .preferences import prefs

        return getattr(prefs.codegen, name)

    def __setattr__(self, name, value):
        from .preferences import prefs

        setattr(prefs.codegen, name, value)


codegen = _Codegen()


class BrianLogger:
    """Brian2's ``BrianLogger``: here, the level of the ``snngen`` logger (Python's logging)."""

    _logger = logging.getLogger("snngen")

    @classmethod
    def _level(cls, level):
        cls._logger.setLevel(level)
        if not cls._logger.handlers:
            cls._logger.addHandler(logging.StreamHandler())

    @classmethod
    def log_level_diagnostic(cls):
        cls._level(logging.DEBUG)

    log_level_debug = log_level_diagnostic

    @classmethod
    def log_level_info(cls):
        cls._level(logging.INFO)

    @classmethod
    def log_level_warn(cls):
        cls._level(logging.WARNING)

    @classmethod
    def log_level_error(cls):
        cls._level(logging.ERROR)

    @staticmethod
    def suppress_name(name):
        """Brian2 silences one of its own log sources; snngen's logger has none by that name."""

    suppress_hierarchy = suppress_name
