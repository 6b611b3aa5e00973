"""snngen.sweep's outputs and where it runs: results as an xarray Dataset (output="xarray", to_xarray), zarr
stores (store="....zarr": resume, a half-written group recomputed, concurrent writers), and one worker per GPU
(local_cluster(gpus=...), sweep(backend="cuda")).

Every value must equal the plain sequential run of its point and seed (``snngen.seed(s); fn(**point)``).  There
is no GPU here: the GPU cluster is tested with fake GPU ids (each worker's CUDA_VISIBLE_DEVICES), and the CUDA
sweep runs its networks on Numba's CUDA simulator (tests/conftest.py) in worker processes that see those ids.
"""

import json
import os
import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("pandas")
xr = pytest.importorskip("xarray")
zarr = pytest.importorskip("zarr")

import snngen as sg  # noqa: E402
import snngen.sweep as sw  # noqa: E402
from snngen.errors import ModelError  # noqa: E402
from snngen.sweep import expand, fresh_names, local_cluster, point_key, sweep, to_xarray  # noqa: E402
from snngen.units import Hz, ms  # noqa: E402

N = 8  # neurons of the tiny network


def tiny(rate, w, log=None, backend="cpu"):
    """8 LIF neurons driven by 10 Poisson sources for 20 ms (a negative w raises): the spike count (an int), the
    rate (a quantity), v (a quantity array), the counts per neuron (a DataArray over 'neuron'), a string."""
    if w < 0:
        raise ValueError(f"no w = {w}")
    if log is not None:
        with open(log, "a") as f:
            f.write(f"{rate} {w}\n")
    P = sg.PoissonGroup(10, rate * Hz)
    G = sg.NeuronGroup(N, "dv/dt = -v/(10*ms) : volt", threshold="v > 10*mV", reset="v = 0*mV", method="exact")
    S = sg.Synapses(P, G, on_pre="v += w*mV", namespace={"w": w})
    S.connect(p=0.5)
    m = sg.SpikeMonitor(G, record=False)
    sg.Network(P, G, S, m, dt=0.1 * ms, backend=backend).run(20 * ms)
    count = np.asarray(m.count)
    return {"spikes": int(m.num_spikes), "rate": m.num_spikes / (N * 20 * ms), "v": G.v[:],
            "counts": xr.DataArray(count, dims=["neuron"], coords={"neuron": np.arange(N)}, attrs={"of": "G"}),
            "label": f"w{w}"}


def reference(fn, point, seed, **extra):
    fresh_names()  # (the objects named as in a fresh process: the same code, compiled once)
    sg.seed(seed)
    return fn(**point, **extra)


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as c:
        yield c


def test_xarray_output_equals_the_sequential_runs(client):
    grid, seeds = {"rate": [200.0, 600.0], "w": [4.0, 8.0, -1.0]}, [1, 2]
    ds = sweep(tiny, grid, seeds=seeds, client=client, progress=False, output="xarray")
    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"rate": 2, "w": 3, "seed": 2, "v_dim0": N, "neuron": N}
    assert ds.spikes.dims == ("rate", "w", "seed") and ds.v.dims == ("rate", "w", "seed", "v_dim0")
    assert ds.counts.dims == ("rate", "w", "seed", "neuron") and ds.counts.attrs == {"of": "G"}
    assert list(ds.rate.values) == [200.0, 600.0] and list(ds.w.values) == [4.0, 8.0, -1.0]
    assert list(ds.seed.values) == [1, 2] and list(ds.neuron.values) == list(range(N))
    assert ds.rate.attrs == {} and ds["v"].attrs == {"unit": "V"} and ds["rate"].dims == ("rate",)
    assert set(ds.data_vars) == {"spikes", "out_rate", "v", "counts", "label", "error", "seconds"}
    assert ds.out_rate.attrs == {"unit": "Hz"}  # fn's 'rate' is named like a parameter: out_rate
    spikes = set()
    for point in expand(grid):
        for seed in seeds:
            cell = ds.sel(rate=point["rate"], w=point["w"], seed=seed)
            if point["w"] < 0:  # the point raised: missing values and its error
                assert "ValueError('no w = -1.0')" in str(cell.error.values)
                assert np.isnan(cell.spikes.values) and np.isnan(cell.v.values).all()
                assert np.isnan(cell.counts.values).all() and np.isnan(cell.out_rate.values)
                continue
            ref = reference(tiny, point, seed)
            assert cell.spikes.item() == ref["spikes"] and cell.label.item() == ref["label"]
            assert cell.out_rate.item() == pytest.approx(float(ref["rate"]), rel=1e-12)
            np.testing.assert_array_equal(cell.v.values, np.asarray(ref["v"]))
            np.testing.assert_array_equal(cell.counts.values, ref["counts"].values)
            assert cell.error.isnull().item() and cell.seconds.item() > 0
            spikes.add(ref["spikes"])
    assert len(spikes) > 4  # the points and seeds differ
    # to_xarray of the DataFrame is the same Dataset; output="dataframe" is unchanged
    table = sweep(tiny, grid, seeds=seeds, client=client, progress=False)
    assert list(table.columns) == ["rate", "w", "seed", "spikes", "out_rate", "v", "counts", "label", "error",
                                   "seconds"]
    xr.testing.assert_identical(to_xarray(table, grid).drop_vars("seconds"), ds.drop_vars("seconds"))
    # rows in another order (and the grid's ints matching the table's floats) give the same Dataset
    shuffled = to_xarray(table.iloc[::-1], {"rate": [200, 600], "w": [4, 8, -1]})
    assert list(shuffled.seed.values) == [2, 1]  # (the seeds in the order of the table's rows)
    np.testing.assert_array_equal(shuffled.v.sel(seed=[1, 2]).values, ds.v.values)


