"""Python called during a run: ``network_operation`` (Brian2's), and ``stop()``.

A network operation is a Python function called every ``dt`` of simulated time.  The
compiled loop runs the steps between two calls in one go; at a call it returns to Python,
calls the function (which may read and change any variable, or call :func:`stop`) and goes
on.  Operations run at the start of a step (``when="start"``, the default, or
``"before_start"``/``"after_start"``) or after its end (``"before_end"``, ``"end"``,
``"after_end"``), ordered by ``order`` and name among themselves.
"""

from __future__ import annotations

import inspect

from ..errors import ModelError
from ..units import get_dimensions, second
from .schedule import SLOTS, check_order, check_when, every_steps

_START = {"before_start", "start", "after_start"}
_END = {"before_end", "end", "after_end"}
_running = []  # the networks running now (innermost last), for stop()


class NetworkOperation:
    """``function`` called every ``dt`` during a run (every step when ``dt`` is None).

    A function with one parameter is called with the current time ``t`` (a Quantity).
    """

    def __init__(self, function, dt=None, when="start", order=0, name=None):
        from ..groups.base import object_name, register

        if not callable(function):
            raise ModelError(f"network_operation needs a function, not {type(function).__name__}")
        self.function = function
        self.name = object_name(name, "networkoperation")
        self.when = check_when(when, self.name)
        if self.when not in _START | _END:
            raise ModelError(f"{self.name}: a network operation runs at the start or at the end of a step "
                             f"(when= one of {sorted(_START | _END)}), not in the middle ({when!r})")
        self.order = check_order(order, self.name)
        if dt is not None and get_dimensions(dt) is not second.dim:
            raise ModelError(f"{self.name}: dt must be a time, it has units {get_dimensions(dt)}")
        self.dt = dt
        params = [p for p in inspect.signature(function).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
        if len(params) > 1:
            raise ModelError(f"{self.name}: a network operation takes no argument or one (the time t), "
                             f"{function.__name__} takes {len(params)}")
        self._wants_t = len(params) == 1
        self.__wrapped__ = function
        register(self)

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def __repr__(self):
        return f"NetworkOperation({getattr(self.function, '__name__', self.function)!r}, name={self.name!r})"

    # -- what the network asks ------------------------------------------------------------
    @property
    def at_start(self):
        return self.when in _START

    def every(self, dt):
        """Steps of the network (time step ``dt``) between two calls."""
        return every_steps(self.name, self.dt, dt)

    def key(self):
        return (SLOTS.index(self.when), self.order, self.name)

    def call(self, t):
        if self._wants_t:
            self.function(t * second)
        else:
            self.function()


def network_operation(*args, dt=None, when="start", order=0, name=None):
    """Brian2's decorator: ``@network_operation`` or ``@network_operation(dt=1*ms)`` over a function
    makes it a :class:`NetworkOperation` (``run()`` finds it in the caller's scope; add it to a
    :class:`Network` like any object)."""
    if len(args) == 1 and callable(args[0]):
        return NetworkOperation(args[0], dt=dt, when=when, order=order, name=name)
    if args:
        raise ModelError("network_operation takes a function, or keyword arguments (dt=, when=, order=, name=)")

    def decorate(function):
        return NetworkOperation(function, dt=dt, when=when, order=order, name=name)

    return decorate


def stop():
    """Stop the network that is running now at the end of the current step (called from a
    network operation); the ``run()`` call returns."""
    if not _running:
        raise ModelError("stop() stops a running network: call it from a network operation")
    _running[-1]._stop_requested = True
