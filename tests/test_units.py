"""Tests of snngen.units: SI storage, dimension algebra and checks, numpy support, display."""

import ast
import copy
import json
import math
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from snngen import units
from snngen.errors import ModelError
from snngen.units import (
    DIMENSIONLESS,
    UNITS,
    Dimension,
    DimensionMismatchError,
    Hz,
    Quantity,
    Unit,
    UnitError,
    amp,
    check_units,
    cm2,
    display_unit,
    fail_for_dimension_mismatch,
    farad,
    get_dimensions,
    get_or_create_dimension,
    get_unit,
    have_same_dimensions,
    hertz,
    in_best_unit,
    in_unit,
    is_dimensionless,
    is_scalar_type,
    kohm,
    metre,
    mM,
    molar,
    mole,
    ms,
    mV,
    mvolt,
    nA,
    nS,
    ohm,
    pF,
    quantity,
    second,
    siemens,
    um2,
    uS,
    volt,
)

DATA = Path(__file__).parent / "data"

VOLT = Dimension(m=2, kg=1, s=-3, A=-1)


# --- Dimension ---------------------------------------------------------------------------------


def test_dimension_algebra_and_identity():
    assert Dimension(m=2, kg=1, s=-3, A=-1) is VOLT
    assert Dimension((2, 1, -3, -1)) == VOLT
    assert hash(Dimension(s=1) * Dimension(s=1)) == hash(Dimension(s=2))
    assert VOLT / VOLT is DIMENSIONLESS
    assert (Dimension(s=1) ** -0.5).exponents[2] == -0.5
    assert (Dimension(s=-0.5) ** 2) is Dimension(s=-1)
    assert DIMENSIONLESS.is_dimensionless and not VOLT.is_dimensionless
    with pytest.raises(AttributeError):
        VOLT._exps = (0.0,) * 7


def test_dimension_str():
    assert str(VOLT) == "V"
    assert str(Dimension(s=-1)) == "Hz"
    assert str(DIMENSIONLESS) == "1"
    assert str(Dimension(m=-2, A=1)) == "A m^-2"
    assert str((siemens / metre**2).dim) == "S m^-2"
    assert str((volt * volt).dim) == "V^2"
    assert str(Dimension(s=-0.5)) == "s^-0.5"
    assert str(Dimension(m=1, kg=1, K=1)) == "m kg K"
    assert str(Dimension(m=2, kg=1, s=-4, K=1)) == "J K s^-2"
    assert repr(VOLT) == "Dimension(m=2, kg=1, s=-3, A=-1)"


def test_dimension_pickle_keeps_identity():
    assert pickle.loads(pickle.dumps(VOLT)) is VOLT
    assert copy.deepcopy(VOLT) is VOLT


# --- storage and algebra -----------------------------------------------------------------------


def test_values_are_stored_in_si():
    q = 5 * mV
    assert isinstance(q, Quantity)
    assert np.asarray(q) == pytest.approx(0.005)
    assert q == 0.005 * volt
    assert q.dim is VOLT
    assert np.asarray(3 * pF) == pytest.approx(3e-12)
    assert np.asarray(2 * mM) == pytest.approx(2.0)  # mol/m^3
    assert np.asarray(molar) == 1000.0


def test_derived_unit_dimensions():
    assert (volt / ohm).dim is amp.dim
    assert siemens * volt == amp
    assert have_same_dimensions(farad * volt / second, amp)
    assert have_same_dimensions(1 / kohm, uS)
    assert not have_same_dimensions(volt, amp)
    assert (mole / metre**3).dim is molar.dim


def test_dimensionless_results_are_plain():
    r = Hz * second
    assert not isinstance(r, Quantity)
    assert isinstance(r, float) and r == 1.0
    r = (10 * ms) / ms
    assert r == pytest.approx(10.0) and not isinstance(r, Quantity)
    arr = (np.arange(3.0) * mV) / mV
    assert type(arr) is np.ndarray
    np.testing.assert_allclose(arr, [0.0, 1.0, 2.0])


def test_dimensionless_quantity_mixes_with_plain_numbers():
    q = Quantity(2.0)
    assert q.dim is DIMENSIONLESS
    assert q + 1 == 3.0
    assert q * 3 == 6.0
    assert float(q) == 2.0
    assert np.exp(Quantity(0.0)) == 1.0
    assert (5 * mV) / mV + 1 == pytest.approx(6.0)


def test_multiply_divide_power():
    g = 2 * nS
    assert g * (10 * mV) / nA == pytest.approx(0.02)
    assert ((3 * mV) ** 2).dim is VOLT**2
    assert (1 / (2 * ms)).dim is hertz.dim
    assert np.reciprocal(2 * ms).dim is hertz.dim
    assert (2 * ms) ** -1 / Hz == pytest.approx(500.0)
    assert ((4 * um2) ** 0.5).dim is metre.dim
    assert (np.ones(3) * mV ** np.array([2, 2, 2])).dim is VOLT**2


def test_sqrt_halves_dimensions():
    root = np.sqrt(second)
    assert root.dim is Dimension(s=0.5)
    assert (root**2).dim is second.dim
    assert np.sqrt(4 * um2) == 2e-6 * metre
    noise = 1 / np.sqrt(ms)  # white-noise scaling
    assert noise.dim is Dimension(s=-0.5)


def test_abs_negative_keep_dims():
    q = np.array([-1.0, 2.0]) * mV
    assert np.all(np.abs(q) == np.array([1.0, 2.0]) * mV)
    assert (-q).dim is VOLT and (+q).dim is VOLT and abs(q).dim is VOLT


# --- dimension errors --------------------------------------------------------------------------


def test_add_mismatch_names_both_units():
    with pytest.raises(UnitError, match=r"mV.*ms.*dimensions V and s"):
        5 * mV + 3 * ms
    with pytest.raises(UnitError, match=r"subtract"):
        5 * mV - 3 * nA


