"""Integration methods: measured convergence orders, exactness, automatic choice."""

import numpy as np
import pytest
import sympy

import snngen as sg
from snngen.equations.parser import parse_expression
from snngen.integrate import integrate, normal_symbol
from snngen.units import ms, second, umolar

TAU = 10 * ms


def _simulate(model, method, dt, duration, v0, namespace):
    G = sg.NeuronGroup(1, model, method=method, namespace=namespace)
    for name, value in v0.items():
        setattr(G, name + "_", value)
    net = sg.Network(G, dt=dt)
    net.run(duration)
    return G, net


def _orders(errors):
    return [np.log2(a / b) for a, b in zip(errors, errors[1:])]


@pytest.mark.parametrize("method, order", [("euler", 1), ("rk2", 2), ("improved_euler", 2), ("rk4", 4)])
def test_explicit_methods_converge_at_their_order(method, order):
    # dv/dt = -v**2/tau  =>  v(T) = v0 / (1 + v0*T/tau)
    T, v0 = 20 * ms, 2.0
    exact = v0 / (1 + v0 * float(T / TAU))
    dts = [0.4, 0.2, 0.1] if order < 4 else [1.0, 0.5, 0.25]
    errors = []
    for dt in dts:
        G, _ = _simulate("dv/dt = -v**2/tau : 1", method, dt * ms, T, {"v": v0}, {"tau": TAU})
        assert G.integration_method == method
        errors.append(abs(G.v_[0] - exact))
    measured = _orders(errors)
    assert all(abs(m - order) < 0.25 for m in measured), measured


def test_exponential_euler_is_first_order_on_a_forced_linear_equation():
    # dv/dt = -v/tau + sin(w t)/tau: conditionally linear with a time-dependent input
    w, T = 200.0, 0.05  # rad/s, s
    a = 1 / (TAU / second)
    # exact: v = A sin(wt) + B cos(wt) + C exp(-a t), v(0) = 0
    A = a * a / (a * a + w * w)
    B = -a * w / (a * a + w * w)
    exact = A * np.sin(w * T) + B * np.cos(w * T) - B * np.exp(-a * T)
    errors = []
    for dt in (0.5, 0.25, 0.125):
        G, _ = _simulate("dv/dt = -v/tau + sin(omega*t)/tau : 1", "exponential_euler", dt * ms, T * second,
                         {"v": 0.0}, {"tau": TAU, "omega": w / second})
        errors.append(abs(G.v_[0] - exact))
    assert all(abs(m - 1) < 0.2 for m in _orders(errors)), _orders(errors)


def test_exact_matches_the_analytic_solution_to_1e12():
    T = 37 * ms
    G, _ = _simulate("dv/dt = (v_rest - v)/tau : 1", None, 0.1 * ms, T, {"v": 1.0}, {"tau": TAU, "v_rest": -0.5})
    assert G.integration_method == "exact"
    expected = -0.5 + 1.5 * np.exp(-float(T / TAU))
    assert abs(G.v_[0] - expected) <= 1e-12 * abs(expected)


def test_exact_solves_a_coupled_linear_system():
    # current-based synapse: dv/dt = (g - v)/tau, dg/dt = -g/tau_g
    T, tau_g = 23 * ms, 3 * ms
    G, _ = _simulate("dv/dt = (g - v)/tau : 1\ndg/dt = -g/tau_g : 1", None, 0.1 * ms, T, {"v": 0.2, "g": 1.0},
                     {"tau": TAU, "tau_g": tau_g})
    assert G.integration_method == "exact"
    t, a, b = T / second, TAU / second, tau_g / second
    g = np.exp(-t / b)
    v = 0.2 * np.exp(-t / a) + b / (b - a) * (np.exp(-t / b) - np.exp(-t / a))
    assert abs(G.g_[0] - g) <= 1e-12 * g
    assert abs(G.v_[0] - v) <= 1e-12 * abs(v)


