"""Layers of nodes (BindsNET's ``bindsnet.network.nodes``), each an engine :class:`~snngen.NeuronGroup` built
from a node file in ``models/nodes/`` (``snngen.model_files/nodes``).

A node file (TOML) holds the node's ``variables`` (``name : 1`` lines), its ``update`` statements (run at the
start of each step; ``inp`` is this step's input: the connections' output from the last step's spikes plus
the external input), its spike condition ``threshold`` and its ``reset`` statements (run for the nodes that
spiked), its ``parameters`` with BindsNET's defaults (mV, ms) and ``initial`` values.  The layer adds what
every BindsNET layer has: the spikes ``s``, the trace ``x`` (``traces=True``: decays with ``tc_trace``, set
to ``trace_scale`` at a spike, or increased by it with ``traces_additive=True``) and ``summed``
(``sum_input=True``: the input summed over the run).  Writing a new node type is writing a file (or
subclassing :class:`Nodes` with ``spec=``).

The step of every layer, in BindsNET's order (see :mod:`snngen.ml.network` for the whole network's)::

    inp = (connections' output of last step's spikes) + (external input of this step)
    <update statements>              # LIF: leak, input dropped while refractory, v += inp
    x = x*exp(-dt/tc_trace)          # traces=True
    s = threshold                    # the spike condition
    <reset statements> where s       # v = reset, refractory counter, theta += theta_plus ...
    x = trace_scale where s          # (x += trace_scale with traces_additive=True)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import numpy as np

from ..equations.parser import NAME_RE, suggest
from ..errors import ModelError

__all__ = ["AdaptiveLIFNodes", "BoostedLIFNodes", "CurrentLIFNodes", "DiehlAndCookNodes", "IFNodes", "Input",
           "IzhikevichNodes", "LIFNodes", "McCullochPitts", "Nodes", "NodeSpec", "SRM0Nodes", "SubtractiveResetIFNodes",
           "list_nodes", "node_spec"]

_KEYS = {"kind", "name", "title", "reference", "variables", "update", "threshold", "reset", "parameters", "initial",
         "keep", "batch_shared"}
# names the layer itself uses in the generated code: a node file may not define them
RESERVED = {"s", "x", "summed", "inp", "x_syn", "x_ext", "rates", "dt_ms", "learning", "tc_trace", "trace_scale"}


@dataclass(frozen=True)
class NodeSpec:
    """A node type, as read from its file."""

    name: str
    title: str
    reference: str
    variables: tuple = ()  # ((name, comment), ...)
    update: str = ""
    threshold: str | None = None
    reset: str = ""
    parameters: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    keep: tuple = ()  # variables a reset between samples keeps (a learned threshold)
    batch_shared: dict = field(default_factory=dict)  # variable -> parameter of its decay time constant
    source: str = field(default="", repr=False)


def list_nodes():
    """The node types that have a file."""
    folder = files("snngen.model_files").joinpath("nodes")
    return sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".toml"))


@cache
def node_spec(name):
    """The :class:`NodeSpec` of node file ``name``."""
    path = files("snngen.model_files").joinpath("nodes", f"{name}.toml")
    if not path.is_file():
        raise ModelError(f"there is no node file '{name}'.{suggest(name, list_nodes())} Node files: "
                         f"{', '.join(list_nodes())}")
    text = path.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"node file {name}.toml: {err}") from None
    unknown = set(data) - _KEYS
    if unknown or data.get("kind") != "node":
        raise ModelError(f"node file {name}.toml: kind must be 'node' and keys among {sorted(_KEYS)}; "
                         f"unknown: {sorted(unknown)}")
    variables = []
    for line in data.get("variables", "").splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        var, _, unit = (p.strip() for p in line.partition(":"))
        if not NAME_RE.match(var) or unit != "1":
            raise ModelError(f"node file {name}.toml: a variable is 'name : 1' (unitless, BindsNET's mV and ms), "
                             f"not {line!r}")
        variables.append(var)
    params = {k: float(v) for k, v in data.get("parameters", {}).items()}
    clash = (set(variables) | set(params)) & RESERVED
    if clash:
        raise ModelError(f"node file {name}.toml defines {sorted(clash)}, names the layer itself uses "
                         f"({', '.join(sorted(RESERVED))})")
    return NodeSpec(name=data["name"], title=data.get("title", ""), reference=data.get("reference", ""),
                    variables=tuple(variables), update=data.get("update", ""), threshold=data.get("threshold"),
                    reset=data.get("reset", ""), parameters=params, initial=dict(data.get("initial", {})),
                    keep=tuple(data.get("keep", ())), batch_shared=dict(data.get("batch_shared", {})), source=text)


def _shape(n, shape, owner):
    if n is None and shape is None:
        raise ModelError(f"{owner}: give n (the number of nodes) or shape")
    if shape is None:
        shape = (n,)
    shape = tuple(int(k) for k in np.atleast_1d(shape))
    if any(k < 1 for k in shape):
        raise ModelError(f"{owner}: shape must have positive sizes, not {shape}")
    if n is not None and int(np.prod(shape)) != int(n):
        raise ModelError(f"{owner}: n = {n} does not match shape {shape}")
    return shape


class Nodes:
    """A layer of ``n`` nodes (or of a ``shape``) of the type in node file ``spec``.

    Parameters are BindsNET's: ``traces``, ``traces_additive``, ``tc_trace`` (ms), ``trace_scale``,
    ``sum_input``, ``learning``, and the node type's parameters (each a number, or an array with one value
    per node).  An unknown keyword is an error.  State (``v``, ``s``, ``x``, ``theta`` ...) reads as arrays
    ``(batch, *shape)`` once the layer is in a network that has run, or been built.
    """

    spec = None  # the node file's name, for subclasses

    def __init__(self, n=None, shape=None, traces=False, traces_additive=False, tc_trace=20.0, trace_scale=1.0,
                 sum_input=False, learning=True, spec=None, **params):
        spec_name = spec or self.spec
        if spec_name is None:
            raise ModelError("Nodes: give spec=, the name of a node file")
        object.__setattr__(self, "_spec", node_spec(spec_name) if isinstance(spec_name, str) else spec_name)
        owner = type(self).__name__
        self.shape = _shape(n, shape, owner)
        self.n = int(np.prod(self.shape))
        self.traces, self.traces_additive = bool(traces), bool(traces_additive)
        self.tc_trace, self.trace_scale = float(tc_trace), float(trace_scale)
        self.sum_input, self.learning = bool(sum_input), bool(learning)
        unknown = set(params) - set(self._spec.parameters)
        if unknown:
            name = sorted(unknown)[0]
            raise ModelError(f"{owner} has no parameter '{name}'.{suggest(name, self._spec.parameters)} "
                             f"Parameters: {', '.join(self._spec.parameters) or 'none'}, and traces, "
                             "traces_additive, tc_trace, trace_scale, sum_input, learning")
        values = dict(self._spec.parameters)
        for key, value in params.items():
            values[key] = self._value(key, value)
        self.params = values
        self._group = None  # the engine's NeuronGroup, made by the network
        self.network = None
        self.name = None

    def _value(self, key, value):
        arr = np.asarray(_host(value), dtype=np.float64)
        if arr.ndim == 0:
            return float(arr)
        if arr.size != self.n:
            raise ModelError(f"{type(self).__name__}: parameter '{key}' has {arr.size} values for {self.n} nodes")
        return arr.reshape(-1).copy()

    def __getattr__(self, name):
        params = self.__dict__.get("params")
        if params is not None and name in params:
            value = params[name]
            return value if np.ndim(value) == 0 else value.reshape(self.shape)
        group = self.__dict__.get("_group")
        if group is not None and name in state_names(group):
            arr = np.asarray(group.variables[name].array)
            return arr.reshape((-1,) + self.shape)
        raise AttributeError(f"{type(self).__name__} has no attribute '{name}'")

    def __setattr__(self, name, value):
        params = self.__dict__.get("params")
        if params is not None and name in params:
            params[name] = self._value(name, value)
            if self._group is not None:
                self._group.namespace[name] = params[name]
            return
        group = self.__dict__.get("_group")
        if group is not None and name in state_names(group):
            var = group.variables[name]
            var.overwrite(np.broadcast_to(np.asarray(_host(value), dtype=np.float64).reshape(-1, self.n)
                                          if np.ndim(value) else value, var.array.shape))
            return
        object.__setattr__(self, name, value)

    @property
    def state_variables(self):
        """The variables a reset between samples returns to their initial values."""
        out = list(self._spec.variables) + ["s"] + [t[0] for t in self.__dict__.get("_rule_traces", ())]
        if self.traces:
            out.append("x")
        if self.sum_input:
            out.append("summed")
        return [v for v in out if v not in self._spec.keep]

    # -- the engine group ---------------------------------------------------------------------
    def _code(self, rates, bias=False, clamp=False, inject=False):
        """(model, update, threshold, reset) of the engine group; ``rates``: an Input layer fed rates;
        ``bias``: the incoming connections have biases (``bias_in``, added to the input); ``clamp``: the
        network's ``clamp``/``unclamp`` may force spikes on or off (``x_clamp``, ``x_unclamp``); ``inject``:
        ``injects_v`` adds to v before the update (``x_inject``)."""
        spec = self._spec
        model = [f"{v} : 1" for v in spec.variables] + ["s : 1", "x_syn : 1", "x_ext : 1"]
        if self.traces:
            model.append("x : 1")
        if self.sum_input:
            model.append("summed : 1")
        traces = self.__dict__.get("_rule_traces", ())  # learning rules' own traces: (var, tc, increment)
        model += [f"{var} : 1" for var, _tc, _a in traces]
        node_reset = [line.split("#")[0].strip() for line in spec.reset.splitlines() if line.split("#")[0].strip()]
        update = ["s = 0"]
        if inject:
            model.append("x_inject : 1")
            update.append("v = v + x_inject")
        if spec.threshold is not None:
            update += ["inp = x_syn + x_ext" + (" + bias_in" if bias else ""), "x_syn = 0"]
            update += [line.split("#")[0].strip() for line in spec.update.splitlines() if line.split("#")[0].strip()]
            if self.sum_input:
                update.append("summed = summed + inp")
            threshold = spec.threshold
        else:  # an Input layer: the input is the spikes
            # fed rates, the layer is a PoissonGroup: a neuron's next spike drawn at each spike
            threshold = None if rates else "x_ext != 0"
            if self.sum_input:
                update.append("summed = summed + x_ext")
        if clamp:
            # BindsNET sets s after the layer's update: a clamped node spikes without its reset (v, refractory
            # counter untouched), an unclamped node that crossed is reset but does not spike
            model += ["x_clamp : 1", "x_unclamp : 1", "crossed : 1"]
            update.append(f"crossed = int({threshold})")
            update += _guarded(node_reset, "crossed*int(x_unclamp > 0)")
            threshold = "(crossed > 0 or x_clamp > 0) and x_unclamp <= 0"
            node_reset = _guarded(node_reset, "crossed")
        if self.traces:
            update.append("x = x*exp(-dt_ms/tc_trace)")
        update += [f"{var} = {var}*exp(-dt_ms/tc_{var})" for var, _tc, _a in traces]
        reset = node_reset + ["s = 1"]
        reset += [f"{var} = {var} + a_{var}" for var, _tc, _a in traces]
        if self.traces:
            reset.append("x = x + trace_scale" if self.traces_additive else "x = trace_scale")
        return "\n".join(model), "\n".join(update), threshold, "\n".join(reset)

    def _make_group(self, name, dt, dtype, rates, bias=None, clamp=False, inject=False, position=None):
        from ..groups.neurongroup import NeuronGroup

        if rates and clamp:
            raise ModelError(f"layer '{self.name}': clamp/unclamp on an Input layer fed Rates is not supported "
                             "(give it spike arrays)")
        if inject and "v" not in self._spec.variables:
            raise ModelError(f"layer '{self.name}': injects_v needs a layer with a potential v ({type(self).__name__} "
                             "has none)")
        if clamp and self.__dict__.get("one_spike"):
            raise ModelError(f"layer '{self.name}': clamp/unclamp with one_spike is not supported yet")
        model, update, threshold, reset = self._code(rates, bias is not None, clamp, inject)
        namespace = dict(self.params, dt_ms=float(dt), learning=1.0 if self.learning else 0.0,
                         tc_trace=self.tc_trace, trace_scale=self.trace_scale)
        if bias is not None:
            namespace["bias_in"] = bias
        for var, tc, a in self.__dict__.get("_rule_traces", ()):
            namespace[f"tc_{var}"], namespace[f"a_{var}"] = tc, a
        # one_step: layer k updates (3k) and tests its threshold (3k + 1) in the groups slot, after the layers
        # before it have spiked and their connections into it have acted (3k - 1)
        order = 0 if position is None else 3 * position + 1
        if rates:
            from ..groups.neurongroup import PoissonGroup
            from ..units import Hz

            group = PoissonGroup(self.n, rates=np.zeros(self.n) * Hz, model=model, reset=reset, namespace=namespace,
                                 dtype=dtype, name=name, order=order)
        else:
            group = NeuronGroup(self.n, model, threshold=threshold, reset=reset, namespace=namespace, dtype=dtype,
                                name=name, one_spike=self.__dict__.get("one_spike", False), order=order)
        if position is None:
            group.run_regularly(update, when="before_groups", name=f"{name}_update")
        else:
            group.run_regularly(update, when="groups", order=order - 1, name=f"{name}_update")
        initial = {}
        for var, text in self._spec.initial.items():
            value = self.params.get(text, None) if isinstance(text, str) else text
            initial[var] = float(text) if value is None else value
        self._initial = {v: initial.get(v, 0.0) for v in self.state_variables}
        for var, value in initial.items():  # a rebuilt network's layers then take the old state (_take_state)
            group.variables[var].array[...] = value
        object.__setattr__(self, "_group", group)
        return group

    def _take_state(self, old):
        """After a rebuild, each variable takes the old group's values: copy by copy when the batch size is the
        same, else (a resized batch) the last copy's in every copy."""
        if old is None or old is self._group:
            return
        for name, var in self._group.variables.items():
            if name not in old.variables or var.kind == "internal":
                continue
            values = np.asarray(old.variables[name].array)
            if values.size % self.n:
                continue
            target = var.array
            var.overwrite(values.reshape(target.shape) if values.size == target.size
                          else np.broadcast_to(values.reshape(-1, self.n)[-1], target.shape))
        new = self._group
        if old._spikes.shape == new._spikes.shape and old._nspikes.shape == new._nspikes.shape:
            new._spikes[...] = old._spikes  # the last step's spikes, which the connections deliver next
            new._nspikes[...] = old._nspikes

    def _update_namespace(self, dt):
        ns = self._group.namespace
        ns.update(self.params)
        for var, tc, a in self.__dict__.get("_rule_traces", ()):
            ns[f"tc_{var}"], ns[f"a_{var}"] = tc, a
        ns.update(dt_ms=float(dt), learning=1.0 if self.learning else 0.0, tc_trace=self.tc_trace,
                  trace_scale=self.trace_scale)

    def _before_run(self):
        """Note the batch-shared variables' values (all copies equal) before a run."""
        self._shared_start = {v: np.array(self._group.variables[v].array).reshape(-1, self.n)[0]
                              for v in self._spec.batch_shared}

    def _after_run(self, steps, dt, learning):
        """A batch: each batch-shared variable takes its start value, decayed over the run, plus the sum of the
        copies' changes (BindsNET's theta += theta_plus * sum over the batch of the spikes)."""
        for var, tc_name in self._spec.batch_shared.items():
            arr = self._group.variables[var]
            values = np.asarray(arr.array).reshape(-1, self.n)
            if len(values) == 1:
                continue
            decay = np.exp(-steps * dt / np.asarray(self.params[tc_name])) if learning else 1.0
            base = self._shared_start[var] * decay
            arr.overwrite(np.broadcast_to(base + (values - base).sum(axis=0), values.shape).reshape(arr.array.shape))

    def reset_state_variables(self):
        """Every state variable back to its initial value (``theta`` of adaptive layers is kept)."""
        if self._group is None:
            return
        for var, value in self._initial.items():
            self._group.variables[var].overwrite(value)
        for var in ("x_syn", "x_ext"):
            if var in self._group.variables:
                self._group.variables[var].overwrite(0.0)

    def train(self, mode=True):
        self.learning = bool(mode)

    def __repr__(self):
        return f"{type(self).__name__}(shape={self.shape}, traces={self.traces})"