def test_errors_are_model_errors():
    with pytest.raises(ModelError):
        mV + ms


def test_strict_with_plain_numbers():
    with pytest.raises(UnitError, match="V and dimensionless"):
        5 * mV + 1
    with pytest.raises(UnitError, match="compare"):
        _ = np.ones(3) * mV > 1
    with pytest.raises(UnitError, match="V and dimensionless"):
        5 * mV + np.inf  # an infinity fits any unit only in comparisons
    with pytest.raises(UnitError):
        _ = np.ones(3) * mV > np.array([0.0, 1.0, 0.0])
    with pytest.raises(UnitError):
        _ = np.ones(3) * mV > 0 * ms  # a zero with units keeps them


def test_plain_zero_fits_any_unit_as_in_brian2():
    q = np.array([1.0, -2.0]) * mV
    assert np.array_equal(q > 0, [True, False]) and np.array_equal(0 < q, [True, False])
    assert np.array_equal(q == 0.0, [False, False]) and (5 * mV != 0) and not (0 * mV != 0)
    assert np.array_equal(q > np.zeros(2), [True, False])
    assert np.all(q < np.inf) and np.all(q > -np.inf) and not np.any(q == np.inf)  # comparisons: also infinity
    assert (q + 0).dim is VOLT and (0 - q).dim is VOLT and (q + np.zeros(2)).dim is VOLT
    assert np.maximum(q, 0).dim is VOLT
    np.testing.assert_allclose(np.clip(q, 0, 2 * mV) / mV, [1.0, 0.0])
    np.testing.assert_allclose(np.where(q > 0, q, 0) / mV, [1.0, 0.0])
    r = q.copy()
    r[1] = 0
    r += 0
    np.testing.assert_allclose(r / mV, [1.0, 0.0])
    r.fill(0)
    assert r.dim is VOLT and np.all(r == 0 * mV)
    assert fail_for_dimension_mismatch(q, 0) == (VOLT, DIMENSIONLESS)


def test_comparisons():
    assert 5 * mV > 4 * mV
    assert 5 * mV <= 0.005 * volt
    assert (5 * mV != 4 * mV) and not (5 * mV == 4 * mV)
    with pytest.raises(UnitError, match=r"compare.*mV.*ms"):
        _ = 5 * mV < 3 * ms
    with pytest.raises(UnitError, match="V and s"):
        np.maximum(np.ones(2) * mV, 1 * ms)


def test_transcendental_functions_need_dimensionless():
    with pytest.raises(UnitError, match=r"exp.*mV"):
        np.exp(5 * mV)
    with pytest.raises(UnitError, match=r"sin.*ms"):
        np.sin(np.ones(4) * ms)
    assert np.exp((5 * mV) / (5 * mV)) == pytest.approx(math.e)
    assert np.log(10 * ms / ms) == pytest.approx(math.log(10))


def test_power_rules():
    with pytest.raises(UnitError, match="ms"):
        mV**ms
    with pytest.raises(UnitError, match="different powers"):
        (np.ones(3) * mV) ** np.array([1, 2, 3])
    with pytest.raises(UnitError, match="power"):
        2**mV
    np.testing.assert_allclose(2 ** np.array([1.0, 2.0]), [2.0, 4.0])


def test_float_gives_si_value_as_in_brian2():
    assert float(5 * mV / mV) == pytest.approx(5.0) and isinstance(float(5 * mV / mV), float)
    assert int(5.7 * mV / mV) == 5 and isinstance(int(5.7 * mV / mV), int)
    assert float(5 * mV) == 0.005  # as Brian2: matplotlib converts quantities with float()
    assert int(2 * second) == 2
    assert f"{5 * mV / mV:.1f}" == "5.0"


def test_fail_for_dimension_mismatch():
    assert fail_for_dimension_mismatch(3 * mV, 2 * volt) == (VOLT, VOLT)
    assert fail_for_dimension_mismatch(3, 2.0) == (DIMENSIONLESS, DIMENSIONLESS)
    assert fail_for_dimension_mismatch(Quantity(1.0)) == (DIMENSIONLESS, DIMENSIONLESS)
    with pytest.raises(UnitError, match=r"threshold: dimensions V and A differ"):
        fail_for_dimension_mismatch(3 * mV, 2 * nA, "threshold")
    with pytest.raises(DimensionMismatchError, match=r"Cannot add 3. mV and 2. nA"):
        fail_for_dimension_mismatch(3 * mV, 2 * nA, "Cannot add {a} and {b}", a=3 * mV, b=2 * nA)
    with pytest.raises(UnitError, match="V and dimensionless"):
        fail_for_dimension_mismatch(3 * mV)


def test_inplace_ops_check_dimensions():
    q = np.ones(3) * mV
    q += 1 * mV
    q *= 2
    assert np.allclose(q / mV, 4.0)
    with pytest.raises(UnitError, match="ms"):
        q += 1 * ms
    view = q[1:]
    with pytest.raises(UnitError, match="change the dimensions"):
        view *= mV
    assert q.dim is VOLT and np.allclose(q / mV, 4.0)  # unchanged
    with pytest.raises(ValueError):
        mV[()] = 2 * mV  # unit objects are read-only


# --- arrays and numpy functions ----------------------------------------------------------------


def test_reductions_keep_dims():
    q = np.linspace(0, 1, 5) * mV
    assert q.sum() == 2.5 * mV and np.sum(q) == 2.5 * mV
    assert q.mean() == 0.5 * mV and np.mean(q) == 0.5 * mV
    assert q.max() == 1 * mV and np.min(q) == 0 * mV
    assert np.isclose(np.std(q), np.sqrt(0.125) * mV)
    assert np.var(q).dim is VOLT**2
    assert np.prod(np.ones((2, 3)) * mV, axis=1).dim is VOLT**3
    assert np.cumsum(q)[-1] == 2.5 * mV
    assert np.median(q) == 0.5 * mV
    assert np.diff(q).dim is VOLT


