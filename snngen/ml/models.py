"""Ready networks (BindsNET's ``bindsnet.models``), with BindsNET's signatures and defaults.

- :class:`TwoLayerNetwork`: ``X -> Y`` (LIF nodes); Hazan et al. (2018), Front Neuroinform 12:89.
- :class:`DiehlAndCook2015`: ``X -> Ae``, ``Ae -> Ai``, ``Ai -> Ae``; Diehl & Cook (2015), Front Comput Neurosci 9:99.
- :class:`DiehlAndCook2015v2`: ``X -> Y``, ``Y -> Y`` (the inhibitory layer folded into a recurrent connection).
- :class:`IncreasingInhibitionNetwork`: ``X -> Y``, ``Y -> Y`` growing with the distance on a grid (SOM-LM-SNN);
  Hazan et al. (2018), IJCNN.
- :class:`LocallyConnectedNetwork`: ``X -> Y`` locally connected, ``Y -> Y`` between the filters of a location;
  Saunders et al. (2019), Neural Networks 119:332.

Every network takes, beyond BindsNET's arguments, ``batch_size``, ``backend``, ``dtype``, ``seed`` and
``batch_sync`` (see :class:`~snngen.ml.Network`); the ones with :class:`DiehlAndCookNodes` take ``one_spike``
too.  The initial weights are drawn from numpy's global generator (``np.random.seed``), or from ``seed`` when
given (which also seeds the random numbers drawn inside the loop).
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from .learning import PostPre
from .network import Network
from .nodes import DiehlAndCookNodes, Input, LIFNodes
from .topology import Connection, LocalConnection

__all__ = ["DiehlAndCook2015", "DiehlAndCook2015v2", "IncreasingInhibitionNetwork", "LocallyConnectedNetwork",
           "TwoLayerNetwork", "grid_inhibition"]


def _uniform(seed, shape):
    """``U(0, 1)`` of ``shape``: from ``default_rng(seed)``, or numpy's global generator when ``seed`` is None."""
    if seed is not None:
        return np.random.default_rng(seed).random(shape)
    return np.random.random_sample(shape)


def _excitatory(n, shape, exc_thresh, theta_plus, tc_theta_decay, one_spike):
    """Diehl & Cook's excitatory layer as BindsNET builds it: rest -65, reset -60, refractory 5 ms, tau 100 ms,
    traces 20 ms."""
    return DiehlAndCookNodes(n=n, shape=shape, traces=True, rest=-65.0, reset=-60.0, thresh=exc_thresh, refrac=5.0,
                             tc_decay=100.0, tc_trace=20.0, theta_plus=theta_plus, tc_theta_decay=tc_theta_decay,
                             one_spike=one_spike)


class TwoLayerNetwork(Network):
    """An input layer learning into a layer of LIF nodes: the smallest of BindsNET's models (Hazan et al.
    (2018), Front Neuroinform 12:89).

    Layers ``X`` (``n_inpt`` inputs, traces with tau 20 ms) and ``Y`` (``n_neurons`` :class:`LIFNodes` with
    their defaults: rest and reset -65, threshold -52, refractory 5 ms, tau 100 ms; traces 20 ms).  ``X -> Y``:
    weights ``0.3 U(0, 1)`` learned with :class:`PostPre` (``nu``, ``reduction``), kept in ``[wmin, wmax]``,
    each column normalised to ``norm`` after each run.  Example::

        net = TwoLayerNetwork(784, n_neurons=100, seed=0)
        net.run(inputs={"X": spikes}, time=250)      # spikes (250, 784)
    """

    def __init__(self, n_inpt, n_neurons=100, dt=1.0, wmin=0.0, wmax=1.0, nu=(1e-4, 1e-2), reduction=None,
                 norm=78.4, batch_size=1, backend="cpu", dtype="float32", seed=None, batch_sync="step"):
        super().__init__(dt=dt, batch_size=batch_size, backend=backend, dtype=dtype, seed=seed,
                         batch_sync=batch_sync)
        self.n_inpt, self.n_neurons, self.norm = int(n_inpt), int(n_neurons), norm
        x = Input(n=self.n_inpt, traces=True, tc_trace=20.0)
        y = LIFNodes(n=self.n_neurons, traces=True, tc_trace=20.0)
        w = 0.3 * _uniform(seed, (self.n_inpt, self.n_neurons))
        self.add_layer(x, name="X")
        self.add_layer(y, name="Y")
        self.add_connection(Connection(x, y, w=w, update_rule=PostPre, nu=nu, reduction=reduction, wmin=wmin,
                                       wmax=wmax, norm=norm), source="X", target="Y")


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
        x = Input(n=self.n_inpt, shape=inpt_shape, traces=True, tc_trace=20.0)
        ae = _excitatory(self.n_neurons, None, exc_thresh, theta_plus, tc_theta_decay, one_spike)
        ai = LIFNodes(n=self.n_neurons, traces=False, rest=-60.0, reset=-45.0, thresh=inh_thresh, tc_decay=10.0,
                      refrac=2.0, tc_trace=20.0)
        w = 0.3 * _uniform(seed, (self.n_inpt, self.n_neurons))
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


