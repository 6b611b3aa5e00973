"""snngen.brian2: Brian2 scripts run with only the import line changed (or, through
``python -m snngen.brian2``, unchanged)."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import snngen as sg
import snngen.brian2 as b2
from snngen.units import ms, mV


def test_the_namespace_has_brian2s_names_pylab_and_units():
    ns = {}
    exec("from snngen.brian2 import *", ns)  # noqa: S102 (the test's own import line)
    for name in ["NeuronGroup", "Synapses", "PoissonInput", "EventMonitor", "run", "defaultclock", "network_operation",
                 "linked_var", "start_scope", "store", "restore", "set_device", "device", "prefs", "mvolt",
                 "umetre", "msiemens", "nsiemens", "pfarad", "exprel", "linspace", "magic_network",
                 "profiling_summary", "BrianLogger", "DimensionMismatchError", "check_units"]:
        assert name in ns, name
    if importlib.util.find_spec("matplotlib") is not None:  # pylab's names, as Brian2's star import gives them
        assert "plot" in ns and "xlabel" in ns
    assert ns["mvolt"] is ns["mV"] or float(ns["mvolt"] / ns["mV"]) == 1.0


def test_brian2_preference_names():
    b2.prefs.codegen.target = "numpy"  # accepted; snngen always compiles
    assert b2.prefs.codegen.target == "numpy" and b2.prefs["codegen.target"] == "numpy"
    b2.prefs.core.default_float_dtype = np.float32
    try:
        assert sg.prefs.dtype == "float32"
    finally:
        b2.prefs.core.default_float_dtype = np.float64
    with pytest.raises(AttributeError, match="codegen.targt.*codegen.target"):
        b2.prefs.codegen.targt = "numpy"


def test_standalone_device_with_run_args_reruns_from_the_start():
    """Brian2's Stimberg et al. (2019) bisection: set_device(build_on_run=False), run() records, then
    device.run(run_args={G.v: values}) simulates again from the start with new values."""
    b2.set_device("cpp_standalone", build_on_run=False)
    try:
        G = sg.NeuronGroup(3, "dv/dt = -v/(10*ms) : volt", threshold="v > 10*mV", reset="v = 0*mV")
        M = sg.SpikeMonitor(G)
        net = sg.Network(G, M)
        net.run(5 * ms)
        assert M.num_spikes == 0 and net.step == 0  # recorded, not run
        b2.device.build(run=False)
        counts = []
        for v0 in ([5, 15, 25] * mV, [20, 5, 30] * mV):
            b2.device.run(run_args={G.v: v0})
            counts.append(M.count.tolist())
        assert counts == [[0, 1, 1], [1, 0, 1]] and net.step == 50
    finally:
        b2.reset_device()
        b2.device.reinit()


def test_synapse_counts_and_presynaptic_values_per_synapse():
    G = sg.NeuronGroup(4, "v : volt\nx : 1")
    G.x = [0, 1, 2, 3]
    S = sg.Synapses(G, G, "w : 1", on_pre="v_post += w*mV/N_incoming")
    S.connect(condition="i != j and j > 0")
    S.w = "1.0/N_outgoing"
    np.testing.assert_array_equal(S.N_incoming, np.bincount(S.j, minlength=4)[S.j])
    np.testing.assert_array_equal(S.N_outgoing_pre, [3, 2, 2, 2])
    np.testing.assert_allclose(S.w_, 1.0 / np.array([3, 2, 2, 2])[S.i])
    np.testing.assert_array_equal(S.x_pre, G.x_[S.i])


def test_string_conditions_index_variables():
    G = sg.NeuronGroup(5, "v : volt")
    S = sg.Synapses(G, G, "w : volt")
    S.connect()
    space_constant = 2.0  # noqa: F841 (found in this frame)
    S.w["i > j"] = "exp(-(i - j)**2/space_constant) * mV"
    i, j = S.i, S.j
    np.testing.assert_allclose(S.w_, np.where(i > j, np.exp(-(i - j) ** 2 / 2.0) * 1e-3, 0.0))
    G.v["i < 2"] = 3 * mV
    np.testing.assert_allclose(G.v_, [3e-3, 3e-3, 0, 0, 0])
    np.testing.assert_allclose(S.w["j == 0 and i > 0"], np.exp(-np.arange(1, 5) ** 2 / 2.0) * mV)


def test_profile_and_magic_network():
    sg.start_scope()
    G = sg.NeuronGroup(2, "dv/dt = 1/ms : 1")  # noqa: F841 (found by run())
    sg.run(1 * ms, profile=True)
    assert float(b2.magic_network.t / ms) == pytest.approx(1.0)
    summary = str(b2.profiling_summary())
    assert "simulation" in summary and "compilation" in summary


def test_units_constants_and_timestep():
    from snngen.brian2.core.functions import timestep
    from snngen.brian2.units.constants import faraday_constant, gas_constant, zero_celsius

    assert float(zero_celsius / b2.kelvin) == 273.15
    assert float(faraday_constant / (b2.coulomb / b2.mole)) == pytest.approx(96485.33289)
    assert float(gas_constant / (b2.joule / b2.mole / b2.kelvin)) == pytest.approx(8.3144598)
    np.testing.assert_array_equal(timestep(np.array([0, 0.1, 0.25, 1.0]) * ms, 0.1 * ms), [0, 1, 2, 10])


def test_a_brian2_script_runs_unmodified(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(textwrap.dedent("""
        from brian2 import *
        from brian2.units import mV as millivolt
        import brian2 as b2
        tau = 10*ms
        G = NeuronGroup(5, 'dv/dt = (1.5 - v)/tau : 1', threshold='v > 1', reset='v = 0', method='exact')
        G.v = 'i*0.2'
        M = SpikeMonitor(G)
        run(30*ms)
        print(M.num_spikes, b2.defaultclock.t / ms, millivolt is mV)
        """))
    env = dict(os.environ, MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, "-m", "snngen.brian2", str(script)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    spikes, t, same = out.stdout.split()
    period = -10 * np.log(1 - 1 / 1.5)  # ms, from v = 0
    first = [-10 * np.log((1.5 - 1) / (1.5 - 0.2 * k)) for k in range(5)]
    expected = sum(int((30 - f) // period) + 1 for f in first)
    assert abs(int(spikes) - expected) <= 5 and float(t) == pytest.approx(30.0) and same == "True"


def test_state_monitor_on_synapses_records_their_neurons_variables():
    """Brian2's synapses/nonlinear example records 'g', the target's variable, through the synapses."""
    G = sg.NeuronGroup(2, "v : 1")
    H = sg.NeuronGroup(3, "g : 1")
    G.v, H.g = [1.0, 2.0], [10.0, 20.0, 30.0]
    S = sg.Synapses(G, H, "w : 1")
    S.connect(condition="i != j")
    S.w = "i + 0.5*j"
    M = sg.StateMonitor(S, ["g", "v_pre", "w"], record=True)
    sg.Network(G, H, S, M).run(0.2 * ms)
    np.testing.assert_array_equal(M.g_[:, 0], H.g_[S.j])
    np.testing.assert_array_equal(M.v_pre_[:, 0], G.v_[S.i])
    np.testing.assert_array_equal(M.w_[:, 1], S.w_)


def test_pre_and_post_selections_of_synapse_indices():
    G = sg.NeuronGroup(4, "x : 1")
    S = sg.Synapses(G, G)
    S.connect(condition="i != j")
    for i in range(4):
        np.testing.assert_array_equal(S.j[i, :], [j for j in range(4) if j != i])
        np.testing.assert_array_equal(S[i, :], np.flatnonzero(S.i == i))
    np.testing.assert_array_equal(S.indices["i > j"], np.flatnonzero(S.i > S.j))
    np.testing.assert_array_equal(S.indices[1, 2], np.flatnonzero((S.i == 1) & (S.j == 2)))


def test_timed_arrays_are_callable_from_python():
    ta = sg.TimedArray([1.0, 2.0, 3.0] * mV, dt=1 * ms)
    # the sample t falls in, with 1/16 of the default clock's step of tolerance (Brian2's: 1/16 to 1/8)
    np.testing.assert_allclose(ta(np.array([0.0, 0.99, 0.9995, 1.0, 2.5, 9.0]) * ms) / mV, [1, 1, 2, 2, 3, 3])
    table = sg.TimedArray(np.arange(6.0).reshape(3, 2), dt=1 * ms)
    assert table(1.5 * ms, 1) == 3.0


@pytest.mark.parametrize("summed_into", ["synapses", "neurons"])
def test_synapses_onto_and_from_synapses(summed_into):
    """Brian2's Izhikevich (2007) dopamine: a group's spikes change a variable of another Synapses' synapses;
    Stimberg et al. (2018): summed variables from and into synapses."""
    src = sg.SpikeGeneratorGroup(1, [0, 0], [1, 3] * ms)
    G = sg.NeuronGroup(3, "v : 1")
    S1 = sg.Synapses(G, G, "d : 1\nw : 1\nboost : 1")
    S1.connect(condition="i != j")
    S1.w = "i + 10*j"
    dopamine = sg.Synapses(src, S1, on_pre="d_post += 0.5")
    dopamine.connect()
    objects = [src, G, S1, dopamine]
    if summed_into == "synapses":
        A = sg.NeuronGroup(1, "level : 1")
        A.level = 7.0
        into = sg.Synapses(A, S1, "boost_post = level_pre : 1 (summed)")
        into.connect()
        objects += [A, into]
    else:
        B = sg.NeuronGroup(1, "total : 1")
        out = sg.Synapses(S1, B, "total_post = w_pre : 1 (summed)")
        out.connect()
        objects += [B, out]
    sg.Network(*objects, dt=0.1 * ms).run(5 * ms)
    np.testing.assert_array_equal(S1.d_, np.full(6, 1.0))
    if summed_into == "synapses":
        np.testing.assert_array_equal(S1.boost_, np.full(6, 7.0))
    else:
        assert B.total_[0] == S1.w_.sum()
    with pytest.raises(sg.ModelError, match="do not spike"):
        sg.Synapses(S1, G, on_pre="v += 1")


def test_features_snngen_leaves_out_are_clear_errors():
    with pytest.raises(sg.ModelError, match="multicompartment"):
        b2.Soma(50 * b2.umetre)
    with pytest.raises(sg.ModelError, match="multicompartment"):
        b2.SpatialNeuron()
    with pytest.raises(sg.EquationError, match="point current.*SpatialNeuron"):
        sg.Equations("I : amp (point current)")
    b2.codegen.target = "numpy"
    assert b2.prefs.codegen.target == "numpy"
