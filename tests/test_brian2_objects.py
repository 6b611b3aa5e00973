"""Brian2's objects beyond groups and synapses: run_regularly, linked variables, PoissonInput —
against numpy transcriptions and exact distributions."""

import math

import numpy as np
import pytest

import snngen as sg
from snngen.units import Hz, ms, mV


# -- run_regularly ---------------------------------------------------------------------------------
def test_run_regularly_runs_every_dt_at_its_slot():
    G = sg.NeuronGroup(4, "dv/dt = (I - v)/(10*ms) : 1\nI : 1\nk : 1 (shared)")
    G.run_regularly("I = i + 1", dt=1 * ms)
    G.run_regularly("k += 1", dt=2 * ms, when="end")
    M = sg.StateMonitor(G, ["I", "v"], record=True)
    sg.Network(G, M, dt=0.1 * ms).run(3 * ms)
    assert G.k_[0] == 2  # at steps 0 and 20
    np.testing.assert_array_equal(M.I_[:, 0], [1, 2, 3, 4])  # the operation runs before the monitor
    v = np.zeros(4)
    for _ in range(30):  # exact integration of dv/dt = (I - v)/tau
        v = (np.arange(4) + 1) + (v - (np.arange(4) + 1)) * np.exp(-0.01)
    np.testing.assert_allclose(G.v_, v, rtol=1e-12)


def test_run_regularly_draws_per_neuron_and_call():
    sg.seed(1)
    G = sg.NeuronGroup(5000, "x : 1")
    G.run_regularly("x = randn()", dt=1 * ms)
    M = sg.StateMonitor(G, "x", record=[0, 1], when="end")
    sg.Network(G, M).run(2 * ms)
    assert abs(G.x_.mean()) < 0.06 and abs(G.x_.std() - 1) < 0.05
    assert M.x_[0, 0] != M.x_[0, 10] and M.x_[0, 0] == M.x_[0, 9]  # new draws at the next call only


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_run_regularly_runs_shared_statements_once_then_the_others(backend):
    """Brian2's Clopath et al. (2010) input: one randomly selected neuron at a time (a (shared) index drawn
    once per call, then a per-neuron statement reading it)."""
    sg.seed(8)
    G = sg.NeuronGroup(10, "x : 1\nselected : 1 (shared)\ncalls : 1")
    G.run_regularly("selected = int(floor(rand()*N))\nx = int(selected == i)\ncalls += x", dt=1 * ms)
    sg.Network(G, backend=backend).run(20 * ms)
    assert G.x_.sum() == 1 and G.x_[int(G.selected_[0])] == 1
    assert G.calls_.sum() == 20 and (G.calls_ > 0).sum() > 3


def test_run_regularly_errors():
    G = sg.NeuronGroup(2, "v : 1\nc : 1 (constant)\ns : 1 (shared)")
    with pytest.raises(sg.ModelError, match="not a variable"):
        G.run_regularly("w = 1")
    with pytest.raises(sg.ModelError, match="constant"):
        G.run_regularly("c = 1")
    with pytest.raises(sg.ModelError, match="'s' is \\(shared\\).*come before"):
        G.run_regularly("v = 2; s = 1")
    G.run_regularly("v = 2*mV")
    with pytest.raises(sg.UnitError, match="units"):
        sg.Network(G).run(1 * ms)


def test_poisson_group_rates_changed_by_run_regularly():
    """Brian2's Wang (2002) example: a PoissonGroup whose rates a run_regularly operation sets."""
    sg.seed(3)
    P = sg.PoissonGroup(2000, 10 * Hz)
    np.testing.assert_array_equal(P.rates_ if hasattr(P, "rates_") else np.asarray(P.rates), np.full(2000, 10.0))
    P.run_regularly("rates = int(t > 50*ms)*400*Hz", dt=10 * ms)
    M = sg.SpikeMonitor(P)
    sg.Network(P, M).run(100 * ms)
    t = M.t_
    assert (t < 0.06).sum() == 0  # 0 Hz until the operation at 60 ms (t > 50 ms is false at 50 ms)
    rate = (t >= 0.06).sum() / (2000 * 0.04)
    assert abs(rate - 400) < 5 * math.sqrt(400 / (2000 * 0.04))