@pytest.mark.parametrize(
    "model, expected",
    [
        ("dv/dt = (v_rest - v)/tau : 1", "exact"),
        ("dv/dt = (0.04*v**2 + 5*v + 140 - u)/tau : 1\ndu/dt = (0.2*v - u)/tau : 1", "euler"),
        ("dv/dt = -g*v/tau : 1\ndg/dt = (1 - g - v)/tau : 1", "euler"),  # Brian2: exact, euler, heun
        ("dv/dt = -v/tau + xi/sqrt(tau) : 1", "euler"),
        ("dv/dt = -v/tau + v*xi/sqrt(tau) : 1", "heun"),
    ],
)
def test_automatic_choice_follows_brian2(model, expected):
    eqs = sg.Equations(model)
    rhs, _ = eqs.substituted()
    _, method = integrate(rhs)
    assert method == expected


def test_unknown_or_inapplicable_method_is_an_error():
    rhs = {"v": parse_expression("-v**2/tau").expr}
    with pytest.raises(sg.ModelError, match="rk45"):
        integrate(rhs, "rk45")
    with pytest.raises(sg.ModelError, match="not linear"):
        integrate(rhs, "exact")


def _sde_strong_errors(method, rhs_text, exact_fn, n_paths=400, T=1.0, levels=(16, 32, 64, 128), seed=0):
    """Mean |X_T - exact| for several step counts, on the SAME Brownian paths."""
    x, mu, sigma, dt = sympy.symbols("x mu sigma dt", real=True)
    rhs = {"x": parse_expression(rhs_text).expr}
    stmts, _ = integrate(rhs, method)
    noise = normal_symbol(sympy.Symbol("xi", real=True))
    final = dict(stmts)["_new_x"]
    temps = [(sympy.Symbol(n, real=True), e) for n, e in stmts if n != "_new_x"]
    for sym, e in reversed(temps):
        final = final.xreplace({sym: e})
    step = sympy.lambdify((x, mu, sigma, dt, noise), final, "numpy")
    rng = np.random.default_rng(seed)
    fine = max(levels)
    dW = rng.standard_normal((n_paths, fine)) * np.sqrt(T / fine)
    W = dW.sum(axis=1)
    errs = []
    for n in levels:
        h = T / n
        incr = dW.reshape(n_paths, n, fine // n).sum(axis=2)
        X = np.ones(n_paths)
        for k in range(n):
            X = step(X, 1.5, 0.8, h, incr[:, k] / np.sqrt(h))
        errs.append(np.mean(np.abs(X - exact_fn(T, W))))
    return errs


def test_euler_maruyama_strong_order_half():
    errs = _sde_strong_errors("euler_maruyama", "mu*x + sigma*x*xi",
                              lambda T, W: np.exp((1.5 - 0.8**2 / 2) * T + 0.8 * W))
    slope = np.polyfit(np.log2([16, 32, 64, 128]), np.log2(errs), 1)[0]
    assert -0.75 < slope < -0.3, slope


def test_milstein_converges_to_the_stratonovich_solution():
    """Brian2's derivative-free Milstein reads the noise in the Stratonovich sense.  Its support point
    x + f dt + g sqrt(dt) adds a biased O(dt^1.5) term per step, so its strong order here is 1/2, not 1."""
    errs = _sde_strong_errors("milstein", "mu*x + sigma*x*xi", lambda T, W: np.exp(1.5 * T + 0.8 * W))
    slope = np.polyfit(np.log2([16, 32, 64, 128]), np.log2(errs), 1)[0]
    assert -0.75 < slope < -0.25, slope
    ito = _sde_strong_errors("milstein", "mu*x + sigma*x*xi", lambda T, W: np.exp((1.5 - 0.32) * T + 0.8 * W))
    assert ito[-1] > 2 * errs[-1]  # not the Itô solution


def test_euler_refuses_multiplicative_noise_as_brian2_does():
    rhs = {"x": parse_expression("-x/tau + x*xi/sqrt(tau)").expr}
    with pytest.raises(sg.ModelError, match="additive noise only.*Stratonovich.*euler_maruyama"):
        integrate(rhs, "euler")
    assert integrate(rhs, "euler_maruyama")[1] == "euler_maruyama"


@pytest.mark.parametrize("method", ["heun", "improved_euler"])
def test_stochastic_heun_converges_to_the_stratonovich_solution(method):
    # Stratonovich GBM: X = exp(mu T + sigma W)
    errs = _sde_strong_errors(method, "mu*x + sigma*x*xi", lambda T, W: np.exp(1.5 * T + 0.8 * W))
    slope = np.polyfit(np.log2([16, 32, 64, 128]), np.log2(errs), 1)[0]
    assert -1.3 < slope < -0.8, slope


def test_heun_is_brian2s_scheme():
    """Brian2's 'heun': x_support = x + g dW; x_new = x + f dt + (g(x) + g(x_support, t + dt)) dW / 2.
    Without noise it is Euler's method (ported Brian2 scripts give Brian2's numbers); Heun's
    second-order predictor-corrector is 'improved_euler'."""
    rhs = {"v": parse_expression("-v**2/tau + sin(t/tau)/tau").expr}
    assert integrate(rhs, "heun")[0] == integrate(rhs, "euler")[0]
    assert integrate(rhs, "improved_euler")[0] != integrate(rhs, "euler")[0]
    x, t, dt, tau, s, n = sympy.symbols("x t dt tau sigma _normal_xi", real=True)
    stmts, _ = integrate({"x": parse_expression("-x/tau + sigma*x*cos(t/tau)*xi").expr}, "heun")
    final = dict(stmts)["_new_x"].xreplace({sympy.Symbol("_support_x", real=True): dict(stmts)["_support_x"]})
    f = lambda x_, t_: -x_ / tau  # noqa: E731
    g = lambda x_, t_: s * x_ * sympy.cos(t_ / tau)  # noqa: E731
    dW = sympy.sqrt(dt) * n
    support = x + g(x, t) * dW
    brian2 = x + dt * f(x, t) + (g(x, t) + g(support, t + dt)) * dW / 2
    assert sympy.simplify(final - brian2) == 0


def test_additive_noise_gives_the_ornstein_uhlenbeck_variance():
    # dv/dt = -v/tau + sigma*sqrt(2/tau)*xi  =>  stationary variance sigma**2
    sg.seed(7)
    G = sg.NeuronGroup(20000, "dv/dt = -v/tau + sigma*sqrt(2/tau)*xi : 1",
                       namespace={"tau": TAU, "sigma": 0.5})
    net = sg.Network(G, dt=0.1 * ms)
    net.run(100 * ms)
    assert G.integration_method == "euler"
    # Euler-Maruyama's stationary variance is sigma^2 / (1 - dt/(2 tau)) exactly
    expected = 0.25 / (1 - 0.1 / 20)
    assert abs(np.var(G.v_) / expected - 1) < 0.03
    assert abs(np.mean(G.v_)) < 0.02


def test_exponential_euler_takes_brian2s_conditionally_linear_equations():
    """Morris & Lecar (1981) as in Brian2's example: dV/dt is linear in V once m_inf(V) is frozen at the
    step's start.  One step against Brian2's formula in numpy: (V + B/A)*exp(A*dt) - B/A."""
    eqs = sg.Equations("""dV/dt = (-gL*(V - VL) - gCa*m_inf*(V - VCa) + I)/C : 1
                          m_inf = 0.5*(1 + tanh((V - V1)/V2)) : 1""")
    rhs, _ = eqs.substituted()
    stmts, method = integrate(rhs, "exponential_euler")
    assert method == "exponential_euler"
    p = dict(gL=2.0, VL=-60.0, gCa=4.0, VCa=120.0, I=80.0, C=20.0, V1=-1.2, V2=18.0, dt=0.1)
    syms = {s.name: s for _, e in stmts for s in e.free_symbols}
    V = -30.0
    new = float(dict(stmts)["_new_V"].subs({syms[k]: v for k, v in {**p, "V": V}.items() if k in syms}))
    m = 0.5 * (1 + np.tanh((V - p["V1"]) / p["V2"]))
    A = (-p["gL"] - p["gCa"] * m) / p["C"]
    B = (p["gL"] * p["VL"] + p["gCa"] * m * p["VCa"] + p["I"]) / p["C"]
    assert new == pytest.approx((V + B / A) * np.exp(A * p["dt"]) - B / A, rel=1e-13)
    with pytest.raises(sg.ModelError, match="A\\*V \\+ B"):
        integrate({"V": parse_expression("-V**2/tau").expr}, "exponential_euler")


ASTROCYTE = """
dGamma_A/dt = O_N * Y_S * (1 - Gamma_A) - Omega_N*(1 + zeta * C/(C + K_KC)) * Gamma_A : 1
Y_S : mmolar (constant)
dI/dt = J_beta + J_delta - J_3K - J_5P + J_ex : mmolar
J_beta = O_beta * Gamma_A : mmolar/second
J_delta = O_delta/(1 + I/kappa_delta) * C**2/(C**2 + K_delta**2) : mmolar/second
J_3K = O_3K * C**4/(C**4 + K_D**4) * I/(I + K_3K) : mmolar/second
J_5P = Omega_5P*I : mmolar/second
delta_I_bias = I - I_bias : mmolar
J_ex = -F_ex/2*(1 + tanh((abs(delta_I_bias) - I_Theta)/omega_I)) *
       sign(delta_I_bias) : mmolar/second
I_bias : mmolar (constant)
dC/dt = (Omega_C * m_inf**3 * h**3 + Omega_L) * (C_T - (1 + rho_A)*C) - O_P * C**2/(C**2 + K_P**2) : mmolar
dh/dt = (h_inf - h)/tau_h : 1
m_inf = I/(I + d_1) * C/(C + d_5) : 1
h_inf = Q_2/(Q_2 + C) : 1
tau_h = 1/(O_2 * (Q_2 + C)) : second
Q_2 = d_2 * (I + d_1)/(I + d_3) : mmolar
"""
# Stimberg et al. 2018's astrocyte (their example 4), concentrations in µM and times in s
ASTRO_PARAMS = dict(O_P=0.9, K_P=0.05, C_T=2.0, rho_A=0.18, Omega_C=6.0, Omega_L=0.1, d_1=0.13, d_2=1.05, O_2=0.2,
                    d_3=0.9434, d_5=0.08, O_delta=0.6, kappa_delta=1.5, K_delta=0.1, Omega_5P=0.05, K_D=0.7,
                    K_3K=1.0, O_3K=4.5, F_ex=2.0, I_Theta=0.3, omega_I=0.05, O_N=0.3, Omega_N=0.5, zeta=10,
                    K_KC=0.5, O_beta=3.2)
ASTRO_UNITS = dict(O_P=umolar / second, K_P=umolar, C_T=umolar, rho_A=1, Omega_C=1 / second, Omega_L=1 / second,
                   d_1=umolar, d_2=umolar, O_2=1 / umolar / second, d_3=umolar, d_5=umolar, O_delta=umolar / second,
                   kappa_delta=umolar, K_delta=umolar, Omega_5P=1 / second, K_D=umolar, K_3K=umolar,
                   O_3K=umolar / second, F_ex=umolar / second, I_Theta=umolar, omega_I=umolar,
                   O_N=1 / umolar / second, Omega_N=1 / second, zeta=1, K_KC=umolar, O_beta=umolar / second)


def _astrocyte_rhs(y, I_bias, Y_S, p):
    """The same model in plain numpy (µM, s)."""
    Gamma_A, I, C, h = y
    dGamma_A = p["O_N"] * Y_S * (1 - Gamma_A) - p["Omega_N"] * (1 + p["zeta"] * C / (C + p["K_KC"])) * Gamma_A
    J_delta = p["O_delta"] / (1 + I / p["kappa_delta"]) * C**2 / (C**2 + p["K_delta"] ** 2)
    J_3K = p["O_3K"] * C**4 / (C**4 + p["K_D"] ** 4) * I / (I + p["K_3K"])
    J_5P = p["Omega_5P"] * I
    d = I - I_bias
    J_ex = -p["F_ex"] / 2 * (1 + np.tanh((np.abs(d) - p["I_Theta"]) / p["omega_I"])) * np.sign(d)
    m_inf = I / (I + p["d_1"]) * C / (C + p["d_5"])
    Q_2 = p["d_2"] * (I + p["d_1"]) / (I + p["d_3"])
    h_inf = Q_2 / (Q_2 + C)
    tau_h = 1 / (p["O_2"] * (Q_2 + C))
    dC = (p["Omega_C"] * m_inf**3 * h**3 + p["Omega_L"]) * (p["C_T"] - (1 + p["rho_A"]) * C) \
        - p["O_P"] * C**2 / (C**2 + p["K_P"] ** 2)
    return np.array([dGamma_A, p["O_beta"] * Gamma_A + J_delta - J_3K - J_5P + J_ex, dC, (h_inf - h) / tau_h])


def test_rk4_of_an_astrocyte_with_abs_sign_and_tanh_matches_numpy():
    """abs() and sign() inside tanh() in an rk4 step: sympy's own Abs and sign asked assumptions
    of the nested stage trees each time one was rebuilt, and building this model took hours
    (Stimberg et al. 2018's example 4). Now it builds at once and integrates as a plain-numpy
    RK4 transcription does."""
    namespace = {k: v * ASTRO_UNITS[k] for k, v in ASTRO_PARAMS.items()}
    G = sg.NeuronGroup(3, ASTROCYTE, method="rk4", namespace=namespace)
    I_bias = np.array([0.0, 1.0, 0.2])
    G.I_bias = I_bias * umolar
    G.h = 0.9
    G.I = np.array([0.05, 0.3, 0.5]) * umolar
    G.C = 0.1 * umolar
    Y_S = np.array([0.0, 0.5, 2.0])
    G.Y_S = Y_S * umolar
    dt, steps = 1e-3, 3000
    sg.Network(G, dt=dt * second).run(steps * dt * second)
    y = np.array([[0.0] * 3, [0.05, 0.3, 0.5], [0.1] * 3, [0.9] * 3])
    for _ in range(steps):
        k1 = _astrocyte_rhs(y, I_bias, Y_S, ASTRO_PARAMS)
        k2 = _astrocyte_rhs(y + dt / 2 * k1, I_bias, Y_S, ASTRO_PARAMS)
        k3 = _astrocyte_rhs(y + dt / 2 * k2, I_bias, Y_S, ASTRO_PARAMS)
        k4 = _astrocyte_rhs(y + dt * k3, I_bias, Y_S, ASTRO_PARAMS)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    np.testing.assert_allclose(np.asarray(G.Gamma_A), y[0], rtol=1e-9)
    np.testing.assert_allclose(np.asarray(G.I / umolar), y[1], rtol=1e-9)
    np.testing.assert_allclose(np.asarray(G.C / umolar), y[2], rtol=1e-9)
    np.testing.assert_allclose(np.asarray(G.h), y[3], rtol=1e-9)
    # the exogenous flow pulls I towards I_bias, and the receptors are activated by Y_S
    assert abs(y[1][1] - 1.0) < abs(0.3 - 1.0)
    assert y[0][0] == 0 and y[0][2] > y[0][1] > 0.01
