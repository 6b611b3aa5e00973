"""Expression strings -> sympy trees, through a whitelist.

User text never reaches ``eval`` (and so never reaches ``sympy.sympify``, which
calls ``eval``): it is parsed with :mod:`ast`, every node is checked against a
whitelist of node types, names and functions, and the sympy tree is built node
by node.  Anything else is an :class:`~snngen.errors.EquationError` naming the
line, the column and the offending token.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import warnings

import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.core.logic import fuzzy_and

from ..errors import EquationError

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class Rand(sympy.Function):
    """``rand()``: a uniform draw in (0, 1); the argument numbers the call site."""

    nargs = 1
    is_extended_real = True
    is_finite = True


class Randn(sympy.Function):
    """``randn()``: a standard normal draw; the argument numbers the call site."""

    nargs = 1
    is_extended_real = True
    is_finite = True


class IntCast(sympy.Function):
    """``int(x)``: truncation towards zero (``int(True) == 1``)."""

    nargs = 1
    is_extended_real = True
    is_finite = True


class Clip(sympy.Function):
    """``clip(x, low, high)``."""

    nargs = 3

    def _eval_is_extended_real(self):
        return fuzzy_and(a.is_extended_real for a in self.args)

    def _eval_is_finite(self):
        return fuzzy_and(a.is_finite for a in self.args)


class Log10(sympy.Function):
    nargs = 1


class Exprel(sympy.Function):
    """``exprel(x) = (exp(x) - 1)/x``, 1 at 0: rate functions such as Hodgkin–Huxley's
    ``x/(exp(x) - 1)`` written without 0/0 at a single voltage."""

    nargs = 1

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def fdiff(self, argindex=1):
        x = self.args[0]
        return (x * sympy.exp(x) - sympy.exp(x) + 1) / x**2

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.S.One


class AbsOf(sympy.Function):
    """``abs(x)``.  Kept as written: sympy's ``Abs`` asks its argument's assumptions (is it real,
    odd, zero ...) each time a tree is rebuilt, which grows exponentially with the depth of the
    nested trees a Runge–Kutta step makes (an astrocyte model's rk4 step took hours)."""

    nargs = 1
    # an argument's assumptions are the ones sympy would query: answer them cheaply
    is_extended_real = True
    is_extended_nonnegative = True

    def _eval_is_finite(self):
        return self.args[0].is_finite

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return abs(x)

    def fdiff(self, argindex=1):
        return SignOf(self.args[0])

    def _sympystr(self, printer):  # messages show what the user wrote
        return f"abs({printer._print(self.args[0])})"


class SignOf(sympy.Function):
    """``sign(x)``: -1, 0 or 1; kept as written, as :class:`AbsOf`."""

    nargs = 1
    is_extended_real = True
    is_finite = True

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sympy.sign(x)

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def _sympystr(self, printer):
        return f"sign({printer._print(self.args[0])})"


class Timestep(sympy.Function):
    """``timestep(t, dt)``: the integer step of time ``t`` (Brian2's ``int((t + 1e-3*dt)/dt)``)."""

    nargs = 2
    is_extended_real = True
    is_finite = True


class Poisson(sympy.Function):
    """``poisson(lam)``: a Poisson-distributed integer with mean ``lam``; the second argument numbers
    the call site (as ``rand()``'s)."""

    nargs = 2
    is_extended_real = True
    is_finite = True


# name -> builder taking sympy args
FUNCTIONS = {
    "exp": sympy.exp,
    "log": sympy.log,
    "log10": Log10,
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "abs": AbsOf,
    "sign": SignOf,
    "floor": sympy.floor,
    "ceil": sympy.ceiling,
    "clip": Clip,
    "int": IntCast,
    "min": sympy.Min,
    "max": sympy.Max,
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "expm1": expm1,
    "log1p": log1p,
    "exprel": Exprel,
    "timestep": Timestep,
}
RANDOM_FUNCTIONS = {"rand": Rand, "randn": Randn, "poisson": Poisson}
FUNCTION_ARITY = {"clip": 3, "min": 2, "max": 2, "timestep": 2}
RANDOM_ARITY = {"rand": 0, "randn": 0, "poisson": 1}
CONSTANTS = {"pi": sympy.pi, "e": sympy.E, "inf": sympy.oo, "True": sympy.true, "False": sympy.false}

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
    ast.Mod: lambda a, b: sympy.Mod(a, b),
    ast.FloorDiv: lambda a, b: sympy.floor(a / b),  # Brian2's //: floor of the quotient
}
_CMPOPS = {
    ast.Lt: sympy.StrictLessThan,
    ast.LtE: sympy.LessThan,
    ast.Gt: sympy.StrictGreaterThan,
    ast.GtE: sympy.GreaterThan,
    ast.Eq: sympy.Eq,
    ast.NotEq: sympy.Ne,
}


