"""Synapse creation: ``connect(condition=..., p=..., i=..., j=..., n=...)``.

Conditions and probabilities are expressions of ``i``, ``j``, ``N_pre``,
``N_post`` and the neurons' variables (``x_pre``, ``x_post``); they are parsed,
unit-checked and compiled into a loop over candidate pairs.  Random draws are
keyed by (seed, synapse object, i, connect call, j), so a seed reproduces the
same connectivity on any machine.
"""

from __future__ import annotations

import numbers
import re

import numpy as np

from ..codegen.blocks import called_names, symbols_of
from ..codegen.compiler import after_call, load_module
from ..codegen.optimise import Hoister
from ..codegen.printer import NumbaPrinter
from ..codegen.render import render
from ..equations.dimensions import dimension_of
from ..equations.parser import Rand, Randn, parse_expression, suggest
from ..errors import ModelError, UnitError
from ..runtime import random as _random
from ..runtime.namespace import caller_namespace, resolve
from ..units import DIMENSIONLESS

_STEP_BASE = -1_000_000  # connect calls draw at steps below every initialiser's


def parse_generator(text, owner):
    """Brian2's generator syntax for ``connect(j=...)``: ``"EXPR for VAR in range(...) [if COND]"`` or
    ``"... in sample(low, high, p=P)"`` (``sample(high, p=P)``: from 0).  Returns the pieces as
    expression strings: ``expr``, ``var``, ``kind``, ``lo``, ``hi``, ``step`` (range), ``p`` (sample),
    ``condition``, and the whole ``text``."""
    def fail(why):
        raise ModelError(f"{owner}.connect: j = {text!r}: {why} (expected 'k for k in range(a, b[, step]) "
                         "[if condition]' or 'k for k in sample(a, b, p=p) [if condition]')")

    m = re.match(r"^\s*(?P<expr>.+?)\s+for\s+(?P<var>[A-Za-z_]\w*)\s+in\s+(?P<fn>range|sample)\s*\(", text)
    if m is None:
        fail("not a generator expression")
    depth, end = 1, m.end()
    while end < len(text) and depth:
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        end += 1
    if depth:
        fail("unbalanced parentheses")
    inner, rest = text[m.end():end - 1], text[end:].strip()
    condition = None
    if rest:
        if not rest.startswith("if "):
            fail(f"unexpected {rest!r} after the {m.group('fn')}(...)")
        condition = rest[3:].strip()
    args, kwargs, depth, start = [], {}, 0, 0
    for pos, ch in enumerate(inner + ","):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            piece = inner[start:pos].strip()
            start = pos + 1
            key = re.match(r"^([A-Za-z]\w*)\s*=(?!=)\s*(.+)$", piece)
            if key:
                kwargs[key.group(1)] = key.group(2)
            elif piece:
                args.append(piece)
    out = {"expr": m.group("expr"), "var": m.group("var"), "kind": m.group("fn"), "condition": condition,
           "text": text}
    if m.group("fn") == "range":
        if kwargs or not 1 <= len(args) <= 3:
            fail("range() takes one to three arguments")
        lo, hi, step = (["0"] + args if len(args) == 1 else args) + ["1"] * (3 - max(len(args), 2))
        out.update(lo=lo, hi=hi, step=step)
    else:
        if set(kwargs) != {"p"} or not 1 <= len(args) <= 2:
            fail("sample() takes a high end, or a low and a high end, and p= (a fixed size= is not supported)")
        lo, hi = (["0"] + args) if len(args) == 1 else args
        out.update(lo=lo, hi=hi, p=kwargs["p"])
    return out


