"""BindsNET's ``examples/mnist/batch_eth_mnist.py`` on snngen.ml: ``eth_mnist.py`` learning from 32 images at once.

Configuration (BindsNET's example): as ``eth_mnist.py`` (DiehlAndCook2015, 100 neurons, exc 22.5, inh 120,
theta_plus 0.05, nu (1e-4, 1e-2), intensity 128, one pass) but 100 ms per image and a batch of 32: 32 copies of
the network state run side by side with shared weights and adaptive thresholds, the copies' weight changes
summed into the shared weights after every step (BindsNET's semantics, ``batch_sync="step"``; so the learning
rate is effectively 32 times larger at first).  The same configuration is then run with a batch of 1, to compare
accuracy and speed (``--no-baseline`` skips it).  Training and evaluation: snngen.ml.train_unsupervised with
``batch_size`` (the steps of ``eth_mnist.py``, same code).

Data: full MNIST (60,000 / 10,000) when its files are in the data set cache (or --download), else the offline
MNIST5000, 4,000 train / 1,000 held out.  On record: none for the batched example (eth_mnist's 81 / 82 % are at
batch 1, 250 ms per image).

    python examples/batch_eth_mnist.py [--batch-size 32] [--plots out/]
"""

from __future__ import annotations

import sys

import _common as ex
from eth_mnist import CONFIG as ETH
from eth_mnist import run

CONFIG = dict(ETH, time=100.0)
RECORD = "none on record (eth_mnist at batch 1, 250 ms: 81 / 82 %)"
# --quick at 250 ms: snngen.ml compiles a loop per presentation time, and the tests share eth_mnist's (README)
QUICK = dict(n_train=256, n_test=64, batch_size=4, time=250.0)


def main(argv=None):
    p = ex.parser(__doc__, QUICK)
    p.add_argument("--batch-size", type=int, default=32, help="images learned from at once (%(default)s)")
    p.add_argument("--batch-sync", choices=("step", "run"), default="step",
                   help="step: BindsNET's (weight changes summed every step); run: each copy learns through its "
                        "image, changes summed after it (data-parallel, faster on the CPU) (%(default)s)")
    p.add_argument("--no-baseline", action="store_true", help="skip the comparison run with a batch of 1")
    args, cfg = ex.parse(p, argv, CONFIG)
    data = ex.load_data("mnist", args)
    out = run(args, cfg, f"batch{args.batch_size}", f"batch_eth_mnist: a batch of {args.batch_size}", RECORD,
              batch_size=args.batch_size, batch_sync=args.batch_sync, data=data)
    if not args.no_baseline:
        print()
        base = run(args, cfg, "batch1", "batch_eth_mnist baseline: the same with a batch of 1", RECORD, data=data)
        speedup = out["samples_per_second"] / base["samples_per_second"]
        print(f"  batch {args.batch_size} vs 1: {out['samples_per_second']:.0f} vs {base['samples_per_second']:.0f} "
              f"training img/s ({speedup:.2f}x), all activity {out['accuracy']:.1f} vs {base['accuracy']:.1f} %")
        out.update(baseline=base, speedup=speedup)
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