def test_a_list_of_points_has_a_point_dimension(client):
    points = [{"rate": 600.0, "w": 8.0}, {"rate": 200.0, "w": 4.0}, {"rate": 400.0, "w": -2.0}]
    ds = sweep(tiny, points, seeds=[3], client=client, progress=False, output="xarray")
    assert ds.spikes.dims == ("point", "seed") and list(ds.point.values) == [0, 1, 2]
    assert list(ds.rate.values) == [600.0, 200.0, 400.0] and ds.rate.dims == ("point",)
    for n, point in enumerate(points[:2]):
        ref = reference(tiny, point, 3)
        assert ds.spikes.values[n, 0] == ref["spikes"]
        np.testing.assert_array_equal(ds.counts.values[n, 0], ref["counts"].values)
    assert "ValueError" in ds.error.values[2, 0] and np.isnan(ds.spikes.values[2, 0])


def shaped(n, kind="array"):
    if kind == "bool":
        return {"flag": n > 1, "count": n}
    if kind == "dims":
        return {"a": xr.DataArray(np.zeros(2), dims=["seed"])}
    return {"trace": np.zeros(n), "count": n}


def test_values_that_do_not_fit_a_dataset_are_clear_errors(client):
    with pytest.raises(ModelError, match=r"'trace' has arrays of different shapes: \(2,\) at n=2, seed=0 and "
                                         r"\(3,\) at n=3, seed=0"):
        sweep(shaped, {"n": [2, 3]}, client=client, progress=False, output="xarray")
    with pytest.raises(ModelError, match="'a' has the dimension.*seed"):
        sweep(shaped, {"n": [2], "kind": ["dims"]}, client=client, progress=False, output="xarray")
    with pytest.raises(ModelError, match="output must be"):
        sweep(shaped, {"n": [2]}, output="netcdf")
    table = sweep(shaped, {"n": [1, 2, 4], "kind": ["bool"]}, client=client, progress=False)
    ds = to_xarray(table, {"n": [1, 2, 4, 5], "kind": ["bool"]})  # n = 5 has no row: missing values
    assert list(ds.flag.values[:, 0, 0]) == [False, True, True, None] and ds.flag.dtype == object
    assert ds["count"].dtype == np.float64 and np.isnan(ds["count"].values[3, 0, 0])
    assert ds["count"].values[:3, 0, 0].tolist() == [1, 2, 4]
    with pytest.raises(ModelError, match="not a point of the params"):
        to_xarray(table, {"n": [1, 2], "kind": ["bool"]})
    import pandas as pd

    with pytest.raises(ModelError, match="two rows for one point and seed"):
        to_xarray(pd.concat([table, table.iloc[:1]]), {"n": [1, 2, 4], "kind": ["bool"]})


def scaled(n, tau):
    return {"t": n * tau, "steps": np.arange(3) * tau, "ratio": float(tau / ms) / n}