# -- linked variables ------------------------------------------------------------------------------
def test_linked_variable_reads_the_other_groups_variable_every_step():
    """Brian2's reliability example: neurons read a common input's x through ``I : 1 (linked)``."""
    src = sg.NeuronGroup(1, "dx/dt = 1/ms : 1", name="b_source")
    G = sg.NeuronGroup(3, "dv/dt = I/ms : 1\nI : 1 (linked)", name="a_reader")  # updated first (by name)
    G.I = sg.linked_var(src, "x")
    G2 = sg.NeuronGroup(3, "dv/dt = I/ms : 1\nI : 1 (linked)", name="c_reader")  # updated after the source
    G2.I = sg.linked_var(src.x)
    H = sg.NeuronGroup(3, "dv/dt = I/ms : 1\nI : 1 (linked)")
    src3 = sg.NeuronGroup(3, "y : 1")
    src3.y = [1.0, 2.0, 3.0]
    H.I = sg.linked_var(src3.y, index=[2, 0, 0])
    sg.Network(src, G, G2, H, src3, dt=0.1 * ms).run(1 * ms)
    # x(t) = t/ms; Brian2's order within a slot is by name: a_reader reads x before the source's update
    # in each step, c_reader after it
    x_before = np.arange(10) * 0.1
    np.testing.assert_allclose(G.v_, np.full(3, (x_before * 0.1).sum()), rtol=1e-12)
    np.testing.assert_allclose(G2.v_, np.full(3, ((x_before + 0.1) * 0.1).sum()), rtol=1e-12)
    np.testing.assert_allclose(H.v_, np.array([3.0, 1.0, 1.0]) * 1.0, rtol=1e-12)
    np.testing.assert_array_equal(H.I, [3.0, 1.0, 1.0])
    src3.y = [5.0, 0.0, 0.0]  # the same array, not a copy
    np.testing.assert_array_equal(H.I, [0.0, 5.0, 5.0])


def test_linked_variable_errors():
    A = sg.NeuronGroup(3, "I : 1 (linked)\nJ : volt (linked)")
    B = sg.NeuronGroup(2, "x : 1")
    with pytest.raises(sg.ModelError, match="index"):
        A.I = sg.linked_var(B, "x")
    with pytest.raises(sg.ModelError, match="units"):
        A.J = sg.linked_var(sg.NeuronGroup(3, "x : 1"), "x")
    with pytest.raises(sg.ModelError, match="not linked"):
        sg.Network(A).run(1 * ms)
    with pytest.raises(sg.ModelError, match="linked_var"):
        A.I = 3
    with pytest.raises(sg.ModelError, match="no variable"):
        sg.linked_var(B, "nope")
    # not supported yet, and said so (Brian2's homeostatic_stdp_at_inhibitory_synapes example does both)
    with pytest.raises(sg.ModelError, match="subexpression"):
        sg.linked_var(sg.NeuronGroup(1, "G = H - 1 : 1\nH : 1"), "G")
    with pytest.raises(sg.ModelError, match=r"\(linked\) variables in Synapses \(G\) are not supported yet"):
        sg.Synapses(B, B, "G : 1 (linked)")


# -- PoissonInput ----------------------------------------------------------------------------------
@pytest.mark.parametrize("N, rate", [(1000, 10 * Hz), (3, 20 * Hz)])  # normal approximation / exact inversion
def test_poisson_input_adds_binomial_counts(N, rate):
    sg.seed(2)
    G = sg.NeuronGroup(20000, "x : 1")
    sg.Network(G, sg.PoissonInput(G, "x", N=N, rate=rate, weight=1.0), dt=0.1 * ms).run(0.1 * ms)
    p = float(rate * 0.1 * ms)
    mean, var = N * p, N * p * (1 - p)
    assert abs(G.x_.mean() - mean) < 5 * math.sqrt(var / len(G.x_))
    assert abs(G.x_.var() - var) < 5 * var * math.sqrt(2 / len(G.x_)) + 1e-3
    if N * p < 5:  # exact: whole counts with the binomial probabilities
        assert np.all(G.x_ == np.round(G.x_))
        for k in range(3):
            pk = math.comb(N, k) * p**k * (1 - p) ** (N - k)
            assert abs(np.mean(G.x_ == k) - pk) < 5 * math.sqrt(pk * (1 - pk) / len(G.x_)) + 1e-4


