"""PoissonInput: many Poisson inputs to a variable, drawn as one binomial count per neuron and step.

``PoissonInput(G, "ge", N=1000, rate=5*Hz, weight=0.1*nS)`` adds ``weight`` times the number of
spikes that ``N`` independent Poisson sources at ``rate`` fire in a step, independently for each
neuron of ``G``: the effect of a ``PoissonGroup`` connected to every neuron, without the group or
the synapses (Brian2's ``PoissonInput``, with its binomial draw: the normal approximation when
``N*p > 5`` and ``N*(1 - p) > 5``, else exact inversion; ``p = rate*dt``).  ``weight`` is a quantity
or an expression of the group's variables.  It runs in the ``synapses`` slot of each step.
"""

from __future__ import annotations

import numpy as np

from ..codegen.blocks import called_names, symbols_of
from ..codegen.kernel import THREAD, Kernel, elements
from ..codegen.names import LOCAL, internal, user, variable
from ..equations.dimensions import dimension_of
from ..equations.parser import parse_expression, suggest
from ..errors import ModelError, UnitError
from ..runtime.namespace import resolve
from ..runtime.random import new_stream
from ..runtime.schedule import check_order, check_when
from ..units import get_dimensions, second
from .base import Part, object_name, register

_DRAW = 8000


