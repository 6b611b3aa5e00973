"""Discretisation: differential equations -> one time step's update statements.

Each method takes the right-hand sides ``{name: sympy expr}`` and returns a list
of ``(target, expr)`` statements, computed in order, ending with one
``_new_<name>`` per variable.  Only sympy is involved; backends render the
statements.

============================  =======  =====================  ==========================
method                        order    noise                  reference
============================  =======  =====================  ==========================
``exact``                     exact    no                     matrix exponential of the
                                                              linear system (augmented)
``exponential_euler``         1        no                     Hochbruck & Ostermann 2010
``euler``                     1        additive (Euler-       Kloeden & Platen 1992, 9.1
                                       Maruyama, strong 0.5)
``rk2`` (midpoint)            2        no                     Butcher 2008
``rk4``                       4        no                     Butcher 2008
``heun`` (Brian2's)           1        Stratonovich           Brian2's stochastic Heun:
                                                              drift Euler, noise averaged
                                                              at a support point
``improved_euler``            2        Stratonovich, strong 1 Heun's predictor-corrector
                                                              (Rümelin 1982 with noise)
``euler_maruyama``            1        Itô, strong 0.5        Kloeden & Platen 1992, 10.2
``milstein`` (Brian2's)       1        Stratonovich,          Brian2's derivative-free
                                       diagonal, strong 1/2   Milstein (Kloeden & Platen
                                                              1992, 11.1, without -dt)
============================  =======  =====================  ==========================

``heun`` and ``milstein`` mean what they mean in Brian2 (so ported scripts give Brian2's
numbers): for deterministic equations ``heun`` is Euler's method, and both read multiplicative
noise in the Stratonovich sense, as Brian2 does (``euler`` refuses multiplicative noise, as in
Brian2; ``euler_maruyama`` integrates it in the Itô sense).  Heun's second-order
predictor-corrector is ``improved_euler``.

The automatic choice is Brian2's: ``exact`` where the system is linear with constant
coefficients, else ``euler``; with noise, ``euler`` (additive noise) or ``heun``
(multiplicative noise, read as Stratonovich).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import warnings
from pathlib import Path

import sympy

from ..equations.equations import NOISE_RE
from ..equations.parser import Poisson, Rand, Randn
from ..errors import ModelError

DT = sympy.Symbol("dt", real=True)
T = sympy.Symbol("t", real=True)


class MethodNotApplicable(ModelError):
    """The requested integration method cannot handle these equations."""


def noise_symbols(rhs):
    return sorted({s for e in rhs.values() for s in e.free_symbols if NOISE_RE.match(s.name)}, key=str)


def normal_symbol(noise):
    """The standard-normal draw standing for ``noise``'s Wiener increment / sqrt(dt)."""
    return sympy.Symbol("_normal_" + noise.name, real=True)


def _split_noise(rhs):
    """rhs -> (drift {x: f}, diffusion {x: {xi: g}}); each equation must be linear in noise."""
    noises = noise_symbols(rhs)
    drift, diffusion = {}, {}
    for x, e in rhs.items():
        g = {}
        for n in noises:
            c = sympy.diff(e, n)
            if c.has(*noises):
                raise ModelError(f"the equation for '{x}' is not linear in the noise term '{n}'")
            if c != 0:
                g[n] = c
        f = e.xreplace({n: 0 for n in noises})
        drift[x], diffusion[x] = f, g
    return drift, diffusion


def _syms(names):
    return {n: sympy.Symbol(n, real=True) for n in names}


def _has_random(e):
    return bool(e.atoms(Rand, Randn, Poisson))


def _constant_coefficient(e, state):
    return not (e.free_symbols & state) and not e.has(T) and not _has_random(e)


