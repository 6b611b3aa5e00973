"""Neuron groups, monitors and the compiled run loop, checked against plain numpy."""

import numpy as np
import pytest

import snngen as sg
from snngen.codegen import compiler
from snngen.units import Hz, ms, mV, second

LIF = "dv/dt = (v_rest - v + I)/tau : volt (unless refractory)"


def lif_numpy(v0, I, tau, v_rest, v_th, v_reset, ref, dt, nsteps):
    """Brian2's schedule for an exactly integrated LIF, transcribed step by step."""
    v = v0.copy()
    last = np.full(len(v), -(2**62))
    ref_steps = int((ref + 1e-3 * dt) / dt)
    spikes = []
    decay = np.exp(-dt / tau)
    for step in range(nsteps):
        nr = (step - last) >= ref_steps
        v = np.where(nr, v_rest + I + (v - v_rest - I) * decay, v)
        fired = np.flatnonzero(nr & (v > v_th))
        spikes += [(i, step) for i in fired]
        v[fired] = v_reset
        last[fired] = step
    return v, spikes


def test_lif_matches_numpy_spike_for_spike():
    N, dt = 50, 0.1e-3
    I = np.linspace(10, 25, N) * 1e-3
    ns = dict(v_rest=-65 * mV, tau=10 * ms, v_th=-50 * mV, v_reset=-70 * mV, I=I * sg.units.volt)
    G = sg.NeuronGroup(N, LIF, threshold="v > v_th", reset="v = v_reset", refractory=2 * ms, namespace=ns)
    G.v = -65 * mV
    mon = sg.SpikeMonitor(G)
    net = sg.Network(G, mon, dt=dt * second)
    net.run(200 * ms)
    v_ref, spikes = lif_numpy(np.full(N, -65e-3), I, 10e-3, -65e-3, -50e-3, -70e-3, 2e-3, dt, 2000)
    got = sorted(zip(mon.i.tolist(), np.round(mon.t_ / dt).astype(int).tolist()))
    assert got == sorted((int(i), s) for i, s in spikes)
    assert len(got) > 100
    np.testing.assert_allclose(G.v_, v_ref, rtol=1e-12, atol=1e-15)


def test_runs_in_pieces_equal_one_run_and_parameters_change_without_recompiling():
    def make():
        G = sg.NeuronGroup(5, LIF, threshold="v > v_th", reset="v = v_rest", refractory=1 * ms)
        G.v_ = -0.065
        return G

    ns = dict(v_rest=-65 * mV, tau=10 * ms, v_th=-50 * mV, I=20 * mV)
    A, B = make(), make()
    ma, mb = sg.SpikeMonitor(A), sg.SpikeMonitor(B)
    net_a, net_b = sg.Network(A, ma), sg.Network(B, mb)
    net_a.run(60 * ms, namespace=ns)
    for _ in range(3):
        net_b.run(20 * ms, namespace=ns)
    assert np.array_equal(ma.i, mb.i) and np.array_equal(ma.t_, mb.t_)
    fn, loaded = net_b._fn, len(compiler._loaded)
    ns["tau"] = 5 * ms  # a new value: same code, new argument
    before = mb.num_spikes
    net_b.run(100 * ms, namespace=ns)
    assert net_b._fn is fn and len(compiler._loaded) == loaded
    faster = mb.num_spikes - before
    ns["tau"] = 10 * ms
    before = mb.num_spikes
    net_b.run(100 * ms, namespace=ns)
    # ISI = tau*ln(20/5) + 1 ms: 7.9 ms at tau = 5 ms, 14.9 ms at 10 ms
    assert faster >= 5 * 12 and mb.num_spikes - before <= 5 * 7


def test_poisson_group_rates_and_expression_rates():
    sg.seed(3)
    P = sg.PoissonGroup(2000, 50 * Hz)
    Q = sg.PoissonGroup(200, "i*0.5*Hz")
    mp, mq = sg.SpikeMonitor(P), sg.SpikeMonitor(Q)
    sg.Network(P, Q, mp, mq, dt=1 * ms).run(1 * second)
    counts = mp.count
    # Bernoulli(p=0.05) per step, 1000 steps: mean 50, var 47.5
    assert abs(counts.mean() - 50) < 3 * np.sqrt(47.5 / 2000) * 3
    assert 0.85 < counts.var() / 47.5 < 1.15
    expected = np.arange(200) * 0.5
    assert np.corrcoef(mq.count, expected)[0, 1] > 0.95
    assert abs(mq.count.sum() - expected.sum()) < 4 * np.sqrt(expected.sum())