class _InputToRecurrent(Network):
    """``X -> Y`` as in :class:`DiehlAndCook2015` (``X -> Ae``), with the lateral inhibition a recurrent
    ``Y -> Y`` connection of weights ``recurrent`` (no learning) kept in ``bounds``."""

    def _build_layers(self, n_inpt, n_neurons, inpt_shape, nu, reduction, wmin, wmax, norm, theta_plus,
                      tc_theta_decay, exc_thresh, one_spike, seed, recurrent, bounds):
        self.n_inpt, self.n_neurons, self.norm, self.inpt_shape = int(n_inpt), int(n_neurons), norm, inpt_shape
        x = Input(n=self.n_inpt, shape=inpt_shape, traces=True, tc_trace=20.0)
        y = _excitatory(self.n_neurons, None, exc_thresh, theta_plus, tc_theta_decay, one_spike)
        w = 0.3 * _uniform(seed, (self.n_inpt, self.n_neurons))
        self.add_layer(x, name="X")
        self.add_layer(y, name="Y")
        self.add_connection(Connection(x, y, w=w, update_rule=PostPre, nu=nu, reduction=reduction, wmin=wmin,
                                       wmax=wmax, norm=norm), source="X", target="Y")
        self.add_connection(Connection(y, y, w=recurrent, wmin=bounds[0], wmax=bounds[1]), source="Y", target="Y")


class DiehlAndCook2015v2(_InputToRecurrent):
    """Diehl & Cook (2015), Front Comput Neurosci 9:99, without the inhibitory layer: each excitatory spike
    inhibits the other excitatory nodes directly, one step later (BindsNET's ``DiehlAndCook2015v2``).

    Layers ``X`` (``n_inpt`` inputs, shape ``inpt_shape``, traces with tau 20 ms) and ``Y`` (``n_neurons``
    :class:`DiehlAndCookNodes`, as ``Ae`` of :class:`DiehlAndCook2015`: rest -65, reset -60, threshold
    ``exc_thresh`` + theta, refractory 5 ms, tau 100 ms, traces 20 ms, ``theta_plus`` 0.05,
    ``tc_theta_decay`` 1e7 ms, ``one_spike``).  ``X -> Y``: weights ``0.3 U(0, 1)`` learned with
    :class:`PostPre` (``nu`` (1e-4, 1e-2)), kept in ``[wmin, wmax]`` = [0, 1], each column normalised to
    ``norm`` (78.4) after each run.  ``Y -> Y``: ``-inh`` (17.5) between every two different nodes, 0 on the
    diagonal, bounds ``[-inh, 0]``, no learning.  Example::

        net = DiehlAndCook2015v2(784, n_neurons=100, seed=0)
        net.run(inputs={"X": Rates(image * 0.25)}, time=350)
    """

    def __init__(self, n_inpt, n_neurons=100, inh=17.5, dt=1.0, nu=(1e-4, 1e-2), reduction=None, wmin=0.0,
                 wmax=1.0, norm=78.4, theta_plus=0.05, tc_theta_decay=1e7, inpt_shape=None, exc_thresh=-52.0,
                 batch_size=1, backend="cpu", dtype="float32", seed=None, one_spike=True, batch_sync="step"):
        super().__init__(dt=dt, batch_size=batch_size, backend=backend, dtype=dtype, seed=seed,
                         batch_sync=batch_sync)
        self.inh = float(inh)
        n = int(n_neurons)
        self._build_layers(n_inpt, n, inpt_shape, nu, reduction, wmin, wmax, norm, theta_plus, tc_theta_decay,
                           exc_thresh, one_spike, seed, recurrent=-self.inh * (1.0 - np.eye(n)),
                           bounds=(-self.inh, 0.0))


