"""Brian2's "magic" functions: ``run()``, ``collect()``, ``store()``, ``restore()`` without a Network.

``run(duration)`` simulates every snngen object bound to a name in the caller's scope (locals
and globals) and created since the last :func:`~snngen.groups.base.start_scope`.  As in
Brian2, one network carries on from run to run: when the objects are those of the previous run
(monitors and network operations added since are fine), time continues; when they are all new,
a new simulation starts at t = 0; a mix of both is an error, because snngen cannot tell which
the user means.
"""

from __future__ import annotations

import collections
import sys

from ..errors import ModelError
from ..groups.base import current_scope
from .network import Network
from .operations import NetworkOperation

_magic = {"net": None, "epoch": 0}


def _collectable(value):
    return (not isinstance(value, type) and hasattr(value, "name") and hasattr(value, "_scope")
            and (hasattr(value, "build") or isinstance(value, NetworkOperation)))


def collect(level=0):
    """The objects ``run()`` would simulate: those in the caller's scope created since ``start_scope()``."""
    frame = sys._getframe(level + 1)
    found = {}
    for _name, value in list(frame.f_globals.items()) + list(frame.f_locals.items()):
        if _collectable(value) and value._scope == current_scope():
            found[id(value)] = value
    return list(found.values())


def _invalidates(obj):
    """New monitors and operations can join a running simulation; new groups or synapses start another."""
    return not (hasattr(obj, "source") and not hasattr(obj, "equations")) and not isinstance(obj, NetworkOperation)


def magic_network(objects):
    """The network the magic functions use for ``objects``: the previous one, continued, or a new one."""
    epoch = _magic["epoch"]
    known = [o for o in objects if getattr(o, "_magic_epoch", None) == epoch]
    new = [o for o in objects if getattr(o, "_magic_epoch", None) != epoch and _invalidates(o)]
    net = _magic["net"]
    if net is None or not known:
        if not objects:
            raise ModelError("run() found no snngen objects in the calling scope")
        _magic["epoch"] = epoch = epoch + 1
        net = _magic["net"] = Network(*objects, name="magicnetwork")
    elif new:
        names = ", ".join(sorted(o.name for o in new))
        raise ModelError(f"the magic run() found objects of the previous run together with new ones ({names}): "
                         "snngen cannot tell whether to continue the simulation or start a new one. Call "
                         "start_scope() before making the new objects, or make a Network explicitly")
    else:
        gone = [o for o in net.objects if o not in objects]
        if gone:
            net.remove(*gone)
        net.add(*[o for o in objects if o not in net.objects])
    for obj in objects:
        object.__setattr__(obj, "_magic_epoch", epoch)
    return net


def run(duration, report=None, namespace=None, level=0, report_period=None, profile=False):
    """Run every snngen object visible in the caller's scope (Brian2's ``run``); returns the network."""
    frame = sys._getframe(level + 1)
    scope = collections.ChainMap(frame.f_locals, frame.f_globals)
    net = magic_network(collect(level + 1))
    net.run(duration, report=report, namespace=namespace if namespace is not None else scope,
            report_period=report_period, profile=profile)
    return net


def current_magic_network():
    """The network the magic ``run()`` used last (None before the first)."""
    return _magic["net"]


def store(name="default", level=0):
    """Keep the state of the caller's objects (Brian2's ``store()``) under ``name``."""
    magic_network(collect(level + 1)).store(name)


def restore(name="default", level=0):
    """Bring back what :func:`store` kept under ``name`` (time included)."""
    net = _magic["net"]
    if net is None:
        raise ModelError("restore(): nothing has been stored")
    magic_network(collect(level + 1))
    net.restore(name)
