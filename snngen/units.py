"""Physical units: SI dimensions and dimension-checked numpy quantities.

Values are stored in SI base units (``5 * mV`` holds ``0.005``) with a :class:`Dimension`.
Dimensionless results are plain numpy objects, so ``(10 * ms) / ms`` is the float ``10.0``.
"""

import numpy as np

from .errors import UnitError

__all__ = [
    "DIMENSIONLESS", "UNITS", "Dimension", "Quantity", "UnitError", "display_unit", "fail_for_dimension_mismatch",
    "get_dimensions", "have_same_dimensions", "in_unit", "is_dimensionless", "quantity",
]  # fmt: skip

_BASE = ("m", "kg", "s", "A", "K", "mol", "cd")
_INTERN: dict = {}  # exponent tuple -> its single Dimension object
_OPS: dict = {}  # (id, id, sign) -> product (sign 1) or quotient (sign -1)
_SYMBOLS: dict = {}  # Dimension -> symbol of its SI unit, e.g. "V"
_DERIVED: list = []  # (Dimension, symbol) usable in compound names like "S m^-2"


class Dimension:
    """Immutable exponents of the 7 SI base units (m, kg, s, A, K, mol, cd).

    ``Dimension(m=2, kg=1, s=-3, A=-1)`` or ``Dimension((2, 1, -3, -1))``. Equal dimensions
    are the same object, so ``==`` and ``hash`` work by identity.
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


def _dim_name(dim):
    if dim is DIMENSIONLESS:
        return "1"
    if dim in _SYMBOLS:
        return _SYMBOLS[dim]

    def power(symbol, e):
        return symbol if e == 1 else f"{symbol}^{e:g}"

    def base_form(d):  # positive exponents first: "A m^-2"
        order = sorted((e < 0, i) for i, e in enumerate(d._exps) if e)
        return [power(_BASE[i], d._exps[i]) for _, i in order]

    best = base_form(dim)
    for p in (1, -1, 2, -2):  # "S m^-2" or "V^2" rather than four base factors
        for derived, symbol in _DERIVED:
            rest = base_form(dim / derived**p)
            if len(rest) + 1 < len(best):
                best = [power(symbol, p)] + rest
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
        return str(x) if x.size <= 3 else f"an array in {_best_unit(x)[1]}"
    if np.size(x) <= 3 and not isinstance(x, (list, tuple)):
        return repr(x.tolist() if isinstance(x, (np.ndarray, np.generic)) else x)
    return "a dimensionless array"


def _mismatch(what, a, b, joiner="and"):
    da, db = _dim_text(get_dimensions(a)), _dim_text(get_dimensions(b))
    return UnitError(f"{what} {_describe(a)} {joiner} {_describe(b)}: dimensions {da} and {db} differ")


def fail_for_dimension_mismatch(a, b, what="Dimension mismatch between"):
    """Raise UnitError naming both units unless ``a`` and ``b`` share dimensions; return them."""
    dim = get_dimensions(a)
    if get_dimensions(b) is not dim:
        raise _mismatch(what, a, b)
    return dim


def _common_dim(items, what):
    dims = [get_dimensions(x) for x in items]
    for x, d in zip(items, dims, strict=True):
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
    """``value`` (in SI units) with dimension ``dim``; a plain numpy value if dimensionless."""
    return np.asarray(value)[()] if dim is DIMENSIONLESS else Quantity(value, dim)


# ufuncs by how they treat dimensions
_SAME_KEEP = set("add subtract maximum minimum fmax fmin hypot remainder fmod clip nextafter".split())
_SAME_PLAIN = set("equal not_equal less less_equal greater greater_equal arctan2".split())
_KEEP = set("negative positive absolute fabs conjugate rint floor ceil trunc spacing copysign".split())
_ANY_PLAIN = set("isnan isinf isfinite sign signbit".split())
_MULTIPLY = set("multiply matmul vecdot matvec vecmat".split())
_POWERS = {"reciprocal": -1.0, "square": 2.0, "sqrt": 0.5, "cbrt": 1.0 / 3.0}


def _call_dims(ufunc, inputs, dims):
    """Dimensions of the outputs of ``ufunc(*inputs)``."""
    name = ufunc.__name__
    if dims.count(DIMENSIONLESS) == len(dims):
        return (DIMENSIONLESS,) * ufunc.nout
    if name in _SAME_KEEP or name in _SAME_PLAIN or name == "divmod":
        if dims.count(dims[0]) != len(dims):
            verb = "compare" if name in _SAME_PLAIN else name if name in ("add", "subtract", "clip") else "combine"
            _common_dim(inputs, f"Cannot {verb}")
        if name == "divmod":
            return (DIMENSIONLESS, dims[0])
        return (DIMENSIONLESS if name in _SAME_PLAIN else dims[0],)
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
        elif method == "at":  # ufunc.at(a, indices[, b]) works in place on a
            if _call_dims(ufunc, inputs[:1] + inputs[2:], dims[:1] + dims[2:])[0] is not dims[0]:
                raise UnitError(f"{ufunc.__name__}.at would change the dimensions of {_describe(inputs[0])}")
            out_dims = (dims[0],)
        else:
            return NotImplemented
        if out is not None:
            for o, d in zip(out, out_dims, strict=True):
                if d is not DIMENSIONLESS and not isinstance(o, Quantity):
                    raise UnitError(f"Cannot store a result in {d} in a plain array")
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*[_plain(x) for x in inputs], **kwargs)
        if out is not None:
            for o, d in zip(out, out_dims, strict=True):
                if isinstance(o, Quantity):
                    o.dim = d
            return out[0] if len(out) == 1 else out
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

    def __getitem__(self, key):
        result = super().__getitem__(key)
        return result if isinstance(result, np.ndarray) else _wrap(result, self.dim)

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
            raise UnitError(f"Cannot convert {_describe(self)} to a number; divide it by a unit")
        return float(self.view(np.ndarray))

    def __int__(self):
        return int(float(self))

    def round(self, decimals=0, out=None):
        """Round the SI values (C-level ndarray.round would lose the dimensions)."""
        return _round(self, decimals, out)

    def dot(self, b, out=None):
        """Dot product; dimensions multiply."""
        return _dot(self, b, out=out)

    def __reduce__(self):
        arr = self.view(np.ndarray)
        return (Quantity, (arr, self.dim, arr.dtype))

    def in_unit(self, unit, precision=None):
        """The values in ``unit`` as a string, e.g. ``'5. mV'``."""
        fail_for_dimension_mismatch(self, unit, "Cannot express")
        factor = np.asarray(unit).item()
        return _format(self, factor, _NAMES.get((self.dim, _key(factor)), f"({unit})"), precision)

    def in_best_unit(self, precision=None):
        """The values as a string in the unit that puts the largest in [1, 1000)."""
        return _format(self, *_best_unit(self), precision)

    def __repr__(self):
        return self.in_best_unit()

    __str__ = __repr__

    def __format__(self, spec):
        if not spec or self.ndim:
            return super().__format__(spec) if spec else str(self)
        factor, symbol = _best_unit(self)
        return f"{format(self.view(np.ndarray).item() / factor, spec)} {symbol}".rstrip()


def _format(q, factor, symbol, precision):
    return f"{np.array2string(q.view(np.ndarray) / factor, precision=precision)} {symbol}".rstrip()


def in_unit(x, unit):
    """Plain numbers of ``x`` in ``unit``: ``in_unit(5 * mV, mV) == 5.0``."""
    fail_for_dimension_mismatch(x, unit, "Cannot express")
    if np.size(unit) != 1:
        raise ValueError("unit must be a scalar")
    result = np.asarray(_plain(x), dtype=float) / np.asarray(_plain(unit)).item()
    return float(result) if result.ndim == 0 else result


def display_unit(dim):
    """Symbol of the SI unit of a Dimension (or of a quantity), e.g. ``'V'`` or ``'S m^-2'``."""
    return str(get_dimensions(dim))


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
    dim = _common_dim(xy, "Cannot choose between")
    return _wrap(np.where(_plain(condition), *map(_plain, xy)), dim)


def _isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """As np.isclose; a plain ``atol`` is in SI units."""
    fail_for_dimension_mismatch(a, b, "Cannot compare")
    if isinstance(atol, Quantity):
        fail_for_dimension_mismatch(a, atol, "Cannot compare with tolerance")
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


_HANDLED = {
    np.round: _round,
    np.around: _round,
    np.concatenate: _concatenate,
    np.where: _where,
    np.isclose: _isclose,
    np.dot: _dot,
    np.linspace: _linspace,
}


# display units and the unit registry
_PREFIX = {"G": 1e9, "M": 1e6, "k": 1e3, "": 1.0, "c": 1e-2, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12}
_DISPLAY: dict = {}  # Dimension -> [(factor, symbol)], largest factor first
_NAMES: dict = {}  # (Dimension, factor key) -> name, for Quantity.in_unit
UNITS: dict = {}  # name -> unit Quantity, for reading unit names in model strings


def _key(factor):
    return float(f"{factor:.12g}")


def _best_unit(q):
    """(factor, symbol) that puts the largest finite |value| in [1, 1000)."""
    family = _DISPLAY.get(q.dim)
    if family is None:
        return 1.0, ("" if q.dim is DIMENSIONLESS else str(q.dim))
    values = np.abs(q.view(np.ndarray))
    finite = values[np.isfinite(values)]
    biggest = finite.max() if finite.size else 0.0
    if biggest == 0:
        return next((f, s) for f, s in family if f == 1.0)
    return next(((f, s) for f, s in family if biggest >= f * (1 - 1e-9)), family[-1])


def _unit(names, factor, dim, show=None):
    """Register a read-only unit under space-separated ``names``; ``show`` is its display symbol."""
    u = Quantity(float(factor), dim)
    u.flags.writeable = False
    for name in names.split():
        UNITS[name] = u
        _NAMES.setdefault((dim, _key(factor)), name)
    if show:
        _DISPLAY.setdefault(dim, []).append((factor, show))
        _DISPLAY[dim].sort(reverse=True)
        _NAMES[dim, _key(factor)] = show
    return u


def _family(names, symbol, factor, dim, prefixes="", derived=False):
    """A unit and its variants ``prefix + symbol``."""
    if factor == 1.0:
        _SYMBOLS[dim] = symbol
    if derived:
        _DERIVED.append((dim, symbol))
    return [_unit(names, factor, dim, symbol)] + [
        _unit(p + symbol, _PREFIX[p] * factor, dim, p + symbol) for p in prefixes
    ]


def _powers(n):  # areas (n=2) and volumes (n=3)
    names = (f"metre{n} meter{n}", f"cm{n}", f"mm{n}", f"um{n}")
    return [
        _unit(name, _PREFIX[p] ** n, _M**n, f"{p}m^{n}") for name, p in zip(names, ("", "c", "m", "u"), strict=True)
    ]


_M, _KG, _S, _A = Dimension(m=1), Dimension(kg=1), Dimension(s=1), Dimension(A=1)
_V = Dimension(m=2, kg=1, s=-3, A=-1)

metre, mm, um, nm, cm = _family("metre meter", "m", 1.0, _M, "munc")
kilogram, gram = _family("kilogram", "kg", 1.0, _KG) + [_unit("gram", 1e-3, _KG, "g")]
second, ms, us, ns = _family("second", "s", 1.0, _S, "mun")
amp, mA, uA, nA, pA = _family("amp ampere", "A", 1.0, _A, "munp")
(kelvin,) = _family("kelvin", "K", 1.0, Dimension(K=1))
mole, mmole, umole, nmole = _family("mole", "mole", 1.0, Dimension(mol=1), "mun")
(candela,) = _family("candela", "cd", 1.0, Dimension(cd=1))
volt, mV, uV, nV, kV = _family("volt", "V", 1.0, _V, "munk", True)
ohm, kohm, Mohm, Gohm = _family("ohm", "ohm", 1.0, _V / _A, "kMG", True)
siemens, mS, uS, nS, pS = _family("siemens", "S", 1.0, _A / _V, "munp", True)
farad, mF, uF, nF, pF = _family("farad", "F", 1.0, _A * _S / _V, "munp", True)
hertz, kHz, MHz = _family("hertz Hz", "Hz", 1.0, _S**-1, "kM")
(coulomb,) = _family("coulomb", "C", 1.0, _A * _S, derived=True)
(newton,) = _family("newton", "N", 1.0, Dimension(m=1, kg=1, s=-2), derived=True)
(joule,) = _family("joule", "J", 1.0, Dimension(m=2, kg=1, s=-2), derived=True)
(watt,) = _family("watt", "W", 1.0, Dimension(m=2, kg=1, s=-3), derived=True)
molar, mM, uM, nM = _family("molar", "M", 1e3, Dimension(mol=1, m=-3), "mun")
metre2, cm2, mm2, um2 = _powers(2)
metre3, cm3, mm3, um3 = _powers(3)
litre = _unit("litre liter", 1e-3, _M**3)
meter, ampere, Hz, liter, meter2, meter3 = metre, amp, hertz, litre, metre2, metre3
_SYMBOLS[mole.dim] = "mol"

__all__ += list(UNITS)
