"""Shared machinery turning one object's sympy statements into loop-body lines.

A :class:`BlockBuilder` knows, for one object, how every name prints: state
variables as loop locals (``l_v``) loaded from and stored to arrays
(``o0_v[_i]``), scalar externals as arguments, hoisted run constants, random
draws keyed by (seed, object stream, index, step, draw).
"""

from __future__ import annotations

from sympy.core.function import AppliedUndef

from .names import internal
from .optimise import Hoister, eliminate_common
from .printer import NumbaPrinter

# draw-number ranges, so two blocks of one object never share a random stream
DRAW_EQUATIONS, DRAW_THRESHOLD, DRAW_RESET, DRAW_NOISE, DRAW_CONDITION = 0, 1000, 2000, 3000, 4000


class BlockBuilder:
    """Prints the code of one object (prefix ``p``, e.g. ``"o0_"``)."""

    def __init__(self, prefix, arrays, externals, index="_i", noise_names=(), shared=()):
        self.p = prefix
        self.index = index
        self.arrays = dict(arrays)  # name -> array argument name (per-element)
        self.externals = externals  # name -> External
        self.args = {}  # argument name -> getter
        self.hoister = Hoister(self.is_constant)
        self.noise_names = list(noise_names)
        self.local = "l_"  # prefix of loop locals; parallel loops get names of their own
        self.extra_names = {}  # name -> code, e.g. not_refractory -> the local holding it
        self.shared = set(shared)  # arrays of one element, shared by all indices
        # the neuron's number when ``index`` is an element of several copies (batch axis): i = index % N
        self.neuron_index = None
        self.indexed = {}  # name -> format string of its element for element {} (linked variables' index)
        # the CUDA backend's index over the elements of all copies: the elements of one copy (copy b's element
        # i = index % copy_size draws what element i of the unbatched network draws with copy b's seed)
        self.copy_size = None

    # -- arguments -----------------------------------------------------------
    def arg(self, name, getter):
        self.args[name] = getter
        return name

    def is_constant(self, name):
        if name == "dt" or name.startswith("_h"):
            return True
        ext = self.externals.get(name)
        return ext is not None and ext.kind == "scalar"

    # -- names ---------------------------------------------------------------
    def names(self, draw_base=0, temporaries=()):
        names = {"t": "_t", "dt": "dt", "i": f"float({self.neuron_index or self.index})",
                 "N": f"float({internal(self.p, 'N')})"}
        for name in self.arrays:
            names[name] = f"{self.local}{name}"
        for name, ext in self.externals.items():
            if ext.kind == "scalar":
                names[name] = f"{self.p}x_{name}"
            elif ext.kind == "array":
                names[name] = f"{self.local}{name}"
        for sym in self.hoister.hoisted.values():
            names[sym.name] = internal(self.p, sym.name.lstrip("_"))
        seed, index = self.rng_key()
        for k, noise in enumerate(self.noise_names):
            names["_normal_" + noise] = (f"_normal({seed}, {internal(self.p, 'stream')}, {index}, _step, "
                                         f"{DRAW_NOISE + k})")
        for t in temporaries:
            names[t] = internal(self.p, "t" + t.lstrip("_"))
        names.update(self.extra_names)
        return names

    def rng_key(self):
        """(seed, element) of the current element's random draws."""
        if self.copy_size is None:
            return "_seed", self.index
        return f"_seeds[{self.index} // {self.copy_size}]", f"({self.index} % {self.copy_size})"

    def printer(self, draw_base=0, temporaries=()):
        seed, index = self.rng_key()
        rng = f"({seed}, {internal(self.p, 'stream')}, {index}, _step, {{draw}} + {draw_base})"
        functions = {}
        for name, ext in self.externals.items():
            if ext.kind == "function":
                functions[name] = (lambda args, ext=ext, name=name:
                                   ext.value.code(f"{self.p}ta_{name}", f"{self.p}tadt_{name}", args))
        return NumbaPrinter(self.names(draw_base, temporaries), rng=rng,
                            functions=functions)

    def register_externals(self):
        """Arguments for every external (values re-read at each run)."""
        for name, ext in self.externals.items():
            if ext.kind == "scalar":
                self.arg(f"{self.p}x_{name}", lambda ext=ext: ext.value)
            elif ext.kind == "array":
                self.arg(f"{self.p}x_{name}", lambda ext=ext: ext.value)
            else:
                self.arg(f"{self.p}ta_{name}", lambda ext=ext: ext.value.values)
                self.arg(f"{self.p}tadt_{name}", lambda ext=ext: ext.value.dt)

    # -- code ----------------------------------------------------------------
    def loads(self, exprs, extra=()):
        """``<local>x = array[index]`` for every per-element name the expressions use."""
        used = set(extra)
        for e in exprs:
            used |= {s.name for s in e.free_symbols}
        lines = []
        for name in sorted(used):
            if name in self.arrays:
                at = 0 if name in self.shared else (self.indexed[name].format(self.index) if name in self.indexed
                                                    else self.index)
                lines.append(f"{self.local}{name} = {self.arrays[name]}[{at}]")
            elif name in self.externals and self.externals[name].kind == "array":
                lines.append(f"{self.local}{name} = {self.p}x_{name}[{self.neuron_index or self.index}]")
        return lines

    def statements(self, stmts, draw_base=0, cse=True):
        """Hoist run constants, then CSE; returns (lines, temporaries' names)."""
        stmts = [(n, self.hoister(e)) for n, e in stmts]
        if cse:
            stmts = eliminate_common(stmts, "_c")
        temps = [n for n, _ in stmts]
        pr = self.printer(draw_base, temps)
        return [f"{pr.names[n]} = {pr.doprint(e)}" for n, e in stmts], temps

    def expression(self, expr, draw_base=0):
        """One expression (hoisted) printed as code."""
        hoisted = self.hoister(expr)
        return self.printer(draw_base).doprint(hoisted)

    def prologue(self):
        """The hoisted run constants, computed once per call of the run function."""
        pr = self.printer()
        return [f"{pr.names[name]} = {pr.doprint(e)}" for name, e in self.hoister.definitions()]


def called_names(exprs):
    """Names called as functions that are not built in (``I`` in ``I(t)``)."""
    return {f.func.__name__ for e in exprs for f in e.atoms(AppliedUndef)}


def symbols_of(exprs):
    out = set()
    for e in exprs:
        out |= {s.name for s in e.free_symbols}
        out |= {f.func.__name__ for f in e.atoms(AppliedUndef)}
    return out
