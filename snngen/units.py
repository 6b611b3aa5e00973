"""Physical units: SI dimensions and dimension-checked numpy quantities.

Values are stored in SI base units (``5 * mV`` holds ``0.005``) with a :class:`Dimension`.
Dimensionless results are plain numpy objects, so ``(10 * ms) / ms`` is the float ``10.0``.

Every unit name Brian2 knows is defined here (``mV``, ``mvolt``, ``umetre2``, ``kpascal`` ...:
the SI prefixes y ... Y on the SI base and derived units and their squares and cubes), and
Brian2's helpers by the same names (``check_units``, ``get_unit``, ``in_unit`` ...), so
Brian2 scripts run unchanged. As in Brian2, a plain zero fits any dimension (``v > 0``,
``q + 0``, ``q[:] = 0``), comparisons also accept a plain infinity, and ``float()`` of a
quantity gives its SI value (matplotlib relies on it).
"""

import functools

import numpy as np

from .errors import UnitError

__all__ = [
    "DIMENSIONLESS", "UNITS", "Dimension", "DimensionMismatchError", "Quantity", "Unit", "UnitError",
    "check_units", "display_unit", "fail_for_dimension_mismatch", "get_dimensions", "get_or_create_dimension",
    "get_unit", "have_same_dimensions", "in_best_unit", "in_unit", "is_dimensionless", "is_scalar_type", "quantity",
    # brian2.units' unit-aware numpy functions
    "arange", "exprel", "ones_like", "zeros_like", "linspace", "where", "dot", "ravel", "diagonal", "trace", "ptp",
    "concatenate", "log", "log10", "exp", "expm1", "log1p", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
]  # fmt: skip

DimensionMismatchError = UnitError  # Brian2's name: ``except DimensionMismatchError`` catches every unit error

_BASE = ("m", "kg", "s", "A", "K", "mol", "cd")
_BASE_CODE = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")  # their unit names
_LONG = ("length", "mass", "time", "current", "temperature", "substance", "luminosity")  # Brian2's keywords
_INTERN: dict = {}  # exponent tuple -> its single Dimension object
_OPS: dict = {}  # (id, id, sign) -> product (sign 1) or quotient (sign -1)
_SYMBOLS: dict = {}  # Dimension -> (symbol, unit name) of its SI unit, e.g. ("V", "volt")
_DERIVED: list = []  # (Dimension, symbol, unit name) usable in compound names like "S m^-2"


class Dimension:
    """Immutable exponents of the 7 SI base units (m, kg, s, A, K, mol, cd).

    ``Dimension(m=2, kg=1, s=-3, A=-1)`` or ``Dimension((2, 1, -3, -1))``. Equal dimensions
    are the same object, so ``==`` and ``hash`` work by identity.
    """

    __slots__ = ("_exps",)

    def __new__(cls, exponents=(), **named):
        exps = list(exponents) + [0.0] * (7 - len(exponents))
        for key, value in named.items():
            exps[_BASE.index(key) if key in _BASE else _LONG.index(key)] = value
        return _make(tuple(exps))

    def __setattr__(self, name, value):
        raise AttributeError("Dimension is immutable")

    @property
    def exponents(self):
        """The 7 exponents, a tuple of floats."""
        return self._exps

    @property
    def is_dimensionless(self):
        """True when all exponents are zero."""
        return self is DIMENSIONLESS

    def __mul__(self, other):
        return _combine(self, other, 1.0)

    def __truediv__(self, other):
        return _combine(self, other, -1.0)

    def __pow__(self, power):
        return _make(tuple(e * float(power) for e in self._exps))

    def __reduce__(self):
        return (Dimension, (self._exps,))

    def __str__(self):
        return _dim_name(self)

    def __repr__(self):
        return f"Dimension({', '.join(f'{b}={e:g}' for b, e in zip(_BASE, self._exps, strict=True) if e)})"


def _make(exps):
    dim = _INTERN.get(exps)
    if dim is None:
        norm = tuple(round(float(e), 10) + 0.0 for e in exps)  # + 0.0 turns -0.0 into 0.0
        dim = _INTERN.get(norm)
        if dim is None:
            dim = object.__new__(Dimension)
            object.__setattr__(dim, "_exps", norm)
            _INTERN[norm] = dim
        _INTERN[exps] = dim
    return dim


def _combine(a, b, sign):
    if not isinstance(b, Dimension):
        return NotImplemented
    key = (id(a), id(b), sign)  # Dimensions are interned and never freed, so ids are stable
    dim = _OPS.get(key)
    if dim is None:
        dim = _OPS[key] = _make(tuple(x + sign * y for x, y in zip(a._exps, b._exps, strict=True)))
    return dim


DIMENSIONLESS = _make((0.0,) * 7)


def get_or_create_dimension(*args, **named):
    """Brian2's name for :class:`Dimension`: ``(exponents)``, or ``m=1, s=-1`` / ``length=1, time=-1``."""
    return Dimension(*args, **named)


def _factors(dim):
    """``dim`` as few factors as possible: [(symbol, unit name, exponent)]."""
    if dim in _SYMBOLS:
        return [(*_SYMBOLS[dim], 1.0)]

    def base_form(d):  # positive exponents first: "A m^-2"
        order = sorted((e < 0, i) for i, e in enumerate(d._exps) if e)
        return [(_BASE[i], _BASE_CODE[i], d._exps[i]) for _, i in order]

    best = base_form(dim)
    for p in (1, -1, 2, -2):  # "S m^-2" or "V^2" rather than four base factors
        for derived, symbol, code in _DERIVED:
            rest = base_form(dim / derived**p)
            if len(rest) + 1 < len(best):
                best = [(symbol, code, float(p))] + rest
    return best


