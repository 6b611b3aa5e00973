"""``brian2.core.functions``: ``timestep`` for Python code (model strings have their own)."""

import numpy as np

from ...units import get_dimensions, second

__all__ = ["timestep"]


def timestep(t, dt):
    """The integer time step of time ``t`` with step ``dt``: ``int((t + 1e-3*dt)/dt)`` (Brian2's rounding)."""
    for value, what in ((t, "t"), (dt, "dt")):
        if get_dimensions(value) is not second.dim:
            raise TypeError(f"timestep(): {what} must be a time")
    t, dt = np.asarray(t, dtype=float), float(np.asarray(dt))
    return np.asarray((t + 1e-3 * dt) / dt, dtype=np.int64)[()]