def exact(rhs, constants=None):
    """Exact update of a linear system with constant coefficients."""
    if noise_symbols(rhs):
        raise MethodNotApplicable("'exact' cannot integrate equations with noise")
    names = list(rhs)
    sym = _syms(names)
    state = set(sym.values())
    n = len(names)
    A = sympy.zeros(n, n)
    b = sympy.zeros(n, 1)
    for i, x in enumerate(names):
        e = rhs[x]
        for j, y in enumerate(names):
            a = sympy.diff(e, sym[y])
            if not _constant_coefficient(a, state):
                raise MethodNotApplicable(
                    f"'exact' needs linear equations with constant coefficients; "
                    f"the equation for '{x}' is not linear in '{y}'")
            A[i, j] = a
        rest = e.xreplace({s: 0 for s in state})
        if not _constant_coefficient(rest, state):
            raise MethodNotApplicable(f"'exact' cannot integrate '{x}': it depends on time or random numbers")
        b[i] = rest
    # independent blocks (connected components of the coupling graph)
    out = []
    seen = set()
    for i in range(n):
        if i in seen:
            continue
        block, frontier = {i}, [i]
        while frontier:
            k = frontier.pop()
            for j in range(n):
                if j not in block and (A[k, j] != 0 or A[j, k] != 0):
                    block.add(j)
                    frontier.append(j)
        seen |= block
        idx = sorted(block)
        if len(idx) == 1:
            (k,) = idx
            x, a, c = sym[names[k]], A[k, k], b[k]
            if a == 0:
                new = x + c * DT
            else:
                new = -c / a + (x + c / a) * sympy.exp(a * DT)
            out.append(("_new_" + names[k], new))
            continue
        if len(idx) > 4:
            raise MethodNotApplicable("'exact' handles coupled blocks of at most 4 variables")
        m = len(idx)
        M = sympy.zeros(m + 1, m + 1)
        for r, k in enumerate(idx):
            for s, j in enumerate(idx):
                M[r, s] = A[k, j]
            M[r, m] = b[k]
        try:
            E = sympy.simplify((M * DT).exp())
        except Exception as exc:  # sympy could not diagonalise the system symbolically
            raise MethodNotApplicable(f"'exact' failed to exponentiate the system matrix ({exc})") from None
        if E.has(sympy.nan, sympy.zoo):
            raise MethodNotApplicable("'exact' produced a singular solution")
        for r, k in enumerate(idx):
            new = E[r, m] + sum(E[r, s] * sym[names[j]] for s, j in enumerate(idx))
            out.append(("_new_" + names[k], new))
    return out


def exponential_euler(rhs, constants=None):
    """Brian2's exponential Euler for conditionally linear equations: ``x' = A x + B`` (the expanded
    right-hand side collected on ``x``; ``A`` and ``B`` may depend on ``x`` inside functions, and are
    taken at the step's start): ``x <- (x + B/A) exp(A dt) - B/A``."""
    if noise_symbols(rhs):
        raise MethodNotApplicable("'exponential_euler' cannot integrate equations with noise")
    out = []
    for x, e in rhs.items():
        xs = sympy.Symbol(x, real=True)
        expanded = e.expand()
        if expanded.has(xs):
            parts = sympy.collect(expanded, xs, evaluate=False)
            if len(parts) > 2 or xs not in parts:
                raise MethodNotApplicable(f"'exponential_euler' needs each equation of the form A*{x} + B; the "
                                          f"equation for '{x}' cannot be separated that way")
            A, B = parts[xs], parts.get(sympy.S.One, sympy.S.Zero)
        else:
            A, B = sympy.S.Zero, expanded
        if A == 0:
            new = xs + B * DT
        elif B != 0:
            new = (xs + B / A) * sympy.exp(A * DT) - B / A
        else:
            new = xs * sympy.exp(A * DT)
        out.append(("_new_" + x, new))
    return out


def _explicit_rk(a, b, c, rhs):
    names = list(rhs)
    sym = _syms(names)
    stmts, stages = [], []
    for s in range(len(b)):
        shift = {sym[x]: sym[x] + DT * sum((a[s][j] * stages[j][x] for j in range(s) if a[s][j]), sympy.S.Zero)
                 for x in names}
        if c[s]:
            shift[T] = T + c[s] * DT
        ks = {}
        for x in names:
            k = sympy.Symbol(f"_k{s}_{x}", real=True)
            stmts.append((k.name, rhs[x].xreplace(shift)))
            ks[x] = k
        stages.append(ks)
    for x in names:
        stmts.append(("_new_" + x, sym[x] + DT * sum(b[s] * stages[s][x] for s in range(len(b)) if b[s])))
    return stmts


