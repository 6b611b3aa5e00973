"""Physical units: SI dimensions and dimension-checked numpy quantities.

Values are stored in SI base units (``5 * mV`` holds ``0.005``) together
with a :class:`Dimension`.  Results without dimensions are plain numpy
objects, so ``(10 * ms) / ms`` is the float ``10.0``.
"""

import numpy as np

from .errors import UnitError

__all__ = [
    "DIMENSIONLESS", "UNITS", "Dimension", "Quantity", "UnitError",
    "display_unit", "fail_for_dimension_mismatch", "get_dimensions",
    "have_same_dimensions", "in_unit", "is_dimensionless", "quantity",
]  # fmt: skip

_BASE = ("m", "kg", "s", "A", "K", "mol", "cd")
_INTERN: dict = {}
_OPS: dict = {}


class Dimension:
    """Immutable exponents of the 7 SI base units (m, kg, s, A, K, mol, cd).

    ``Dimension(m=2, kg=1, s=-3, A=-1)`` or ``Dimension((2, 1, -3, -1))``;
    equal dimensions are the same object, so ``==`` and ``hash`` are by identity.
    """

    __slots__ = ("_exps",)

    def __new__(cls, exponents=(), **named):
        exps = list(exponents) + [0.0] * (7 - len(exponents))
        for key, value in named.items():
            exps[_BASE.index(key)] = value
        return _make(tuple(exps))

    def __setattr__(self, name, value):
        raise AttributeError("Dimension is immutable")

    @property
    def exponents(self):
        """The 7 exponents as a tuple of floats."""
        return self._exps

    @property
    def is_dimensionless(self):
        """True when all exponents are zero."""
        return self is DIMENSIONLESS

    def __mul__(self, other):
        if not isinstance(other, Dimension):
            return NotImplemented
        key = (id(self), id(other), 1)  # interned, so ids are stable
        dim = _OPS.get(key)
        if dim is None:
            dim = _OPS[key] = _make(tuple(map(float.__add__, self._exps, other._exps)))
        return dim

    def __truediv__(self, other):
        if not isinstance(other, Dimension):
            return NotImplemented
        key = (id(self), id(other), -1)
        dim = _OPS.get(key)
        if dim is None:
            dim = _OPS[key] = _make(tuple(map(float.__sub__, self._exps, other._exps)))
        return dim

    def __pow__(self, power):
        power = float(power)
        return _make(tuple(a * power for a in self._exps))

    def __reduce__(self):
        return (Dimension, (self._exps,))

    def __str__(self):
        return _dim_name(self)

    def __repr__(self):
        named = ", ".join(f"{b}={_num(e)}" for b, e in zip(_BASE, self._exps) if e)
        return f"Dimension({named})"


def _make(exps):
    """Interned Dimension for a tuple of exponents."""
    dim = _INTERN.get(exps)
    if dim is None:
        norm = tuple(round(float(e), 10) + 0.0 for e in exps)
        dim = _INTERN.get(norm)
        if dim is None:
            dim = object.__new__(Dimension)
            object.__setattr__(dim, "_exps", norm)
            _INTERN[norm] = dim
        _INTERN[exps] = dim
    return dim


DIMENSIONLESS = _make((0.0,) * 7)


def _num(e):
    return str(int(e)) if float(e).is_integer() else str(e)


def _power_text(symbol, e):
    return symbol if e == 1 else f"{symbol}^{_num(e)}"


_SYMBOLS: dict = {}  # Dimension -> SI symbol of a named unit
_DERIVED: list = []  # (Dimension, symbol) usable in compound names


def _dim_name(dim):
    if dim is DIMENSIONLESS:
        return "1"
    if dim in _SYMBOLS:
        return _SYMBOLS[dim]

    def base_form(d):  # positive exponents first: "A m^-2"
        pairs = sorted((e < 0, i) for i, e in enumerate(d._exps) if e)
        return [_power_text(_BASE[i], d._exps[i]) for _, i in pairs]

    best = base_form(dim)
    for power in (1, -1, 2, -2):  # e.g. "S m^-2" or "V^2" instead of 4 factors
        for derived, symbol in _DERIVED:
            rest = base_form(dim / derived**power)
            if len(rest) + 1 < len(best):
                best = [_power_text(symbol, power)] + rest
    return " ".join(best)


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