def test_clip_concatenate_where():
    q = np.linspace(0, 1, 5) * mV
    clipped = np.clip(q, 0.25 * mV, 0.5 * mV)
    assert clipped.dim is VOLT
    np.testing.assert_allclose(clipped / mV, [0.25, 0.25, 0.5, 0.5, 0.5])
    with pytest.raises(UnitError, match=r"clip.*mV.*dimensions V and s"):
        np.clip(q, 0 * ms, 1 * mV)
    both = np.concatenate([q, q])
    assert both.dim is VOLT and both.shape == (10,)
    assert np.hstack([q, q]).dim is VOLT and np.stack([q, q]).shape == (2, 5)
    with pytest.raises(UnitError, match="concatenate"):
        np.concatenate([q, np.ones(2) * nA])
    chosen = np.where(q > 0.5 * mV, q, 0 * mV)
    np.testing.assert_allclose(chosen / mV, [0, 0, 0, 0.75, 1.0])
    with pytest.raises(UnitError, match="V and s"):
        np.where(q > 0.5 * mV, q, 0 * ms)


def test_other_numpy_functions():
    q = np.linspace(0, 1, 5) * mV
    assert np.allclose(q, q + 1e-9 * mV) and not np.allclose(q, q + 1 * mV)
    with pytest.raises(UnitError):
        np.isclose(q, q / mV * ms)
    assert np.dot(q, q).dim is VOLT**2 and q.dot(np.ones(5)).dim is VOLT
    assert np.linspace(0 * mV, 1 * mV, 5)[1] == 0.25 * mV
    assert np.round(np.array([1.26]) * volt, 1)[0] == 1.3 * volt
    quot, rem = divmod(7 * mV, 2 * mV)
    assert quot == 3.0 and rem == 1 * mV
    assert np.zeros_like(q).dim is VOLT
    acc = np.zeros(3) * mV
    np.add.at(acc, [0, 0, 1], 1 * mV)
    np.testing.assert_allclose(acc / mV, [2, 1, 0])


def test_indexing_keeps_dims():
    q = np.arange(5.0) * mV
    assert isinstance(q[0], Quantity) and q[0].dim is VOLT and q[0].ndim == 0
    assert q[2] == 2 * mV
    assert q[1:3].dim is VOLT and q[q > 2 * mV].dim is VOLT
    assert [x.dim for x in q] == [VOLT] * 5
    m = np.ones((2, 3)) * nA
    assert m.T.dim is m[:, 0].dim is m.reshape(6).dim is amp.dim


def test_setitem_checks_dims():
    q = np.zeros(4) * mV
    q[:2] = 3 * mV
    q[3] = 0.001 * volt
    np.testing.assert_allclose(q / mV, [3, 3, 0, 1])
    with pytest.raises(UnitError, match=r"ms.*mV"):
        q[:2] = 3 * ms
    with pytest.raises(UnitError):
        q[0] = 1.0
    with pytest.raises(UnitError):
        q.fill(2.0)
    assert np.all(q[:2] == 3 * mV)


def test_list_of_quantities():
    q = Quantity([1 * mV, 2 * mV])
    assert q.dim is VOLT and q[1] == 2 * mV
    with pytest.raises(UnitError):
        Quantity([1 * mV, 2 * ms])


# --- display -----------------------------------------------------------------------------------


def test_str_picks_prefix():
    assert str(5 * mV) == "5. mV"
    assert str(10 * ms) == "10. ms"
    assert str(np.array([1.0, 2.0]) * ms) == "[1. 2.] ms"
    assert str(1500 * ms) == "1.5 s"
    assert str(0.5 * nA) == "500. pA"
    assert str(3 * kohm) == "3. kohm"
    assert str(0 * mV) == "0. V"
    assert str(100 * pF) == "100. pF"
    assert str(20000 * um2) == "20000. um^2"
    assert str(2 * mM) == "2. mM"
    assert str(2 * volt / second) == "2. V s^-1"
    assert str(Quantity(3.0)) == "3."
    assert f"{5 * mV:.2f}" == "5.00 mV"


def test_in_unit_and_display_unit():
    assert in_unit(5 * mV, mV) == "5. mV"  # a string, as Brian2's
    assert in_unit(np.array([1.0, 2.0]) * mV, volt) == "[0.001 0.002] V"
    assert in_unit(3 * mV, volt, 2) == "0. V"
    assert (3 * mV).in_unit(mV, python_code=True) == "3. * mvolt"
    assert (3 * mV).in_best_unit(python_code=True) == "3. * mV"
    assert in_best_unit(3 * mV) == "3. mV" and in_best_unit(5) == "5"
    with pytest.raises(UnitError, match="mV.*ms"):
        in_unit(5 * mV, ms)
    assert (5 * mV).in_unit(volt) == "0.005 V"
    assert (5 * mV).in_unit(mV) == "5. mV"
    assert (0.5 * cm2).in_unit(cm2) == "0.5 cm^2"
    assert (5 * mV).in_best_unit() == "5. mV"
    assert display_unit(VOLT) == "V" and display_unit(5 * mV) == "V"
    assert display_unit(nS / cm2) == "S m^-2"


def test_get_dimensions_and_helpers():
    assert get_dimensions(3.0) is DIMENSIONLESS
    assert get_dimensions(np.ones(3)) is DIMENSIONLESS
    assert get_dimensions(True) is DIMENSIONLESS
    assert get_dimensions(5 * mV) is VOLT
    assert is_dimensionless(ms / second) and not is_dimensionless(ms)
    assert quantity(0.005, VOLT) == 5 * mV
    assert not isinstance(quantity(np.ones(2), DIMENSIONLESS), Quantity)
    assert Quantity.with_dimensions([1.0, 2.0], VOLT).dim is VOLT
    with pytest.raises(UnitError):
        Quantity(5 * mV, amp.dim)


