"""COBA (Brette et al. 2007 benchmark 1) in snngen against Brian2: benchmarks/crosscheck_coba.py.

The COBA workload with its connectivity and initial v, ge, gi drawn once with numpy and handed to both
simulators (float64, Euler, dt 0.1 ms): the spike trains must be identical (neuron index and step), the
v/ge/gi traces equal to 1e-9 of their scale.  Runs when Brian2 is importable here or its venv exists
(benchmarks/peers/setup.sh, ${SNNGEN_PEERS:-~/.cache/snngen-peers}/brian2); skipped otherwise.
"""

from __future__ import annotations

import pytest
from bench_modules import load

pytestmark = pytest.mark.brian2

ccc = load("crosscheck_coba")

CASES = ("coba1k", "coba1k_g0", "coba4k")


@pytest.fixture(scope="module")
def results():
    python = ccc.cc.brian2_python()
    if python is None:
        pytest.skip("Brian2 is not importable and no Brian2 venv exists (run benchmarks/peers/setup.sh brian2)")
    theirs = ccc.run_brian2(list(CASES), python, timeout=300)
    mine = ccc.run_cases(ccc.cc.snngen_backend(), CASES)
    return mine, theirs


@pytest.mark.parametrize("case", CASES)
def test_identical(results, case):
    """coba1k: N 1000, p 0.08, ge0 = gi0 = 0, 300 ms; coba1k_g0: nonzero ge0/gi0;
    coba4k: the workload's N 4000, p 0.02, 1 s.  Identical spikes, traces to 1e-9."""
    mine, theirs = results
    assert ccc.cc.compare(mine[case], theirs[case])[0] == []
    first, n_mine, n_theirs = ccc.first_difference(mine[case], theirs[case])
    assert first is None and n_mine == n_theirs > 0
    assert mine[case]["synapses"] == theirs[case]["synapses"]


def test_same_network_as_workload():
    """The fixed networks have the workloads' in-degree (~80) and v0 distribution ((5 randn() - 55) mV)."""
    for case in CASES:
        spec = ccc.CASES[case]
        (ie, je), (ii, ji), v0, ge0, gi0 = ccc.coba_network(spec["n"], spec["p"], g0=spec["g0"])
        assert abs((len(ie) + len(ii)) / spec["n"] - 80) < 2
        assert ie.max() < spec["n"] * 4 // 5 <= ii.min()
        assert abs(v0.mean() + 55) < 0.5 and abs(v0.std() - 5) < 0.5
        assert (ge0 == 0).all() != spec["g0"] and (gi0 == 0).all() != spec["g0"]
