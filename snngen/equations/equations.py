"""The model language: ``dx/dt = expr : unit (flags)``, ``x = expr : unit``, ``p : unit``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy

from ..errors import EquationError
from .dimensions import parse_unit
from .parser import NAME_RE, ParsedExpression, parse_expression

FLAGS = {
    "differential": {"unless refractory", "event-driven", "clock-driven"},
    "subexpression": {"shared", "constant over dt", "summed"},
    "parameter": {"constant", "shared", "summed", "linked", "indexed"},
}
_LINE_RE = re.compile(
    r"^(?P<lhs>[^=:]*?)\s*(?:(?P<eq>=)(?P<rhs>[^:]*))?:(?P<tail>.*)$"
)
_DIFF_LHS = re.compile(r"^d\s*(?P<name>[A-Za-z_]\w*)\s*/\s*dt$")
_FLAGS_TAIL = re.compile(r"^(?P<unit>.*?)\s*\((?P<flags>[A-Za-z\s,\-]*)\)\s*$")
NOISE_RE = re.compile(r"^xi(_\w+)?$")
# names with a meaning of their own in model code (noise xi_*, lastspike* too)
RESERVED = ("t", "dt", "i", "j", "N", "xi", "not_refractory", "lastupdate", "N_pre", "N_post")


@dataclass
class SingleEquation:
    """One line of a model."""

    kind: str  # "differential", "subexpression" or "parameter"
    name: str
    expr: ParsedExpression | None
    dim: object
    dtype: str  # "float", "boolean" or "integer"
    flags: frozenset = field(default_factory=frozenset)
    line: int = 0
    text: str = ""

    def error(self, message, name=None):
        if self.expr is not None and name is not None:
            return self.expr.error(message, name, self.text)
        return EquationError(message, text=self.text, line=self.line)


class Equations:
    """A parsed model string.

    >>> eqs = Equations('''
    ... dv/dt = (v_rest - v)/tau : volt (unless refractory)
    ... tau : second (constant)
    ... ''')
    >>> eqs.diff_names
    ['v']
    """

    def __init__(self, model: str | Equations = "", **substitutions):
        if isinstance(model, Equations):
            self.text = model.text
            self.equations = dict(model.equations)
            self.rand_counter = list(model.rand_counter)
            self.values = dict(model.values)
        else:
            if not isinstance(model, str):
                raise EquationError(f"a model must be a string, not {type(model).__name__}")
            self.text = model
            self.equations: dict[str, SingleEquation] = {}
            self.rand_counter = [0]
            self.values = {}  # substituted values (Equations(text, tau=10*ms)) under names of their own
            for lineno, code, raw in _logical_lines(model):
                self._add(self._parse_line(code, raw, lineno))
        for name, value in substitutions.items():
            self._substitute(name, value)

    def _substitute(self, name, value):
        """Brian2's ``Equations(text, name=...)``: a string renames ``name`` (variables included), any
        other value (a number, a quantity) replaces it."""
        if not any(name == eq.name or (eq.expr is not None and name in eq.expr.positions) for eq in self):
            raise EquationError(f"cannot substitute '{name}': the equations do not use it")
        if isinstance(value, str):
            if not NAME_RE.match(value):
                raise EquationError(f"cannot substitute '{name}' by {value!r}: only a name (to rename it) or a "
                                    "value can be substituted")
            new = value
        else:
            if name in self.equations:
                raise EquationError(f"cannot substitute a value for '{name}': it is defined by the equations "
                                    f"(line {self.equations[name].line})")
            new = f"_value{len(_SUBSTITUTED)}_{name}"  # a name no user can write (it starts with '_')
            _SUBSTITUTED.append(new)
            self.values[new] = value
        old_symbol, new_symbol = sympy.Symbol(name, real=True), sympy.Symbol(new, real=True)
        renamed = {}
        for eq in self:
            expr = eq.expr
            if expr is not None and name in expr.positions:
                positions = {(new if k == name else k): v for k, v in expr.positions.items()}
                expr = ParsedExpression(expr.expr.xreplace({old_symbol: new_symbol}), expr.text, positions,
                                        expr.line, expr.offset, expr.line_text)
            key = new if eq.name == name else eq.name
            if key in renamed:
                raise EquationError(f"renaming '{name}' to '{new}' defines '{new}' twice", line=eq.line)
            renamed[key] = SingleEquation(eq.kind, key, expr, eq.dim, eq.dtype, eq.flags, eq.line, eq.text)
        self.equations = renamed

    # -- parsing ---------------------------------------------------------
    def _parse_line(self, code, raw, lineno):
        m = _LINE_RE.match(code)
        if m is None:
            raise EquationError(
                "expected 'dx/dt = expression : unit', 'x = expression : unit' or 'x : unit'",
                text=raw, line=lineno, column=len(code) - len(code.lstrip()) + 1, token=code.strip(),
            )
        lhs = m.group("lhs").strip()
        lhs_col = code.index(lhs) + 1 if lhs else 1
        tail = m.group("tail")
        tail_offset = m.start("tail")
        flags = frozenset()
        unit_text = tail
        fm = _FLAGS_TAIL.match(tail)
        if fm is not None:
            candidate = {f.strip() for f in fm.group("flags").split(",") if f.strip()}
            if candidate and not candidate & _known_unit_names().keys():
                flags = frozenset(candidate)
                unit_text = fm.group("unit")
        if not unit_text.strip():
            raise EquationError("missing unit after ':'", text=raw, line=lineno, column=tail_offset + 1)
        dim, dtype = parse_unit(unit_text, line=lineno, offset=tail_offset, line_text=raw)
        if m.group("eq"):
            rhs = m.group("rhs")
            if not rhs.strip():
                raise EquationError("missing expression after '='", text=raw, line=lineno, column=m.end("eq") + 1)
            expr = parse_expression(rhs, line=lineno, offset=m.start("rhs"), line_text=raw,
                                    rand_counter=self.rand_counter)
            dm = _DIFF_LHS.match(lhs)
            if dm:
                kind, name = "differential", dm.group("name")
            else:
                kind, name = "subexpression", lhs
        else:
            kind, name, expr = "parameter", lhs, None
        if not NAME_RE.match(name or ""):
            raise EquationError(
                f"'{name}' is not a valid variable name (letters, digits and '_', starting with a letter)",
                text=raw, line=lineno, column=lhs_col, token=name,
            )
        if name in RESERVED or NOISE_RE.match(name) or name.startswith("lastspike"):
            raise EquationError(f"'{name}' is a reserved name", text=raw, line=lineno, column=lhs_col, token=name)
        if "point current" in flags:
            raise EquationError("the flag (point current) belongs to Brian2's SpatialNeuron (multicompartment "
                                "neurons), which snngen does not simulate yet", text=raw, line=lineno,
                                column=tail_offset + 1, token="point current")
        bad = flags - FLAGS[kind]
        if bad:
            allowed = ", ".join(sorted(FLAGS[kind]))
            raise EquationError(
                f"flag(s) {', '.join(sorted(bad))} not allowed on a {kind} (allowed: {allowed})",
                text=raw, line=lineno, column=tail_offset + 1, token=", ".join(sorted(bad)),
            )
        return SingleEquation(kind, name, expr, dim, dtype, flags, lineno, raw)

    def _add(self, eq):
        if eq.name in self.equations:
            other = self.equations[eq.name]
            raise EquationError(f"'{eq.name}' is defined twice (first on line {other.line})",
                                text=eq.text, line=eq.line, token=eq.name)
        self.equations[eq.name] = eq

    # -- views -----------------------------------------------------------
    def _names(self, kind):
        return [n for n, e in self.equations.items() if e.kind == kind]

    @property
    def diff_names(self):
        return self._names("differential")

    @property
    def subexpr_names(self):
        return self._names("subexpression")

    @property
    def param_names(self):
        return self._names("parameter")

    @property
    def state_names(self):
        """Names stored in arrays: differential variables and parameters."""
        return [n for n, e in self.equations.items() if e.kind != "subexpression"]

    def __getitem__(self, name):
        return self.equations[name]

    def __contains__(self, name):
        return name in self.equations

    def __iter__(self):
        return iter(self.equations.values())

    def __add__(self, other):
        combined = Equations(self)
        other = Equations(other)
        for eq in other:
            combined._add(eq)
        combined.values.update(other.values)
        return combined

    def __radd__(self, other):
        return Equations(other) + self

    def __str__(self):
        return self.text

    def identifiers(self):
        """Every name an expression refers to (functions included)."""
        names = set()
        for eq in self:
            if eq.expr is not None:
                names |= {s.name for s in eq.expr.expr.free_symbols}
                names |= {type(f).__name__ for f in eq.expr.expr.atoms(sympy.Function)
                          if type(f).__name__ in eq.expr.positions}
        return names

    def substituted(self):
        """Differential equations' right-hand sides with subexpressions inlined.

        Raises :class:`EquationError` naming the cycle if subexpressions depend
        on each other circularly.  ``(constant over dt)`` subexpressions are not
        inlined (they are computed once per step).
        """
        order = self.subexpression_order()
        subs = {}
        for name in order:
            eq = self.equations[name]
            if "constant over dt" in eq.flags:
                continue
            subs[sympy.Symbol(name, real=True)] = eq.expr.expr.xreplace(subs)
        return {n: self.equations[n].expr.expr.xreplace(subs) for n in self.diff_names}, subs

    def subexpression_order(self):
        """Subexpression names in dependency order; a cycle is an error naming it."""
        subs = set(self.subexpr_names)
        deps = {n: {s.name for s in self.equations[n].expr.expr.free_symbols} & subs for n in subs}
        order, state = [], {}

        def visit(n, path):
            if state.get(n) == "done":
                return
            if state.get(n) == "active":
                cycle = path[path.index(n):] + [n]
                eq = self.equations[n]
                raise EquationError("subexpressions depend on each other in a cycle: " + " -> ".join(cycle),
                                    text=eq.text, line=eq.line, token=n)
            state[n] = "active"
            for d in sorted(deps[n]):
                visit(d, path + [n])
            state[n] = "done"
            order.append(n)

        for n in self.subexpr_names:
            visit(n, [])
        return order


_SUBSTITUTED = []  # names given to substituted values, process-wide so that each is unique
_CONTINUES = ("+", "-", "*", "/", "(", ",", "\\", "=", "<", ">", "and", "or", "not")


def _logical_lines(model):
    """``(line number, code, text)`` of each logical line: a line whose code ends with an operator or
    leaves a parenthesis open continues on the next, as does one followed by a line starting with ``:``
    or an operator (comments are dropped from the code)."""
    lines = model.split("\n")
    codes = [raw.split("#", 1)[0] for raw in lines]
    pending = None  # (first line number, code so far, text so far)
    for k, (raw, code) in enumerate(zip(lines, codes)):
        if not code.strip():
            continue
        if pending is None:
            pending = (k + 1, code, raw)
        else:
            first, code_so_far, raw_so_far = pending
            pending = (first, code_so_far.rstrip().rstrip("\\") + " " + code.strip(), raw_so_far + " " + raw.strip())
        joined = pending[1]
        following = next((c.strip() for c in codes[k + 1:] if c.strip()), "")
        goes_on = (joined.count("(") > joined.count(")") or joined.rstrip().endswith(_CONTINUES)
                   or (following.startswith((":", "+", "-", "*", "/")) and ":" not in joined.split("=", 1)[-1]))
        if not goes_on:
            yield pending
            pending = None
    if pending is not None:
        yield pending


def _known_unit_names():
    from ..units import UNITS

    return UNITS
