"""sympy trees -> Python/Numba source text.

Only trees are printed; user text is never pasted into generated code.  Every
symbol is printed through a ``names`` mapping, so a user variable called
``max`` or ``np`` cannot shadow anything in the generated module.  A symbol,
function or construct the printer has no code for is a :class:`ModelError`,
never a fall-through to sympy's own printing.
"""

from __future__ import annotations

import sympy
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.pycode import PythonCodePrinter

from ..equations.parser import Clip, Exprel, IntCast, Log10, Poisson, Rand, Randn, Timestep
from ..errors import ModelError


class NumbaPrinter(PythonCodePrinter):
    """Prints scalar code for numba ``njit`` (and numba-cuda device) functions.

    ``names`` maps symbol names to code; ``rng`` is the format string of a random draw's
    coordinates taking ``{draw}``, e.g. ``"(_seed, o3__stream, _i, _step, {draw} + 0)"``;
    ``functions`` maps user function names (TimedArrays) to callables ``args_code -> code``.
    """

    def __init__(self, names, rng="({draw})", functions=None, float_type="float64"):
        super().__init__({"fully_qualified_modules": True, "strict": True})
        self.names = names
        # float32 code keeps its arithmetic in float32 (literals and casts typed), so loops vectorise
        self.f32 = float_type == "float32"
        self.rng = rng
        self.functions = functions or {}

    def doprint(self, expr, assign_to=None):
        try:
            return super().doprint(expr, assign_to)
        except PrintMethodNotImplementedError:
            raise ModelError(f"snngen cannot generate code for '{expr}': it uses a function or construct it does "
                             "not know") from None

    def _print_Symbol(self, expr):
        try:
            return self.names[expr.name]
        except KeyError:
            raise ModelError(f"'{expr.name}' cannot be used here (snngen has no code for it in this context: a "
                             "linked variable read from synaptic code, say)") from None

    def _literal(self, text):
        return f"np.float32({text})" if self.f32 else text

    def _print_Float(self, expr):
        return self._literal(repr(float(expr)))

    def _print_Rational(self, expr):
        return self._literal(repr(float(expr)))

    def _print_Half(self, expr):
        return self._literal("0.5")

    def _print_Integer(self, expr):
        return self._literal(f"{int(expr)}.0" if abs(int(expr)) < 2**53 else repr(float(expr)))

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        b = self.parenthesize(base, 100)
        if exp.is_Integer and 1 <= abs(int(exp)) <= 4:
            prod = "*".join([b] * abs(int(exp)))
            return f"({prod})" if exp > 0 else f"(1.0/({prod}))"
        if exp == sympy.S.Half:
            return f"math.sqrt({self._print(base)})"
        if exp == -sympy.S.Half:
            return f"(1.0/math.sqrt({self._print(base)}))"
        return f"({b}**{self.parenthesize(exp, 100)})"

    def _print_sign(self, expr):
        return f"np.sign({self._print(expr.args[0])})"

    _print_SignOf = _print_sign

    def _print_AbsOf(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_floor(self, expr):
        return f"np.floor({self._print(expr.args[0])})"

    def _print_ceiling(self, expr):
        return f"np.ceil({self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"

    def _draw(self, function, draw, *extra):
        coordinates = self.rng.format(draw=draw)
        if extra:
            coordinates = coordinates[:-1] + "".join(f", {e}" for e in extra) + ")"
        return function + coordinates

    def _print_Rand(self, expr):
        return self._draw("_uniform", int(expr.args[0]))

    def _print_Randn(self, expr):
        return self._draw("_normal", int(expr.args[0]))

    def _print_Poisson(self, expr):
        return f"np.float64({self._draw('_poisson', int(expr.args[1]), self._print(expr.args[0]))})"

    def _print_IntCast(self, expr):
        arg = expr.args[0]
        code = self._print(arg)
        boolean = isinstance(arg, (sympy.core.relational.Relational, sympy.And, sympy.Or, sympy.Not)) or (
            isinstance(arg, sympy.Symbol) and arg.name.startswith("not_refractory"))
        if boolean:  # int(True) == 1: a float cast of the boolean, which vectorises
            return f"np.float32({code})" if self.f32 else f"np.float64({code})"
        return f"np.float32(int({code}))" if self.f32 else f"int({code})"

    def _print_Clip(self, expr):
        x, lo, hi = (self._print(a) for a in expr.args)
        return f"min(max({x}, {lo}), {hi})"

    def _print_Log10(self, expr):
        return f"math.log10({self._print(expr.args[0])})"

    def _print_Exprel(self, expr):
        return f"_exprel({self._print(expr.args[0])})"

    def _print_Timestep(self, expr):
        t, dt = (self._print(a) for a in expr.args)
        return f"np.float64(np.int64(({t} + 0.001*{dt})/{dt}))"

    def _print_Function(self, expr):
        name = type(expr).__name__
        if name in self.functions:
            return self.functions[name]([self._print(a) for a in expr.args])
        raise ModelError(f"'{expr}' calls '{name}', which is not a function snngen knows (functions: the built-in "
                         "ones such as exp, sqrt, clip, exprel, rand; TimedArrays)")


def code(expr, names, **kwargs):
    """Print one sympy expression with a fresh :class:`NumbaPrinter`."""
    return NumbaPrinter(names, **kwargs).doprint(expr)


__all__ = ["NumbaPrinter", "code", "Rand", "Randn", "Poisson", "IntCast", "Clip", "Log10", "Exprel", "Timestep"]