def test_quantities_become_floats_with_their_unit(client):
    grid = {"n": [1, 2], "tau": [5 * ms, 10 * ms]}
    ds = sweep(scaled, grid, client=client, progress=False, output="xarray")
    assert ds.tau.values.tolist() == [0.005, 0.01] and ds.tau.attrs == {"unit": "s"} and ds.n.attrs == {}
    assert ds.t.attrs == {"unit": "s"} and ds.steps.attrs == {"unit": "s"} and ds.ratio.attrs == {}
    for point in expand(grid):
        cell, ref = ds.sel(n=point["n"], tau=float(point["tau"]), seed=0), reference(scaled, point, 0)
        assert cell.t.item() == float(ref["t"]) and cell.ratio.item() == ref["ratio"]
        np.testing.assert_array_equal(cell.steps.values, np.asarray(ref["steps"]))


def test_missing_xarray_or_zarr_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "xarray", None)  # import xarray raises ImportError
    monkeypatch.setitem(sys.modules, "zarr", None)
    never = object()  # not a client: the error must come before any computing
    with pytest.raises(ModelError, match=r'output="xarray" needs xarray \(pip install "snngen\[sweep\]"\)'):
        sweep(shaped, {"n": [1]}, client=never, output="xarray")
    with pytest.raises(ModelError, match=r'needs zarr \(pip install "snngen\[sweep\]"\)'):
        sweep(shaped, {"n": [1]}, client=never, store=tmp_path / "runs.zarr")
    with pytest.raises(ModelError, match=r"to_xarray needs xarray"):
        to_xarray(None, {"n": [1]})


def calls(log):
    return sorted(Path(log).read_text().splitlines()) if Path(log).exists() else []


def test_a_zarr_store_resumes_and_reads_back_the_same_rows(client, tmp_path):
    store, log = tmp_path / "runs.zarr", tmp_path / "calls"
    grid, seeds = {"rate": [200.0, 600.0], "w": [-1.0, 5.0], "log": [str(log)]}, [4, 5]
    first = sweep(tiny, grid, seeds=seeds, client=client, store=store, progress=False)
    assert calls(log) == ["200.0 5.0"] * 2 + ["600.0 5.0"] * 2  # (w = -1 raises before it logs)
    keys = {point_key(point, seed) for point in expand(grid) for seed in seeds}
    assert set(zarr.open_group(str(store), mode="r").group_keys()) == keys  # one group per point, nothing else
    for row in first.itertuples():
        if row.w < 0:
            continue
        ref = reference(tiny, {"rate": row.rate, "w": row.w}, row.seed)
        assert row.spikes == ref["spikes"]
        np.testing.assert_array_equal(row.counts.values, ref["counts"].values)
    log.unlink()
    again = sweep(tiny, grid, seeds=seeds, client=client, store=store, progress=False)
    assert calls(log) == []  # every point read from the store, none computed
    assert_same_rows(again, first)
    ds = sweep(tiny, grid, seeds=seeds, client=client, store=store, progress=False, output="xarray")
    assert calls(log) == [] and ds.counts.dims[-1] == "neuron" and ds.counts.attrs == {"of": "G"}
    # a group left half-written (no completion attribute, an array missing) and a temporary folder of a killed
    # worker: the point is computed again, the temporary folder is not a point
    half = store / point_key({"rate": 600.0, "w": 5.0, "log": str(log)}, 5)
    meta = json.loads((half / "zarr.json").read_text())
    layout = meta["attributes"].pop("snngen")
    (half / "zarr.json").write_text(json.dumps(meta))
    shutil.rmtree(half / next(entry["array"] for entry in layout["values"] if entry["name"] == "v"))
    shutil.copytree(half, store / ".tmp-0123456789abcdef-killed")
    resumed = sweep(tiny, grid, seeds=seeds, client=client, store=store, progress=False)
    assert calls(log) == ["600.0 5.0"]
    assert_same_rows(resumed, first)
    assert sw.open_store(store).has(half.name)