def _dim_name(dim):
    if dim is DIMENSIONLESS:
        return "1"
    return " ".join(s if e == 1 else f"{s}^{e:g}" for s, _, e in _factors(dim))


def _dim_code(dim):
    """The code after an SI value of dimension ``dim``, e.g. ``' * siemens / metre ** 2'``."""

    def power(code, e):
        e = abs(e)
        return code if e == 1 else f"{code} ** {int(e) if e == int(e) else repr(e)}"

    factors = _factors(dim)
    return "".join(f" * {power(c, e)}" for _, c, e in factors if e > 0) + "".join(
        f" / {power(c, e)}" for _, c, e in factors if e < 0
    )


def _dim_text(dim):
    return "dimensionless" if dim is DIMENSIONLESS else str(dim)


def get_dimensions(x):
    """Dimension of ``x``; DIMENSIONLESS for numbers, arrays and bools."""
    if isinstance(x, Quantity):
        return x.dim
    if isinstance(x, Dimension):
        return x
    if isinstance(x, (list, tuple)) and x:
        return _common_dim(x, "Cannot build an array from")
    return DIMENSIONLESS


def is_dimensionless(x):
    """True when ``x`` has no physical dimensions."""
    return get_dimensions(x) is DIMENSIONLESS


def have_same_dimensions(a, b):
    """True when ``a`` and ``b`` have equal dimensions."""
    return get_dimensions(a) is get_dimensions(b)


def is_scalar_type(obj):
    """True for a plain number, numpy scalar, 0-d array or dimensionless scalar (as Brian2)."""
    return not isinstance(obj, (str, bytes)) and get_dimensions(obj) is DIMENSIONLESS and np.ndim(obj) == 0


def _describe(x):
    if isinstance(x, Dimension):
        return f"a quantity in {_dim_text(x)}"
    if isinstance(x, Quantity):
        return str(x) if x.size <= 3 else f"an array in {_best_unit(x)[1]}"
    if np.size(x) <= 3 and not isinstance(x, (list, tuple)):
        return repr(x.tolist() if isinstance(x, (np.ndarray, np.generic)) else x)
    return "a dimensionless array"


def _mismatch(what, a, b, joiner="and"):
    da, db = _dim_text(get_dimensions(a)), _dim_text(get_dimensions(b))
    return UnitError(f"{what} {_describe(a)} {joiner} {_describe(b)}: dimensions {da} and {db} differ")


def _fits_any(x, comparison=False):
    """True for a plain zero (or array of zeros), which fits any dimension as in Brian2;
    in comparisons a plain infinity fits too (``v < inf``)."""
    if isinstance(x, Quantity):
        if x.dim is not DIMENSIONLESS:
            return False
        x = x.view(np.ndarray)
    elif isinstance(x, Dimension) or not isinstance(x, (int, float, np.ndarray, np.generic)):
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all(x == 0) or (comparison and np.all(np.isinf(x))))


def fail_for_dimension_mismatch(obj1, obj2=None, error_message=None, **error_quantities):
    """Raise UnitError unless ``obj1`` and ``obj2`` (dimensionless if None) share dimensions.

    As Brian2's: returns both dimensions; a plain zero fits any dimension; ``error_message``
    may name ``error_quantities`` as ``{name}``, e.g.
    ``fail_for_dimension_mismatch(a, b, "Cannot add {a} and {b}", a=a, b=b)``.
    """
    dim1, dim2 = get_dimensions(obj1), get_dimensions(obj2)
    if dim1 is not dim2 and not _fits_any(obj1) and not (obj2 is not None and _fits_any(obj2)):
        message = error_message or "Dimension mismatch"
        if error_quantities:
            message = message.format(**{k: _describe(v) for k, v in error_quantities.items()})
        raise UnitError(f"{message}: dimensions {_dim_text(dim1)} and {_dim_text(dim2)} differ")
    return dim1, dim2


def _require_same(a, b, what):
    if get_dimensions(a) is not get_dimensions(b):
        raise _mismatch(what, a, b)


def _common_dim(items, what, comparison=False):
    """The dimension shared by ``items``; plain zeros fit any (and infinities, in comparisons)."""
    dims = [get_dimensions(x) for x in items]
    if dims.count(dims[0]) == len(dims):
        return dims[0]
    real = [(x, d) for x, d in zip(items, dims, strict=True) if not _fits_any(x, comparison)]
    for x, d in real[1:]:
        if d is not real[0][1]:
            raise _mismatch(what, real[0][0], x)
    return real[0][1] if real else DIMENSIONLESS


def _plain(x):
    if isinstance(x, Quantity):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)) and any(isinstance(v, Quantity) for v in x):
        return np.asarray([_plain(v) for v in x])
    return x


def _wrap(value, dim):
    """Attach ``dim``; dimensionless values stay plain numpy objects."""
    if dim is DIMENSIONLESS:
        return value
    q = (value if isinstance(value, np.ndarray) else np.asarray(value)).view(Quantity)
    q.dim = dim
    return q


def quantity(value, dim):
    """``value`` (in SI units) with dimension ``dim``; a plain numpy value if dimensionless."""
    return np.asarray(value)[()] if dim is DIMENSIONLESS else Quantity(value, dim)


