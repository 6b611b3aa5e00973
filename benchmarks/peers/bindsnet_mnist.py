"""BindsNET 0.3.4's DiehlAndCook2015 trained and tested on a given MNIST split (run in the BindsNET venv).

    ~/.cache/snngen-peers/bindsnet/bin/python benchmarks/peers/bindsnet_mnist.py SPLIT.npz OUT.npz
        [--n 100] [--inh 120] [--passes 1] [--seed 0] [--threads 2]

SPLIT.npz holds ``train_images``, ``train_labels``, ``test_images``, ``test_labels`` (uint8 pixels, in the
order to use them); ``benchmarks/mnist_bindsnet.py`` writes it and scores the spike counts this script
writes to OUT.npz (``label_counts`` (train, n), ``test_counts`` (test, n)).  The configuration of BindsNET's
``examples/mnist/eth_mnist.py``: ``DiehlAndCook2015(n_inpt=784, n_neurons=n, exc=22.5, inh=inh, dt=1.0,
nu=(1e-4, 1e-2), norm=78.4, theta_plus=0.05, tc_theta_decay=1e7)``, 250 ms per image, the input
``bindsnet.encoding.poisson(pixels / 255 * 128, time=250, dt=1.0)``, ``reset_state_variables()`` after each
image, a ``Monitor(Ae, ["s"], time=250)`` counting the excitatory spikes.

Procedure: ``--passes`` passes over the training images with learning on; ``network.train(False)``; the
training images again (the labelling pass) and the test images, both with learning off.  BindsNET's
``DiehlAndCookNodes.forward`` decays and raises theta only ``if self.learning``, and ``Network.train(False)``
reaches the layers (``torch.nn.Module.train`` -> ``Nodes.train``); the script reports how much theta and the
input weights changed over the two learning-off passes (theta: 0; weights: float32 rounding, since
``Network.run`` renormalises them after every run, learning or not).  Progress goes to stderr; the
result is one JSON line on stdout (wall times in seconds, seeds, theta, versions).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from importlib.metadata import version

import numpy as np

warnings.simplefilter("ignore")
import torch  # noqa: E402
from bindsnet.encoding import poisson  # noqa: E402
from bindsnet.models import DiehlAndCook2015  # noqa: E402
from bindsnet.network.monitors import Monitor  # noqa: E402

TIME = 250  # ms per image (dt = 1 ms)
INTENSITY = 128.0  # Hz for a pixel of 255


def input_weights(net):
    """The X -> Ae weights (a MulticompartmentConnection's "weight" feature in 0.3.4)."""
    conn = net.connections[("X", "Ae")]
    w = getattr(conn, "w", None)
    if w is None:
        w = conn.pipeline[0].value
    return w.detach().clone()


def run_images(net, mon, images, label, clock):
    """Run each image for TIME ms; return the (images, n) excitatory spike counts and the wall time."""
    counts = np.zeros((len(images), net.n_neurons), np.int32)
    t0 = clock()
    for i, img in enumerate(images):
        rates = torch.from_numpy(img.reshape(1, 784).astype(np.float32)) / 255.0 * INTENSITY
        net.run(inputs={"X": poisson(datum=rates, time=TIME, dt=1.0)}, time=TIME)  # (250, 1, 784)
        counts[i] = mon.get("s").sum(0)[0].numpy()
        net.reset_state_variables()
        if (i + 1) % 500 == 0 or i + 1 == len(images):
            dt = clock() - t0
            print(f"  {label}: {i + 1}/{len(images)} in {dt:.0f} s ({(i + 1) / dt:.2f} samples/s)",
                  file=sys.stderr, flush=True)
    return counts, clock() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("split")
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--inh", type=float, default=120.0)
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    data = np.load(a.split)
    train, test = data["train_images"], data["test_images"]
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)  # the initial weights (torch.rand) and every Poisson draw
    clock = time.perf_counter
    t_start = clock()
    net = DiehlAndCook2015(n_inpt=784, n_neurons=a.n, exc=22.5, inh=a.inh, dt=1.0, nu=(1e-4, 1e-2), norm=78.4,
                           theta_plus=0.05, tc_theta_decay=1e7)
    mon = Monitor(net.layers["Ae"], state_vars=["s"], time=TIME)
    net.add_monitor(mon, name="Ae_spikes")
    build = clock() - t_start

    net.train(True)
    train_s, train_spikes = 0.0, 0
    for p in range(a.passes):
        counts, wall = run_images(net, mon, train, f"training pass {p + 1}", clock)
        train_s += wall
        train_spikes += int(counts.sum())

    net.train(False)
    ae = net.layers["Ae"]
    theta0, w0 = ae.theta.detach().clone(), input_weights(net)
    label_counts, label_s = run_images(net, mon, train, "labelling (learning off)", clock)
    test_counts, test_s = run_images(net, mon, test, "test (learning off)", clock)
    total = clock() - t_start
    np.savez_compressed(a.out, label_counts=label_counts, test_counts=test_counts)

    print(json.dumps(dict(
        simulator="bindsnet", n=a.n, inh=a.inh, passes=a.passes, seed=a.seed, threads=a.threads,
        build_s=build, train_s=train_s, label_s=label_s, test_s=test_s, total_s=total,
        train_spikes_per_sample=train_spikes / (a.passes * len(train)),
        layers_learning_off=not any(layer.learning for layer in net.layers.values()),
        theta_mean=float(theta0.mean()), theta_max=float(theta0.max()),
        theta_change_learning_off=float((ae.theta - theta0).abs().max()),
        weight_change_learning_off=float((input_weights(net) - w0).abs().max()),
        versions=dict(bindsnet=version("bindsnet"), torch=torch.__version__, numpy=np.__version__),
    )), flush=True)


if __name__ == "__main__":
    main()
