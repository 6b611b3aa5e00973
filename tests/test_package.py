"""What users install: the wheel holds every module, templates and models, and works from a clean venv.

The wheel is installed into a fresh virtual environment made WITHOUT the system site-packages
(which may not be where this interpreter keeps numba: inside a venv they are the base
interpreter's); the dependencies are made visible through a ``.pth`` file listing this
environment's site-packages folders as plain paths, so their ``.pth`` hooks (among them an
editable install of snngen) are not run and ``import snngen`` finds the wheel's copy.
"""

import os
import site
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "snngen").rglob("__init__.py")}
    assert on_disk <= listed, f"missing from pyproject.toml: {sorted(on_disk - listed)}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (path,) = out.glob("snngen-*.whl")
    return path


@pytest.fixture(scope="module")
def venv_python(wheel, tmp_path_factory):
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    here = [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)]
    here += [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and p not in here]
    Path(purelib, "zz_test_dependencies.pth").write_text("\n".join(here) + "\n")
    # pip of this interpreter installs into the venv's folder; the wheel's files are what gets imported
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", purelib, str(wheel)],
                   check=True, capture_output=True)
    return py


def _run(py, script, tmp_path, **env):
    env = dict(os.environ, SNNGEN_CACHE_DIR=str(tmp_path / "cache"), NUMBA_ENABLE_CUDASIM="1",
               PYTHONPATH="", **env)
    out = subprocess.run([str(py), "-c", textwrap.dedent(script)], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_wheel_contains_templates_and_models(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {Path(n).name for n in names if n.startswith("snngen/templates/")}
    assert {"run.py.j2", "neuron_update.py.j2", "reset.py.j2", "initialise.py.j2", "module.py.j2"} <= templates
    models = {Path(n).name for n in names if n.startswith("snngen/model_files/")}
    assert {"LIF.toml", "Izhikevich.toml", "HH.toml"} <= models
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    sources = {n for n in names if n.endswith(".py") and n.startswith("snngen/")}
    expected = {str(p.relative_to(ROOT)) for p in (ROOT / "snngen").rglob("*.py")}
    assert expected <= sources, f"missing from the wheel: {sorted(expected - sources)}"


def test_installed_wheel_imports_every_module_and_runs_a_model(wheel, venv_python, tmp_path):
    modules = sorted(n[:-3].replace("/", ".").removesuffix(".__init__") for n in zipfile.ZipFile(wheel).namelist()
                     if n.endswith(".py") and n.startswith("snngen/") and not n.endswith("__main__.py"))
    assert "snngen.cuda.runtime" in modules and "snngen.cuda.ptx" in modules
    out = _run(venv_python, f"""
        import importlib
        for name in {modules!r}:
            importlib.import_module(name)
        import snngen, snngen.models as M
        from snngen.units import ms, nA
        print(snngen.__file__)
        G = M.LIF(1); G.I = 2*nA; m = snngen.SpikeMonitor(G)
        snngen.Network(G, m).run(100*ms); print(m.num_spikes)
        """, tmp_path)
    location, spikes = out.split()
    assert str(venv_python.parent.parent) in location  # the wheel's copy, not the source tree
    assert int(spikes) > 0


def test_installed_wheel_runs_the_cuda_backend_on_the_simulator(venv_python, tmp_path):
    out = _run(venv_python, """
        import numpy as np
        from snngen import Network, NeuronGroup, SpikeMonitor, seed
        from snngen.units import ms
        def spikes(backend):
            seed(3)
            G = NeuronGroup(4, "dv/dt = (2 - v)/(5*ms) : 1", threshold="v > 1", reset="v = 0")
            G.v = "rand()"
            M = SpikeMonitor(G)
            Network(G, M, backend=backend).run(5*ms)
            return M.i.tolist(), M.t_.tolist()
        cpu, gpu = spikes("cpu"), spikes("cuda")
        assert cpu == gpu and len(cpu[0]) > 0, (cpu, gpu)
        print("ok")
        """, tmp_path)
    assert out.strip() == "ok"


def test_installed_wheel_meets_the_engine_soundness_bar(venv_python, tmp_path):
    """Issue 10's bar, from the installed wheel outside the checkout: names that cannot inject or collide,
    calls of numbers as clear errors, seeds that reproduce, random delays, HH through its removable
    singularities, and a Brian2 script run unmodified with ``python -m snngen.brian2``."""
    out = _run(venv_python, """
        import numpy as np
        import snngen as sg
        from snngen import models
        from snngen.units import Hz, ms, mV
        try:
            sg.NeuronGroup(1, "v : 1", name="g\\nimport os")
            print("name accepted")
        except sg.ModelError as e:
            print("name error ok")
        try:
            G = sg.NeuronGroup(2, "dv/dt = 1/ms : 1\\nspikes : 1", threshold="v > 1", reset="v = 0; spikes += 1")
            print("spikes accepted")
        except sg.ModelError as e:
            print("spikes error ok" if "my_spikes" in str(e) else str(e))
        try:
            H = sg.NeuronGroup(1, "dv/dt = -v/tau(t) : 1", namespace={"tau": 10 * ms})
            sg.Network(H).run(1 * ms)
            print("tau(t) accepted")
        except sg.ModelError as e:
            print("tau(t) error ok")
        def build():
            P = sg.PoissonGroup(50, 100 * Hz)
            Q = sg.NeuronGroup(5, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0")
            S = sg.Synapses(P, Q, on_pre="v += 0.3")
            S.connect(p=0.5)
            S.delay = "rand()*5*ms"
            M = sg.SpikeMonitor(Q)
            sg.Network(P, Q, S, M).run(50 * ms)
            return M.i.tolist(), M.t_.tolist()
        sg.seed(7); first = build()
        build()
        sg.seed(7); second = build()
        print("seed", first == second and len(first[0]) > 0)
        for v0 in (-40, -55):
            hh = models.HH(1)
            hh.v = v0 * mV
            sg.Network(hh, check_nan=True).run(5 * ms)
            print("HH", v0, bool(np.isfinite(hh.v_).all()))
        """, tmp_path)
    lines = out.strip().splitlines()
    assert lines[0] == "name error ok" and lines[2] == "tau(t) error ok", out
    assert lines[1] == "spikes error ok", out  # G.spikes is the group's own: a clear error naming a new name
    assert lines[3:] == ["seed True", "HH -40 True", "HH -55 True"], out
    script = tmp_path / "brian2_script.py"
    script.write_text(textwrap.dedent("""
        from brian2 import *
        G = NeuronGroup(10, 'dv/dt = (1.2 - v)/(10*ms) : 1 (unless refractory)', threshold='v > 1', reset='v = 0',
                        refractory=2*ms, method='exact')
        M = SpikeMonitor(G)
        run(50*ms)
        print(M.num_spikes)
        """))
    env = dict(os.environ, SNNGEN_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH="")
    ran = subprocess.run([str(venv_python), "-m", "snngen.brian2", str(script)], cwd=tmp_path, capture_output=True,
                         text=True, env=env, timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    # v reaches 1 after 10 ms * ln(6) = 17.9 ms, then every 2 ms + 17.9 ms: spikes at 17.9 and 37.8 ms, for 10
    assert int(ran.stdout.split()[-1]) == 20
