"""The content-hash disk cache: shared safely between processes, hit on warm start."""

import json
import os
import subprocess
import sys
import textwrap
import uuid

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
