"""BindsNET's ``examples/mnist/eth_mnist.py`` on snngen.ml: Diehl & Cook (2015)'s network learns MNIST without
labels (Diehl & Cook, Front Comput Neurosci 9:99; the name is from their ETH Zurich code).

Configuration (BindsNET's example): DiehlAndCook2015(784 inputs, 100 excitatory + 100 inhibitory neurons, exc 22.5,
inh 120, theta_plus 0.05, nu (1e-4, 1e-2), norm 78.4), Poisson input of rate pixel / 255 * 128 Hz, 250 ms per
image, the state reset between images, one pass, no re-presentation of quiet images.  Evaluation: each neuron
labelled from its spikes over the training images, the test images classified by all activity and proportion
weighting, learning frozen (snngen.ml.training.evaluate); BindsNET's example labels from the spikes recorded
while learning, which ``running`` reports (each block of 250 images classified with labels from the block before).

Data: full MNIST (60,000 / 10,000) when its files are in the data set cache (or --download), else the offline
MNIST5000, 4,000 train / 1,000 held out.

On record: 81 % all activity / 82 % proportion weighting (seed 0, 20,000 training / 10,000 test images, 7.8 h on
an RTX 2070, as recorded for BindsNET's example); users report 77-80 %.

    python examples/eth_mnist.py [--plots out/]
"""

from __future__ import annotations

import sys
import time

import _common as ex

from snngen.ml import DiehlAndCook2015, train_unsupervised

CONFIG = dict(n_neurons=100, exc=22.5, inh=120.0, theta_plus=0.05, nu=(1e-4, 1e-2), time=250.0, intensity=128.0,
              passes=1)
RECORD = "81 % all activity / 82 % proportion (BindsNET, 20,000 / 10,000 MNIST, RTX 2070, 7.8 h)"
QUICK = dict(n_train=300, n_test=200)


def run(args, cfg, tag, title, record, batch_size=1, batch_sync="step", data=None):
    """Train one pass and evaluate (the steps above) with ``batch_size`` images at once (``batch_sync``: see
    snngen.ml.Network); ``data``: ``(train, test, description)`` if already loaded.  Returns the results as a dict."""
    started = time.perf_counter()
    train, test, what = data or ex.load_data("mnist", args)
    ex.header(title, dict(cfg, batch_size=batch_size), what)
    net = DiehlAndCook2015(784, n_neurons=cfg["n_neurons"], exc=cfg["exc"], inh=cfg["inh"], nu=cfg["nu"],
                           norm=78.4, theta_plus=cfg["theta_plus"], batch_size=batch_size, batch_sync=batch_sync,
                           seed=args.seed, backend=args.backend)
    (r,) = train_unsupervised(net, train, test, passes=cfg["passes"], time=cfg["time"], intensity=cfg["intensity"],
                              min_spikes=0, batch_size=batch_size, progress=args.progress)
    running = "-" if r["running_accuracy"] is None else f"{r['running_accuracy']:.1f} %"
    print(f"  training {r['samples_per_second']:.0f} img/s ({r['train_seconds']:.1f} s), running accuracy {running}")
    acc = ex.result(f"{train.name} {tag} all activity", r["all_activity"], record)
    ex.result(f"{train.name} {tag} proportion weighting", r["proportion_weighting"], record)
    seconds = ex.footer(args, since=started, silent=f"{r['silent']:.1f} % of test images")
    ex.save_fields(args, net.connections[("X", "Ae")].w, f"{tag}-receptive-fields", f"{tag}: receptive fields")
    ex.save_assignments(args, r["assignments"], f"{tag}-assignments")
    return dict(accuracy=acc, proportion=r["proportion_weighting"], samples_per_second=r["samples_per_second"],
                seconds=seconds)


def main(argv=None):
    p = ex.parser(__doc__, QUICK)
    args, cfg = ex.parse(p, argv, CONFIG)
    return run(args, cfg, "eth_mnist", "eth_mnist: Diehl & Cook (2015), 100 neurons, unsupervised", RECORD)


if __name__ == "__main__":
    main(sys.argv[1:])
