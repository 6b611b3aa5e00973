"""``seed(n)`` reproduces a rebuilt network in the same process, whatever was built before."""

import numpy as np

import snngen as sg
from snngen.units import Hz, ms


def _network(backend="cpu", duration=30 * ms):
    P = sg.PoissonGroup(20, 80 * Hz)
    G = sg.NeuronGroup(10, "dv/dt = (I - v)/(10*ms) + 0.2*xi/sqrt(ms) : 1\nI : 1", threshold="v > 1",
                       reset="v = 0", method="euler")
    G.I = "0.5 + rand()"
    S = sg.Synapses(P, G, "w : 1", on_pre="v += w")
    S.connect(p=0.5)
    S.w = "0.3*rand()"
    M = sg.SpikeMonitor(G)
    sg.Network(P, G, S, M, backend=backend).run(duration)
    return M.i.tolist(), M.t_.tolist(), S.i.tolist()


def test_seed_twice_gives_the_same_spikes_however_many_networks_came_before():
    sg.seed(7)
    first = _network()
    for _ in range(3):  # other networks, other objects, in between (a notebook, a sweep)
        sg.NeuronGroup(5, "v : 1", name=None)
        _network()
    sg.seed(7)
    second = _network()
    assert first == second and len(first[0]) > 20
    sg.seed(8)
    assert _network() != first


def test_seed_gives_the_same_spikes_on_both_backends():
    sg.seed(3)
    cpu = _network(duration=8 * ms)
    sg.seed(3)
    gpu = _network("cuda", duration=8 * ms)
    assert cpu == gpu and len(cpu[0]) > 0


def test_seed_also_seeds_numpy():
    sg.seed(5)
    a = np.random.rand(3)
    sg.seed(5)
    np.testing.assert_array_equal(a, np.random.rand(3))


def test_objects_created_before_and_after_a_seed_draw_independent_numbers():
    sg.seed(1)
    A = sg.NeuronGroup(1000, "v : 1")  # created right after seed(1): the first stream
    sg.seed(2)
    B = sg.NeuronGroup(1000, "v : 1")  # the first stream after seed(2), but of another seed
    sg.seed(1)
    A.v = "rand()"
    B.v = "rand()"
    assert abs(np.corrcoef(A.v_, B.v_)[0, 1]) < 0.15
    C = sg.NeuronGroup(1000, "v : 1")  # the first stream after this seed(1): A's
    C.v = "rand()"
    A.v = "rand()"
    assert A._stream == C._stream and not np.array_equal(A.v_, B.v_)


def test_without_seed_numpy_seed_reproduces_a_run(monkeypatch):
    """Brian2's targets draw from numpy's global generator, so Brian2 scripts call np.random.seed(n)
    (advanced/stochastic_odes.py): until snngen.seed() is called, streams come from numpy's generator."""
    from snngen.runtime import random as _random

    monkeypatch.setitem(_random._state, "seed", None)
    np.random.seed(12347)
    first = _network()
    np.random.seed(12347)
    assert _network() == first and len(first[0]) > 20
    assert _network() != first  # numpy's generator moved on: fresh draws
