"""The habits of Brian2 scripts: the magic run(), start_scope(), defaultclock, network operations and
stop(), store()/restore() — each as Brian2 behaves (measured in Brian2 2.11)."""

import numpy as np
import pytest

import snngen as sg
from snngen.units import ms, mV


@pytest.fixture(autouse=True)
def fresh_scope():
    sg.start_scope()
    dt = sg.defaultclock.dt
    yield
    sg.defaultclock.dt = dt


def test_magic_run_continues_when_a_monitor_is_added():
    """Brian2 continues the simulation when only monitors were added (they do not change it)."""
    G = sg.NeuronGroup(1, "dv/dt = 1/(10*ms) : 1")
    sg.run(5 * ms)
    M = sg.StateMonitor(G, "v", record=0)  # noqa: F841 (found by run())
    net = sg.run(5 * ms)
    assert float(net.t / ms) == pytest.approx(10.0)
    np.testing.assert_allclose(M.t_ * 1e3, np.arange(50, 100) * 0.1)
    assert G.v_[0] == pytest.approx(1.0)  # 10 ms of dv/dt = 1/(10 ms)
    assert float(sg.defaultclock.t / ms) == pytest.approx(10.0)


def test_magic_run_starts_again_with_new_objects_and_refuses_a_mix():
    A = sg.NeuronGroup(1, "dv/dt = 1/ms : 1")
    assert float(sg.run(2 * ms).t / ms) == pytest.approx(2.0)
    sg.start_scope()
    B = sg.NeuronGroup(1, "dv/dt = 1/ms : 1")
    assert float(sg.run(3 * ms).t / ms) == pytest.approx(3.0)  # all new: a new simulation, at t = 0
    assert A.v_[0] == pytest.approx(2.0) and B.v_[0] == pytest.approx(3.0)
    C = sg.NeuronGroup(1, "dv/dt = 1/ms : 1")  # noqa: F841 (a new group beside B, which ran)
    with pytest.raises(sg.ModelError, match="previous run together with new ones.*start_scope"):
        sg.run(1 * ms)


def test_start_scope_leaves_earlier_objects_out():
    A = sg.NeuronGroup(1, "v : 1")
    sg.start_scope()
    B = sg.NeuronGroup(1, "v : 1")
    assert sg.collect() == [B] and A not in sg.collect()


def test_defaultclock_dt_is_the_step_of_networks_made_without_one():
    sg.defaultclock.dt = 0.5 * ms
    G = sg.NeuronGroup(1, "dv/dt = 1/ms : 1")
    M = sg.StateMonitor(G, "v", record=0)
    sg.Network(G, M).run(2 * ms)
    np.testing.assert_allclose(M.t_ * 1e3, [0, 0.5, 1.0, 1.5])
    own = sg.Network(sg.NeuronGroup(1, "v : 1"), dt=0.1 * ms)
    assert own.dt_ == pytest.approx(1e-4)


def test_defaultclock_dt_cannot_change_under_a_network_that_ran():
    net = sg.Network(sg.NeuronGroup(1, "v : 1"))
    net.run(1 * ms)
    sg.defaultclock.dt = 0.05 * ms
    with pytest.raises(sg.ModelError, match="time step changed"):
        net.run(1 * ms)


def test_network_operations_run_every_dt_in_python_and_see_the_state():
    G = sg.NeuronGroup(1, "dv/dt = 1/ms : 1")
    seen, ends = [], []

    @sg.network_operation(dt=1 * ms)
    def look(t):
        seen.append((float(t / ms), G.v_[0], float(sg.defaultclock.t / ms)))

    @sg.network_operation(when="end")
    def bump():
        ends.append(G.v_[0])
        G.v_ += 10  # a write from Python, seen by the next step

    net = sg.Network(G, look, bump)
    net.run(3 * ms)
    assert [s[0] for s in seen] == [0.0, 1.0, 2.0]
    assert all(t == clock for t, _, clock in seen)
    # v grows by dt/ms = 0.1 a step, plus 10 after every step: at the start of step k, v = k*10.1
    np.testing.assert_allclose([s[1] for s in seen], [0.0, 101.0, 202.0], rtol=1e-12)
    assert len(ends) == 30 and ends[0] == pytest.approx(0.1)


