"""Connectivity of convolutional and locally connected layers, as synapse lists.

``conv2d(...)`` gives the synapses of a 2-D convolution (cross-correlation, as in PyTorch and
BindsNET): presynaptic neuron ``(c, y, x)`` of an input of shape ``(C, H, W)`` (numbered
``(c*H + y)*W + x``) connects to postsynaptic neuron ``(f, oy, ox)`` of the output ``(F, OH, OW)``
(numbered ``(f*OH + oy)*OW + ox``) where the kernel covers it, through kernel entry
``((f*C + c)*KH + ky)*KW + kx`` — the index of an ``(indexed)`` weight, shared by every position::

    g = snngen.conv2d((1, 28, 28), kernel=5, channels=16, stride=1, padding=0)
    Y = NeuronGroup(g.n_out, ...)
    S = Synapses(X, Y, "w : 1 (indexed)", on_pre="v_post += w")
    S.connect(i=g.i, j=g.j, index=g.index)
    S.w_.reshape(g.weight_shape)            # (16, 1, 5, 5)

A spike then visits exactly its output window (the synapses of its row), and plasticity on ``w``
sums the updates of all the synapses sharing an entry.  ``local2d(...)`` is the same geometry with
one weight per synapse (a locally connected layer: ``index`` numbers the synapses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError


@dataclass(frozen=True)
class Geometry:
    i: np.ndarray  # presynaptic neuron of each synapse
    j: np.ndarray  # postsynaptic neuron
    index: np.ndarray  # the weight entry it reads
    in_shape: tuple  # (C, H, W)
    out_shape: tuple  # (F, OH, OW)
    weight_shape: tuple  # the shape of the weight entries: (F, C, KH, KW); local2d: (F, OH, OW, C, KH, KW)

    @property
    def n_in(self):
        return int(np.prod(self.in_shape))

    @property
    def n_out(self):
        return int(np.prod(self.out_shape))


def _pair(value, what):
    try:
        a, b = (value, value) if np.isscalar(value) else tuple(value)
        a, b = int(a), int(b)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be an integer or a pair of integers, not {value!r}") from None
    return a, b


def _windows(in_shape, kernel, channels, stride, padding):
    if len(tuple(in_shape)) != 3:
        raise ModelError(f"in_shape must be (channels, height, width), not {in_shape!r}")
    C, H, W = (int(n) for n in in_shape)
    KH, KW = _pair(kernel, "kernel")
    SH, SW = _pair(stride, "stride")
    PH, PW = _pair(padding, "padding")
    F = int(channels)
    if min(C, H, W, KH, KW, SH, SW, F) < 1 or min(PH, PW) < 0:
        raise ModelError("conv2d: sizes, kernel, stride and channels must be positive, padding non-negative")
    OH, OW = (H + 2 * PH - KH) // SH + 1, (W + 2 * PW - KW) // SW + 1
    if OH < 1 or OW < 1:
        raise ModelError(f"conv2d: a {KH}x{KW} kernel does not fit a {H}x{W} input with padding {PH}, {PW}")
    f, c, oy, ox, ky, kx = np.meshgrid(np.arange(F), np.arange(C), np.arange(OH), np.arange(OW), np.arange(KH),
                                       np.arange(KW), indexing="ij")
    y, x = oy * SH - PH + ky, ox * SW - PW + kx
    ok = (y >= 0) & (y < H) & (x >= 0) & (x < W)  # padding: no synapse
    f, c, oy, ox, ky, kx, y, x = (a[ok] for a in (f, c, oy, ox, ky, kx, y, x))
    i = (c * H + y) * W + x
    j = (f * OH + oy) * OW + ox
    order = np.lexsort((j, i))  # rows of presynaptic neurons: each spike reads one contiguous row
    return (C, H, W), (F, OH, OW), (KH, KW), order, i, j, f, c, oy, ox, ky, kx


def conv2d(in_shape, kernel, channels=1, stride=1, padding=0):
    """The synapses of a 2-D convolution with ``channels`` output channels (see the module docstring)."""
    ins, outs, (KH, KW), order, i, j, f, c, oy, ox, ky, kx = _windows(in_shape, kernel, channels, stride, padding)
    index = ((f * ins[0] + c) * KH + ky) * KW + kx
    return Geometry(i[order].astype(np.int64), j[order].astype(np.int64), index[order].astype(np.int64), ins, outs,
                    (outs[0], ins[0], KH, KW))


def local2d(in_shape, kernel, channels=1, stride=1, padding=0):
    """A locally connected layer: the synapses of ``conv2d`` with one weight per (output neuron, kernel entry);
    ``index`` numbers them in the order of ``weight_shape`` ``(F, OH, OW, C, KH, KW)``."""
    ins, outs, (KH, KW), order, i, j, f, c, oy, ox, ky, kx = _windows(in_shape, kernel, channels, stride, padding)
    index = ((((f * outs[1] + oy) * outs[2] + ox) * ins[0] + c) * KH + ky) * KW + kx
    return Geometry(i[order].astype(np.int64), j[order].astype(np.int64), index[order].astype(np.int64), ins, outs,
                    (outs[0], outs[1], outs[2], ins[0], KH, KW))
