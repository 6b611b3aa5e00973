"""The content-hash disk cache: shared safely between processes, hit on warm start."""

import importlib.resources
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    import snngen as sg
    from snngen.units import ms, mV
    sg.seed(4)
    G = sg.NeuronGroup(200, "dv/dt = (v_rest - v + I*(1 + 0.0*{tag}))/tau : volt (unless refractory)",
                       threshold="v > -50*mV", reset="v = v_rest", refractory=2*ms,
                       namespace=dict(v_rest=-65*mV, tau=10*ms, I=20*mV))
    G.v = "v_rest + rand()*15*mV"
    m = sg.SpikeMonitor(G)
    net = sg.Network(G, m)
    net.run(50*ms)
    stats = net._fn.stats
    print(json.dumps(dict(spikes=int(m.num_spikes), i=m.i[:50].tolist(), hits=sum(stats.cache_hits.values()),
                          misses=sum(stats.cache_misses.values()), seconds=time.perf_counter() - t0)))
""")


def _start(script, env):
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)


def test_two_processes_compile_the_same_model_at_once_then_a_third_hits_the_cache(tmp_path):
    env = dict(os.environ, SNNGEN_CACHE_DIR=str(tmp_path / "cache"))
    script = SCRIPT.replace("{tag}", str(uuid.uuid4().int % 1000))  # a model nobody compiled before
    procs = [_start(script, env) for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    assert outs[0]["spikes"] == outs[1]["spikes"] > 0
    assert outs[0]["i"] == outs[1]["i"]
    third = _start(script, env)
    out, err = third.communicate(timeout=300)
    assert third.returncode == 0, err
    warm = json.loads(out.strip().splitlines()[-1])
    assert warm["spikes"] == outs[0]["spikes"] and warm["i"] == outs[0]["i"]
    assert warm["hits"] >= 1 and warm["misses"] == 0
    files = list((tmp_path / "cache").rglob("snngen_*.py"))
    assert len(files) == 2  # the network's run function and the initialiser, each written once
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


# -- the cache follows the code --------------------------------------------------------------------------------
def test_fingerprint_changes_with_any_module_template_or_model_file(tmp_path):
    import shutil

    from snngen.codegen import compiler
    from snngen.codegen.render import template_dir

    pkg, templates = Path(compiler.__file__).parents[1], Path(str(template_dir()))
    models = Path(str(importlib.resources.files("snngen.model_files")))
    roots = []
    for k, src in enumerate((pkg, templates, models)):
        dst = tmp_path / f"root{k}"
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        roots.append(dst)
    before = compiler.fingerprint(roots)
    assert before == compiler.fingerprint(roots)
    for edited in (roots[0] / "runtime" / "rng.py", roots[1] / "cpu" / "run.py.j2", roots[2] / "LIF.toml"):
        original = edited.read_text()
        edited.write_text(original + "\n# an edit\n")
        assert compiler.fingerprint(roots) != before, edited
        edited.write_text(original)
    assert compiler.fingerprint(roots) == before


def test_an_edited_template_is_compiled_anew(tmp_path, monkeypatch):
    import shutil

    import snngen as sg
    from snngen.codegen import compiler, render
    from snngen.units import ms

    def spikes():
        sg.seed(2)
        G = sg.NeuronGroup(3, "dv/dt = (2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0")
        m = sg.SpikeMonitor(G)
        net = sg.Network(G, m)
        net.run(20 * ms)
        return net, m.i.tolist()

    net, before = spikes()
    root_before = compiler.cache_root()
    copy = tmp_path / "templates"
    shutil.copytree(str(render.template_dir()), copy)
    run_template = copy / "cpu" / "run.py.j2"
    run_template.write_text(run_template.read_text().replace("# -- capacity", "# -- (edited template) capacity"))
    monkeypatch.setattr(render, "template_dir", lambda: copy)
    for cached in (render.environment, compiler.code_fingerprint):
        cached.cache_clear()
    try:
        net, after = spikes()
        assert compiler.cache_root() != root_before  # a new cache folder for the new code ...
        assert "(edited template)" in net._source  # ... holding the module made from the edited template
        assert net._module._snngen_path.parent == compiler.cache_root()
        assert after == before and before
    finally:
        monkeypatch.undo()
        for cached in (render.environment, compiler.code_fingerprint):
            cached.cache_clear()


def test_damaged_cache_files_are_rebuilt_with_a_warning(tmp_path):
    env = dict(os.environ, SNNGEN_CACHE_DIR=str(tmp_path / "cache"), PYTHONWARNINGS="default")
    script = SCRIPT.replace("{tag}", str(uuid.uuid4().int % 1000))
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    reference = json.loads(first.stdout.strip().splitlines()[-1])
    damaged = []
    for pattern in ("*.nbc", "*.nbi", "*.pickle", "snngen_*.py"):
        for path in (tmp_path / "cache").rglob(pattern):
            path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])  # truncated
            damaged.append(path)
    assert {p.suffix for p in damaged} == {".nbc", ".nbi", ".pickle", ".py"}
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout.strip().splitlines()[-1])
    assert result["spikes"] == reference["spikes"] and result["i"] == reference["i"]
    assert "damaged" in again.stderr and "RuntimeWarning" in again.stderr
    assert result["misses"] >= 1  # compiled again, not loaded


def test_cache_clear_removes_every_kind(tmp_path):
    env = dict(os.environ, SNNGEN_CACHE_DIR=str(tmp_path / "cache"))
    script = SCRIPT.replace("{tag}", "0")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, timeout=300).returncode == 0
    (tmp_path / "cache" / "unrelated").mkdir()  # not snngen's: left alone
    kinds = {p.name.split("-snngen")[0] for p in (tmp_path / "cache").iterdir() if "-snngen" in p.name}
    assert {"cpu", "sympy"} <= kinds
    out = subprocess.run([sys.executable, "-m", "snngen", "cache", "--clear"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["unrelated"]
