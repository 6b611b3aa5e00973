"""Physical dimensions of sympy expression trees (checked once, at build time)."""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p

from ..errors import UnitError
from ..units import DIMENSIONLESS, UNITS, Dimension, get_dimensions, second
from .parser import AbsOf, Clip, Exprel, IntCast, Log10, Poisson, Rand, Randn, SignOf, Timestep, parse_expression

SECOND = get_dimensions(second)

_DIMLESS_FUNCS = (sympy.exp, sympy.log, Log10, sympy.sin, sympy.cos, sympy.tan, sympy.tanh, sympy.sinh, sympy.cosh,
                  sympy.asin, sympy.acos, sympy.atan, expm1, log1p, Exprel, Poisson)


class _AnyDimension:
    """The dimension of a literal zero: ``0*mV`` is folded to ``0`` by sympy, and zero
    carries any unit, so it is compatible with every dimension (on the left of ``==``)."""

    is_dimensionless = True

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0

    def __str__(self):
        return "any (zero)"


ANY = _AnyDimension()


def _same(dims, exprs, what):
    pairs = [(d, e) for d, e in zip(dims, exprs) if d is not ANY]
    if not pairs:
        return ANY
    first, first_expr = pairs[0]
    for d, e in pairs[1:]:
        if d != first:
            raise UnitError(
                f"{what}: '{first_expr}' has units {first} but '{e}' has units {d}"
            )
    return first


def dimension_of(expr, lookup) -> Dimension:
    """The :class:`~snngen.units.Dimension` of ``expr``.

    ``lookup(name)`` gives the dimension of a symbol (or of a user function's
    result, for a called name).  Raises :class:`~snngen.errors.UnitError`
    naming both sides of the first inconsistent term.
    """
    if isinstance(expr, sympy.Symbol):
        return lookup(expr.name)
    if expr.is_Number and expr == 0:
        return ANY
    if expr.is_Number or expr in (sympy.pi, sympy.E, sympy.true, sympy.false) or expr is sympy.oo:
        return DIMENSIONLESS
    if isinstance(expr, sympy.Add):
        args = expr.args
        return _same([dimension_of(a, lookup) for a in args], args, f"inconsistent units in '{expr}'")
    if isinstance(expr, sympy.Mul):
        d = DIMENSIONLESS
        for a in expr.args:
            da = dimension_of(a, lookup)
            if da is ANY:
                return ANY
            d = d * da
        return d
    if isinstance(expr, sympy.Pow):
        base, exponent = expr.args
        bd = dimension_of(base, lookup)
        ed = dimension_of(exponent, lookup)
        if not ed.is_dimensionless:
            raise UnitError(f"the exponent in '{expr}' must be dimensionless, it has units {ed}")
        if bd is ANY:
            return ANY
        if bd.is_dimensionless:
            return DIMENSIONLESS
        if not exponent.is_Number:
            raise UnitError(f"'{base}' has units {bd}: it can only be raised to a fixed number, not '{exponent}'")
        return bd ** float(exponent)
    if isinstance(expr, (AbsOf, sympy.Abs, sympy.floor, sympy.ceiling)):
        return dimension_of(expr.args[0], lookup)
    if isinstance(expr, (sympy.Max, sympy.Min, Clip)):
        args = expr.args
        return _same([dimension_of(a, lookup) for a in args], args, f"inconsistent units in '{expr}'")
    if isinstance(expr, (SignOf, sympy.sign, IntCast, Rand, Randn)):
        for a in expr.args:
            dimension_of(a, lookup)
        return DIMENSIONLESS
    if isinstance(expr, Timestep):
        for a in expr.args:
            d = dimension_of(a, lookup)
            if d is not ANY and d is not SECOND:
                raise UnitError(f"the arguments of timestep() must be times, but '{a}' has units {d}")
        return DIMENSIONLESS
    if isinstance(expr, Poisson):
        if not dimension_of(expr.args[0], lookup).is_dimensionless:
            raise UnitError(f"the mean of poisson() must be dimensionless, '{expr.args[0]}' has units "
                            f"{dimension_of(expr.args[0], lookup)}")
        return DIMENSIONLESS
    if isinstance(expr, _DIMLESS_FUNCS):
        d = dimension_of(expr.args[0], lookup)
        if not d.is_dimensionless:
            raise UnitError(
                f"the argument of {type(expr).__name__}() must be dimensionless, but '{expr.args[0]}' has units {d}"
            )
        return DIMENSIONLESS
    if isinstance(expr, sympy.Mod):
        args = expr.args
        return _same([dimension_of(a, lookup) for a in args], args, f"inconsistent units in '{expr}'")
    if isinstance(expr, sympy.core.relational.Relational):
        args = expr.args
        _same([dimension_of(a, lookup) for a in args], args, f"cannot compare the two sides of '{expr}'")
        return DIMENSIONLESS
    if isinstance(expr, (sympy.And, sympy.Or, sympy.Not)):
        for a in expr.args:
            dimension_of(a, lookup)
        return DIMENSIONLESS
    if isinstance(expr, sympy.Piecewise):
        dims = [dimension_of(e, lookup) for e, _ in expr.args]
        for _, c in expr.args:
            dimension_of(c, lookup)
        return _same(dims, [e for e, _ in expr.args], f"inconsistent units in the branches of '{expr}'")
    if isinstance(expr, sympy.Function) and type(expr).__name__ not in ("Function",):
        # user function (TimedArray): its arguments are checked by the caller
        return lookup(type(expr).__name__)
    raise UnitError(f"cannot determine the units of '{expr}'")


