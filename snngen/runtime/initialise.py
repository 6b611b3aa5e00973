"""Compiled initialisers: ``G.v = "v_rest + rand()*5*mV"``.

The string is parsed (never evaluated), unit-checked against the variable and
rendered into a small cached Numba function, like everything else.
"""

from __future__ import annotations

from ..codegen.blocks import DRAW_CONDITION, BlockBuilder, called_names, symbols_of
from ..codegen.compiler import after_call, load_module
from ..codegen.names import LOCAL, user, variable
from ..codegen.render import render
from ..equations.dimensions import dimension_of
from ..equations.parser import parse_expression
from ..errors import UnitError
from . import random as _random
from .namespace import caller_namespace, resolve

DEFAULT_DT = 1e-4


def initialise(group, var, text, level=0, indices=None):
    """Set ``var`` of ``group`` (at ``indices``, default all) from the expression ``text``."""
    out = compute(group, text, var.array.copy(), f"the initialiser of {group.name}.{var.name}", var, level + 1)
    if indices is None:
        var.array[...] = out
    else:
        var.array[indices] = out[indices]


def evaluate(group, name, level=0):
    """The values of subexpression ``name`` of ``group`` now (``G.alpha`` in Brian2), a Quantity."""
    import numpy as np

    from ..units import Quantity

    dim = group.equations[name].dim
    out = compute(group, name, np.zeros(len(group), dtype=np.float64), f"{group.name}.{name}", None, level + 1)
    return out if dim.is_dimensionless else Quantity(out, dim)


def compute(group, text, out, what, var=None, level=0):
    """Fill ``out`` (one element per element of ``group``) with the expression ``text``, compiled; ``var``:
    the variable it is for (its units are checked)."""
    parsed = parse_expression(text, line=1, line_text=text)
    if hasattr(group, "equations"):  # subexpressions are inlined, as everywhere else
        parsed.expr = parsed.expr.xreplace(group.equations.substituted()[1])
    run_ns = caller_namespace(level + 1)
    names = symbols_of([parsed.expr]) - group.own_names()
    extra = group.initialiser_names(symbols_of([parsed.expr])) if hasattr(group, "initialiser_names") else {}
    names -= set(extra)
    externals = resolve(names, what, len(out), group.namespace, run_ns,
                        locate=lambda n: f" (column {parsed.positions.get(n, 0) + 1})",
                        called=called_names([parsed.expr]))
    lookup = group.dimension_lookup(externals)
    d = dimension_of(parsed.expr, lookup)
    if var is not None and d != var.dim and var.dim is not None and not (parsed.expr.is_Number and parsed.expr == 0):
        raise UnitError(f"cannot set '{var.name}' of {group.name} to {text!r}: the expression has units {d}, "
                        f"'{var.name}' has units {var.dim}")
    used = symbols_of([parsed.expr])
    arrays = {n: variable("o_", n) for n, v in group.variables.items()
              if v.kind != "internal" and n not in extra and n in used}
    b = BlockBuilder("o_", arrays, externals)
    b.local = user("o_", LOCAL, "")
    for name in arrays:
        b.arg(variable("o_", name), lambda v=group.variables[name]: v.array)
    b.register_externals()
    b.arg("o__stream", lambda: group._stream)
    for name, (arg, array, code) in extra.items():
        b.arg(arg, lambda array=array: array)
        b.extra_names[name] = code
    value = b.expression(parsed.expr, draw_base=DRAW_CONDITION)
    loads = b.loads([parsed.expr])
    prologue = ["o__N = _out.shape[0]"] + b.prologue()
    source = "\n".join(render("cpu/initialise.py.j2", args=list(b.args), prologue=prologue, loads=loads,
                              value=value))
    module = load_module(source)
    group._n_inits += 1
    module.initialise(_random.current_seed(), -group._n_inits, out, DEFAULT_DT, 0.0, *[g() for g in b.args.values()])
    after_call(module)
    return out
