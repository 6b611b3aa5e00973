"""Packing a sweep's points onto the batch axis (snngen.sweep, pack="auto"), and the engine under it:
PerCopy namespace values (copy b's code reads its b-th value) and copy_random="same" (every copy draws
the unbatched network's random numbers).

The bar: every packed result equals the sequential run of the same point and seed, exactly (random
connectivity, random initial values and random input spikes during the run included); what cannot be
packed is refused, never run with other numbers.  Lean: a few small networks, an in-process Dask client.
"""

import numpy as np
import pytest

import snngen as sg
from snngen.errors import ModelError
from snngen.runtime.batch import PerCopy, packing
from snngen.sweep import expand, fresh_names, pack_task, packable, packs, run_pack
from snngen.units import Hz, ms, mV


@packable("we", "wi")
def cuba(we, wi, rate=20.0, batch=None):
    """A 200-neuron CUBA (random connectivity, random initial v) with Poisson input drawn during the run,
    60 ms: spike counts per neuron, the total, and the final v."""
    P = sg.NeuronGroup(200, """dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
                               dge/dt = -ge/taue : volt
                               dgi/dt = -gi/taui : volt""",
                       threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="exact",
                       namespace=dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV))
    P.v = "Vr + rand()*(Vt - Vr)"
    Ce = sg.Synapses(P, P, on_pre="ge += we", namespace=dict(we=we * mV))
    Ci = sg.Synapses(P, P, on_pre="gi += wi", namespace=dict(wi=wi * mV))
    Ce.connect("i < 160", p=0.1)
    Ci.connect("i >= 160", p=0.1)
    X = sg.PoissonInput(P, "ge", 20, rate * Hz, weight="0.5*mV")  # random input drawn during the run
    s = sg.SpikeMonitor(P, record=False)
    sg.Network(P, Ce, Ci, X, s, dt=0.1 * ms, batch=batch).run(60 * ms)
    count = np.asarray(s.count)  # (200,) alone, (batch, 200) packed
    return {"total": count.sum(axis=-1), "count": list(count) if batch else count, "v": np.asarray(P.v_)}


def alone(fn, point, seed):
    fresh_names()
    sg.seed(seed)
    return fn(**point)


def test_packed_points_equal_their_sequential_runs():
    points = expand({"we": [1.0, 2.4], "wi": [-9.0, -4.0]})
    rows, packed = run_pack(cuba, points, 3, False, ("we", "wi"), forced=True)
    assert packed == 4 and all(row["error"] is None for row in rows)
    totals = set()
    for point, row in zip(points, rows):
        ref = alone(cuba, point, 3)
        assert row["total"] == ref["total"]
        np.testing.assert_array_equal(row["count"], ref["count"])
        np.testing.assert_array_equal(row["v"], ref["v"])
        totals.add(row["total"])
    assert len(totals) == 4  # the points differ
    # another seed, another rate (not packed), 3 points (the last one repeated: 4 copies, compiled above)
    other = [{"we": 1.62, "wi": -9.0, "rate": 60.0}, {"we": 2.0, "wi": -9.0, "rate": 60.0},
             {"we": 2.0, "wi": -4.5, "rate": 60.0}]
    rows = pack_task(cuba, other, 4, False, ("we", "wi"), True, size=4)
    assert len(rows) == 3 and [row["packed"] for row in rows] == [3, 3, 3]
    for point, row in zip(other, rows):
        assert (row["we"], row["wi"], row["seed"]) == (point["we"], point["wi"], 4)
        np.testing.assert_array_equal(row["v"], alone(cuba, point, 4)["v"])


def test_per_copy_values_reach_their_copies():
    """v relaxes to a with time constant tau (both per copy: a run constant exp(-dt/tau) of each copy's own),
    plus w (per copy) at the input spike: v(T) = a (1 - exp(-T/tau)) + w exp(-(T - 5.1 ms)/tau)."""
    a, tau, w = np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 10.0, 20.0, 40.0]), np.array([0.5, 0.0, -1.0, 2.0])
    G = sg.NeuronGroup(2, "dv/dt = (a - v)/tau : volt", method="exact",
                       namespace=dict(a=PerCopy(a) * mV, tau=ms * PerCopy(tau)))
    S = sg.SpikeGeneratorGroup(1, [0], [5 * ms])
    C = sg.Synapses(S, G, on_pre="v += w", namespace={"w": PerCopy(w) * mV})
    C.connect()
    sg.Network(G, S, C, dt=0.1 * ms, batch=4).run(10 * ms)
    T = 10.0
    expected = a * (1 - np.exp(-T / tau)) + w * np.exp(-(T - 5.1) / tau)  # (added after step 50)
    np.testing.assert_allclose(G.v_ / 1e-3, np.repeat(expected[:, None], 2, axis=1), rtol=1e-9)


def test_a_sweep_packs_and_equals_the_sequential_runs():
    pytest.importorskip("distributed")
    pytest.importorskip("pandas")
    from distributed import Client

    from snngen.sweep import sweep

    grid = {"we": [1.0, 2.4], "wi": [-9.0, -4.0], "rate": [20.0]}
    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        table = sweep(cuba, grid, seeds=[3, 5], client=client, progress=False)
        off = sweep(cuba, {"we": [1.0], "wi": [-9.0]}, client=client, progress=False, pack=False)
    assert list(table.columns) == ["we", "wi", "rate", "seed", "total", "count", "v", "error", "seconds", "packed"]
    assert table.error.isna().all() and (table.packed == 4).all()  # a pack per seed
    for row in table.itertuples():
        ref = alone(cuba, {"we": row.we, "wi": row.wi, "rate": row.rate}, row.seed)
        assert row.total == ref["total"]
        np.testing.assert_array_equal(row.v, ref["v"])
    assert "packed" not in off.columns


