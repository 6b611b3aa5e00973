"""snngen.ml.models' ready networks: the weights they build, checked by hand, and short runs against the
plain-numpy transcription of BindsNET's step (tests/ml_reference.py), with the layers' parameters written out
here from the models' specification (bindsnet-features.md section 9): the same spikes and weights, float64."""

import ml_reference as ref
import numpy as np
import pytest

from snngen import ModelError
from snngen.ml import Monitor
from snngen.ml.models import (
    DiehlAndCook2015v2,
    IncreasingInhibitionNetwork,
    LocallyConnectedNetwork,
    TwoLayerNetwork,
)

STEPS = 60
# Diehl & Cook's excitatory layer (DiehlAndCookNodes, one_spike off: the transcription has no random draw)
DC_NODES = dict(rest=-65.0, reset=-60.0, thresh=-52.0, refrac=5.0, tc_decay=100.0, theta_plus=0.05,
                tc_theta_decay=1e7)


def test_increasing_inhibition_weights_grow_with_the_square_root_of_the_grid_distance():
    """3 x 3 grid, node k at (k // 3, k % 3): w_ij = -start_inhib*sqrt(distance), zero diagonal, clipped to
    [-max_inhib, 0]; increase_inhibition scales them and clips again; a non-square n is refused."""
    net = IncreasingInhibitionNetwork(4, n_neurons=9, start_inhib=2.0, max_inhib=3.0, seed=0)
    w = net.connections[("Y", "Y")].w
    # node 0 at (0, 0): distances to (0,0) (0,1) (0,2) (1,0) (1,1) (1,2) (2,0) (2,1) (2,2)
    d0 = [0, 1, 2, 1, 2 ** 0.5, 5 ** 0.5, 2, 5 ** 0.5, 8 ** 0.5]
    # node 4 at (1, 1): the corners at sqrt(2), the edges at 1
    d4 = [2 ** 0.5, 1, 2 ** 0.5, 1, 0, 1, 2 ** 0.5, 1, 2 ** 0.5]
    for k, d in ((0, d0), (4, d4)):
        want = np.maximum(-2.0 * np.sqrt(d), -3.0)  # -2*8**0.25 = -3.36 and -2*5**0.25 = -2.99: first clipped
        np.testing.assert_allclose(w[k], want, rtol=1e-15)
        np.testing.assert_allclose(w[:, k], want, rtol=1e-15)
    assert w[0, 8] == -3.0 and -3.0 < w[0, 5] < -2.9
    np.testing.assert_array_equal(np.diag(w), 0.0)
    assert net.connections[("Y", "Y")].wmin == -3.0 and net.connections[("Y", "Y")].wmax == 0.0
    net.increase_inhibition(1.2)
    np.testing.assert_allclose(net.connections[("Y", "Y")].w, np.clip(1.2 * w, -3.0, 0.0), rtol=1e-15)
    with pytest.raises(ModelError, match="perfect square.*10"):
        IncreasingInhibitionNetwork(4, n_neurons=10)


def test_locally_connected_inhibition_joins_the_filters_of_one_location_only():
    """A 6 x 6 input, 4 x 4 kernels moved by 2: a 2 x 2 grid of locations, 3 filters; node (f, y, x) is
    numbered f*4 + 2*y + x.  Y -> Y is -inh exactly between different filters at the same location; X -> Y is
    non-zero only in each node's window."""
    net = LocallyConnectedNetwork(36, (6, 6), kernel_size=4, stride=2, n_filters=3, inh=7.0, seed=1)
    assert net.layers["Y"].shape == (3, 2, 2) and net.conv_size == (2, 2)
    w = net.connections[("Y", "Y")].w
    for a in range(12):
        for b in range(12):
            same_place, other_filter = a % 4 == b % 4, a // 4 != b // 4
            assert w[a, b] == (-7.0 if same_place and other_filter else 0.0), (a, b)
    assert (w != 0).sum() == 4 * 3 * 2
    w_in = net.connections[("X", "Y")].w
    for node in range(12):
        oy, ox = divmod(node % 4, 2)
        window = np.zeros((6, 6), bool)
        window[2 * oy:2 * oy + 4, 2 * ox:2 * ox + 4] = True
        assert (w_in[:, node].reshape(6, 6)[~window] == 0).all() and (w_in[:, node].reshape(6, 6)[window] > 0).all()