def _describe(x):
    if isinstance(x, Dimension):
        return f"a quantity in {_dim_text(x)}"
    if isinstance(x, Quantity):
        if x.size <= 3:
            return str(x)
        return f"an array in {_best_unit(x)[1]}"
    if np.size(x) <= 3 and not isinstance(x, (list, tuple)):
        return repr(x.tolist() if isinstance(x, (np.ndarray, np.generic)) else x)
    return "a dimensionless array"


def _mismatch(what, a, b, joiner="and"):
    da, db = _dim_text(get_dimensions(a)), _dim_text(get_dimensions(b))
    return UnitError(
        f"{what} {_describe(a)} {joiner} {_describe(b)}: "
        f"dimensions {da} and {db} differ"
    )


def fail_for_dimension_mismatch(a, b, what="Dimension mismatch between"):
    """Raise UnitError naming both units unless ``a`` and ``b`` share dimensions.

    Returns the common Dimension.
    """
    dim = get_dimensions(a)
    if get_dimensions(b) is not dim:
        raise _mismatch(what, a, b)
    return dim


def _common_dim(items, what):
    dims = [get_dimensions(x) for x in items]
    for x, d in zip(items, dims):
        if d is not dims[0]:
            raise _mismatch(what, items[0], x)
    return dims[0] if dims else DIMENSIONLESS


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
    """``value`` (SI) with dimension ``dim``; plain numpy if dimensionless."""
    if dim is DIMENSIONLESS:
        return np.asarray(value)[()]
    return Quantity(value, dim)


# ufunc classes, by name
_SAME_KEEP = {"add", "subtract", "maximum", "minimum", "fmax", "fmin", "hypot",
              "remainder", "fmod", "clip", "nextafter"}  # fmt: skip
_SAME_PLAIN = {"equal", "not_equal", "less", "less_equal", "greater",
               "greater_equal", "arctan2"}  # fmt: skip
_KEEP = {"negative", "positive", "absolute", "fabs", "conjugate", "rint", "floor",
         "ceil", "trunc", "spacing"}  # fmt: skip
_ANY_PLAIN = {"isnan", "isinf", "isfinite", "sign", "signbit"}
_MULTIPLY = {"multiply", "matmul", "vecdot", "matvec", "vecmat"}
_POWERS = {"reciprocal": -1.0, "square": 2.0, "sqrt": 0.5, "cbrt": 1.0 / 3.0}
_VERBS = {"add": "add", "subtract": "subtract", "clip": "clip"}


def _need_dimensionless(name, x):
    return UnitError(
        f"Function {name} requires a dimensionless argument, got {_describe(x)} "
        f"(dimensions {get_dimensions(x)})"
    )


def _call_dims(ufunc, inputs, dims):
    """Dimensions of the outputs of ``ufunc(*inputs)``."""
    name = ufunc.__name__
    if dims.count(DIMENSIONLESS) == len(dims):
        return (DIMENSIONLESS,) * ufunc.nout
    if name in _SAME_KEEP or name in _SAME_PLAIN or name == "divmod":
        dim = dims[0]
        if dims.count(dim) != len(dims):
            verb = (
                "compare"
                if name in _SAME_PLAIN
                else _VERBS.get(name, f"apply {name} to")
            )
            _common_dim(inputs, f"Cannot {verb}")
        if name == "divmod":
            return (DIMENSIONLESS, dim)
        return (DIMENSIONLESS if name in _SAME_PLAIN else dim,)
    if name in _KEEP or name == "copysign":
        return (dims[0],)
    if name in _ANY_PLAIN:
        return (DIMENSIONLESS,)
    if name in _MULTIPLY:
        return (dims[0] * dims[1],)
    if name in ("divide", "floor_divide"):
        return (dims[0] / dims[1],)
    if name in _POWERS:
        return (dims[0] ** _POWERS[name],)
    if name in ("power", "float_power"):
        if dims[1] is not DIMENSIONLESS:
            raise _need_dimensionless(f"{name} (exponent)", inputs[1])
        exponent = np.asarray(inputs[1])
        first = exponent.flat[0] if exponent.size else 1.0
        if exponent.size != 1 and not np.all(exponent == first):
            raise UnitError(
                f"Cannot raise {_describe(inputs[0])} to an array of different powers"
            )
        return (dims[0] ** first,)
    bad = next(x for x, d in zip(inputs, dims) if d is not DIMENSIONLESS)
    raise _need_dimensionless(name, bad)


