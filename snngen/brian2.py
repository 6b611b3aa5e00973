"""Brian2's namespace on snngen: replace ``from brian2 import *`` by ``from snngen.brian2 import *``.

Like ``from brian2 import *``, this gives the simulator's names, every unit name, and
numpy's and matplotlib's pylab names (``plot``, ``linspace``, ``mean`` ...), so a Brian2
script runs with only its import line changed.  ``python -m snngen.brian2 script.py``
runs a script unmodified: its ``import brian2`` / ``from brian2 import *`` then load this
module.
"""

from __future__ import annotations

try:  # Brian2 exports pylab's names (numpy's and matplotlib.pyplot's); without matplotlib, numpy's
    from pylab import *  # noqa: F403
except ImportError:  # pragma: no cover - matplotlib is optional
    from numpy import *  # noqa: F403
import numpy as np  # noqa: F401

from . import (  # noqa: F401
    Clock,
    EquationError,
    Equations,
    ModelError,
    Network,
    NetworkOperation,
    NeuronGroup,
    PoissonGroup,
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
    network_operation,
    prefs,
    restore,
    run,
    seed,
    start_scope,
    stop,
    store,
)
from .groups.linked import linked_var  # noqa: F401
from .units import *  # noqa: F403,E402