_HALF = sympy.Rational(1, 2)
TABLEAUS = {
    "euler": ([[]], [1], [0]),
    "rk2": ([[], [_HALF]], [0, 1], [0, _HALF]),
    "improved_euler": ([[], [1]], [_HALF, _HALF], [0, 1]),
    "rk4": ([[], [_HALF], [0, _HALF], [0, 0, 1]],
            [sympy.Rational(1, 6), sympy.Rational(1, 3), sympy.Rational(1, 3), sympy.Rational(1, 6)],
            [0, _HALF, _HALF, 1]),
}


def _rk_method(name):
    a, b, c = TABLEAUS[name]

    def method(rhs, constants=None):
        if noise_symbols(rhs):
            if name == "euler":
                _, diffusion = _split_noise(rhs)
                state = set(_syms(list(rhs)).values())
                if any(g.free_symbols & state for gs in diffusion.values() for g in gs.values()):
                    raise MethodNotApplicable(
                        "'euler' integrates additive noise only (Brian2's rule): multiplicative noise is read in "
                        "the Stratonovich sense, integrated by 'heun' or 'milstein'; 'euler_maruyama' reads it "
                        "in the Itô sense")
                return euler_maruyama(rhs)
            if name == "improved_euler":
                return stochastic_heun(rhs)
            raise MethodNotApplicable(f"'{name}' cannot integrate equations with noise")
        a_full = [list(row) + [0] * (len(b) - len(row)) for row in a]
        return _explicit_rk(a_full, b, c, rhs)

    method.__name__ = name
    return method


def euler_maruyama(rhs, constants=None):
    """Itô Euler–Maruyama: x <- x + f dt + sum_k g_k sqrt(dt) N_k."""
    drift, diffusion = _split_noise(rhs)
    out = []
    for x in rhs:
        xs = sympy.Symbol(x, real=True)
        noise = sum((g * sympy.sqrt(DT) * normal_symbol(n) for n, g in diffusion[x].items()), sympy.S.Zero)
        out.append(("_new_" + x, xs + drift[x] * DT + noise))
    return out


def milstein(rhs, constants=None):
    """Brian2's derivative-free Milstein scheme (Stratonovich, diagonal noise: each equation its own xi):

    ``x_support = x + f dt + g sqrt(dt)``, ``x_new = x + f dt + g dW + (g(x_support) - g(x)) dW^2/(2 sqrt(dt))``.
    """
    drift, diffusion = _split_noise(rhs)
    used = [n for g in diffusion.values() for n in g]
    if any(len(g) > 1 for g in diffusion.values()) or len(used) != len(set(used)):
        raise MethodNotApplicable("'milstein' needs diagonal noise: each equation with a noise of its own "
                                  "(one xi name per equation, not shared); use 'heun'")
    if not used:
        return _rk_method("euler")(drift)
    sym = _syms(list(rhs))
    support = {}
    out = []
    for x in rhs:
        g = next(iter(diffusion[x].values()), sympy.S.Zero)
        s = sympy.Symbol("_support_" + x, real=True)
        out.append((s.name, sym[x] + drift[x] * DT + g * sympy.sqrt(DT)))
        support[sym[x]] = s
    for x in rhs:
        if not diffusion[x]:
            out.append(("_new_" + x, sym[x] + drift[x] * DT))
            continue
        (n, g), = diffusion[x].items()
        dW = sympy.sqrt(DT) * normal_symbol(n)
        k = dW**2 * (g.xreplace(support) - g) / (2 * sympy.sqrt(DT))
        out.append(("_new_" + x, sym[x] + drift[x] * DT + g * dW + k))
    return out


def brian2_heun(rhs, constants=None):
    """Brian2's ``heun``: for Stratonovich equations with multiplicative noise,

    ``x_support = x + g(x, t) dW``, ``x_new = x + f(x, t) dt + (g(x, t) + g(x_support, t + dt)) dW / 2``;
    the drift is Euler's, so without noise this is Euler's method.
    """
    if not noise_symbols(rhs):
        return _rk_method("euler")(rhs)
    drift, diffusion = _split_noise(rhs)
    sym = _syms(list(rhs))
    dW = {n: sympy.sqrt(DT) * normal_symbol(n) for n in noise_symbols(rhs)}
    out, support = [], {}
    for x in rhs:
        s = sympy.Symbol("_support_" + x, real=True)
        out.append((s.name, sym[x] + sum((g * dW[n] for n, g in diffusion[x].items()), sympy.S.Zero)))
        support[sym[x]] = s
    later = dict(support)
    later[T] = T + DT
    for x in rhs:
        noise = sum(((g + g.xreplace(later)) * dW[n] for n, g in diffusion[x].items()), sympy.S.Zero)
        out.append(("_new_" + x, sym[x] + drift[x] * DT + _HALF * noise))
    return out