def test_pickle_and_copy_keep_dims():
    q = np.linspace(0, 1, 3) * nA
    for clone in (pickle.loads(pickle.dumps(q)), copy.copy(q), copy.deepcopy(q), q.copy()):
        assert isinstance(clone, Quantity) and clone.dim is amp.dim
        np.testing.assert_array_equal(np.asarray(clone), np.asarray(q))
    scalar = pickle.loads(pickle.dumps(3 * mV))
    assert scalar == 3 * mV and scalar.dim is VOLT


# --- the registry ------------------------------------------------------------------------------

EXPECTED_UNITS = """
metre meter kilogram gram second amp ampere kelvin mole candela volt siemens ohm farad hertz Hz
coulomb newton joule watt molar liter litre mV uV nV kV ms us ns mA uA nA pA mS uS nS pS kohm Mohm
Gohm uF nF pF mF kHz MHz mm um nm cm mM uM nM mmole umole nmole cm2 mm2 um2 metre2 meter2 cm3 mm3 um3 metre3 meter3
""".split()


def test_units_registry():
    assert set(EXPECTED_UNITS) <= set(UNITS)
    assert "1" not in UNITS
    for name, unit in UNITS.items():
        assert getattr(units, name) is unit
    assert set(EXPECTED_UNITS) <= set(units.__all__)
    assert UNITS["mV"] == 1e-3 * volt
    assert UNITS["Mohm"] == 1e6 * ohm
    assert np.isclose(UNITS["um3"], 1e-18 * metre**3, rtol=1e-12, atol=0)
    assert UNITS["litre"] == 1e-3 * metre**3
    assert UNITS["uM"] == 1e-3 * mole / metre**3
    assert (UNITS["amp"] / UNITS["meter"] ** 2).dim is Dimension(A=1, m=-2)