# ufuncs by how they treat dimensions
_SAME_KEEP = set("add subtract maximum minimum fmax fmin hypot remainder fmod clip nextafter".split())
_COMPARE = set("equal not_equal less less_equal greater greater_equal".split())
_SAME_PLAIN = _COMPARE | {"arctan2"}
_KEEP = set("negative positive absolute fabs conjugate rint floor ceil trunc spacing copysign".split())
_ANY_PLAIN = set("isnan isinf isfinite sign signbit logical_and logical_or logical_xor logical_not".split())
_MULTIPLY = set("multiply matmul vecdot matvec vecmat".split())
_POWERS = {"reciprocal": -1.0, "square": 2.0, "sqrt": 0.5, "cbrt": 1.0 / 3.0}


def _call_dims(ufunc, inputs, dims):
    """Dimensions of the outputs of ``ufunc(*inputs)``."""
    name = ufunc.__name__
    if dims.count(DIMENSIONLESS) == len(dims):
        return (DIMENSIONLESS,) * ufunc.nout
    if name in _SAME_KEEP or name in _SAME_PLAIN or name == "divmod":
        dim = dims[0]
        if dims.count(dim) != len(dims):
            verb = "compare" if name in _SAME_PLAIN else name if name in ("add", "subtract", "clip") else "combine"
            dim = _common_dim(inputs, f"Cannot {verb}", name in _COMPARE)
        if name == "divmod":
            return (DIMENSIONLESS, dim)
        return (DIMENSIONLESS if name in _SAME_PLAIN else dim,)
    if name in _KEEP:
        return (dims[0],)
    if name in _ANY_PLAIN:
        return (DIMENSIONLESS,)
    if name in _MULTIPLY:
        return (dims[0] * dims[1],)
    if name in ("divide", "floor_divide"):
        return (dims[0] / dims[1],)
    if name in _POWERS:
        return (dims[0] ** _POWERS[name],)
    bad = next(x for x, d in zip(inputs, dims, strict=True) if d is not DIMENSIONLESS)
    if name in ("power", "float_power") and dims[1] is not DIMENSIONLESS:
        bad = inputs[1]  # name the exponent
    elif name in ("power", "float_power"):
        exponent = np.asarray(inputs[1])
        first = exponent.flat[0] if exponent.size else 1.0
        if exponent.size != 1 and not np.all(exponent == first):
            raise UnitError(f"Cannot raise {_describe(bad)} to an array of different powers")
        return (dims[0] ** first,)
    raise UnitError(f"{name} needs dimensionless arguments, got {_describe(bad)} (dimensions {get_dimensions(bad)})")


def _reduce_dim(ufunc, method, x, dim, kwargs):
    name = ufunc.__name__
    if kwargs.get("initial") is not None:
        fail_for_dimension_mismatch(x, kwargs["initial"], f"Cannot {method} with initial value")
        kwargs["initial"] = _plain(kwargs["initial"])
    if dim is DIMENSIONLESS or name in _SAME_KEEP:
        return dim
    if name in ("logical_and", "logical_or") and method == "reduce":  # any() and all()
        return DIMENSIONLESS
    if name == "multiply" and method == "reduce":
        axis, shape = kwargs.get("axis", 0), np.shape(x)
        return dim ** np.prod(shape if axis is None else np.take(shape, axis))
    raise UnitError(f"Cannot {method} {name} over {_describe(x)}")