def _reduce_dim(ufunc, method, x, dim, kwargs):
    name = ufunc.__name__
    initial = kwargs.get("initial")
    if initial is not None:
        fail_for_dimension_mismatch(x, initial, f"Cannot {method} with initial value")
        kwargs["initial"] = _plain(initial)
    if dim is DIMENSIONLESS or name in _SAME_KEEP:
        return dim
    if name == "multiply" and method == "reduce":
        axis = kwargs.get("axis", 0)
        shape = np.shape(x)
        if axis is None:
            return dim ** int(np.prod(shape))
        axes = axis if isinstance(axis, tuple) else (axis,)
        return dim ** int(np.prod([shape[a] for a in axes]))
    raise UnitError(f"Cannot {method} {name} over {_describe(x)}")


class Quantity(np.ndarray):
    """A numpy array of SI values with a :class:`Dimension` in ``.dim``.

    Parameters
    ----------
    value : array_like
        Values in SI base units, or Quantities.
    dim : Dimension, optional
        Dimensions; taken from ``value`` when omitted.
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
    def with_dimensions(cls, value, dim):
        """``value`` in SI units with dimension ``dim``."""
        return cls(value, dim)

    def __array_finalize__(self, obj):
        self.dim = getattr(obj, "dim", DIMENSIONLESS)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        dims = [get_dimensions(x) for x in inputs]
        if method in ("__call__", "outer"):
            out_dims = _call_dims(ufunc, inputs, dims)
        elif method in ("reduce", "accumulate", "reduceat"):
            out_dims = (_reduce_dim(ufunc, method, inputs[0], dims[0], kwargs),)
        elif method == "at":
            operands = (inputs[0],) + inputs[2:]
            if _call_dims(ufunc, operands, dims[:1] + dims[2:])[0] is not dims[0]:
                raise UnitError(f"{ufunc.__name__}.at would change the dimensions")
            out_dims = ()
        else:
            return NotImplemented
        if out is not None:
            for o, d in zip(out, out_dims):
                if d is not DIMENSIONLESS and not isinstance(o, Quantity):
                    raise UnitError(f"Cannot store a result in {d} in a plain array")
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*[_plain(x) for x in inputs], **kwargs)
        if out is not None:
            for o, d in zip(out, out_dims):
                if isinstance(o, Quantity):
                    o.dim = d
            return out[0] if len(out) == 1 else out
        if method == "at":
            return None
        if ufunc.nout == 1:
            return _wrap(result, out_dims[0])
        return tuple(_wrap(r, d) for r, d in zip(result, out_dims))

    def __array_function__(self, func, types, args, kwargs):
        handler = _HANDLED.get(func)
        if handler is None:
            return super().__array_function__(func, types, args, kwargs)
        return handler(*args, **kwargs)

    def _check_inplace(self, other, op):
        if get_dimensions(other) is not DIMENSIONLESS:
            raise UnitError(
                f"In-place {op} with {_describe(other)} would change the dimensions "
                f"of {_describe(self)}"
            )

    def __imul__(self, other):
        self._check_inplace(other, "*=")
        return super().__imul__(other)

    def __itruediv__(self, other):
        self._check_inplace(other, "/=")
        return super().__itruediv__(other)

    def __ifloordiv__(self, other):
        self._check_inplace(other, "//=")
        return super().__ifloordiv__(other)

    def __ipow__(self, other):
        self._check_inplace(self, "**=")
        return super().__ipow__(other)

    def __eq__(self, other):
        if other is None or isinstance(other, str):
            return NotImplemented
        return super().__eq__(other)

    def __ne__(self, other):
        if other is None or isinstance(other, str):
            return NotImplemented
        return super().__ne__(other)

    __hash__ = None

    def __getitem__(self, key):
        result = super().__getitem__(key)
        if isinstance(result, np.ndarray):
            return result
        return _wrap(result, self.dim)

    def __setitem__(self, key, value):
        if get_dimensions(value) is not self.dim:
            raise _mismatch("Cannot assign", value, self, "to")
        super().__setitem__(key, _plain(value))

    def fill(self, value):
        """Fill with ``value``, which must have this quantity's dimensions."""
        if get_dimensions(value) is not self.dim:
            raise _mismatch("Cannot fill", self, value, "with")
        super().fill(_plain(value))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __float__(self):
        if self.dim is not DIMENSIONLESS:
            raise UnitError(
                f"Cannot convert {_describe(self)} to float; divide by a unit"
            )
        return float(self.view(np.ndarray))

    def __int__(self):
        if self.dim is not DIMENSIONLESS:
            raise UnitError(
                f"Cannot convert {_describe(self)} to int; divide by a unit"
            )
        return int(self.view(np.ndarray))

    def dot(self, b, out=None):
        """Dot product with dimensions multiplied."""
        return _dot(self, b, out=out)

    def __reduce__(self):
        arr = self.view(np.ndarray)
        return (Quantity, (arr, self.dim, arr.dtype))

    def __reduce_ex__(self, protocol):
        return self.__reduce__()

    def in_unit(self, unit, precision=None):
        """String of the values in ``unit``, e.g. ``'5. mV'``."""
        fail_for_dimension_mismatch(self, unit, "Cannot express")
        factor = np.asarray(unit).item()
        name = _DISPLAY_NAMES.get((self.dim, _key(factor))) or f"({unit})"
        return _format(self.view(np.ndarray) / factor, name, precision)

    def in_best_unit(self, precision=None):
        """String of the values in the unit that puts them in [1, 1000)."""
        factor, symbol = _best_unit(self)
        return _format(self.view(np.ndarray) / factor, symbol, precision)

    def __repr__(self):
        return self.in_best_unit()

    __str__ = __repr__

    def __format__(self, spec):
        if not spec:
            return str(self)
        if self.ndim:
            return super().__format__(spec)
        factor, symbol = _best_unit(self)
        text = format(self.view(np.ndarray).item() / factor, spec)
        return f"{text} {symbol}" if symbol else text