class ParsedExpression:
    """A sympy expression plus where each name first appeared in the text."""

    __slots__ = ("expr", "text", "positions", "line", "offset", "line_text")

    def __init__(self, expr, text, positions, line, offset, line_text=None):
        self.expr = expr
        self.text = text
        self.positions = positions  # name -> 0-based column in ``text``
        self.line = line
        self.offset = offset  # column of ``text`` inside the line it came from
        self.line_text = line_text if line_text is not None else text

    def error(self, message, name=None, line_text=None):
        """An :class:`EquationError` pointing at ``name`` in the user's text."""
        col = None
        if name is not None and name in self.positions:
            col = self.offset + self.positions[name] + 1
        return EquationError(message, text=line_text or self.line_text, line=self.line, column=col, token=name)


class _Builder:
    def __init__(self, text, line, offset, line_text, rand_counter):
        self.text = text
        self.line = line
        self.offset = offset
        self.line_text = line_text if line_text is not None else text
        self.positions = {}
        self.rand_counter = rand_counter

    def fail(self, message, node=None, token=None):
        col = None
        if node is not None and hasattr(node, "col_offset"):
            col = self.offset + node.col_offset + 1
        if token is None and node is not None:
            token = ast.get_source_segment(self.text, node)
        if token:
            message = f"{message}: {token!r}"
        raise EquationError(message, text=self.line_text, line=self.line, column=col, token=token)

    def name(self, node, ident):
        if not NAME_RE.match(ident):
            self.fail("names starting with an underscore are reserved", node, ident)
        self.positions.setdefault(ident, node.col_offset)
        return sympy.Symbol(ident, real=True)

    def build(self, node):
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            self.fail(f"{type(node).__name__} is not allowed in an expression", node)
        return method(node)

    def visit_Expression(self, node):
        return self.build(node.body)

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, bool):
            return sympy.true if value else sympy.false
        if isinstance(value, int):
            return sympy.Integer(value) if abs(value) < 2**53 else sympy.Float(float(value))
        if isinstance(value, float):
            return sympy.Float(value)
        self.fail("only numbers are allowed as literals", node)

    def visit_Name(self, node):
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        return self.name(node, node.id)

    def visit_BinOp(self, node):
        op = _BINOPS.get(type(node.op))
        if op is None:
            self.fail(f"operator {type(node.op).__name__} is not allowed", node)
        left, right = self.build(node.left), self.build(node.right)
        for side, value in (("left", left), ("right", right)):
            if isinstance(value, (sympy.core.relational.Relational, sympy.logic.boolalg.BooleanFunction,
                                  sympy.logic.boolalg.BooleanAtom)):
                self.fail(f"arithmetic on a condition (the {side} operand is true or false): write int(...) "
                          "around it to count it as 1 or 0", node.left if side == "left" else node.right)
        if isinstance(node.op, ast.Pow) and left.is_Number and right.is_Number:
            # fold in floating point: sympy would compute 9**9**9 exactly (and never finish)
            try:
                value = math.pow(float(left), float(right))
            except (OverflowError, ValueError, ZeroDivisionError):
                self.fail("this power of numbers cannot be computed", node)
            if math.isnan(value):
                self.fail("this power of numbers is not a real number", node)
            return sympy.Float(value) if math.isfinite(value) else sympy.oo
        result = op(left, right)
        if result.has(sympy.zoo, sympy.nan):
            self.fail("division by zero", node)
        return result

    def visit_UnaryOp(self, node):
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return sympy.Not(_as_bool(operand))
        self.fail("this unary operator is not allowed", node)

    def visit_BoolOp(self, node):
        values = [_as_bool(self.build(v)) for v in node.values]
        return sympy.And(*values) if isinstance(node.op, ast.And) else sympy.Or(*values)

    def visit_Compare(self, node):
        left = self.build(node.left)
        parts = []
        for op, comp in zip(node.ops, node.comparators):
            cls = _CMPOPS.get(type(op))
            if cls is None:
                self.fail(f"comparison {type(op).__name__} is not allowed", node)
            right = self.build(comp)
            parts.append(cls(left, right, evaluate=False))
            left = right
        return parts[0] if len(parts) == 1 else sympy.And(*parts)

    def visit_Call(self, node):
        if not isinstance(node.func, ast.Name):
            self.fail("only calls of plain function names are allowed", node.func)
        fname = node.func.id
        if node.keywords:
            self.fail("keyword arguments are not allowed", node)
        if not NAME_RE.match(fname):
            self.fail("names starting with an underscore are reserved", node.func, fname)
        args = [self.build(a) for a in node.args]
        if fname in RANDOM_FUNCTIONS:
            if len(args) != RANDOM_ARITY[fname]:
                self.fail(f"{fname}() takes {RANDOM_ARITY[fname] or 'no'} argument(s)", node)
            self.rand_counter[0] += 1
            return RANDOM_FUNCTIONS[fname](*args, sympy.Integer(self.rand_counter[0] - 1))
        if fname in FUNCTIONS:
            arity = FUNCTION_ARITY.get(fname, 1)
            if len(args) != arity:
                self.fail(f"{fname}() takes {arity} argument(s), got {len(args)}", node)
            if fname == "int":
                return IntCast(args[0])
            return FUNCTIONS[fname](*args)
        # a user's function (TimedArray): resolved later against the namespace
        self.positions.setdefault(fname, node.func.col_offset)
        return sympy.Function(fname, real=True)(*args)  # a table of floats

    def visit_IfExp(self, node):
        return sympy.Piecewise(
            (self.build(node.body), _as_bool(self.build(node.test))),
            (self.build(node.orelse), True),
        )


