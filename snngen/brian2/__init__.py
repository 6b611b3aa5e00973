"""Brian2's namespace on snngen: replace ``from brian2 import *`` by ``from snngen.brian2 import *``.

Like ``from brian2 import *``, this gives the simulator's names, every unit name, and numpy's and
matplotlib's pylab names (``plot``, ``linspace``, ``mean`` ...), so a Brian2 script runs with only
its import lines changed (``import brian2 as b2`` -> ``import snngen.brian2 as b2``; the
submodules ``brian2.units``, ``brian2.units.constants``, ``brian2.devices.device`` and
``brian2.core.functions`` exist here too).  ``python -m snngen.brian2 script.py`` runs a Brian2
script unmodified.

What differs from Brian2: ``prefs`` takes Brian2's preference names (``prefs.codegen.target``
...), and those about code generation change nothing, since snngen always compiles with Numba;
``set_device("cpp_standalone")`` is accepted and runs the same compiled code (see
:mod:`snngen.brian2.devices.device`).
"""

from __future__ import annotations

try:  # Brian2 exports pylab's names (numpy's and matplotlib.pyplot's); without matplotlib, numpy's
    from pylab import *  # noqa: F403
except ImportError:  # pragma: no cover - matplotlib is optional
    from numpy import *  # noqa: F403
import numpy  # noqa: F401  (Brian2's star import gives the name numpy too)
import numpy as np  # noqa: F401

from .. import (  # noqa: F401
    Clock,
    EquationError,
    Equations,
    EventMonitor,
    ModelError,
    Network,
    NetworkOperation,
    NeuronGroup,
    PoissonGroup,
    PoissonInput,
    PopulationRateMonitor,
    SimulationError,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    UnitError,
    collect,
    defaultclock,
    linked_var,
    network_operation,
    restore,
    run,
    seed,
    start_scope,
    stop,
    store,
)
from ..groups.subgroup import Subgroup  # noqa: F401
from ..units import *  # noqa: F403
from ..units import DimensionMismatchError  # noqa: F401
from .devices.device import device, get_device, reinit_devices, reset_device, set_device  # noqa: F401
from .extras import (  # noqa: F401
    BrianLogger,
    Cylinder,
    Morphology,
    Section,
    Soma,
    SpatialNeuron,
    codegen,
    magic_network,
    profiling_summary,
)
from .preferences import prefs  # noqa: F401

MagicError = ModelError  # what Brian2 raises when the magic run() cannot tell what to simulate
