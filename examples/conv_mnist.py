"""BindsNET's ``examples/mnist/conv_mnist.py`` on snngen.ml: a spiking convolution layer learns MNIST features with
STDP, its filters competing at each location.

Configuration (BindsNET's example): Input 1x28x28 -> Conv2dConnection (kernel 16, stride 4, no padding, 25 filters,
weights U(0, 1) kept at most 1, PostPre with nu (1e-4, 1e-2), each filter normalised to 0.4 * 16^2 = 102.4) ->
DiehlAndCookNodes of shape 25x4x4 (400 nodes, BindsNET's defaults: threshold -52 + theta, theta_plus 0.05), and a
recurrent Connection of -100 from each node to the nodes of the other 24 filters at the same location (the
filters' competition); Poisson input of rate pixel / 255 * 128 Hz, 50 ms per image, one pass, learning as
snngen.ml.train_unsupervised does it (no re-presentation of quiet images).

BindsNET's example only trains; here the 400 conv nodes are also labelled from their spikes over the training
images and the test images classified by all activity and proportion weighting, learning frozen
(snngen.ml.training.evaluate), to give the features a number; and, since a feature is no class detector, a
logistic regression on the same spike counts (snngen.ml.LogisticReadout) too.

Data: full MNIST (60,000 / 10,000) when its files are in the data set cache (or --download), else the offline
MNIST5000, 4,000 train / 1,000 held out.  On record: none (BindsNET's example reports no accuracy).

    python examples/conv_mnist.py [--plots out/]
"""

from __future__ import annotations

import os
import sys

import _common as ex
import numpy as np

from snngen.ml import train_unsupervised
from snngen.ml.learning import PostPre
from snngen.ml.network import Network
from snngen.ml.nodes import DiehlAndCookNodes, Input
from snngen.ml.topology import Connection, Conv2dConnection

CONFIG = dict(kernel_size=16, stride=4, n_filters=25, inh=100.0, time=50.0, intensity=128.0, passes=1)
QUICK = dict(n_train=300, n_test=200)


def conv_network(kernel_size, stride, n_filters, inh, seed=0, backend="cpu"):
    """``X`` (1x28x28) -> ``Y`` (filters x side x side DiehlAndCookNodes) by a learning convolution, and ``Y -> Y``
    ``-inh`` between different filters at the same location."""
    side = (28 - kernel_size) // stride + 1
    net = Network(dt=1.0, seed=seed, backend=backend)
    x = Input(n=784, shape=(1, 28, 28), traces=True)
    y = DiehlAndCookNodes(shape=(n_filters, side, side), traces=True)
    w = np.random.default_rng(seed).random((n_filters, 1, kernel_size, kernel_size))
    conv = Conv2dConnection(x, y, kernel_size=kernel_size, stride=stride, w=w, update_rule=PostPre, nu=(1e-4, 1e-2),
                            wmax=1.0, norm=0.4 * kernel_size ** 2)
    filt, loc = np.divmod(np.arange(y.n), side * side)  # node (f, i, j) is f * side^2 + i * side + j
    rivals = (loc[:, None] == loc[None, :]) & (filt[:, None] != filt[None, :])
    net.add_layer(x, name="X")
    net.add_layer(y, name="Y")
    net.add_connection(conv, source="X", target="Y")
    net.add_connection(Connection(y, y, w=np.where(rivals, -inh, 0.0)), source="Y", target="Y")
    return net


def main(argv=None):
    p = ex.parser(__doc__, QUICK)
    args, cfg = ex.parse(p, argv, CONFIG)
    train, test, data = ex.load_data("mnist", args)
    ex.header("conv_mnist: a spiking convolution layer learns MNIST features", cfg, data)
    net = conv_network(cfg["kernel_size"], cfg["stride"], cfg["n_filters"], cfg["inh"], args.seed, args.backend)
    (r,) = train_unsupervised(net, train, test, passes=cfg["passes"], time=cfg["time"], intensity=cfg["intensity"],
                              layer="Y", min_spikes=0, progress=args.progress)
    print(f"  training {r['samples_per_second']:.0f} img/s, {np.mean(r['train_counts'].sum(axis=1)):.1f} conv spikes "
          f"per image, {np.mean(r['assignments'] >= 0) * 100:.0f} % of the nodes labelled")
    acc = ex.result(f"{train.name} conv layer all activity", r["all_activity"], "none on record")
    ex.result(f"{train.name} conv layer proportion weighting", r["proportion_weighting"], "none on record")
    readout = ex.fit_readout(r["train_counts"], train.labels)
    ex.result(f"{train.name} conv layer + logistic readout", 100 * readout.score(r["test_counts"], test.labels),
              "none on record")
    seconds = ex.footer(args, silent=f"{r['silent']:.1f} % of test images")
    if ex.picture_dir(args):
        from snngen.ml.plotting import plot_conv2d_weights, save

        path = save(plot_conv2d_weights(net.connections[("X", "Y")].w, wmin=0.0, title="25 learned 16x16 kernels"),
                    os.path.join(args.plots, "conv_mnist-kernels.png"), dpi=110)
        print(f"  picture {path}")
    ex.save_assignments(args, r["assignments"], "conv_mnist-assignments")
    return dict(accuracy=acc, proportion=r["proportion_weighting"], seconds=seconds,
                kernels=np.array(net.connections[("X", "Y")].w))


if __name__ == "__main__":
    main(sys.argv[1:])
