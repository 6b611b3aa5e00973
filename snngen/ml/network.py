"""``snngen.ml.Network``: BindsNET's ``Network`` (layers, connections, monitors, ``run``), compiled by the engine.

The layers, connections and monitors become engine objects (:class:`~snngen.NeuronGroup`,
:class:`~snngen.Synapses`, :class:`~snngen.StateMonitor`) and a ``run(inputs, time)`` is one call of the
engine's compiled loop: no Python per step.

The step, in BindsNET's order (the engine's slots in brackets)::

    1. every layer, in the order added [before_groups, groups, resets]:
         inp = (connections' output of the last step's spikes) + b + (external input of this step)
         update (leak, refractoriness ...), traces decay, spike condition, reset of the spiking nodes,
         traces of the spiking nodes set
    2. every connection [after_resets]: its learning rule from this step's spikes and traces, then
         weight decay and clipping, then its output (this step's spikes through the new weights) into the
         target's input of the next step
    3. monitors record [end]

and after the last step of a ``run``, each connection with ``norm`` is normalised (once per sample).

Where the engine's own schedule is Brian2's (state update, threshold, synaptic propagation into the
state, reset; a spike of a step reaches its target in the same step), this one is BindsNET's: a spike
reaches its target's next update (a one-step lag) without decaying first.
"""

from __future__ import annotations

import math
import time as time_module

import numpy as np

from ..errors import ModelError
from ..units import Hz, ms
from .monitors import Monitor, NetworkMonitor
from .nodes import RESERVED, Input, Nodes, _host
from .reward import make_reward_fn
from .topology import AbstractConnection

__all__ = ["Network", "Rates"]


class _EngineNames:
    """Engine objects' names (identifiers, unique) for the layers', connections' and monitors' names, which
    may be any strings ("input layer", "exc-1")."""

    def __init__(self):
        self.taken = set()

    def of(self, name):
        import re

        base = re.sub(r"[^A-Za-z0-9_]", "_", str(name)) or "_"
        if not ("a" <= base[0].lower() <= "z"):
            base = "L" + base
        out, k = base, 1
        while out in self.taken:
            out, k = f"{base}_{k}", k + 1
        self.taken.add(out)
        return out


class Rates:
    """Input given as rates (Hz), ``(*shape)`` or ``(batch, *shape)``: the Input layer draws its spikes
    inside the compiled loop, each step with probability ``rate*dt/1000`` (a Poisson process); no
    ``(time, ...)`` array is made."""

    def __init__(self, rates):
        self.rates = np.asarray(_host(rates), dtype=np.float64)
        if np.any(self.rates < 0) or not np.all(np.isfinite(self.rates)):
            raise ModelError("Rates: rates must be finite and not negative")


