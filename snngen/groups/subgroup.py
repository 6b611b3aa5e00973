"""Subgroups: ``G[a:b]`` is neurons ``a`` to ``b - 1`` of ``G``, usable wherever a group is.

A subgroup stores nothing of its own: its variables are views of its group's arrays (``Pe.v =
...`` sets ``G.v[a:b]``), ``i`` counts from 0 within it and ``N`` is its size (as in Brian2).  Made a
source or target of synapses, recorded by a monitor or fed by a PoissonInput, it takes its spikes
from its group's in each step (in the ``thresholds`` slot, after the group's own), so all that code
sees a group of its own size.  A network includes the subgroups its objects use by itself; the
group must be in the network.
"""

from __future__ import annotations

import numpy as np

from ..codegen.names import variable
from ..codegen.render import render
from ..errors import ModelError
from ..runtime.random import new_stream
from .base import Part, SpikeSource, Variable, VariableOwner, check_size, object_name, register


class _SubVariable(Variable):
    """A variable of a subgroup: the slice of the group's variable (a view, so writes go through)."""

    __slots__ = ("parent", "start", "stop")

    def __init__(self, parent, start, stop):
        super().__init__(parent.name, parent.dim, None, parent.kind, parent.flags)
        self.parent, self.start, self.stop = parent, start, stop

    @property
    def array(self):
        array = self.parent.array
        if "shared" in self.flags:
            return array
        return array[..., self.start:self.stop]

    @array.setter
    def array(self, value):
        self.array[...] = value

    def overwrite(self, values):
        self.array[...] = values


class Subgroup(SpikeSource, VariableOwner):
    """Neurons ``start`` to ``stop - 1`` of ``group`` (what ``group[start:stop]`` returns)."""

    def _take_copies(self, B):
        """Nothing: a subgroup's arrays are its group's."""

    def __init__(self, group, start, stop, name=None):
        self._init_variables()
        if isinstance(group, Subgroup):
            group, start, stop = group.group, group.start + start, group.start + stop
        self.group = group
        self.start, self.stop = int(start), int(stop)
        self.name = object_name(name, f"{group.name}_subgroup")
        self.N = check_size(self.stop - self.start, f"the size of {self.name}")
        self.order = getattr(group, "order", 0) + 1  # its spikes are taken after its group's thresholds
        self._stream = new_stream()
        self._n_inits = 0
        variables = self.__dict__["variables"]
        for name, var in group.variables.items():
            variables[name] = _SubVariable(var, self.start, self.stop)
        self._spikes = np.zeros(self.N, dtype=np.int32)
        self._nspikes = np.zeros(1, dtype=np.int64)
        register(self)
        self._frozen = True

    # -- what code and users see of the group ---------------------------------------------------
    @property
    def equations(self):
        return getattr(self.group, "equations", None)

    @property
    def namespace(self):
        return getattr(self.group, "namespace", None)

    def __repr__(self):
        return f"<Subgroup {self.name!r} of {self.group.name!r} from {self.start} to {self.stop}>"

    def run_regularly(self, code, dt=None, when="start", order=0, name=None):
        """The group's run_regularly for this subgroup's neurons (``i`` and ``N`` the subgroup's)."""
        from .regular import RegularOperation

        op = RegularOperation(self.group, code, dt, when, order, name or f"{self.name}_run_regularly*",
                              span=(self.start, self.stop))
        self.group._add_code(op)
        return op

    def own_names(self):
        return self.group.own_names()

    def dimension_lookup(self, externals):
        return self.group.dimension_lookup(externals)

    def code_builder(self, prefix, externals, noise_names=(), register=True):
        return self.group.code_builder(prefix, externals, noise_names, register)

    @property
    def _externals(self):
        return getattr(self.group, "_externals", {})

    # -- the network's code -----------------------------------------------------------------------
    def build(self, prefix, run_namespace, check_nan=False):
        group = self.group
        gp = getattr(group, "_prefix", None)
        if gp is None or getattr(group, "_network", None) is not self._network:
            raise ModelError(f"{self.name} is part of {group.name}, which is not in the network")
        part = Part()
        part.args = {variable(prefix, name): (lambda var=var: var.array) for name, var in self.variables.items()
                     if var.kind != "linked"}
        part.args.update({f"{prefix}_spikes": lambda: self._spikes, f"{prefix}_nspikes": lambda: self._nspikes})
        for name, ext in self._externals.items():  # what code reading this subgroup's subexpressions uses
            if ext.kind in ("scalar", "array"):
                part.args[f"{prefix}x_{name}"] = lambda ext=ext: ext.value
        part.prologue = [f"{prefix}_N = {prefix}_spikes.shape[0]", f"{prefix}_nspk = {prefix}_nspikes[0]"]
        part.add("thresholds", render("cpu/subgroup.py.j2", p=prefix, gp=gp, name=self.name, start=self.start,
                                      stop=self.stop), self.order, self.name)
        part.epilogue = [f"{prefix}_nspikes[0] = {prefix}_nspk"]
        return part


def subgroup(group, item):
    """``group[item]``: a :class:`Subgroup` for a slice (step 1) or a single index."""
    n = len(group)
    if isinstance(item, (int, np.integer)):
        if not -n <= item < n:
            raise IndexError(f"{group.name} has {n} neurons; index {item} is out of range")
        item = slice(item % n, item % n + 1)
    if not isinstance(item, slice):
        raise ModelError(f"a subgroup is made with a slice, group[a:b], not {item!r}")
    start, stop, step = item.indices(n)
    if step != 1:
        raise ModelError("a subgroup must be contiguous (group[a:b] with no step)")
    if start >= stop:
        raise ModelError(f"{group.name}[{start}:{stop}] would be empty")
    return Subgroup(group, start, stop)