class Quantity(np.ndarray):
    """A numpy array of values in SI units with a :class:`Dimension` in ``.dim``.

    Parameters
    ----------
    value : array_like
        Values in SI base units, or Quantities.
    dim : Dimension, optional
        Taken from ``value`` when omitted.
    """

    def __new__(cls, value, dim=None, dtype=None, copy=False):
        vdim = get_dimensions(value)
        if dim is None:
            dim = vdim
        elif not isinstance(dim, Dimension):
            raise TypeError(f"dim must be a Dimension, not {type(dim).__name__}")
        elif vdim is not DIMENSIONLESS and vdim is not dim:
            raise _mismatch("Cannot build a quantity in", dim, value)
        value = _plain(value)
        arr = np.array(value, dtype=dtype) if copy else np.asarray(value, dtype=dtype)
        if dtype is None and arr.dtype.kind in "biu":
            arr = arr.astype(float)
        obj = arr.view(cls)
        obj.dim = dim
        return obj

    @classmethod
    def with_dimensions(cls, value, *args, **named):
        """``value`` in SI units with dimension ``Dimension(*args, **named)`` (or a Dimension)."""
        dim = args[0] if len(args) == 1 and isinstance(args[0], Dimension) else Dimension(*args, **named)
        return cls(value, dim)

    @property
    def dimensions(self):
        """Brian2's name for ``.dim``."""
        return self.dim

    @property
    def is_dimensionless(self):
        """True when the dimension is DIMENSIONLESS."""
        return self.dim is DIMENSIONLESS

    def __array_finalize__(self, obj):
        self.dim = getattr(obj, "dim", DIMENSIONLESS)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if any(x is None or isinstance(x, str) for x in inputs):
            return NotImplemented  # a TypeError, as for numbers
        dims = [get_dimensions(x) for x in inputs]
        if method in ("__call__", "outer"):
            out_dims = _call_dims(ufunc, inputs, dims)
        elif method in ("reduce", "accumulate", "reduceat"):
            out_dims = (_reduce_dim(ufunc, method, inputs[0], dims[0], kwargs),)
        elif method == "at":  # ufunc.at(a, indices[, b]) works in place on a
            if _call_dims(ufunc, inputs[:1] + inputs[2:], dims[:1] + dims[2:])[0] is not dims[0]:
                raise UnitError(f"{ufunc.__name__}.at would change the dimensions of {_describe(inputs[0])}")
            out_dims = (dims[0],)
        else:
            return NotImplemented
        if out is not None:
            for o, d in zip(out, out_dims, strict=True):
                # a plain array that is also an input: numpy reusing a temporary (``a.flatten()*second``
                # on a large a) or ``np.multiply(a, second, out=a)``: a holds the SI values and the
                # result is a Quantity view of it
                if d is not DIMENSIONLESS and not isinstance(o, Quantity) and not any(o is x for x in inputs):
                    raise UnitError(f"Cannot store a result in {d} in a plain array")
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*[_plain(x) for x in inputs], **kwargs)
        if out is not None:
            results = []
            for o, d in zip(out, out_dims, strict=True):
                if isinstance(o, Quantity):
                    o.dim = d
                elif d is not DIMENSIONLESS:
                    o = _wrap(o.view(np.ndarray), d)
                results.append(o)
            return results[0] if len(results) == 1 else tuple(results)
        if method == "at" or ufunc.nout == 1:
            return None if method == "at" else _wrap(result, out_dims[0])
        return tuple(_wrap(r, d) for r, d in zip(result, out_dims, strict=True))

    def __array_function__(self, func, types, args, kwargs):
        handler = _HANDLED.get(func)
        if handler is None:
            return super().__array_function__(func, types, args, kwargs)
        return handler(*args, **kwargs)

    def _inplace(op):  # x *= y etc. must not change x's dimensions: views of x would not follow
        def method(self, other):
            if get_dimensions(self if op == "__ipow__" else other) is not DIMENSIONLESS:
                raise UnitError(
                    f"In-place {op} with {_describe(other)} would change the dimensions of {_describe(self)}"
                )
            return getattr(super(), op)(other)

        return method

    __imul__, __itruediv__ = _inplace("__imul__"), _inplace("__itruediv__")
    __ifloordiv__, __ipow__ = _inplace("__ifloordiv__"), _inplace("__ipow__")

    def __eq__(self, other):
        return NotImplemented if other is None or isinstance(other, str) else super().__eq__(other)

    def __ne__(self, other):
        return NotImplemented if other is None or isinstance(other, str) else super().__ne__(other)

    def __getitem__(self, key):
        result = super().__getitem__(key)
        return result if isinstance(result, np.ndarray) else _wrap(result, self.dim)

    def __setitem__(self, key, value):
        if get_dimensions(value) is not self.dim and not _fits_any(value):
            raise _mismatch("Cannot assign", value, self, "to")
        super().__setitem__(key, _plain(value))

    def fill(self, value):
        """Fill with ``value``, which must have this quantity's dimensions (or be 0)."""
        if get_dimensions(value) is not self.dim and not _fits_any(value):
            raise _mismatch("Cannot fill", self, value, "with")
        super().fill(_plain(value))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __float__(self):  # the SI value, as Brian2 (matplotlib converts quantities with float())
        return float(self.view(np.ndarray))

    def __int__(self):
        return int(self.view(np.ndarray))

    def item(self, *args):
        """One element, as a scalar Quantity (as Brian2)."""
        return _wrap(self.view(np.ndarray).item(*args), self.dim)

    def tolist(self):
        """Nested lists of scalar Quantities (as Brian2); plain numbers when dimensionless."""
        values = self.view(np.ndarray).tolist()
        if self.dim is DIMENSIONLESS:
            return values

        def convert(v):
            return [convert(x) for x in v] if isinstance(v, list) else _wrap(v, self.dim)

        return convert(values)

    def argsort(self, *args, **kwargs):
        """Indices that sort the values (plain integers)."""
        return self.view(np.ndarray).argsort(*args, **kwargs)

    def argpartition(self, *args, **kwargs):
        """Indices that partition the values (plain integers)."""
        return self.view(np.ndarray).argpartition(*args, **kwargs)

    def round(self, decimals=0, out=None):
        """Round the SI values (C-level ndarray.round would lose the dimensions)."""
        return _round(self, decimals, out)

    def dot(self, b, out=None):
        """Dot product; dimensions multiply."""
        return _dot(self, b, out=out)

    def __reduce__(self):
        arr = self.view(np.ndarray)
        return (Quantity, (arr, self.dim, arr.dtype))

    def in_unit(self, unit, precision=None, python_code=False):
        """The values in ``unit`` as a string, e.g. ``'5. mV'`` (``'5. * mV'`` with ``python_code``)."""
        _require_same(self, unit, "Cannot express")
        factor = np.asarray(unit).item()
        if isinstance(unit, Unit) and unit.name:
            name = unit.name if python_code else unit.dispname
        else:
            entry = next((e for e in _DISPLAY.get(self.dim, ()) if _same_factor(e[0], factor)), None)
            name = entry[2 if python_code else 1] if entry else f"({unit!r})" if python_code else f"({unit})"
        return _format(self, factor, f" * {name}" if python_code else name, precision, python_code)

    def in_best_unit(self, precision=None, python_code=False):
        """The values as a string in the unit that puts the largest in [1, 1000)."""
        factor, symbol, suffix = _best_unit(self)
        return _format(self, factor, suffix if python_code else symbol, precision, python_code)

    def __repr__(self):
        """A Python expression of unit names that gives this quantity back: ``-65. * mV``."""
        if self.dim is DIMENSIONLESS:
            return np.array2string(self.view(np.ndarray)) if self.ndim == 0 else repr(self.view(np.ndarray))
        return _code_text(self)

    def __str__(self):
        return self.in_best_unit()

    def __format__(self, spec):
        if not spec or self.ndim:
            return super().__format__(spec) if spec else str(self)
        factor, symbol, _ = _best_unit(self)
        return f"{format(self.view(np.ndarray).item() / factor, spec)} {symbol}".rstrip()


