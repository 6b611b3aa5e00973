"""``brian2.units``: every unit name and the unit helpers (those of :mod:`snngen.units`)."""

from ...units import *  # noqa: F403
from ...units import __all__  # noqa: F401
