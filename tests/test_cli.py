"""The front door: `snngen demo`, `snngen models`, `snngen show` do what the README says."""

import re
import subprocess
import sys


def _cli(*args):
    out = subprocess.run([sys.executable, "-m", "snngen", *args], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_neuron_demo_matches_theory():
    text = _cli("demo", "--neurons")
    # the LIF f-I curve against the closed form: within the 0.1 ms grid of spike times
    dev = float(re.search(r"max relative deviation where firing: ([\d.]+) %", text).group(1))
    assert dev < 5.0
    rows = dict(re.findall(r"^\s+(RS|IB|CH|FS|LTS|TC|RZ) .* (\d+) spikes", text, re.M))
    assert set(rows) == {"RS", "IB", "CH", "FS", "LTS", "TC", "RZ"}
    assert int(rows["FS"]) > int(rows["RS"])  # fast spiking fires faster than regular spiking


def test_models_listing_and_show():
    listing = _cli("models")
    assert re.search(r"^LIF\s+neuron", listing, re.M) and re.search(r"^STDP_additive\s+synapse", listing, re.M)
    shown = _cli("show", "LIF")
    assert "dv/dt" in shown and "reference" in shown
