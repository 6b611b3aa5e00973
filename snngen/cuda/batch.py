"""The batch axis: ``Network(..., backend="cuda", batch=B)`` simulates B independent copies of
the network in the same kernels (the way a GPU wins on small networks, and how the ML layer
runs several samples at once).

What each copy has of its own: every per-neuron variable (``G.v`` becomes shape ``(B, N)``;
values set before the first run are copied to every copy), spike lists, Poisson rates
(``P.rates`` takes ``(B, N)``), delay histories, and the synaptic variables the network writes
(plastic weights, traces, clock-driven state; ``S.w`` becomes ``(B, n_synapses)``) or that
``S.batch_separate`` names.  Shared by all copies: connectivity, synaptic variables nothing
writes (fixed weights), ``(shared)`` constants, and a SpikeGeneratorGroup's events.
Random numbers: copy 0 draws exactly what the unbatched network draws; copy b > 0 draws
from independent streams (elements are numbered b*N + i).  Monitors record every copy:
``SpikeMonitor.copy`` gives each spike's copy and ``.count`` is ``(B, N)``;
``StateMonitor.v`` is ``(B, n_recorded, n_times)``; ``PopulationRateMonitor.rate`` is ``(B, n_times)``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError


def apply(obj, B):
    """Give ``obj`` the arrays of ``B`` copies (once; values set so far go to every copy)."""
    from ..groups.inputs import SpikeArrayGroup
    from ..groups.monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor
    from ..groups.neurongroup import NeuronGroup
    from ..groups.pooling import MaxPool2dGroup
    from ..groups.spikegenerator import SpikeGeneratorGroup
    from ..groups.synapses import Synapses
    from .build import per_copy_variables

    old = getattr(obj, "_batch", 1)
    if old == B:
        return
    if old != 1:
        raise ModelError(f"{obj.name} already belongs to a network with batch={old}; it cannot run with "
                         f"batch={B}")
    if isinstance(obj, (NeuronGroup, SpikeGeneratorGroup, SpikeArrayGroup, MaxPool2dGroup)):
        n = obj.N
        for var in getattr(obj, "variables", {}).values():
            if "shared" not in var.flags and var.kind != "linked" and var._array.ndim == 1:
                var.array = np.ascontiguousarray(np.tile(var._array, (B, 1)))
        object.__setattr__(obj, "_spikes", np.zeros(B * n, dtype=np.int32))
        object.__setattr__(obj, "_flags", np.zeros(B * n, dtype=np.uint8))
        object.__setattr__(obj, "_nspikes", np.zeros(B, dtype=np.int64))
        if isinstance(obj, SpikeGeneratorGroup):
            object.__setattr__(obj, "_ptr", np.zeros(B, dtype=np.int64))
        if isinstance(obj, MaxPool2dGroup):
            object.__setattr__(obj, "_hit", np.zeros(B * len(obj.group), dtype=np.uint8))
        if getattr(obj, "_rates", None) is not None:
            object.__setattr__(obj, "_rates_array", np.tile(obj._rates_array, B))
    elif isinstance(obj, Synapses):
        for name in per_copy_variables(obj):
            var = obj.variables[name]
            var.array = np.ascontiguousarray(np.tile(var._array, (B, 1)))
    elif isinstance(obj, SpikeMonitor):
        if obj._n[0]:
            raise ModelError(f"{obj.name} has recorded spikes already: make a new monitor for a batched network")
        obj._count = np.zeros((B, obj.source.N), dtype=np.int64)
    elif isinstance(obj, StateMonitor):
        if obj._n[0]:
            raise ModelError(f"{obj.name} has recorded values already: make a new monitor for a batched network")
        obj._buffers = {v: np.zeros((0, B * len(obj.indices))) for v in obj.record_variables}
    elif isinstance(obj, PopulationRateMonitor):
        if obj._n[0]:
            raise ModelError(f"{obj.name} has recorded already: make a new monitor for a batched network")
    object.__setattr__(obj, "_batch", B)
