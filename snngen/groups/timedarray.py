"""TimedArray: a tabulated input ``I(t)`` or ``I(t, i)`` usable inside equations."""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..units import get_dimensions, second


class TimedArray:
    """Values sampled every ``dt``: ``values[k]`` holds from ``k*dt`` to ``(k+1)*dt``.

    1-D values give a function of time, ``I(t)``; 2-D values (time x neuron)
    a function of time and index, ``I(t, i)``.  Past the end the last value
    holds.

    >>> from snngen.units import nA, ms
    >>> I = TimedArray([0, 1, 0] * nA, dt=10*ms)
    >>> G = NeuronGroup(1, "dv/dt = (R*I(t) - v)/tau : volt")   # doctest: +SKIP
    """

    def __init__(self, values, dt, name=None):
        self.dim = get_dimensions(values)
        self.values = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
        if self.values.ndim not in (1, 2) or self.values.shape[0] == 0:
            raise ModelError("TimedArray values must be a non-empty 1-D (time) or 2-D (time x index) array")
        dt_dim = get_dimensions(dt)
        if dt_dim != get_dimensions(second):
            raise ModelError(f"TimedArray dt must be a time, it has units {dt_dim}")
        self.dt = float(np.asarray(dt))
        if self.dt <= 0:
            raise ModelError("TimedArray dt must be positive")
        self.name = name

    @property
    def nargs(self):
        return self.values.ndim

    def __call__(self, t, i=None):
        """The values at time(s) ``t`` (and index ``i`` for 2-D values), from Python: the rule of model
        code (:meth:`code`) with the default clock's step."""
        from ..runtime.clock import defaultclock
        from ..units import Quantity

        if get_dimensions(t) != get_dimensions(second):
            raise ModelError(f"a TimedArray is called with a time, not {t!r}")
        k = np.clip(np.floor((np.asarray(t, dtype=float) + float(defaultclock.dt) / 16) / self.dt).astype(np.int64),
                    0, self.values.shape[0] - 1)
        if (i is None) != (self.nargs == 1):
            raise ModelError(f"this TimedArray takes {self.nargs} argument(s)")
        out = self.values[k] if i is None else self.values[k, np.asarray(i, dtype=np.int64)]
        return out if self.dim.is_dimensionless else Quantity(out, self.dim)

    def code(self, array_name, dt_name, args):
        """Numba code for a call with the printed ``args``.

        The sample ``t`` falls in, with a tolerance of 1/16 of the simulation step ``dt`` against
        rounding: a sample starts exactly at its step, as in Brian2 (which rounds ``t`` to a grid of
        1/16 to 1/8 of the step, then floors).  A tolerance of a fraction of the *table's* dt (0.001
        of it, as here before) read a table of 2.5 s samples five 0.5 ms steps early."""
        if len(args) != self.nargs:
            raise ModelError(f"this TimedArray takes {self.nargs} argument(s) (t{', i' if self.nargs == 2 else ''}), "
                             f"got {len(args)}")
        k = f"min(max(int(math.floor((({args[0]}) + 0.0625*dt)/{dt_name})), 0), {array_name}.shape[0] - 1)"
        if self.nargs == 1:
            return f"{array_name}[{k}]"
        return f"{array_name}[{k}, int({args[1]})]"