def _as_bool(expr):
    """A condition from ``expr``: a comparison or logic as it is; any other value (a boolean variable, stored
    as 0/1, or a number) is true where it is not 0, as in Python."""
    if not isinstance(expr, sympy.Symbol) and isinstance(expr, (sympy.logic.boolalg.Boolean,
                                                                 sympy.core.relational.Relational)):
        return expr
    return sympy.Ne(expr, 0, evaluate=False)


def parse_expression(text, *, line=None, offset=0, line_text=None, rand_counter=None):
    """Parse one expression string into a :class:`ParsedExpression`.

    ``line`` and ``offset`` say where ``text`` sits in the user's model (for
    error messages); ``rand_counter`` is a one-element list numbering
    ``rand()``/``randn()`` call sites across a whole model.
    """
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    offset += lead
    if not stripped:
        raise EquationError("empty expression", text=line_text, line=line, column=offset + 1)
    try:
        with warnings.catch_warnings():  # Python's own hints ("invalid decimal literal") would leak to the user
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        col = offset + (exc.offset or 1)
        bad = stripped[(exc.offset or 1) - 1 :].split()[0] if exc.offset and exc.offset <= len(stripped) else None
        msg = f"malformed expression ({exc.msg})"
        if bad:
            msg += f" at {bad!r}"
        raise EquationError(msg, text=line_text or text, line=line, column=col, token=bad) from None
    if rand_counter is None:
        rand_counter = [0]
    builder = _Builder(stripped, line, offset, line_text or text, rand_counter)
    expr = builder.build(tree)
    return ParsedExpression(expr, stripped, builder.positions, line, offset, line_text or text)


def parse_statements(text, *, rand_counter=None):
    """Parse reset / pathway code: ``"v = v_reset; w += b"``.

    Returns a list of ``(target, op, ParsedExpression)`` with ``op`` one of
    ``= += -= *= /=``.
    """
    out = []
    lines = text.split("\n")
    if rand_counter is None:
        rand_counter = [0]
    for lineno, line_text in enumerate(lines, start=1):
        code = line_text.split("#", 1)[0]
        start = 0
        for piece in code.split(";"):
            piece_offset = start
            start += len(piece) + 1
            if not piece.strip():
                continue
            m = re.match(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s*(\+=|-=|\*=|/=|=)(?!=)(.*)$", piece)
            if m is None:
                raise EquationError(
                    "expected a statement of the form 'name = expression' (or +=, -=, *=, /=)",
                    text=line_text,
                    line=lineno,
                    column=piece_offset + len(piece) - len(piece.lstrip()) + 1,
                    token=piece.strip(),
                )
            target, op, rhs = m.group(2), m.group(3), m.group(4)
            if not NAME_RE.match(target):
                raise EquationError(
                    "names starting with an underscore are reserved",
                    text=line_text, line=lineno, column=piece_offset + len(m.group(1)) + 1, token=target,
                )
            rhs_offset = piece_offset + m.start(4)
            parsed = parse_expression(rhs, line=lineno, offset=rhs_offset, line_text=line_text,
                                      rand_counter=rand_counter)
            out.append((target, op, parsed))
    return out


def temporaries(statements, is_variable):
    """Brian2's temporaries in statement code (``r = u*x; x -= r; g_post += w*r``): the names assigned with
    ``=`` that are not variables (``is_variable(name)`` False).  They are locals of the code, holding a
    value for the statements after them.  A name changed with ``+=`` etc. before any ``=`` is an error."""
    temps = set()
    for target, op, parsed in statements:
        if is_variable(target) or target in temps:
            continue
        if op != "=":
            raise EquationError(f"'{target} {op} ...' changes '{target}', which is neither a variable nor a value "
                                "assigned before", text=parsed.line_text, line=parsed.line, token=target)
        temps.add(target)
    return temps


def suggest(name, candidates):
    """' Did you mean ...?' for an unknown ``name``, or an empty string."""
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