def test_poisson_input_drives_a_membrane_to_its_mean():
    sg.seed(4)
    G = sg.NeuronGroup(2000, "dv/dt = -v/(10*ms) : volt")
    inputs = [sg.PoissonInput(G, "v", N=100, rate=10 * Hz, weight=0.1 * mV),
              sg.PoissonInput(G, "v", N=3, rate=20 * Hz, weight="0.2*mV*(1 + i/N)")]
    sg.Network(G, *inputs).run(200 * ms)
    expected = 100 * 10 * 0.1e-3 * 10e-3 + 3 * 20 * 0.2e-3 * (1 + np.arange(2000) / 2000) * 10e-3
    assert abs(G.v_.mean() / expected.mean() - 1) < 0.02


def test_poisson_input_on_the_cuda_backend_draws_what_the_cpu_draws():
    def run(backend):
        sg.seed(6)
        G = sg.NeuronGroup(8, "dv/dt = -v/(5*ms) : 1")
        P = sg.PoissonInput(G, "v", N=50, rate=100 * Hz, weight=0.01)
        Q = sg.PoissonInput(G, "v", N=2, rate=100 * Hz, weight="0.1*i")
        sg.Network(G, P, Q, backend=backend).run(3 * ms)
        return G.v_.copy()

    np.testing.assert_array_equal(run("cpu"), run("cuda"))


def test_poisson_input_errors():
    G = sg.NeuronGroup(2, "v : volt\nc : volt (constant)")
    with pytest.raises(sg.ModelError, match="'w' is not a variable"):
        sg.PoissonInput(G, "w", N=10, rate=5 * Hz, weight=1 * mV)
    with pytest.raises(sg.ModelError):
        sg.PoissonInput(G, "c", N=10, rate=5 * Hz, weight=1 * mV)
    with pytest.raises(sg.UnitError):
        sg.PoissonInput(G, "v", N=10, rate=5 * Hz, weight=1 * ms)
    with pytest.raises(sg.ModelError, match="integer"):
        sg.PoissonInput(G, "v", N=2.5, rate=5 * Hz, weight=1 * mV)


# -- subgroups -------------------------------------------------------------------------------------
def test_subgroups_are_views_with_their_own_indices():
    G = sg.NeuronGroup(10, "v : 1\nk : 1")
    Pe, Pi = G[:6], G[6:]
    assert len(Pe) == 6 and len(Pi) == 4 and Pi[1:3].start == 7 and len(G[3]) == 1
    Pe.v = "i*0.1"  # i counts within the subgroup
    Pi.v = "N"  # its size
    Pi.k = [1, 2, 3, 4]
    np.testing.assert_allclose(G.v_, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 4, 4, 4, 4])
    np.testing.assert_array_equal(G.k_[6:], [1, 2, 3, 4])
    Pi.v_[0] = 9  # a view
    assert G.v_[6] == 9
    with pytest.raises(sg.ModelError, match="contiguous"):
        G[::2]


def test_synapses_monitors_and_inputs_on_subgroups_equal_the_whole_group_with_offsets():
    def network(split):
        sg.seed(5)
        G = sg.NeuronGroup(10, "dv/dt = (1.5 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0", name="G")
        G.v = "rand()"
        if split:
            src, tgt = G[:6], G[6:]
            S = sg.Synapses(src, tgt, "w : 1", on_pre="v_post += w", name="S")
            S.connect(condition="i != j")
            S.w = "0.01*(i + 1) + 0.001*j"
            M = sg.SpikeMonitor(tgt, name="M")
            R = sg.PopulationRateMonitor(tgt, name="R")
        else:
            S = sg.Synapses(G, G, "w : 1", on_pre="v_post += w", name="S")
            S.connect(condition="i < 6 and j >= 6 and i != j - 6")
            S.w = "0.01*(i + 1) + 0.001*(j - 6)"
            M = sg.SpikeMonitor(G, name="M")
            R = None
        net = sg.Network(G, S, M, *([R] if R is not None else []))
        net.run(50 * ms)
        if split:
            return M.i.tolist(), M.t_.tolist(), R.rate_.sum()
        keep = M.i >= 6
        return (M.i[keep] - 6).tolist(), M.t_[keep].tolist(), None

    sub, whole = network(True), network(False)
    assert sub[:2] == whole[:2] and len(sub[0]) > 10
    assert sub[2] * 0.1e-3 * 4 == pytest.approx(len(sub[0]))  # the rate monitor counts the subgroup's spikes