def _format(values, symbol, precision):
    text = np.array2string(np.asarray(values), precision=precision)
    return f"{text} {symbol}" if symbol else text


def in_unit(x, unit):
    """Plain numbers of ``x`` expressed in ``unit``: ``in_unit(5*mV, mV) == 5.0``."""
    fail_for_dimension_mismatch(x, unit, "Cannot express")
    if np.size(unit) != 1:
        raise ValueError("unit must be a scalar")
    result = np.asarray(_plain(x), dtype=float) / np.asarray(_plain(unit)).item()
    return float(result) if result.ndim == 0 else result


def display_unit(dim):
    """SI symbol for a Dimension (or a quantity's), e.g. ``'V'`` or ``'S m^-2'``."""
    return str(get_dimensions(dim))


# numpy functions that need dimension handling
def _call_plain(func, dim, args, kwargs):
    out = kwargs.get("out")
    if out is not None:
        if dim is not DIMENSIONLESS and not isinstance(out, Quantity):
            raise UnitError(f"Cannot store a result in {dim} in a plain array")
        kwargs["out"] = _plain(out)
    result = func(*(_plain(a) for a in args), **kwargs)
    if out is not None:
        if isinstance(out, Quantity):
            out.dim = dim
        return out
    return _wrap(result, dim)


def _concatenate(arrays, *args, **kwargs):
    arrays = list(arrays)
    dim = _common_dim(arrays, "Cannot concatenate")
    return _call_plain(
        np.concatenate, dim, ([_plain(a) for a in arrays], *args), kwargs
    )


def _where(condition, *xy):
    if not xy:
        return np.where(_plain(condition))
    dim = _common_dim(xy, "Cannot choose between")
    return _wrap(np.where(_plain(condition), *map(_plain, xy)), dim)


