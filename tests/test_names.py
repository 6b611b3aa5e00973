"""A user's names can never meet snngen's generated ones, object names cannot inject code, and the
printer refuses what it cannot map (issue: names that can neither collide nor inject)."""

import numpy as np
import pytest

import snngen as sg
from snngen.units import Hz, ms

# every pattern snngen's generated code uses after an object's prefix (internal names, and the kinds
# of user-derived names: v_ arrays, x_ externals, u_/l_ locals, cod_ ...), plus Python/module names
GENERATED = ["pre", "post", "flags", "nspikes", "nspk", "stream", "id", "nr", "h0", "tc0", "tcod_x", "x_tau",
             "u_v", "l_v", "v_v", "cod_v", "refractory", "rowptr", "colptr", "colsyn", "rowsyn", "nsyn", "hist",
             "histn", "rdptr", "dsteps", "slot", "rslot", "nch", "c", "lo", "hi", "k", "ip", "base", "jj",
             "jp", "s", "cd_new_x", "ev_new_x", "count", "nn", "every", "rec", "steps", "b0", "counts", "evstep",
             "link_x", "rr0_every", "m_v", "value0_tau",
             "evidx", "ptr", "ptrarr", "rates", "next_spike", "nx", "c0", "math", "np", "prange", "run", "njit",
             "cuda", "ta_x", "tadt_x", "p0_hist", "r_w", "c_v", "rx_tau", "x", "min", "exp"]


def _neuron_net(names, backend="cpu"):
    """A LIF driven by parameters and externals called ``names``: spikes and final state."""
    sg.seed(11)
    params = "\n".join(f"{n} : 1" for n in names)
    drive = " + ".join(f"{n}*{k + 1}e-3" for k, n in enumerate(names))
    ext = {f"{n}_e" if n not in ("min", "exp") else f"e_{n}": 0.01 * (k + 1) for k, n in enumerate(names)}
    ext_sum = " + ".join(ext)
    G = sg.NeuronGroup(6, f"dv/dt = ({drive} + {ext_sum} - v)/(5*ms) : 1 (unless refractory)\n{params}",
                       threshold="v > 0.3", reset="v = 0", refractory=1 * ms)
    for k, n in enumerate(names):
        setattr(G, n, np.linspace(0, 1, 6) * (k + 1))
    G.v = f"0.1*rand() + 1e-4*({drive})"  # one initialiser reading every variable
    M = sg.SpikeMonitor(G)
    sg.Network(G, M, backend=backend).run(15 * ms, namespace=ext)
    return M.i.tolist(), M.t_.tolist(), G.v[:].copy()


def _neuron_names():
    return [n for n in GENERATED if n not in ("min", "exp")]


def test_neuron_variables_named_like_generated_code_change_nothing():
    names = _neuron_names()
    mine = _neuron_net(names)
    safe = _neuron_net([f"a{k}" for k in range(len(names))])
    assert mine[0] == safe[0] and mine[1] == safe[1] and len(mine[0]) > 10
    np.testing.assert_array_equal(mine[2], safe[2])


def test_neuron_variables_named_like_generated_code_on_cuda():
    names = _neuron_names()[:12]
    cpu = _neuron_net(names)
    gpu = _neuron_net(names, backend="cuda")
    assert cpu[0] == gpu[0] and cpu[1] == gpu[1]


