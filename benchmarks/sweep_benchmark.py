"""A 100-point CUBA sweep: a sequential loop against ``snngen.sweep.sweep`` on a local Dask cluster, without
and with packing on the batch axis.

    python benchmarks/sweep_benchmark.py [--grid 10] [--workers 2] [--neurons 4000] [--repeats 3]

The CUBA network of benchmarks/cuba_benchmark.py (4000 LIF, p = 0.02, 1 s at dt = 0.1 ms, exact
integration) at each point of a grid x grid over the excitatory weight (0.5 to 1.5 times 1.62 mV)
and the inhibitory weight (0.5 to 1.5 times -9 mV), seed 0 at each point.  The loop runs in this
process as a user would write it (snngen's default threads); the sweep on ``--workers``
single-threaded worker processes.  Each runs in a fresh kernel cache of its own, so each pays its
compile: the loop once, at its first point; the sweep once per worker, at the first point of each.
Then both again with every kernel loaded, ``--repeats`` times each (the loop's later passes; later sweeps on
the same workers; the median is reported).  Then the packed sweep on the same workers (``pack="auto"``: the 100
points differ only in the packable weights, so each worker runs one network of 50 copies): the first compiles
the batched network's code (once per worker), the next ``--repeats`` load it (median).  Reports wall
times, the first point against the median of the others, the speedups, and checks that every sweep
result equals the loop's.  Writes benchmarks/results/sweep.csv, with the load average.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
from pathlib import Path

from snngen.sweep import packable

RESULTS = Path(__file__).resolve().parent / "results"
WE, WI = 60 * 0.27 / 10, -20 * 4.5 / 10  # CUBA's weights, mV


@packable("we", "wi")
def cuba(we, wi, neurons=4000, batch=None):
    """CUBA with weights ``we``, ``wi`` (mV), 1 s: its spike count and mean rate (Hz); packed (``batch`` copies,
    ``we`` and ``wi`` one value per copy), the spike count and rate of each copy."""
    import snngen as sg
    from snngen.units import ms, mV, second

    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    n_exc = neurons * 4 // 5
    P = sg.NeuronGroup(neurons, """dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
                                   dge/dt = -ge/taue : volt
                                   dgi/dt = -gi/taui : volt""",
                       threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="exact",
                       namespace=dict(taum=taum, taue=taue, taui=taui, Vt=Vt, Vr=Vr, El=El))
    P.v = "Vr + rand()*(Vt - Vr)"
    Ce = sg.Synapses(P, P, on_pre="ge += we", namespace=dict(we=we * mV))
    Ci = sg.Synapses(P, P, on_pre="gi += wi", namespace=dict(wi=wi * mV))
    Ce.connect(f"i < {n_exc}", p=0.02)
    Ci.connect(f"i >= {n_exc}", p=0.02)
    s = sg.SpikeMonitor(P, record=False)
    sg.Network(P, Ce, Ci, s, dt=0.1 * ms, batch=batch).run(1 * second)
    spikes = s.count.sum(axis=-1)  # alone: the count; packed: (batch,), one per copy
    return {"spikes": spikes if batch else int(spikes), "rate": spikes / neurons / 1.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--neurons", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each warm measure (median)")
    args = parser.parse_args()
    scales = [0.5 + k / max(args.grid - 1, 1) for k in range(args.grid)]
    grid = {"we": [round(WE * a, 6) for a in scales], "wi": [round(WI * a, 6) for a in scales],
            "neurons": [args.neurons]}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as loop_cache, tempfile.TemporaryDirectory() as sweep_cache:
        loop, loop_times, loop_wall = run_loop(grid, loop_cache)
        loop_warms = [run_loop(grid, loop_cache)[2] for _ in range(args.repeats)]  # again: every kernel loaded
        cold, warm, cluster_s, sweep_wall, sweep_warms, packed, pack_wall, pack_warms = \
            run_sweep(grid, sweep_cache, args.workers, args.repeats)
    loop_warm, sweep_warm, pack_warm = (statistics.median(x) for x in (loop_warms, sweep_warms, pack_warms))
    load_after = os.getloadavg()
    equal = all((row.spikes, row.rate) == loop[k] for table in (cold, warm) + packed
                for k, row in enumerate(table.itertuples()))
    errors = int(sum(t.error.notna().sum() for t in (cold, warm) + packed))
    pack_sizes = " ".join(str(n) for n in sorted(set(packed[1].packed)))
    firsts = sorted(cold.seconds, reverse=True)[:args.workers]  # each worker's first point (it compiles)
    rows = [
        ("points", len(loop)), ("neurons", args.neurons), ("workers", args.workers),
        ("loop wall s, cold cache", loop_wall), ("loop first point s (compiles)", loop_times[0]),
        ("loop median other points s", statistics.median(loop_times[1:])),
        ("loop wall s, kernels loaded (median of later passes)", loop_warm),
        ("loop wall s, kernels loaded, each pass", _each(loop_warms)),
        ("cluster start s", cluster_s), ("sweep wall s, cold cache (cluster started)", sweep_wall),
        ("sweep slowest points s (each worker's first compiles)", " ".join(f"{t:.2f}" for t in firsts)),
        ("sweep median other points s (in the worker)", statistics.median(sorted(cold.seconds)[:-args.workers])),
        ("sweep wall s, kernels loaded (median of later sweeps)", sweep_warm),
        ("sweep wall s, kernels loaded, each sweep", _each(sweep_warms)),
        ("speedup cold, loop / sweep", loop_wall / sweep_wall),
        ("speedup cold, loop / (cluster start + sweep)", loop_wall / (cluster_s + sweep_wall)),
        ("speedup, kernels loaded, loop / sweep", loop_warm / sweep_warm),
        ("packed sweep: points per pack", pack_sizes),
        ("packed sweep wall s, first (compiles the batched code)", pack_wall),
        ("packed sweep wall s, kernels loaded (median of later packed sweeps)", pack_warm),
        ("packed sweep wall s, kernels loaded, each", _each(pack_warms)),
        ("speedup cold, loop / packed sweep", loop_wall / pack_wall),
        ("speedup, kernels loaded, loop / packed sweep", loop_warm / pack_warm),
        ("speedup, kernels loaded, sweep / packed sweep", sweep_warm / pack_warm),
        ("every sweep result equals the loop's", equal), ("points with errors", errors),
        ("mean rate Hz, min..max over the grid", f"{cold.rate.min():.2f}..{cold.rate.max():.2f}"),
        ("load average before (1, 5, 15 min)", " ".join(f"{x:.2f}" for x in load_before)),
        ("load average after (1, 5, 15 min)", " ".join(f"{x:.2f}" for x in load_after)),
        ("cpu count", os.cpu_count()),
    ]
    print(f"CUBA sweep, {len(loop)} points of {args.neurons} neurons, 1 s each: loop vs sweep on "
          f"{args.workers} workers, without and with packing")
    for name, value in rows:
        print(f"  {name:56} {value:.3f}" if isinstance(value, float) else f"  {name:56} {value}")
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "sweep.csv", "w", newline="") as f:
        csv.writer(f).writerows([("measure", "value")] + rows)
    if not equal or errors:
        raise SystemExit("the sweep's results differ from the loop's")


def run_loop(grid, cache):
    """The plain loop in this process: its results, each point's seconds, the wall time."""
    import snngen as sg
    from snngen.sweep import expand, fresh_names

    sg.prefs.cache_dir = cache
    results, times = [], []
    start = time.perf_counter()
    for point in expand(grid):
        t0 = time.perf_counter()
        fresh_names()  # as the sweep does at each point: the same code at every point, compiled once
        sg.seed(0)
        out = cuba(**point)
        times.append(time.perf_counter() - t0)
        results.append((out["spikes"], out["rate"]))
    return results, times, time.perf_counter() - start


def _each(times):
    return " ".join(f"{t:.3f}" for t in times)


def run_sweep(grid, cache, workers, repeats):
    """The sweep on a fresh local cluster with a fresh cache, then ``repeats`` times more on the same cluster;
    then the packed sweep 1 + ``repeats`` times on the same cluster."""
    from distributed import Client

    from snngen.sweep import local_cluster, sweep

    os.environ["SNNGEN_CACHE_DIR"] = cache  # the workers' kernel cache (they inherit the environment)
    t0 = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        cluster_s = time.perf_counter() - t0
        walls, tables = [], []
        for _ in range(1 + repeats):
            t0 = time.perf_counter()
            tables.append(sweep(cuba, grid, client=client, progress=False, pack=False))
            walls.append(time.perf_counter() - t0)
        packed, pack_walls = [], []
        for _ in range(1 + repeats):
            t0 = time.perf_counter()
            packed.append(sweep(cuba, grid, client=client, progress=False, pack=True))
            pack_walls.append(time.perf_counter() - t0)
    return tables[0], tables[1], cluster_s, walls[0], walls[1:], tuple(packed), pack_walls[0], pack_walls[1:]


if __name__ == "__main__":
    main()
