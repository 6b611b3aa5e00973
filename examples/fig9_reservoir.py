"""Hazan et al. (2018), Front Neuroinform 12:89, Fig. 9: a spiking reservoir (liquid state machine) read out by a
logistic regression, on CIFAR-10 in the paper.

Configuration (the paper's): n_inpt inputs -> 625 LIF neurons (BindsNET's LIF defaults, each threshold
-52 + N(0, 1) mV), input weights N(0, 1), recurrent weights 0.5 N(0, 1), no learning; Poisson input of rate
pixel * 0.25 Hz (63.75 Hz for a white pixel), 250 ms per image; the reservoir's spike counts of 500 training and
500 test images feed a logistic regression (scikit-learn's, snngen.ml.LogisticReadout, where the paper trains
one with SGD, lr 0.1, 10 epochs).  The steps are those of ``reservoir.py`` (same code).

Data: CIFAR-10 (3x32x32 = 3,072 inputs) when its files are in the data set cache (or --download), else the
offline MNIST5000 (784 inputs; 500 of its 4,000 / 1,000 split).  On record: none (the paper shows the
reservoir's activity, not an accuracy).

    python examples/fig9_reservoir.py [--plots out/]
"""

from __future__ import annotations

import sys

import _common as ex
from reservoir import run

CONFIG = dict(n_neurons=625, w_in=1.0, w_rec=0.5, time=250.0, intensity=63.75)
QUICK = dict(n_train=100, n_test=100)


def main(argv=None):
    p = ex.parser(__doc__, QUICK, n_train=500, n_test=500)
    args, cfg = ex.parse(p, argv, CONFIG)
    return run(args, cfg, "fig9", "Fig. 9: a 625-neuron LIF reservoir, logistic readout (Hazan et al. 2018)",
               "cifar10", "none on record")


if __name__ == "__main__":
    main(sys.argv[1:])