def state_names(group):
    """The variables of a layer's engine group that a user reads and writes (``v``, ``s``, ``x``, ``theta`` ...):
    not the engine's internals nor the layer's input accumulators ``x_syn`` and ``x_ext``."""
    return [n for n, v in group.variables.items() if v.kind != "internal" and n not in ("x_syn", "x_ext")]


def _guarded(statements, condition):
    """``target = expr`` statements applied only where ``condition`` is 1 (else the target keeps its value)."""
    out = []
    for line in statements:
        target, _, expr = (p.strip() for p in line.partition("="))
        out.append(f"{target} = ({condition})*({expr}) + (1 - ({condition}))*{target}")
    return out


def _host(value):
    """A numpy array of ``value`` (CuPy and torch arrays brought to the host)."""
    if hasattr(value, "get") and type(value).__module__.startswith("cupy"):
        return value.get()
    if type(value).__module__.startswith("torch"):
        return value.detach().cpu().numpy()
    return value


class Input(Nodes):
    """Input nodes: each step, the nodes spike where the input is non-zero (BindsNET's ``Input``), or, when
    the network's input is :class:`~snngen.ml.Rates`, are Poisson sources of those rates inside the compiled
    loop (an engine PoissonGroup: a node's next spike step drawn at each spike)."""

    spec = "Input"