def assert_runs_as_transcription(net, y_kind, y_params, nu, norm, mask=None, recurrent_bounds=None):
    """Assert that ``net`` (layers X, Y; X -> Y PostPre in [0, 1], optional Y -> Y), run STEPS steps on fixed
    input spikes, gives the spikes, potentials and weights of the transcription built from the given parameters
    and the net's initial weights."""
    n_in = net.layers["X"].n
    spikes = np.random.default_rng(3).random((STEPS,) + net.layers["X"].shape) < 0.3
    w0 = net.connections[("X", "Y")].w.copy()
    mon = Monitor(net.layers["Y"], ["s", "v"])
    net.add_monitor(mon, "Y")
    net.run(inputs={"X": spikes}, time=STEPS)

    rx = ref.Layer("input", n_in, traces=True, tc_trace=20.0)
    ry = ref.Layer(y_kind, net.layers["Y"].n, traces=True, tc_trace=20.0, **y_params)
    conns = [ref.Conn(rx, ry, w0, rule="PostPre", nu=nu, wmin=0.0, wmax=1.0, norm=norm, mask=mask)]
    if recurrent_bounds is not None:
        conns.append(ref.Conn(ry, ry, recurrent_bounds[2], wmin=recurrent_bounds[0], wmax=recurrent_bounds[1]))
    rec = ref.run([rx, ry], conns, {0: spikes.reshape(STEPS, n_in)}, STEPS, 1.0)[1]

    s = mon.get("s")[:, 0].reshape(STEPS, -1)
    assert rec["s"].sum() > 10, "the test needs spikes"
    np.testing.assert_array_equal(s, rec["s"] != 0)
    np.testing.assert_allclose(mon.get("v")[:, 0].reshape(STEPS, -1), rec["v"], atol=1e-10)
    w = net.connections[("X", "Y")].w
    np.testing.assert_allclose(w, conns[0].w, atol=1e-12)  # learning, clipping and normalisation
    np.testing.assert_allclose(np.abs(w).sum(axis=0), norm, rtol=1e-12)  # each column's sum is norm
    plain = w0 * norm / np.abs(w0).sum(axis=0)  # normalisation alone, without learning
    assert np.abs(w - plain).max() > 1e-4, "learning must move the weights"
    if mask is not None:
        assert (w[~mask] == 0).all()
    return rec


def test_two_layer_network_runs_as_the_transcription():
    net = TwoLayerNetwork(30, n_neurons=6, nu=(1e-3, 5e-2), norm=3.0, dtype="float64", seed=2)
    assert_runs_as_transcription(net, "lif", {}, nu=(1e-3, 5e-2), norm=3.0)


def test_diehl_and_cook_v2_runs_as_the_transcription():
    net = DiehlAndCook2015v2(30, n_neurons=6, inh=5.0, nu=(1e-3, 5e-2), norm=3.0, theta_plus=0.5,
                             dtype="float64", seed=2, one_spike=False)
    assert "Ai" not in net.layers and DiehlAndCook2015v2(4, n_neurons=2).layers["Y"].one_spike
    inhibition = -5.0 * (1 - np.eye(6))
    np.testing.assert_array_equal(net.connections[("Y", "Y")].w, inhibition)
    rec = assert_runs_as_transcription(net, "adaptive", dict(DC_NODES, theta_plus=0.5), nu=(1e-3, 5e-2), norm=3.0,
                                 recurrent_bounds=(-5.0, 0.0, inhibition))
    assert (rec["s"].sum(axis=1) > 0).sum() > 5


def test_increasing_inhibition_network_runs_as_the_transcription():
    net = IncreasingInhibitionNetwork(30, n_neurons=9, start_inhib=2.0, max_inhib=3.0, nu=(1e-3, 5e-2), norm=3.0,
                                      theta_plus=0.5, dtype="float64", seed=2, one_spike=False)
    recurrent = net.connections[("Y", "Y")].w.copy()
    assert_runs_as_transcription(net, "adaptive", dict(DC_NODES, theta_plus=0.5), nu=(1e-3, 5e-2), norm=3.0,
                           recurrent_bounds=(-3.0, 0.0, recurrent))


def test_locally_connected_network_runs_as_the_transcription():
    net = LocallyConnectedNetwork(36, (6, 6), kernel_size=4, stride=2, n_filters=3, inh=7.0, nu=(1e-3, 5e-2),
                                  norm=2.0, dtype="float64", seed=2, one_spike=False)
    mask = net.connections[("X", "Y")].w != 0
    recurrent = net.connections[("Y", "Y")].w.copy()
    assert_runs_as_transcription(net, "adaptive", DC_NODES, nu=(1e-3, 5e-2), norm=2.0, mask=mask,
                           recurrent_bounds=(-7.0, 0.0, recurrent))