def assert_same_rows(table, expected):
    """Equal rows (arrays equal, ``seconds`` as stored); quantities come back from a store as their repr."""
    assert list(table.columns) == list(expected.columns) and len(table) == len(expected)
    for got, want in zip(table.to_dict("records"), expected.to_dict("records")):
        for name, value in want.items():
            if name == "seconds":
                continue
            if isinstance(value, xr.DataArray):
                xr.testing.assert_identical(got[name], value)
            elif np.ndim(value):
                assert isinstance(got[name], np.ndarray)
                np.testing.assert_array_equal(np.asarray(got[name]), np.asarray(value))
            elif hasattr(value, "dim"):  # (a recomputed row has the quantity itself)
                assert (got[name] if isinstance(got[name], str) else repr(got[name])) == repr(value)
            elif value is None or value != value:
                assert got[name] is None or got[name] != got[name]
            else:
                assert got[name] == value


def test_zarr_writers_at_once(tmp_path):
    """Threads writing the same points at once (as workers that both ran a point): every group finished and
    right, no temporary folder left; a group without its completion attribute is replaced."""
    store = sw.open_store(tmp_path / "s.zarr")
    store.create()
    rows = {f"k{n}": {"x": n, "seed": 0, "trace": np.arange(5.0) * n, "names": np.array(["a", "bc"]),
                      "error": None, "seconds": 0.5} for n in range(4)}
    start = threading.Barrier(12)

    def write(key):
        start.wait()
        store.write(key, rows[key])

    threads = [threading.Thread(target=write, args=(f"k{n % 4}",)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.name for p in (tmp_path / "s.zarr").iterdir()) == ["k0", "k1", "k2", "k3", "zarr.json"]
    for key, row in rows.items():
        got = store.read(key)
        assert list(got) == list(row) and got["x"] == row["x"] and got["error"] is None
        np.testing.assert_array_equal(got["trace"], row["trace"])
        assert got["names"].tolist() == ["a", "bc"]
    zarr.open_group(str(tmp_path / "s.zarr" / "k9"), mode="w").attrs["other"] = 1  # unfinished: not a point
    assert not store.has("k9")
    store.write("k9", rows["k1"])
    assert store.has("k9") and store.read("k9")["x"] == 1
    with pytest.raises(ModelError, match="'bad'.*cannot be stored"):
        store.write("k5", {"bad": object()})
    assert not store.has("k5") and not list((tmp_path / "s.zarr").glob(".tmp-*"))


def test_visible_gpus_and_gpu_ids(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 7")
    assert sw.visible_gpus() == ["2", "7"] and sw.gpu_ids(True) == ["2", "7"] and sw.gpu_ids(1) == ["2"]
    assert sw.gpu_ids(True, n_workers=1) == ["2"] and sw.gpu_ids("4,6") == ["4", "6"]
    assert sw.gpu_ids([0, 3]) == ["0", "3"]
    with pytest.raises(ModelError, match="one worker per GPU: n_workers=3"):
        sw.gpu_ids(True, n_workers=3)
    with pytest.raises(ModelError, match="gpus=3, but 2 GPU"):
        sw.gpu_ids(3)
    with pytest.raises(ModelError, match="twice"):
        sw.gpu_ids(["1", "1"])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,-1,3")  # CUDA stops at the first invalid entry
    assert sw.visible_gpus() == ["1"]
    for hidden in ("", "-1"):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        with pytest.raises(ModelError, match=f"no GPU visible: CUDA_VISIBLE_DEVICES='{hidden}' hides every device"):
            local_cluster(gpus=True)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setattr(sw.clusters, "_device_count", lambda: (0, "numba.cuda.is_available() is False"))
    with pytest.raises(ModelError, match=r"no GPU visible \(numba.cuda.is_available\(\) is False\)"):
        sweep(on_gpu, {"I": [1.0]}, backend="cuda", progress=False)
    monkeypatch.setattr(sw.clusters, "_device_count", lambda: (3, ""))
    assert sw.visible_gpus() == ["0", "1", "2"]


def test_the_gpu_cluster_gives_each_worker_its_own_gpu(monkeypatch):
    from distributed import Client

    monkeypatch.setitem(sys.modules, "dask_cuda", None)  # the cluster built without dask-cuda
    cluster = local_cluster(gpus=["3", "5"])
    try:
        assert sorted(cluster.worker_spec) == ["gpu-3", "gpu-5"]
        with Client(cluster) as c:
            seen = c.run(lambda: (os.environ.get("CUDA_VISIBLE_DEVICES"), os.environ.get("NUMBA_NUM_THREADS"),
                                  os.environ.get("OMP_NUM_THREADS")))
            assert sorted(seen.values()) == [("3", "1", "1"), ("5", "1", "1")]
            assert sorted(c.nthreads().values()) == [1, 1]
    finally:
        cluster.close()


def test_with_dask_cuda_the_gpu_cluster_is_a_local_cuda_cluster(monkeypatch):
    import types

    made = {}
    fake = types.ModuleType("dask_cuda")
    fake.LocalCUDACluster = lambda **kwargs: made.update(kwargs) or "cluster"
    monkeypatch.setitem(sys.modules, "dask_cuda", fake)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5,6")
    assert local_cluster(n_workers=2, gpus=True) == "cluster"
    nanny = made.pop("worker_class")
    assert made == {"CUDA_VISIBLE_DEVICES": ["3", "5"], "n_workers": 2, "threads_per_worker": 1,
                    "dashboard_address": ":0", "scheduler_kwargs": {"dashboard": False}}
    # dask-cuda gives each worker the env {"CUDA_VISIBLE_DEVICES": its GPUs}: the worker also gets WORKER_ENV
    env = nanny("tcp://127.0.0.1:1", env={"CUDA_VISIBLE_DEVICES": "5,3"}).env
    assert env["CUDA_VISIBLE_DEVICES"] == "5,3" and all(env[k] == v for k, v in sw.WORKER_ENV.items())


def on_gpu(I, backend):
    """4 neurons driven to threshold on the given backend; the worker's GPU and thread count."""
    G = sg.NeuronGroup(4, "dv/dt = (I - v)/(5*ms) : 1", threshold="v > 1", reset="v = 0", method="exact",
                       namespace={"I": I})
    m = sg.SpikeMonitor(G, record=False)
    sg.Network(G, m, dt=0.1 * ms, backend=backend).run(1 * ms)
    return {"spikes": int(m.num_spikes), "v": np.asarray(G.v), "backend": backend,
            "gpu": os.environ.get("CUDA_VISIBLE_DEVICES"), "threads": os.environ.get("NUMBA_NUM_THREADS")}


def test_a_cuda_sweep_runs_one_worker_per_gpu(monkeypatch):
    import cloudpickle

    import snngen.cuda

    if not snngen.cuda.available():
        pytest.skip("no CUDA device and no simulator")
    if snngen.cuda.simulator():  # the workers inherit the simulator; give them two fake GPUs
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    monkeypatch.setitem(sys.modules, "dask_cuda", None)
    gpus = set(sw.visible_gpus())
    grid = {"I": [2.0, 8.0, 20.0, 60.0]}
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    try:
        table = sweep(on_gpu, grid, backend="cuda", progress=False)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert table.error.isna().all() and (table.backend == "cuda").all() and (table.threads == "1").all()
    assert set(table.gpu) <= gpus
    for row in table.itertuples():
        ref = reference(on_gpu, {"I": row.I}, row.seed, backend="cuda")
        assert row.spikes == ref["spikes"]
        np.testing.assert_array_equal(row.v, ref["v"])
    assert table.spikes.nunique() > 2


def packed_or_not(x, backend, batch=None):
    return {"backend": [backend] * batch, "batch": [batch] * batch} if batch else {"backend": backend, "batch": batch}


def test_the_backend_argument(client):
    with pytest.raises(ModelError, match="backend must be None, 'cpu' or 'cuda'"):
        sweep(shaped, {"n": [1]}, backend="tpu")
    with pytest.raises(ModelError, match="'shaped' does not take it"):
        sweep(shaped, {"n": [1]}, backend="cuda")
    with pytest.raises(ModelError, match="'backend' is a parameter of the grid"):
        sweep(packed_or_not, {"x": [1], "backend": ["cpu"]}, backend="cpu")
    fn = sw.packable("x")(packed_or_not)
    with pytest.raises(ModelError, match="pack=True.*CUDA backend does not read per-copy values"):
        sweep(fn, {"x": [1.0, 2.0]}, backend="cuda", pack=True)
    cpu = sweep(fn, {"x": [1.0, 2.0]}, backend="cpu", client=client, progress=False)
    assert cpu.backend.tolist() == ["cpu", "cpu"] and cpu.batch.tolist() == [2, 2] and cpu.packed.tolist() == [2, 2]
    cuda = sweep(fn, {"x": [1.0, 2.0]}, backend="cuda", client=client, progress=False)  # (fn builds no network)
    assert cuda.backend.tolist() == ["cuda", "cuda"] and cuda.batch.isna().all() and "packed" not in cuda.columns
