"""Samples one after another: ``Network.reset_state()``, inputs given as arrays, per-sample runs.

What a sample-by-sample learner needs of the engine: state back to its initial values between
samples with the learned weights kept, inputs replaced without recompiling, and each input row
read at the step it belongs to.  Every test compares with a plain-numpy transcription or with a
fresh network.
"""

import numpy as np
import pytest

import snngen
import snngen.cuda
from snngen import (
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeArrayGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from snngen.errors import ModelError
from snngen.units import Hz, Mohm, ms, mV, nA

needs_cuda = pytest.mark.skipif(not snngen.cuda.available(), reason="no CUDA device and no simulator")

LIF = """dv/dt = (I*R - v)/tau : volt (unless refractory)
dth/dt = -th/tau_th : volt
I : amp"""
PARAMS = dict(R=10 * Mohm, tau=10 * ms, tau_th=1000 * ms)


def lif_numpy(I, dt, v0, steps, refractory_steps=2, vt=5e-3, dth=1e-3):
    """The LIF above with an adaptive threshold, step by step: exact integration, threshold v > 5 mV + th,
    reset v = 0 and th += 1 mV, refractory for 2 steps (Brian2's schedule)."""
    n = len(v0)
    v, th = np.array(v0, dtype=float), np.zeros(n)
    last = np.full(n, -(10 ** 9))
    a, ath = np.exp(-dt / 10e-3), np.exp(-dt / 1.0)
    spikes = []
    for s in range(steps):
        nr = (s - last) >= refractory_steps
        Is = I[s] if s < len(I) else np.zeros(n)
        v = np.where(nr, Is * 10e6 + (v - Is * 10e6) * a, v)
        th = th * ath
        fired = nr & (v > vt + th)
        spikes += [(s, k) for k in np.nonzero(fired)[0]]
        last[fired] = s
        v[fired] = 0.0
        th[fired] += dth
    return spikes, v, th


def test_set_input_drives_a_variable_row_by_row_and_reset_starts_again():
    """A current given as a (time, N) array: the spikes equal the numpy transcription's, after the last
    row the current is 0, and after reset_state() the same input gives the same spikes again."""
    rng = np.random.default_rng(3)
    current = (0.4 + rng.random((60, 4))) * 1.5 * nA
    G = NeuronGroup(4, LIF, threshold="v > 5*mV + th", reset="v = 0*mV; th += 1*mV", refractory=2 * ms,
                    method="exact", namespace=PARAMS)
    G.v = 1 * mV
    G.set_input("I", current)
    M = SpikeMonitor(G)
    net = Network(G, M, dt=1 * ms)
    net.run(80 * ms)
    ref, v, _ = lif_numpy(np.asarray(current), 1e-3, [1e-3] * 4, 80)
    got = sorted(zip(np.round(np.asarray(M.t) / 1e-3).astype(int), M.i))
    assert len(ref) > 10 and got == ref
    np.testing.assert_allclose(np.asarray(G.v), v, rtol=1e-12, atol=1e-15)
    first = got
    net.reset_state(monitors="clear")
    np.testing.assert_array_equal(np.asarray(G.v), [1e-3] * 4)  # v back to its value at the first run
    assert np.all(np.asarray(G.th) == 0)
    net.run(80 * ms)
    again = sorted(zip(np.round(np.asarray(M.t) / 1e-3).astype(int) - 80, M.i))
    assert again == first


def test_reset_state_keeps_weights_and_named_variables_and_clears_traces_and_delays():
    snngen.seed(5)
    P = PoissonGroup(30, rates=200 * Hz)
    G = NeuronGroup(5, LIF, threshold="v > 5*mV + th", reset="v = 0*mV; th += 1*mV", refractory=2 * ms,
                    namespace=PARAMS, name="exc")
    S = Synapses(P, G, """w : volt
                         dapre/dt = -apre/(20*ms) : 1 (event-driven)""",
                 on_pre="v_post += w; apre += 1; w += 0.01*mV", delay=5 * ms)
    S.connect(p=0.5)
    S.w = 0.5 * mV
    M = SpikeMonitor(G)
    net = Network(P, G, S, M, dt=1 * ms)
    net.run(40 * ms)
    w = np.asarray(S.w).copy()
    th = np.asarray(G.th).copy()
    assert M.num_spikes > 0 and np.any(w > 0.5e-3) and np.any(th > 0)
    net.reset_state(keep=["exc.th"])
    np.testing.assert_array_equal(np.asarray(S.w), w)  # learned weights kept
    np.testing.assert_array_equal(np.asarray(G.th), th)  # kept by name
    assert np.all(np.asarray(G.v) == 0) and np.all(np.asarray(S.apre) == 0)
    assert np.all(G.lastspike < -(10 ** 12)) and np.all(G.not_refractory)
    assert M.num_spikes > 0  # monitors="keep"
    assert np.all(np.asarray(S.lastupdate) == pytest.approx(0.040))
    # spikes in flight were dropped: with the sources silent, nothing arrives any more
    P.rates = 0 * Hz
    net.run(10 * ms)
    assert np.all(np.asarray(G.v) == 0)
    net.reset_state()
    assert np.all(np.asarray(G.th) == 0)
    with pytest.raises(ModelError, match="keep='exc.thx' names no variable"):
        net.reset_state(keep="exc.thx")
    with pytest.raises(ModelError, match="monitors must be"):
        net.reset_state(monitors="drop")


def test_a_sample_after_reset_equals_a_fresh_network():
    """reset_state() leaves nothing of the previous sample but the weights: a second sample equals a fresh
    network run on that sample with the learned weights (STDP with delays and event-driven traces)."""
    rng = np.random.default_rng(1)
    first, second = rng.random((50, 40)) < 0.08, rng.random((50, 40)) < 0.08

    def make():
        X = SpikeArrayGroup(40, name="X")
        G = NeuronGroup(6, "dv/dt = -v/(10*ms) : volt (unless refractory)", threshold="v > 4*mV",
                        reset="v = 0*mV", refractory=3 * ms, name="G")
        S = Synapses(X, G, """w : volt
                             dapre/dt = -apre/(10*ms) : 1 (event-driven)
                             dapost/dt = -apost/(10*ms) : 1 (event-driven)""",
                     on_pre="v_post += w; apre += 1; w = clip(w - 0.05*mV*apost, 0*mV, 3*mV)",
                     on_post="apost += 1; w = clip(w + 0.1*mV*apre, 0*mV, 3*mV)", delay=2 * ms, name="S")
        S.connect(p=0.6)
        S.w = "rand()*2*mV"
        M = SpikeMonitor(G, name="M")
        return X, G, S, M

    snngen.seed(2)
    X, G, S, M = make()
    net = Network(X, G, S, M, dt=1 * ms)
    X.set_input(first)
    net.run(60 * ms)
    learned = np.asarray(S.w).copy()
    net.reset_state(monitors="clear")
    X.set_input(second)
    net.run(60 * ms)

    snngen.seed(2)
    X2, G2, S2, M2 = make()
    S2.w_ = learned
    X2.set_input(second)
    Network(X2, G2, S2, M2, dt=1 * ms).run(60 * ms)
    assert M2.num_spikes > 5
    steps = np.round(np.asarray(M.t) / 1e-3).astype(int)
    np.testing.assert_array_equal(steps - 60, np.round(np.asarray(M2.t) / 1e-3).astype(int))
    np.testing.assert_array_equal(M.i, M2.i)
    np.testing.assert_allclose(np.asarray(S.w), np.asarray(S2.w), rtol=1e-9)  # t differs: last bits
    assert not np.allclose(np.asarray(S.w), learned)  # the second sample learned too


def test_spike_array_group_replays_its_rows_and_a_new_array_does_not_recompile():
    rng = np.random.default_rng(4)
    a, b = rng.random((25, 30)) < 0.2, (rng.random((25, 30)) < 0.3).astype(np.uint8)
    X = SpikeArrayGroup(30, a)
    M = SpikeMonitor(X)
    net = Network(X, M, dt=0.5 * ms)
    net.run(20 * ms)  # 40 steps: rows 0..24, then silence

    def pairs(mon, offset=0):
        return sorted(zip(np.round(np.asarray(mon.t) / 0.5e-3).astype(int) - offset, mon.i))

    assert pairs(M) == sorted(zip(*np.nonzero(a)))
    fn = net._fn
    net.reset_state(monitors="clear")
    X.set_input(a[::-1].copy())  # same kind: no new code
    net.run(5 * ms)
    assert net._fn is fn
    assert pairs(M, 40) == sorted(zip(*np.nonzero(a[::-1][:10])))
    X.set_input(b)  # uint8 counts: spikes where non-zero; a new dtype is a new specialisation, same source
    net.reset_state(monitors="clear")
    net.run(20 * ms)
    assert pairs(M, 50) == sorted(zip(*np.nonzero(b)))
    a[...] = False  # read in place: writing into the array changes the input
    X.set_input(a)
    net.reset_state(monitors="clear")
    a[3, 7] = True
    net.run(5 * ms)
    assert pairs(M, 90) == [(3, 7)]


def test_input_errors_are_clear():
    X = SpikeArrayGroup(5, name="X")
    with pytest.raises(ModelError, match=r"shape \(time, 5\)"):
        X.set_input(np.zeros((10, 4), bool))
    with pytest.raises(ModelError, match="array of numbers or booleans"):
        X.set_input(np.array([["a"] * 5]))
    with pytest.raises(ModelError, match="X has no input"):
        Network(X).run(1 * ms)
    G = NeuronGroup(3, "dv/dt = -v/(10*ms) : volt\nI : amp\nk : integer\nc : 1 (shared)", name="G")
    with pytest.raises(ModelError, match=r"has units A, the input has units V"):
        G.set_input("I", np.zeros((5, 3)) * mV)
    with pytest.raises(ModelError, match="no variable 'J'"):
        G.set_input("J", np.zeros((5, 3)) * nA)
    with pytest.raises(ModelError, match="integer or boolean"):
        G.set_input("k", np.zeros((5, 3)), raw=True)
    with pytest.raises(ModelError, match=r"\(shared\)"):
        G.set_input("c", np.zeros((5, 3)))
    G.set_input("I", np.ones((5, 3)), raw=True)  # plain SI values
    G.set_input("I", None)  # removed: I keeps its value
    G.I = 2 * nA
    Network(G).run(2 * ms)
    assert np.all(np.asarray(G.I) == 2e-9)


def test_run_regularly_acts_inside_the_loop():
    """The bar's example: ``v = 0`` every 10 ms, in the compiled loop (one run, no Python in between)."""
    G = NeuronGroup(2, "dv/dt = (1*mV - v)/(5*ms) : volt")
    G.run_regularly("v = 0*mV", dt=10 * ms)
    M = StateMonitor(G, "v", record=0)
    Network(G, M, dt=1 * ms).run(30 * ms)
    v = np.asarray(M.v[0])
    t = np.arange(30)
    expected = 1e-3 * (1 - np.exp(-(t % 10) / 5.0))  # recorded at the start of the step, after the reset
    np.testing.assert_allclose(v, expected, rtol=1e-12, atol=1e-18)


# -- the CUDA backend (Numba's simulator without a GPU) ----------------------------------------------
def _sample_net(spikes, current, backend, batch=None):
    X = SpikeArrayGroup(12, name="X")
    X.set_input(spikes)
    G = NeuronGroup(3, LIF, threshold="v > 5*mV + th", reset="v = 0*mV; th += 1*mV", refractory=2 * ms,
                    namespace=PARAMS, name="G")
    G.set_input("I", current)
    S = Synapses(X, G, "w : volt", on_pre="v_post += w", delay=1 * ms, name="S")
    S.connect(p=1.0)
    S.w = "(i % 4) * 0.8*mV"
    M = SpikeMonitor(G, name="M")
    net = Network(X, G, S, M, dt=1 * ms, backend=backend, batch=batch)
    return net, G, M


@needs_cuda
def test_inputs_and_reset_on_cuda_equal_the_cpu():
    rng = np.random.default_rng(6)
    spikes, current = rng.random((15, 12)) < 0.3, rng.random((15, 3)) * 0.8 * nA
    out = {}
    for backend in ("cpu", "cuda"):
        net, G, M = _sample_net(spikes, current, backend)
        net.run(12 * ms)
        net.reset_state()
        net.run(12 * ms)
        out[backend] = (M.i.copy(), np.asarray(M.t).copy(), np.asarray(G.v).copy(), np.asarray(G.th).copy())
    assert len(out["cpu"][0]) > 3
    for a, b in zip(out["cpu"], out["cuda"]):
        np.testing.assert_array_equal(a, b)


@needs_cuda
def test_per_copy_inputs_on_cuda_equal_unbatched_runs():
    """(time, batch, N) inputs: copy b of the batched run equals the unbatched run on input b."""
    rng = np.random.default_rng(7)
    spikes, current = rng.random((10, 2, 12)) < 0.3, rng.random((10, 2, 3)) * 0.8 * nA
    net, G, M = _sample_net(spikes, current, "cuda", batch=2)
    net.run(10 * ms)
    for b in range(2):
        ref_net, ref_G, ref_M = _sample_net(spikes[:, b], current[:, b], "cpu")
        ref_net.run(10 * ms)
        mine = M.copy == b
        np.testing.assert_array_equal(M.i[mine], ref_M.i)
        np.testing.assert_array_equal(np.asarray(G.v)[b], np.asarray(ref_G.v))


@needs_cuda
def test_restore_on_cuda_brings_back_the_spikes_in_flight():
    """store() while spikes wait in a delay ring (the CUDA backend's per-copy spike lists), restore() after
    running on: the rerun equals the first run (the rings were not stored before)."""
    rng = np.random.default_rng(8)
    spikes, current = rng.random((20, 12)) < 0.4, np.zeros((20, 3)) * nA
    net, G, M = _sample_net(spikes, current, "cuda")
    assert_rerun_after_restore_equals_the_first_run(net, G, M, 5 * ms, 6 * ms)


def assert_rerun_after_restore_equals_the_first_run(net, G, M, before, after):
    """Run ``before``, store, run ``after``; restore and run ``after`` again: the same spikes and ``G.v``."""
    net.run(before)
    net.store()
    net.run(after)
    first = (M.i.copy(), np.asarray(M.t).copy(), np.asarray(G.v).copy())
    net.restore()
    net.run(after)
    assert len(first[0]) > 2
    for a, b in zip(first, (M.i, np.asarray(M.t), np.asarray(G.v))):
        np.testing.assert_array_equal(a, b)


# -- run_regularly on synapses: per-sample weight normalisation in the loop ----------------------------
def _normalised_net(backend, batch=None):
    snngen.seed(3)
    P = PoissonGroup(20, rates=np.linspace(20, 200, 20) * Hz, name="P")
    G = NeuronGroup(5, "total : 1\ndv/dt = -v/(10*ms) : volt", name="G")
    S = Synapses(P, G, "w : 1", on_pre="v_post += w*mV; w += 0.01", name="S")
    S.connect(p=0.7)
    S.w = "rand()"
    G.run_regularly("total = 0", dt=10 * ms, order=0)
    S.run_regularly("total_post += w", dt=10 * ms, order=1)
    S.run_regularly("w = w * 2.0 / total_post", dt=10 * ms, order=2)
    M = SpikeMonitor(P, name="M")
    return Network(P, G, S, M, dt=1 * ms, backend=backend, batch=batch), P, G, S, M


def test_synaptic_run_regularly_normalises_each_column_inside_the_loop():
    """Every 10 ms: the weights into each neuron are scaled to sum to 2, in the loop; in between, each
    presynaptic spike adds 0.01 to its synapses (checked against numpy, spike by spike)."""
    net, P, G, S, M = _normalised_net("cpu")
    w0, i, j = np.asarray(S.w).copy(), S.i.copy(), S.j.copy()
    net.run(25 * ms)
    w = w0.copy()
    steps = np.round(np.asarray(M.t) / 1e-3).astype(int)
    for step in range(25):
        if step % 10 == 0:
            total = np.bincount(j, weights=w, minlength=5)
            w = w * 2.0 / total[j]
        for src in M.i[steps == step]:
            w[i == src] += 0.01
    assert len(steps) > 20
    np.testing.assert_allclose(np.asarray(S.w), w, rtol=1e-13)
    assert np.allclose(np.bincount(j, weights=np.asarray(S.w), minlength=5), 2.0 + 0.01 * np.bincount(
        j, weights=np.bincount(M.i[steps >= 20], minlength=20)[i], minlength=5))


def test_synaptic_run_regularly_errors():
    P = PoissonGroup(3, rates=10 * Hz)
    G = NeuronGroup(2, "c : 1 (shared)\nx : 1", name="G2")
    S = Synapses(P, G, "w : 1")
    S.connect()
    with pytest.raises(snngen.EquationError, match="y_post.*is not a variable"):
        S.run_regularly("y_post = w")
    with pytest.raises(snngen.EquationError, match="shared"):
        S.run_regularly("c_post += w")
    assert S._regular == []  # a refused operation is not kept
    with pytest.raises(snngen.UnitError):
        S.run_regularly("x_post += 1*mV")
        Network(P, G, S).run(1 * ms)


@needs_cuda
def test_synaptic_run_regularly_on_cuda_equals_the_cpu():
    out = {}
    for backend in ("cpu", "cuda"):
        net, P, G, S, M = _normalised_net(backend)
        net.run(12 * ms)
        out[backend] = np.asarray(S.w).copy()
    np.testing.assert_allclose(out["cuda"], out["cpu"], rtol=1e-12)  # atomic sums: any order
    net, P, G, S, M = _normalised_net("cuda")
    S.run_regularly("total_post = w")
    with pytest.raises(ModelError, match="atomic adds"):
        net.run(1 * ms)


@needs_cuda
def test_restore_on_cuda_brings_back_the_flag_history_of_heterogeneous_delays():
    """Per-synapse delays keep a history of spike flags on the device, written through an index holding
    '.shape[0]': the old regular expression did not see the write, so the history never came back to the
    host and store() kept a stale one."""
    def make():
        P = snngen.SpikeGeneratorGroup(4, [0, 1, 2, 3, 0, 2], [1, 2, 3, 4, 6, 7] * ms, name="P")
        G = NeuronGroup(3, "dv/dt = -v/(20*ms) : volt", threshold="v > 2.5*mV", reset="v = 0*mV", name="G")
        S = Synapses(P, G, "w : volt", on_pre="v_post += w", name="S")
        S.connect()
        S.w = "(1 + i) * 0.5*mV"
        S.delay = "(1 + (i + 2*j) % 5) * 1*ms"
        return P, G, S, SpikeMonitor(G, name="M")

    P, G, S, M = make()
    net = Network(P, G, S, M, dt=1 * ms, backend="cuda")
    assert_rerun_after_restore_equals_the_first_run(net, G, M, 5 * ms, 8 * ms)


def test_store_and_restore_keep_where_the_inputs_are():
    rng = np.random.default_rng(9)
    current = (0.5 + rng.random((40, 4))) * 1.5 * nA
    spikes = rng.random((40, 6)) < 0.3
    X = SpikeArrayGroup(6, spikes, name="X")
    G = NeuronGroup(4, LIF, threshold="v > 5*mV + th", reset="v = 0*mV; th += 1*mV", refractory=2 * ms,
                    namespace=PARAMS, name="G")
    G.set_input("I", current)
    S = Synapses(X, G, "w : volt", on_pre="v_post += w", name="S")
    S.connect()
    S.w = 0.5 * mV
    M = SpikeMonitor(G, name="M")
    net = Network(X, G, S, M, dt=1 * ms)
    net.run(10 * ms)
    net.store()
    net.run(20 * ms)
    first = (M.i.copy(), np.asarray(M.t).copy())
    net.reset_state()  # the inputs start again at step 30
    net.run(5 * ms)
    net.restore()  # back to step 10, and to rows 10 on
    net.run(20 * ms)
    assert len(first[0]) > 5
    np.testing.assert_array_equal(first[0], M.i)
    np.testing.assert_array_equal(first[1], np.asarray(M.t))


@needs_cuda
def test_cuda_inputs_written_in_place_are_sent_whatever_their_size(monkeypatch):
    """Arrays over the re-send threshold are sent only when replaced, except inputs: users write the next
    sample into them in place."""
    import snngen.cuda.runtime as rt

    monkeypatch.setattr(rt, "_RESEND_BYTES", 64)  # the inputs count as large, the monitor's counters do not
    a = np.zeros((20, 6), bool)
    current = np.zeros((20, 6))
    X = SpikeArrayGroup(6, a, name="X")
    G = NeuronGroup(6, "I : 1", name="G")
    G.set_input("I", current, raw=True)
    M = SpikeMonitor(X, name="M")
    net = Network(X, G, M, dt=1 * ms, backend="cuda")
    net.run(2 * ms)
    assert M.num_spikes == 0 and np.all(G.I_ == 0)
    a[1, 4] = True
    current[1, 2] = 7.0
    net.reset_state(monitors="clear")
    net.run(2 * ms)
    assert list(zip(M.t_ / 1e-3, M.i)) == [(3.0, 4)]
    assert list(G.I_) == [0, 0, 7.0, 0, 0, 0]


@needs_cuda
def test_cuda_reset_state_sends_initial_values_without_bringing_the_state_back(monkeypatch):
    import snngen.cuda.runtime as rt

    G = NeuronGroup(4, "dv/dt = (1 - v)/(10*ms) : 1", threshold="v > 0.3", reset="v = 0", name="G")
    G.v = [0.0, 0.1, 0.2, 0.25]
    net = Network(G, backend="cuda", dt=1 * ms)
    net.run(5 * ms)
    read = []
    to_host = rt.DeviceCopy.to_host
    monkeypatch.setattr(rt.DeviceCopy, "to_host", lambda self, var: (read.append(var.name), to_host(self, var))[1])
    net.reset_state()
    assert read == []  # the device's values are replaced, not read
    monkeypatch.undo()
    net.run(2 * ms)
    v = np.array([0.0, 0.1, 0.2, 0.25])  # two exact steps from the initial values, threshold and reset
    for _ in range(2):
        v = 1 - (1 - v) * np.exp(-0.1)
        v[v > 0.3] = 0
    np.testing.assert_allclose(G.v_, v, rtol=1e-12)
    assert list(v == 0) == [False, False, True, False]


@needs_cuda
def test_a_rebuilt_cuda_network_goes_on_from_the_state_its_old_kernels_computed():
    """New code (here a run_regularly) rebuilds the kernels; the state on the device is not lost."""
    out = {}
    for backend in ("cpu", "cuda"):
        G = NeuronGroup(3, "dv/dt = (1 - v)/(10*ms) : 1\nk : 1", name="G")
        net = Network(G, dt=1 * ms, backend=backend)
        net.run(2 * ms)
        G.run_regularly("k += 1")
        net.run(2 * ms)
        out[backend] = G.v_.copy(), G.k_.copy()
    np.testing.assert_allclose(out["cuda"][0], 1 - np.exp(-0.4), rtol=1e-12)
    np.testing.assert_array_equal(out["cuda"][0], out["cpu"][0])
    assert list(out["cuda"][1]) == [2, 2, 2]