def test_stop_ends_the_run_after_the_current_step():
    G = sg.NeuronGroup(1, "dv/dt = 1/ms : 1")

    @sg.network_operation(dt=0.5 * ms)
    def check():
        if G.v_[0] >= 2.0:
            sg.stop()

    net = sg.Network(G, check)
    net.run(100 * ms)
    # v = 2.0 at the start of step 20 (t = 2 ms): stop() there, the step is completed
    assert net.step == 21 and G.v_[0] == pytest.approx(2.1)
    with pytest.raises(sg.ModelError, match="running network"):
        sg.stop()


def test_network_operations_in_the_middle_of_a_step_are_refused():
    with pytest.raises(sg.ModelError, match="start or at the end"):
        sg.network_operation(when="synapses")(lambda: None)


def test_magic_store_and_restore():
    G = sg.NeuronGroup(1, "dv/dt = 1/ms : 1")
    sg.store()
    sg.run(2 * ms)
    first = G.v_[0]
    sg.restore()
    assert G.v_[0] == 0.0
    net = sg.run(2 * ms)
    assert G.v_[0] == first and float(net.t / ms) == pytest.approx(2.0)


def test_state_monitor_rows_by_neuron_index_and_its_record_attribute():
    """Brian2's M[i].v is the trace of neuron i (its index in the group, not its row); M.record lists them."""
    G = sg.NeuronGroup(5, "dv/dt = (i + 1)/ms : 1", method="euler")
    M = sg.StateMonitor(G, "v", record=[3, 1])
    sg.Network(G, M, dt=0.1 * ms).run(0.5 * ms)
    assert M.record.tolist() == [3, 1]
    np.testing.assert_allclose(M[1].v_, 0.2 * np.arange(5), rtol=1e-12)
    np.testing.assert_allclose(M[3].v_, 0.4 * np.arange(5), rtol=1e-12)
    assert sg.StateMonitor(G, "v", record=True).record.tolist() == [0, 1, 2, 3, 4]
    with pytest.raises((IndexError, sg.ModelError)):
        M[2]


def test_group_indices_and_get_set_states():
    G = sg.NeuronGroup(3, "v : volt\nk : integer")
    G.v = [1, 2, 3] * mV
    assert G.i.tolist() == [0, 1, 2]
    states = G.get_states()
    assert set(states) == {"v", "k", "i", "N"} and states["N"] == 3
    np.testing.assert_allclose(states["v"] / mV, [1, 2, 3])
    G.set_states({"v": [4, 5, 6] * mV, "k": [1, 2, 3]})
    np.testing.assert_allclose(G.get_states(["v"], units=False)["v"], [0.004, 0.005, 0.006])
    assert G.k.tolist() == [1, 2, 3]
    with pytest.raises(sg.UnitError):
        G.set_states({"v": [1, 2, 3]})
    with pytest.raises(sg.ModelError, match="no variable 'w'"):
        G.set_states({"w": 1})


def test_spike_monitor_count_is_a_copy_it_and_variables_and_state_monitor_when():
    """Brian2's Diehl & Cook script compares count[:] before and after a run (a copy); M.it; values at the
    spikes (SpikeMonitor(variables=)); StateMonitor(when="thresholds") sees the state before the reset."""
    G = sg.NeuronGroup(2, "dv/dt = (i + 1)*1.25/ms : 1", threshold="v > 1", reset="v = 0", method="euler")
    M = sg.SpikeMonitor(G, variables="v")
    S = sg.StateMonitor(G, "v", record=True, when="thresholds")
    net = sg.Network(G, M, S, dt=0.1 * ms)
    net.run(1 * ms)
    before = M.count[:]
    net.run(1 * ms)
    assert before.tolist() == [1, 2] and M.count.tolist() == [2, 4]  # the copy did not move
    i, t = M.it
    assert list(zip(i.tolist(), np.round(t / ms, 6).tolist())) == [
        (1, 0.4), (0, 0.8), (1, 0.9), (1, 1.4), (0, 1.7), (1, 1.9)]
    assert M.v_.tolist() == [1.25, 1.125, 1.25, 1.25, 1.125, 1.25]  # after the update, before the reset
    assert S.v_[0, :10].tolist() == [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 0.125]
    assert S.v_[1, 4] == 1.25 and S.v_[1, 5] == 0.25  # recorded at its spike, before the reset
