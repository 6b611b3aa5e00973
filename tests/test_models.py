"""The prebuilt models (``snngen.models``) against their papers.

Each model is checked against an independent transcription of its paper's equations: an analytic
solution (LIF, IF), or a plain-numpy loop of the same discretisation (AdaptiveLIF: exact; AdEx and
Izhikevich: forward Euler; HH: RK4), and against the qualitative behaviour its paper reports.
"""

import math
import re
import tomllib

import numpy as np
import pytest

import snngen as sg
from snngen import models
from snngen.equations import Equations
from snngen.equations.parser import parse_expression
from snngen.units import cm, get_dimensions, ms, mV, nA, uA

DT = 0.1 * ms
dt_ = 1e-4  # seconds
EXPECTED = {"LIF", "IF", "AdaptiveLIF", "Izhikevich", "AdEx", "HH"}


def simulate(groups, duration, dt=DT, record=()):
    """Run ``groups`` for ``duration``; returns (spike monitors, state monitors)."""
    groups = list(groups)
    sms = [sg.SpikeMonitor(G) for G in groups]
    sts = [sg.StateMonitor(G, list(record), record=True) for G in groups] if record else []
    sg.Network(*groups, *sms, *sts, dt=dt).run(duration)
    return sms, sts


def spike_steps(sm, i=0, dt=dt_):
    return np.round(np.asarray(sm.spike_trains()[i]) / dt).astype(int)


# -- the model files -------------------------------------------------------------------------------


def test_the_expected_models_are_listed():
    assert EXPECTED <= set(models.list_models())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_model_file_loads_parses_and_cites_its_paper(name):
    spec = models.get(name)
    assert spec.name == name and spec.title
    assert re.search(r"\b(19|20)\d\d\b", spec.reference), "the reference names the paper's year"
    eqs = Equations(spec.equations)
    state = set(eqs.state_names)
    assert set(spec.initial) <= state
    for text in (spec.threshold, spec.refractory):
        if text is not None:
            parse_expression(text)
    # every parameter is used by the model, so no default is silently dead
    used = set(re.findall(r"[A-Za-z_]\w*", " ".join(filter(None, [
        spec.equations, spec.threshold, spec.reset, spec.refractory, *spec.initial.values()]))))
    assert set(spec.parameters) <= used
    for preset in spec.presets.values():
        assert set(preset) <= set(spec.parameters)
    assert tomllib.loads(spec.source)["name"] == name
    assert name in str(spec) and "parameters" in str(spec)
    G = getattr(models, name)(2)
    assert G.model_spec is spec and len(G) == 2


def test_overrides_presets_and_string_values_reach_the_group():
    G = models.LIF(3, tau="20*ms", v_th=-45 * mV)
    assert np.isclose(float(G.namespace["tau"] / ms), 20.0)
    assert np.isclose(float(G.namespace["v_th"] / mV), -45.0)
    assert np.allclose(G.v_, -65e-3)  # initial value "v_rest" applied
    G = models.Izhikevich(2, preset="CH")
    assert np.isclose(float(G.namespace["c"] / mV), -50.0) and np.allclose(G.u_, 0.2 * -65e-3)
    spec = models.get("Izhikevich")
    assert all(spec.parameters[k] == v for k, v in spec.presets["RS"].items())  # the defaults are the RS preset


# -- errors ----------------------------------------------------------------------------------------


def test_unknown_parameter_is_a_model_error_with_a_suggestion():
    with pytest.raises(sg.ModelError, match="Did you mean 'tau'"):
        models.LIF(1, tua=10 * ms)
    with pytest.raises(sg.ModelError, match="variable of the model"):
        models.LIF(1, I=1 * nA)


def test_override_with_wrong_units_is_a_unit_error_naming_both_units():
    with pytest.raises(sg.UnitError) as info:
        models.LIF(1, tau=10 * mV)
    message = str(info.value)
    assert "tau" in message
    assert str(get_dimensions(ms)) in message and str(get_dimensions(mV)) in message