class Network:
    """Layers, connections and monitors run by one compiled loop.

    Parameters
    ----------
    dt : float
        The time step (ms).
    batch_size : int
        Copies of the network state run at once (one sample each), sharing the weights: the learning
        rules' changes are summed over the copies (or averaged: ``reduction="mean"``).
    learning : bool
        Plasticity (and adaptive thresholds) on or off; :meth:`train` switches it.
    reward_fn : optional
        What the reward-modulated rules (:class:`~snngen.ml.MSTDP`, :class:`~snngen.ml.MSTDPET`,
        :class:`~snngen.ml.Rmax`) see of ``run(..., reward=r)``: an :class:`~snngen.ml.reward.AbstractReward`
        subclass (made with no arguments, as BindsNET's ``Network(reward_fn=MovingAvgRPE)``) or instance, or a
        function ``f(reward) -> reward``; None: the reward unchanged.  Kept as :attr:`reward_fn` (always an
        ``AbstractReward``; a :class:`~snngen.ml.reward.PlainReward` for None): each ``run(reward=r)`` gives
        the rules ``reward_fn.compute(r)``; the caller calls ``reward_fn.update(accumulated_reward=...,
        steps=...)`` at the end of each episode (an :class:`~snngen.ml.EnvironmentPipeline` does).
    backend : ``"cpu"`` or ``"cuda"``
    dtype : ``"float32"`` (default) or ``"float64"``
    seed : int, optional
        Seed of the engine's random numbers (Input layers fed :class:`Rates`).
    batch_sync : ``"step"`` or ``"run"``
        With a batch: ``"step"`` (BindsNET's) sums the copies' weight changes into the shared weights after
        every step (the copies go step by step together); ``"run"`` lets each copy learn on its own during a
        run (a sample) and sums the copies' changes after it (the copies run independently: faster on the CPU,
        and the usual data-parallel mini-batch, but not BindsNET's result).
    """

    def __init__(self, dt=1.0, batch_size=1, learning=True, reward_fn=None, backend="cpu", dtype="float32",
                 seed=None, batch_sync="step"):
        if batch_sync not in ("step", "run"):
            raise ModelError(f"Network: batch_sync must be 'step' or 'run', not {batch_sync!r}")
        self.batch_sync = batch_sync
        self.reward_fn = make_reward_fn(reward_fn, "Network")
        self.dt = float(dt)
        if not self.dt > 0:
            raise ModelError(f"Network: dt must be positive, not {dt}")
        self.batch_size = int(batch_size)
        if self.batch_size < 1:
            raise ModelError(f"Network: batch_size must be at least 1, not {batch_size}")
        self.learning = bool(learning)
        self.backend = backend
        self.dtype = np.dtype(dtype).type
        self.seed = seed
        self.layers, self.connections, self.monitors = {}, {}, {}
        # seconds spent by run(): checking and setting the inputs, the compiled loop, the batch's
        # end-of-run sums, the normalisation; and by reset_state_variables()
        self.timings = dict.fromkeys(("inputs", "loop", "batch", "normalise", "reset"), 0.0)
        self._net = None
        self._dirty = True
        self._input_kind = {}  # layer -> "rates" or "array"
        self._clamped, self._injected = set(), set()  # layers that clamp/unclamp or injects_v have reached
        self._one_step = False
        self._reward_vars = {}  # layer -> its per-neuron variable holding each copy's reward (see _build)

    # -- building ------------------------------------------------------------------------------
    def add_layer(self, layer, name):
        if not isinstance(layer, Nodes):
            raise ModelError(f"add_layer: {name!r} must be a layer (Nodes), not {type(layer).__name__}")
        if name in self.layers:
            raise ModelError(f"add_layer: there is a layer {name!r} already")
        layer.name, layer.network = name, self
        self.layers[name] = layer
        self._dirty = True

    def add_connection(self, connection, source, target):
        if not isinstance(connection, AbstractConnection):
            raise ModelError(f"add_connection: needs a connection, not {type(connection).__name__}")
        for what, name, layer in (("source", source, connection.source), ("target", target, connection.target)):
            if name not in self.layers:
                from ..equations.parser import suggest

                raise ModelError(f"add_connection: no layer {name!r} ({what}).{suggest(str(name), self.layers)}")
            if self.layers[name] is not layer:
                raise ModelError(f"add_connection: layer {name!r} is not the connection's {what}")
        if (source, target) in self.connections:
            raise ModelError(f"add_connection: there is a connection {source} -> {target} already")
        connection.name = f"{source}_to_{target}"
        connection.network = self
        connection._index = len(self.connections)
        self.connections[(source, target)] = connection
        connection._make_rule()  # the layers have their names now: the messages can say them
        self._dirty = True

    def add_monitor(self, monitor, name):
        if not isinstance(monitor, (Monitor, NetworkMonitor)):
            raise ModelError(f"add_monitor: needs a Monitor, not {type(monitor).__name__}")
        if isinstance(monitor, Monitor) and monitor.obj not in [*self.layers.values(), *self.connections.values()]:
            raise ModelError(f"add_monitor: monitor {name!r} records a layer or connection that is not in this "
                             "network")
        self.monitors[name] = monitor
        self._dirty = True

    def _all_monitors(self):
        for name, m in self.monitors.items():
            if isinstance(m, NetworkMonitor):
                for layer, sub in m.monitors.items():
                    yield f"{name}_{layer}", sub
            else:
                yield name, m

    def _build(self):
        from ..runtime.network import Network as EngineNetwork

        if self.seed is not None:  # before the groups are made: it numbers their random streams
            from .. import seed as engine_seed

            engine_seed(self.seed)
        for layer in self.layers.values():  # the learning rules' own traces, kept by the layers
            object.__setattr__(layer, "_rule_traces", [])
        for conn in self.connections.values():
            rule = conn.update_rule
            for layer, var, tc, which in rule.layer_traces(conn._index):
                layer._rule_traces.append((var, tc, rule.a_plus if which == "a_plus" else rule.a_minus))
        # the reward-modulated rules read the reward from a per-neuron variable of their target layer (one row
        # per copy of a batch: a reward per copy), set before each run; kept as a "trace" that neither decays
        # (time constant inf) nor grows at a spike (increment 0)
        self._reward_vars = {}
        for conn in self.connections.values():
            rule = conn.update_rule
            if not rule.needs_reward:
                continue
            layer = conn.target
            var = self._reward_vars.get(layer.name)
            if var is None:
                var = self._reward_vars[layer.name] = _free_variable_name(layer, "rule_reward")
                layer._rule_traces.append((var, math.inf, 0.0))
            rule.reward_var = var
        objects = []
        old_groups = {name: layer._group for name, layer in self.layers.items()}
        names = _EngineNames()
        position = {name: k for k, name in enumerate(self.layers)}
        for name, layer in self.layers.items():
            biases = [c.b for c in self.connections.values() if c.target is layer and c.b is not None]
            layer._make_group(names.of(name), self.dt, self.dtype, self._input_kind.get(name) == "rates",
                              np.sum(biases, axis=0) if biases else None, clamp=name in self._clamped,
                              inject=name in self._injected, position=position[name] if self._one_step else None)
            if self._one_step and layer.__dict__.get("one_spike"):
                raise ModelError(f"run: one_step=True with one_spike (layer {name!r}) is not supported")
            objects.append(layer._group)
        for (src, tgt), conn in self.connections.items():
            # one_step: a connection from a layer updated earlier in the step acts in the same step
            same_step = self._one_step and position[src] < position[tgt]
            conn._prop_slot = ("groups", 3 * position[tgt] - 1) if same_step else ("start", 0)
        for conn in self.connections.values():
            conn._make_synapses(names.of(conn.name), self.dtype, self.batch_size, self.dt, self.batch_sync)
            objects += conn._objects()
        for name, mon in self._all_monitors():
            objects.append(mon._make_monitor(names.of(f"monitor_{name}")))
        self._net = EngineNetwork(*objects, dt=self.dt * ms, backend=self.backend,
                                  batch=self.batch_size if self.batch_size > 1 else None)
        for layer in self.layers.values():  # a rebuilt network goes on from the state of the old one
            layer._take_state(old_groups.get(layer.name))
        self._dirty = False

    # -- running -------------------------------------------------------------------------------
    def _inputs(self, inputs, steps):
        """Check the inputs; ``{layer: ("array", (T, B, n)) or ("rates", (B, n))}``."""
        out = {}
        for name, value in (inputs or {}).items():
            if name not in self.layers:
                from ..equations.parser import suggest

                raise ModelError(f"run: inputs name no layer {name!r}.{suggest(str(name), self.layers)} Layers: "
                                 f"{', '.join(self.layers)}")
            layer = self.layers[name]
            if isinstance(value, Rates):
                if not isinstance(layer, Input):
                    raise ModelError(f"run: Rates feed Input layers; {name!r} is {type(layer).__name__}")
                r = value.rates
                if r.shape == layer.shape:
                    r = r[None]
                if r.shape[1:] != layer.shape:
                    raise ModelError(f"run: the rates of layer {name!r} have shape {value.rates.shape}; the layer "
                                     f"has shape {layer.shape} (or (batch, *shape))")
                out[name] = ("rates", r.reshape(len(r), layer.n))
                continue
            arr = np.asarray(_host(value))
            shape = layer.shape
            if arr.ndim == len(shape):  # one step's input, [n] -> [1, 1, n]
                arr = arr[None, None]
            elif arr.ndim == len(shape) + 1:  # [T, *shape] -> [T, 1, *shape]
                arr = arr[:, None]
            if arr.ndim != len(shape) + 2 or arr.shape[2:] != shape:
                raise ModelError(f"run: the input of layer {name!r} has shape {np.shape(value)}; the layer has "
                                 f"shape {shape}: give (time, {', '.join(map(str, shape))}) or (time, batch, "
                                 f"{', '.join(map(str, shape))})")
            if arr.shape[0] < steps:
                raise ModelError(f"run: the input of layer {name!r} has {arr.shape[0]} time steps; the run has "
                                 f"{steps} (time / dt)")
            out[name] = ("array", arr.reshape(arr.shape[0], arr.shape[1], layer.n))
        batches = {v[1].shape[1 if v[0] == "array" else 0] for v in out.values()}
        if len(batches) > 1:
            raise ModelError(f"run: the inputs have different batch sizes {sorted(batches)}")
        return out, (batches.pop() if batches else self.batch_size)

    def run(self, inputs=None, time=None, one_step=False, reward=None, a_plus=None, a_minus=None, **kwargs):
        """Run ``time`` ms (``time/dt`` steps) with ``inputs={layer: array (time, batch, *shape) or
        (time, *shape), or Rates}``; then, if learning is on, normalise the connections that have ``norm``.
        ``one_step=True``: a connection from a layer added earlier acts in the same step (BindsNET's one_step;
        the others, and recurrent ones, still act in the next step), with learning as usual.  ``reward`` drives
        the reward-modulated rules during this run: a number (every copy of a batch the same), or an array of
        one reward per copy of the batch, shape ``(batch_size,)`` (B agents sharing the weights, each in its own
        environment: each copy's weight change is made with its own reward, then the copies' changes are summed,
        or averaged, into the shared weights, after each step or after the run as ``batch_sync`` says); the
        rules see ``reward_fn.compute(reward)`` (see :attr:`reward_fn`), which must be finite.  A new reward
        each run compiles nothing.  ``a_plus``/``a_minus`` set their traces' increments (default 1 and -1)."""
        clamp, unclamp = kwargs.pop("clamp", None) or {}, kwargs.pop("unclamp", None) or {}
        injects_v, masks = kwargs.pop("injects_v", None) or {}, kwargs.pop("masks", None) or {}
        if kwargs:
            raise ModelError(f"run: unknown argument(s) {sorted(kwargs)}")
        if bool(one_step) != self._one_step:  # the order of the work in a step changes: a rebuild
            self._one_step = bool(one_step)
            self._dirty = True
        if time is None:
            raise ModelError("run: give time (ms)")
        steps = int(round(float(time) / self.dt))
        if steps < 0 or abs(steps * self.dt - float(time)) > 1e-9 * max(1.0, float(time)):
            raise ModelError(f"run: time ({time} ms) must be a whole number of steps of {self.dt} ms")
        rewarded = [c for c in self.connections.values() if c.update_rule.needs_reward]
        if rewarded and self.learning and reward is None:
            raise ModelError(f"run: {type(rewarded[0].update_rule).__name__} on {rewarded[0].name} needs a reward: "
                             "run(..., reward=r)")
        clock = time_module.perf_counter
        t0 = clock()
        given, batch = self._inputs(inputs, steps)
        rewards = self._rewards(reward, batch)
        resized = batch != self.batch_size
        if resized:  # BindsNET resizes the layers to the inputs' batch, and resets their state
            self.batch_size = batch
            self._dirty = True
        controls = {}  # layer -> {variable: (T, B, n) array}
        for what, given_ in (("x_clamp", clamp), ("x_unclamp", unclamp), ("x_inject", injects_v)):
            for name, value in given_.items():
                key = self._layer_name(name, what)
                controls.setdefault(key, {})[what] = self._per_step(name, value, steps, batch, what,
                                                                   boolean=what != "x_inject")
        for name, c in controls.items():
            for var, group in (("x_clamp", self._clamped), ("x_unclamp", self._clamped), ("x_inject", self._injected)):
                if var in c and name not in group:
                    group.add(name)
                    self._dirty = True
        for key, mask in masks.items():
            self._apply_mask(key, mask)
        kinds = {name: given.get(name, ("array",))[0] for name in self.layers}
        if kinds != self._input_kind:  # an Input layer fed rates draws its spikes: other code
            self._dirty = True
        self._input_kind = kinds
        if self._dirty or self._net is None:
            self._build()
            if resized:
                self.reset_state_variables()
        for name, layer in self.layers.items():
            layer._update_namespace(self.dt)
            layer._group.namespace["learning"] = 1.0 if (self.learning and layer.learning) else 0.0
            kind, values = given.get(name, ("array", None))
            group = layer._group
            if kind == "rates":  # (B, n) in Hz
                group.rates = (values if self.batch_size > 1 else values[0]) * Hz
                continue
            if values is None:  # no input this run: x_ext stays 0
                values = np.zeros((0, self.batch_size, layer.n))
            values = np.ascontiguousarray(values, dtype=group.dtype)
            group.set_input("x_ext", values[:, 0] if self.batch_size == 1 else values, raw=True)
        for name, layer in self.layers.items():
            c = controls.get(name, {})
            for var in [v for v, g in (("x_clamp", self._clamped), ("x_unclamp", self._clamped),
                                       ("x_inject", self._injected)) if name in g]:
                values = c.get(var, np.zeros((0, self.batch_size, layer.n)))
                values = np.ascontiguousarray(values, dtype=layer._group.dtype)
                layer._group.set_input(var, values[:, 0] if self.batch_size == 1 else values, raw=True)
        for conn in self.connections.values():
            on = self.learning and conn.target.learning
            rule = conn.update_rule
            for layer, var, _tc, which in rule.layer_traces(conn._index):
                value = {"a_plus": a_plus, "a_minus": a_minus}[which]
                default = rule.a_plus if which == "a_plus" else rule.a_minus
                layer._group.namespace[f"a_{var}"] = float(default if value is None else value)
            ns = conn._syn.namespace
            if ns is None:  # no rule, no parameters (max pooling)
                continue
            ns["nu_pre"] = float(rule.nu[0]) if on else 0.0
            ns["nu_post"] = float(rule.nu[1]) if on else 0.0
            ns["weight_decay"] = rule.weight_decay if on else 0.0
        for name, var in self._reward_vars.items():  # each copy's reward, in every node of the copy
            v = self.layers[name]._group.variables[var]
            values = np.zeros(batch) if rewards is None else rewards
            v.overwrite(np.broadcast_to(values[:, None], (batch, self.layers[name].n)).reshape(v._array.shape))
        for obj in [*self.layers.values(), *self.connections.values()]:
            obj._before_run()
        t1 = clock()
        self._net.run(steps * self.dt * ms)
        t2 = clock()
        for layer in self.layers.values():
            layer._after_run(steps, self.dt, self.learning and layer.learning)
        for conn in self.connections.values():
            conn._after_run()
        t3 = clock()
        for conn in self.connections.values():  # a frozen network's weights stay bit for bit (no float rounding)
            if self.learning and conn.target.learning:
                conn.normalize()
        t4 = clock()
        for key, seconds in (("inputs", t1 - t0), ("loop", t2 - t1), ("batch", t3 - t2), ("normalise", t4 - t3)):
            self.timings[key] += seconds

    def _rewards(self, reward, batch):
        """``reward`` after :attr:`reward_fn`, one per copy (``(batch,)`` float64), or None."""
        if reward is None:
            return None
        computed = self.reward_fn.compute(_host(reward))
        try:
            r = np.asarray(_host(computed), dtype=np.float64)
        except (TypeError, ValueError):
            raise ModelError(f"run: the reward must be a number or one number per copy of the batch, not "
                             f"{type(computed).__name__}") from None
        fn = self.reward_fn
        label = repr(fn) if type(fn).__repr__ is not object.__repr__ else type(fn).__name__
        after = "" if type(fn).__name__ == "PlainReward" else f" (after reward_fn {label})"
        if r.ndim == 0:
            r = np.full(batch, float(r))
        elif r.shape != (batch,):
            raise ModelError(f"run: {r.size} rewards (shape {r.shape}){after} for a batch of {batch} "
                             f"cop{'y' if batch == 1 else 'ies'}: give one number, or one reward per copy of the "
                             f"batch (shape ({batch},))")
        if not np.all(np.isfinite(r)):
            raise ModelError(f"run: the reward{after} must be finite, not {r.tolist()}")
        return r

    def _layer_name(self, name, what):
        if name not in self.layers:
            from ..equations.parser import suggest

            raise ModelError(f"run: {what.replace('x_', '')} names no layer {name!r}.{suggest(str(name), self.layers)}")
        return name

    def _per_step(self, name, value, steps, batch, what, boolean):
        """A clamp or an injected potential as ``(T, B, n)``.  A clamp is a mask (booleans, or uint8 as torch's
        old byte masks; ``[n]`` for every step, ``[time, n]`` or ``[time, batch, n]``) or node indices (any
        other integers, as BindsNET's LongTensor clamps: ``[3]``, ``[0, 1]``)."""
        layer = self.layers[name]
        arr = np.asarray(_host(value))
        if boolean and arr.dtype != bool:
            if np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.uint8:  # node indices
                idx = arr.astype(np.int64).ravel()
                outside = idx[(idx < -layer.n) | (idx >= layer.n)]
                if outside.size:
                    raise ModelError(f"run: the {what.replace('x_', '')} of layer {name!r} names node(s) outside "
                                     f"0..{layer.n - 1}: {sorted(set(outside.tolist()))}")
                arr = np.zeros(layer.n, dtype=bool)
                arr[idx] = True
            elif not np.isin(arr, (0, 1)).all():
                raise ModelError(f"run: the {what.replace('x_', '')} of layer {name!r} must be a mask (booleans or "
                                 f"0/1) or integer node indices, not {arr.dtype} values other than 0 and 1")
            arr = arr.astype(bool)
        if arr.size == layer.n:
            arr = np.broadcast_to(arr.reshape(1, 1, layer.n), (steps, batch, layer.n))
        elif arr.ndim >= 2 and arr.shape[0] >= steps and arr[0].size == layer.n:
            arr = np.broadcast_to(arr.reshape(arr.shape[0], 1, layer.n), (arr.shape[0], batch, layer.n))
        elif arr.ndim >= 3 and arr.shape[0] >= steps and arr.shape[1] == batch and arr[0, 0].size == layer.n:
            arr = arr.reshape(arr.shape[0], batch, layer.n)
        else:
            raise ModelError(f"run: the {what.replace('x_', '')} of layer {name!r} has shape {arr.shape}; give "
                             f"({layer.n},) for every step or (time >= {steps}, [batch,] {layer.n})")
        return np.ascontiguousarray(arr, dtype=np.float64)

    def _apply_mask(self, key, mask):
        """``masks={(source, target): boolean array shaped like w}``: those weights set to 0 and kept there."""
        conn = self.connections.get(tuple(key))
        if conn is None:
            raise ModelError(f"run: masks names no connection {key!r} (connections: {list(self.connections)})")
        from .topology import Conv2dConnection, MeanFieldConnection

        if not hasattr(conn, "_set_mask") or isinstance(conn, (Conv2dConnection, MeanFieldConnection)):
            raise ModelError(f"run: masks on a {type(conn).__name__} are not supported")
        mask = np.asarray(_host(mask), dtype=bool)
        if mask.shape != np.shape(conn.w):
            raise ModelError(f"run: the mask of {key} has shape {mask.shape}, the weights {np.shape(conn.w)}")
        conn._set_mask(mask)

    def reset_state_variables(self):
        """Start a new sample: the layers' state back to its initial values (adaptive thresholds kept),
        monitors emptied; weights kept."""
        t0 = time_module.perf_counter()
        for layer in self.layers.values():
            layer.reset_state_variables()
        for conn in self.connections.values():
            conn.reset_state_variables()
        for _name, mon in self._all_monitors():
            mon.reset_state_variables()
        if self._net is not None:  # input arrays from their first row, spike lists emptied
            self._net.reset_state(monitors="clear")
        self.timings["reset"] += time_module.perf_counter() - t0

    def train(self, mode=True):
        """Learning on (``mode=True``) or off."""
        self.learning = bool(mode)
        return self

    # -- state -----------------------------------------------------------------------------------
    def save(self, path):
        """Weights and layer state to an ``.npz`` file (no pickle)."""
        data = {}
        for (src, tgt), conn in self.connections.items():
            data[f"w:{src}:{tgt}"] = np.array(conn.w)
        for name, layer in self.layers.items():
            if layer._group is not None:
                for v in layer._spec.variables:
                    data[f"v:{name}:{v}"] = np.asarray(layer._group.variables[v].array)
        np.savez(path, **data)

    def load(self, path):
        """Weights and layer state from a file written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                kind, a, b = key.split(":")
                if kind == "w":
                    if (a, b) not in self.connections:
                        raise ModelError(f"load: {path} has weights {a} -> {b}, which this network has not")
                    self.connections[(a, b)].w = data[key]
                else:
                    layer = self.layers.get(a)
                    if layer is None:
                        raise ModelError(f"load: {path} has layer {a!r}, which this network has not")
                    if layer._group is None:
                        self._build()
                    var = layer._group.variables[b]
                    var.overwrite(np.broadcast_to(data[key].reshape(-1, layer.n)[-1], var.array.shape))


def _free_variable_name(layer, base):
    """A name for a variable of ``layer``'s engine group that is none of its own names: the node model's
    variables, parameters and every name its code uses, the layer's fixed variables and constants, the learning
    rules' traces (and their ``tc_``/``a_`` constants)."""
    import re

    spec = layer._spec
    code = "\n".join((spec.update, spec.reset, spec.threshold or ""))
    taken = set(spec.variables) | set(layer.params) | set(re.findall(r"[A-Za-z_]\w*", code)) | set(RESERVED) | {
        "x_inject", "x_clamp", "x_unclamp", "crossed", "bias_in"}
    for var, _tc, _a in layer.__dict__.get("_rule_traces", ()):
        taken |= {var, f"tc_{var}", f"a_{var}"}
    name, k = base, 0
    while {name, f"tc_{name}", f"a_{name}"} & taken:
        k += 1
        name = f"{base}_{k}"
    return name