class Connector:
    def __init__(self, syn):
        self.syn = syn
        self.calls = 0

    def connect(self, condition=None, i=None, j=None, p=1.0, n=1, skip_if_invalid=False, level=0):
        syn = self.syn
        self._skip = bool(skip_if_invalid)
        ns, nt = len(syn.source), len(syn.target)
        if not isinstance(n, numbers.Integral) or n < 1:
            raise ModelError(f"{syn.name}.connect: n (synapses per pair) must be a positive integer, not {n!r}")
        if i is not None and not isinstance(i, str):
            if j is None or isinstance(j, str):
                raise ModelError(f"{syn.name}.connect: give both i and j as arrays")
            ii = np.atleast_1d(np.asarray(i, dtype=np.int64))
            jj = np.atleast_1d(np.asarray(j, dtype=np.int64))
            if ii.shape != jj.shape:
                ii, jj = np.broadcast_arrays(ii, jj)
            self._check_range(ii, ns, "i", syn.source)
            self._check_range(jj, nt, "j", syn.target)
            if condition is not None or p != 1.0:
                raise ModelError(f"{syn.name}.connect: explicit i, j pairs take no condition or p")
            syn._append(np.repeat(ii, n), np.repeat(jj, n))
            return
        if condition is None and isinstance(j, str) is False and (isinstance(p, numbers.Number) and p == 1.0):
            if n == 1:
                syn._append(None, None, dense=True)
                return
            ii = np.repeat(np.arange(ns), nt * n)
            jj = np.tile(np.repeat(np.arange(nt), n), ns)
            syn._append(ii, jj)
            return
        self.calls += 1
        text = j
        if isinstance(j, str) and " for " not in f" {j} " and " if " in j and " else " not in f" {j} ":
            # Brian2's 'EXPR if COND': the target EXPR, only where COND holds (one candidate per i)
            expr, _, cond = j.partition(" if ")
            j = f"{expr} for _one in range(1) if {cond}"
        generator = parse_generator(j, syn.name) if isinstance(j, str) and " for " in f" {j} " else None
        if generator is not None:
            generator["text"] = text  # what the user wrote, for messages
        if generator is not None and condition is not None:
            raise ModelError(f"{syn.name}.connect: with j given as a generator, put the condition into it "
                             f"('{generator['var']} for {generator['var']} in ... if condition')")
        oi, oj = self._generate(condition, None if generator else j, p, n, level + 1, generator)
        syn._append(oi, oj)

    def _check_range(self, idx, size, what, group):
        if len(idx) and (idx.min() < 0 or idx.max() >= size):
            bad = idx[(idx < 0) | (idx >= size)][0]
            raise ModelError(f"{self.syn.name}.connect: {what} = {bad} is outside {group.name} (size {size})")

    def _generate(self, condition, j, p, n, level, generator=None):
        syn = self.syn
        if condition is not None and not isinstance(condition, str):
            if condition is True:
                condition = None
            else:
                raise ModelError(f"{syn.name}.connect: condition must be a string expression")
        texts = {"condition": condition, "j": j, "p": p if isinstance(p, str) else None}
        if generator is not None:
            texts.update({f"gen_{k}": v for k, v in generator.items() if k not in ("var", "kind", "text")})
        parsed = {k: parse_expression(v, line=1, line_text=v) for k, v in texts.items() if v is not None}
        gen_var = generator["var"] if generator is not None else None
        if not isinstance(p, str):
            p = float(p)
            if not 0 <= p <= 1:
                raise ModelError(f"{syn.name}.connect: p must lie in [0, 1], not {p}")
        names = symbols_of([x.expr for x in parsed.values()])
        src, tgt = syn.source, syn.target
        arrays, args, used = {}, {}, set()
        for name in names:
            if name.endswith("_pre") and name[:-4] in getattr(src, "variables", {}):
                arrays[name] = f"_src_{name[:-4]}[_i]"
                args[f"_src_{name[:-4]}"] = src.variables[name[:-4]].array
            elif name.endswith("_post") and name[:-5] in getattr(tgt, "variables", {}):
                if j is not None or (generator is not None and any(
                        name in {s.name for s in parsed[k].expr.free_symbols} for k in parsed
                        if k.startswith("gen_") and k != "gen_condition")):
                    raise ModelError(f"{syn.name}.connect: with j given as an expression, the condition cannot "
                                     f"use postsynaptic variables ('{name}')")
                arrays[name] = f"_tgt_{name[:-5]}[_j]"
                args[f"_tgt_{name[:-5]}"] = tgt.variables[name[:-5]].array
            elif name not in ("i", "j", "N_pre", "N_post", gen_var):
                used.add(name)
        externals = resolve(used, f"{syn.name}.connect", 1, syn.namespace, caller_namespace(level + 1),
                            locate=lambda nm: "", called=called_names([x.expr for x in parsed.values()]))
        for name, ext in externals.items():
            if ext.kind != "scalar":
                raise ModelError(f"{syn.name}.connect: '{name}' must be a scalar here")

        def lookup(name):
            if name in ("i", "j", "N_pre", "N_post", gen_var):
                return DIMENSIONLESS
            if name in externals:
                return externals[name].dim
            if name.endswith("_pre"):
                return src.variables[name[:-4]].dim
            return tgt.variables[name[:-5]].dim

        for key, x in parsed.items():
            d = dimension_of(x.expr, lookup)
            if d != DIMENSIONLESS:
                raise UnitError(f"{syn.name}.connect: {key} {x.text!r} must be dimensionless, it has units {d}")
        hoister = Hoister(lambda nm: nm in externals)
        exprs = {k: hoister(x.expr) for k, x in parsed.items()}
        names_map = dict(arrays)
        names_map.update({"i": "_i", "j": "_j", "N_pre": "_ns", "N_post": "_nt"})
        if gen_var is not None:
            names_map[gen_var] = "_kk"
        names_map.update({nm: f"_x_{nm}" for nm in externals})
        names_map.update({s.name: "_c" + s.name for s in hoister.hoisted.values()})
        rng = "(_seed, _stream, _i, _step * 64 - 1 - {draw}, _j)"  # the p draw itself is at _step * 64
        printer = NumbaPrinter(names_map, rng=rng)
        code = {k: printer.doprint(e) for k, e in exprs.items()}
        prologue = [f"_c{s.name} = {printer.doprint(e)}" for e, s in hoister.hoisted.items()]
        for nm, ext in externals.items():
            args[f"_x_{nm}"] = ext.value
        gen = None
        if generator is not None:
            gen = {k[4:]: v for k, v in code.items() if k.startswith("gen_")}
            gen.setdefault("step", "1")
            gen.update(kind=generator["kind"], condition=gen.get("condition"), outer=False, uses_j=False)
            if "gen_condition" in parsed:  # Brian2's order of the checks (which index the condition reads)
                cond = parsed["gen_condition"].expr
                syms = {s.name for s in cond.free_symbols}
                gen["uses_j"] = "j" in syms or any(s.endswith("_post") and s != "N_post" for s in syms)
                gen["outer"] = not gen["uses_j"] and gen_var not in syms and not cond.atoms(Rand, Randn)
            if gen["kind"] == "range":
                gen = {k: (f"int({v})" if k in ("lo", "hi", "step") else v) for k, v in gen.items()}
        source = "\n".join(render("cpu/connect.py.j2", args=list(args), prologue=prologue,
                                  condition=code.get("condition"), p=code.get("p"),
                                  p_const=None if isinstance(p, str) or p == 1.0 else repr(p), j=code.get("j"),
                                  generator=gen))
        module = load_module(source)
        oi, oj, bad = module.connect(_random.current_seed(), syn._stream, _STEP_BASE - self.calls, len(src), len(tgt),
                                     n, *args.values())
        after_call(module)
        if bad >= 0 and not ((j is not None or generator is not None) and self._skip):
            what = j if generator is None else generator["text"]
            raise ModelError(f"{syn.name}.connect: j = {what!r} gives a target outside {tgt.name} "
                             f"(size {len(tgt)}) for i = {bad}; pass skip_if_invalid=True to skip those")
        return oi, oj

    _skip = False


__all__ = ["Connector", "suggest"]
