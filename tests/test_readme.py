"""The README's examples run as written and say what they claim."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


# the MNIST block as written trains 400 neurons for 3 passes on 4,000 images (about a minute): the test runs
# 25 neurons for one pass on 800 (and tests on 200)
SMALLER = (("n_neurons=400", "n_neurons=25"), ("passes=3", "passes=1"), ("20, 28", "5, 28"),
           ("train_unsupervised(net, train, test,",
            "train_unsupervised(net, train.subset(range(800)), test.subset(range(200)), progress=False,"))


def test_readme_python_examples_run_and_hold(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks that save pictures write them here
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 3
    spaces = []
    for k, block in enumerate(blocks):
        if "train_unsupervised(" in block:
            for old, new in SMALLER:
                assert old in block, old
                block = block.replace(old, new)
        ns = {}
        exec(compile(block, f"README block {k}", "exec"), ns)  # noqa: S102 (our own documentation)
        spaces.append(ns)
    models = next(ns for ns in spaces if "H" in ns)
    assert models["G"].model_spec.name == "Izhikevich"
    assert models["H"].namespace["tau"] == models["ms"] * 20
    cuda = next(ns for ns in spaces if "gpu" in ns)  # tests run it on the CUDA simulator (conftest.py)
    (i_cpu, t_cpu), (i_gpu, t_gpu) = cuda["cpu"], cuda["gpu"]
    assert len(i_cpu) > 0 and (i_cpu == i_gpu).all() and (t_cpu == t_gpu).all()
    samples = next(ns for ns in spaces if "net" in ns and "X" in ns)
    assert samples["E"].v_.shape == (4, 100) and np.all(samples["E"].v_ == -0.065)  # reset
    assert samples["counts"].count.shape == (4, 100) and samples["counts"].num_spikes > 0
    assert np.all(samples["E"].theta_ >= 0) and np.any(samples["E"].theta_ > 0)  # kept
    assert np.all(samples["syn"].w_ > 0) and not np.allclose(samples["syn"].w_[0], samples["syn"].w_[1])
    conv = next(ns for ns in spaces if "conv" in ns)
    assert conv["conv"].w_.shape == (200,) and conv["conv"].N == len(conv["g"].i)
    spikes = conv["X"].input.reshape(1, 28, 28).astype(float)
    w = conv["conv"].w_.reshape(8, 1, 5, 5)
    padded = np.pad(spikes[0], 2)
    expected = np.array([[[np.sum(padded[y:y + 5, x:x + 5] * w[f, 0]) for x in range(28)] for y in range(28)]
                         for f in range(8)])
    np.testing.assert_allclose(conv["Y"].v_.reshape(8, 28, 28), expected, rtol=1e-12, atol=1e-12)
    ml = next(ns for ns in spaces if "Ae" in ns)
    conn = ml["net"].connections[("X", "Ae")]
    np.testing.assert_allclose(np.abs(conn.w).sum(axis=0), 78.4, rtol=1e-5)  # normalised after each sample
    assert ml["counts"].shape == (1, 100) and (ml["Ae"].theta > 0).any()  # theta kept over the resets
    assert ml["spikes"].get("s").shape == (0, 1, 100)  # emptied by the reset
    encoded = next(ns for ns in spaces if "latencies" in ns)
    assert encoded["spikes"].shape == (250, 28, 28) and encoded["latencies"].sum() == 28 * 28
    assert abs(encoded["spikes"].mean() - encoded["image"].mean() / 1000) < 0.002  # rate*dt per step
    mnist = next(ns for ns in spaces if "history" in ns and "pipe" not in ns)
    assert mnist["history"][-1]["all_activity"] > 40.0  # 25 neurons, one pass on 800 images; chance is 10 %
    assert (tmp_path / "fields.png").stat().st_size > 5000
    rl = next(ns for ns in spaces if "pipe" in ns)
    lengths = [e["length"] for e in rl["history"]]
    assert len(lengths) == 5 and min(lengths) >= 8 and rl["pipe"].step_count == sum(lengths)
    assert rl["pipe"].timings["network"] > 0 and rl["net"].connections[("X", "Z")].w.std() > 0  # it learned
    synapses = next(ns for ns in spaces if "S" in ns)
    assert synapses["S"].N > 0 and (synapses["S"].w_ >= 0).all() and (synapses["S"].w_ <= 1e-3).all()


def test_readme_first_example_numbers():
    block = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]
    ns = {}
    exec(compile(block, "README block 0", "exec"), ns)  # noqa: S102
    spikes, G = ns["spikes"], ns["G"]
    assert G.integration_method == "exact"
    # I = 2 nA * i/N with R = 10 MOhm: neurons with R*I > 15 mV (i > 750) fire, the others never do
    assert spikes.count[:740].sum() == 0 and (spikes.count[760:] > 0).all()


def test_readme_test_command_is_what_ci_runs():
    text = README.read_text()
    block = re.search(r"<!-- test-command -->\n```bash\n(.*?)\n```\n<!-- /test-command -->", text, re.S)
    assert block and "pytest" in block.group(1)
    ci = (README.parent / ".ci" / "run").read_text()
    assert "test-command" in ci