def test_unknown_model_or_preset_is_a_model_error():
    with pytest.raises(sg.ModelError, match="Did you mean 'LIF'"):
        models.make("LIFF", 1)
    with pytest.raises(sg.ModelError, match="Did you mean 'RS'"):
        models.Izhikevich(1, preset="rs")
    with pytest.raises(sg.ModelError, match="no preset"):
        models.LIF(1, preset="RS")
    with pytest.raises(AttributeError):
        models.NotAModel  # noqa: B018


# -- LIF and IF: analytic interspike intervals ------------------------------------------------------


def test_lif_interspike_interval_is_the_analytic_one():
    currents = np.array([1.4, 1.6, 2.0, 3.0, 5.0, 10.0])  # nA; rheobase (v_th - v_rest)/R = 1.5 nA
    G = models.LIF(len(currents))
    G.I = currents * nA
    (sm,), _ = simulate([G], 200 * ms)
    assert G.integration_method == "exact"
    ns = {k: float(np.asarray(v)) for k, v in G.namespace.items()}
    trains = sm.spike_trains()
    assert len(trains[0]) == 0  # below rheobase
    for k, current in enumerate(currents[1:], start=1):
        RI = ns["R"] * current * 1e-9
        T = ns["tau"] * math.log(RI / (RI - (ns["v_th"] - ns["v_rest"]))) + ns["t_ref"]
        isi = np.diff(np.asarray(trains[k]))
        assert len(isi) >= 3
        assert np.all(np.abs(isi - T) <= dt_ * (1 + 1e-6)), (current, isi, T)


def test_per_neuron_override_of_the_refractory_period():
    t_ref = np.array([1.0, 2.0, 4.0])  # ms
    G = models.LIF(3, t_ref=t_ref * ms)
    G.I = 3 * nA
    (sm,), _ = simulate([G], 100 * ms)
    isi = [np.diff(np.asarray(train))[0] / 1e-3 for train in sm.spike_trains().values()]
    np.testing.assert_allclose(np.diff(isi), np.diff(t_ref), atol=1e-9)  # same integration time, longer dead time


def test_perfect_integrator_interspike_interval_is_C_dv_over_I():
    currents = np.array([0.0, 0.33, 0.7, 1.3])  # nA
    G = models.IF(len(currents))
    G.I = currents * nA
    (sm,), _ = simulate([G], 100 * ms)
    assert G.integration_method == "exact"
    ns = {k: float(np.asarray(v)) for k, v in G.namespace.items()}
    trains = sm.spike_trains()
    assert len(trains[0]) == 0
    for k, current in enumerate(currents[1:], start=1):
        T = ns["C"] * (ns["v_th"] - ns["v_reset"]) / (current * 1e-9) + ns["t_ref"]
        isi = np.diff(np.asarray(trains[k]))
        assert len(isi) >= 3
        assert np.all(np.abs(isi - T) <= dt_ * (1 + 1e-6)), (current, isi, T)


# -- plain-numpy transcriptions, step by step -------------------------------------------------------


def _assert_same_run(sm, st, names, reference, n_steps):
    """Same spike steps, and state traces within 1e-9 relative."""
    ref_spikes, ref_traces = reference
    np.testing.assert_array_equal(spike_steps(sm), ref_spikes)
    for name in names:
        got = getattr(st, name + "_")[0][:n_steps]
        np.testing.assert_allclose(got, ref_traces[name], rtol=1e-9, atol=1e-15)


