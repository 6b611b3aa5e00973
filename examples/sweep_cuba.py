"""The CUBA network over a 10 x 10 grid of excitatory and inhibitory weights, 4 seeds each, with snngen.sweep.

    python examples/sweep_cuba.py [--quick] [--workers N] [--store DIR] [--out sweep_cuba.png]

CUBA (Vogels & Abbott 2005; benchmarks/cuba_benchmark.py): 4000 LIF neurons, 1 s, with the
excitatory weight from 0.5 to 1.5 times 1.62 mV and the inhibitory one from 0.5 to 1.5 times -9 mV.
Each of the 400 runs returns the mean rate (Hz) and the mean coefficient of variation of the
inter-spike intervals (over the neurons with at least 3 spikes).  Plots both, averaged over the
seeds, as heat maps.  ``--quick``: a 3 x 3 grid, 2 seeds, 1000 neurons.  ``--store DIR`` keeps the
finished runs there: run it again and only the missing ones are computed.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

WE, WI = 60 * 0.27 / 10, -20 * 4.5 / 10  # CUBA's weights, mV


def cuba(we, wi, neurons=4000):
    """CUBA with weights ``we``, ``wi`` (mV) for 1 s: the mean rate (Hz) and the mean ISI CV."""
    import snngen as sg
    from snngen.units import ms, mV, second

    n_exc = neurons * 4 // 5
    P = sg.NeuronGroup(neurons, """dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
                                   dge/dt = -ge/taue : volt
                                   dgi/dt = -gi/taui : volt""",
                       threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="exact",
                       namespace=dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV,
                                      El=-49 * mV))
    P.v = "Vr + rand()*(Vt - Vr)"
    Ce = sg.Synapses(P, P, on_pre="ge += we", namespace=dict(we=we * mV))
    Ci = sg.Synapses(P, P, on_pre="gi += wi", namespace=dict(wi=wi * mV))
    Ce.connect(f"i < {n_exc}", p=0.02)
    Ci.connect(f"i >= {n_exc}", p=0.02)
    s = sg.SpikeMonitor(P)
    sg.Network(P, Ce, Ci, s, dt=0.1 * ms).run(1 * second)
    return {"rate": s.num_spikes / neurons / 1.0, "cv": isi_cv(*s.it_)}


def isi_cv(i, t):
    """The mean over the neurons with at least 3 spikes of std/mean of their inter-spike intervals."""
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    same = i[1:] == i[:-1]
    isi, who = np.diff(t)[same], i[1:][same]
    cvs = []
    for n in np.unique(who):
        d = isi[who == n]
        if len(d) >= 2 and d.mean() > 0:
            cvs.append(d.std() / d.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 x 3 grid, 2 seeds, 1000 neurons")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--store", default=None, help="a folder keeping the finished runs (resume)")
    parser.add_argument("--out", default="sweep_cuba.png")
    args = parser.parse_args(argv)
    from distributed import Client

    from snngen.sweep import local_cluster, sweep

    size, seeds, neurons = (3, [1, 2], 1000) if args.quick else (10, [1, 2, 3, 4], 4000)
    scales = np.linspace(0.5, 1.5, size)
    grid = {"we": [round(WE * a, 6) for a in scales], "wi": [round(WI * a, 6) for a in scales],
            "neurons": [neurons]}
    with local_cluster(args.workers) as cluster, Client(cluster) as client:
        table = sweep(cuba, grid, seeds=seeds, client=client, store=args.store)
    failed = table[table.error.notna()]
    if len(failed):
        print(f"{len(failed)} runs failed, e.g. {failed.error.iloc[0]}", file=sys.stderr)
    means = table.groupby(["we", "wi"])[["rate", "cv"]].mean()
    print(means.round(3).to_string())
    plot(means, grid, args.out)
    return table


def plot(means, grid, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, name, label in zip(axes, ("rate", "cv"), ("mean rate (Hz)", "mean ISI CV")):
        image = means[name].unstack("wi").loc[grid["we"], grid["wi"]].to_numpy()
        shown = ax.imshow(image, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(grid["wi"])), [f"{w:.1f}" for w in grid["wi"]], rotation=90)
        ax.set_yticks(range(len(grid["we"])), [f"{w:.2f}" for w in grid["we"]])
        ax.set_xlabel("inhibitory weight wi (mV)")
        ax.set_ylabel("excitatory weight we (mV)")
        ax.set_title(label)
        fig.colorbar(shown, ax=ax)
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