def test_units_module_imports_only_numpy():
    tree = ast.parse(Path(units.__file__).read_text())
    imported = {(node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
                for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}  # fmt: skip
    assert imported == {"numpy", "errors", "functools"}


# --- properties --------------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, finite)
def test_arithmetic_matches_plain_numbers(a, b):
    assert (a * mV + b * mV) / mV == pytest.approx(a + b, rel=1e-9, abs=1e-9)
    assert (a * mV) * (b * ms) / (mV * ms) == pytest.approx(a * b, rel=1e-9, abs=1e-9)
    assert ((a * mV) < (b * mV)) == (a * 1e-3 < b * 1e-3)


# --- every Brian2 unit name (tests/data/brian2_units.json, measured from Brian2) ---------------


def _brian2_units():
    table = json.loads((DATA / "brian2_units.json").read_text())
    return [dict(zip(table["columns"], row, strict=True)) for row in table["units"]]


def test_every_brian2_unit_name_exists_with_its_value_and_dimensions():
    rows = _brian2_units()
    assert len(rows) > 2000  # 34 prefixed families x 21 scales x (1, squared, cubed), kelvin, kilogram, litre
    for row in rows:
        unit = getattr(units, row["name"])
        assert UNITS[row["name"]] is unit
        assert get_dimensions(unit).exponents == tuple(float(e) for e in row["dims"]), row["name"]
        assert float(unit) == pytest.approx(row["value"], rel=1e-12, abs=0), row["name"]


def test_star_import_gives_brian2s_unit_names():
    rows = _brian2_units()
    star = {row["name"] for row in rows if row["star"]}
    exported = set(units.__all__) & set(UNITS)
    assert star <= exported
    assert exported - star <= set(EXPECTED_UNITS)  # snngen's own earlier names: nm, ns, kV, candela ...
    assert {"gray", "mol", "radian", "lux"}.isdisjoint(units.__all__)  # as Brian2: pylab's gray() stays
    namespace = {}
    exec("from snngen.units import *", namespace)
    assert namespace["mvolt"] is mV and namespace["umetre"] is units.um and namespace["kpascal"] is units.kpascal


def test_unit_names_short_and_long_are_the_same_objects():
    assert mV is mvolt and units.cm2 is units.cmetre2 and units.mM is units.mmolar and Hz is hertz
    assert float(units.dametre) == 10.0 and float(units.Ylitre) == pytest.approx(1e21)
    assert units.radian == 1.0 and not isinstance(units.mradian, Quantity)  # dimensionless units are numbers
    assert (units.kgram == units.kilogram) and units.kgram.dim is units.kilogram.dim


@pytest.mark.parametrize("text, expected", [
    ("mvolt", VOLT), ("siemens/meter**2", (siemens / metre**2).dim), ("msiemens / cmetre2", (siemens / metre**2).dim),
    ("umetre2", (metre**2).dim), ("kpascal", units.pascal.dim), ("nfarad/cm**2", (farad / metre**2).dim),
    ("mmolar", molar.dim), ("katal", (mole / second).dim), ("uamp/umetre2", (amp / metre**2).dim), ("Mohm", ohm.dim),
])  # fmt: skip
def test_long_unit_names_in_model_strings(text, expected):
    from snngen.equations.dimensions import parse_unit

    assert parse_unit(text) == (expected, "float")


def test_long_unit_names_in_equations():
    import snngen as sg

    eqs = sg.Equations("""dv/dt = (g_L*(E_L - v) + I)/C_m : mvolt
                          g_L : msiemens/cmetre2
                          C_m : ufarad/cm**2
                          I = 2*uamp/cmetre2 : amp/meter**2
                          E_L : volt""")
    assert eqs["v"].dim is VOLT and eqs["g_L"].dim is (siemens / metre**2).dim
    assert eqs["I"].dim is (amp / metre**2).dim


# --- repr: an expression of unit names that gives the quantity back ----------------------------


def _eval_namespace():
    namespace = {"array": np.array, "inf": np.inf, "nan": np.nan, "float32": np.float32, "float64": np.float64}
    namespace.update(vars(units))
    return namespace


@pytest.mark.parametrize("q, text", [
    (-65 * mV, "-65. * mV"), (np.array([1.0, 2.0]) * mV, "array([1., 2.]) * mV"), (0.1 * mV, "0.1 * mV"),
    (5 * siemens / metre**2, "5. * siemens / metre ** 2"), (2 * volt / second, "2. * volt / second"),
    (10 * ms, "10. * ms"), (0.5 * nA, "500. * pA"), (3 * kohm, "3. * kohm"), (20000 * um2, "20000. * um2"),
    (2 * mM, "2. * mM"), (15 * Hz, "15. * Hz"), (3 * units.gram, "3. * gram"), (0 * mV, "0. * volt"),
    (np.sqrt(second), "1. * second ** 0.5"), (1 / np.sqrt(ms), "31.622776601683796 / second ** 0.5"),
    (np.inf * mV, "inf * volt"), (2 * units.pascal, "2. * pascal"),
    (2 * units.joule / units.kelvin, "2. * joule / kelvin"),
])  # fmt: skip
def test_repr_is_code_that_gives_the_quantity_back(q, text):
    assert repr(q) == text
    back = eval(repr(q), _eval_namespace())  # only the test evaluates; snngen never does
    assert isinstance(back, Quantity) and back.dim is q.dim
    np.testing.assert_array_equal(np.asarray(back), np.asarray(q))


@pytest.mark.parametrize("q", [
    1 / 3 * mV, 0.0123 * volt, 5 * nS / cm2, np.nan * mV, -0.0 * mV, 1e-20 * volt, 1e10 * volt,
    np.ones((2, 3)) * nA, np.array([]) * mV, np.array([1e-3, 5.0]) * volt,
    np.linspace(-0.07, -0.05, 7) * volt, 7 * units.mradian * mV, units.um**3 / ms, np.float64(2.5) * mV,
])  # fmt: skip
def test_repr_round_trips(q):
    back = eval(repr(q), _eval_namespace())
    assert get_dimensions(back) is q.dim and np.shape(back) == q.shape
    if q.ndim == 0:  # scalars give back the same float
        np.testing.assert_array_equal(np.asarray(back), np.asarray(q))
    else:  # arrays print like numpy's own repr, 8 significant digits
        np.testing.assert_allclose(np.asarray(back), np.asarray(q), rtol=1e-8)


def test_repr_of_units_and_dimensionless_values():
    assert repr(mV) == "mvolt" and str(mV) == "mV" and repr(units.cm2) == "cmetre2" and str(units.cm2) == "cm^2"
    assert repr(2 * mV) == "2. * mV" and str(-65 * mV) == "-65. mV"
    assert repr(Quantity(3.0)) == "3." and type(eval(repr(Quantity(3.0)))) is float
    assert not isinstance((5 * mV) / mV, Quantity)
    assert repr(get_unit(siemens / metre**2)) == "siemens / metre ** 2"


# --- matplotlib plots quantities' SI values, as with Brian2 -------------------------------------


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    pyplot.close("all")
    yield pyplot
    pyplot.close("all")


def test_plot_quantities(plt):
    t = np.arange(5) * 0.1 * ms
    v = np.array([-65.0, -60.0, -55.0, -50.0, -70.0]) * mV
    rates = np.array([5.0, 10.0, 15.0]) * Hz
    (line,) = plt.plot(rates)
    np.testing.assert_array_equal(line.get_ydata(orig=False), [5.0, 10.0, 15.0])  # the plotted data
    (line,) = plt.plot(t / ms, v)  # M.t/ms, M.v[0]
    np.testing.assert_allclose(line.get_xdata(orig=False), [0.0, 0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(line.get_ydata(orig=False), np.asarray(v))
    (line,) = plt.plot(t, v, "k.")
    np.testing.assert_array_equal(line.get_xdata(orig=False), np.asarray(t))
    lines = plt.plot(np.array([[-65.0, -60.0], [-55.0, -50.0]]) * mV)
    np.testing.assert_allclose([x.get_ydata(orig=False) for x in lines], [[-0.065, -0.055], [-0.06, -0.05]])
    (line,) = plt.plot([1 * mV, 2 * mV])
    np.testing.assert_allclose(line.get_ydata(orig=False), [0.001, 0.002])
    plt.xlim(0, 100 * ms)
    assert plt.xlim() == pytest.approx((0.0, 0.1))
    plt.ylim(-70 * mV, -50 * mV)
    assert plt.ylim() == pytest.approx((-0.07, -0.05))


def test_hist_imshow_errorbar_fill_between(plt):
    v = np.array([-65.0, -60.0, -55.0, -50.0, -70.0]) * mV
    counts, edges, _ = plt.hist(v, bins=4)  # Brian2 itself raises here; snngen plots the SI values
    assert counts.sum() == 5 and np.asarray(edges, dtype=float) == pytest.approx(np.linspace(-0.07, -0.05, 5))
    counts, edges, _ = plt.hist(v, bins=np.array([-70.0, -60.0, -50.0]) * mV)
    np.testing.assert_array_equal(counts, [2, 3])
    image = plt.imshow(np.array([[1.0, 2.0], [3.0, 4.0]]) * nA)
    np.testing.assert_allclose(np.asarray(image.get_array(), dtype=float), [[1e-9, 2e-9], [3e-9, 4e-9]])
    t = np.arange(5) * ms
    bars = plt.errorbar(t / ms, v, yerr=np.ones(5) * mV)
    np.testing.assert_allclose(bars.lines[0].get_ydata(orig=False), np.asarray(v))
    band = plt.fill_between(t / ms, v - 1 * mV, v + 1 * mV)
    assert band.get_paths()[0].vertices[:, 1].min() == pytest.approx(-0.071)
    points = plt.scatter(t, v)
    np.testing.assert_allclose(points.get_offsets()[:, 1], np.asarray(v))
    with pytest.raises(UnitError):
        np.histogram(v, bins=[-1.0, 0.0, 1.0])  # bin edges need the data's units


# --- numpy functions, methods and Python built-ins on Quantities, against Brian2 ---------------

NUMPY_SETUP = """
q = np.array([1., -2., 3., 0.5]) * mV
qn = np.array([1., np.nan, 3.]) * mV
s = 3 * mV
m = np.array([[1., 2.], [3., 4.]]) * nA
"""
NUMPY_CASES = (
    # reductions and statistics
    "np.mean(q)", "q.mean()", "np.std(q)", "q.std()", "np.var(q)", "q.var()", "np.sum(q)", "q.sum()", "np.min(q)",
    "q.min()", "np.max(q)", "q.max()", "np.amin(q)", "np.amax(q)", "np.ptp(q)", "np.cumsum(q)", "q.cumsum()",
    "np.diff(q)", "np.sort(q)", "q.argsort()", "np.argsort(q)", "np.argmax(q)", "q.argmin()", "np.median(q)",
    "np.percentile(q, 50)", "np.percentile(q, [25, 75])", "np.quantile(q, 0.5)", "np.nanmean(qn)", "np.nansum(qn)",
    "np.nanmax(qn)", "np.nanmin(qn)", "np.nanstd(qn)", "np.nanmedian(qn)", "np.average(q)", "np.prod(q)", "q.prod()",
    "np.cumprod(q)", "np.mean(m, axis=0)", "m.sum(axis=1)", "m.max(axis=0)", "np.std(m, axis=1)", "q.var(ddof=1)",
    "np.mean(q, keepdims=True)", "q.max(initial=0*mV)",
    # element-wise
    "np.clip(q, 0*mV, 2*mV)", "q.clip(0*mV, 2*mV)", "np.clip(q, 0, 2*mV)", "np.clip(q, 0*ms, 2*mV)", "np.abs(q)",
    "abs(q)", "np.absolute(q)", "np.sqrt(q*mV)", "np.square(q)", "q**2", "np.sign(q)", "np.floor(q/mV)", "np.floor(q)",
    "np.round(q)", "np.round(q, 4)", "round(s)", "round(s/mV)", "round(s/mV, 1)", "np.exp(q)", "np.exp(q/mV)",
    "np.log(s/mV)", "np.maximum(q, 0*mV)", "np.maximum(q, 0)", "np.minimum(q, s)", "np.maximum(q, np.inf)",
    "np.isnan(qn)", "np.isfinite(q)", "np.isclose(q, q)", "np.allclose(q, q)", "np.reciprocal(s)", "np.fmax(q, s)",
    "np.logical_not(q)", "q.any()", "np.all(q)", "np.nonzero(q)",
    # creating arrays
    "arange(0*ms, 3*ms, 1*ms)", "np.arange(0*ms, 3*ms, 1*ms)", "arange(3)*ms", "arange(0, 3*ms, 1*ms)",
    "arange(0*ms, 3*ms)", "arange(3*ms, step=1*ms)", "linspace(0*mV, 10*mV, 5)", "np.linspace(0*mV, 10*mV, 5)",
    "np.linspace(0, 10*mV, 5)", "np.ones_like(q)", "ones_like(q)", "np.zeros_like(q)", "zeros_like(q)",
    "np.full_like(q, 3*mV)", "np.full_like(q, 3)", "np.empty_like(q).shape", "np.ones(3)*mV", "np.full(3, 2*mV)",
    "np.asarray([1*mV, 2*mV])", "Quantity([1*mV, 2*mV])", "Quantity([1*mV, 2*ms])",
    # combining
    "np.concatenate([q, q])", "np.concatenate([q, np.ones(2)*ms])", "np.concatenate([q, np.ones(2)])",
    "np.hstack([q, q])", "np.vstack([q, q])", "np.stack([q, q])", "np.column_stack([q, q])", "np.append(q, 1*mV)",
    "np.append(q, 1*ms)", "np.append(q, 1)", "np.where(q > 0*mV, q, 0*mV)", "np.where(q > 0*mV, q, 0)",
    "np.where(q > 0*mV, q, 1*ms)", "np.where(q > 0*mV)", "where(q > 0*mV, q, 0*mV)", "np.histogram(q)",
    "np.histogram(q, bins=3)", "np.histogram(q, bins=np.array([-2., 0., 3.])*mV)", "np.histogram(q/mV, bins=3)",
    "np.dot(q, q)", "q @ q", "m @ m", "np.ones(2) @ m", "np.unique(q)", "np.insert(q, 0, 5*mV)", "np.delete(q, 0)",
    "np.flip(q)", "np.roll(q, 1)", "np.searchsorted(np.sort(q), 0*mV)", "np.interp(1*ms, [0, 2]*ms, [0, 2]*mV)",
    # shapes
    "q.ravel()", "np.ravel(q)", "m.flatten()", "q.reshape(2, 2)", "np.reshape(q, (2, 2))", "m.T", "np.transpose(m)",
    "np.tile(q, 2)", "np.repeat(q, 2)", "q.repeat(2)", "q[:, None].shape", "np.squeeze(m[:1])", "np.atleast_1d(s)",
    "np.expand_dims(q, 0)", "m.diagonal()", "np.diagonal(m)", "np.trace(m)", "q.copy()", "np.copy(q)",
    "q.astype(np.float32)",
    # conversions
    "q.tolist()", "s.tolist()", "m.tolist()", "len(q)", "len(m)", "float(s/mV)", "float(s)", "int(s/mV)", "int(s)",
    "f'{s/mV:.1f}'", "np.asarray(q)", "np.array(q)", "np.asarray(s)", "q.item(0)", "s.item()", "bool(s)",
    "bool(0*mV)", "list(q)", "q.view(np.ndarray)", "q.size", "q.shape", "q.ndim", "np.shape(q)", "np.size(q)",
    "np.float64(s/mV)", "sum(q)", "max(q)", "sorted(q)[0]", "np.max([1*mV, 2*mV])",
    # indexing
    "q[q > 0*mV]", "q[[0, 2]]", "q[1]", "q[1:3]", "q[-1]", "m[0]", "m[:, 1]", "m[0, 1]",
    "q[np.array([True, False, True, False])]", "m[m > 2*nA]", "q[q.argmax()]", "q[None]",
    # comparisons: a plain 0 (or infinity) fits any unit
    "q > 0", "q > 0*mV", "q == 0", "q != 0", "q < 0", "q >= 0", "q <= 0", "q > 1", "q == 1", "q > ms", "s == 0",
    "s > 0", "q < np.inf", "q > -np.inf", "q == np.inf", "q != np.inf", "q > np.nan", "q > 0.0", "q > np.zeros(4)",
    "q > np.array([0., 1., 0., 0.])", "q == q", "q > s", "q >= 0*ms", "s == 3*mV", "s != 3*ms", "np.greater(q, 0)",
    "np.all(q > 0*mV)", "np.any(q > 0)", "(q > 0*mV).sum()", "q == None", "q != None",
    # arithmetic
    "q + 0", "q + 1", "q - 0", "0 + s", "s + 0*mV", "q + np.zeros(4)", "q + np.inf", "q * np.inf", "q * 2", "q / mV",
    "q / ms", "2 / s", "s ** 2", "s ** 0.5", "2 ** s", "q + s", "q - 1*ms", "q % (2*mV)", "q // (2*mV)", "-q", "+q",
)  # fmt: skip

# Where snngen deliberately differs from Brian2: the case and snngen's outcome (a dimension
# symbol, "plain", or an exception name).
NUMPY_DIFFERENCES = {
    # Brian2 returns a dimensionless array here, losing (or silently mixing) units; snngen keeps and checks them
    "np.concatenate([q, q])": "V", "np.hstack([q, q])": "V", "np.vstack([q, q])": "V", "np.stack([q, q])": "V",
    "np.column_stack([q, q])": "V", "np.append(q, 1*mV)": "V", "np.concatenate([q, np.ones(2)*ms])": "UnitError",
    "np.concatenate([q, np.ones(2)])": "UnitError", "np.append(q, 1*ms)": "UnitError", "np.append(q, 1)": "UnitError",
    "np.where(q > 0*mV, q, 0*mV)": "V", "np.where(q > 0*mV, q, 0)": "V", "np.where(q > 0*mV, q, 1*ms)": "UnitError",
    "np.dot(q, q)": "V^2",
    # Brian2 gives volts, but the elements of a cumulative product have different dimensions
    "np.cumprod(q)": "UnitError",
    # Brian2 raises (its default atol is dimensionless); snngen takes a plain atol in SI units
    "np.isclose(q, q)": "plain", "np.allclose(q, q)": "plain",
    # Brian2 has no rule for fmax
    "np.fmax(q, s)": "V",
}  # fmt: skip


def _outcome(result):
    if isinstance(result, Quantity) and result.dim is not DIMENSIONLESS:
        return {"kind": "quantity", "dims": list(result.dim.exponents), "value": np.asarray(result).tolist()}
    if isinstance(result, (list, tuple)):
        return {"kind": type(result).__name__, "items": [_outcome(x) for x in result]}
    if isinstance(result, (np.ndarray, np.generic)):
        value = result.tolist() if result.dtype.kind in "biuf" else str(result)
        return {"kind": "plain", "value": value, "type": f"numpy.{type(result).__name__}"}
    return {"kind": "plain", "value": result, "type": type(result).__name__}


def _same_outcome(mine, brian2):
    assert mine["kind"] == brian2["kind"], (mine, brian2)
    if mine["kind"] == "error":
        assert mine["error"] == brian2["error"]
        return
    if mine["kind"] in ("list", "tuple"):
        assert len(mine["items"]) == len(brian2["items"])
        for a, b in zip(mine["items"], brian2["items"], strict=True):
            _same_outcome(a, b)
        return
    if mine["kind"] == "quantity":
        assert mine["dims"] == brian2["dims"]
    if brian2.get("type") in ("float", "int", "str", "bool"):  # Python's own types, from float(), len() ...
        assert mine.get("type") == brian2["type"]
    if isinstance(brian2["value"], str):
        assert mine["value"] == brian2["value"]
    else:
        np.testing.assert_allclose(
            np.asarray(mine["value"], dtype=float), np.asarray(brian2["value"], dtype=float), rtol=1e-12, atol=0
        )


@pytest.fixture(scope="module")
def numpy_namespace():
    namespace = {}
    exec("from numpy import *\nfrom snngen.units import *", namespace)  # what `from snngen.brian2 import *` gives
    namespace["np"] = np
    exec(NUMPY_SETUP, namespace)
    return namespace


BRIAN2_OUTCOMES = json.loads((DATA / "brian2_numpy.json").read_text())["outcomes"]


@pytest.mark.parametrize("case", NUMPY_CASES)
def test_numpy_on_quantities_as_brian2(case, numpy_namespace):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mine = _outcome(eval(case, dict(numpy_namespace)))
    except UnitError:
        mine = {"kind": "error", "error": "UnitError"}
    except Exception as exc:  # the outcome compared is the exception's type
        mine = {"kind": "error", "error": type(exc).__name__}
    if case in NUMPY_DIFFERENCES:
        expected = NUMPY_DIFFERENCES[case]
        if expected in ("UnitError", "TypeError"):
            assert mine == {"kind": "error", "error": expected}
        elif expected == "plain":
            assert mine["kind"] == "plain"
        else:
            assert mine["kind"] == "quantity" and str(Dimension(mine["dims"])) == expected
        return
    _same_outcome(mine, BRIAN2_OUTCOMES[case])


def test_every_numpy_case_was_measured_in_brian2():
    assert set(NUMPY_CASES) <= set(BRIAN2_OUTCOMES) and set(NUMPY_DIFFERENCES) <= set(NUMPY_CASES)


def test_format_keeps_the_unit():
    # Brian2's f"{3*mV:.2f}" formats the SI value, "0.00"; snngen shows the value in its unit
    assert f"{3 * mV:.2f}" == "3.00 mV" and f"{3 * mV}" == "3. mV" and f"{(3 * mV) / mV:.2f}" == "3.00"


def test_tolist_and_item_give_quantities():
    q = np.array([1.0, 2.0]) * mV
    assert [x.dim for x in q.tolist()] == [VOLT, VOLT] and q.tolist()[1] == 2 * mV
    assert (np.ones((2, 2)) * nA).tolist()[1][0] == 1 * nA
    assert q.item(0) == 1 * mV and isinstance(q.item(0), Quantity)
    assert (q / mV).tolist() == [1.0, 2.0]
    assert type(q.argsort()) is np.ndarray


# --- Brian2's helpers ---------------------------------------------------------------------------


def test_check_units():
    @check_units(x=mV, y=ms, result=mV)
    def f(x, y=1 * ms, z=3):
        return x

    assert f(1 * mV) == 1 * mV and f(1 * mV, 2 * ms) == 1 * mV and f(x=1 * mV, y=2 * ms, z=5 * nA) == 1 * mV
    assert f(np.array([1.0, 2.0]) * mV).dim is VOLT
    assert check_units(x=mV)(lambda x: x)(None) is None  # None is not checked
    with pytest.raises(DimensionMismatchError, match=r"Function 'f' expected a quantity with unit mV for argument 'x'"):
        f(1 * ms)
    with pytest.raises(UnitError, match="argument 'y'"):
        f(1 * mV, 1)
    with pytest.raises(UnitError):
        f(0)  # the zero rule is for arithmetic, not for arguments (as Brian2)
    assert f.__name__ == "f" and f._arg_names == ("x", "y", "z") and f._return_unit is mV

    @check_units(x=mV, result=ms)
    def g(x):
        return x

    with pytest.raises(UnitError, match="return value of function 'g'"):
        g(1 * mV)

    @check_units(x=1, flag=bool, y="x", result=lambda x, flag, y: x)
    def h(x, flag, y):
        return x * 2

    assert h(2, True, 3) == 4
    with pytest.raises(UnitError):
        h(2 * mV, True, 3)
    with pytest.raises(TypeError, match="boolean"):
        h(2, 1, 3)
    with pytest.raises(UnitError, match="same units as argument 'x'"):
        h(2, np.array([True]), 3 * ms)

    @check_units(v=volt)
    def k(**kwargs):
        return kwargs

    with pytest.raises(UnitError):
        k(v=1 * ms)
    with pytest.raises(TypeError):
        check_units(x="not a unit", y=[mV, ms])


def test_get_unit_and_other_helpers():
    assert get_unit(VOLT) is volt and get_unit(5 * mV) is volt and get_unit(ms) is second
    u = get_unit(siemens / metre**2)
    assert isinstance(u, Unit) and float(u) == 1.0 and u.dim is (siemens / metre**2).dim and str(u) == "S m^-2"
    assert get_unit(DIMENSIONLESS) == 1.0
    assert get_or_create_dimension(length=1, time=-1) is Dimension(m=1, s=-1) is get_or_create_dimension(m=1, s=-1)
    assert is_scalar_type(3) and is_scalar_type(np.float64(1)) and is_scalar_type(np.array(2.0))
    assert not is_scalar_type(3 * mV) and not is_scalar_type("a") and not is_scalar_type([1])
    assert Quantity(2.0, VOLT).dimensions is VOLT and not (2 * mV).is_dimensionless
    assert Quantity.with_dimensions(5, m=1).dim is metre.dim
    assert DimensionMismatchError is UnitError  # so `except DimensionMismatchError` catches every unit error
    assert isinstance(mV, Unit) and not isinstance(2 * mV, Unit) and not isinstance(mV * mV, Unit)
    assert {mV: 1}[mvolt] == 1
    assert pickle.loads(pickle.dumps(mV)) is mV and copy.deepcopy(units.kpascal) is units.kpascal
    assert units.exprel(0.0) == 1.0 and units.exprel(1.0) == pytest.approx(math.e - 1)
    with pytest.raises(UnitError):
        units.exprel(1 * mV)


def test_numpy_reusing_a_temporary_as_the_output_keeps_the_units():
    """For large arrays numpy computes ``temporary * quantity`` in place in the temporary (Nicola &
    Clopath 2017's ``omega.flatten()*second``): the result must still carry the units."""
    x = np.full((600, 600), 2.0).flatten() * second
    assert isinstance(x, Quantity) and x.dim == second.dim and float(x[5] / second) == 2.0
    a = np.ones(3)
    y = np.multiply(a, 5 * ms, out=a)  # explicitly in place: a holds SI values, y is a Quantity view
    assert float(y[0] / ms) == 5.0 and a[0] == 0.005
    with pytest.raises(UnitError, match="plain array"):
        np.multiply(np.ones(3), ms, out=np.ones(3))  # a plain array that is not an input
