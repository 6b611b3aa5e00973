"""Linked variables: ``I : amp (linked)`` in a group's model reads another group's variable.

``G.I = linked_var(H, "x")`` (or ``linked_var(H.x)``) makes ``I`` of ``G`` the ``x`` of ``H``: not a
copy, the same array, read by ``G``'s compiled code at every step (Brian2's ``linked_var``).  ``H``
must have as many neurons as ``G``, or one (then every neuron of ``G`` reads it), or ``index``
gives, for each neuron of ``G``, the neuron of ``H`` it reads.  A linked variable is read-only.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError


class LinkedVariable:
    """A variable of ``group`` to be linked into another group (what :func:`linked_var` returns)."""

    def __init__(self, group, name, index=None):
        variables = getattr(group, "variables", None)
        eqs = getattr(group, "equations", None)
        if eqs is not None and name in eqs.subexpr_names:
            raise ModelError(f"linked_var: '{name}' of {group.name} is a subexpression; linking to a subexpression "
                             "is not supported yet: link its variables and write the expression in the linking "
                             "group's model")
        if variables is None or name not in variables:
            raise ModelError(f"linked_var: {getattr(group, 'name', group)!r} has no variable '{name}'")
        if variables[name].kind == "linked":
            raise ModelError(f"linked_var: '{name}' of {group.name} is itself linked; link the original variable")
        self.group, self.name = group, name
        self.index = None if index is None else np.asarray(index, dtype=np.int64)
        if self.index is not None and len(self.index) and (self.index.min() < 0 or self.index.max() >= len(group)):
            raise ModelError(f"linked_var: index values must lie in [0, {len(group)})")

    @property
    def variable(self):
        return self.group.variables[self.name]

    def check(self, owner, var):
        """Raise unless this can be linked as ``var`` of ``owner``."""
        source = self.variable
        if source.dim != var.dim:
            raise ModelError(f"cannot link '{var.name}' of {owner.name} (units {var.dim}) to '{self.name}' of "
                             f"{self.group.name} (units {source.dim})")
        n = len(self.group) if "shared" not in source.flags else 1
        if self.index is not None:
            if len(self.index) != owner.N:
                raise ModelError(f"cannot link '{var.name}' of {owner.name}: the index has {len(self.index)} "
                                 f"entries, the group {owner.N} neurons")
        elif n not in (1, owner.N):
            raise ModelError(f"cannot link '{var.name}' of {owner.name} ({owner.N} neurons) to '{self.name}' of "
                             f"{self.group.name} ({n} values): give index= (which neuron each one reads)")
        self._size = owner.N

    @property
    def single(self):
        """True if every neuron reads one value."""
        return self.index is None and (len(self.group) == 1 or "shared" in self.variable.flags)

    def values(self):
        """The values the linking group reads now, one per neuron (a copy)."""
        src = self.variable.array
        if self.single:
            return np.full(self._size, src.reshape(-1)[0], dtype=src.dtype)
        return src[self.index] if self.index is not None else src.copy()


def linked_var(group_or_variable, name=None, index=None):
    """Brian2's ``linked_var``: ``G.I = linked_var(H, "x")`` or ``linked_var(H.x)``, optionally with ``index``."""
    owner = getattr(group_or_variable, "_owner", None)
    if owner is not None and name is None:  # H.x, a view of the variable
        return LinkedVariable(owner, group_or_variable._var.name, index)
    if name is None:
        raise ModelError("linked_var(group, name): give the name of the variable to link")
    return LinkedVariable(group_or_variable, name, index)
