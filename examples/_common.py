"""What every example script shares: its options, its data (with the offline fallback), the printed comparison
with the figure on record, and the pictures.  Not an example itself.

Every script prints one line per result in the form the tests read::

    RESULT <what>: ours 84.3 % | record <the figure on record, or "none on record">
"""

from __future__ import annotations

import argparse
import os
import re
import time

import numpy as np

from snngen.ml import LogisticReadout
from snngen.ml.datasets import CIFAR10, MNIST, MNIST5000, DownloadError, data_dir
from snngen.ml.reward import AbstractReward

RESULT = re.compile(r"^RESULT (?P<what>.+?): ours (?P<ours>[\d.]+) % \| record (?P<record>.*)$", re.M)
OFFLINE_SPLIT = 4000  # MNIST5000: 4,000 train / 1,000 held out, 400 and 100 of each digit


def parser(doc, quick, n_train=None, n_test=None):
    """The options of every script; ``doc`` is its module docstring (the --help text), ``quick`` the defaults that
    ``--quick`` gives (see :func:`parse`)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.quick_defaults = dict(quick)
    p.add_argument("--n-train", type=int, default=n_train, help=f"training images (default {n_train or 'all'})")
    p.add_argument("--n-test", type=int, default=n_test, help=f"test images (default {n_test or 'all'})")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, spikes and split (%(default)s)")
    p.add_argument("--quick", action="store_true", help="a tiny configuration that runs in seconds (for tests): "
                   + ", ".join(f"{k} {v}" for k, v in quick.items()))
    p.add_argument("--plots", metavar="DIR", help="write pictures (PNG) into DIR")
    p.add_argument("--download", action="store_true",
                   help="download the full data set if its files are missing (default: use them only if present)")
    p.add_argument("--backend", choices=("cpu", "cuda"), default="cpu", help="where the network runs (%(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def parse(p, argv, config=None):
    """``(args, cfg)``: ``argv`` parsed with an option ``--key`` for each entry of the script's ``config`` (defaults:
    its values), and ``cfg``, the configuration they give.  With ``--quick`` the defaults become the parser's quick ones
    (options given explicitly still win)."""
    config = config or {}
    for key, value in config.items():
        kind = dict(type=float, nargs=len(value)) if isinstance(value, tuple) else dict(type=type(value))
        p.add_argument("--" + key.replace("_", "-"), default=value, help="(default %(default)s)", **kind)
    args = p.parse_args(argv)
    if args.quick:
        p.set_defaults(**p.quick_defaults)
        args = p.parse_args(argv)
    args.progress = not (args.no_progress or args.quick)
    args.started = time.perf_counter()
    cfg = {key: tuple(getattr(args, key)) if isinstance(value, tuple) else getattr(args, key)
           for key, value in config.items()}
    return args, cfg


def load_data(name, args):
    """``(train, test, description)``: ``name`` ("mnist" or "cifar10") from the data set cache, else -- no files
    and no ``--download`` -- the offline MNIST5000 split 4,000 / 1,000 by class, with a printed note.  The first
    ``args.n_train`` / ``args.n_test`` images are kept."""
    cls = {"mnist": MNIST, "cifar10": CIFAR10}[name]
    try:
        train, test = cls(train=True, download=args.download), cls(train=False, download=args.download)
        what = f"{cls.__name__} ({len(train):,} train / {len(test):,} test)"
    except DownloadError as e:
        reason = str(e).split(";")[0] if args.download else f"its files are not in {data_dir(cls.name)}"
        print(f"note: {cls.__name__} is not available ({reason}); using the offline MNIST5000 instead"
              + ("" if args.download else f" (--download fetches {cls.__name__})"))
        train, test = MNIST5000().stratified_split(OFFLINE_SPLIT, seed=args.seed)
        what = f"MNIST5000 offline ({OFFLINE_SPLIT:,} train / {5000 - OFFLINE_SPLIT:,} held out)"
    if args.n_train is not None and args.n_train < len(train):
        train = train.subset(slice(0, args.n_train))
    if args.n_test is not None and args.n_test < len(test):
        test = test.subset(slice(0, args.n_test))
    return train, test, f"{what}, using {len(train):,} / {len(test):,}"


def header(title, config, data):
    print(title)
    print("  data    " + data)
    print("  config  " + ", ".join(f"{k} {v}" for k, v in config.items()))


def result(what, ours, record):
    """Print one result line (``ours`` in %) and return it as a number."""
    print(f"RESULT {what}: ours {ours:.1f} % | record {record}")
    return float(ours)


def footer(args, since=None, **extra):
    """Print the wall time since ``since`` (a ``time.perf_counter()``; default: the start of the script)."""
    seconds = time.perf_counter() - (args.started if since is None else since)
    print(f"  wall time {seconds:.1f} s" + "".join(f", {k.replace('_', ' ')} {v}" for k, v in extra.items()))
    return seconds


def accuracy(predicted, labels):
    return 100.0 * float(np.mean(np.asarray(predicted) == np.asarray(labels)))


def fit_readout(counts, labels):
    """A logistic regression (snngen.ml.LogisticReadout, which fits with one BLAS thread) on spike counts."""
    return LogisticReadout(max_iter=5000).fit(counts, labels)


def picture_dir(args):
    if not args.plots:
        return None
    os.makedirs(args.plots, exist_ok=True)
    return args.plots


def save_fields(args, w, name, title, side=28, **kw):
    """Each neuron's input weights ``w`` (inputs, neurons) as a square tile of ``side`` x ``side`` (the
    receptive fields of Diehl & Cook 2015, Fig. 2) in ``<--plots>/<name>.png``."""
    folder = picture_dir(args)
    if folder is None:
        return None
    from snngen.ml.plotting import get_square_weights, plot_weights, save

    w = np.asarray(w, dtype=np.float64)
    w = w.reshape(-1, side * side, w.shape[-1]).sum(axis=0)  # colour channels summed
    n_sqrt = int(np.ceil(np.sqrt(w.shape[1])))
    path = save(plot_weights(get_square_weights(w, n_sqrt, side), title=title, figsize=(7, 7), **kw),
                os.path.join(folder, name + ".png"), dpi=110)
    print(f"  picture {path}")
    return path


def save_assignments(args, assignments, name):
    folder = picture_dir(args)
    if folder is None:
        return None
    from snngen.ml.plotting import plot_assignments, save

    path = save(plot_assignments(assignments, n_classes=10), os.path.join(folder, name + ".png"), dpi=110)
    print(f"  picture {path}")
    return path


class LifeLossPenalty(AbstractReward):
    """An Atari game's reward (clipped or not, as the environment gives it), minus ``penalty`` in the step where a
    life is lost; ``losses`` counts the lives lost."""

    def __init__(self, penalty=1.0):
        self.penalty = penalty
        self.reset()

    def reset(self):
        self.lives = None
        self.losses = 0

    def compute(self, reward, **state):
        lives = (state.get("info") or {}).get("lives")
        lost = lives is not None and self.lives is not None and lives < self.lives
        self.lives = None if state.get("done") else lives
        self.losses += lost
        return float(reward) - self.penalty * lost


class CountActions:
    """An action function that counts the actions it chooses (``counts``, one per action of ``n_actions``)."""

    def __init__(self, function, n_actions):
        self.function, self.counts = function, np.zeros(n_actions, dtype=np.int64)

    def __call__(self, spikes, n_actions, rng):
        action = self.function(spikes, n_actions, rng)
        self.counts[action] += 1
        return action


def sweep_options(parser, out):
    """Add the options every sweep example takes: --workers, --store (resume), --out (the picture), --no-progress."""
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--store", default=None, help="a folder keeping the finished runs (resume)")
    parser.add_argument("--out", default=out)
    parser.add_argument("--no-progress", action="store_true")


def run_sweep(fn, grid, client=None, workers=None, **options):
    """``snngen.sweep.sweep(fn, grid, **options)`` on ``client`` (a ``distributed.Client``), or on a local cluster
    of ``workers`` processes (default one per core) started for it: the table and the sweep's wall time in seconds
    (the cluster's start left out).  Prints how many runs failed, and the first error."""
    import sys

    from snngen.sweep import local_cluster, sweep

    if client is not None:
        started = time.perf_counter()
        table = sweep(fn, grid, client=client, **options)
    else:
        from distributed import Client

        with local_cluster(workers) as cluster, Client(cluster) as own:
            started = time.perf_counter()
            table = sweep(fn, grid, client=own, **options)
    wall = time.perf_counter() - started
    failed = table[table.error.notna()]
    if len(failed):
        print(f"{len(failed)} runs failed, e.g. {failed.error.iloc[0]}", file=sys.stderr)
    return table, wall
