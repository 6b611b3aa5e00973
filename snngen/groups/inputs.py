"""Inputs given as arrays, one row per time step, read in place by the compiled loop.

A sample's input is an array of shape ``(time, N)`` (or ``(time, batch, N)``, one input per copy of
a batched network): :class:`SpikeArrayGroup` spikes where a row is non-zero, and
``NeuronGroup.set_input(name, values)`` makes a variable take each row's values.  Row ``k`` is read
in the ``k``-th step after the array was given or after :meth:`Network.reset_state` (counting from
the first step of the next run); after the last row there is no input (no spikes; the variable is 0).
Giving a new array of the same kind (dtype, number of dimensions, per copy or not) never
recompiles, and numpy arrays are read where they are, without a copy (one that is not C-contiguous
is copied once); on the CUDA backend a CuPy array or a torch tensor on the GPU is read in place too.
"""

from __future__ import annotations

import numpy as np

from ..codegen.kernel import Kernel, elements
from ..codegen.names import internal, variable
from ..errors import ModelError
from ..runtime.schedule import check_order
from ..units import DIMENSIONLESS, get_dimensions
from .base import Part, SpikeSource, VariableOwner, check_size, object_dt, object_name


def on_device(values):
    return hasattr(values, "__cuda_array_interface__") and not isinstance(values, np.ndarray)


class InputArray:
    """One array of per-step rows (``(time, N)`` or ``(time, batch, N)``) and the step its first row
    plays at."""

    def __init__(self, owner, what):
        self.owner, self.what = owner, what
        self.values = None  # 2-D: (time, N) or (time, batch*N)
        self.per_copy = False
        self.origin = np.full(1, -1, dtype=np.int64)  # the step row 0 plays at; -1: the next run's first step
        self.replaced = False
        self.copies = 1

    def set(self, values, n):
        """Check ``values`` and keep them (without a copy where possible); True if the generated code must
        change (another dtype, or per copy where it was not)."""
        if on_device(values):
            from numba import cuda

            arr = cuda.as_cuda_array(values)
        else:
            arr = np.asarray(values)
            if arr.dtype.kind not in "biuf":
                raise ModelError(f"{self.what}: the input must be an array of numbers or booleans, not {arr.dtype}")
            if not arr.flags.c_contiguous:
                arr = np.ascontiguousarray(arr)
        shape = tuple(arr.shape)
        if len(shape) == 2 and shape[1] == n:
            copies = 1
        elif len(shape) == 3 and shape[2] == n and shape[1] >= 1:
            copies = shape[1]
            arr = arr.reshape(shape[0], shape[1] * n)
        else:
            raise ModelError(f"{self.what}: the input must have shape (time, {n}), or (time, batch, {n}) for one "
                             f"input per copy of a batched network, not {shape}")
        per_copy = copies > 1
        self.copies = copies
        kind = (np.dtype(arr.dtype).str, per_copy, on_device(values))
        changed = self.values is None or kind != self.kind
        self.values, self.per_copy, self.kind = arr, per_copy, kind
        self.origin[0] = -1
        self.replaced = True
        return changed

    def check_batch(self, batch):
        """At build: an input per copy needs as many copies in the network."""
        if self.copies > 1 and self.copies != batch:
            raise ModelError(f"{self.what}: the input has {self.copies} copies (time, {self.copies}, N), the network "
                             f"{'has ' + str(batch) if batch > 1 else 'has no batch axis'}"
                             f"{' copies' if batch > 1 else ''}: give (time, N) or (time, {batch}, N)")

    def start(self, step0):
        """At the start of a run: a new array (or a rewound one) plays from this step.  True if the array was
        replaced since the last run (the run's arguments change)."""
        if self.origin[0] < 0:
            self.origin[0] = step0
        replaced, self.replaced = self.replaced, False
        return replaced

    def rewind(self):
        self.origin[0] = -1