def test_a_subgroup_whose_group_is_not_in_the_network_is_an_error():
    G = sg.NeuronGroup(4, "v : 1", threshold="v > 1")
    with pytest.raises(sg.ModelError, match="not in the network"):
        sg.Network(sg.SpikeMonitor(G[:2])).run(1 * ms)


def test_poisson_input_into_a_subgroup():
    sg.seed(2)
    G = sg.NeuronGroup(4000, "x : 1")
    sg.Network(G, sg.PoissonInput(G[2000:], "x", N=10, rate=1000 * Hz, weight=1.0)).run(1 * ms)
    assert np.all(G.x_[:2000] == 0) and G.x_[2000:].mean() == pytest.approx(10 * 0.1 * 10, rel=0.03)


# -- subexpressions read from a group ----------------------------------------------------------------
def test_a_subexpression_is_read_like_a_variable():
    G = sg.NeuronGroup(3, "dv/dt = -v/tau : volt\nalpha = v*c/mV + k : 1\nk : 1")
    G.v = [1, 2, 3] * mV
    G.k = 0.5
    c = 2.0  # noqa: F841 (found in this frame)
    np.testing.assert_allclose(G.alpha, [2.5, 4.5, 6.5])
    np.testing.assert_allclose(G[1:].alpha, [4.5, 6.5])


# -- temporaries in statement code -----------------------------------------------------------------
@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_statement_code_with_temporaries(backend):
    """Brian2's Stimberg et al. (2018) synapse: r_S = u_S*x_S; x_S -= r_S; g_post += w*r_S — r_S is a local
    of the code, computed before x_S changes."""
    pre = sg.SpikeGeneratorGroup(1, [0, 0, 0], [1, 2, 3] * ms)
    post = sg.NeuronGroup(1, "g : 1\ndv/dt = 1/ms : 1\nlast : 1", threshold="v > 1",
                          reset="twice = 2*v; v = 0; last = twice + v")
    S = sg.Synapses(pre, post, "x_S : 1\nu_S : 1\nw : 1", on_pre="r_S = u_S*x_S\nx_S -= r_S\ng_post += w*r_S")
    S.connect()
    S.x_S, S.u_S, S.w = 1.0, 0.5, 2.0
    sg.Network(pre, post, S, dt=0.1 * ms, backend=backend).run(5 * ms)
    assert post.g_[0] == pytest.approx(2.0 * (0.5 + 0.25 + 0.125))
    assert S.x_S_[0] == pytest.approx(0.125)
    assert post.last_[0] == pytest.approx(2 * 1.1)  # v crosses 1 at 1.1 (dt 0.1 ms): twice, taken before v = 0


def test_temporaries_errors():
    G = sg.NeuronGroup(1, "v : 1")
    with pytest.raises(sg.EquationError, match="'vv'.*no statement after it reads it.*'v'"):
        sg.NeuronGroup(1, "v : 1", threshold="v > 1", reset="vv = 0")
    with pytest.raises(sg.EquationError, match="neither a variable nor a value"):
        sg.Synapses(G, G, "w : 1", on_pre="q += 1")
    S = sg.Synapses(G, G, "w : 1", on_pre="a = w*mV; v_post += a")
    S.connect()
    with pytest.raises(sg.UnitError, match="v_post"):
        sg.Network(G, S).run(1 * ms)


