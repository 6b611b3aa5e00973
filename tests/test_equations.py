"""The model language: parsing, the whitelist, error messages, unit checks."""

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import snngen as sg
from snngen.equations.parser import Rand, parse_expression, parse_statements


def test_differential_subexpression_parameter_and_flags():
    eqs = sg.Equations("""
    # a comment line
    dv/dt = (v_rest - v + I_syn)/tau : volt (unless refractory)  # trailing comment
    I_syn = g*(E - v) : volt
    g : 1 (constant)
    flag : boolean
    n : integer (shared)
    """)
    assert eqs.diff_names == ["v"]
    assert eqs.subexpr_names == ["I_syn"]
    assert eqs.param_names == ["g", "flag", "n"]
    assert eqs["v"].flags == {"unless refractory"}
    assert eqs["g"].flags == {"constant"}
    assert eqs["flag"].dtype == "boolean" and eqs["n"].dtype == "integer"
    rhs, _ = eqs.substituted()
    v, g, E = (sympy.Symbol(n, real=True) for n in ("v", "g", "E"))
    assert sympy.simplify(rhs["v"].diff(g) - (E - v) / sympy.Symbol("tau", real=True)) == 0


def test_rand_call_sites_are_distinct():
    # rand() + rand() must not collapse into 2*rand(): each call is its own draw
    e = parse_expression("rand() + rand()").expr
    assert len(e.atoms(Rand)) == 2


@pytest.mark.parametrize(
    "model, line, column, token",
    [
        ("dv/dt = -v/tau : volt\nw = v*2 +* 3 : volt", 2, 10, "*"),
        ("dv/dt = (v_rest - v))/tau : volt", 1, 21, ")"),
        ("dv/dt = -v/tau : voltt", 1, 18, None),
        ("dv/dt = v.real : volt", 1, 9, "v.real"),
        ("dv/dt = -v/tau : volt (unles refractory)", 1, None, "unles refractory"),
        ("x : volt\nx : volt", 2, None, "x"),
        ("dt/dt = 1 : 1", 1, None, "t"),
        ("v : 1\ndx/dt = (v > 0)*x/second : 1", 2, 10, "v > 0"),  # a condition in arithmetic: int(...)
    ],
)
def test_malformed_lines_name_line_column_and_token(model, line, column, token):
    with pytest.raises(sg.EquationError) as info:
        sg.Equations(model)
    err = info.value
    assert err.line == line
    if column is not None:
        assert err.column == column
    if token is not None:
        assert token in str(err)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('ls')",
        "__import__",
        "(lambda: 0)()",
        "[x for x in y]",
        "open('f')",  # a string literal: refused by the parser before any name is looked at
        "v.__class__",
        "x[0]",
        "f(x=1)",
        "'a string'",
        "exp(1, 2)",
        "rand(3)",
    ],
)
def test_dangerous_or_unsupported_text_is_a_parse_error(text):
    with pytest.raises(sg.EquationError):
        parse_expression(text)


def test_unknown_function_is_rejected_at_resolution():
    """A call of a name that is not a built-in function parses (it could be a TimedArray), but never
    becomes code: resolving it fails, naming it."""
    G = sg.NeuronGroup(1, "dv/dt = open(v)/second : 1")
    with pytest.raises(sg.ModelError, match="unknown name 'open'"):
        sg.Network(G).run(0.1 * sg.units.ms, namespace={})
    G = sg.NeuronGroup(1, "dv/dt = open(v)/second : 1")
    with pytest.raises(sg.ModelError, match="'open'.*called as a function.*a number"):
        sg.Network(G).run(0.1 * sg.units.ms, namespace={"open": 3.0})


def test_cycle_among_subexpressions_is_named():
    with pytest.raises(sg.EquationError, match="a -> b -> a"):
        sg.Equations("a = b : 1\nb = a : 1\ndv/dt = a/second : 1").substituted()


def test_statements_parse_with_operators_and_positions():
    stmts = parse_statements("v = v_reset; w += b\nx *= 2")
    assert [(t, op) for t, op, _ in stmts] == [("v", "="), ("w", "+="), ("x", "*=")]
    with pytest.raises(sg.EquationError) as info:
        parse_statements("v = 1; w ++ 2")
    assert info.value.column == 8


def test_unit_mismatch_names_both_sides():
    from snngen.units import ms, mV

    G = sg.NeuronGroup(1, "dv/dt = (v_rest - v*ms)/tau : volt")
    with pytest.raises(sg.UnitError) as info:
        sg.Network(G).run(1 * ms, namespace=dict(v_rest=-65 * mV, tau=10 * ms))
    msg = str(info.value)
    assert "V s" in msg and "'v_rest' has units V" in msg


def test_messages_show_abs_and_sign_as_written():
    from snngen.units import ms

    G = sg.NeuronGroup(1, "dv/dt = (abs(v) + sign(v)*1)/(10*ms) : volt")
    with pytest.raises(sg.UnitError, match=r"'abs\(v\)' has units V"):
        sg.Network(G).run(1 * ms)


def test_rhs_units_must_match_derivative():
    from snngen.units import mV

    G = sg.NeuronGroup(1, "dv/dt = v_rest - v : volt")
    with pytest.raises(sg.UnitError, match=r"V but dv/dt has units V s\^-1"):
        sg.Network(G).run(sg.units.ms, namespace=dict(v_rest=-65 * mV))