class SpikeArrayGroup(SpikeSource, VariableOwner):
    """``N`` neurons that spike where the rows of an array are non-zero (True, or a count > 0).

    >>> import numpy as np
    >>> X = SpikeArrayGroup(784)                                        # doctest: +SKIP
    >>> X.set_input(np.random.rand(250, 784) < 0.05)   # row k: the spikes of the k-th step  # doctest: +SKIP

    Row ``k`` gives the spikes of the ``k``-th step after :meth:`set_input` or ``Network.reset_state()``;
    after the last row the group is silent.  In a batched network the input is ``(time, batch, N)``, one
    per copy, or ``(time, N)``, the same for every copy.  The array is read in place: writing into it
    between runs changes the input without another call.
    """

    def __init__(self, N, values=None, order=0, dt=None, clock=None, name=None):
        self._init_variables()
        self.name = object_name(name, "spikearraygroup")
        self.order = check_order(order, self.name)
        self._own_dt = object_dt(dt, clock, self.name)
        self.N = check_size(N, f"the size of {self.name}")
        self._spikes = np.zeros(self.N, dtype=np.int32)
        self._nspikes = np.zeros(1, dtype=np.int64)
        self._flags = np.zeros(self.N, dtype=np.uint8)  # spiked this step (the CUDA backend's kernels)
        self._input = InputArray(self, f"the input of {self.name}")
        self._code_version = 0
        if values is not None:
            self.set_input(values)
        self._frozen = True

    def set_input(self, values):
        """The spikes of the next steps: an array ``(time, N)`` (or ``(time, batch, N)``), non-zero where a
        neuron spikes."""
        if self._input.set(values, self.N):
            self._code_version += 1

    @property
    def input(self):
        """The array being played (2-D: ``(time, N)``, or ``(time, batch*N)`` for one input per copy)."""
        return self._input.values

    def kernel(self, prefix):
        """The step's spikes from row ``_step - origin`` of the input array (none after its last row), for
        either backend."""
        return Kernel("spikearray", f"{prefix}_update", elements(f"{prefix}_N * _B"), dict(
            p=prefix, name=self.name, col="_i" if self._input.per_copy else f"_i % {prefix}_N"), emits=prefix)

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """This group's kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import spikearray

        return spikearray(self, prefix)

    def build(self, prefix, run_namespace, check_nan=False):
        if self._input.values is None:
            raise ModelError(f"{self.name} has no input: give it one with {self.name}.set_input(array)")
        if on_device(self._input.values):
            raise ModelError(f"{self.name}: a device array (CuPy, torch) is an input for backend='cuda' only")
        batch = self.__dict__.get("_batch", 1)
        self._input.check_batch(batch)
        part = Part()
        part.args = {f"{prefix}_spikes": lambda: self._spikes, f"{prefix}_nspikes": lambda: self._nspikes,
                     f"{prefix}_in": lambda: self._input.values, f"{prefix}_origin": lambda: self._input.origin}
        part.prologue = [f"{prefix}_N = {prefix}_spikes.shape[0]", f"{prefix}_nspk = {prefix}_nspikes[0]"]
        part.add("groups", self.kernel(prefix).lines("cpu"), self.order, self.name)
        part.epilogue = [f"{prefix}_nspikes[0] = {prefix}_nspk"]
        if batch > 1:
            part.copies = {f"{prefix}_spikes": "block", f"{prefix}_nspikes": "block"}
            if self._input.per_copy:
                part.copies[f"{prefix}_in"] = "col"
        return part

    def before_run(self, net, step0, nsteps):
        return self._input.start(step0)

    def rewind(self):
        self._input.rewind()

    def get_state(self):
        return {"origin": self._input.origin.copy()}

    def set_state(self, state):
        if "origin" in state:
            self._input.origin[...] = state["origin"]

def check_input_variable(group, name, values, raw):
    """The variable of ``group`` that ``set_input(name, values)`` feeds, and the values as a plain array in
    SI units (a view of ``values``)."""
    var = group.variables.get(name)
    if var is None or var.kind in ("internal", "linked"):
        from ..equations.parser import suggest

        raise ModelError(f"set_input: {group.name} has no variable '{name}' an input can set."
                         f"{suggest(name, group.variables)}")
    if "shared" in var.flags or "constant" in var.flags:
        raise ModelError(f"set_input: '{name}' of {group.name} is (shared) or (constant); an input sets one value "
                         "per neuron and step")
    if var.array.dtype.kind != "f":
        raise ModelError(f"set_input: '{name}' of {group.name} is an integer or boolean variable; an input sets "
                         "a real-valued variable")
    if not raw and not on_device(values):
        got = get_dimensions(values)
        want = var.dim if var.dim is not None else DIMENSIONLESS
        if got != want:
            raise ModelError(f"set_input: '{name}' of {group.name} has units {want}, the input has units {got} "
                             f"(give a plain array in SI units with raw=True)")
    return var


def input_args(prefix, name, inp):
    """``{array argument: getter, origin argument: getter}`` of the input feeding variable ``name`` (both
    backends name them so)."""
    return {internal(prefix, f"in_{name}"): lambda: inp.values,
            internal(prefix, f"inorigin_{name}"): lambda: inp.origin}


def input_kernel(group, prefix, name, inp):
    """The kernel setting variable ``name`` of ``group`` from row ``_step - origin`` of ``inp`` at the start of
    each step (0 after its last row), for either backend."""
    arr, origin = input_args(prefix, name, inp)
    target = variable(prefix, name)
    return Kernel("input", f"{prefix}_feed_{name}", elements(f"{prefix}_N * _B"), dict(
        name=group.name, var=name, target=target, arr=arr, origin=origin, row=internal(prefix, f"inrow_{name}"),
        n=f"{prefix}_N", col="_i" if inp.per_copy else f"_i % {prefix}_N"), writes={target})