class Unit(Quantity):
    """A named unit such as ``mV`` (``mvolt``): a read-only scalar Quantity shown by its name.

    Arithmetic on units gives Quantities: ``5 * mV``.
    """

    def __new__(cls, value, dim=None, name=None, dispname=None):
        obj = Quantity.__new__(cls, value, dim)
        obj.name, obj.dispname = name, dispname or name
        return obj

    def __array_finalize__(self, obj):
        self.dim = getattr(obj, "dim", DIMENSIONLESS)
        self.name = self.dispname = None  # copies and views are not the named unit

    def __repr__(self):
        return self.name or super().__repr__()

    def __str__(self):
        return self.dispname or super().__str__()

    def __hash__(self):
        return hash((self.view(np.ndarray).tobytes(), self.dim))

    def __reduce__(self):
        if self.name and UNITS.get(self.name) is self:
            return (_named_unit, (self.name,))
        return super().__reduce__()

    def __copy__(self):
        return self if self.name else super().__copy__()

    def __deepcopy__(self, memo):
        return self if self.name else super().__deepcopy__(memo)


def _named_unit(name):
    return UNITS[name]


def _same_factor(a, b):
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def _format(q, factor, unit, precision, python_code=False):
    """The values divided by ``factor``, then ``unit``: a symbol, or with ``python_code`` the
    code that follows the number (``' * mV'``)."""
    values = q.view(np.ndarray) / factor
    if python_code:
        show = np.array_repr if values.ndim else np.array2string
        return show(values, precision=precision) + unit
    return f"{np.array2string(values, precision=precision)} {unit}".rstrip()


def _code_text(q):
    """``q`` as an expression of unit names: ``-65. * mV``; a scalar gives back the same float."""
    values = q.view(np.ndarray)
    factor, _, suffix = _best_unit(q)
    if values.ndim:  # arrays print like numpy's repr (8 significant digits, '...' when long)
        return f"{np.array_repr(values / factor)}{suffix}"
    value = float(values)
    # 8 significant digits in the best unit, else in another display unit (0.1 * mV rather than
    # 100.00000000000001 * uV), else all the digits
    family = sorted(_DISPLAY.get(q.dim, ()), key=lambda entry: abs(np.log(entry[0] / factor)))
    others = [(f, f" * {code}") for f, _, code in family if f != factor]
    tries = [(f, code, np.array2string(np.float64(value / f))) for f, code in [(factor, suffix)] + others]
    for f, code, text in tries + [(factor, suffix, repr(value / factor))]:
        back = float(text) * f
        if back == value or (back != back and value != value):
            return text + code
    return repr(value) + _si_suffix(q.dim)  # in SI units: multiplying by 1.0 is exact


def _si_suffix(dim):
    """The code after an SI value of dimension ``dim``: ``' * volt'``, ``' * siemens / metre ** 2'``."""
    symbol = _SYMBOLS.get(dim)
    return f" * {symbol[1]}" if symbol else _dim_code(dim)


def in_unit(x, u, precision=None):
    """``x`` as a string in unit ``u``: ``in_unit(5 * mV, volt) == '0.005 V'`` (as Brian2)."""
    return (x if isinstance(x, Quantity) else Quantity(x)).in_unit(u, precision)


def in_best_unit(x, precision=None):
    """``x`` as a string in the unit that puts its largest value in [1, 1000), e.g. ``'5. mV'``."""
    if not isinstance(x, Quantity):
        return str(x)
    return x.in_best_unit(precision)


def display_unit(dim):
    """Symbol of the SI unit of a Dimension (or of a quantity), e.g. ``'V'`` or ``'S m^-2'``."""
    return str(get_dimensions(dim))


def get_unit(x):
    """The SI unit of ``x``'s dimensions (a Dimension or a quantity): ``volt``, or a Unit
    ``siemens / metre ** 2`` for compound dimensions; ``1.0`` when dimensionless."""
    dim = get_dimensions(x)
    if dim is DIMENSIONLESS:
        return 1.0
    unit = _SI_UNITS.get(dim)
    if unit is None:
        suffix = _si_suffix(dim)
        unit = _SI_UNITS[dim] = Unit(1.0, dim, suffix[3:] if suffix.startswith(" * ") else "1" + suffix, str(dim))
        unit.flags.writeable = False
    return unit


# numpy functions that need dimension handling
def _call_plain(func, dim, args, kwargs):
    out = kwargs.get("out")
    if out is not None:
        if dim is not DIMENSIONLESS and not isinstance(out, Quantity):
            raise UnitError(f"Cannot store a result in {dim} in a plain array")
        kwargs["out"] = _plain(out)
    result = func(*args, **kwargs)
    if out is None:
        return _wrap(result, dim)
    if isinstance(out, Quantity):
        out.dim = dim
    return out


def _concatenate(arrays, *args, **kwargs):
    arrays = list(arrays)
    dim = _common_dim(arrays, "Cannot concatenate")
    return _call_plain(np.concatenate, dim, ([_plain(a) for a in arrays], *args), kwargs)


