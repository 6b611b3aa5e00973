"""Ready networks (BindsNET's ``bindsnet.models``), with BindsNET's signatures and defaults."""

from __future__ import annotations

import numpy as np

from .learning import PostPre
from .network import Network
from .nodes import DiehlAndCookNodes, Input, LIFNodes
from .topology import Connection

__all__ = ["DiehlAndCook2015"]


class DiehlAndCook2015(Network):
    """The spiking network of Diehl & Cook (2015), Front Comput Neurosci 9:99, as BindsNET builds it.

    Layers ``X`` (``n_inpt`` inputs, traces with tau 20 ms), ``Ae`` (``n_neurons`` :class:`DiehlAndCookNodes`:
    rest -65, reset -60, threshold ``exc_thresh`` + theta, refractory 5 ms, tau 100 ms, traces 20 ms,
    ``theta_plus``, ``tc_theta_decay``, one spike per step) and ``Ai`` (``n_neurons`` LIF nodes: rest -60,
    reset -45, threshold ``inh_thresh``, tau 10 ms, refractory 2 ms).  ``X -> Ae``: weights ``0.3 U(0, 1)``
    learned with :class:`PostPre` (``nu``), kept in ``[wmin, wmax]``, each column normalised to ``norm``
    after each run; ``Ae -> Ai``: ``exc`` one to one; ``Ai -> Ae``: ``-inh`` to all the others.

    The weights are drawn from numpy's global generator (``np.random.seed``), or from ``seed`` when given
    (which also seeds the spikes drawn inside the loop).
    """

    def __init__(self, n_inpt, n_neurons=100, exc=22.5, inh=17.5, dt=1.0, nu=(1e-4, 1e-2), reduction=None,
                 wmin=0.0, wmax=1.0, norm=78.4, theta_plus=0.05, tc_theta_decay=1e7, inpt_shape=None,
                 exc_thresh=-52.0, inh_thresh=-40.0, batch_size=1, backend="cpu", dtype="float32", seed=None,
                 one_spike=True, batch_sync="step"):
        super().__init__(dt=dt, batch_size=batch_size, backend=backend, dtype=dtype, seed=seed,
                         batch_sync=batch_sync)
        self.n_inpt, self.n_neurons = int(n_inpt), int(n_neurons)
        self.exc, self.inh, self.norm = float(exc), float(inh), norm
        self.inpt_shape = inpt_shape
        rng = np.random.default_rng(seed) if seed is not None else np.random.mtrand._rand
        x = Input(n=self.n_inpt, shape=inpt_shape, traces=True, tc_trace=20.0)
        ae = DiehlAndCookNodes(n=self.n_neurons, traces=True, rest=-65.0, reset=-60.0, thresh=exc_thresh,
                               refrac=5.0, tc_decay=100.0, tc_trace=20.0, theta_plus=theta_plus,
                               tc_theta_decay=tc_theta_decay, one_spike=one_spike)
        ai = LIFNodes(n=self.n_neurons, traces=False, rest=-60.0, reset=-45.0, thresh=inh_thresh, tc_decay=10.0,
                      refrac=2.0, tc_trace=20.0)
        w = 0.3 * (rng.random((self.n_inpt, self.n_neurons)) if isinstance(rng, np.random.Generator)
                   else rng.random_sample((self.n_inpt, self.n_neurons)))
        input_exc = Connection(x, ae, w=w, update_rule=PostPre, nu=nu, reduction=reduction, wmin=wmin, wmax=wmax,
                               norm=norm)
        eye = np.eye(self.n_neurons)
        exc_inh = Connection(ae, ai, w=self.exc * eye, wmin=0.0, wmax=self.exc)
        inh_exc = Connection(ai, ae, w=-self.inh * (1.0 - eye), wmin=-self.inh, wmax=0.0)
        self.add_layer(x, name="X")
        self.add_layer(ae, name="Ae")
        self.add_layer(ai, name="Ai")
        self.add_connection(input_exc, source="X", target="Ae")
        self.add_connection(exc_inh, source="Ae", target="Ai")
        self.add_connection(inh_exc, source="Ai", target="Ae")