def _stdp_net(trace_pre, trace_post, extra_names, pathway="up"):
    """STDP with traces called ``trace_pre``/``trace_post`` and extra synaptic variables."""
    sg.seed(5)
    P = sg.PoissonGroup(8, 150 * Hz)
    Q = sg.NeuronGroup(3, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    extra = "\n".join(f"{n} : 1" for n in extra_names)
    bump = "; ".join(f"{n} += 0.001" for n in extra_names)
    S = sg.Synapses(P, Q, f"""w : 1
                    d{trace_pre}/dt = -{trace_pre}/(20*ms) : 1 (event-driven)
                    d{trace_post}/dt = -{trace_post}/(20*ms) : 1 (event-driven)
                    {extra}""",
                    on_pre={pathway: f"v_post += w; {trace_pre} += 1.; w = clip(w - 0.01*{trace_post}, 0, 1); {bump}"},
                    on_post=f"{trace_post} += 1.; w = clip(w + 0.01*{trace_pre}, 0, 1)")
    S.connect(p=0.8)
    S.w = "0.3 + 0.1*rand()"
    i0 = S.i.copy()
    M = sg.SpikeMonitor(Q)
    sg.Network(P, Q, S, M).run(60 * ms)
    return i0, S.i.copy(), S.w[:].copy(), M.i.tolist(), [getattr(S, n)[:].copy() for n in extra_names]


def test_a_synaptic_trace_called_pre_is_a_trace():
    """The issue's script: a trace named ``pre`` (Brian2's Diehl & Cook names it so) used to share its
    generated name with the presynaptic index array, overwriting S.i and switching learning off."""
    i0, i1, w, spikes, _ = _stdp_net("pre", "post", [])
    ref = _stdp_net("apre", "apost", [])
    assert np.array_equal(i0, i1)
    np.testing.assert_array_equal(w, ref[2])
    assert spikes == ref[3] and len(spikes) > 0
    assert not np.allclose(w, ref[0] * 0 + w[0])  # learning happened: the weights differ from each other


def test_synaptic_variables_and_pathways_named_like_generated_code_change_nothing():
    extra = [n for n in GENERATED if n not in ("min", "exp", "pre", "post", "x")]
    mine = _stdp_net("pre", "post", extra, pathway="hist")
    safe = _stdp_net("apre", "apost", [f"a{k}" for k in range(len(extra))], pathway="up")
    for a, b in zip(mine[1:4], safe[1:4]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for a, b in zip(mine[4], safe[4]):
        np.testing.assert_array_equal(a, b)
    assert mine[4][0].max() > 0


@pytest.mark.parametrize("name", ["a\nimport os", "a b", "1abc", "x;y", "é", "", "a.b", "a-b"])
def test_object_names_must_be_identifiers(name):
    with pytest.raises(sg.ModelError, match="identifier"):
        sg.NeuronGroup(1, "v : 1", name=name)
    for make in (lambda: sg.PoissonGroup(1, 5 * Hz, name=name), lambda: sg.SpikeGeneratorGroup(1, [], [] * ms,
                                                                                                 name=name)):
        with pytest.raises(sg.ModelError, match="identifier"):
            make()
    G = sg.NeuronGroup(1, "v : 1")
    for make in (lambda: sg.Synapses(G, G, name=name), lambda: sg.SpikeMonitor(G, name=name),
                 lambda: sg.StateMonitor(G, "v", name=name), lambda: sg.PopulationRateMonitor(G, name=name)):
        with pytest.raises(sg.ModelError, match="identifier"):
            make()


def test_a_trailing_star_asks_for_a_unique_name():
    a, b = sg.NeuronGroup(1, "v : 1", name="exc*"), sg.NeuronGroup(1, "v : 1", name="exc*")
    assert a.name.startswith("exc") and b.name.startswith("exc") and a.name != b.name


def _public_attributes(obj):
    return sorted(n for n in set(dir(type(obj))) | set(vars(obj)) if not n.startswith("_"))


@pytest.mark.parametrize("kind", ["neurongroup", "synapses"])
def test_a_variable_named_like_an_attribute_is_a_clear_error(kind):
    G = sg.NeuronGroup(2, "v : 1")
    obj = G if kind == "neurongroup" else sg.Synapses(G, G, "w : 1")
    reserved = {"N", "i", "j", "t", "dt", "xi", "lastupdate", "not_refractory", "N_pre", "N_post"}
    for name in _public_attributes(obj):
        if name in reserved or name in obj.variables:
            continue
        with pytest.raises(sg.ModelError) as info:
            if kind == "neurongroup":
                sg.NeuronGroup(2, f"{name} : 1")
            else:
                sg.Synapses(G, G, f"{name} : 1")
        assert f"'{name}'" in str(info.value), name


def test_spikes_as_a_variable_name_says_what_to_do():
    with pytest.raises(sg.ModelError, match=r"'spikes' cannot be the name of a variable.*Rename"):
        sg.NeuronGroup(2, "dspikes/dt = 0/ms : 1")


@pytest.mark.parametrize("name", ["lastspike", "not_refractory", "t", "dt", "i", "N", "xi"])
def test_reserved_neuron_variable_names(name):
    with pytest.raises(sg.ModelError, match=name):
        sg.NeuronGroup(2, f"{name} : 1", threshold="True", refractory=1 * ms)


@pytest.mark.parametrize("name", ["lastupdate", "j", "N_pre", "N_post", "delay"])
def test_reserved_synaptic_variable_names(name):
    G = sg.NeuronGroup(2, "v : 1")
    with pytest.raises(sg.ModelError, match=name):
        sg.Synapses(G, G, f"{name} : 1")


def test_a_number_called_as_a_function_is_a_snngen_error():
    tau = 10 * ms  # noqa: F841  (found in this frame)
    G = sg.NeuronGroup(1, "dv/dt = -v/tau(t) : 1")
    with pytest.raises(sg.ModelError, match=r"'tau'.*called as a function.*a number") as info:
        sg.Network(G).run(1 * ms)
    assert "tau(t)" in str(info.value)


def test_a_timedarray_must_be_called():
    I = sg.TimedArray([1.0, 2.0], dt=1 * ms)  # noqa: E741, F841
    G = sg.NeuronGroup(1, "dv/dt = I/ms : 1")
    with pytest.raises(sg.ModelError, match=r"'I'.*TimedArray: call it"):
        sg.Network(G).run(1 * ms)


def test_the_printer_refuses_what_it_cannot_map():
    import sympy

    from snngen.codegen.printer import NumbaPrinter

    x = sympy.Symbol("x", real=True)
    printer = NumbaPrinter({"x": "o0_v_x"})
    assert printer.doprint(sympy.exp(x)) == "math.exp(o0_v_x)"
    for expr in (sympy.Function("tau")(x), sympy.Symbol("y", real=True) + x, sympy.zeta(x),
                 sympy.Integral(x, x)):
        with pytest.raises(sg.ModelError):
            printer.doprint(expr)