def _where(condition, *xy):
    dim = _common_dim(xy, "Cannot choose between") if xy else DIMENSIONLESS
    return _wrap(np.where(_plain(condition), *map(_plain, xy)), dim)


def _isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """As np.isclose; a plain ``atol`` is in SI units."""
    _require_same(a, b, "Cannot compare")
    if isinstance(atol, Quantity):
        _require_same(a, atol, "Cannot compare with tolerance")
    return np.isclose(_plain(a), _plain(b), rtol, _plain(atol), equal_nan)


def _dot(a, b, out=None):
    dim = get_dimensions(a) * get_dimensions(b)
    return _call_plain(np.dot, dim, (_plain(a), _plain(b)), {} if out is None else {"out": out})


def _linspace(start, stop, *args, **kwargs):
    dim = _common_dim((start, stop), "Cannot make a linspace between")
    result = np.linspace(_plain(start), _plain(stop), *args, **kwargs)
    return tuple(_wrap(r, dim) for r in result) if isinstance(result, tuple) else _wrap(result, dim)


def _round(a, decimals=0, out=None):
    """As np.round, on the SI values."""
    return _call_plain(np.round, get_dimensions(a), (_plain(a), decimals), {} if out is None else {"out": out})


def _trace(a, *args, **kwargs):
    return _call_plain(np.trace, get_dimensions(a), (_plain(a), *args), kwargs)


def _histogram(a, bins=10, range=None, density=None, weights=None):
    """As np.histogram (plain counts and SI bin edges, as Brian2); data, bin edges and range
    must share a dimension (so matplotlib's ``hist(q)`` works)."""
    limits = list(range) if range is not None else []
    _common_dim([a] + ([bins] if np.ndim(bins) else []) + limits, "Cannot make a histogram of")
    return np.histogram(
        _plain(a),
        bins if isinstance(bins, str) else _plain(bins),
        range=tuple(_plain(x) for x in limits) or None,
        density=density,
        weights=_plain(weights),
    )


_HANDLED = {
    np.round: _round,
    np.around: _round,
    np.concatenate: _concatenate,
    np.where: _where,
    np.isclose: _isclose,
    np.dot: _dot,
    np.linspace: _linspace,
    np.trace: _trace,
    np.histogram: _histogram,
}


# brian2.units' unit-aware functions
def arange(*args, **kwargs):
    """np.arange with units: ``arange(0*ms, 10*ms, 0.1*ms)``; start, stop and step share a dimension
    (a plain 0 fits any)."""
    names = ("start", "stop", "step")
    given = dict(zip(names, args))
    given.update((k, kwargs.pop(k)) for k in names if k in kwargs)
    if given.get("stop") is None:  # arange(stop) or arange(stop, step=...)
        given["start"], given["stop"] = 0, given.get("start")
    dim = _common_dim([v for v in given.values() if v is not None], "Cannot make a range from")
    if given.get("step") is None and dim is not DIMENSIONLESS:  # the default step, 1, is dimensionless
        raise UnitError(f"arange from {_describe(given['start'])} to {_describe(given['stop'])} needs a step in {dim}")
    values = [_plain(given[k]) for k in names if given.get(k) is not None]
    return _wrap(np.arange(*values, **kwargs), dim)


def ones_like(a, *args, **kwargs):
    """Plain ones shaped like ``a`` (as Brian2's ``ones_like``; ``np.ones_like`` keeps the units)."""
    return np.ones_like(_plain(a), *args, **kwargs)


def zeros_like(a, *args, **kwargs):
    """Plain zeros shaped like ``a`` (as Brian2's ``zeros_like``; ``np.zeros_like`` keeps the units)."""
    return np.zeros_like(_plain(a), *args, **kwargs)


