"""Statement-level optimisations done once, on sympy trees, before rendering.

* :func:`inline_temporaries` makes each final statement a function of the
  state at the start of the step (so CSE can look across stages safely);
* :func:`hoist` lifts subexpressions that depend only on run-constant scalars
  (``dt``, shared parameters) out of every loop: ``exp(-dt/tau)`` is computed
  once per ``run()`` when ``tau`` is a scalar;
* :func:`eliminate_common` is sympy's ``cse`` over one block.
"""

from __future__ import annotations

import sympy

from ..equations.parser import Poisson, Rand, Randn


def inline_temporaries(statements, keep=lambda name: name.startswith("_new_")):
    """Substitute every temporary into the statements that use it; keep the finals."""
    subs, out = {}, []
    for name, expr in statements:
        expr = expr.xreplace(subs)
        if keep(name):
            out.append((name, expr))
        else:
            subs[sympy.Symbol(name, real=True)] = expr
    return out


class Hoister:
    """Collects run-constant subexpressions, shared across the blocks of one object."""

    def __init__(self, is_constant, prefix="_h"):
        self.is_constant = is_constant  # symbol name -> bool
        self.prefix = prefix
        self.hoisted = {}  # expr -> Symbol

    def _symbol_for(self, expr):
        if expr not in self.hoisted:
            self.hoisted[expr] = sympy.Symbol(f"{self.prefix}{len(self.hoisted)}", real=True)
        return self.hoisted[expr]

    def _walk(self, e):
        if isinstance(e, sympy.Symbol):
            return e, self.is_constant(e.name)
        if e.is_Atom:
            return e, True
        if isinstance(e, (Rand, Randn, Poisson)):
            return e, False
        pairs = [self._walk(a) for a in e.args]
        if all(c for _, c in pairs):
            return e.func(*[a for a, _ in pairs]), True
        if isinstance(e, (sympy.Add, sympy.Mul)):
            const = [a for a, c in pairs if c]
            rest = [a for a, c in pairs if not c]
            if len(const) >= 2 or (len(const) == 1 and not const[0].is_Atom):
                const = [self._symbol_for(e.func(*const))]
            return e.func(*(const + rest), evaluate=False), False
        new_args = [self._symbol_for(a) if c and not a.is_Atom else a for a, c in pairs]
        return e.func(*new_args), False

    def __call__(self, expr):
        """``expr`` with its constant parts replaced by hoisted symbols."""
        new, const = self._walk(expr)
        if const and not new.is_Atom:
            return self._symbol_for(new)
        return new

    def definitions(self):
        """``[(name, expr)]`` to compute once before the loop, in order."""
        return [(s.name, e) for e, s in self.hoisted.items()]


def eliminate_common(statements, prefix):
    """sympy CSE over ``[(name, expr)]``; returns the statements with temporaries first."""
    if not statements:
        return []
    names = [n for n, _ in statements]
    exprs = [e for _, e in statements]
    replacements, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols(prefix, real=True), optimizations=None)
    return [(s.name, e) for s, e in replacements] + list(zip(names, reduced))