def test_adaptive_lif_matches_the_exact_solution_of_its_equations():
    G = models.AdaptiveLIF(1)
    G.I = 0.5 * nA
    (sm,), (st,) = simulate([G], 300 * ms, record=["v", "w"])
    assert G.integration_method == "exact"
    p = {k: float(np.asarray(v)) for k, v in G.namespace.items()}
    # Neuronal Dynamics eqs. 6.1-6.2 (leaky, a = 0), solved in closed form over one step:
    # w(t) = w0 exp(-t/tau_w); v(t) = v_inf + (v0 - v_inf + K w0) exp(-t/tau_m) - K w0 exp(-t/tau_w)
    v_inf, K = p["E_L"] + p["R"] * 0.5e-9, p["R"] * p["tau_w"] / (p["tau_w"] - p["tau_m"])
    em, ew = math.exp(-dt_ / p["tau_m"]), math.exp(-dt_ / p["tau_w"])
    n_steps, n_ref = 3000, round(p["t_ref"] / dt_)
    v, w, last = p["E_L"], 0.0, -(10**9)
    spikes, vs, ws = [], [], []
    for k in range(n_steps):
        vs.append(v)
        ws.append(w)
        active = k - last >= n_ref
        if active:
            v = v_inf + (v - v_inf + K * w) * em - K * w * ew
        w = w * ew
        if active and v > p["v_th"]:
            spikes.append(k)
            v, w, last = p["v_reset"], w + p["b"], k
    assert len(spikes) >= 5
    isi = np.diff(spikes)
    assert isi[-1] > isi[0]  # spike-frequency adaptation
    _assert_same_run(sm, st, ["v", "w"], (spikes, {"v": vs, "w": ws}), n_steps)


def test_adex_matches_a_numpy_euler_loop_of_brette_gerstner_eqs_1_2():
    G = models.AdEx(1)
    G.I = 1 * nA
    (sm,), (st,) = simulate([G], 300 * ms, record=["v", "w"])
    assert G.integration_method == "euler"
    p = {k: float(np.asarray(v)) for k, v in G.namespace.items()}
    n_steps = 3000
    v, w = p["E_L"], 0.0
    spikes, vs, ws = [], [], []
    for k in range(n_steps):
        vs.append(v)
        ws.append(w)
        dv = (-p["g_L"] * (v - p["E_L"]) + p["g_L"] * p["Delta_T"] * math.exp((v - p["V_T"]) / p["Delta_T"])
              - w + 1e-9) / p["C"]
        dw = (p["a"] * (v - p["E_L"]) - w) / p["tau_w"]
        v, w = v + dt_ * dv, w + dt_ * dw
        if v > p["V_peak"]:
            spikes.append(k)
            v, w = p["V_r"], w + p["b"]
    assert len(spikes) >= 5
    isi = np.diff(spikes)
    assert isi[-1] > isi[0]  # adaptation (Brette & Gerstner Fig. 2)
    _assert_same_run(sm, st, ["v", "w"], (spikes, {"v": vs, "w": ws}), n_steps)


def _izhikevich_numpy(a, b, c, d, current, n_steps, v=-65e-3, u=None):
    """Izhikevich (2003) eqs. 1-3 in volts and seconds (the paper's mV and ms), forward Euler."""
    mV_, ms_ = 1e-3, 1e-3
    u = b * v if u is None else u
    spikes, vs, us = [], [], []
    for k in range(n_steps):
        vs.append(v)
        us.append(u)
        v, u = v + dt_ * (0.04 * v * v / mV_ + 5 * v + 140 * mV_ - u + current) / ms_, u + dt_ * a * (b * v - u)
        if v >= 30 * mV_:
            spikes.append(k)
            v, u = c, u + d
    return spikes, {"v": vs, "u": us}


@pytest.mark.parametrize("preset", ["RS", "CH"])
def test_izhikevich_matches_a_numpy_euler_loop_of_the_paper(preset):
    G = models.Izhikevich(1, preset=preset)
    G.I = 10 * mV
    (sm,), (st,) = simulate([G], 300 * ms, record=["v", "u"])
    assert G.integration_method == "euler"
    p = {k: float(np.asarray(v)) for k, v in G.namespace.items()}
    reference = _izhikevich_numpy(p["a"], p["b"], p["c"], p["d"], 10e-3, 3000)
    assert len(reference[0]) >= 5
    _assert_same_run(sm, st, ["v", "u"], reference, 3000)


# -- Izhikevich presets: the firing patterns of the 2003 paper's Fig. 2 -----------------------------

PRESETS = ["RS", "IB", "CH", "FS", "LTS", "TC", "RZ"]