def test_unknown_name_lists_candidates_and_position():
    from snngen.units import ms

    tau = 10 * ms  # noqa: F841  (found in this frame)
    G = sg.NeuronGroup(1, "dv/dt = -v/tua : 1")
    with pytest.raises(sg.ModelError) as info:
        sg.Network(G).run(ms)
    assert "'tua'" in str(info.value) and "'tau'" in str(info.value) and "column 12" in str(info.value)


def test_exp_of_dimensionful_is_a_unit_error():
    from snngen.units import ms, mV

    G = sg.NeuronGroup(1, "dv/dt = exp(v)/tau : volt")
    with pytest.raises(sg.UnitError, match="dimensionless"):
        sg.Network(G).run(ms, namespace=dict(tau=10 * ms, mV=mV))


_TOKENS = ["v", "tau", "dv/dt", "=", ":", "volt", "1", "(", ")", "+", "-", "*", "/", "**", "exp(", "rand()",
           "xi", "#", "\n", " ", ",", "(unless refractory)", "0.5", "e", "pi", "and", "not", "<", ">=", "__",
           "import", "lambda", "'", "[", "]", ".", ";", "d", "/dt", "@", "\\", "if", "else", "1e400", "\t"]


@settings(max_examples=7000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS), max_size=14).map("".join))
def test_fuzz_token_soup_gives_only_model_errors(text):
    try:
        eqs = sg.Equations(text)
        rhs, _ = eqs.substituted()
    except sg.ModelError as exc:  # anything else (or a hang) fails the test
        assert str(exc).strip()
    else:
        assert set(rhs) == set(eqs.diff_names)


@settings(max_examples=3500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_fuzz_arbitrary_text_gives_only_model_errors(text):
    for fn in (sg.Equations, parse_expression, parse_statements):
        try:
            result = fn(text)
        except sg.ModelError as exc:  # anything else (or a hang) fails the test
            assert str(exc).strip()
        else:
            assert result is not None


def test_zero_carries_any_unit_but_other_numbers_do_not():
    from snngen.units import ms

    ok = sg.NeuronGroup(1, "dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV", reset="v = 0*mV")
    sg.Network(ok).run(ms, namespace={})  # sympy folds 0*mV to 0: still a voltage
    bad = sg.NeuronGroup(1, "dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV", reset="v = 5")
    with pytest.raises(sg.UnitError, match="assigns units 1"):
        sg.Network(bad).run(ms, namespace={})


def test_equations_substitute_values_and_names_as_in_brian2():
    from snngen.units import ms, mV

    base = "dv/dt = (v_rest - v + I)/tau : volt\nI : volt"
    fast = sg.Equations(base, tau=10 * ms, v_rest=-65 * mV)
    slow = sg.Equations(base, tau=100 * ms, v_rest=-65 * mV)
    A, B = sg.NeuronGroup(1, fast), sg.NeuronGroup(1, slow)
    for G in (A, B):
        G.v, G.I = -65 * mV, 10 * mV
    sg.Network(A, B).run(5 * ms, namespace={})
    np.testing.assert_allclose(A.v_, -0.065 + 0.010 * (1 - np.exp(-0.5)), rtol=1e-12)
    np.testing.assert_allclose(B.v_, -0.065 + 0.010 * (1 - np.exp(-0.05)), rtol=1e-12)
    gate = sg.Equations("dx/dt = (xinf - x)/tau : 1", x="m", xinf="m_inf", tau="tau_m")
    assert gate.diff_names == ["m"] and {s.name for s in gate["m"].expr.expr.free_symbols} == {"m", "m_inf", "tau_m"}
    combined = gate + sg.Equations("m_inf = 0.5 : 1\ntau_m : second")
    G = sg.NeuronGroup(1, combined)
    G.tau_m = 2 * ms
    sg.Network(G).run(2 * ms, namespace={})
    np.testing.assert_allclose(G.m_, 0.5 * (1 - np.exp(-1)), rtol=1e-12)


@pytest.mark.parametrize("kwargs, match", [({"q": 3}, "do not use"), ({"v": 3}, "defined by the equations"),
                                           ({"tau": "a+b"}, "only a name")])
def test_bad_substitutions_are_errors(kwargs, match):
    with pytest.raises(sg.EquationError, match=match):
        sg.Equations("dv/dt = -v/tau : 1", **kwargs)


def test_an_equation_continues_after_an_operator_or_an_open_parenthesis():
    eqs = sg.Equations("""
        dv/dt = (a +      # a comment
                 b)/tau : 1
        w = a *
            b : 1
        a : 1
        b : 1
        tau : second""")
    assert eqs.diff_names == ["v"] and eqs.subexpr_names == ["w"]
    assert str(eqs["v"].expr.expr) == "(a + b)/tau" and str(eqs["w"].expr.expr) == "a*b"
    assert eqs["w"].line == 4


def test_a_number_in_and_or_not_is_true_where_it_is_not_zero():
    """Python's truth of a number in a condition (a fuzzer found '1e400 and v' raising sympy's TypeError)."""
    for condition, expected in [("1e400 and v > 0.5", [1, 2]), ("2 and v", [1, 2]), ("0 or v > 1.5", [2]),
                                ("0 and v", []), ("not v", [0]), ("not 2*v or v > 1.5", [0, 2])]:
        G = sg.NeuronGroup(3, "v : 1", threshold=condition)
        G.v = [0, 1, 2]
        M = sg.SpikeMonitor(G)
        sg.Network(G, M).run(sg.defaultclock.dt)
        assert list(M.i) == expected, condition