# -- custom events ---------------------------------------------------------------------------------
def test_custom_events_trigger_code_pathways_and_monitors():
    """Brian2's custom_events example, deterministic: an event 'half' when v first passes 0.5 after each
    spike, recorded by an EventMonitor, counted by run_on_event and carried by a pathway on_event."""
    G = sg.NeuronGroup(2, "dv/dt = drive/ms : 1\ndrive : 1\nallow : boolean\nhalves : 1", threshold="v > 1",
                       reset="v = 0; allow = True", events={"half": "v > 0.5 and allow"}, name="G")
    G.drive = [0.13, 0.21]
    G.allow = True
    G.run_on_event("half", "allow = False; halves += 1")
    H = sg.NeuronGroup(2, "x : 1\ny : 1", name="H")
    S = sg.Synapses(G, H, on_pre={"pre": "x_post += 1", "up": "y_post += 1"}, on_event={"up": "half"}, name="S")
    S.connect(j="i")
    M = sg.EventMonitor(G, "half", variables="v", name="M")
    Ms = sg.SpikeMonitor(G, name="Ms")
    sg.Network(G, H, S, M, Ms, dt=0.1 * ms).run(20 * ms)
    # numpy transcription: update, event and threshold tests (thresholds slot), pathways, event code, reset
    v, allow, halves = np.zeros(2), np.ones(2, bool), np.zeros(2)
    events, spikes = [], []
    for step in range(200):
        v = v + 0.1 * np.array([0.13, 0.21])
        half = np.flatnonzero((v > 0.5) & allow)
        spike = np.flatnonzero(v > 1)
        events += [(step, k, v[k]) for k in half]
        spikes += [(step, k) for k in spike]
        allow[half], halves[half] = False, halves[half] + 1
        v[spike], allow[spike] = 0, True
    assert [(int(round(t / 1e-4)), i) for t, i in zip(M.t_, M.i)] == [(s, k) for s, k, _ in events]
    np.testing.assert_allclose(M.v_, [x for _, _, x in events], rtol=1e-12)
    assert M.num_events == len(events)
    np.testing.assert_allclose(M.event_trains()[1] / ms, [0.1 * s for s, k, _ in events if k == 1])
    np.testing.assert_array_equal(G.halves_, halves)
    np.testing.assert_array_equal(H.y_, np.bincount([k for _, k, _ in events], minlength=2))
    np.testing.assert_array_equal(H.x_, np.bincount([k for _, k in spikes], minlength=2))
    assert len(events) > 5


def test_custom_event_errors():
    G = sg.NeuronGroup(1, "v : 1", events={"e": "v > 1"})
    with pytest.raises(sg.ModelError, match="no event 'f'"):
        sg.EventMonitor(G, "f")
    with pytest.raises(sg.ModelError, match="no event 'f'"):
        G.run_on_event("f", "v = 0")
    with pytest.raises(sg.ModelError, match="identifier other than 'spike'"):
        sg.NeuronGroup(1, "v : 1", events={"spike": "v > 1"})
    with pytest.raises(sg.ModelError, match="CUDA"):
        sg.Network(G, sg.EventMonitor(G, "e"), backend="cuda").run(1 * ms)


# -- Brian2's conditional write --------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_no_code_but_the_reset_changes_an_unless_refractory_variable_of_a_refractory_neuron(backend):
    """Brian2 conditions every write to an ``(unless refractory)`` variable on ``not_refractory``:
    run_regularly, PoissonInput and on_pre alike (the reset excepted), and a neuron is refractory from
    the step its threshold fires.  Here the reset leaves v alone, so the neuron fires again as soon as
    its refractory period ends.  Brunel (2000)'s network fired ~40 % too fast without this."""
    dt, ref_steps, n = 0.1 * ms, 5, 60
    G = sg.NeuronGroup(2, "dv/dt = -v/(10*ms) : 1 (unless refractory)\nc : 1", threshold="v > 1",
                       reset="c += 1", refractory=ref_steps * dt, method="exact")
    G.v = [0.0, 0.5]
    G.run_regularly("v += 0.05")  # 'start'
    P = sg.PoissonInput(G, "v", N=3, rate=1 / dt, weight=0.1)  # rate*dt = 1: exactly 3 inputs a step
    src = sg.SpikeGeneratorGroup(1, [0] * 4, [0.4, 1.1, 1.6, 3.3] * ms)
    S = sg.Synapses(src, G, on_pre="v_post += 0.2")
    S.connect()
    M = sg.StateMonitor(G, ["v", "c"], record=True, when="end")
    sg.Network(G, P, src, S, M, dt=dt, backend=backend).run(n * dt)

    # numpy transcription of Brian2's step: start, groups (not_refractory, update, threshold), synapses, resets
    v, c = np.array([0.0, 0.5]), np.zeros(2)
    last, nr = np.full(2, -(10**9)), np.ones(2, bool)
    input_steps = {4, 11, 16, 33}
    trace = []
    for step in range(n):
        v = np.where(nr, v + 0.05, v)
        nr = (step - last) >= ref_steps
        v = np.where(nr, v * np.exp(-0.01), v)
        fired = nr & (v > 1)
        last[fired], nr[fired] = step, False
        v = np.where(nr, v + 0.3 + 0.2 * (step in input_steps), v)
        c[fired] += 1
        trace.append(v.copy())
    np.testing.assert_allclose(M.v_.T, trace, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(G.c_, c)
    assert c.min() >= 5  # the neurons do spend time refractory, so the test means something