@pytest.fixture(scope="module")
def izhikevich_step():
    """ISIs (ms) of each preset for a step of I = 10 from t = 0, over 300 ms."""
    groups = [models.Izhikevich(1, preset=p) for p in PRESETS]
    for G in groups:
        G.I = 10 * mV
    sms, _ = simulate(groups, 300 * ms)
    return {p: np.diff(np.asarray(sm.spike_trains()[0])) / 1e-3 for p, sm in zip(PRESETS, sms)}


def test_rs_fires_tonically_with_spike_frequency_adaptation(izhikevich_step):
    isi = izhikevich_step["RS"]
    assert len(isi) >= 4
    assert np.all(np.diff(isi) >= -0.1 - 1e-9)  # ISIs never shrink (one dt of jitter allowed)
    assert isi[-1] > 1.5 * isi[0] and isi.min() > 10


def test_ib_fires_an_initial_burst_then_single_spikes(izhikevich_step):
    isi = izhikevich_step["IB"]
    short = isi < 10
    first_long = np.argmax(~short)
    assert first_long >= 2, isi  # a burst (>= 3 spikes, ISIs < 10 ms) at onset ...
    assert not short[first_long:].any(), isi  # ... then only single spikes
    assert isi[first_long:].min() > 20


def test_ch_fires_repetitive_bursts(izhikevich_step):
    isi = izhikevich_step["CH"]
    pauses = np.flatnonzero(isi > 20)
    assert len(pauses) >= 3, isi  # at least four bursts
    bursts = np.split(isi, pauses)
    assert all((burst[burst < 20] < 10).sum() >= 2 for burst in bursts), isi  # each with >= 3 spikes


def test_fs_fires_fast_with_little_adaptation(izhikevich_step):
    fs, rs = izhikevich_step["FS"], izhikevich_step["RS"]
    assert len(fs) > 3 * len(rs)
    assert fs.max() < 10 and fs[-10:].max() - fs[-10:].min() < 0.5


def test_lts_adapts_and_has_a_lower_threshold_than_rs(izhikevich_step):
    isi = izhikevich_step["LTS"]
    assert isi[0] < 5 and isi[-1] > 2 * isi[0]  # high-frequency onset, strong adaptation
    # RS needs I > 4 (saddle-node of 0.04 v^2 + (5 - b) v + 140 + I with b = 0.2); LTS (b = 0.25) fires at I = 2
    groups = [models.Izhikevich(1, preset=p) for p in ("RS", "LTS")]
    for G in groups:
        G.I = 2 * mV
    (rs, lts), _ = simulate(groups, 200 * ms)
    assert rs.count[0] == 0 and lts.count[0] >= 3


def test_tc_fires_tonically_and_a_rebound_burst_after_hyperpolarisation(izhikevich_step):
    tonic = izhikevich_step["TC"]
    assert len(tonic) >= 10 and tonic.max() < 1.5 * tonic.min()
    groups = [models.Izhikevich(1, preset=p) for p in ("TC", "RS")]
    sms = [sg.SpikeMonitor(G) for G in groups]
    net = sg.Network(*groups, *sms, dt=DT)
    net.run(200 * ms)  # settle at rest, I = 0
    for G in groups:
        G.I = -10 * mV
    net.run(100 * ms)  # hyperpolarising step
    for G in groups:
        G.I = 0 * mV
    net.run(100 * ms)
    tc, rs = (np.asarray(sm.spike_trains()[0]) / 1e-3 for sm in sms)
    assert len(rs) == 0
    assert len(tc) >= 2 and np.all(tc > 300) and tc[0] < 330 and tc[1] - tc[0] < 10, tc


