"""BindsNET's ``examples/mnist/reservoir.py`` on snngen.ml: a random spiking reservoir read out by a logistic
regression.

Configuration (BindsNET's example): 784 inputs -> 500 LIF neurons (BindsNET's LIF defaults, each threshold
-52 + N(0, 1) mV), input weights 0.5 N(0, 1), recurrent weights 0.5 N(0, 1), no learning; Poisson input of rate
pixel / 255 * 64 Hz, 250 ms per image; the reservoir's spike counts of 500 training and 500 test images.  The
readout is scikit-learn's logistic regression on the counts (snngen.ml.LogisticReadout), where BindsNET's example
fits a sigmoid layer on the whole spike trains with SGD (lr 1e-4, momentum 0.9, 100 epochs).

Data: MNIST when its files are in the data set cache (or --download), else the offline MNIST5000 (500 of its
4,000 / 1,000 split).  On record: none (BindsNET's example prints an accuracy but none is published).

    python examples/reservoir.py [--plots out/]
"""

from __future__ import annotations

import os
import sys

import _common as ex
import numpy as np

from snngen.ml import Connection, Input, LIFNodes, Network, SpikeCounter, collect_counts

CONFIG = dict(n_neurons=500, w_in=0.5, w_rec=0.5, time=250.0, intensity=64.0)
QUICK = dict(n_train=100, n_test=100)


def reservoir(n_inpt, n_neurons, w_in, w_rec, seed=0, backend="cpu"):
    """``X`` (inputs) -> ``Y`` (LIF, thresholds -52 + N(0, 1)) with weights ``w_in N(0, 1)`` and ``Y -> Y``
    ``w_rec N(0, 1)``; nothing learns."""
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0, seed=seed, backend=backend)
    x, y = Input(n=n_inpt), LIFNodes(n=n_neurons, thresh=-52.0 + rng.standard_normal(n_neurons))
    net.add_layer(x, name="X")
    net.add_layer(y, name="Y")
    net.add_connection(Connection(x, y, w=w_in * rng.standard_normal((x.n, y.n))), source="X", target="Y")
    net.add_connection(Connection(y, y, w=w_rec * rng.standard_normal((y.n, y.n))), source="Y", target="Y")
    return net


def run(args, cfg, tag, title, dataset, record):
    """Build the reservoir, count its spikes, fit and test the readout; returns the results as a dict."""
    train, test, data = ex.load_data(dataset, args)
    ex.header(title, cfg, data)
    net = reservoir(int(np.prod(train.shape)), cfg["n_neurons"], cfg["w_in"], cfg["w_rec"], args.seed, args.backend)
    counter = SpikeCounter(net, "Y", cfg["time"])
    counts = {part: collect_counts(net, images, cfg["time"], counter, learn=False, intensity=cfg["intensity"])
              for part, images in (("train", train), ("test", test))}
    readout = ex.fit_readout(counts["train"], train.labels)
    fit = 100 * readout.score(counts["train"], train.labels)
    acc = ex.result(f"{train.name} reservoir + logistic readout", 100 * readout.score(counts["test"], test.labels),
                    record)
    rate = counts["test"].mean() / cfg["time"] * 1000
    seconds = ex.footer(args, mean_rate=f"{rate:.1f} Hz", training_fit=f"{fit:.1f} %")
    ex.save_fields(args, net.connections[("X", "Y")].w, f"{tag}-input-weights", "input weights of the reservoir",
                   side=train.shape[-1], cmap="coolwarm")
    if ex.picture_dir(args):
        from snngen.ml.plotting import plot_weights, save

        path = save(plot_weights(readout.model.coef_, title="readout weights (class x neuron)", cmap="coolwarm",
                                 figsize=(9, 3)), os.path.join(args.plots, f"{tag}-readout.png"), dpi=110)
        print(f"  picture {path}")
    return dict(accuracy=acc, seconds=seconds, rate=rate)


def main(argv=None):
    p = ex.parser(__doc__, QUICK, n_train=500, n_test=500)
    args, cfg = ex.parse(p, argv, CONFIG)
    return run(args, cfg, "reservoir", "reservoir: a random LIF reservoir, logistic readout", "mnist",
               "none on record")


if __name__ == "__main__":
    main(sys.argv[1:])