def check_equation_units(owner, equations, lookup):
    """Every line of ``equations``: the right-hand side's units must be the variable's
    (divided by seconds for ``dx/dt``); errors name the object, the line and both units."""
    for eq in equations:
        if eq.expr is None:
            continue
        try:
            d = dimension_of(eq.expr.expr, lookup)
        except UnitError as exc:
            raise UnitError(f"{owner}, line {eq.line} ({eq.text.strip()!r}): {exc}") from None
        expected = eq.dim / SECOND if eq.kind == "differential" else eq.dim
        if d != expected:
            what = f"d{eq.name}/dt" if eq.kind == "differential" else eq.name
            raise UnitError(f"{owner}, line {eq.line} ({eq.text.strip()!r}): the right-hand side has "
                            f"units {d} but {what} has units {expected}")


_SPECIAL_UNITS = {"1": (DIMENSIONLESS, "float"), "boolean": (DIMENSIONLESS, "boolean"),
                  "bool": (DIMENSIONLESS, "boolean"), "integer": (DIMENSIONLESS, "integer")}


def parse_unit(text, *, line=None, offset=0, line_text=None):
    """``"amp/meter**2"`` -> (Dimension, dtype kind)."""
    key = text.strip()
    if key in _SPECIAL_UNITS:
        return _SPECIAL_UNITS[key]
    parsed = parse_expression(text, line=line, offset=offset, line_text=line_text)
    value = evaluate_constant(parsed, allowed=UNITS, what="unit")
    return get_dimensions(value), "float"


def evaluate_constant(parsed, allowed=UNITS, what="value"):
    """Evaluate a parsed constant expression such as ``-65*mV`` to a number or Quantity.

    Only numbers, the names in ``allowed`` and arithmetic are accepted; this is a
    tree walk, not ``eval``.
    """
    import numpy as np

    def ev(e):
        if isinstance(e, sympy.Symbol):
            if e.name not in allowed:
                from .parser import suggest

                raise parsed.error(f"unknown {what} name '{e.name}'.{suggest(e.name, allowed)}", e.name)
            return allowed[e.name]
        if e.is_Number:
            return float(e)
        if e is sympy.pi:
            return float(np.pi)
        if e is sympy.E:
            return float(np.e)
        if isinstance(e, sympy.Add):
            out = ev(e.args[0])
            for a in e.args[1:]:
                out = out + ev(a)
            return out
        if isinstance(e, sympy.Mul):
            out = 1.0
            for a in e.args:
                out = out * ev(a)
            return out
        if isinstance(e, sympy.Pow):
            return ev(e.args[0]) ** ev(e.args[1])
        raise parsed.error(f"only numbers, units and arithmetic are allowed in a {what}, not '{e}'")

    return ev(parsed.expr)