def test_grouping_into_packs():
    tasks = [(p, s) for p in expand({"a": [1, 2, 3, 4], "b": [0, 1]}) for s in (7, 8)]
    tasks += [({"a": True, "b": 0}, 7), ({"a": 2 * mV, "b": 0}, 7), ({"a": 3 * mV, "b": 0}, 7), ({"b": 0}, 7)]
    groups = packs(tasks, range(len(tasks)), ("a",), workers=1)
    for g in groups:  # one seed, one b, one unit per pack
        assert len({tasks[n][1] for n in g}) == 1 and len({tasks[n][0]["b"] for n in g}) == 1
        assert len({repr(sg.units.get_dimensions(tasks[n][0].get("a", 0))) for n in g}) == 1
    assert sorted(len(g) for g in groups) == [1, 1, 2, 4, 4, 4, 4]  # a bool and a missing 'a' alone; mV apart
    assert sorted(n for g in groups for n in g) == list(range(len(tasks)))
    split = packs(tasks[:16], range(16), ("a",), workers=8)  # 4 groups of 4 over 8 workers: packs of 2
    assert sorted(len(g) for g in split) == [2] * 8
    assert sorted(len(g) for g in packs(tasks[:16], range(16), ("a",), workers=1, pack_size=3)) == [2] * 8


def sums(x, y, batch=None):
    return {"total": x + y}


def test_what_cannot_be_packed_is_refused():
    p = PerCopy([1.0, 2.0])
    for use in (float, bool, np.asarray, lambda v: v > 0, lambda v: v == 1, lambda v: f"{v}", lambda v: v[0],
                lambda v: p * np.ones(3)):
        with pytest.raises(TypeError):
            use(p)
    with pytest.raises(ModelError, match="batch=2"):  # a per-copy value in an unbatched network
        G = sg.NeuronGroup(1, "dv/dt = -v/tau : 1", namespace={"tau": p * ms})
        sg.Network(G, dt=0.1 * ms).run(1 * ms)
    with pytest.raises(ModelError, match="2 values.*batch=3"):
        G = sg.NeuronGroup(1, "dv/dt = -v/tau : 1", namespace={"tau": p * ms})
        sg.Network(G, dt=0.1 * ms, batch=3).run(1 * ms)
    G = sg.NeuronGroup(3, "v : 1", namespace={"x": p})
    with pytest.raises(ModelError, match="initial values"):
        G.v = "x"
    S = sg.Synapses(G, G, namespace={"x": p})
    with pytest.raises(ModelError, match="connectivity"):
        S.connect(p="x")
    with pytest.raises(ModelError, match="connectivity"):
        S.connect("i < x")
    with packing(2):  # in a pack: copies drawing their own numbers, or changing each other, are refused
        with pytest.raises(ModelError, match="copy_random"):
            sg.Network(G, copy_random="independent")
        S2 = sg.Synapses(G, G, "w : 1", on_pre="w += 1")
        S2.batch_shared = {"w": "mean"}
        with pytest.raises(ModelError, match="batch_shared"):
            sg.Network(G, S2, dt=0.1 * ms, batch=2).run(1 * ms)
    with pytest.raises(ModelError, match="batch="):
        packable("x")(lambda x: x)
    with pytest.raises(ModelError, match="pack=True"):
        from snngen.sweep import sweep

        sweep(lambda x: x, {"x": [1]}, pack=True)


def test_a_packed_call_that_fails_runs_its_points_alone():
    @packable("x")
    def scalar_only(x, batch=None):
        return {"twice": 2 * float(x)}  # float() of a PerCopy raises: the pack falls back

    points = [{"x": 1.0}, {"x": 2.5}]
    rows = pack_task(scalar_only, points, 0, False, ("x",), forced=False)
    assert [r["twice"] for r in rows] == [2.0, 5.0] and [r["packed"] for r in rows] == [1, 1]
    forced = pack_task(scalar_only, points, 0, False, ("x",), forced=True)
    assert all("packed call of 2 points" in r["error"] and "TypeError" in r["error"] for r in forced)
    rows = pack_task(packable("x", "y")(sums), [{"x": 1, "y": 2}, {"x": 3, "y": 2}], 0, False, ("x", "y"), True)
    assert [r["total"] for r in rows] == [3.0, 5.0] and [r["packed"] for r in rows] == [2, 2]


def test_cuda_refuses_per_copy_values():
    import snngen.cuda

    if not snngen.cuda.available():
        pytest.skip("no CUDA device and no simulator")
    G = sg.NeuronGroup(2, "dv/dt = -v/tau : 1", namespace={"tau": PerCopy([5.0, 10.0]) * ms})
    with pytest.raises(ModelError, match="CUDA backend does not read per-copy values"):
        sg.Network(G, dt=0.1 * ms, batch=2, backend="cuda").run(1 * ms)
