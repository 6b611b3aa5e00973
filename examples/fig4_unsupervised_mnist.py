"""Hazan et al. (2018), Front Neuroinform 12:89, Fig. 4: unsupervised learning of MNIST digits by the network of
Diehl & Cook (2015), Front Comput Neurosci 9:99.

Configuration (``--recipe fig4``, the default): DiehlAndCook2015(784 inputs, 400 excitatory + 400 inhibitory
neurons, exc 22.5, inh 17.5, norm 78.4, theta_plus 0.05 mV), Poisson input of rate pixel * 0.25 Hz (intensity
63.75 Hz for a white pixel), 350 ms per image, the state reset between images, one pass over the training
images; an image giving fewer than 5 spikes is shown again 32 Hz brighter (Diehl & Cook, section 2.4).  Neurons
are labelled from their spikes over the training images and the test images classified by all activity and
proportion weighting, learning frozen (snngen.ml.training).

``--recipe demo`` uses the settings of ``snngen demo`` instead (inh 120, theta_plus 0.2, 250 ms at intensity
128, 3 passes with the learning rates and threshold increment halved each pass).

Data: full MNIST (60,000 / 10,000) when its files are in the data set cache (or with --download), else the
offline MNIST5000, 4,000 train / 1,000 held out.

On record: Hazan et al. give no accuracy for Fig. 4; Diehl & Cook (2015) report 87.0 % for 400 neurons (60,000
images x 3 passes, 10,000 test images), and 82.9 / 91.9 / 95.0 % for 100 / 1,600 / 6,400.

    python examples/fig4_unsupervised_mnist.py [--recipe demo] [--plots out/]
"""

from __future__ import annotations

import sys

import _common as ex

from snngen.ml import DiehlAndCook2015, train_unsupervised
from snngen.ml.demo import DEFAULTS as DEMO

RECIPES = {
    "fig4": dict(n_neurons=400, exc=22.5, inh=17.5, theta_plus=0.05, intensity=63.75, time=350.0, passes=1,
                 anneal=1.0),
    "demo": {k: DEMO[k] for k in ("n_neurons", "exc", "inh", "theta_plus", "intensity", "time", "passes", "anneal")},
}
RECORD = "87.0 % (Diehl & Cook 2015, 400 neurons, MNIST 60,000 x 3 passes / 10,000)"
# --quick at 250 ms: snngen.ml compiles a loop per presentation time, and the tests share eth_mnist's (README)
QUICK = dict(n_train=300, n_test=200, n_neurons=36, time=250.0)


def main(argv=None):
    p = ex.parser(__doc__, QUICK)
    p.add_argument("--recipe", choices=sorted(RECIPES), default="fig4", help="the settings (%(default)s)")
    for name in RECIPES["fig4"]:
        p.add_argument("--" + name.replace("_", "-"), type=type(RECIPES["fig4"][name]), default=None,
                       help="override the recipe's value")
    p.add_argument("--min-spikes", type=int, default=5, help="fewer spikes: show the image again (%(default)s)")
    args, _ = ex.parse(p, argv)
    cfg = {k: v if getattr(args, k) is None else getattr(args, k) for k, v in RECIPES[args.recipe].items()}
    train, test, data = ex.load_data("mnist", args)
    ex.header(f"Fig. 4: Diehl & Cook (2015) learns MNIST without labels (recipe {args.recipe})", cfg, data)
    net = DiehlAndCook2015(784, n_neurons=cfg["n_neurons"], exc=cfg["exc"], inh=cfg["inh"], norm=78.4,
                           theta_plus=cfg["theta_plus"], seed=args.seed, backend=args.backend)
    history = train_unsupervised(net, train, test, passes=cfg["passes"], time=cfg["time"],
                                 intensity=cfg["intensity"], anneal=cfg["anneal"], min_spikes=args.min_spikes,
                                 progress=args.progress)
    last = history[-1]
    for r in history:
        print(f"  pass {r['pass']}: {r['samples_per_second']:.0f} img/s, held out: all activity "
              f"{r['all_activity']:.1f} %, proportion weighting {r['proportion_weighting']:.1f} %")
    acc = ex.result(f"{train.name} recipe {args.recipe} all activity", last["all_activity"], RECORD)
    ex.result(f"{train.name} recipe {args.recipe} proportion weighting", last["proportion_weighting"], RECORD)
    seconds = ex.footer(args, silent=f"{last['silent']:.1f} % of test images")
    ex.save_fields(args, net.connections[("X", "Ae")].w, f"fig4-{args.recipe}-receptive-fields",
                   f"{cfg['n_neurons']} receptive fields ({args.recipe})")
    ex.save_assignments(args, last["assignments"], f"fig4-{args.recipe}-assignments")
    return dict(accuracy=acc, proportion=last["proportion_weighting"], seconds=seconds, history=history)


if __name__ == "__main__":
    main(sys.argv[1:])
