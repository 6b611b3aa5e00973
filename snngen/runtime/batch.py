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
"""

from __future__ import annotations

from ..errors import ModelError


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
