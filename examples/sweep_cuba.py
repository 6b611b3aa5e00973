"""The CUBA network over a 10 x 10 grid of excitatory and inhibitory weights, 4 seeds each, with snngen.sweep.

    python examples/sweep_cuba.py [--quick] [--no-pack] [--workers N] [--store DIR] [--out sweep_cuba.png]

CUBA (Vogels & Abbott 2005; benchmarks/cuba_benchmark.py): 4000 LIF neurons, 1 s, with the
excitatory weight from 0.5 to 1.5 times 1.62 mV and the inhibitory one from 0.5 to 1.5 times -9 mV.
Each of the 400 runs returns the mean rate (Hz) and the mean coefficient of variation of the
inter-spike intervals (over the neurons with at least 3 spikes).  Plots both, averaged over the
seeds, as heat maps.  ``--quick``: a 3 x 3 grid, 2 seeds, 1000 neurons.  ``--store DIR`` keeps the
finished runs there: run it again and only the missing ones are computed.

Packing: the weights are declared packable (``@packable("we", "wi")``), so the
points of one seed run as the copies of one batched network (``Network(..., batch=B)``), each copy reading
its own ``we`` and ``wi`` and drawing the random numbers of its point's own run: every value equals the
unpacked sweep's (``--no-pack`` runs each point alone, to compare).  In a batched network the SpikeMonitor
records every copy: ``s.count`` is ``(B, N)`` and ``s.copy`` gives each spike's copy, from which each
copy's rate and ISI CV are computed.  ``--grid``, ``--seeds``, ``--neurons`` and ``--duration`` change the
sizes.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import run_sweep, sweep_options

from snngen.sweep import packable

WE, WI = 60 * 0.27 / 10, -20 * 4.5 / 10  # CUBA's weights, mV


@packable("we", "wi")  # the parameters that a packed sweep gives one value per copy
def cuba(we, wi, neurons=4000, duration=1.0, batch=None):
    """CUBA with weights ``we``, ``wi`` (mV) for ``duration`` s: the mean rate (Hz) and the mean ISI CV.
    Packed (``batch`` copies, ``we`` and ``wi`` one value per copy): a list of each, copy b's at b."""
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
    sg.Network(P, Ce, Ci, s, dt=0.1 * ms, batch=batch).run(duration * second)
    i, t = s.it_
    spikes = s.count.sum(axis=-1)  # alone: the count; batched: (batch,), one per copy
    if batch is None:
        return {"rate": int(spikes) / neurons / duration, "cv": isi_cv(i, t)}
    return {"rate": [int(n) / neurons / duration for n in spikes],
            "cv": [isi_cv(i_b, t_b) for i_b, t_b in per_copy(s.copy, batch, i, t)]}  # s.copy: each spike's copy


def isi_cv(i, t):
    """The mean over the neurons with at least 3 spikes of std/mean of their inter-spike intervals."""
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    same = i[1:] == i[:-1]
    isi, who = np.diff(t)[same], i[1:][same]  # each neuron's intervals, together (who is sorted)
    if not len(isi):
        return float("nan")
    _, first, n = np.unique(who, return_index=True, return_counts=True)
    mean = np.add.reduceat(isi, first) / n
    std = np.sqrt(np.add.reduceat((isi - np.repeat(mean, n)) ** 2, first) / n)
    keep = (n >= 2) & (mean > 0)
    return float(np.mean(std[keep] / mean[keep])) if keep.any() else float("nan")


def per_copy(copy, batch, *arrays):
    """``arrays`` (one value per spike) split by the copy of each spike: a list of ``batch`` tuples."""
    order = np.argsort(copy, kind="stable")
    bounds = np.searchsorted(copy[order], np.arange(1, batch))
    return list(zip(*(np.split(a[order], bounds) for a in arrays)))


def main(argv=None, client=None):
    """Run the sweep (on ``client``, a ``distributed.Client``, if given; else a local cluster), print the
    means over the seeds, write the heat maps; returns the sweep's table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 x 3 grid, 2 seeds, 1000 neurons")
    parser.add_argument("--no-pack", action="store_true", help="run every point alone (pack=False), to compare")
    parser.add_argument("--grid", type=int, default=None, help="points per weight (default 10; --quick 3)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 1..N (default 4; --quick 2)")
    parser.add_argument("--neurons", type=int, default=None, help="network size (default 4000; --quick 1000)")
    parser.add_argument("--duration", type=float, default=1.0, help="simulated time per run, s (%(default)s)")
    sweep_options(parser, "sweep_cuba.png")
    args = parser.parse_args(argv)

    size, n_seeds, neurons = (3, 2, 1000) if args.quick else (10, 4, 4000)
    size, n_seeds, neurons = args.grid or size, args.seeds or n_seeds, args.neurons or neurons
    scales = np.linspace(0.5, 1.5, size)
    grid = {"we": [round(WE * a, 6) for a in scales], "wi": [round(WI * a, 6) for a in scales],
            "neurons": [neurons], "duration": [args.duration]}
    seeds = list(range(1, n_seeds + 1))
    options = dict(seeds=seeds, store=args.store, pack=False if args.no_pack else "auto",
                   progress=not args.no_progress)
    table, wall = run_sweep(cuba, grid, client, args.workers, **options)
    packs = "not packed" if args.no_pack else \
        f"packs of {', '.join(str(n) for n in sorted(set(table.packed)))} points (1: alone)"
    print(f"{len(table)} runs ({size} x {size} weights, {n_seeds} seeds, {neurons} neurons, {args.duration} s): "
          f"{wall:.1f} s, {packs}")
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
    plt.close(fig)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