def grid_inhibition(n_neurons, start_inhib):
    """The recurrent weights of :class:`IncreasingInhibitionNetwork`: ``w_ij = -start_inhib*sqrt(d_ij)``, with
    ``d_ij`` the Euclidean distance between nodes ``i`` and ``j`` on a ``sqrt(n) x sqrt(n)`` grid (node ``k``
    at row ``k // sqrt(n)``, column ``k % sqrt(n)``); 0 on the diagonal."""
    n = int(n_neurons)
    side = int(round(np.sqrt(n)))
    if n < 1 or side * side != n:
        raise ModelError(f"IncreasingInhibitionNetwork: n_neurons must be a perfect square (the nodes lie on a "
                         f"sqrt(n) x sqrt(n) grid), not {n_neurons}; e.g. {max(side, 1) ** 2} or "
                         f"{(side + 1) ** 2}")
    rows, cols = np.divmod(np.arange(n), side)
    distance = np.hypot(rows[:, None] - rows[None, :], cols[:, None] - cols[None, :])
    return -float(start_inhib) * np.sqrt(distance)


class IncreasingInhibitionNetwork(_InputToRecurrent):
    """SOM-LM-SNN: a Diehl & Cook network whose lateral inhibition grows with the distance between the nodes
    on a grid, so that nearby nodes learn similar inputs (a self-organising map); Hazan, Saunders, Sanghavi,
    Siegelmann & Kozma (2018), "Unsupervised learning with self-organizing spiking neural networks", IJCNN
    (BindsNET's ``IncreasingInhibitionNetwork``).

    Layers ``X`` (``n_input`` inputs, shape ``inpt_shape``, traces with tau 20 ms) and ``Y`` (``n_neurons``
    :class:`DiehlAndCookNodes` as in :class:`DiehlAndCook2015v2`; ``n_neurons`` must be a perfect square).
    ``X -> Y``: as in :class:`DiehlAndCook2015v2` (``0.3 U(0, 1)``, :class:`PostPre` with ``nu`` (1e-4, 1e-2),
    bounds ``[wmin, wmax]`` = [0, 1], ``norm`` 78.4).  ``Y -> Y``: ``w_ij = -start_inhib*sqrt(d_ij)``
    (``start_inhib`` 1), ``d_ij`` the Euclidean distance of nodes ``i`` and ``j`` on the ``sqrt(n) x sqrt(n)``
    grid (:func:`grid_inhibition`), 0 on the diagonal, kept in ``[-max_inhib, 0]`` (``max_inhib`` 100; BindsNET's
    HEAD makes these weights positive, an excitation: bindsnet-features.md 13.4), no learning.

    The paper deepens the inhibition as training goes on (BindsNET's example every 500 samples): call
    :meth:`increase_inhibition` between samples.  Example::

        net = IncreasingInhibitionNetwork(784, n_neurons=100, start_inhib=1.0, max_inhib=100.0, seed=0)
        for k, image in enumerate(images):
            net.run(inputs={"X": Rates(image * 0.25)}, time=250)
            net.reset_state_variables()
            if k % 500 == 499:
                net.increase_inhibition(1.5)
    """

    def __init__(self, n_input, n_neurons=100, start_inhib=1.0, max_inhib=100.0, dt=1.0, nu=(1e-4, 1e-2),
                 reduction=None, wmin=0.0, wmax=1.0, norm=78.4, theta_plus=0.05, tc_theta_decay=1e7, inpt_shape=None,
                 exc_thresh=-52.0, batch_size=1, backend="cpu", dtype="float32", seed=None, one_spike=True,
                 batch_sync="step"):
        super().__init__(dt=dt, batch_size=batch_size, backend=backend, dtype=dtype, seed=seed,
                         batch_sync=batch_sync)
        self.start_inhib, self.max_inhib = float(start_inhib), float(max_inhib)
        if not self.max_inhib >= 0:
            raise ModelError(f"IncreasingInhibitionNetwork: max_inhib must be at least 0, not {max_inhib}")
        self.n_sqrt = int(round(np.sqrt(int(n_neurons))))
        self._build_layers(n_input, n_neurons, inpt_shape, nu, reduction, wmin, wmax, norm, theta_plus,
                           tc_theta_decay, exc_thresh, one_spike, seed,
                           recurrent=grid_inhibition(n_neurons, self.start_inhib), bounds=(-self.max_inhib, 0.0))

    def increase_inhibition(self, factor):
        """Multiply the ``Y -> Y`` weights by ``factor`` (> 0; above 1 deepens the inhibition), clipped to
        ``[-max_inhib, 0]``; takes effect in the next run.  Returns the new weights."""
        factor = float(factor)
        if not factor > 0:
            raise ModelError(f"increase_inhibition: factor must be positive, not {factor}")
        conn = self.connections[("Y", "Y")]
        conn.w = np.clip(conn.w * factor, -self.max_inhib, 0.0)
        return conn.w