def _isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    fail_for_dimension_mismatch(a, b, "Cannot compare")
    if isinstance(atol, Quantity):
        fail_for_dimension_mismatch(a, atol, "Cannot compare with tolerance")
    return np.isclose(_plain(a), _plain(b), rtol, _plain(atol), equal_nan)


def _dot(a, b, out=None):
    dim = get_dimensions(a) * get_dimensions(b)
    return _call_plain(np.dot, dim, (a, b), {} if out is None else {"out": out})


def _linspace(start, stop, *args, **kwargs):
    dim = _common_dim((start, stop), "Cannot make a linspace between")
    result = np.linspace(_plain(start), _plain(stop), *args, **kwargs)
    if isinstance(result, tuple):
        return tuple(_wrap(r, dim) for r in result)
    return _wrap(result, dim)


_HANDLED = {np.concatenate: _concatenate, np.where: _where, np.isclose: _isclose,
            np.dot: _dot, np.linspace: _linspace}  # fmt: skip


# display units and the unit registry
_PREFIX = {"G": 1e9, "M": 1e6, "k": 1e3, "": 1.0, "c": 1e-2, "m": 1e-3,
           "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15}  # fmt: skip
_DISPLAY: dict = {}  # Dimension -> [(factor, symbol)], largest factor first
_DISPLAY_NAMES: dict = {}  # (Dimension, factor key) -> symbol


def _key(factor):
    return float(f"{factor:.12g}")


def _family(dim, symbols):
    """Register display units ``[(symbol, factor)]``; the factor-1 one names ``dim``."""
    _DISPLAY[dim] = sorted(((f, s) for s, f in symbols), reverse=True)
    for s, f in symbols:
        _DISPLAY_NAMES.setdefault((dim, _key(f)), s)
        if f == 1.0:
            _SYMBOLS.setdefault(dim, s)


def _prefixed_family(dim, symbol, prefixes, derived=True):
    _family(dim, [(p + symbol, _PREFIX[p]) for p in prefixes])
    if derived:
        _DERIVED.append((dim, symbol))


def _best_unit(q):
    """(factor, symbol) that puts the largest finite |value| in [1, 1000)."""
    dim = q.dim
    family = _DISPLAY.get(dim)
    if family is None:
        return 1.0, ("" if dim is DIMENSIONLESS else str(dim))
    values = np.abs(q.view(np.ndarray))
    finite = values[np.isfinite(values)]
    biggest = finite.max() if finite.size else 0.0
    if biggest == 0:
        return next((f, s) for f, s in family if f == 1.0)
    for factor, symbol in family:
        if biggest >= factor * (1 - 1e-9):
            return factor, symbol
    return family[-1]


_M, _KG, _S, _A = Dimension(m=1), Dimension(kg=1), Dimension(s=1), Dimension(A=1)
_V = Dimension(m=2, kg=1, s=-3, A=-1)
_OHM = _V / _A
_PER_M3 = Dimension(mol=1, m=-3)
_prefixed_family(_M, "m", ["k", "", "m", "u", "n"], derived=False)
_family(_KG, [("kg", 1.0), ("g", 1e-3), ("mg", 1e-6)])
_prefixed_family(_S, "s", ["", "m", "u", "n"], derived=False)
_prefixed_family(_A, "A", ["k", "", "m", "u", "n", "p"], derived=False)
_prefixed_family(Dimension(K=1), "K", [""], derived=False)
_prefixed_family(Dimension(mol=1), "mol", ["", "m", "u", "n"], derived=False)
_prefixed_family(Dimension(cd=1), "cd", [""], derived=False)
_prefixed_family(_V, "V", ["k", "", "m", "u", "n"])
_prefixed_family(_OHM, "ohm", ["G", "M", "k", ""])
_prefixed_family(_OHM**-1, "S", ["", "m", "u", "n", "p"])
_prefixed_family(_A * _S / _V, "F", ["", "m", "u", "n", "p", "f"])
_prefixed_family(_S**-1, "Hz", ["M", "k", ""], derived=False)
_prefixed_family(_A * _S, "C", ["", "m", "u", "n", "p"])
_prefixed_family(Dimension(m=1, kg=1, s=-2), "N", ["k", "", "m", "u", "n"])
_prefixed_family(Dimension(m=2, kg=1, s=-2), "J", ["k", "", "m", "u", "n"])
_prefixed_family(Dimension(m=2, kg=1, s=-3), "W", ["k", "", "m", "u", "n"])
_family(_M**2, [("m^2", 1.0), ("cm^2", 1e-4), ("mm^2", 1e-6), ("um^2", 1e-12)])
_family(_M**3, [("m^3", 1.0), ("cm^3", 1e-6), ("mm^3", 1e-9), ("um^3", 1e-18)])
_family(_PER_M3, [("M", 1e3), ("mM", 1.0), ("uM", 1e-3), ("nM", 1e-6)])
_SYMBOLS[_PER_M3] = "mol m^-3"

UNITS: dict = {}  # name -> unit Quantity, for parsing model strings


def _unit(name, factor, dim):
    u = Quantity(float(factor), dim)
    u.flags.writeable = False
    UNITS[name] = u
    _DISPLAY_NAMES.setdefault((dim, _key(factor)), name)
    return u


def _prefixed(symbol, base, prefixes):
    factor = np.asarray(base).item()
    return tuple(_unit(p + symbol, _PREFIX[p] * factor, base.dim) for p in prefixes)


metre = _unit("metre", 1.0, _M)
meter = _unit("meter", 1.0, _M)
kilogram = _unit("kilogram", 1.0, _KG)
gram = _unit("gram", 1e-3, _KG)
second = _unit("second", 1.0, _S)
amp = _unit("amp", 1.0, _A)
ampere = _unit("ampere", 1.0, _A)
kelvin = _unit("kelvin", 1.0, Dimension(K=1))
mole = _unit("mole", 1.0, Dimension(mol=1))
candela = _unit("candela", 1.0, Dimension(cd=1))
volt = _unit("volt", 1.0, _V)
ohm = _unit("ohm", 1.0, _OHM)
siemens = _unit("siemens", 1.0, _OHM**-1)
farad = _unit("farad", 1.0, _A * _S / _V)
hertz = _unit("hertz", 1.0, _S**-1)
Hz = _unit("Hz", 1.0, _S**-1)
coulomb = _unit("coulomb", 1.0, _A * _S)
newton = _unit("newton", 1.0, Dimension(m=1, kg=1, s=-2))
joule = _unit("joule", 1.0, Dimension(m=2, kg=1, s=-2))
watt = _unit("watt", 1.0, Dimension(m=2, kg=1, s=-3))
molar = _unit("molar", 1e3, _PER_M3)
liter = _unit("liter", 1e-3, _M**3)
litre = _unit("litre", 1e-3, _M**3)
mV, uV, nV, kV = _prefixed("V", volt, "munk")
ms, us, ns = _prefixed("s", second, "mun")
mA, uA, nA, pA = _prefixed("A", amp, "munp")
mS, uS, nS, pS = _prefixed("S", siemens, "munp")
kohm, Mohm, Gohm = _prefixed("ohm", ohm, "kMG")
mF, uF, nF, pF = _prefixed("F", farad, "munp")
kHz, MHz = _prefixed("Hz", hertz, "kM")
mm, um, nm, cm = _prefixed("m", metre, "munc")
mM, uM, nM = _prefixed("M", molar, "mun")
mmole, umole, nmole = _prefixed("mole", mole, "mun")
metre2 = _unit("metre2", 1.0, _M**2)
meter2 = _unit("meter2", 1.0, _M**2)
cm2 = _unit("cm2", 1e-4, _M**2)
mm2 = _unit("mm2", 1e-6, _M**2)
um2 = _unit("um2", 1e-12, _M**2)
metre3 = _unit("metre3", 1.0, _M**3)
meter3 = _unit("meter3", 1.0, _M**3)
cm3 = _unit("cm3", 1e-6, _M**3)
mm3 = _unit("mm3", 1e-9, _M**3)
um3 = _unit("um3", 1e-18, _M**3)

__all__ += list(UNITS)
