"""The batch axis: ``Network(..., batch=B)`` simulates B independent copies of the network (on CUDA in
the same kernels, the way a GPU wins on small networks; on the CPU each copy a serial run of the same
compiled loop, copies in parallel over the cores): how the ML layer runs several samples at once.

What each copy has of its own: every per-neuron variable (``G.v`` becomes shape ``(B, N)``;
values set before the first run are copied to every copy), spike lists, Poisson rates
(``P.rates`` takes ``(B, N)``), delay histories, and the synaptic variables the network writes
(plastic weights, traces, clock-driven state; ``S.w`` becomes ``(B, n_synapses)``) or that
``S.batch_separate`` names; ``S.batch_shared`` names those the copies share and change together.
Shared by all copies: connectivity, synaptic variables nothing writes (fixed weights), ``(shared)``
constants, and a SpikeGeneratorGroup's events.  Random numbers, on both backends: copy 0 draws exactly
what the unbatched network draws, copy b what the unbatched network draws with seed
``copy_seed(seed, b)`` (:mod:`snngen.runtime.rng`).  Monitors record every copy:
``SpikeMonitor.copy`` gives each spike's copy and ``.count`` is ``(B, N)``;
``StateMonitor.v`` is ``(B, n_recorded, n_times)``; ``PopulationRateMonitor.rate`` is ``(B, n_times)``.
Each kind of object makes its own per-copy arrays (``_take_copies``).

**Per-copy parameters** (CPU backend): a namespace value wrapped as :class:`PerCopy` (one value per copy) is
an argument of the compiled code like any namespace scalar, and copy b's code reads its b-th value (the
run constants computed from it, such as ``exp(-dt/tau)``, are computed by each copy from its own value).
With ``Network(..., copy_random="same")`` every copy draws the random numbers of the unbatched network
(the seed itself, not ``copy_seed(seed, b)``): copy b is then exactly the unbatched run with the b-th
values, which is how :func:`snngen.sweep.sweep` packs the points of a sweep onto the batch axis.
"""

from __future__ import annotations

import contextlib
import operator

import numpy as np

from ..errors import ModelError

_packing = []  # the numbers of copies of the sweep's packed calls in progress (innermost last)


@contextlib.contextmanager
def packing(B):
    """While a packed sweep calls its function: every network made with ``batch > 1`` draws, in each copy,
    the random numbers of the unbatched network (``copy_random="same"``) and refuses variables shared by
    the copies (``batch_shared``), so that each copy is exactly the run of its own point."""
    _packing.append(int(B))
    try:
        yield
    finally:
        _packing.pop()


def in_pack():
    return bool(_packing)


def _refuse(what):
    def method(self, *args, **kwargs):
        raise TypeError(f"{self!r} holds one value per copy of a batched network (a packed sweep parameter): "
                        f"it has no single {what}.  Use it only as a value of a namespace read by the network's "
                        "code (equations, threshold, reset, on_pre/on_post, run_regularly), or multiplied by "
                        "numbers and units; see docs/sweep.md")
    return method


def _binary(op, reflected=False):
    def method(self, other):
        if isinstance(other, PerCopy):
            if len(other) != len(self):
                raise ModelError(f"per-copy values of {len(self)} and {len(other)} copies cannot be combined")
            other = other.values
        elif np.ndim(other) != 0:
            return NotImplemented  # an array: per copy or per element? refused (a TypeError)
        return PerCopy(op(other, self.values) if reflected else op(self.values, other))
    return method


class PerCopy:
    """One value per copy of a batched network, for a namespace: ``namespace={"we": PerCopy([1, 2, 3]*mV)}``
    in a network of ``batch=3`` gives copy b the value ``we[b]`` (CPU backend).

    It combines with numbers, units and quantities (``PerCopy(x) * mV``, ``2 * p + 1``), value by value, and
    with another ``PerCopy`` of as many copies; everything that would make it one number (``float(p)``,
    ``p > 0``, ``np.asarray(p)``, formatting it into a string) raises a TypeError, so a per-copy value can
    never slip silently into something the copies share (connectivity, initial values, a group's size).
    Only the namespaces of the network's code read it; ``connect`` conditions, initialisers and Poisson
    input weights refuse it.
    """

    __slots__ = ("values",)
    __array_ufunc__ = None  # numpy (and Quantity) defer to our reflected operators: mV * p is a PerCopy
    __hash__ = None

    def __init__(self, values):
        if isinstance(values, PerCopy):
            values = values.values
        if not hasattr(values, "dim"):
            values = np.asarray(values, dtype=np.float64)
        if np.ndim(values) != 1 or len(values) < 1:
            raise ModelError(f"PerCopy takes a 1-d sequence of values (one per copy), not shape {np.shape(values)}")
        self.values = values

    def __len__(self):
        return len(self.values)

    def __repr__(self):
        return f"PerCopy({self.values!r})"

    __add__, __radd__ = _binary(operator.add), _binary(operator.add, True)
    __sub__, __rsub__ = _binary(operator.sub), _binary(operator.sub, True)
    __mul__, __rmul__ = _binary(operator.mul), _binary(operator.mul, True)
    __truediv__, __rtruediv__ = _binary(operator.truediv), _binary(operator.truediv, True)
    __pow__ = _binary(operator.pow)

    def __neg__(self):
        return PerCopy(-self.values)

    def __pos__(self):
        return self

    def __abs__(self):
        return PerCopy(abs(self.values))

    __float__ = __int__ = __index__ = __complex__ = _refuse("value")
    __bool__ = _refuse("truth value")
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse("order or equality")
    __array__ = _refuse("array (as which, per copy or per element?)")
    __iter__ = __getitem__ = _refuse("element to take out")
    __format__ = _refuse("text (formatted into a string, it would be a constant of the code)")


def apply(obj, B):
    """Give ``obj`` the arrays of ``B`` copies (once; values set so far go to every copy): each kind of object
    knows its own (``_take_copies``); objects without one (subgroups, Poisson inputs) have nothing per copy."""
    old = getattr(obj, "_batch", 1)
    if old == B:
        return
    if old != 1:
        raise ModelError(f"{obj.name} already belongs to a network with batch={old}; it cannot run with "
                         f"batch={B}")
    take = getattr(obj, "_take_copies", None)
    if take is not None:
        take(B)
    object.__setattr__(obj, "_batch", B)