class LocallyConnectedNetwork(Network):
    """A locally connected network: filters of unshared weights over windows of the input, each location's
    filters competing through lateral inhibition; Saunders, Patel, Hazan, Siegelmann & Kozma (2019), "Locally
    connected spiking neural networks for unsupervised feature learning", Neural Networks 119:332-340
    (BindsNET's ``LocallyConnectedNetwork``).

    Layers ``X`` (``n_inpt`` inputs of shape ``input_shape``, ``(H, W)`` or ``(C, H, W)``; traces with tau
    20 ms) and ``Y`` (:class:`DiehlAndCookNodes` of shape ``(n_filters, conv_h, conv_w)``, ``conv = (side -
    kernel) // stride + 1`` per axis; as in :class:`DiehlAndCook2015v2`: rest -65, reset -60, threshold -52 +
    theta, refractory 5 ms, tau 100 ms, traces 20 ms, ``theta_plus`` 0.05, ``tc_theta_decay`` 1e7 ms).
    ``X -> Y``: a :class:`LocalConnection` (``kernel_size``, ``stride``, ``n_filters``) with weights
    ``U(wmin, wmax)`` (0, 1) in the windows, learned with :class:`PostPre` (``nu`` (1e-4, 1e-2)), each
    output node's weights normalised to ``norm`` (0.2) after each run.  ``Y -> Y``: ``-inh`` (25) from each
    node to the nodes of the *other* filters at the *same* location, 0 elsewhere, no learning.  Example::

        net = LocallyConnectedNetwork(784, (28, 28), kernel_size=12, stride=4, n_filters=25, seed=0)
        net.run(inputs={"X": Rates(image * 0.25)}, time=250)      # Y has shape (25, 5, 5)
    """

    def __init__(self, n_inpt, input_shape, kernel_size, stride, n_filters, inh=25.0, dt=1.0, nu=(1e-4, 1e-2),
                 reduction=None, theta_plus=0.05, tc_theta_decay=1e7, wmin=0.0, wmax=1.0, norm=0.2,
                 exc_thresh=-52.0, batch_size=1, backend="cpu", dtype="float32", seed=None, one_spike=True,
                 batch_sync="step"):
        from ..groups.geometry import local2d

        super().__init__(dt=dt, batch_size=batch_size, backend=backend, dtype=dtype, seed=seed,
                         batch_sync=batch_sync)
        self.n_inpt, self.inh, self.norm = int(n_inpt), float(inh), norm
        self.input_shape = tuple(int(k) for k in np.atleast_1d(input_shape))
        if len(self.input_shape) not in (2, 3) or int(np.prod(self.input_shape)) != self.n_inpt:
            raise ModelError(f"LocallyConnectedNetwork: input_shape must be (H, W) or (C, H, W) holding the "
                             f"n_inpt = {n_inpt} inputs, not {input_shape}")
        self.kernel_size, self.stride, self.n_filters = kernel_size, stride, int(n_filters)
        in_shape = self.input_shape if len(self.input_shape) == 3 else (1,) + self.input_shape
        g = local2d(in_shape, kernel_size, channels=self.n_filters, stride=stride)
        self.conv_size = tuple(g.out_shape[1:])
        x = Input(n=self.n_inpt, shape=self.input_shape, traces=True, tc_trace=20.0)
        y = _excitatory(None, g.out_shape, exc_thresh, theta_plus, tc_theta_decay, one_spike)
        self.add_layer(x, name="X")
        self.add_layer(y, name="Y")
        w = float(wmin) + _uniform(seed, (x.n, y.n)) * (float(wmax) - float(wmin))
        local = LocalConnection(x, y, kernel_size, stride, self.n_filters, nu=nu, reduction=reduction, w=w,
                                update_rule=PostPre, wmin=wmin, wmax=wmax, norm=norm,
                                input_shape=self.input_shape if len(self.input_shape) == 2 else None)
        self.add_connection(local, source="X", target="Y")
        # node (f, y, x) is numbered f*P + p, p = y*conv_w + x: same location p, another filter
        location = np.arange(y.n) % int(np.prod(self.conv_size))
        filters = np.arange(y.n) // int(np.prod(self.conv_size))
        rival = (location[:, None] == location[None, :]) & (filters[:, None] != filters[None, :])
        recurrent = Connection(y, y, w=np.where(rival, -self.inh, 0.0), wmin=-self.inh, wmax=0.0)
        self.add_connection(recurrent, source="Y", target="Y")
