"""snngen.ml against BindsNET 0.3.4 itself: the recordings in benchmarks/peers/bindsnet_ref/ were made by
BindsNET (``benchmarks/peers/bindsnet_reference.py``, run in its own venv: the inputs, initial weights, and
every step's spikes, voltages, traces, thresholds and weights).  Each case is rebuilt here with snngen.ml's
classes from the parameters stored with it, fed the same input spikes, in float32 as BindsNET: the same
spikes, and the same state to float32 rounding.

The test marked ``bindsnet`` regenerates a case with BindsNET when its venv exists
(``bash benchmarks/peers/setup.sh bindsnet``) and checks that the stored file is what BindsNET gives.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snngen import ml

REF = Path(__file__).resolve().parent.parent / "benchmarks" / "peers" / "bindsnet_ref"
CASES = ["lif_postpre", "lif_nolearn", "adaptive_postpre", "hebbian", "wdpostpre", "if_nodes", "mcp",
         "two_layer_recurrent", "dc_one_spike", "mstdp", "mstdpet"]
LAYER_OPTIONS = ("traces", "traces_additive", "tc_trace", "trace_scale", "sum_input")
RULES = {"NoOp": ml.NoOp, "PostPre": ml.PostPre, "Hebbian": ml.Hebbian,
         "WeightDependentPostPre": ml.WeightDependentPostPre, "MSTDP": ml.MSTDP, "MSTDPET": ml.MSTDPET}
RULE_OPTIONS = ("tc_plus", "tc_minus", "tc_e_trace", "zero_lag")


def _load(case, dt):
    data = np.load(REF / f"{case}_dt{'1' if dt == 1.0 else dt}.npz", allow_pickle=False)
    return data, json.loads(str(data["params_json"]))


def _build(data, p):
    net = ml.Network(dt=float(data["dt"]), dtype="float32")
    for name, lp in p["layers"].items():
        lp = dict(lp)
        cls, n = getattr(ml, lp.pop("kind")), lp.pop("n")
        if lp.get("lbound", 0) is None:
            del lp["lbound"]
        net.add_layer(cls(n, **lp), name)
    for cname, cp in p["conns"].items():
        src, tgt = cname.split("_")
        b = data[f"b.{cname}"] if f"b.{cname}" in data.files else None
        conn = ml.Connection(net.layers[src], net.layers[tgt], w=data[f"w0.{cname}"], b=b,
                             update_rule=RULES[cp["rule"]], nu=cp["nu"], reduction=cp["reduction"],
                             weight_decay=cp["weight_decay"], wmin=cp["wmin"], wmax=cp["wmax"], norm=cp["norm"],
                             **{k: cp[k] for k in RULE_OPTIONS if k in cp})
        net.add_connection(conn, src, tgt)
    monitors = {}
    for name, layer in net.layers.items():
        if name in p["layers"] and f"s.{name}" in data.files:
            variables = [v for v in ("s", "v", "x", "theta") if f"{v}.{name}" in data.files]
            monitors[name] = ml.Monitor(layer, variables)
            net.add_monitor(monitors[name], name)
    return net, monitors


@pytest.mark.parametrize("dt", [1.0, 0.5])
@pytest.mark.parametrize("case", CASES)
def test_same_spikes_state_and_weights_as_bindsnet(case, dt):
    data, p = _load(case, dt)
    net, monitors = _build(data, p)
    steps = int(data["T"])
    # one_spike: BindsNET picks its winner after resetting every crossing node (its bug, bindsnet-features.md
    # 13.2); the runs compare until the first step where several nodes cross
    upto = int(data["first_multi_cross_step"]) if "first_multi_cross_step" in data.files else steps
    net.run(inputs={"X": data["input.X"]}, time=upto * float(data["dt"]), **p.get("run_kwargs", {}))
    total = 0
    for name, mon in monitors.items():
        if name == "X":
            continue
        s = mon.get("s")[:upto]
        total += int(s.sum())
        np.testing.assert_array_equal(s, data[f"s.{name}"][:upto] != 0, err_msg=f"{case} {name}.s")
        for var in mon.state_vars[1:]:
            want = data[f"{var}.{name}"][:upto]
            got = mon.get(var)[:upto]
            if var == "theta":  # BindsNET's theta has no batch axis
                got = got[:, 0]
            np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-4 if var == "v" else 2e-6,
                                       err_msg=f"{case} {name}.{var}")
    assert total > (10 if upto == steps else 5), "the case must have spikes"
    for (src, tgt), conn in net.connections.items():
        np.testing.assert_allclose(conn.w, data[f"w_hist.{src}_{tgt}"][upto - 1], rtol=0, atol=2e-6,
                                   err_msg=f"{case} w")


def test_one_spike_chooses_among_the_nodes_bindsnet_finds_crossing():
    """At BindsNET's first step where several DiehlAndCook nodes cross the threshold, snngen.ml's single spike
    is one of them, and the losers are not reset (BindsNET resets them all: bindsnet-features.md 13.2)."""
    data, p = _load("dc_one_spike", 1.0)
    net, monitors = _build(data, p)
    k = int(data["first_multi_cross_step"])
    net.run(inputs={"X": data["input.X"]}, time=k + 1)
    s = monitors["Y"].get("s")[k, 0]
    crossed = data["crossed.Y"][k, 0] != 0
    assert crossed.sum() >= 2 and s.sum() == 1 and crossed[s].all()
    v = monitors["Y"].get("v")[k, 0]
    losers = crossed & ~s
    assert np.all(v[losers] >= -52.0)  # still above threshold: not reset to -60
    assert np.all(data["v.Y"][k, 0][losers] == -60.0)  # BindsNET reset them


VENV = Path(os.environ.get("SNNGEN_PEERS", Path.home() / ".cache" / "snngen-peers")) / "bindsnet" / "bin" / "python"


@pytest.mark.bindsnet
@pytest.mark.skipif(not VENV.exists(), reason=f"BindsNET's venv is absent ({VENV}); make it with "
                    "bash benchmarks/peers/setup.sh bindsnet")
def test_stored_references_are_what_bindsnet_gives(tmp_path):
    script = REF.parent / "bindsnet_reference.py"
    out = tmp_path / "lif_postpre.npz"
    subprocess.run([str(VENV), str(script), "lif_postpre", str(out), "--dt", "1.0"], check=True,
                   capture_output=True, timeout=600, env={**os.environ, "PYTHONPATH": ""}, cwd=tmp_path)
    fresh, stored = np.load(out), np.load(REF / "lif_postpre_dt1.npz")
    for key in ("s.Y", "v.Y", "w.X_Y"):
        np.testing.assert_array_equal(fresh[key], stored[key])
    assert sys.version_info >= (3, 8)
