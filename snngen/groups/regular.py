"""``G.run_regularly(code, dt)``: statements compiled into the network's loop, run every ``dt``."""

from __future__ import annotations

import numpy as np

from ..equations.parser import parse_statements, suggest
from ..errors import EquationError, ModelError
from ..runtime.schedule import check_order, check_when, every_steps
from ..units import get_dimensions, second
from .base import code_temporaries, object_name


class RegularOperation:
    """Statements a group runs for each of its elements every ``dt`` (Brian2's ``run_regularly``).

    It belongs to its group: it runs in every network the group runs in, at ``when`` (a slot of
    :mod:`snngen.runtime.schedule`) with ``order``.  Statements writing only ``(shared)`` variables
    run once per call instead of once per element.
    """

    def __init__(self, group, code, dt=None, when="start", order=0, name=None, event=None, span=None,
                 synaptic=False):
        self.group = group
        self.event = event  # run for the neurons that had this event (run_on_event), not every dt
        self.span = span  # (start, stop): a subgroup's neurons only, with i and N the subgroup's
        self.name = object_name(name, f"{group.name}_run_regularly")
        self.when = check_when(when, self.name)
        self.order = check_order(order, self.name)
        if dt is not None:
            if get_dimensions(dt) is not second.dim:
                raise ModelError(f"{self.name}: dt must be a time, it has units {get_dimensions(dt)}")
            if not float(np.asarray(dt)) > 0:
                raise ModelError(f"{self.name}: dt must be positive")
        self.dt = dt
        if not isinstance(code, str):
            raise ModelError(f"{self.name}: the code must be a string of statements")
        self.code = code
        self.statements = parse_statements(code)
        if synaptic:  # statements for every synapse, which may write pre- and postsynaptic variables: the
            self.scalar, self.vector = [], self.statements  # Synapses object checks them
            return
        variables = group.variables
        temps = code_temporaries(self.statements, variables, self.name)
        for target, _op, parsed in self.statements:
            if target in temps:
                continue
            var = variables.get(target)
            if var is None or var.kind == "internal":
                raise EquationError(f"{self.name} assigns to '{target}', which is not a variable of {group.name}."
                                    f"{suggest(target, variables)}", text=parsed.line_text, line=parsed.line,
                                    token=target)
            if "constant" in var.flags:
                raise EquationError(f"{self.name} assigns to '{target}', which is (constant)",
                                    text=parsed.line_text, line=parsed.line, token=target)
        # as in Brian2: the statements writing (shared) variables come first and run once; the others run
        # for each element, after them
        is_shared = [t not in temps and "shared" in variables[t].flags for t, _, _ in self.statements]
        k = next((n for n, shared in enumerate(is_shared) if not shared), len(is_shared))
        if any(is_shared[k:]):
            target = self.statements[k + is_shared[k:].index(True)][0]
            raise ModelError(f"{self.name}: '{target}' is (shared): statements writing (shared) variables must "
                             "come before the others (they run once, the others once per element)")
        self.scalar, self.vector = self.statements[:k], self.statements[k:]

    def every(self, dt):
        """Steps of a network with time step ``dt`` between two runs of the statements."""
        return every_steps(self.name, self.dt, dt)

    def __repr__(self):
        return f"RegularOperation({self.name!r}, {self.code!r}, dt={self.dt!r})"
