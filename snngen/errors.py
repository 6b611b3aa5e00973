"""The exception family of snngen.

Every error a user can act on derives from :class:`ModelError`, so
``except snngen.ModelError`` catches all of them.
"""


class ModelError(Exception):
    """Base class of every error snngen raises about a user's model or input."""


class EquationError(ModelError):
    """A model string could not be parsed or is inconsistent.

    ``line`` and ``column`` (1-based) point into the user's text when known.
    """

    def __init__(self, message, *, text=None, line=None, column=None, token=None):
        self.text = text
        self.line = line
        self.column = column
        self.token = token
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        full = message
        if where:
            full = f"{message} ({', '.join(where)})"
        if text is not None:
            full += f"\n    {text}"
            if column is not None:
                full += "\n    " + " " * (column - 1) + "^"
        super().__init__(full)


class UnitError(ModelError):
    """Quantities of incompatible physical dimensions were combined."""


class SimulationError(ModelError):
    """A problem found while running: a missing parameter, a NaN blow-up ..."""
