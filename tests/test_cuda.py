"""The CUDA backend against the CPU backend, network by network.

Both backends run the same generated per-element code with the same Philox streams, so a
float64 network gives the same spikes on both; sums that the CPU does in a fixed order
(dense and "target" propagation, summed variables) are bit-identical too.  Without a GPU
the kernels run on Numba's CUDA simulator (``tests/conftest.py``), which is slow: the
networks here are small and short.  ``gpu``-marked tests need the real device
(``SNNGEN_TEST_GPU=1``).
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import snngen
from snngen import (
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from snngen.errors import ModelError, SimulationError
from snngen.units import Hz, ms, mV

cuda_ok = pytest.importorskip("snngen.cuda").available()
pytestmark = [pytest.mark.skipif(not cuda_ok, reason="no CUDA device and no simulator"),
              pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")]


@pytest.fixture(autouse=True)
def fast_simulator_threads():
    """The simulator polls its threads while holding the GIL: switch often."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(5e-5)
    yield
    sys.setswitchinterval(old)


def both(make, duration=8 * ms, **kw):
    """Build the network twice (same names, same seed) and run it on each backend."""
    out = {}
    for backend in ("cpu", "cuda"):
        snngen.seed(11)
        objs = make()
        net = Network(*objs.values(), backend=backend, **kw)
        net.run(duration)
        out[backend] = objs
    return out["cpu"], out["cuda"]


def lif_net(storage="dense", delay=None, propagation="auto", on_pre="v += w", p=0.5):
    def make():
        P = PoissonGroup(10, rates=np.linspace(100, 900, 10) * Hz, name="P")
        G = NeuronGroup(6, "dv/dt = (I - v)/(10*ms) : 1\nI : 1", threshold="v > 1", reset="v = 0",
                        refractory=1 * ms, method="exact", name="G")
        G.I = "0.9 + 0.1*rand()"
        S = Synapses(P, G, "w : 1", on_pre=on_pre, delay=delay, storage=storage, name="S")
        S.propagation = propagation
        S.connect(p=1.0 if storage == "dense" else p)
        S.w = "0.4*rand()"
        return dict(P=P, G=G, S=S, M=SpikeMonitor(G, name="M"), V=StateMonitor(G, "v", record=[0, 5], name="V"),
                    R=PopulationRateMonitor(G, name="R"), MP=SpikeMonitor(P, name="MP"))
    return make


def assert_same_spikes(a, b, mon="M"):
    assert a[mon].num_spikes > 0
    np.testing.assert_array_equal(a[mon].i, b[mon].i)
    np.testing.assert_array_equal(a[mon].t_, b[mon].t_)


def test_dense_identical_to_cpu():
    a, b = both(lif_net("dense"))
    assert_same_spikes(a, b, "MP")  # Poisson inputs: the same Philox draws on both backends
    assert_same_spikes(a, b)
    np.testing.assert_array_equal(a["V"].v_, b["V"].v_)  # same summation order: bit-identical
    np.testing.assert_array_equal(a["R"].rate_, b["R"].rate_)
    np.testing.assert_array_equal(a["G"].v_, b["G"].v_)
    np.testing.assert_array_equal(a["G"].lastspike, b["G"].lastspike)


@pytest.mark.parametrize("propagation", ["row", "target"])
def test_sparse_strategies_match_cpu(propagation):
    a, b = both(lif_net("sparse", propagation=propagation))
    assert_same_spikes(a, b)
    # "target" sums in the CPU's order; "row" uses atomic adds in any order
    tol = 0 if propagation == "target" else 1e-12
    np.testing.assert_allclose(b["V"].v_, a["V"].v_, rtol=0, atol=tol)


def test_row_strategy_refuses_unsafe_pathway():
    def make():
        d = lif_net("sparse", on_pre="v = v + w", propagation="row")()
        return d
    with pytest.raises(ModelError, match="propagation='row'"):
        both(make, duration=0.1 * ms)


