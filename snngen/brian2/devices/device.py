"""``brian2.devices.device``: Brian2's devices, on snngen's one kind of compiled code.

snngen compiles every network with Numba, so Brian2's "runtime" and "standalone" devices run the
same way.  What a standalone script relies on still works:

* ``set_device("cpp_standalone")`` (``build_on_run=True``): runs happen at ``run()``;
  ``device.build()`` afterwards has nothing left to do;
* ``set_device("cpp_standalone", build_on_run=False)``: ``run()`` only records the run (and the
  state the network starts from); ``device.build(run=False)`` compiles; ``device.build()`` or
  ``device.run(run_args={G.v: values, ...})`` runs the recorded runs from that start, with the
  ``run_args`` values set first (Brian2's way to rerun a compiled simulation with new values).
"""

from __future__ import annotations

from ...errors import ModelError
from ...runtime import network as _network

__all__ = ["device", "get_device", "reinit_devices", "reset_device", "set_device"]

_KNOWN = ("runtime", "cpp_standalone", "cuda_standalone")
_START = "__device_start__"


class Device:
    """The device Brian2 scripts talk to (``device``)."""

    def __init__(self):
        self.name = "runtime"
        self.build_on_run = True
        self.reinit()

    def __repr__(self):
        return f"<snngen device emulating {self.name!r} (build_on_run={self.build_on_run})>"

    # -- Brian2's device API --------------------------------------------------------------------------
    def activate(self, build_on_run=True, **_options):
        self.build_on_run = bool(build_on_run)

    def reinit(self):
        """Forget recorded runs (Brian2: start a new standalone project)."""
        self._runs = []  # (network, duration, namespace, report) in the order run() was called
        self._networks = []

    def build(self, run=True, directory=None, compile=True, clean=False, debug=False, **_options):
        """Compile the recorded runs' networks and, with ``run=True``, run them."""
        if self.build_on_run:
            return  # every run() already ran
        if compile:
            for net in self._networks:
                net.restore(_START)
                net.prepare(namespace=self._namespace(net))
        if run:
            self.run()

    def run(self, directory=None, with_output=True, run_args=None, **_options):
        """Run the recorded runs again from their start, after setting the ``run_args`` values."""
        if self.build_on_run:
            raise ModelError("device.run() reruns a simulation recorded with set_device(..., build_on_run=False)")
        for net in self._networks:
            net.restore(_START)
            for view, value in (run_args or {}).items():
                owner, var = getattr(view, "_owner", None), getattr(view, "_var", None)
                if owner is None or var is None:
                    raise ModelError(f"run_args keys are variables of groups (G.v), not {type(view).__name__}")
                if owner in net.objects or owner in net._ordered():
                    owner._set_variable(var, value, level=1)
        for net, duration, namespace, report in self._runs:
            _network.Network.run(net, duration, report=report, namespace=namespace, _device=False)

    def apply_run_args(self):
        """(Brian2: apply the run_args before the initialisers that follow); the values are set at the
        start of each run instead."""

    # -- the hook Network.run() calls -------------------------------------------------------------------
    def intercept(self, net, duration, report, namespace):
        """True if the run is recorded for later (standalone with build_on_run=False), not run now."""
        if self.build_on_run or self.name == "runtime":
            return False
        if net not in self._networks:
            net.store(_START)
            self._networks.append(net)
        self._runs.append((net, duration, dict(namespace), report))
        return True

    def _namespace(self, net):
        return next(ns for n, _, ns, _ in self._runs if n is net)


device = Device()
_network.device_hook = device.intercept


def set_device(name, build_on_run=True, directory=None, **options):
    """Choose the device by Brian2's name: "runtime", "cpp_standalone" or "cuda_standalone"."""
    if name not in _KNOWN:
        raise ModelError(f"unknown device {name!r}: snngen runs Brian2's {', '.join(_KNOWN)}")
    device.name = name
    device.activate(build_on_run=build_on_run, **options)
    return device


def get_device():
    return device


def reset_device(device_=None):
    """Back to the runtime device."""
    set_device(device_ if isinstance(device_, str) else "runtime")


def reinit_devices():
    device.reinit()
