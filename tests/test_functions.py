"""Brian2's built-in functions in model code: exprel, expm1, log1p, arcsin/arccos/arctan, timestep,
poisson — against numpy and the exact distribution."""

import math

import numpy as np
import pytest

import snngen as sg
from snngen.units import ms


def _values(expr, x, **namespace):
    G = sg.NeuronGroup(len(x), "x : 1\ny : 1", namespace=namespace or None)
    G.x = x
    G.y = expr
    return G.y_.copy()


def test_elementary_functions_match_numpy():
    x = np.array([-0.9, -0.3, 0.0, 1e-9, 0.25, 0.7])
    np.testing.assert_allclose(_values("expm1(x)", x), np.expm1(x), rtol=1e-15)
    np.testing.assert_allclose(_values("log1p(x)", x), np.log1p(x), rtol=1e-15)
    np.testing.assert_allclose(_values("arcsin(x)", x), np.arcsin(x), rtol=1e-15)
    np.testing.assert_allclose(_values("arccos(x)", x), np.arccos(x), rtol=1e-15)
    np.testing.assert_allclose(_values("arctan(x)", x), np.arctan(x), rtol=1e-15)


def test_exprel_is_one_at_zero_and_expm1_over_x_elsewhere():
    x = np.array([-50.0, -1.0, -1e-12, 0.0, 1e-12, 1e-5, 2.0, 700.0, 800.0])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        expected = np.where(x == 0, 1.0, np.expm1(x) / x)
    expected[x > 717] = np.inf
    np.testing.assert_allclose(_values("exprel(x)", x), expected, rtol=1e-14)


def test_exprel_keeps_a_rate_function_finite_where_the_quotient_is_zero_over_zero():
    """Hodgkin–Huxley's alpha_n = 0.01*(v + 55)/(1 - exp(-(v + 55)/10)) is 0/0 at v = -55 mV; the
    exprel form 0.1/exprel(-(v + 55)/10) is its limit, 0.1, there and equal elsewhere."""
    v = np.array([-80.0, -55.0 - 1e-7, -55.0, -30.0])
    with np.errstate(invalid="ignore"):
        quotient = 0.01 * (v + 55) / (1 - np.exp(-(v + 55) / 10))
    got = _values("0.1/exprel(-(x + 55)/10)", v)
    assert np.isnan(quotient[2]) and got[2] == pytest.approx(0.1, rel=1e-15)
    np.testing.assert_allclose(got[[0, 1, 3]], quotient[[0, 1, 3]], rtol=1e-7)


def test_timestep_is_the_integer_step():
    G = sg.NeuronGroup(1, "k = timestep(t, dt) : 1\nk2 = timestep(t + 0.25*dt, dt) : 1")
    M = sg.StateMonitor(G, ["k", "k2"], record=0)
    sg.Network(G, M, dt=0.1 * ms).run(2 * ms)
    np.testing.assert_array_equal(M.k[0], np.arange(20))
    np.testing.assert_array_equal(M.k2[0], np.arange(20))


def test_timestep_needs_times():
    G = sg.NeuronGroup(1, "k = timestep(t, 2) : 1")
    M = sg.StateMonitor(G, "k", record=0)
    with pytest.raises(sg.UnitError, match="timestep"):
        sg.Network(G, M).run(1 * ms)


@pytest.mark.parametrize("lam", [0.3, 3.0, 9.5, 12.0, 80.0])
def test_poisson_draws_follow_the_poisson_distribution(lam):
    sg.seed(4)
    n = 40_000
    k = _values(f"poisson({lam})", np.zeros(n))
    assert np.all(k == np.round(k)) and k.min() >= 0
    # mean and variance within 5 standard errors (var of the sample variance ~ (mu4 - s^4)/n)
    assert abs(k.mean() - lam) < 5 * math.sqrt(lam / n)
    assert abs(k.var() - lam) < 5 * math.sqrt((lam + 2 * lam**2) / n)
    # the frequencies of the likeliest values against the exact probability mass
    for value in range(max(0, int(lam) - 2), int(lam) + 3):
        pmf = math.exp(-lam + value * math.log(lam) - math.lgamma(value + 1))
        assert abs(np.mean(k == value) - pmf) < 5 * math.sqrt(pmf * (1 - pmf) / n) + 1e-4, value


def test_poisson_draws_are_per_element_and_per_call_site():
    sg.seed(2)
    a = _values("poisson(4.0) - poisson(4.0)", np.zeros(5000))
    assert a.std() > 2  # two independent draws, not the same one twice
    sg.seed(2)
    np.testing.assert_array_equal(a, _values("poisson(4.0) - poisson(4.0)", np.zeros(5000)))


def test_poisson_on_the_cuda_backend_draws_what_the_cpu_draws():
    def spikes(backend):
        sg.seed(9)
        G = sg.NeuronGroup(20, "dv/dt = (poisson(2.5) + poisson(40.0) - v)/ms : 1", threshold="v > 30",
                           reset="v = 0", method="euler")
        M = sg.SpikeMonitor(G)
        sg.Network(G, M, backend=backend).run(3 * ms)
        return M.i.tolist(), M.t_.tolist(), G.v[:].tolist()

    assert spikes("cpu") == spikes("cuda")
