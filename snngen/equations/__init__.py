"""Model strings -> sympy: the parser, the Equations object and unit checks."""

from .equations import Equations, SingleEquation
from .parser import parse_expression, parse_statements

__all__ = ["Equations", "SingleEquation", "parse_expression", "parse_statements"]