def test_rz_shows_damped_subthreshold_oscillations():
    # At rest (I = 0) the linearisation of RZ (a = 0.1, b = 0.26, v* = -62.5 mV) has complex eigenvalues,
    # that of RS (v* = -70 mV) two real ones: after a small pulse RZ crosses its resting potential again
    # and again, while RS can cross it at most once.
    rest = {"RZ": -62.5 * mV, "RS": -70 * mV}
    groups = [models.Izhikevich(1, preset=p) for p in rest]
    for G, v in zip(groups, rest.values()):
        G.v = v
        G.u = "b*v"
    sts = [sg.StateMonitor(G, ["v"], record=True) for G in groups]
    sms = [sg.SpikeMonitor(G) for G in groups]
    net = sg.Network(*groups, *sts, *sms, dt=DT)
    net.run(10 * ms)
    for G in groups:
        G.I = 0.5 * mV
    net.run(5 * ms)
    for G in groups:
        G.I = 0 * mV
    net.run(185 * ms)
    crossings = {}
    for p, st, sm in zip(rest, sts, sms):
        assert sm.count[0] == 0
        after = st.v_[0][150:] - float(np.asarray(rest[p]))
        crossings[p] = int(np.sum(np.diff(np.sign(after)) != 0))
    assert crossings["RZ"] >= 4 and crossings["RS"] <= 1, crossings


# -- Hodgkin-Huxley ----------------------------------------------------------------------------------


def _hh_rates(u):
    """Hodgkin & Huxley (1952) eqs. 12-13, 20-21, 23-24, with u = -V (mV, depolarisation positive); 1/ms."""
    return (0.1 * (25 - u) / (math.exp((25 - u) / 10) - 1), 4 * math.exp(-u / 18),
            0.07 * math.exp(-u / 20), 1 / (math.exp((30 - u) / 10) + 1),
            0.01 * (10 - u) / (math.exp((10 - u) / 10) - 1), 0.125 * math.exp(-u / 80))


def _hh_derivative(y, current):
    """HH eq. 26 and eqs. 7-9 in mV, ms, mS/cm^2, uF/cm^2 and uA/cm^2 (resting potential -65 mV)."""
    v, m, h, n = y
    am, bm, ah, bh, an, bn = _hh_rates(v + 65)
    i_ion = 120 * m**3 * h * (v - 50) + 36 * n**4 * (v + 77) + 0.3 * (v + 54.387)
    return np.array([(current - i_ion) / 1.0, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n])


def test_hh_rests_near_minus_65_mV_at_the_gates_steady_state():
    spec = models.get("HH")
    am, bm, ah, bh, an, bn = _hh_rates(0.0)
    for gate, (alpha, beta) in {"m": (am, bm), "h": (ah, bh), "n": (an, bn)}.items():
        assert abs(float(spec.initial[gate]) - alpha / (alpha + beta)) < 1e-6
    G = models.HH(1)
    (sm,), (st,) = simulate([G], 50 * ms, dt=0.01 * ms, record=["v"])
    assert sm.count[0] == 0
    assert np.all(np.abs(st.v_[0] / 1e-3 + 65) < 0.1)


def test_hh_subthreshold_step_is_silent_and_suprathreshold_step_fires():
    G = models.HH(2)
    G.I = np.array([1.0, 10.0]) * uA / cm**2
    (sm,), _ = simulate([G], 100 * ms, dt=0.01 * ms)
    assert G.integration_method == "exponential_euler"
    assert sm.count[0] == 0 and sm.count[1] >= 5


def test_hh_rk4_spike_times_match_a_numpy_rk4_of_the_paper():
    G = models.HH(1, method="rk4")
    G.I = 10 * uA / cm**2
    (sm,), _ = simulate([G], 50 * ms, dt=0.01 * ms)
    assert G.integration_method == "rk4"
    h = 0.01  # ms
    y = np.array([-65.0, 0.0529325, 0.5961208, 0.3176769])
    spikes = []
    for k in range(5000):
        k1 = _hh_derivative(y, 10.0)
        k2 = _hh_derivative(y + h / 2 * k1, 10.0)
        k3 = _hh_derivative(y + h / 2 * k2, 10.0)
        k4 = _hh_derivative(y + h * k3, 10.0)
        new = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if y[0] <= -20 < new[0]:  # upward crossing of v_spike; refractory while v > v_spike
            spikes.append(k * h)
        y = new
    got = np.asarray(sm.spike_trains()[0]) / 1e-3
    assert len(spikes) >= 3
    assert len(got) == len(spikes)
    assert np.max(np.abs(got - spikes)) < 0.05, (got, spikes)
