"""Connections between layers (BindsNET's ``bindsnet.network.topology``), each an engine
:class:`~snngen.Synapses` object.

Every connection acts with BindsNET's one-step lag: the spikes of a step reach the target's input ``inp``
of the next step (they are added to the target's ``x_syn`` after all layers have updated, and the target
reads it at its next update).  The learning rule runs in the same place, after the layers; then the
output of this step's spikes is computed with the weights after learning, as BindsNET does.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ModelError
from .learning import LearningRule, NoOp
from .nodes import _host

__all__ = ["AbstractConnection", "Connection", "Conv1dConnection", "Conv2dConnection", "LocalConnection",
           "LocalConnection1D", "LocalConnection2D", "MaxPool1dConnection", "MaxPool2dConnection",
           "MeanFieldConnection", "SparseConnection"]

_OPTIONS = {"nu", "reduction", "weight_decay", "update_rule", "w", "b", "wmin", "wmax", "norm", "Dales_rule"}


class AbstractConnection:
    """What every connection has: ``source``, ``target``, ``w``, bounds, ``norm`` and its learning rule."""

    def __init__(self, source, target, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        from .nodes import Nodes

        for what, layer in (("source", source), ("target", target)):
            if not isinstance(layer, Nodes):
                raise ModelError(f"{type(self).__name__}: {what} must be a layer (Nodes), not {type(layer).__name__}")
        self.source, self.target = source, target
        self.wmin = float(kwargs.get("wmin", -np.inf))
        self.wmax = float(kwargs.get("wmax", np.inf))
        if math.isnan(self.wmin) or math.isnan(self.wmax) or self.wmin > self.wmax:
            raise ModelError(f"{type(self).__name__}: wmin ({self.wmin}) must not exceed wmax ({self.wmax})")
        norm = kwargs.get("norm")
        self.norm = None if norm is None else float(norm)
        rule = kwargs.get("update_rule") or NoOp
        if not (isinstance(rule, type) and issubclass(rule, LearningRule)):
            raise ModelError(f"{type(self).__name__}: update_rule must be a learning rule class (PostPre, ...), "
                             f"not {rule!r}")
        # the other keywords are the rule's own (tc_plus ...): the rule says which it has
        self._rule_args = dict(nu=nu, reduction=reduction, weight_decay=weight_decay,
                               **{k: v for k, v in kwargs.items() if k not in _OPTIONS})
        self._index = 0  # the connection's number in its network
        self._prop_slot = ("start", 0)  # when the output of a step's spikes reaches the target (see one_step)
        self._syn = None
        self._keep = None  # masks: 1 where a weight may be non-zero (run(masks=...)), per weight
        dale = kwargs.get("Dales_rule")
        self._dale = None if dale is None else np.asarray(_host(dale), dtype=bool)
        self.network = None
        self.name = None

    def _make_rule(self):
        old = self.__dict__.get("update_rule")
        try:
            self.update_rule = self._rule_cls(self, **self._rule_args)
            if type(old) is type(self.update_rule):  # remade once the layers have names: keep what was set on it
                for key, value in vars(old).items():
                    if key not in ("connection", "reward_var"):
                        setattr(self.update_rule, key, value)
        except ModelError as err:
            if "has no option" not in str(err):
                raise
            from ..equations.parser import suggest

            name = str(err).split("'")[1]
            raise ModelError(f"{type(self).__name__} has no option '{name}' (nor has its rule "
                             f"{self._rule_cls.__name__}).{suggest(name, _OPTIONS)} Options: "
                             f"{', '.join(sorted(_OPTIONS))}, and the rule's") from None
        for layer in self.update_rule.layers_needing_traces:
            if not layer.traces:
                raise ModelError(f"{type(self.update_rule).__name__} on {self._label()} reads the traces of layer "
                                 f"'{layer.name or type(layer).__name__}', which has none: make it with traces=True")

    def _label(self):
        return self.name or f"{type(self).__name__}({self.source.name} -> {self.target.name})"


class Connection(AbstractConnection):
    """All-to-all weights ``w`` of shape ``(source.n, target.n)``: the target's input in a step is
    ``s_source @ w (+ b)`` of the previous step's spikes.

    ``w`` defaults to ``U(wmin, wmax)`` when both bounds are finite, else to ``U(0, 1)`` clipped to them; a
    given ``w`` is clipped too.  ``b`` (one value per target node) is added every step.  ``norm``: after each
    ``run`` the weights into each target node are rescaled to ``sum |w| = norm``.
    """

    def __init__(self, source, target, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        super().__init__(source, target, nu, reduction, weight_decay, **kwargs)
        self._rule_cls = kwargs.get("update_rule") or NoOp
        shape = (source.n, target.n)
        w = kwargs.get("w")
        if w is None:
            w = _default_weights(shape, self.wmin, self.wmax)
        else:
            w = np.asarray(_host(w), dtype=np.float64)
            if w.shape != shape:
                raise ModelError(f"{type(self).__name__}: w has shape {w.shape}, the layers need {shape} "
                                 "(source nodes, target nodes)")
            w = np.clip(w, self.wmin, self.wmax)
        self._w = np.array(w, dtype=np.float64)
        if self._dale is not None:
            if self._dale.shape == (source.n,):
                self._dale = np.broadcast_to(self._dale[:, None], shape)
            if self._dale.shape != shape:
                raise ModelError(f"{type(self).__name__}: Dales_rule is one boolean per source node (True: "
                                 f"excitatory) or one per weight {shape}, not shape {self._dale.shape}")
            self._w = np.where(self._dale, np.maximum(self._w, 0.0), np.minimum(self._w, 0.0))
        b = kwargs.get("b")
        if b is not None:
            b = np.broadcast_to(np.asarray(_host(b), dtype=np.float64).reshape(-1) if np.ndim(b) else
                                np.float64(b), (target.n,)).copy()
        self.b = b
        self._make_rule()

    # -- weights ------------------------------------------------------------------------
    def _shape(self):
        """The shape of ``w``."""
        return (self.source.n, self.target.n)

    def _weights(self):
        """The weights as stored: ``(copies, *w.shape)``, writable in place."""
        if self._syn is None:
            return self._w[None]
        return self._syn.variables["w"].array.reshape((-1,) + self._shape())

    @property
    def w(self):
        return self._weights()[0]

    @w.setter
    def w(self, value):
        value = np.asarray(_host(value), dtype=np.float64)
        if value.shape != self._shape():
            raise ModelError(f"{self._label()}: w must have shape {self._shape()}, not {value.shape}")
        if self._syn is None:
            self._w = value.copy()
        else:
            var = self._syn.variables["w"]
            var.overwrite(np.broadcast_to(value.reshape(-1), var.array.shape))

    def _set_mask(self, mask):
        """``run(masks=...)``: the weights where ``mask`` is True set to 0, and kept there while learning."""
        keep = (~mask).astype(np.float64)
        if self._keep is None or not np.array_equal(keep, self._keep):
            if self._keep is None and self.network is not None:
                self.network._dirty = True  # the rule's code gains "w = w*keep"
            self._keep = keep
            if self._syn is not None and "keep" in self._syn.variables:
                self._syn.variables["keep"].overwrite(self._structure(keep)[2])
        self.w = np.where(mask, 0.0, self.w)

    def _before_run(self):
        if self._sync is not None:
            self._w_start = self._weights()[0].copy()

    def _after_run(self):
        """``batch_sync="run"``: the copies' changes of the run summed (or averaged) into the weights, which are
        clipped and given to every copy."""
        if self._sync is None:
            return
        w = self._weights()
        total = w.sum(axis=0, dtype=np.float64)  # w0 + sum_b (w_b - w0) = sum_b w_b - (B - 1) w0
        new = total - (len(w) - 1) * self._w_start if self._sync == "sum" else total / len(w)
        w[...] = np.clip(new, self.wmin, self.wmax)
        var = self._syn.variables["w"]
        if var.device is not None:
            var.device.overwritten(var)

    def normalize(self):
        """Rescale the weights into each target node so that their absolute values sum to ``norm``."""
        if self.norm is None:
            return
        w = self._weights()
        total = np.abs(w).sum(axis=self._norm_axes, keepdims=True)
        total[total == 0] = 1.0
        w *= self.norm / total
        if self._syn is not None:
            var = self._syn.variables["w"]
            if var.device is not None:
                var.device.overwritten(var)

    _norm_axes = (1,)  # of _weights(): the weights into one target node (each column)

    # -- the engine object ------------------------------------------------------------------
    def _make_synapses(self, name, dtype, batch, dt, sync="step"):
        from ..groups.synapses import Synapses

        rule = self.update_rule
        if batch > 1 and rule.weight_decay:
            raise ModelError(f"{self._label()}: weight_decay with batch_size > 1 is not supported yet (each copy "
                             "would decay the shared weights)")
        # a batch: the copies' changes are summed (or averaged) into the one weight matrix after each step, and
        # the weights clipped then, as BindsNET clips the summed update
        on_pre, on_post, every = rule.code(clip=batch == 1 or sync == "run", shared=self._shared)
        pathways = {}
        if on_pre:
            pathways["learn"] = on_pre
        nu = rule.nu
        namespace = dict(nu_pre=float(nu[0]), nu_post=float(nu[1]), wmin=self.wmin, wmax=self.wmax,
                         weight_decay=rule.weight_decay)
        old = self._weights()[0].copy()
        pathways["prop"] = self._prop
        # the output of a step's spikes is added to the target's input at the start of the next step (the spike
        # lists still hold them), with the weights after learning (and, in a batch, after the copies' changes
        # are summed into them)
        if hasattr(rule, "tc_e_trace"):
            namespace.update(tc_e_trace=rule.tc_e_trace, dt_ms=float(dt))
        if hasattr(rule, "tc_c"):
            namespace["tc_c"] = rule.tc_c
        extra, constants = [], {}  # statements after the rule's, and the per-synapse constants they read
        if self._keep is not None:  # run(masks=...): masked weights stay 0
            extra.append("w = w*keep")
            constants["keep"] = self._keep
        if self._dale is not None:  # Dale's rule: excitatory sources' weights >= 0, inhibitory ones' <= 0
            extra.append("w = max(w, 0)*dale + min(w, 0)*(1 - dale)")
            constants["dale"] = self._dale.astype(np.float64)
        if extra and (on_pre or on_post or every):
            if self._shared:
                raise ModelError(f"{self._label()}: masks and Dale's rule on shared (convolution) weights are not "
                                 "supported yet")
            tail = "\n".join(extra)
            on_pre, on_post, every = (f"{c}\n{tail}" if c else c for c in (on_pre, on_post, every))
            if on_pre:
                pathways["learn"] = on_pre
        model = "\n".join(("w : 1 (indexed)" if self._shared else "w : 1",) + tuple(rule.model)
                          + tuple(f"{k} : 1 (constant)" for k in constants if extra and (on_pre or on_post or every)))
        storage, connect, values = self._structure(old)
        source = self._pre_group(name)
        syn = Synapses(source, self.target._group, model, on_pre=pathways, on_post=on_post,
                       namespace=namespace, dtype=dtype, storage=storage, name=name)
        syn.connect(**connect)
        syn.variables["w"].array[...] = values
        for k, arr in constants.items():
            if k in syn.variables:
                syn.variables[k].array[...] = self._structure(np.asarray(arr, dtype=np.float64))[2]
        if self._shared and (on_pre or on_post) and (np.isfinite(self.wmin) or np.isfinite(self.wmax)):
            syn.clip("w", self.wmin, self.wmax, when="after_resets", order=2)  # once the synapses added theirs
        if self._shared and batch > 1 and (on_pre or on_post):
            if sync == "run":
                raise ModelError(f"{self._label()}: batch_sync='run' with shared (convolution) weights is not "
                                 "supported yet")
        syn.prop.when, syn.prop.order = self._prop_slot
        if "learn" in syn.pathways:
            syn.learn.when = "after_resets"
        if syn.post_pathway is not None:
            syn.post_pathway.when = "after_resets"
        if every:
            syn.run_regularly(every, when="after_resets", order=2, name=f"{name}_decay")
        self._sync = None
        if batch > 1 and (on_pre or on_post or every) and not self._shared:
            if sync == "step":
                syn.batch_shared = {"w": (rule.reduction, self.wmin, self.wmax)}
            else:  # each copy learns on its own during a run; the copies' changes are summed after it
                self._sync = rule.reduction
        self._syn = syn
        return syn

    _prop = "x_syn_post += w"  # what a spike adds to its target's input of the next step
    _shared = False  # w: an (indexed) entry shared by synapses (a convolution's kernel)

    def _pre_group(self, name):
        """The engine group whose spikes the synapses carry (the source layer's)."""
        return self.source._group

    def _objects(self):
        """The engine objects of this connection in the network."""
        return [self._syn]

    def _structure(self, w):
        """(storage, connect() arguments, initial values of the synapses' w) for weights ``w``."""
        return "dense", {}, w.reshape(-1)

    def reset_state_variables(self):
        """The rule's own state (eligibilities) cleared; the weights are kept."""
        if self._syn is not None:
            for line in self.update_rule.model:
                self._syn.variables[line.split(":")[0].strip()].overwrite(0.0)

    def __repr__(self):
        return f"Connection({self.source.name} -> {self.target.name}, {type(self.update_rule).__name__})"


class SparseConnection(Connection):
    """Weights only where ``w`` is non-zero (a scipy.sparse matrix, a torch sparse tensor, or a dense array
    whose zeros are no synapses), or, given ``sparsity``, on a random fraction ``1 - sparsity`` of the
    pairs (their weights drawn as :class:`Connection`'s).  Storage and propagation are sparse (CSR rows); the
    learning rules work as on a :class:`Connection`, on the synapses that exist.  ``w`` reads back as a dense
    array with zeros where there is no synapse; setting it keeps the synapses (a new pattern is a new
    connection)."""

    def __init__(self, source, target, nu=None, reduction=None, weight_decay=0.0, sparsity=None, **kwargs):
        w = kwargs.pop("w", None)
        dense = None
        if w is not None:
            dense = _dense(w)
            if dense.shape != (source.n, target.n):
                raise ModelError(f"SparseConnection: w has shape {dense.shape}, the layers need "
                                 f"{(source.n, target.n)} (source nodes, target nodes)")
            mask = dense != 0
        elif sparsity is not None:
            if not 0.0 <= float(sparsity) <= 1.0:
                raise ModelError(f"SparseConnection: sparsity must be in [0, 1], not {sparsity}")
            mask = np.random.random_sample((source.n, target.n)) >= float(sparsity)
        else:
            raise ModelError("SparseConnection: give w (its non-zero entries are the synapses) or sparsity")
        super().__init__(source, target, nu, reduction, weight_decay, w=dense, **kwargs)
        self._mask = mask
        self._w = np.where(mask, self._w, 0.0)
        self._i, self._j = np.nonzero(mask)

    def _structure(self, w):
        return "sparse", dict(i=self._i, j=self._j), w[self._i, self._j]

    def _weights(self):
        if self._syn is None:
            return self._w[None]
        values = np.asarray(self._syn.variables["w"].array).reshape(-1, len(self._i))
        out = np.zeros((len(values), self.source.n, self.target.n), dtype=values.dtype)
        out[:, self._i, self._j] = values
        return out

    @property
    def w(self):
        return self._weights()[0]

    @w.setter
    def w(self, value):
        value = _dense(value)
        if value.shape != self._mask.shape or np.any((value != 0) & ~self._mask):
            raise ModelError(f"{self._label()}: new weights must keep the synapses (non-zero only where there "
                             "is one); a new pattern is a new connection")
        if self._syn is None:
            self._w = value.copy()
        else:
            var = self._syn.variables["w"]
            var.overwrite(np.broadcast_to(value[self._i, self._j], var.array.shape))

    def normalize(self):
        if self.norm is None:
            return
        if self._syn is None:
            super().normalize()
            return
        var = self._syn.variables["w"]
        values = var.array.reshape(-1, len(self._i))
        total = np.zeros((len(values), self.target.n))
        for b in range(len(values)):
            np.add.at(total[b], self._j, np.abs(values[b]))
        total[total == 0] = 1.0
        values *= self.norm / total[:, self._j]
        if var.device is not None:
            var.device.overwritten(var)


class MeanFieldConnection(Connection):
    """The target's input is the mean of the source's spikes times one weight per target node
    (``w`` of shape ``(target.n,)``, default ``U(0, 1)`` clipped to the bounds): ``mean(s_source) * w``.
    No learning rule (as in BindsNET)."""

    def __init__(self, source, target, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        if kwargs.get("update_rule") not in (None, NoOp):
            raise ModelError("MeanFieldConnection: no learning rule works on it (update_rule must be NoOp)")
        w = kwargs.pop("w", None)
        if w is None:
            w = np.random.random_sample(target.n)
        w = np.broadcast_to(np.asarray(_host(w), dtype=np.float64).reshape(-1) if np.ndim(w) else
                            np.float64(w), (target.n,))
        super().__init__(source, target, nu, reduction, weight_decay, w=np.broadcast_to(w, (source.n, target.n)),
                         **kwargs)

    # each spike adds w/N_pre: the mean of the spikes times w
    _prop = "x_syn_post += w/N_pre"

    @property
    def w(self):
        return self._weights()[0][0].copy()

    @w.setter
    def w(self, value):
        value = np.broadcast_to(np.asarray(_host(value), dtype=np.float64), (self.target.n,))
        Connection.w.fset(self, np.broadcast_to(value, (self.source.n, self.target.n)))


def _default_weights(shape, wmin, wmax):
    """BindsNET's initial weights: ``U(wmin, wmax)`` when both bounds are finite, else ``U(0, 1)`` clipped."""
    if math.isfinite(wmin) and math.isfinite(wmax):
        return wmin + np.random.random_sample(shape) * (wmax - wmin)
    return np.clip(np.random.random_sample(shape), wmin, wmax)


def _dense(w):
    """A dense numpy array of ``w`` (scipy.sparse, torch sparse or dense)."""
    if hasattr(w, "toarray"):
        return np.asarray(w.toarray(), dtype=np.float64)
    if type(w).__module__.startswith("torch") and getattr(w, "is_sparse", False):
        return w.to_dense().detach().cpu().numpy().astype(np.float64)
    return np.asarray(_host(w), dtype=np.float64)


def _layer_shape(layer, what, owner, dims=2):
    """A layer's shape as the 2-D geometry's ``(C, H, W)``: a 1-D layer ``(C, L)`` is ``(C, 1, L)``."""
    shape = tuple(layer.shape)
    if len(shape) != dims + 1:
        axes = "(channels, height, width)" if dims == 2 else "(channels, length)"
        raise ModelError(f"{owner}: the {what} layer must have a shape {axes}, not {shape}")
    return shape if dims == 2 else (shape[0], 1, shape[1])


def _as2d(value, dims, fill):
    """A 1-D kernel size, stride or padding as the 2-D geometry's pair ``(fill, value)``."""
    if dims == 2 or value is None:
        return value
    v = int(np.atleast_1d(value)[0]) if np.ndim(value) else int(value)
    return (fill, v)


class Conv2dConnection(Connection):
    """A 2-D convolution: kernels ``w`` of shape ``(out_channels, in_channels, KH, KW)`` (PyTorch's layout),
    from a source layer of shape ``(C, H, W)`` to a target of shape ``(F, OH, OW)``; ``b`` one bias per
    output channel.  On the engine: shared-weight synapses (each synapse of an output window reads its kernel
    entry), event-driven: a spike visits its output window.  A learning rule's changes of the synapses sharing
    an entry are summed, then the entry is clipped to ``[wmin, wmax]`` (BindsNET's update of the kernel);
    ``norm`` rescales each output channel's kernel to ``sum |w| = norm`` after each run.  Rules whose change
    does not read ``w``: PostPre, Hebbian, NoOp.  ``dilation`` other than 1 is not supported yet; nor is
    learning with a batch on the CPU (the copies would write the kernels at once)."""

    _shared = True
    _dims = 2

    def __init__(self, source, target, kernel_size, stride=1, padding=0, dilation=1, nu=None, reduction=None,
                 weight_decay=0.0, **kwargs):
        from ..groups.geometry import conv2d

        owner, d = type(self).__name__, self._dims
        if np.any(np.asarray(dilation) != 1):
            raise ModelError(f"{owner}: dilation other than 1 is not supported yet")
        in_shape = _layer_shape(source, "source", owner, d)
        out_shape = _layer_shape(target, "target", owner, d)
        self.geometry = g = conv2d(in_shape, _as2d(kernel_size, d, 1), channels=out_shape[0],
                                   stride=_as2d(stride, d, 1), padding=_as2d(padding, d, 0))
        if tuple(g.out_shape) != out_shape:
            F, OH, OW = g.out_shape
            raise ModelError(f"{owner}: a {kernel_size} kernel with stride {stride} and padding {padding} on "
                             f"{tuple(source.shape)} gives {(F, OH, OW) if d == 2 else (F, OW)}, not the target's "
                             f"{tuple(target.shape)}")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        shape = self._shape()
        w, b = kwargs.pop("w", None), kwargs.pop("b", None)
        AbstractConnection.__init__(self, source, target, nu, reduction, weight_decay, **kwargs)
        self._rule_cls = kwargs.get("update_rule") or NoOp
        if w is None:
            w = _default_weights(shape, self.wmin, self.wmax)
        w = np.asarray(_host(w), dtype=np.float64)
        if w.shape != shape:
            raise ModelError(f"{owner}: w has shape {w.shape}, the kernels need {shape} "
                             f"(out_channels, in_channels, {'KH, KW' if d == 2 else 'K'})")
        self._w = np.clip(w, self.wmin, self.wmax)
        if b is not None:
            b = np.broadcast_to(np.asarray(_host(b), dtype=np.float64).reshape(-1) if np.ndim(b) else np.float64(b),
                                (out_shape[0],))
            b = np.repeat(b, out_shape[1] * out_shape[2])  # the bias of each target node: its channel's
        self.b = b
        self._make_rule()

    def _structure(self, w):
        g = self.geometry
        return "sparse", dict(i=g.i, j=g.j, index=g.index), w.reshape(-1)

    def _shape(self):
        F, C, KH, KW = self.geometry.weight_shape
        return (F, C, KH, KW) if self._dims == 2 else (F, C, KW)

    @property
    def _norm_axes(self):  # normalize(): each output channel's kernel rescaled to sum |w| = norm
        return tuple(range(2, len(self._shape()) + 1))


class Conv1dConnection(Conv2dConnection):
    """A 1-D convolution: kernels ``(out_channels, in_channels, K)`` from a source ``(C, L)`` to a target
    ``(F, OL)``; otherwise as :class:`Conv2dConnection`."""

    _dims = 1


class LocalConnection(SparseConnection):
    """A locally connected layer (BindsNET's ``LocalConnection``/``LocalConnection2D``): the windows of a
    2-D convolution, with a weight of its own for every synapse (no sharing).  The source has shape
    ``(C, H, W)`` (or ``n`` nodes with ``input_shape=(H, W)``, one channel), the target ``n_filters``
    x the output positions.  ``w`` reads as ``(source.n, target.n)`` with zeros outside the windows; the
    rules work as on a :class:`Connection`, on the synapses of the windows."""

    _dims = 2

    def __init__(self, source, target, kernel_size, stride, n_filters, nu=None, reduction=None, weight_decay=0.0,
                 input_shape=None, padding=0, **kwargs):
        from ..groups.geometry import local2d

        d = self._dims
        if d == 1:  # (C, L) or n nodes of one channel, as (C, 1, L)
            length = source.shape if input_shape is None else tuple(int(k) for k in np.atleast_1d(input_shape))
            in_shape = (1, 1, int(np.prod(length))) if len(length) == 1 else (length[0], 1, length[1])
            kernel_size, stride, padding = _as2d(kernel_size, 1, 1), _as2d(stride, 1, 1), _as2d(padding, 1, 0)
        elif input_shape is not None:
            in_shape = (1,) + tuple(int(k) for k in input_shape)
        elif len(source.shape) == 3:
            in_shape = tuple(source.shape)
        else:
            side = int(round(np.sqrt(source.n)))
            if side * side != source.n:
                raise ModelError(f"LocalConnection: {source.n} source nodes are not a square: give input_shape")
            in_shape = (1, side, side)
        if int(np.prod(in_shape)) != source.n:
            raise ModelError(f"LocalConnection: input_shape {in_shape} does not hold the source's {source.n} nodes")
        g = local2d(in_shape, kernel_size, channels=int(n_filters), stride=stride, padding=padding)
        if g.n_out != target.n:
            raise ModelError(f"LocalConnection: {n_filters} filters of a {kernel_size} kernel with stride {stride} "
                             f"on {in_shape} give {g.n_out} nodes (shape {tuple(g.out_shape)}), the target has "
                             f"{target.n}")
        self.geometry, self.kernel_size, self.stride, self.n_filters = g, kernel_size, stride, int(n_filters)
        mask = np.zeros((source.n, target.n), dtype=bool)
        mask[g.i, g.j] = True
        w = kwargs.pop("w", None)
        if w is None:
            w = _default_weights(mask.shape, float(kwargs.get("wmin", -np.inf)), float(kwargs.get("wmax", np.inf)))
        w = np.where(mask, _dense(w), 0.0)
        super().__init__(source, target, nu, reduction, weight_decay, w=w, **kwargs)
        self._mask = mask
        self._i, self._j = g.i, g.j  # every synapse of the windows, even one whose weight is 0


class LocalConnection1D(LocalConnection):
    """A locally connected layer over a 1-D source (``(C, L)``, or ``n`` nodes of one channel): windows of
    ``kernel_size`` moved by ``stride``, a weight per synapse; as :class:`LocalConnection`."""

    _dims = 1


LocalConnection2D = LocalConnection


class MaxPool2dConnection(AbstractConnection):
    """Max pooling (BindsNET's ``MaxPool2dConnection``): each target node receives 1 when the source node
    of its window with the highest firing-rate trace spiked (the trace: ``r <- r - decay*r + s``); source
    ``(C, H, W)``, target ``(C, OH, OW)``.  ``decay`` must be given (BindsNET crashes without it).  No
    weights, no learning."""

    _dims = 2

    def __init__(self, source, target, kernel_size, stride=None, padding=0, dilation=1, decay=None, **kwargs):
        owner, d = type(self).__name__, self._dims
        if decay is None:
            raise ModelError(f"{owner}: give decay (the firing-rate trace's decay per step, in [0, 1])")
        if np.any(np.asarray(dilation) != 1):
            raise ModelError(f"{owner}: dilation other than 1 is not supported yet")
        if kwargs.get("update_rule") not in (None, NoOp):
            raise ModelError(f"{owner}: no learning rule works on it (it has no weights)")
        super().__init__(source, target, **kwargs)
        self._rule_cls = NoOp
        self.in_shape = _layer_shape(source, "source", owner, d)
        self.kernel_size, self.stride = _as2d(kernel_size, d, 1), _as2d(stride, d, 1)
        self.padding, self.decay = _as2d(padding, d, 0), float(decay)
        self.b = None
        self._pool = None
        self._make_rule()

    def _make_synapses(self, name, dtype, batch, dt, sync="step"):
        from ..groups.pooling import MaxPool2dGroup
        from ..groups.synapses import Synapses

        self._pool = MaxPool2dGroup(self.source._group, self.in_shape, self.kernel_size, stride=self.stride,
                                    padding=self.padding, decay=self.decay, name=f"{name}_pool")
        if self._pool.N != self.target.n:
            raise ModelError(f"{type(self).__name__}: pooling {tuple(self.source.shape)} gives "
                             f"{self._pool.N} nodes {tuple(self._pool.out_shape)}, the target has {self.target.n} "
                             f"{tuple(self.target.shape)}")
        syn = Synapses(self._pool, self.target._group, on_pre="x_syn_post += 1.0", name=name)
        syn.connect(j="i")
        if self._prop_slot[0] != "start":
            raise ModelError("MaxPool2dConnection: one_step=True is not supported (the pooling runs after every "
                             "layer's update)")
        syn.pathways["pre"].when = "start"  # the pooled spikes reach the target's next step
        self._syn = syn
        return syn

    def _objects(self):
        return [self._pool, self._syn]

    def normalize(self):
        pass

    def _before_run(self):
        pass

    def _after_run(self):
        pass

    def reset_state_variables(self):
        pass

    def __repr__(self):
        return f"{type(self).__name__}({self.source.name} -> {self.target.name})"


class MaxPool1dConnection(MaxPool2dConnection):
    """Max pooling over windows of a 1-D layer ``(C, L)``; as :class:`MaxPool2dConnection`."""

    _dims = 1