def test_same_seed_same_spikes_and_thread_count_independence():
    import numba

    def run_once(threads):
        sg.seed(11)
        numba.set_num_threads(threads)
        P = sg.PoissonGroup(60000, 20 * Hz, name="poisson_threads")
        m = sg.SpikeMonitor(P)
        sg.Network(P, m, dt=1 * ms).run(20 * ms)
        return m.i, m.t_

    old = sg.prefs.parallel_threshold
    sg.prefs.parallel_threshold = 50_000
    try:
        a = run_once(1)
        b = run_once(numba.config.NUMBA_NUM_THREADS)
    finally:
        sg.prefs.parallel_threshold = old
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert len(a[0]) > 10000


def test_spike_generator_times_are_exact_and_duplicates_rejected():
    G = sg.SpikeGeneratorGroup(4, [0, 3, 1, 0], [1.0, 1.0, 2.5, 7.3] * ms)
    m = sg.SpikeMonitor(G)
    net = sg.Network(G, m, dt=0.1 * ms)
    net.run(5 * ms)
    assert list(zip(m.i.tolist(), np.round(m.t_ / 1e-4).astype(int).tolist())) == [(0, 10), (3, 10), (1, 25)]
    net.run(5 * ms)
    assert m.i.tolist()[-1] == 0 and round(m.t_[-1] / 1e-4) == 73
    bad = sg.SpikeGeneratorGroup(2, [1, 1], [1.0, 1.04] * ms)
    with pytest.raises(sg.ModelError, match="two spikes"):
        sg.Network(bad, dt=0.1 * ms).run(1 * ms)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_spike_generator_repeats_every_period(backend):
    """Brian2's period=: the pattern starts again every period, also across runs that end mid-period."""
    G = sg.SpikeGeneratorGroup(3, [2, 0, 1], [0.0, 0.3, 0.3] * ms, period=0.5 * ms)
    m = sg.SpikeMonitor(G)
    net = sg.Network(G, m, dt=0.1 * ms, backend=backend)
    net.run(0.7 * ms)
    net.run(1.1 * ms)
    got = sorted(zip(np.round(m.t_ / 1e-4).astype(int).tolist(), m.i.tolist()))
    assert got == sorted((5 * k + s, i) for k in range(4) for s, i in [(0, 2), (3, 0), (3, 1)] if 5 * k + s < 18)
    with pytest.raises(sg.ModelError, match="before the period"):
        sg.Network(sg.SpikeGeneratorGroup(1, [0], [0.5] * ms, period=0.5 * ms), dt=0.1 * ms).run(1 * ms)
    with pytest.raises(sg.ModelError, match="whole number of steps"):
        sg.Network(sg.SpikeGeneratorGroup(1, [0], [0.1] * ms, period=0.55 * ms), dt=0.1 * ms).run(1 * ms)
    with pytest.raises(sg.ModelError, match="period must be a time"):
        sg.SpikeGeneratorGroup(1, [0], [0.1] * ms, period=5)


def test_state_monitor_records_subexpressions_subsets_and_coarser_dt():
    G = sg.NeuronGroup(3, "dv/dt = -v/tau : 1\nw = 2*v : 1", namespace={"tau": 10 * ms})
    G.v_ = [1.0, 2.0, 3.0]
    st = sg.StateMonitor(G, ["v", "w"], record=[0, 2], dt=1 * ms)
    sg.Network(G, st, dt=0.1 * ms).run(10 * ms)
    assert st.v.shape == (2, 10)
    np.testing.assert_allclose(st.t_, np.arange(10) * 1e-3, atol=1e-15)
    expected = np.outer([1.0, 3.0], np.exp(-np.arange(10) * 0.1))
    np.testing.assert_allclose(st.v, expected, rtol=1e-12)
    np.testing.assert_allclose(st.w, 2 * expected, rtol=1e-12)


def test_population_rate_matches_spike_counts():
    sg.seed(5)
    P = sg.PoissonGroup(500, 40 * Hz)
    r, s = sg.PopulationRateMonitor(P), sg.SpikeMonitor(P)
    sg.Network(P, r, s, dt=0.5 * ms).run(200 * ms)
    assert len(r.rate) == 400
    assert np.isclose(np.sum(r.rate_ * 500 * 0.5e-3), s.num_spikes)
    assert abs(np.mean(r.smooth_rate(width=5 * ms) / Hz) - 40) < 4


