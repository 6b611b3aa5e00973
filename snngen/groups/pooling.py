"""Max pooling of spikes: each output neuron passes on the spike of the strongest input of its window.

``MaxPool2dGroup(X, in_shape=(C, H, W), kernel=2)`` is a group of ``C*OH*OW`` neurons. Each step, every
input neuron's rate trace decays by the factor ``1 - decay`` and gains 1 per spike (``decay=0``: the
spike count so far); an output neuron spikes when the input with the largest trace in its window —
the first in row-major order among equals, as PyTorch's ``max_pool2d`` picks it — spiked in this step.
This is BindsNET's ``MaxPool2dConnection``; connect the pooled group onward with ordinary synapses
(``Synapses(pool, Y, on_pre="v_post += 1"); connect(j="i")``). The traces are the group's variable
``rate`` (one per input neuron); ``reset_state()`` clears them.
"""

from __future__ import annotations

import numpy as np

from ..codegen.names import variable
from ..codegen.render import render
from ..errors import ModelError
from .base import Part, SpikeSource, Variable, VariableOwner, object_name
from .geometry import _pair


class MaxPool2dGroup(SpikeSource, VariableOwner):
    """Pools the spikes of ``group`` (laid out as ``in_shape`` = (C, H, W)) over ``kernel`` windows moved by
    ``stride`` (default: the kernel), with zero ``padding``; see the module docstring."""

    def __init__(self, group, in_shape, kernel, stride=None, padding=0, decay=0.0, name=None):
        self._init_variables()
        self.name = object_name(name, "maxpool")
        self.group = group
        if len(tuple(in_shape)) != 3 or int(np.prod(in_shape)) != len(group):
            raise ModelError(f"{self.name}: in_shape must be (channels, height, width) with {len(group)} neurons "
                             f"in all (those of {group.name}), not {in_shape!r}")
        C, H, W = (int(n) for n in in_shape)
        KH, KW = _pair(kernel, "kernel")
        SH, SW = _pair(kernel if stride is None else stride, "stride")
        PH, PW = _pair(padding, "padding")
        OH, OW = (H + 2 * PH - KH) // SH + 1, (W + 2 * PW - KW) // SW + 1
        if min(KH, KW, SH, SW) < 1 or min(PH, PW) < 0 or OH < 1 or OW < 1 or PH * 2 > KH or PW * 2 > KW:
            raise ModelError(f"{self.name}: a {KH}x{KW} window moved by {SH}, {SW} with padding {PH}, {PW} does not "
                             f"fit a {H}x{W} input (padding at most half the window)")
        if not 0.0 <= float(decay) <= 1.0:
            raise ModelError(f"{self.name}: decay must lie in [0, 1], not {decay!r}")
        self.decay = float(decay)
        self.in_shape, self.out_shape = (C, H, W), (C, OH, OW)
        self.N = C * OH * OW
        self.order = getattr(group, "order", 0)
        c, oy, ox, ky, kx = np.meshgrid(np.arange(C), np.arange(OH), np.arange(OW), np.arange(KH), np.arange(KW),
                                        indexing="ij")
        y, x = oy * SH - PH + ky, ox * SW - PW + kx
        inside = (y >= 0) & (y < H) & (x >= 0) & (x < W)
        self._windows = np.where(inside, (c * H + y) * W + x, -1).reshape(self.N, KH * KW).astype(np.int64)
        self.variables["rate"] = Variable("rate", None, np.zeros(len(group)), "differential")
        self._hit = np.zeros(len(group), dtype=np.uint8)  # the inputs that spiked in this step
        self._spikes = np.zeros(self.N, dtype=np.int32)
        self._nspikes = np.zeros(1, dtype=np.int64)
        self._flags = np.zeros(self.N, dtype=np.uint8)
        self._frozen = True

    def _take_copies(self, B):
        super()._take_copies(B)
        object.__setattr__(self, "_hit", np.zeros(B * len(self.group), dtype=np.uint8))

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """This group's kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import maxpool

        return maxpool(self, prefix)

    def build(self, prefix, run_namespace, check_nan=False):
        gp = getattr(self.group, "_prefix", None)
        if gp is None or getattr(self.group, "_network", None) is not self._network:
            raise ModelError(f"{self.name} pools {self.group.name}, which is not in the network")
        p = prefix
        part = Part()
        part.args = {variable(p, "rate"): lambda: self.variables["rate"].array, f"{p}_hit": lambda: self._hit,
                     f"{p}_win": lambda: self._windows, f"{p}_keep": lambda: 1.0 - self.decay,
                     f"{p}_spikes": lambda: self._spikes, f"{p}_nspikes": lambda: self._nspikes}
        part.prologue = [f"{p}_N = {p}_spikes.shape[0]", f"{p}_nspk = {p}_nspikes[0]"]
        part.add("thresholds", render("cpu/maxpool.py.j2", p=p, gp=gp, name=self.name, rate=variable(p, "rate")),
                 self.order, self.name)
        part.epilogue = [f"{p}_nspikes[0] = {p}_nspk"]
        if self.__dict__.get("_batch", 1) > 1:
            part.copies = {variable(p, "rate"): "row", f"{p}_hit": "block", f"{p}_spikes": "block",
                           f"{p}_nspikes": "block"}
        return part
