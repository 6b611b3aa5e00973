"""Monitors (BindsNET's ``bindsnet.network.monitors``): recordings made inside the compiled loop, at the end
of each step (after the layers, the learning and the connections), read back as ``(time, batch, *shape)``."""

from __future__ import annotations

import numpy as np

from ..errors import ModelError

__all__ = ["Monitor", "NetworkMonitor"]


class Monitor:
    """Record ``state_vars`` (``"s"``, ``"v"``, ``"x"``, ``"theta"`` ...) of a layer each step, or the weights
    ``"w"`` of a connection (:class:`Connection`, :class:`SparseConnection`, :class:`LocalConnection`).

    ``time=None``: everything since the last ``reset_state_variables()``; ``time=T``: the last ``T`` steps
    (BindsNET's rolling window).  ``get(var)`` returns ``(time, batch, *shape)`` for a layer (``s`` as
    booleans), ``(time, *w.shape)`` for a connection's weights (recorded at the end of each step, after
    learning).
    """

    def __init__(self, obj, state_vars, time=None, batch_size=1, device=None, sparse=False):
        from .nodes import Nodes
        from .topology import Connection, Conv2dConnection, MeanFieldConnection

        self._weights = isinstance(obj, Connection)
        if self._weights:
            if isinstance(obj, (Conv2dConnection, MeanFieldConnection)) or set(state_vars) - {"w"}:
                raise ModelError(f"Monitor: records the weights 'w' of a Connection, SparseConnection or "
                                 f"LocalConnection, not {list(state_vars)} of a {type(obj).__name__}")
        elif not isinstance(obj, Nodes):
            raise ModelError(f"Monitor: records layers (Nodes) and connections' weights, not {type(obj).__name__}")
        self.obj = obj
        self.state_vars = tuple(state_vars) if not isinstance(state_vars, str) else (state_vars,)
        self.time = None if time is None else int(time)
        self._mon = None
        self._kept = {v: [] for v in self.state_vars}  # recordings of earlier builds

    def _check(self):
        if self._weights:
            if self.obj.network is not None and self.obj.network.batch_size > 1:
                raise ModelError("Monitor: recording a connection's weights in a batched network is not supported")
            return
        from .nodes import state_names

        names = state_names(self.obj._group)
        for v in self.state_vars:
            if v not in names:
                from ..equations.parser import suggest

                raise ModelError(f"Monitor of layer '{self.obj.name}': it has no variable '{v}'.{suggest(v, names)} "
                                 f"Variables: {', '.join(names)}")

    def _make_monitor(self, name):
        from ..groups.monitors import StateMonitor

        self._check()
        if self._mon is not None:  # a rebuilt network: keep what the old monitor recorded
            for v in self.state_vars:
                self._kept[v].append(self._raw(v))
        source = self.obj._syn if self._weights else self.obj._group
        self._mon = StateMonitor(source, list(self.state_vars), record=True, when="end", order=100, name=name)
        return self._mon

    def _raw(self, var):
        mon = self._mon
        n = int(mon._n[0])
        return np.asarray(mon._buffers[var][:n])

    def get(self, var):
        """The recording of ``var``: ``(time, batch, *shape)``."""
        if var not in self.state_vars:
            raise ModelError(f"this Monitor records {list(self.state_vars)}, not '{var}'")
        parts = list(self._kept[var])
        if self._mon is not None:
            parts.append(self._raw(var))
        if self._weights:
            conn = self.obj
            shape = np.shape(conn.w)
            if not parts:
                return np.zeros((0,) + shape)
            values = np.concatenate(parts) if len(parts) > 1 else parts[0]
            out = np.zeros((len(values),) + shape)
            if hasattr(conn, "_i"):  # sparse: the synapses at (i, j)
                out[:, conn._i, conn._j] = values
            else:
                out[...] = values.reshape((len(values),) + shape)
            return out[-self.time:] if self.time is not None else out
        shape = self.obj.shape
        if not parts:
            return np.zeros((0, 1) + shape, dtype=bool if var == "s" else np.float32)
        n = int(np.prod(shape))
        rows = [p.reshape(len(p), p.shape[1] // n, *shape) for p in parts]
        data = np.concatenate(rows) if len(rows) > 1 else rows[0]
        if self.time is not None:
            data = data[-self.time:]
        return data != 0 if var == "s" else data.astype(np.float32 if self.obj._group.dtype == np.float32
                                                        else np.float64)

    def reset_state_variables(self):
        """Forget the recordings."""
        self._kept = {v: [] for v in self.state_vars}
        if self._mon is not None:
            self._mon.clear()


class NetworkMonitor:
    """Monitors of several layers at once: ``get()`` returns ``{layer: {var: (time, batch, *shape)}}``."""

    def __init__(self, network, layers=None, state_vars=("v", "s"), time=None):
        self.network = network
        names = list(network.layers) if layers is None else list(layers)
        self.monitors = {}
        for name in names:
            layer = network.layers[name]
            known = set(layer._spec.variables) | {"s"} | ({"x"} if layer.traces else set())
            wanted = [v for v in state_vars if v in known]
            if wanted:
                self.monitors[name] = Monitor(layer, wanted, time=time)

    def get(self):
        return {name: {v: m.get(v) for v in m.state_vars} for name, m in self.monitors.items()}

    def reset_state_variables(self):
        for m in self.monitors.values():
            m.reset_state_variables()

    def save(self, path):
        """Write the recordings to an ``.npz`` file (``layer.var`` keys)."""
        data = {f"{name}.{v}": arr for name, d in self.get().items() for v, arr in d.items()}
        np.savez(path, **data)
