"""Tests of snngen.units: SI storage, dimension algebra and checks, numpy support, display."""

import ast
import copy
import math
import pickle
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
    Hz,
    Quantity,
    UnitError,
    amp,
    cm2,
    display_unit,
    fail_for_dimension_mismatch,
    farad,
    get_dimensions,
    have_same_dimensions,
    hertz,
    in_unit,
    is_dimensionless,
    kohm,
    metre,
    mM,
    molar,
    mole,
    ms,
    mV,
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
    assert in_unit(g * (10 * mV), nA) == pytest.approx(0.02)
    assert ((3 * mV) ** 2).dim is VOLT**2
    assert (1 / (2 * ms)).dim is hertz.dim
    assert np.reciprocal(2 * ms).dim is hertz.dim
    assert in_unit((2 * ms) ** -1, Hz) == pytest.approx(500.0)
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
        5 * mV + 0
    with pytest.raises(UnitError, match="compare"):
        _ = np.ones(3) * mV > 0


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


def test_float_needs_dimensionless():
    with pytest.raises(UnitError, match="mV"):
        float(5 * mV)
    with pytest.raises(UnitError):
        int(5 * mV)
    assert float(5 * mV / mV) == pytest.approx(5.0)


def test_fail_for_dimension_mismatch():
    assert fail_for_dimension_mismatch(3 * mV, 2 * volt) is VOLT
    assert fail_for_dimension_mismatch(3, 2.0) is DIMENSIONLESS
    with pytest.raises(UnitError, match=r"threshold.*mV.*nA"):
        fail_for_dimension_mismatch(3 * mV, 2 * nA, "threshold")


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


def test_repr_picks_prefix():
    assert repr(5 * mV) == "5. mV"
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
    assert in_unit(5 * mV, mV) == 5.0
    assert isinstance(in_unit(5 * mV, volt), float)
    np.testing.assert_allclose(in_unit(np.array([1.0, 2.0]) * mV, volt), [0.001, 0.002])
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
Gohm uF nF pF mF kHz MHz mm um nm cm mM uM nM mmole umole nmole cm2 mm2 um2 metre2 meter2 cm3 um3
""".split()


def test_units_registry():
    assert set(EXPECTED_UNITS) <= set(UNITS)
    assert "1" not in UNITS
    for name, unit in UNITS.items():
        assert getattr(units, name) is unit
        assert name in units.__all__
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
    assert imported == {"numpy", "errors"}


# --- properties --------------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, finite)
def test_arithmetic_matches_plain_numbers(a, b):
    assert (a * mV + b * mV) / mV == pytest.approx(a + b, rel=1e-9, abs=1e-9)
    assert (a * mV) * (b * ms) / (mV * ms) == pytest.approx(a * b, rel=1e-9, abs=1e-9)
    assert ((a * mV) < (b * mV)) == (a * 1e-3 < b * 1e-3)