def test_spike_monitor_buffers_grow():
    G = sg.NeuronGroup(3000, "v : 1", threshold="True")  # every neuron spikes every step
    m = sg.SpikeMonitor(G)
    sg.Network(G, m, dt=1 * ms).run(5 * ms)
    assert m.num_spikes == 15000 and len(m.i) == 15000
    assert np.array_equal(np.bincount(m.i), np.full(3000, 5))


def test_timed_array_drives_the_input():
    inp = sg.TimedArray([0.0, 1.0, 0.0], dt=2 * ms)
    G = sg.NeuronGroup(1, "dv/dt = stim(t)/ms : 1")
    sg.Network(G, dt=0.5 * ms).run(8 * ms, namespace={"stim": inp})
    assert G.v_[0] == pytest.approx(2.0)  # 4 steps of 0.5 ms at slope 1/ms


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_timed_array_samples_hold_from_their_start_to_the_next_whatever_the_table_step(backend):
    """values[k] holds from k*dt_table to (k+1)*dt_table, read at each step's t = n*dt.  A table of
    coarse samples (Tetzlaff et al. 2015's gates change every 5000 steps) was read up to
    0.001*dt_table early: here 3 steps before each boundary; a table finer than the step gives the
    sample that t falls in.  Python calls give what the model reads."""
    dt = 0.1 * ms
    coarse = sg.TimedArray(np.arange(4.0), dt=3000 * dt)
    fine = sg.TimedArray(np.arange(400.0) * 10, dt=0.3 * dt)
    G = sg.NeuronGroup(1, "a = coarse(t) : 1\nb = fine(t) : 1\nv : 1", namespace={"coarse": coarse, "fine": fine})
    M = sg.StateMonitor(G, ["a", "b"], record=0)
    net = sg.Network(G, M, dt=dt, backend=backend)
    net.run(9000 * dt)
    n = np.arange(9000)
    np.testing.assert_array_equal(M.a[0], n // 3000)
    expected_fine = np.minimum(np.floor(n / 0.3 + 1e-9), 399) * 10  # sample k from 0.3*k steps on
    np.testing.assert_array_equal(M.b[0], expected_fine)
    sg.defaultclock.dt = dt
    try:
        np.testing.assert_array_equal(coarse(n * float(dt) * second), n // 3000)
        np.testing.assert_array_equal(fine(n * float(dt) * second), expected_fine)
    finally:
        sg.defaultclock.dt = 0.1 * ms


def test_store_restore_and_npz_round_trip(tmp_path):
    sg.seed(9)
    P = sg.PoissonGroup(100, 100 * Hz)
    G = sg.NeuronGroup(100, "dv/dt = -v/tau + 0.5*xi/sqrt(tau) : 1", threshold="v > 0.3", reset="v = 0",
                       namespace={"tau": 10 * ms})
    m = sg.SpikeMonitor(G)
    net = sg.Network(P, G, m, dt=0.1 * ms)
    net.run(10 * ms)
    net.store()
    net.save(tmp_path / "state.npz")
    net.run(20 * ms)
    first = (m.i.copy(), m.t_.copy(), G.v_.copy())
    net.restore()
    assert net.t_ == pytest.approx(0.01)
    net.run(20 * ms)
    assert np.array_equal(first[0], m.i) and np.array_equal(first[1], m.t_)
    np.testing.assert_array_equal(first[2], G.v_)
    net.load(tmp_path / "state.npz")
    net.run(20 * ms)
    np.testing.assert_array_equal(first[2], G.v_)


def test_string_initialisers_and_unit_checked_assignment():
    sg.seed(1)
    G = sg.NeuronGroup(10000, "v : volt\nk : 1", namespace={"v_rest": -65 * mV})
    G.v = "v_rest + rand()*5*mV"
    assert -0.065 <= G.v_.min() and G.v_.max() <= -0.060
    assert abs(G.v_.mean() + 0.0625) < 1e-4
    G.k = "i*2"
    assert np.array_equal(G.k, np.arange(10000) * 2.0)
    with pytest.raises(sg.UnitError):
        G.v = 3 * ms
    with pytest.raises(sg.UnitError):
        G.v = "k*ms"
    G.v[:2] = -70 * mV
    assert np.allclose(G.v_[:2], -0.07)
    with pytest.raises(AttributeError, match="Did you mean 'v'"):
        G.vv = 1


def test_nan_blowup_names_variable_neuron_and_step():
    G = sg.NeuronGroup(3, "dv/dt = v**2/ms : 1", method="euler")
    G.v_ = [0.0, 5.0, 0.0]
    net = sg.Network(G, dt=1 * ms, check_nan=True)
    with pytest.raises(sg.SimulationError, match=r"'v' of .* neuron 1, step \d+"):
        net.run(20 * ms)


def test_refractory_expression_and_condition():
    ns = dict(v_rest=-65 * mV, tau=10 * ms, v_th=-50 * mV, I=30 * mV)
    G = sg.NeuronGroup(2, LIF + "\nt_ref : second", threshold="v > v_th", reset="v = v_rest",
                       refractory="t_ref", namespace=ns)
    G.t_ref = [1, 5] * ms
    G.v = -65 * mV
    m = sg.SpikeMonitor(G)
    sg.Network(G, m, dt=0.1 * ms).run(100 * ms)
    isi = [np.diff(m.spike_trains()[k] / ms).mean() for k in (0, 1)]
    assert isi[1] - isi[0] == pytest.approx(4.0, abs=0.11)


def test_float32_agrees_with_float64():
    ns = dict(v_rest=-65 * mV, tau=10 * ms, v_th=-50 * mV, I=20 * mV)
    results = []
    for dtype in ("float32", "float64"):
        G = sg.NeuronGroup(1, LIF, threshold="v > v_th", reset="v = v_rest", dtype=dtype, namespace=ns)
        G.v = -65 * mV
        m = sg.SpikeMonitor(G)
        sg.Network(G, m).run(100 * ms)
        assert G.v_.dtype == np.dtype(dtype)
        results.append(m.t_)
    assert len(results[0]) == len(results[1]) > 3
    np.testing.assert_allclose(results[0], results[1], atol=0.11e-3)


def test_magic_run_and_progress_report():
    tau = 10 * ms  # noqa: F841 (resolved from this frame)
    G = sg.NeuronGroup(1, "dv/dt = -v/tau : 1")
    G.v_ = 1.0
    calls = []
    net = sg.run(10 * ms, report=lambda done, total: calls.append((done, total)))
    assert G in net.objects
    assert G.v_[0] == pytest.approx(np.exp(-1.0), rel=1e-12)
    assert calls and calls[-1] == (100, 100)


def test_durations_that_are_not_whole_steps_end_where_brian2_ends():
    """Brian2 rounds the end time of a run up to a step (the nearest one when within 1e-4 dt), so
    repeated runs of 56.67 ms (Clopath et al. 2010) neither drift nor rerun a step."""
    G = sg.NeuronGroup(1, "dn/dt = 1/second : 1", method="euler")  # n counts the steps taken (in dt units)
    net = sg.Network(G, dt=0.1 * ms)
    steps = []
    for duration in [0.25 * ms, 0.25 * ms, 0.1000001 * ms, 0.05 * ms, 0 * ms, 56.666666 * ms, 56.666666 * ms]:
        before = net.step
        net.run(duration)
        steps.append(net.step - before)
    # ends: 2.5 -> 3, 5.5 -> 6, 7.000001 -> 7 (within 1e-4), 7.5 -> 8, 8, 574.67 -> 575, 1141.67 -> 1142
    assert steps == [3, 3, 1, 1, 0, 567, 567]
    assert G.n_[0] * 1e4 == pytest.approx(1142, rel=1e-12)


def test_brian2_report_callbacks_get_elapsed_completed_start_and_duration():
    G = sg.NeuronGroup(1, "v : 1")
    net = sg.Network(G, dt=0.1 * ms)
    net.run(1 * ms)
    calls = []

    def report(elapsed, completed, start, duration):  # Brian2's signature
        calls.append((elapsed, completed, start, duration))

    net.run(2 * ms, report=report, report_period=0 * second)
    assert calls[0][1] == 0.0 and calls[-1][1] == 1.0
    assert all(float(c[0] / second) >= 0 and c[0].dim == second.dim for c in calls)
    assert float(calls[-1][2] / ms) == pytest.approx(1.0) and float(calls[-1][3] / ms) == pytest.approx(2.0)


def test_bad_durations_and_prefs():
    G = sg.NeuronGroup(1, "v : 1")
    net = sg.Network(G, dt=0.1 * ms)
    with pytest.raises(sg.ModelError, match="time"):
        net.run(5 * mV)
    with pytest.raises(sg.ModelError, match="negative"):
        net.run(-1 * ms)
    with pytest.raises(AttributeError, match="dtype"):
        sg.prefs.dtyp = "float32"


def test_shared_parameter_and_constant_over_dt():
    # I_step is computed once per step (constant over dt), then v integrates exactly with it
    G = sg.NeuronGroup(3, """dv/dt = (I_step - v)/tau : 1
                             I_step = amp*sin(2*pi*f*t) : 1 (constant over dt)
                             amp : 1 (shared)""", namespace={"tau": 10 * ms, "f": 50 * Hz})
    G.amp = 2.0
    assert G.amp.shape == (1,)
    dt, n = 1e-4, 200
    sg.Network(G, dt=dt * second).run(n * dt * second)
    v, decay = 0.0, np.exp(-dt / 0.01)
    for k in range(n):
        inp = 2.0 * np.sin(2 * np.pi * 50 * k * dt)
        v = inp + (v - inp) * decay
    np.testing.assert_allclose(G.v_, v, rtol=1e-12)
    with pytest.raises(sg.EquationError, match="Synapses"):
        sg.NeuronGroup(1, "dx/dt = -x/tau : 1 (event-driven)")
    with pytest.raises(sg.EquationError, match="shared"):
        sg.NeuronGroup(1, "v : 1\namp : 1 (shared)", reset="amp = 1", threshold="v > 1")


def test_refractory_condition_blocks_the_threshold_while_it_holds():
    ns = dict(v_inf=-45 * mV, tau=10 * ms)
    model = "dv/dt = (v_inf - v)/tau : volt"
    G = sg.NeuronGroup(1, model, threshold="v > -50*mV", reset="v = -40*mV", refractory="v > -42*mV", namespace=ns)
    H = sg.NeuronGroup(1, model, threshold="v > -50*mV", reset="v = -40*mV", namespace=ns)
    G.v = H.v = -60 * mV
    mg, mh = sg.SpikeMonitor(G), sg.SpikeMonitor(H)
    sg.Network(G, H, mg, mh).run(100 * ms)
    # after each reset to -40 mV, v relaxes towards -45 mV: G is refractory until v < -42 mV, i.e. for
    # tau*ln(5/3) = 5.11 ms = 52 updates; the condition is read at the start of a step (Brian2's order),
    # so the next spike comes 53 steps after the last; H (no refractoriness) fires every step
    updates = int(np.ceil(10 * np.log(5 / 3) / 0.1))
    isi = np.round(np.diff(mg.t_) / 1e-4).astype(int)
    assert len(isi) > 10 and np.all(isi == updates + 1)
    assert np.all(np.diff(mh.t_) == pytest.approx(1e-4))


def test_poisson_constant_rates_give_geometric_intervals_and_rate_changes_apply():
    sg.seed(8)
    P = sg.PoissonGroup(1000, 100 * Hz, name="poisson_geometric")
    m = sg.SpikeMonitor(P)
    net = sg.Network(P, m, dt=1 * ms)
    net.run(1 * second)
    # Bernoulli(p = 0.1) per step: intervals are geometric, P(k) = p (1 - p)**(k - 1)
    isi = np.concatenate([np.diff(np.round(t / ms).astype(int)) for t in m.spike_trains().values()])
    k = np.arange(1, 30)
    observed = np.array([(isi == x).mean() for x in k])
    expected = 0.1 * 0.9 ** (k - 1)
    assert np.max(np.abs(observed - expected)) < 0.01
    assert abs(m.num_spikes / 1000 - 100) < 3
    P.rates = np.where(np.arange(1000) < 500, 0.0, 200.0) * Hz  # new rates from the next step on
    before = m.count.copy()
    net.run(1 * second)
    new = m.count - before
    assert new[:500].sum() == 0 and abs(new[500:].mean() - 200) < 4
    with pytest.raises(sg.UnitError):
        P.rates = 5 * ms


def test_string_assignment_to_a_slice_and_to_synapse_pairs():
    v_rest = -65 * mV  # noqa: F841 (resolved from this frame)
    G = sg.NeuronGroup(6, "v : volt\nk : 1")
    G.v = -70 * mV
    G.v[:3] = "v_rest + i*mV"
    G.k[2:4] = "i*2"
    np.testing.assert_allclose(G.v_, [-0.065, -0.064, -0.063, -0.07, -0.07, -0.07])
    assert G.k.tolist() == [0, 0, 4, 6, 0, 0]
    S = sg.Synapses(G, G, "w : 1")
    S.connect()
    S.w[1, :] = "j*1.0"
    assert S.w_.reshape(6, 6)[1].tolist() == [0, 1, 2, 3, 4, 5] and S.w_.reshape(6, 6)[0].sum() == 0
    with pytest.raises(sg.UnitError):
        G.v[:2] = "k*ms"


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_one_spike_keeps_one_spiker_per_step_drawn_uniformly_before_the_reset(backend):
    """NeuronGroup(one_spike=True): of the neurons that meet the threshold, one (uniform) spikes; the reset and
    the synapses see that one only; CPU and CUDA draw the same winner; an unbatched network and copy 0 of a
    batched one too."""
    def run(backend, batch=None):
        sg.seed(8)
        G = sg.NeuronGroup(5, "v : 1\nn : 1", threshold="v > 0", reset="n += 1", one_spike=True, name="G")
        G.v = "i - 1.5"  # neurons 2, 3, 4 always meet the threshold
        H = sg.NeuronGroup(5, "k : 1", name="H")
        S = sg.Synapses(G, H, on_pre="k_post += 1")
        S.connect(j="i")
        M = sg.SpikeMonitor(G)
        net = sg.Network(G, H, S, M, dt=1 * ms, backend=backend, batch=batch)
        net.run(120 * ms)
        n = np.asarray(G.variables["n"].array).reshape(-1, 5)
        return n, np.asarray(H.variables["k"].array).reshape(-1, 5), M

    n, k, M = run(backend)
    assert M.num_spikes == 120 and n.sum() == 120
    np.testing.assert_array_equal(n, k)
    assert (n[0, :2] == 0).all() and (n[0, 2:] > 25).all(), n  # about 40 each (P(<= 25) ~ 1e-3 each)
    np.testing.assert_array_equal(run("cpu")[0], n)
    nb, _, _ = run(backend, batch=2)
    np.testing.assert_array_equal(nb[0], n[0])
    assert not np.array_equal(nb[1], n[0]) and nb[1].sum() == 120
    with pytest.raises(sg.ModelError, match="one_spike needs a threshold and no refractory"):
        sg.NeuronGroup(2, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", refractory=2 * ms, one_spike=True)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_poisson_group_with_variables_of_its_own(backend):
    """PoissonGroup(model=, reset=): the Poisson spikes (the same as a plain PoissonGroup's with the seed) drive
    the reset statements, run_regularly code runs every step; batched too; no differential equations."""
    def run(model, batch=None):
        sg.seed(3)
        kw = dict(model="n : 1\nx : 1", reset="n += 1\nx = 1") if model else {}
        P = sg.PoissonGroup(6, rates=np.linspace(50, 300, 6) * Hz, **kw)
        if model:
            P.run_regularly("x = x*0.5", when="before_groups")
        M = sg.SpikeMonitor(P)
        net = sg.Network(P, M, dt=1 * ms, backend=backend, batch=batch)
        net.run(200 * ms)
        return P, M

    plain, m0 = run(False)
    P, M = run(True)
    np.testing.assert_array_equal(M.i, m0.i)
    np.testing.assert_array_equal(M.t, m0.t)
    np.testing.assert_array_equal(np.asarray(P.n), M.count)
    last = np.array([M.t_[M.i == k].max() if (M.i == k).any() else -1 for k in range(6)])
    expected = np.where(last >= 0, 0.5 ** np.round((0.199 - last) / 1e-3), 0)
    np.testing.assert_allclose(np.asarray(P.x), expected, rtol=1e-12)
    Pb, Mb = run(True, batch=2)
    np.testing.assert_array_equal(np.asarray(Pb.variables["n"].array), Mb.count)
    np.testing.assert_array_equal(Mb.count[0], M.count)
    with pytest.raises(sg.ModelError, match="no differential equations|may not have differential"):
        sg.PoissonGroup(2, rates=10 * Hz, model="dv/dt = -v/(10*ms) : 1")
