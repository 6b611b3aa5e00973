"""Write Brian2's measured unit facts into JSON fixtures for tests/test_units.py.

Run with Brian2's Python (not snngen's), from the repository root::

    ~/.cache/snngen-peers/brian2/bin/python tests/data/make_brian2_fixtures.py

- ``brian2_units.json``: every unit name in ``brian2.units.allunits`` and ``stdunits``, with its
  SI value, its 7 dimension exponents (m, kg, s, A, K, mol, cd), whether ``from brian2 import *``
  brings it in (``star``) and whether Brian2's model strings know it (``model``).
- ``brian2_numpy.json``: what Brian2 returns for each expression of ``NUMPY_CASES`` in
  tests/test_units.py (a Quantity and its dimensions, a plain value, or the error it raises).

Only facts are recorded (names, numbers, outcomes); no Brian2 code is copied.
"""

import ast
import json
import warnings
from pathlib import Path

import brian2
import brian2.units.allunits as allunits
import brian2.units.stdunits as stdunits
import numpy as np
from brian2.core.namespace import DEFAULT_UNITS
from brian2.units.fundamentalunits import DimensionMismatchError, Quantity, Unit, get_dimensions

HERE = Path(__file__).parent


def unit_table():
    star = {}
    exec("from brian2 import *", star)
    names = {n for m in (allunits, stdunits) for n in dir(m) if isinstance(getattr(m, n), Unit) and n[0] != "_"}
    names.discard("unit")  # a loop variable left in brian2.units.allunits, not a unit name
    rows = []
    for name in sorted(names):
        unit = getattr(allunits, name, None)
        unit = getattr(stdunits, name) if unit is None else unit
        dims = [int(e) if e == int(e) else float(e) for e in get_dimensions(unit)._dims]
        rows.append(
            [name, float(np.asarray(unit)), dims, int(isinstance(star.get(name), Unit)), int(name in DEFAULT_UNITS)]
        )
    return rows


def describe(result):
    if isinstance(result, Quantity):
        dims = [float(e) for e in get_dimensions(result)._dims]
        if any(dims):
            return {"kind": "quantity", "dims": dims, "value": np.asarray(result).tolist()}
        return {"kind": "plain", "value": np.asarray(result).tolist(), "type": "Quantity"}
    if isinstance(result, (list, tuple)):
        return {"kind": type(result).__name__, "items": [describe(x) for x in result]}
    if isinstance(result, (np.ndarray, np.generic)):
        value = result.tolist() if result.dtype.kind in "biuf" else str(result)
        return {"kind": "plain", "value": value, "type": f"numpy.{type(result).__name__}"}
    if isinstance(result, (bool, int, float, str)):
        return {"kind": "plain", "value": result, "type": type(result).__name__}
    return {"kind": "plain", "value": repr(result), "type": type(result).__name__}


def numpy_outcomes():
    tree = ast.parse((HERE.parent / "test_units.py").read_text())
    found = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    setup, cases = ast.literal_eval(found["NUMPY_SETUP"]), ast.literal_eval(found["NUMPY_CASES"])
    ns = {}
    exec("from brian2 import *", ns)
    ns["np"] = np
    exec(setup, ns)
    out = {}
    warnings.simplefilter("ignore")
    for case in cases:
        try:
            out[case] = describe(eval(case, ns))
        except DimensionMismatchError:
            out[case] = {"kind": "error", "error": "UnitError"}
        except Exception as exc:  # the outcome is the fact recorded
            out[case] = {"kind": "error", "error": type(exc).__name__}
    return out


def main():
    source = f"brian2 {brian2.__version__}, numpy {np.__version__}; written by tests/data/make_brian2_fixtures.py"
    rows = unit_table()
    lines = ",\n".join(json.dumps(row) for row in rows)
    (HERE / "brian2_units.json").write_text(
        f'{{"source": {json.dumps(source)},\n"dims": ["m", "kg", "s", "A", "K", "mol", "cd"],\n'
        f'"columns": ["name", "value", "dims", "star", "model"],\n"units": [\n{lines}\n]}}\n'
    )
    outcomes = numpy_outcomes()
    lines = ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in outcomes.items())
    (HERE / "brian2_numpy.json").write_text(f'{{"source": {json.dumps(source)},\n"outcomes": {{\n{lines}\n}}}}\n')
    print(f"{len(rows)} units, {len(outcomes)} numpy outcomes")


if __name__ == "__main__":
    main()
