"""The batch axis on the CPU backend: ``Network(..., batch=B)`` runs B copies of the network in parallel.

The bar: copy b of a batched run equals the unbatched run with copy b's values (parameters, inputs,
rates), spike for spike; copy 0 draws the unbatched random numbers and copy b > 0 those of the unbatched
network run with seed ``copy_seed(seed, b)``.  Monitors record every copy (``SpikeMonitor.copy``,
``StateMonitor.v[b]``, ``PopulationRateMonitor.rate[b]``), in the layout the CUDA backend uses.
"""

import numpy as np
import pytest

import snngen
import snngen.cuda
from snngen import (
    Network,
    NeuronGroup,
    PoissonGroup,
    PoissonInput,
    PopulationRateMonitor,
    SpikeArrayGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from snngen.errors import ModelError, SimulationError
from snngen.runtime import random as _random
from snngen.runtime.rng import copy_seed_py
from snngen.units import Hz, ms, mV, volt

needs_cuda = pytest.mark.skipif(not snngen.cuda.available(), reason="no CUDA device and no simulator")


def deterministic(I):
    G = NeuronGroup(4, "dv/dt = (I - v)/(10*ms) : volt (unless refractory)\nI : volt", threshold="v > 10*mV",
                    reset="v = 0*mV", refractory=2 * ms, name="G")
    G.I = I
    P = SpikeGeneratorGroup(3, [0, 1, 2, 0, 1], [1, 2, 3, 7, 7] * ms, name="P")
    S = Synapses(P, G, """w : volt
                         dapre/dt = -apre/(5*ms) : 1 (event-driven)""",
                 on_pre="v_post += w; apre += 1; w += 0.1*mV", on_post="w -= 0.2*mV*apre", delay=2 * ms, name="S")
    S.connect()
    S.w = "(i+1)*2*mV"
    return dict(P=P, G=G, S=S, M=SpikeMonitor(G, name="M"), SM=StateMonitor(G, ["v", "I"], record=[0, 3], name="SM"),
                R=PopulationRateMonitor(G, name="R"))


def check_copy(batched, b, ref):
    d = batched
    sel = d["M"].copy == b
    np.testing.assert_array_equal(d["M"].i[sel], ref["M"].i)
    np.testing.assert_array_equal(d["M"].t_[sel], ref["M"].t_)
    np.testing.assert_array_equal(d["M"].count[b], ref["M"].count)
    np.testing.assert_array_equal(d["SM"].v_[b], ref["SM"].v_)
    np.testing.assert_array_equal(d["SM"].t_, ref["SM"].t_)
    np.testing.assert_array_equal(d["R"].rate_[b], ref["R"].rate_)
    np.testing.assert_array_equal(d["G"].v_[b], ref["G"].v_)
    np.testing.assert_array_equal(d["S"].w_[b], ref["S"].w_)


def test_copy_b_of_a_batch_4_run_equals_the_unbatched_run_with_its_values():
    currents = [11, 15, 20, 30]
    d = deterministic(11 * mV)
    net = Network(*d.values(), dt=0.5 * ms, batch=4)
    d["G"].I = np.array([[c * 1e-3] * 4 for c in currents]) * volt
    net.run(20 * ms)
    net.run(10 * ms)  # a second run goes on where the first ended
    for b, c in enumerate(currents):
        ref = deterministic(c * mV)
        Network(*ref.values(), dt=0.5 * ms).run(30 * ms)
        assert len(ref["M"].i) > 5
        check_copy(d, b, ref)


def test_batched_spike_buffers_grow_per_copy():
    """Copies fill their spike buffers at different steps; each grows and goes on (1024 spikes at first)."""
    rates = np.array([[50.0] * 300, [900.0] * 300])

    def make(r):
        P = PoissonGroup(300, rates=r * Hz, name="P")
        return P, SpikeMonitor(P, name="M")

    snngen.seed(4)
    P, M = make(rates[0])
    net = Network(P, M, dt=1 * ms, batch=2)
    P.rates = rates * Hz
    net.run(40 * ms)
    snngen.seed(4)
    P0, M0 = make(rates[0])
    Network(P0, M0, dt=1 * ms).run(40 * ms)
    np.testing.assert_array_equal(M.i[M.copy == 0], M0.i)
    assert (M.copy == 1).sum() > 5 * 1024  # copy 1 grew its buffer several times
    np.testing.assert_array_equal(np.bincount(M.i[M.copy == 1], minlength=300), M.count[1])


@pytest.mark.parametrize("backend", ["cpu", pytest.param("cuda", marks=needs_cuda)])
def test_random_copies_draw_the_unbatched_streams_of_their_seed(monkeypatch, backend):
    """Copy 0 = the unbatched network; copy b = the unbatched network run with seed copy_seed(seed, b), on both
    backends (so a batched network gives the same spikes on both)."""
    def make():
        P = PoissonGroup(20, rates=np.linspace(50, 500, 20) * Hz, name="P")
        G = NeuronGroup(5, "dv/dt = (-v + 2*mV*xi*sqrt(ms))/(5*ms) : volt", threshold="v > 1*mV + rand()*mV",
                        reset="v = 0*mV", method="euler", name="G")
        S = Synapses(P, G, "w : volt", on_pre="v_post += w*int(rand() < 0.5)", name="S")
        S.connect(p=0.5)
        S.w = 0.6 * mV
        return dict(P=P, G=G, S=S, M=SpikeMonitor(G, name="M"), MP=SpikeMonitor(P, name="MP"),
                    PI=PoissonInput(G, "v", 4, 300 * Hz, weight=0.3 * mV, name="PI"))

    snngen.seed(9)
    d = make()
    Network(*d.values(), dt=0.1 * ms, batch=3, backend=backend).run(8 * ms)
    seed = _random.current_seed()
    for b in range(3):
        snngen.seed(9)
        ref = make()
        monkeypatch.setattr(_random, "current_seed", lambda b=b: copy_seed_py(seed, b))
        Network(*ref.values(), dt=0.1 * ms).run(8 * ms)
        monkeypatch.undo()
        for key in ("M", "MP"):
            sel = d[key].copy == b
            assert len(ref[key].i) > 10
            np.testing.assert_array_equal(d[key].i[sel], ref[key].i)
            np.testing.assert_array_equal(d[key].t_[sel], ref[key].t_)
    assert not np.array_equal(d["MP"].i[d["MP"].copy == 0], d["MP"].i[d["MP"].copy == 1])


def test_per_copy_inputs_reset_and_synaptic_run_regularly_in_a_batch():
    rng = np.random.default_rng(2)
    spikes = rng.random((30, 2, 10)) < 0.3

    def make():
        X = SpikeArrayGroup(10, name="X")
        G = NeuronGroup(3, "dv/dt = -v/(10*ms) : volt\ntotal : 1", threshold="v > 3*mV", reset="v = 0*mV",
                        name="G")
        S = Synapses(X, G, "w : 1", on_pre="v_post += w*mV; w += 0.05", name="S")
        S.connect()
        S.w = "0.5 + 0.1*i"
        G.run_regularly("total = 0", dt=10 * ms, order=0)
        S.run_regularly("total_post += w", dt=10 * ms, order=1)
        S.run_regularly("w = w * 5 / total_post", dt=10 * ms, order=2)
        return dict(X=X, G=G, S=S, M=SpikeMonitor(G, name="M"))

    d = make()
    net = Network(*d.values(), dt=1 * ms, batch=2)
    d["X"].set_input(spikes)
    net.run(30 * ms)
    net.reset_state(monitors="clear")
    net.run(30 * ms)  # the same input again, with the learned weights
    for b in range(2):
        ref = make()
        ref["X"].set_input(spikes[:, b])
        rnet = Network(*ref.values(), dt=1 * ms)
        rnet.run(30 * ms)
        rnet.reset_state(monitors="clear")
        rnet.run(30 * ms)
        sel = d["M"].copy == b
        assert len(ref["M"].i) > 3
        np.testing.assert_array_equal(d["M"].i[sel], ref["M"].i)
        np.testing.assert_array_equal(d["M"].t_[sel], ref["M"].t_)
        np.testing.assert_allclose(d["S"].w_[b], ref["S"].w_, rtol=1e-14)


def test_what_has_no_cpu_batch_axis_says_so():
    G = NeuronGroup(4, "dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV", events={"low": "v < 0*mV"}, name="G")
    with pytest.raises(ModelError, match="custom events"):
        Network(G, batch=2).run(1 * ms)
    H = NeuronGroup(4, "dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV", name="H")
    with pytest.raises(ModelError, match="has no batch axis on the CPU backend yet"):
        Network(H, H[:2], SpikeMonitor(H[:2]), batch=2).run(1 * ms)
    # a (shared) variable is one value for all copies: each copy's code writing it would count it B times
    K = NeuronGroup(3, "dv/dt = -v/(10*ms) : 1\nc : 1 (shared)", name="K")
    K.run_regularly("c = c + 1\nv += 0.1")
    with pytest.raises(ModelError, match=r"writes the \(shared\) variable\(s\) \['c'\]"):
        Network(K, batch=2).run(1 * ms)
    L = NeuronGroup(3, "dv/dt = -v/(10*ms) : 1\nc : 1 (shared)", name="L")
    with pytest.raises(ModelError, match=r"feeds the \(shared\) variable 'c' of L"):
        Network(L, PoissonInput(L, "c", 3, 100 * Hz, weight=1), batch=2).run(1 * ms)
    Network(K, batch=2, backend="cpu")  # (made, not run: the error comes from the build)


@needs_cuda
def test_batched_monitors_of_random_values_draw_the_same_numbers_on_both_backends():
    out = {}
    for backend in ("cpu", "cuda"):
        snngen.seed(2)
        G = NeuronGroup(4, "dv/dt = -v/(10*ms) : 1\nx = v + rand() : 1", threshold="v > 0.5 + 0.1*rand()",
                        reset="v = 0", name="G")
        G.v = [0.2, 0.4, 0.6, 0.8]
        M = StateMonitor(G, ["x"], record=[0, 2], name="M")
        S = SpikeMonitor(G, variables=["x"], name="S")
        Network(G, M, S, dt=0.5 * ms, batch=2, backend=backend).run(2 * ms)
        out[backend] = M.x_.copy(), S.x_.copy(), S.i.copy()
    assert out["cpu"][0].shape == (2, 2, 4) and len(out["cpu"][2]) >= 2
    for a, b in zip(out["cpu"], out["cuda"]):
        np.testing.assert_array_equal(a, b)


def test_a_nan_in_one_copy_names_the_copy():
    G = NeuronGroup(2, "dv/dt = v/tau : 1\ntau : second", name="G")
    G.v = 1
    net = Network(G, dt=1 * ms, batch=3, check_nan=True)
    G.tau = np.array([[1.0, 1.0], [1.0, 1.0], [1e-6, 1.0]]) * 1e-3 * snngen.units.second
    with pytest.raises(SimulationError, match="'v' of G became NaN or infinite at neuron 0 of copy 2"):
        net.run(10 * ms)


# -- weights shared by the copies (BindsNET's batch training) ------------------------------------------
def shared_weight_net(spikes, how, storage="auto", batch=None, backend="cpu"):
    X = SpikeArrayGroup(spikes.shape[-1], name="X")
    G = NeuronGroup(3, "v : 1", name="G")
    S = Synapses(X, G, "w : 1", on_pre="v_post += w; w = w + 0.1*(1 - w) - 0.02*v_post", storage=storage, name="S")
    S.connect()
    S.w = "0.1*(i + 1) + 0.05*j"
    if batch:
        S.batch_shared = {"w": how}
    net = Network(X, G, S, dt=1 * ms, batch=batch, backend=backend)
    X.set_input(spikes)
    return net, G, S


def shared_weight_numpy(spikes, how):
    """Each step: every copy reads the shared weights (plus its own changes of this step), synapse after
    synapse; then the weights take the mean (or sum) of the copies' changes."""
    T, B, n = spikes.shape
    W = 0.1 * (np.arange(n)[:, None] + 1) + 0.05 * np.arange(3)[None, :]
    v = np.zeros((B, 3))
    for t in range(T):
        changes = []
        for b in range(B):
            D = np.zeros_like(W)
            for i in np.flatnonzero(spikes[t, b]):
                for j in range(3):
                    w = W[i, j] + D[i, j]
                    v[b, j] += w
                    D[i, j] = w + 0.1 * (1 - w) - 0.02 * v[b, j] - W[i, j]
            changes.append(D)
        for D in changes:
            W = W + (D / B if how == "mean" else D)
    return W, v


@pytest.mark.parametrize("how,storage,parallel", [("mean", "auto", False), ("sum", "sparse", False),
                                                   ("mean", "auto", True)])
def test_batch_shared_weights_take_the_copies_mean_change_each_step(how, storage, parallel, monkeypatch):
    """(The copies meet after every step: one after another, or in parallel when there are many of them.)"""
    if parallel:
        monkeypatch.setattr(snngen.prefs, "lockstep_parallel_copies", 1)
    rng = np.random.default_rng(3)
    spikes = rng.random((12, 4, 6)) < 0.4
    net, G, S = shared_weight_net(spikes, how, storage, batch=4)
    net.run(15 * ms)
    assert net._fn.py_func.__name__ == ("run_copies" if parallel else "run_copies_serial")
    W, v = shared_weight_numpy(spikes, how)
    assert S.w_.shape == (18,)  # one weight matrix for the four copies
    np.testing.assert_allclose(S.w_.reshape(6, 3), W, rtol=1e-12)
    np.testing.assert_allclose(G.v_, v, rtol=1e-12)


def test_batch_shared_weights_with_identical_copies_learn_as_one_network():
    rng = np.random.default_rng(4)
    one = rng.random((12, 6)) < 0.4
    net, G, S = shared_weight_net(np.repeat(one[:, None, :], 3, axis=1), "mean", batch=3)
    net.run(12 * ms)
    ref, Gr, Sr = shared_weight_net(one, "mean")
    ref.run(12 * ms)
    np.testing.assert_allclose(S.w_, Sr.w_, rtol=1e-13)
    np.testing.assert_allclose(G.v_, np.repeat(Gr.v_[None], 3, axis=0), rtol=1e-13)


def test_batch_shared_errors():
    def make(shared):
        X = SpikeArrayGroup(2, np.zeros((1, 2)), name="X")
        G = NeuronGroup(2, "dv/dt = -v/ms : 1", name="G")
        S = Synapses(X, G, "w : 1\ndx/dt = -x/ms : 1 (clock-driven)", on_pre="w += 1", name="S")
        S.connect()
        S.batch_shared = shared
        return X, G, S

    with pytest.raises(ModelError, match="must be a synaptic parameter"):
        Network(*make({"x": "mean"}), batch=2).run(1 * ms)
    with pytest.raises(ModelError, match="'mean' or 'sum'"):
        Network(*make({"w": "median"}), batch=2).run(1 * ms)
    X, G, S = make({})
    net = Network(X, G, S, batch=2)
    S.batch_shared = {"w": "mean"}
    with pytest.raises(ModelError, match="set it before the network is made"):
        net.run(1 * ms)


@needs_cuda
@pytest.mark.parametrize("how,storage", [("mean", "auto"), ("sum", "sparse")])
def test_batch_shared_weights_on_cuda_equal_numpy(how, storage):
    """The CUDA backend: each copy keeps its change of the step, a kernel adds their mean (or sum) after it."""
    rng = np.random.default_rng(3)
    spikes = rng.random((6, 3, 6)) < 0.4
    net, G, S = shared_weight_net(spikes, how, storage, batch=3, backend="cuda")
    net.run(8 * ms)
    W, v = shared_weight_numpy(spikes, how)
    np.testing.assert_allclose(S.w_.reshape(6, 3), W, rtol=1e-12)
    np.testing.assert_allclose(G.v_, v, rtol=1e-12)


@needs_cuda
@pytest.mark.parametrize("delay", [None, 1 * ms])
def test_dense_synapses_drawing_random_numbers_give_the_same_batch_on_both_backends(delay):
    """Draws keyed by synapse numbers computed from the (int32) spike lists, on each pathway."""
    out = {}
    for backend in ("cpu", "cuda"):
        snngen.seed(5)
        P = PoissonGroup(6, rates=400 * Hz, name="P")
        G = NeuronGroup(4, "dv/dt = -v/(5*ms) : volt", threshold="v > 1*mV", reset="v = 0*mV", name="G")
        S = Synapses(P, G, "w : volt", on_pre="v_post += w*int(rand() < 0.5)", on_post="w += 0.01*mV*rand()",
                     name="S")
        S.connect()
        S.w = 0.6 * mV
        if delay is not None:
            S.delay = delay
        M = SpikeMonitor(G, name="M")
        Network(P, G, S, M, dt=0.1 * ms, batch=2, backend=backend).run(10 * ms)
        out[backend] = M.i.copy(), M.copy.copy(), S.w_.copy()
    assert len(out["cpu"][0]) > 10 and set(out["cpu"][1]) == {0, 1}
    assert not np.all(out["cpu"][2] == 0.6e-3)  # the weights learned
    for a, b in zip(out["cpu"], out["cuda"]):
        np.testing.assert_array_equal(a, b)
