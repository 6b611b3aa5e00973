"""snngen: spiking neural networks from equation strings to compiled Numba loops.

>>> import snngen as sg
>>> from snngen.units import mV, ms
>>> G = sg.NeuronGroup(100, "dv/dt = (v_rest - v)/tau : volt", threshold="v > v_th",
...                    reset="v = v_rest", namespace=dict(v_rest=-65*mV, tau=10*ms, v_th=-50*mV))
"""

__version__ = "0.1.0"

import os as _os

# Numba's parallel loops run on OpenMP (libgomp), whose idle threads spin by default.  When another
# process keeps a core busy, each parallel region then waits for a descheduled spinner: a 1,000-neuron
# network measured 15 s instead of 0.06 s for 1,000 steps on 2 cores.  Sleeping idle threads cost a
# few microseconds per region instead.  Set OMP_WAIT_POLICY yourself (before importing snngen or
# numba) to choose otherwise.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .equations import Equations  # noqa: E402
from .errors import EquationError, ModelError, SimulationError, UnitError  # noqa: E402
from .groups.base import start_scope  # noqa: E402
from .groups.geometry import conv2d, local2d  # noqa: E402
from .groups.inputs import SpikeArrayGroup  # noqa: E402
from .groups.linked import linked_var  # noqa: E402
from .groups.monitors import EventMonitor, PopulationRateMonitor, SpikeMonitor, StateMonitor  # noqa: E402
from .groups.neurongroup import NeuronGroup, PoissonGroup  # noqa: E402
from .groups.poissoninput import PoissonInput  # noqa: E402
from .groups.pooling import MaxPool2dGroup  # noqa: E402
from .groups.spikegenerator import SpikeGeneratorGroup  # noqa: E402
from .groups.synapses import Synapses  # noqa: E402
from .groups.timedarray import TimedArray  # noqa: E402
from .prefs import prefs  # noqa: E402
from .runtime.clock import Clock, defaultclock  # noqa: E402
from .runtime.magic import collect, restore, run, store  # noqa: E402
from .runtime.network import Network  # noqa: E402
from .runtime.operations import NetworkOperation, network_operation, stop  # noqa: E402
from .runtime.random import seed  # noqa: E402

__all__ = [
    "Equations", "EquationError", "ModelError", "SimulationError", "UnitError",
    "NeuronGroup", "PoissonGroup", "PoissonInput", "linked_var", "SpikeGeneratorGroup", "SpikeArrayGroup",
    "Synapses", "TimedArray", "conv2d", "local2d", "MaxPool2dGroup",
    "SpikeMonitor", "EventMonitor", "StateMonitor", "PopulationRateMonitor",
    "Network", "run", "seed", "prefs", "defaultclock", "Clock", "network_operation", "NetworkOperation", "stop",
    "start_scope", "collect", "store", "restore",
]  # fmt: skip

from .runtime import warmup as _warmup  # noqa: E402

_warmup.start()