class PoissonInput:
    """``N`` Poisson inputs at ``rate`` into ``target_var`` of ``target``, each spike adding ``weight``."""

    def __init__(self, target, target_var, N, rate, weight, when="synapses", order=0, name=None):
        self.name = object_name(name, "poissoninput")
        register(self)
        self.target = target
        variables = getattr(target, "variables", {})
        var = variables.get(target_var)
        if var is None or var.kind in ("internal", "linked") or "constant" in var.flags:
            raise ModelError(f"{self.name}: '{target_var}' is not a variable of {target.name} that can change."
                             f"{suggest(target_var, variables)}")
        self.target_var = target_var
        if isinstance(N, bool) or int(N) != N or N < 1:
            raise ModelError(f"{self.name}: N (the number of inputs) must be an integer >= 1, not {N!r}")
        self.N = int(N)
        if get_dimensions(rate) is not second.dim ** -1:
            raise UnitError(f"{self.name}: rate must be a frequency, it has units {get_dimensions(rate)}")
        if float(np.asarray(rate)) < 0:
            raise ModelError(f"{self.name}: the rate must not be negative")
        self.rate = rate
        if isinstance(weight, str):
            self._weight = parse_expression(weight, line=1, line_text=weight)
        else:
            if get_dimensions(weight) is not var.dim and not np.all(np.asarray(weight) == 0):
                raise UnitError(f"{self.name}: the weight has units {get_dimensions(weight)}, '{target_var}' of "
                                f"{target.name} has units {var.dim}")
            self._weight = None
        self.weight = weight
        self.when = check_when(when, self.name)
        self.order = check_order(order, self.name)
        self._stream = new_stream()

    def __repr__(self):
        return f"PoissonInput({self.target.name}.{self.target_var}, N={self.N}, rate={self.rate!r}, name={self.name!r})"

    def externals(self, run_namespace, previous=None):
        if self._weight is None:
            return {}
        target = self.target
        names = symbols_of([self._weight.expr]) - target.own_names()
        return resolve(names, f"the weight of {self.name}", len(target), target.namespace, run_namespace,
                       previous=previous, called=called_names([self._weight.expr]))

    def cuda_part(self, prefix, run_namespace, check_nan=False):
        """This input's kernels on the CUDA backend (described in :mod:`snngen.cuda.build`)."""
        from ..cuda.build import poissoninput

        return poissoninput(self, prefix, run_namespace)

    def kernels(self, prefix, run_namespace, flat=False):
        """What the input runs in a step, described for either backend: ``(builder, [(slot, order, label,
        Kernel)])``; ``flat``: the index runs over the target's elements of all copies (CUDA)."""
        tp = self._target_prefix()
        b, loads, target, value, once = self.code(prefix, run_namespace, copy_size=f"{tp}_N" if flat else None)
        return b, [(self.when, self.order, self.name, Kernel(
            "poissoninput", f"{prefix}_input", THREAD if once else elements(f"{tp}_N * _B"), dict(
                name=self.name, n=f"{tp}_N", loads=loads, target=target, value=value, once=once),
            writes={variable(tp, self.target_var)}))]

    def build(self, prefix, run_namespace, check_nan=False):
        b, kernels = self.kernels(prefix, run_namespace)
        part = Part(args=b.args)
        part.prologue = [f"{prefix}_N = {self._target_prefix()}_spikes.shape[0]"] + b.prologue()
        if "shared" in self.target.variables[self.target_var].flags and self.__dict__.get("_batch", 1) > 1:
            raise ModelError(f"{self.name} feeds the (shared) variable '{self.target_var}' of {self.target.name}, "
                             "one value for all copies; on the CPU a batched network runs each copy's code, so "
                             "this is not supported with batch= yet (use backend='cuda')")
        part.add_kernels(kernels)
        part.copies = {}  # the target's arrays, taken per copy by the target; each copy draws its own numbers
        return part

    def code(self, prefix, run_namespace, copy_size=None):
        """``(builder, loads, target element, value added, once)`` for element ``_i`` of the target
        (``copy_size``: ``_i`` runs over the elements of several copies, this many each)."""
        from sympy import Symbol

        target, tp = self.target, self._target_prefix()
        externals = self.externals(run_namespace)
        self._externals = externals
        b = target.code_builder(tp, externals, register=False)
        b.p, b.local = prefix, user(prefix, LOCAL, "")  # its own constants and locals; the target's arrays
        if copy_size is not None:
            b.neuron_index, b.copy_size = f"(_i % {copy_size})", copy_size
        b.register_externals()
        var = target.variables[self.target_var]
        weight = self._weight.expr if self._weight is not None else Symbol("_weight", real=True)
        if self._weight is not None:
            d = dimension_of(weight, target.dimension_lookup(externals))
            if d != var.dim and not (weight.is_Number and weight == 0):
                raise UnitError(f"{self.name}: the weight {self._weight.text!r} has units {d}, '{self.target_var}' "
                                f"of {target.name} has units {var.dim}")
        else:
            b.arg(internal(prefix, "weight"), lambda: float(np.asarray(self.weight)))
            b.extra_names["_weight"] = internal(prefix, "weight")
        loads = b.loads([weight])
        code = b.expression(weight)
        b.arg(internal(prefix, "n"), lambda: float(self.N))
        b.arg(internal(prefix, "p"), lambda: float(np.asarray(self.rate)) * self._dt)
        b.arg(internal(prefix, "stream"), lambda: self._stream)
        seed, index = b.rng_key()
        draw = f"_binomial({seed}, {prefix}_stream, {index}, _step, {_DRAW}, {prefix}_n, {prefix}_p)"
        shared = "shared" in var.flags
        value = f"{draw}*({code})"
        owner = getattr(target, "group", target)  # a subgroup's variables are its group's
        guarded = owner.unless_refractory() if hasattr(owner, "unless_refractory") else set()
        if not shared and self.target_var in guarded:
            # Brian2's conditional write: no input into an (unless refractory) variable of a refractory neuron
            value = f"({value} if {variable(tp, 'not_refractory')}[_i] else 0.0)"
        return b, loads, f"{b.arrays[self.target_var]}[{0 if shared else '_i'}]", value, shared

    def _target_prefix(self):
        prefix = getattr(self.target, "_prefix", None)
        if prefix is None:
            raise ModelError(f"{self.name} feeds {self.target.name}, which is not part of the network")
        return prefix

    def before_run(self, net, step0, nsteps):
        self._dt = net.dt_
        p = float(np.asarray(self.rate)) * self._dt
        if p > 1:
            raise ModelError(f"{self.name}: rate*dt = {p:g} > 1: a Poisson input cannot spike more than once a step")
        return False