@pytest.mark.parametrize("storage,delay", [("dense", 1.5 * ms), ("sparse", 1.5 * ms), ("sparse", "hetero"),
                                           ("dense", "hetero")])
def test_delays_match_cpu(storage, delay):
    def make():
        d = lif_net(storage, delay=None if isinstance(delay, str) else delay)()
        if isinstance(delay, str):
            d["S"].delay = "(1 + (i + j) % 4)*0.5*ms"
        return d
    a, b = both(make)
    assert_same_spikes(a, b)
    np.testing.assert_allclose(b["G"].v_, a["G"].v_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("storage", ["dense", "sparse"])
def test_stdp_with_on_post_matches_cpu(storage):
    def make():
        inp = SpikeGeneratorGroup(8, np.arange(40) % 8, (np.arange(40) * 0.37 + 0.2) * ms, name="inp")
        G = NeuronGroup(3, "dv/dt = -v/(5*ms) : 1", threshold="v > 0.5", reset="v = 0", method="exact", name="G")
        S = Synapses(inp, G, """w : 1
                     dapre/dt = -apre/(4*ms) : 1 (event-driven)
                     dapost/dt = -apost/(4*ms) : 1 (event-driven)""",
                     on_pre="v += w\napre += 0.01\nw = clip(w + apost, 0, 1)",
                     on_post="apost -= 0.012\nw = clip(w + apre, 0, 1)", storage=storage, name="S")
        S.connect(p=1.0 if storage == "dense" else 0.7)
        S.w = "0.2 + 0.3*rand()"
        return dict(inp=inp, G=G, S=S, M=SpikeMonitor(G, name="M"))
    a, b = both(make, duration=15 * ms)
    assert_same_spikes(a, b)
    np.testing.assert_allclose(b["S"].w_, a["S"].w_, rtol=0, atol=1e-12)
    snngen.seed(11)
    initial = make()["S"].w_  # the weights as drawn: learning must have moved most of them
    assert np.mean(np.abs(a["S"].w_ - initial) > 1e-6) > 0.5


def test_noise_summed_and_clock_driven_synapses_match_cpu():
    def make():
        G = NeuronGroup(5, """dv/dt = (-v + Isyn)/(10*ms) + 0.3*xi/sqrt(ms) : 1
                           Isyn : 1""", threshold="v > 0.3", reset="v = 0", method="euler", name="G")
        H = NeuronGroup(4, "dx/dt = (1.2 - x)/(3*ms) : 1", threshold="x > 1", reset="x = 0", method="exact",
                        name="H")
        S = Synapses(H, G, """dg/dt = -g/(2*ms) : 1 (clock-driven)
                           Isyn_post = g : 1 (summed)""", on_pre="g += 2", method="exact", name="S")
        S.connect(p=0.6)
        return dict(G=G, H=H, S=S, M=SpikeMonitor(G, name="M"), V=StateMonitor(G, ["v", "Isyn"], record=True,
                                                                                 name="V"))
    a, b = both(make)
    assert_same_spikes(a, b)
    np.testing.assert_array_equal(a["V"].v_, b["V"].v_)
    np.testing.assert_array_equal(a["V"].Isyn_, b["V"].Isyn_)
    assert a["V"].Isyn_.max() > 0


def test_spike_buffer_grows_mid_run():
    """More spikes than the first buffer holds: the chunk stops, the host grows it, the run goes on."""
    def make():
        G = NeuronGroup(30, "dv/dt = 2/ms : 1", threshold="v > 0.1", reset="v = 0", method="euler", name="G")
        # the state monitor comes first: a stopped step must not have been recorded already
        return dict(G=G, V=StateMonitor(G, "v", record=[0], name="V"), M=SpikeMonitor(G, name="M"))
    a, b = both(make, duration=8 * ms)
    assert a["M"].num_spikes == 30 * 80 > 1024
    assert_same_spikes(a, b)
    np.testing.assert_array_equal(a["V"].t_, b["V"].t_)
    np.testing.assert_array_equal(a["V"].v_, b["V"].v_)


def test_nan_reports_variable_neuron_and_step():
    def make():
        G = NeuronGroup(4, "dv/dt = v*i/(0.002*ms) : 1", threshold=None, method="euler", name="G")
        G.v = 1
        return dict(G=G)
    messages = []
    for backend in ("cpu", "cuda"):
        net = Network(*make().values(), backend=backend, check_nan=True)
        with pytest.raises(SimulationError) as err:
            net.run(20 * ms)
        messages.append((str(err.value), net.step))
    assert "'v' of G" in messages[1][0] and "neuron 3" in messages[1][0]
    assert messages[0] == messages[1]


def test_host_changes_between_runs_reach_the_device():
    results = {}
    for backend in ("cpu", "cuda"):
        snngen.seed(3)
        d = lif_net("sparse")()
        net = Network(*d.values(), backend=backend)
        net.run(3 * ms)
        v_mid = d["G"].v_.copy()
        d["G"].v = d["G"].v_ * 0.5  # written on the host
        d["S"].w_[:] *= 2
        net.store()
        net.run(3 * ms)
        first = d["M"].i.copy()
        net.restore()
        net.run(3 * ms)
        results[backend] = (v_mid, first, d["M"].i.copy(), d["G"].v_.copy(), d["S"].w_.copy())
    for x, y in zip(results["cpu"], results["cuda"]):
        np.testing.assert_allclose(y, x, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(results["cuda"][1], results["cuda"][2])  # restore() replays exactly


def test_float32_close_to_cpu():
    old = snngen.prefs.dtype
    snngen.prefs.dtype = "float32"
    try:
        a, b = both(lif_net("dense"))
    finally:
        snngen.prefs.dtype = old
    assert b["G"].v_.dtype == np.float32
    assert_same_spikes(a, b)
    np.testing.assert_allclose(b["V"].v_, a["V"].v_, rtol=0, atol=1e-5)


def test_parallel_block_scan_compaction(monkeypatch):
    """The one-block kernels with a full block (as on a device): the scan gives sorted spike lists."""
    import snngen.cuda.runtime as rt

    monkeypatch.setattr(rt, "FULL_BLOCKS_IN_SIMULATOR", True)

    def make():
        G = NeuronGroup(45, "dv/dt = (1 + i/10)/ms : 1", threshold="v > 1", reset="v = 0", method="euler",
                        name="G")
        return dict(G=G, M=SpikeMonitor(G, name="M"))
    a, b = both(make, duration=2 * ms)
    assert_same_spikes(a, b)


def test_device_array_is_shared_with_the_kernels():
    G = NeuronGroup(6, "dv/dt = (I - v)/(2*ms) : 1\nI : 1", threshold="v > 1", reset="v = 0", name="G")
    M = SpikeMonitor(G, name="M")
    net = Network(G, M, backend="cuda")
    net.run(2 * ms)
    assert M.num_spikes == 0  # the control: no drive, no spikes
    dev = net.device_array(G, "I")
    from snngen.cuda import simulator

    assert dev.shape == (6,) and (simulator() or hasattr(dev, "__cuda_array_interface__"))
    dev.copy_to_device(np.full(6, 5.0))  # a strong drive written on the device side only
    net.run(2 * ms)
    assert np.all(M.count > 0)


def test_clear_error_without_a_device():
    code = ("import snngen\nfrom snngen import Network\n"
            "try:\n    Network(backend='cuda')\nexcept snngen.errors.ModelError as e:\n    print('ERR', e)\n")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    if "ERR" not in out.stdout:
        pytest.skip("a CUDA device is present")
    assert "backend='cuda' needs" in out.stdout and "NUMBA_ENABLE_CUDASIM" in out.stdout


def _on_device():
    from snngen.cuda import simulator

    return cuda_ok and not simulator()


needs_device = pytest.mark.skipif(not _on_device(), reason="needs a real CUDA device (SNNGEN_TEST_GPU=1)")


@pytest.mark.gpu
@needs_device
@pytest.mark.parametrize("n", [300, 2000])
@pytest.mark.parametrize("storage", ["dense", "sparse"])
def test_device_paper_network_matches_cpu(n, storage):
    """On the device, with CUDA graphs: the paper benchmark's network, float64, spike for spike."""

    def make():
        rng = np.random.default_rng(1234)
        P = PoissonGroup(n, rng.uniform(0, 100, n) * Hz, name="P")
        G = NeuronGroup(n, "dv/dt = (-65*mV - v)/(100*ms) : volt (unless refractory)", threshold="v >= -52*mV",
                        reset="v = -65*mV", refractory=5 * ms, method="exact", name="G")
        G.v = -65 * mV
        S = Synapses(P, G, "w : 1", on_pre="v_post += w*mV*int(not_refractory_post)", storage=storage, name="S")
        S.connect(p=1.0 if storage == "dense" else 0.3)
        S.w_ = rng.standard_normal(S.N)
        return dict(P=P, G=G, S=S, M=SpikeMonitor(G, name="M"))
    a, b = both(make, duration=300 * ms, dt=1 * ms)
    assert_same_spikes(a, b)


@pytest.mark.gpu
@needs_device
def test_device_graph_replay_equals_plain_launches():
    runs = []
    for graphs in (False, True):
        snngen.prefs.cuda_graphs = graphs
        try:
            snngen.seed(2)
            d = lif_net("sparse")()
            net = Network(*d.values(), backend="cuda")
            net.run(50 * ms)
            runs.append((d["M"].i.copy(), d["M"].t_.copy(), d["G"].v_.copy()))
        finally:
            snngen.prefs.cuda_graphs = True
    for x, y in zip(*runs):
        np.testing.assert_array_equal(x, y)


def test_store_restore_keeps_spikes_in_flight_of_heterogeneous_delays():
    """The flag history of per-synapse delays is part of the stored state: restore() replays exactly."""
    def make():
        d = lif_net("sparse", propagation="target")()
        d["S"].delay = "(1 + (i + j) % 4)*0.5*ms"
        return d
    snngen.seed(4)
    d = make()
    net = Network(*d.values(), backend="cuda")
    net.run(3 * ms)
    net.store()
    net.run(3 * ms)
    first = (d["M"].i.copy(), d["G"].v_.copy())
    net.restore()
    net.run(3 * ms)
    np.testing.assert_array_equal(first[0], d["M"].i)
    np.testing.assert_array_equal(first[1], d["G"].v_)


def test_unchanged_arguments_reuse_the_launches():
    """A second run() with nothing changed reuses the launch list (and, on a device, its CUDA graphs);
    a changed parameter value makes a new one.  (Monitors without growing buffers: a reallocated
    buffer is a changed argument too.)"""
    d = lif_net("dense")()
    tau = 10 * ms
    G = NeuronGroup(3, "dv/dt = -v/tau : 1", name="H")
    net = Network(d["P"], d["G"], d["S"], SpikeMonitor(d["G"], record=False), G, backend="cuda")
    net.run(0.3 * ms)
    launches = net._runner._launches
    net.run(0.3 * ms)
    assert net._runner._launches is launches
    tau = 20 * ms  # noqa: F841 (read by run() from this scope)
    net.run(0.3 * ms)
    assert net._runner._launches is not launches


# -- batch axis ---------------------------------------------------------------------------------
def batch_net(I, storage="sparse", rates=None, plastic=False):
    """LIF driven by a constant current and by inputs (generator events, or Poisson rates)."""
    n_in = 8
    if rates is None:
        inp = SpikeGeneratorGroup(n_in, np.arange(30) % n_in, (np.arange(30) * 0.23 + 0.1) * ms, name="inp")
    else:
        inp = PoissonGroup(n_in, rates * Hz, name="inp")
    G = NeuronGroup(5, "dv/dt = (I - v)/(10*ms) : 1\nI : 1", threshold="v > 1", reset="v = 0",
                    refractory=1 * ms, method="exact", name="G")
    model = "w : 1"
    on_pre = "v += w"
    if plastic:
        model += "\ndapre/dt = -apre/(4*ms) : 1 (event-driven)\ndapost/dt = -apost/(4*ms) : 1 (event-driven)"
        on_pre += "\napre += 0.01\nw = clip(w + apost, 0, 1)"
    S = Synapses(inp, G, model, on_pre=on_pre, on_post="apost -= 0.012\nw = clip(w + apre, 0, 1)" if plastic
                 else None, storage=storage, name="S")
    S.connect(p=1.0 if storage == "dense" else 0.6)
    S.w = "0.3*rand()"
    G.I = I
    return dict(inp=inp, G=G, S=S, M=SpikeMonitor(G, name="M"), V=StateMonitor(G, "v", record=[1, 4], name="V"),
                R=PopulationRateMonitor(G, name="R"))


def run_cpu(d, duration):
    Network(*d.values()).run(duration)
    return d


@pytest.mark.parametrize("storage", ["dense", "sparse"])
def test_batch_copies_equal_separate_runs(storage):
    """Deterministic copies that differ in a parameter: copy b of one batched run is the unbatched
    network run with copy b's parameter."""
    I = np.array([[0.5, 0.9, 1.05, 1.2, 1.5], [1.1] * 5, [0.0, 0.3, 2.0, 1.0, 0.99]])
    snngen.seed(8)
    d = batch_net(1.0, storage)
    net = Network(*d.values(), backend="cuda", batch=3)
    assert d["G"].v_.shape == (3, 5) and d["S"].w_.shape == (d["S"].N,)  # fixed weights: shared
    d["G"].I_[:] = I
    net.run(6 * ms)
    assert d["M"].count.shape == (3, 5) and d["V"].v_.shape == (3, 2, 60) and d["R"].rate_.shape == (3, 60)
    for b in range(3):
        snngen.seed(8)
        ref = run_cpu(batch_net(I[b], storage), 6 * ms)
        assert ref["M"].num_spikes > 0
        sel = d["M"].copy == b
        np.testing.assert_array_equal(d["M"].i[sel], ref["M"].i)
        np.testing.assert_array_equal(d["M"].t_[sel], ref["M"].t_)
        np.testing.assert_array_equal(d["M"].count[b], ref["M"].count)
        np.testing.assert_allclose(d["V"].v_[b], ref["V"].v_, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(d["R"].rate_[b], ref["R"].rate_)


def test_batch_random_streams_and_per_copy_plasticity():
    """Copy 0 draws what the unbatched network draws; other copies draw their own numbers; plastic
    weights are per copy; per-copy Poisson rates."""
    rates = np.array([np.linspace(200, 600, 8), np.linspace(600, 200, 8)])
    snngen.seed(5)
    d = batch_net(0.5, "sparse", rates=rates[0], plastic=True)
    net = Network(*d.values(), backend="cuda", batch=2)
    assert d["S"].w_.shape == (2, d["S"].N)  # written by the network: one row per copy
    d["inp"].rates = rates * Hz
    net.run(10 * ms)
    snngen.seed(5)
    ref = run_cpu(batch_net(0.5, "sparse", rates=rates[0], plastic=True), 10 * ms)
    sel = d["M"].copy == 0
    np.testing.assert_array_equal(d["M"].i[sel], ref["M"].i)
    np.testing.assert_allclose(d["S"].w_[0], ref["S"].w_, rtol=0, atol=1e-12)
    assert not np.allclose(d["S"].w_[0], d["S"].w_[1])  # the copies learnt from different inputs
    assert d["M"].num_spikes > np.count_nonzero(sel) > 0


def test_batch_must_be_a_positive_integer():
    for bad in (0, -1, 2.5, "4"):
        with pytest.raises(ModelError, match="batch must be a positive integer"):
            Network(NeuronGroup(2, "v : 1"), batch=bad)