def stochastic_heun(rhs, constants=None):
    """Stratonovich Heun (predictor-corrector) for multiplicative noise."""
    drift, diffusion = _split_noise(rhs)
    sym = _syms(list(rhs))
    dW = {n: sympy.sqrt(DT) * normal_symbol(n) for n in noise_symbols(rhs)}
    out = []
    pred = {}
    for x in rhs:
        p = sympy.Symbol("_pred_" + x, real=True)
        step = drift[x] * DT + sum((g * dW[n] for n, g in diffusion[x].items()), sympy.S.Zero)
        out.append((p.name, sym[x] + step))
        pred[sym[x]] = p
    for x in rhs:
        f2 = drift[x].xreplace(pred)
        noise = sum(((g + g.xreplace(pred)) * dW[n] for n, g in diffusion[x].items()), sympy.S.Zero)
        out.append(("_new_" + x, sym[x] + _HALF * (drift[x] + f2) * DT + _HALF * noise))
    return out


METHODS = {
    "exact": exact,
    "linear": exact,
    "exponential_euler": exponential_euler,
    "euler": _rk_method("euler"),
    "rk2": _rk_method("rk2"),
    "rk4": _rk_method("rk4"),
    "heun": brian2_heun,
    "improved_euler": _rk_method("improved_euler"),
    "euler_maruyama": euler_maruyama,
    "milstein": milstein,
}


_memory = {}


def integrate(rhs, method=None):
    """Discretise ``rhs`` ({name: expr}); returns ``(statements, method_name)``.

    ``method=None`` chooses automatically (see the module docstring).  Results
    are cached in memory and on disk (keyed by the equations' sympy ``srepr``):
    symbolic work such as an exact solution's matrix exponential is done once
    per model, not once per process.
    """
    if not rhs:
        return [], "none"
    key = hashlib.sha256(repr((method, sorted((n, sympy.srepr(e)) for n, e in rhs.items()))).encode()).hexdigest()
    if key in _memory:
        return _memory[key]
    path = _cache_path(key)
    if path is not None and path.exists():
        result = _read(path)
        if result is not None:
            _memory[key] = result
            return result
    result = _integrate(rhs, method)
    _memory[key] = result
    if path is not None:
        _write(path, result)
    return result


def _cache_path(key):
    from .. import __version__
    from ..codegen.compiler import code_fingerprint
    from ..prefs import prefs

    try:
        root = Path(prefs.cache_dir) / f"sympy-snngen{__version__}-{code_fingerprint()}-sympy{sympy.__version__}"
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return root / f"{key[:32]}.pickle"


def _read(path):
    """A cached result, or None (with a warning) when the file does not match its recorded hash."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest, _, payload = data.partition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        warnings.warn(f"snngen: the cached integration result {path} is damaged; computing it again",
                      RuntimeWarning, stacklevel=3)
        return None
    return pickle.loads(payload)  # our own file, checked against the hash written with it


def _write(path, result):
    payload = pickle.dumps(result)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        os.replace(tmp, path)
    except OSError:
        pass


def _integrate(rhs, method):
    if method is not None:
        if method not in METHODS:
            from ..equations.parser import suggest

            raise ModelError(f"unknown integration method '{method}'.{suggest(method, METHODS)} "
                             f"Known: {', '.join(sorted(METHODS))}")
        return METHODS[method](rhs), method
    if noise_symbols(rhs):
        _, diffusion = _split_noise(rhs)
        state = {sympy.Symbol(x, real=True) for x in rhs}
        additive = all(not (g.free_symbols & state) for gs in diffusion.values() for g in gs.values())
        candidates = ["euler"] if additive else ["heun"]
    else:
        candidates = ["exact", "euler"]  # Brian2's choice (exponential_euler only when asked for)
    for name in candidates:
        try:
            return METHODS[name](rhs), name
        except MethodNotApplicable:
            continue
    raise ModelError("no integration method applies to these equations")  # pragma: no cover
