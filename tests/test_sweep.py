"""snngen.sweep on a local Dask cluster of 2 worker processes (one for the whole module).

Each result must equal the plain sequential run of the same point and seed; a point that raises is a
row with its error; a stored sweep resumes without recomputing its finished points; a worker killed
in the middle of a sweep costs nothing but time (every point once in the store).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("pandas")

import snngen as sg  # noqa: E402
from snngen.sweep import expand, fresh_names, point_key, sweep  # noqa: E402
from snngen.units import Hz, ms  # noqa: E402


@pytest.fixture(scope="module")
def client():
    import cloudpickle
    from distributed import Client

    from snngen.sweep import local_cluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    cluster = local_cluster(2)
    with Client(cluster) as c:
        yield c
    cluster.close()
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def tiny(rate, w):
    """50 LIF neurons driven by 20 Poisson sources for 50 ms: the spike count and the mean rate."""
    P = sg.PoissonGroup(20, rate * Hz)
    G = sg.NeuronGroup(50, "dv/dt = -v/(10*ms) : volt", threshold="v > 10*mV", reset="v = 0*mV", method="exact")
    S = sg.Synapses(P, G, on_pre="v += w*mV", namespace={"w": w})
    S.connect(p=0.5)
    m = sg.SpikeMonitor(G, record=False)
    sg.Network(P, G, S, m, dt=0.1 * ms).run(50 * ms)
    return {"spikes": int(m.num_spikes), "mean_rate": m.num_spikes / 50 / 0.05}


def test_results_equal_the_sequential_run(client):
    grid, seeds = {"rate": [100, 300], "w": [2.0, 4.0]}, [1, 2]
    alone = {}
    for point in expand(grid):  # first here: the compiled kernels are cached for the workers
        for seed in seeds:
            sg.seed(seed)
            alone[point["rate"], point["w"], seed] = tiny(**point)
    table = sweep(tiny, grid, seeds=seeds, client=client, progress=False)
    assert list(table.columns) == ["rate", "w", "seed", "spikes", "mean_rate", "error", "seconds"]
    assert len(table) == 8 and table.error.isna().all()
    for row in table.itertuples():
        assert {"spikes": row.spikes, "mean_rate": row.mean_rate} == alone[row.rate, row.w, row.seed]
    assert table.spikes.nunique() > 4  # the points and seeds differ


def test_each_point_reuses_the_first_points_code():
    paths = []
    for w in (2.0, 4.0):  # another value, and objects of the previous point still alive: the same code
        fresh_names()
        G = sg.NeuronGroup(5, "dv/dt = -v/(10*ms) : volt", threshold="v > w*mV", reset="v = 0*mV",
                           namespace={"w": w})
        net = sg.Network(G, dt=0.1 * ms)
        net.run(1 * ms)
        paths.append(net._module._snngen_path)
    assert paths[0] == paths[1]


def sums(x, y, seed):
    if x == 3:
        raise ValueError(f"no x = {x}")
    return {"total": x + y, "got_seed": seed, "rate": 1.0}


def test_grid_list_of_dicts_and_errors(client):
    assert expand({"a": [1, 2], "b": ["p", "q"]}) == [dict(a=1, b="p"), dict(a=1, b="q"), dict(a=2, b="p"),
                                                      dict(a=2, b="q")]
    table = sweep(sums, {"x": [1, 2, 3], "y": [10, 20]}, seeds=[5, 6], client=client, progress=False)
    assert len(table) == 12 and list(table.seed[:2]) == [5, 6]
    bad = table[table.x == 3]
    assert len(bad) == 4 and bad.error.str.contains("ValueError\\('no x = 3'\\)").all() and bad.total.isna().all()
    good = table[table.x != 3]
    assert good.error.isna().all() and (good.total == good.x + good.y).all() and (good.got_seed == good.seed).all()
    listed = sweep(sums, [{"x": 1, "y": 2}, {"x": 4, "y": 0}], client=client, progress=False)
    assert listed.total.tolist() == [3, 4] and listed.seed.tolist() == [0, 0]


def test_pack_takes_auto_true_or_false():
    with pytest.raises(sg.ModelError, match="'auto', True or False"):
        sweep(sums, {"x": [1]}, pack="yes")
    with pytest.raises(sg.ModelError, match="packable"):  # sums declares no packable parameter
        sweep(sums, {"x": [1]}, pack=True)


def logged(x, log, die_at=None):
    """x squared; appends x to the file ``log`` at each completed call; the first call at ``die_at``
    kills its worker process."""
    marker = Path(f"{log}.died")
    if x == die_at and not marker.exists():
        marker.write_text("")
        os._exit(1)
    with open(log, "a") as f:
        f.write(f"{x}\n")
    return {"square": x * x}


def calls(log):
    return sorted(int(line) for line in Path(log).read_text().split()) if Path(log).exists() else []


def test_a_stored_sweep_resumes_without_recomputing(client, tmp_path):
    store, log = tmp_path / "store", tmp_path / "calls"
    grid = {"x": list(range(6)), "log": [str(log)]}
    first = sweep(logged, grid, client=client, store=store, progress=False)
    assert calls(log) == list(range(6)) and len(list(store.glob("*.parquet"))) == 6
    (store / f"{point_key({'x': 4, 'log': str(log)}, 0)}.parquet").unlink()  # as if interrupted before x = 4
    log.unlink()
    again = sweep(logged, grid, client=client, store=store, progress=False)
    assert calls(log) == [4]
    assert again.drop(columns="seconds").equals(first.drop(columns="seconds"))


def test_a_killed_worker_costs_no_point(client, tmp_path):
    store, log = tmp_path / "store", tmp_path / "calls"
    table = sweep(logged, {"x": list(range(8)), "log": [str(log)], "die_at": [3]}, client=client, store=store,
                  progress=False)
    assert (tmp_path / "calls.died").exists()  # a worker did die at x = 3
    assert table.error.isna().all() and table.square.tolist() == [x * x for x in range(8)]
    assert calls(log) == list(range(8))  # every point completed once
    assert len(list(store.glob("*.parquet"))) == 8 and not list(store.glob(".tmp-*"))


def test_workers_start_single_threaded_under_a_script_that_imports_numba(tmp_path):
    """A worker process is spawned: it imports the user's script (here with numba at its top) before Dask
    applies the worker's environment, so the thread counts must already be in its environment at spawn (else
    Numba starts with one thread per core and refuses NUMBA_NUM_THREADS=1 at its next compile); the script's
    own process keeps its environment."""
    script = tmp_path / "user_script.py"
    script.write_text(
        "import os\n"
        "import numba  # at the top, as a user's script imports snngen\n"
        "from snngen.sweep import sweep\n\n\n"
        "def threads(x):\n"
        "    import numba\n"
        "    return {'config': numba.config.NUMBA_NUM_THREADS, 'env': os.environ.get('NUMBA_NUM_THREADS')}\n\n\n"
        "if __name__ == '__main__':\n"
        "    t = sweep(threads, {'x': [0]}, progress=False)\n"
        "    print(t.config[0], t.env[0], os.environ.get('NUMBA_NUM_THREADS'), t.error[0])\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1", "None", "None"], out.stdout + out.stderr[-2000:]
