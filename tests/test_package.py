"""templates/ and models/ ship inside the wheel and are found at run time from it."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (path,) = out.glob("snngen-*.whl")
    return path


def test_wheel_contains_templates_and_models(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {Path(n).name for n in names if n.startswith("snngen/templates/")}
    assert {"run.py.j2", "neuron_update.py.j2", "reset.py.j2", "initialise.py.j2"} <= templates
    models = {Path(n).name for n in names if n.startswith("snngen/model_files/")}
    assert {"LIF.toml", "Izhikevich.toml", "HH.toml"} <= models
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_installed_wheel_runs_a_model_from_its_own_files(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True,
                   capture_output=True)
    script = (
        "import snngen, snngen.models as M; from snngen.units import ms, nA\n"
        "print(snngen.__file__)\n"
        "G = M.LIF(1); G.I = 2*nA; m = snngen.SpikeMonitor(G)\n"
        "snngen.Network(G, m).run(100*ms); print(m.num_spikes)\n"
    )
    env = dict(os.environ, SNNGEN_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([str(py), "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    location, spikes = out.stdout.split()
    assert str(venv) in location  # the wheel's copy, not the source tree
    assert int(spikes) > 0