def exprel(x):
    """``(exp(x) - 1) / x``, 1 at ``x == 0``; ``x`` must be dimensionless."""
    if get_dimensions(x) is not DIMENSIONLESS:
        raise UnitError(f"exprel needs a dimensionless argument, got {_describe(x)}")
    x = np.asarray(_plain(x), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(x == 0, 1.0, np.expm1(x) / np.where(x == 0, 1.0, x))
    return result[()] if result.ndim == 0 else result


linspace, where, dot, ravel, diagonal, trace = np.linspace, np.where, np.dot, np.ravel, np.diagonal, np.trace
ptp = np.ptp
concatenate, log, log10, exp, expm1, log1p = np.concatenate, np.log, np.log10, np.exp, np.expm1, np.log1p
sin, cos, tan, arcsin, arccos, arctan = np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan
sinh, cosh, tanh, arcsinh, arccosh, arctanh = np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh, np.arctanh


# checking units of function arguments
def check_units(**units):
    """Decorator checking the dimensions of a function's arguments and result, as Brian2's.

    ``@check_units(v=mV, tau=second, result=volt)``. Besides a unit (or any quantity: only its
    dimensions count) an entry may be ``1`` (dimensionless), ``bool`` (a boolean), ``None``
    (not checked) or the name of another argument (the same dimensions as that one); ``result``
    may also be a function of the arguments' units giving the expected unit. Arguments not
    passed (defaults) are not checked, nor are ``None`` values.
    """
    expected_result = units.pop("result", None)
    for name, unit in units.items():
        if not (unit is None or unit is bool or isinstance(unit, (str, int, float, np.ndarray, Dimension))):
            raise TypeError(f"check_units: '{unit!r}' for argument '{name}' is not a unit")

    def decorator(func):
        code = getattr(func, "__code__", None)
        arg_names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount] if code else ()
        where = getattr(func, "__name__", repr(func))

        def check(name, value, arguments):
            unit = units.get(name)
            if unit is None or value is None:
                return
            if unit is bool:
                if not (isinstance(value, (bool, np.bool_)) or getattr(value, "dtype", None) == np.bool_):
                    raise TypeError(
                        f"Function '{where}' expected a boolean value for argument '{name}' but got {_describe(value)}"
                    )
            elif isinstance(unit, str):
                other = arguments.get(unit)
                if get_dimensions(value) is not get_dimensions(other):
                    raise UnitError(
                        f"Function '{where}' expected the argument '{name}' to have the same units as "
                        f"argument '{unit}', but '{name}' has unit {_dim_text(get_dimensions(value))} "
                        f"while '{unit}' has unit {_dim_text(get_dimensions(other))}"
                    )
            elif get_dimensions(value) is not get_dimensions(unit):
                raise UnitError(
                    f"Function '{where}' expected a quantity with unit {_unit_text(unit)} for argument "
                    f"'{name}' but got {_describe(value)} (unit is {_dim_text(get_dimensions(value))})"
                )

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            arguments = dict(zip(arg_names, args))
            arguments.update(kwargs)
            for name, value in arguments.items():
                check(name, value, arguments)
            result = func(*args, **kwargs)
            expected = expected_result
            if callable(expected) and not isinstance(expected, (np.ndarray, type)):
                expected = expected(*[get_unit(get_dimensions(units.get(n))) for n in arg_names])
            if expected is bool:
                if not (isinstance(result, (bool, np.bool_)) or getattr(result, "dtype", None) == np.bool_):
                    raise TypeError(
                        f"The return value of function '{where}' was expected to be a boolean value, "
                        f"but was {_describe(result)}"
                    )
            elif expected is not None and get_dimensions(result) is not get_dimensions(expected):
                raise UnitError(
                    f"The return value of function '{where}' was expected to have unit "
                    f"{_unit_text(expected)} but was {_describe(result)} "
                    f"(unit is {_dim_text(get_dimensions(result))})"
                )
            return result

        wrapper._orig_func = func
        wrapper._arg_names = arg_names
        wrapper._arg_units = [units.get(n) for n in arg_names]
        wrapper._return_unit = expected_result
        wrapper._returns_bool = expected_result is bool
        return wrapper

    return decorator


def _unit_text(unit):
    return str(unit) if isinstance(unit, Unit) and unit.name else _dim_text(get_dimensions(unit))


# the unit registry: every name Brian2 defines, SI values
UNITS: dict = {}  # name -> unit, for reading unit names in model strings
_PREFIX = dict(y=-24, z=-21, a=-18, f=-15, p=-12, n=-9, u=-6, m=-3, c=-2, d=-1, da=1, h=2, k=3, M=6, G=9, T=12, P=15,
               E=18, Z=21, Y=24)  # fmt: skip
_TEN = {e: float(f"1e{e}") for e in range(-90, 91)}  # exact decimal powers: mV holds exactly 0.001
_M, _KG, _S, _A, _MOL, _CD = (Dimension(**{b: 1}) for b in ("m", "kg", "s", "A", "mol", "cd"))
_V = Dimension(m=2, kg=1, s=-3, A=-1)
_FAMILIES = (  # names, symbol, decimal exponent of the unit in SI, Dimension; prefixed, squared and cubed
    ("metre meter", "m", 0, _M), ("gram gramme", "g", -3, _KG), ("second", "s", 0, _S), ("amp ampere", "A", 0, _A),
    ("mole mol", "mol", 0, _MOL), ("candle", "cd", 0, _CD), ("radian", "rad", 0, DIMENSIONLESS),
    ("steradian", "sr", 0, DIMENSIONLESS), ("hertz", "Hz", 0, _S**-1), ("becquerel", "Bq", 0, _S**-1),
    ("newton", "N", 0, _V * _A * _S / _M), ("pascal", "Pa", 0, _V * _A * _S / _M**3), ("joule", "J", 0, _V * _A * _S),
    ("watt", "W", 0, _V * _A), ("coulomb", "C", 0, _A * _S), ("volt", "V", 0, _V), ("farad", "F", 0, _A * _S / _V),
    ("ohm", "ohm", 0, _V / _A), ("siemens", "S", 0, _A / _V), ("weber", "Wb", 0, _V * _S),
    ("tesla", "T", 0, _V * _S / _M**2), ("henry", "H", 0, _V * _S / _A), ("lumen", "lm", 0, _CD),
    ("lux", "lx", 0, _CD / _M**2), ("gray", "Gy", 0, _M**2 / _S**2), ("sievert", "Sv", 0, _M**2 / _S**2),
    ("katal", "kat", 0, _MOL / _S), ("molar", "M", 3, _MOL / _M**3),
)  # fmt: skip
_ALIASES = dict(  # Brian2's short names, and snngen's own
    mV="mvolt", mA="mamp", uA="uamp", nA="namp", pA="pamp", mS="msiemens", uS="usiemens", nS="nsiemens",
    uF="ufarad", nF="nfarad", pF="pfarad", ms="msecond", us="usecond", Hz="hertz", kHz="khertz", MHz="Mhertz",
    cm="cmetre", mm="mmetre", um="umetre", cm2="cmetre2", mm2="mmetre2", um2="umetre2", cm3="cmetre3",
    mm3="mmetre3", um3="umetre3", mM="mmolar", uM="umolar", nM="nmolar",
    nm="nmetre", ns="nsecond", candela="candle", uV="uvolt", nV="nvolt", kV="kvolt", pS="psiemens", mF="mfarad",
)  # fmt: skip


