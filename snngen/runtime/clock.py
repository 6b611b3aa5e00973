"""The default clock: the time step of networks that are not given one, and their current time.

``defaultclock.dt = 0.05*ms`` before a run sets the step of every network made without ``dt=``
(Brian2's ``defaultclock``); ``defaultclock.t`` is the time such a network has reached, read
during a run (in a ``network_operation``) or after it.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..units import get_dimensions, ms, second


class Clock:
    """A time step and the time reached with it."""

    def __init__(self, dt):
        self.dt = dt
        self._t_ = 0.0

    @property
    def dt(self):
        return self._dt

    @dt.setter
    def dt(self, value):
        if get_dimensions(value) is not second.dim:
            raise ModelError(f"dt must be a time, it has units {get_dimensions(value)}")
        if not float(np.asarray(value)) > 0:
            raise ModelError("dt must be positive")
        self._dt = value

    @property
    def dt_(self):
        return float(np.asarray(self._dt))

    @property
    def t(self):
        """The time reached by the networks using this clock."""
        return self._t_ * second

    @property
    def t_(self):
        return self._t_

    def __repr__(self):
        return f"Clock(dt={self._dt!r}, t={self.t!r})"


defaultclock = Clock(0.1 * ms)
