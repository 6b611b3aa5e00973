"""snngen against Brian2 on small deterministic networks (float64): benchmarks/crosscheck.py.

Runs when Brian2 is importable here or its venv exists (benchmarks/peers/setup.sh,
${SNNGEN_PEERS:-~/.cache/snngen-peers}/brian2); skipped otherwise.  Spike trains must be
identical (neuron index and step), StateMonitor traces equal to 1e-9 relative.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.brian2

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "crosscheck.py"
_spec = importlib.util.spec_from_file_location("snngen_crosscheck", _PATH)
cc = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = cc
_spec.loader.exec_module(cc)


@pytest.fixture(scope="module")
def results():
    python = cc.brian2_python()
    if python is None:
        pytest.skip("Brian2 is not importable and no Brian2 venv exists (run benchmarks/peers/setup.sh brian2)")
    theirs = cc.run_brian2(list(cc.CASES), python, timeout=300)
    mine = cc.run_cases(cc.snngen_backend(), cc.CASES)
    return mine, theirs


def differences(results, case):
    mine, theirs = results
    return cc.compare(mine[case], theirs[case])[0]


@pytest.mark.parametrize("case", ["a", "a2", "a3", "a4", "b", "c"])
def test_identical(results, case):
    """a: heterogeneous delays, synapses created in an unsorted order, input landing during
    refractoriness (Brian2's conditional write); a2/a3: the same synapses in other orders;
    a4: input gated explicitly; b: LIF exact and Euler with refractoriness; c: CUBA, fixed connectivity."""
    assert differences(results, case) == []


def test_izhikevich_euler(results):
    """d: spikes identical; traces agree to rounding (1e-9 relative fails: see below)."""
    mine, theirs = results
    np = cc.np
    assert mine["d"]["spikes"] == theirs["d"]["spikes"]
    for name in ("v", "u"):
        m, r = np.asarray(mine["d"]["traces"][name]), np.asarray(theirs["d"]["traces"][name])
        scale = np.abs(r).max()
        # One-step differences are ulp-sized (1e-13 of the scale: a different evaluation order of
        # 0.04*v**2/mV + 5*v + ...); the v**2 upstroke amplifies them to ~5e-8 of the scale by 200 ms.
        assert np.abs(m[:, :5] - r[:, :5]).max() <= 1e-9 * scale
        assert np.abs(m - r).max() <= 1e-6 * scale
