"""The order of the work in one time step: Brian2's schedule, slot by slot.

A step runs the slots ``start, groups, thresholds, synapses, resets, end``, each with a
``before_`` and an ``after_`` slot around it.  Within a slot, pieces of work run by
``(order, name)``, as Brian2 sorts them, so that a network gives Brian2's results step for
step.  The names are Brian2's too: a group's state update is ``<group>_stateupdater``, its
reset ``<group>_spike_resetter``, a synapse object's pathways ``<synapses>_pre`` (order -1)
and ``<synapses>_post`` (order 1), a ``(summed)`` variable ``<synapses>_summed_variable_<var>``
(order of its target - 1), a spike monitor is in ``thresholds`` with order 1.

snngen updates a group and tests its threshold in one loop (``groups``); Brian2 tests
thresholds in the next slot.  The results are the same: nothing between the two reads or
writes a group's variables.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError

BASE = ("start", "groups", "thresholds", "synapses", "resets", "end")
SLOTS = tuple(f"{prefix}{slot}" for slot in BASE for prefix in ("before_", "", "after_"))


def check_when(when, owner):
    """``when`` must be a slot of the schedule."""
    if when not in SLOTS:
        from ..equations.parser import suggest

        raise ModelError(f"{owner}: when={when!r} is not a slot of the schedule.{suggest(str(when), SLOTS)} "
                         f"Slots: {', '.join(SLOTS)}")
    return when


def check_order(order, owner):
    if isinstance(order, bool) or not isinstance(order, int):
        try:
            if float(order) != int(order):
                raise ValueError
            order = int(order)
        except (TypeError, ValueError):
            raise ModelError(f"{owner}: order must be an integer, not {order!r}") from None
    return order


def sort_key(slot, order, name):
    """Where a piece of work runs in a step."""
    return (SLOTS.index(slot), order, name)


def every_steps(name, own_dt, dt):
    """Steps of a network with time step ``dt`` (seconds) between two runs of an operation ``name`` that
    runs every ``own_dt`` (a time; None: every step); ``own_dt`` must be a whole number of steps."""
    if own_dt is None:
        return 1
    value = float(np.asarray(own_dt))
    k = int(round(value / dt))
    if k < 1 or abs(k * dt - value) > 1e-9 * k * dt:
        raise ModelError(f"{name}: its dt ({own_dt}) must be a multiple of the network's dt ({dt:g} s)")
    return k
