"""SpikeGeneratorGroup: neurons that spike at given times."""

from __future__ import annotations

import numpy as np

from ..codegen.render import render
from ..errors import ModelError
from ..runtime.schedule import check_order
from ..units import get_dimensions, second
from .base import Part, SpikeSource, VariableOwner, check_size, object_dt, object_name


class SpikeGeneratorGroup(SpikeSource, VariableOwner):
    """``N`` neurons emitting the spikes ``(indices[k], times[k])``.

    Times are rounded to the network's time step; two spikes of one neuron in
    one step are an error.  ``period``: the pattern repeats every ``period`` (a whole
    number of steps, after the last spike time), as in Brian2.

    >>> from snngen.units import ms
    >>> G = SpikeGeneratorGroup(3, [0, 2, 1], [1, 2, 5]*ms)
    """

    def __init__(self, N, indices, times, order=0, dt=None, clock=None, period=None, sorted=False, name=None):
        self._init_variables()
        self.name = object_name(name, "spikegeneratorgroup")
        self.order = check_order(order, self.name)
        self._own_dt = object_dt(dt, clock, self.name)
        self.period = 0.0 if period is None else period
        value = np.asarray(self.period, dtype=float)
        if value.shape != () or value < 0 or (value != 0 and get_dimensions(self.period) != second.dim):
            raise ModelError(f"{self.name}: period must be a time (or 0: no repetition), not {period!r}")
        self._period_steps = np.zeros(1, dtype=np.int64)  # 0: no repetition
        self.N = check_size(N, f"the size of {self.name}")
        self._spikes = np.zeros(self.N, dtype=np.int32)
        self._nspikes = np.zeros(1, dtype=np.int64)
        self._ptr = np.zeros(1, dtype=np.int64)
        self._flags = np.zeros(self.N, dtype=np.uint8)  # spiked this step (the CUDA backend's kernels)
        self.set_spikes(indices, times)
        self._frozen = True

    def set_spikes(self, indices, times):
        indices = np.asarray(indices, dtype=np.int64).ravel()
        if get_dimensions(times) != second.dim:
            raise ModelError(f"times of {self.name} must be times, they have units {get_dimensions(times)}")
        times = np.asarray(times, dtype=np.float64).ravel()
        if indices.shape != times.shape:
            raise ModelError(f"{self.name}: {len(indices)} indices but {len(times)} times")
        if len(indices) and (indices.min() < 0 or indices.max() >= self.N):
            raise ModelError(f"{self.name}: spike indices must lie in [0, {self.N})")
        if len(times) and times.min() < 0:
            raise ModelError(f"{self.name}: spike times must not be negative")
        self._indices, self._times = indices, times
        self._dt = None

    def _events(self, dt):
        if self._dt != dt:
            period = float(np.asarray(self.period))
            if period:
                steps = round(period / dt)
                if steps < 1 or abs(steps * dt - period) > 1e-4 * dt:
                    raise ModelError(f"{self.name}: the period ({period:g} s) must be a whole number of steps "
                                     f"(dt = {dt:g} s)")
                if len(self._times) and np.floor(self._times.max() / dt + 1e-3) >= steps:
                    raise ModelError(f"{self.name}: every spike time must lie before the period ({period:g} s); "
                                     f"the last is at {self._times.max():g} s")
                self._period_steps[0] = steps
            else:
                self._period_steps[0] = 0
            steps = np.floor(self._times / dt + 1e-3).astype(np.int64)
            order = np.lexsort((self._indices, steps))
            steps, idx = steps[order], self._indices[order].astype(np.int32)
            dup = (np.diff(steps) == 0) & (np.diff(idx) == 0)
            if dup.any():
                k = int(np.argmax(dup))
                raise ModelError(f"{self.name}: neuron {idx[k]} has two spikes in the step starting at "
                                 f"{steps[k] * dt:g} s; use a smaller dt or remove one")
            self._evstep, self._evidx, self._dt = steps, idx, dt
        return self._evstep, self._evidx

    def _take_copies(self, B):
        super()._take_copies(B)
        object.__setattr__(self, "_ptr", np.zeros(B, dtype=np.int64))  # each copy plays the events

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """This group's kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import spikegenerator

        return spikegenerator(self, prefix)

    def build(self, prefix, run_namespace, check_nan=False):
        part = Part()
        part.args = {f"{prefix}_spikes": lambda: self._spikes, f"{prefix}_nspikes": lambda: self._nspikes,
                     f"{prefix}_evstep": lambda: self._evstep, f"{prefix}_evidx": lambda: self._evidx,
                     f"{prefix}_ptrarr": lambda: self._ptr, f"{prefix}_period": lambda: self._period_steps}
        part.prologue = [f"{prefix}_N = {prefix}_spikes.shape[0]", f"{prefix}_ptr = {prefix}_ptrarr[0]",
                         f"{prefix}_nspk = {prefix}_nspikes[0]", f"{prefix}_P = {prefix}_period[0]"]
        part.add("groups", render("cpu/spikegenerator.py.j2", p=prefix, name=self.name), self.order, self.name)
        part.epilogue = [f"{prefix}_ptrarr[0] = {prefix}_ptr", f"{prefix}_nspikes[0] = {prefix}_nspk"]
        if self.__dict__.get("_batch", 1) > 1:  # the events are shared, each copy plays them
            part.copies = {f"{prefix}_spikes": "block", f"{prefix}_nspikes": "block", f"{prefix}_ptrarr": "block"}
        return part

    def before_run(self, net, step0, nsteps):
        old = getattr(self, "_evstep", None)
        evstep, _ = self._events(net.dt_)
        period = int(self._period_steps[0])
        self._ptr[:] = np.searchsorted(evstep, step0 % period if period else step0)
        return evstep is not old

    def get_state(self):
        return {}

    def set_state(self, state):
        pass