class McCullochPitts(Nodes):
    """``v = input; s = v >= thresh`` each step (thresh 1)."""

    spec = "McCullochPitts"


class IFNodes(Nodes):
    """Integrate-and-fire nodes: thresh -52, reset -65, refrac 5 ms, lbound none; v starts at reset."""

    spec = "IFNodes"


class LIFNodes(Nodes):
    """Leaky integrate-and-fire nodes: thresh -52, rest -65, reset -65, refrac 5 ms, tc_decay 100 ms."""

    spec = "LIFNodes"


class BoostedLIFNodes(Nodes):
    """LIF nodes with rest = reset = 0: thresh 13, refrac 5 ms, tc_decay 100 ms."""

    spec = "BoostedLIFNodes"


class CurrentLIFNodes(Nodes):
    """LIF nodes driven by an exponentially decaying current ``i_syn`` (BindsNET's ``i``; tc_i_decay 2 ms)."""

    spec = "CurrentLIFNodes"


class SRM0Nodes(Nodes):
    """Spike response model nodes with escape noise: a spike with probability ``1 - exp(-rho*dt)``,
    ``rho = rho_0*exp((v - thresh)/d_thresh)``."""

    spec = "SRM0Nodes"


class SubtractiveResetIFNodes(Nodes):
    """Integrate-and-fire nodes whose spike subtracts the threshold from v (the nodes of converted ANNs)."""

    spec = "SubtractiveResetIFNodes"


class IzhikevichNodes(Nodes):
    """Izhikevich (2003) nodes, a, b, c, d per node (regular spiking by default), integrated as BindsNET does
    (two half steps of v, then u), reset in the spiking step."""

    spec = "IzhikevichNodes"


class AdaptiveLIFNodes(Nodes):
    """LIF nodes whose threshold rises by ``theta_plus`` at each spike and decays with ``tc_theta_decay``
    while the network learns; theta survives ``reset_state_variables()``."""

    spec = "AdaptiveLIFNodes"


class DiehlAndCookNodes(Nodes):
    """The excitatory neurons of Diehl & Cook (2015): adaptive-threshold LIF nodes.

    ``one_spike=True`` (BindsNET's default) lets at most one node of a sample spike in a step, drawn
    uniformly among the nodes that crossed the threshold; the winner is chosen before the reset, so the
    others are neither reset nor made refractory, and their threshold does not rise (BindsNET prunes the
    spikes after resetting every crossing node: bindsnet-features.md 13.2)."""

    spec = "DiehlAndCookNodes"

    def __init__(self, n=None, shape=None, one_spike=True, **kwargs):
        super().__init__(n, shape, **kwargs)
        self.one_spike = bool(one_spike)

