"""The example scripts (``examples/``) in their ``--quick`` configurations, run in-process.

Each quick run trains on a few hundred offline MNIST images (the data set cache is pointed at an empty folder, so
the downloadable data sets always fall back to MNIST5000, as on a machine without them) and must beat chance
(10 %) by a margin; every printed ``RESULT`` line must parse and carry the figure on record.  fig9 also reads a
CIFAR-10 folder made here of MNIST digits (the 3,072-input path).  The scripts that share a network's code share
its compiled loop (the compile cache of the session), which keeps this file short: eth_mnist, fig4 and
batch_eth_mnist's baseline; supervised_mnist and fig5; reservoir and fig9.  The examples folder goes on sys.path:
the scripts import ``_common`` and each other by name, as they do when run as scripts.
"""

import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

from _common import RESULT  # noqa: E402


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("SNNGEN_DATA", str(tmp_path / "no-data"))


def results(capsys):
    out = capsys.readouterr().out
    found = {m["what"]: (float(m["ours"]), m["record"]) for m in RESULT.finditer(out)}
    assert found, out
    return out, found


def run(name, *argv):
    module = __import__(name)
    return module.main(["--quick", *argv])


# fig5 with nu (1e-10, 1e-2) instead of (0, 1e-2): a zero rate leaves its term out of the generated code, which
# would cost a compilation of its own; with a negligible one it shares supervised_mnist's compiled loop
QUICK_RUNS = [  # script, extra options, accuracy (%) its quick run must beat, the record it must print
    ("eth_mnist", [], 25, "81 % all activity / 82 % proportion"),
    ("fig4_unsupervised_mnist", [], 25, "87.0 % (Diehl & Cook 2015, 400 neurons"),
    ("supervised_mnist", [], 40, '"> 60 %"'),
    ("fig5_supervised_mnist", ["--nu", "1e-10", "1e-2"], 40, "CIFAR-10 about 10 %"),
    ("reservoir", [], 50, "none on record"),
    ("fig9_reservoir", [], 50, "none on record"),
]


@pytest.mark.parametrize("name, argv, floor, record", QUICK_RUNS, ids=[case[0] for case in QUICK_RUNS])
def test_quick_run_beats_chance(name, argv, floor, record, capsys):
    out = run(name, *argv)
    text, found = results(capsys)
    assert "using the offline MNIST5000 instead" in text
    assert out["accuracy"] > floor, text
    for what, (ours, rec) in found.items():
        assert 0 <= ours <= 100 and record in rec, (what, rec)
    assert "wall time" in text and "config" in text


def test_conv_mnist_learns_normalised_kernels(capsys):
    """Its quick run is too short for the features to tell digits apart (the full run: about 25 %), so check what
    learning must have done: every kernel moved from its U(0, 1) start and was renormalised to 0.4 * 16^2."""
    import numpy as np

    out = run("conv_mnist")
    text, found = results(capsys)
    assert len(found) == 3 and all(0 <= ours <= 100 for ours, _ in found.values()), text
    start = np.random.default_rng(0).random((25, 1, 16, 16))
    assert out["kernels"].shape == start.shape
    assert np.allclose(out["kernels"].sum(axis=(1, 2, 3)), 0.4 * 16 ** 2, rtol=1e-4)
    assert (np.abs(out["kernels"] - start).mean(axis=(1, 2, 3)) > 0.05).all()


def test_batch_eth_mnist_compares_with_batch_one(capsys):
    out = run("batch_eth_mnist")
    text, found = results(capsys)
    assert {"mnist5000 batch4 all activity", "mnist5000 batch1 all activity"} <= set(found), text
    assert out["accuracy"] > 25 and out["baseline"]["accuracy"] > 25, text
    assert out["speedup"] > 0 and "training img/s" in text


def test_fig9_reads_cifar10_when_its_files_are_there(tmp_path, monkeypatch, capsys):
    """The CIFAR-10 path (3x32x32 = 3,072 inputs): a CIFAR binary folder made of MNIST digits, padded to 32x32 and
    copied into the 3 colour channels, so that the readout has something to find."""
    import numpy as np

    from snngen.ml import MNIST5000

    digits = MNIST5000().stratified_split(1000, seed=1)[0]
    images = np.zeros((1000, 3, 32, 32), np.uint8)
    images[:, :, 2:30, 2:30] = digits.images[:, None]
    records = np.concatenate([digits.labels.astype(np.uint8)[:, None], images.reshape(1000, -1)], axis=1)
    folder = tmp_path / "data" / "datasets" / "cifar10" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    for k in range(5):  # 100 training images in each of the 5 batches, 500 test images
        (folder / f"data_batch_{k + 1}.bin").write_bytes(records[100 * k:100 * (k + 1)].tobytes())
    (folder / "test_batch.bin").write_bytes(records[500:].tobytes())
    monkeypatch.setenv("SNNGEN_DATA", str(tmp_path / "data"))
    out = run("fig9_reservoir")
    text, found = results(capsys)
    assert "CIFAR10 (500 train / 500 test), using 100 / 100" in text and "offline" not in text, text
    assert out["accuracy"] > 40, text


def test_plots_are_written(tmp_path, capsys):
    run("reservoir", "--plots", str(tmp_path), "--n-train", "60", "--n-test", "40")
    pictures = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pictures == ["reservoir-input-weights.png", "reservoir-readout.png"]
    assert all((tmp_path / p).stat().st_size > 5000 for p in pictures)


def test_cartpole_agent_learns_in_60_episodes(capsys):
    # the bar is 500 episodes and L >= 3 R; 60 episodes already give L ~ 320 (seed 0): learning, not luck (an
    # untrained network keeps to one action, ~9 steps)
    L, R = __import__("rl_cartpole").main(["--episodes", "60", "--random-episodes", "30", "--quiet"])
    assert 15 < R < 30 and L > 5 * R
    assert f"mean episode length over the last 50 episodes: {L:.1f} (random policy: {R:.1f})" in capsys.readouterr().out