def _register_all():
    specs = []  # (name, decimal exponent of its SI value, Dimension, display name)
    powers = (("", "", 1), ("2", "^2", 2), ("3", "^3", 3))
    for names, symbol, e0, dim in _FAMILIES:
        for name in names.split():
            for suffix, shown, n in powers:
                d = dim**n
                specs.append((name + suffix, n * e0, d, symbol + shown))
                specs += [(p + name + suffix, n * (e + e0), d, p + symbol + shown) for p, e in _PREFIX.items()]
    for names, symbol, dim in (("kelvin", "K", Dimension(K=1)), ("kilogram kilogramme", "kg", _KG)):
        for name in names.split():
            specs += [(name + suffix, 0, dim**n, symbol + shown) for suffix, shown, n in powers]
    for name in ("litre", "liter"):  # prefixed, but neither squared nor cubed
        specs += [(name, -3, _M**3, "l")] + [(p + name, e - 3, _M**3, p + "l") for p, e in _PREFIX.items()]
    values = np.array([_TEN[e] for _, e, _, _ in specs])
    values.flags.writeable = False  # the units are read-only 0-d views of this array
    for i, (name, _, dim, dispname) in enumerate(specs):
        if dim is DIMENSIONLESS:  # radian, steradian: plain numbers, as all dimensionless results
            UNITS[name] = float(values[i])
            continue
        unit = values[i, ...].view(Unit)
        unit.dim, unit.name, unit.dispname = dim, name, dispname
        UNITS[name] = unit
    UNITS.update((short, UNITS[long]) for short, long in _ALIASES.items())


_register_all()
globals().update(UNITS)

# display units: what str() and repr() choose from. (factor, symbol, unit name), largest factor first
_DISPLAY: dict = {}
# display families: symbol, SI unit name, prefixes p (p + symbol is also a unit name), used in compound names.
# Not Wb, H or T: V s and ohm s read better in neuron models.
_SHOW = (
    ("m", "metre", "munc", False), ("s", "second", "mun", False), ("A", "amp", "munp", False),
    ("K", "kelvin", "", False), ("mole", "mole", "mun", False), ("cd", "candela", "", False),
    ("V", "volt", "munk", True), ("ohm", "ohm", "kMG", True), ("S", "siemens", "munp", True),
    ("F", "farad", "munp", True), ("Hz", "hertz", "kM", False), ("C", "coulomb", "", True), ("N", "newton", "", True),
    ("J", "joule", "", True), ("W", "watt", "", True), ("Pa", "pascal", "", False), ("kat", "katal", "", False),
    ("lx", "lux", "", False),
)  # fmt: skip


def _show(dim, factor, symbol, code):
    _DISPLAY.setdefault(dim, []).append((factor, symbol, code))
    _DISPLAY[dim].sort(key=lambda entry: -entry[0])


def _setup_display():
    for symbol, code, prefixes, derived in _SHOW:
        dim = UNITS[code].dim
        _SYMBOLS[dim] = (symbol, code)
        if derived:
            _DERIVED.append((dim, symbol, code))
        _show(dim, 1.0, symbol, "Hz" if code == "hertz" else code)
        for p in prefixes:
            _show(dim, _TEN[_PREFIX[p]], p + symbol, p + symbol)
    _SYMBOLS[_MOL] = ("mol", "mole")
    _SYMBOLS[_KG] = ("kg", "kilogram")
    _show(_KG, 1.0, "kg", "kilogram")
    _show(_KG, 1e-3, "g", "gram")
    _show(UNITS["molar"].dim, 1e3, "M", "molar")
    for p in "mun":
        _show(UNITS["molar"].dim, float(UNITS[p + "M"]), p + "M", p + "M")
    for n in (2, 3):
        for p, code in (("", f"metre{n}"), ("c", f"cm{n}"), ("m", f"mm{n}"), ("u", f"um{n}")):
            _show(_M**n, float(UNITS[code]), f"{p}m^{n}", code)


_setup_display()
_SI_UNITS = {dim: UNITS[code] for dim, (_, code) in _SYMBOLS.items()}


def _best_unit(q):
    """(factor, symbol, code after the number) of the display unit that puts the largest
    finite |value| in [1, 1000): ``(1e-3, 'mV', ' * mV')``."""
    family = _DISPLAY.get(q.dim)
    if family is None:
        return 1.0, ("" if q.dim is DIMENSIONLESS else str(q.dim)), _si_suffix(q.dim)
    values = np.abs(q.view(np.ndarray))
    finite = values[np.isfinite(values)]
    biggest = finite.max() if finite.size else 0.0
    if biggest == 0:
        factor, symbol, code = next(e for e in family if e[0] == 1.0)
    else:
        factor, symbol, code = next((e for e in family if biggest >= e[0] * (1 - 1e-9)), family[-1])
    return factor, symbol, f" * {code}"


# Brian2's `from brian2 import *` names, and snngen's own earlier ones
_STAR = set("""amp coulomb farad gram gramme hertz joule liter litre meter metre molar mole ohm pascal second siemens
volt watt""".split())  # fmt: skip
__all__ += sorted(
    {p + n for n in _STAR for p in ("", "p", "n", "u", "m", "k", "M", "G", "T")}
    | {"kelvin", "kilogram", "cmeter", "cmetre", "ampere", "newton", "candela", "metre2", "meter2", "metre3", "meter3"}
    | set(_ALIASES)
)
