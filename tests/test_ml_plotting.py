"""snngen.ml.plotting: the weight tiles put each neuron / kernel / location where the docstrings say, and each
plot's artists hold (and its canvas draws) the data it was given; handles given back update the same
figure; nothing needs a display."""

import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from snngen import ModelError  # noqa: E402
from snngen.ml import Input, LIFNodes, LocalConnection  # noqa: E402
from snngen.ml import plotting as P  # noqa: E402


def test_get_square_weights_puts_neuron_k_in_tile_k():
    h, w, n_out, n_sqrt = 2, 3, 5, 3
    weights = np.arange(1, 1 + h * w * n_out, dtype=float).reshape(h * w, n_out)
    img = P.get_square_weights(weights, n_sqrt, (h, w))
    assert img.shape == (n_sqrt * h, n_sqrt * w)
    for k in range(n_sqrt * n_sqrt):
        r, c = divmod(k, n_sqrt)
        tile = img[r * h:(r + 1) * h, c * w:(c + 1) * w]
        expected = weights[:, k].reshape(h, w) if k < n_out else np.zeros((h, w))
        np.testing.assert_array_equal(tile, expected)
    assert P.get_square_weights(np.ones((784, 100)), 10, 28).shape == (280, 280)
    with pytest.raises(ModelError, match="do not make a 2x2 image"):
        P.get_square_weights(weights, n_sqrt, 2)
    with pytest.raises(ModelError, match="do not fit"):
        P.get_square_weights(weights, 2, (h, w))


def test_tile_conv2d_weights_blocks_of_output_channels():
    F, C, KH, KW = 3, 2, 2, 3  # 2x2 grid of output blocks, each a 2x2 grid of input channels
    w = np.arange(1, 1 + F * C * KH * KW, dtype=float).reshape(F, C, KH, KW)
    img = P.tile_conv2d_weights(w)
    assert img.shape == (2 * 2 * KH, 2 * 2 * KW)
    for f in range(F):
        for c in range(C):
            r = (f // 2) * 2 + c // 2
            col = (f % 2) * 2 + c % 2
            np.testing.assert_array_equal(img[r * KH:(r + 1) * KH, col * KW:(col + 1) * KW], w[f, c])
    assert img[2 * KH:, 2 * 2 * KW // 2:].sum() == 0  # the fourth output block is padding


def test_tile_locally_connected_weights_follows_the_connections_windows():
    H, K, S, F = 7, 3, 2, 3  # 3x3 locations; 3 filters in a 2x2 block
    OH = (H - K) // S + 1
    local = LocalConnection(Input(H * H), LIFNodes(F * OH * OH), K, S, F)
    g = local.geometry
    w = np.zeros((H * H, F * OH * OH))
    w[g.i, g.j] = g.index + 1.0  # a distinct value on every synapse of the windows
    img = P.tile_locally_connected_weights(w, F, K, OH, input_sqrt=H)
    fs = 2
    assert img.shape == (OH * fs * K, OH * fs * K)
    f, oy, ox, _, ky, kx = np.unravel_index(g.index, g.weight_shape)
    rows = (oy * fs + f // fs) * K + ky
    cols = (ox * fs + f % fs) * K + kx
    np.testing.assert_array_equal(img[rows, cols], g.index + 1.0)
    assert np.count_nonzero(img) == len(g.index)  # the fourth filter slot of each block stays empty
    p = P.plot_locally_connected_weights(w, F, K, OH, input_sqrt=H)
    np.testing.assert_array_equal(p.artists["weights"].get_array(), img)
    with pytest.raises(ModelError, match="give locations"):
        P.tile_locally_connected_weights(np.zeros((64, F * OH * OH)), F, K, OH, input_sqrt=8)


def _pixel(fig, ax, buf, col, row):
    """The RGBA pixel the canvas drew at the data point (col, row) of an image axes."""
    x, y = ax.transData.transform((col, row))
    return buf[int(round(fig.bbox.height - y)), int(round(x))]


def test_plot_weights_draws_the_matrix_and_updates_in_place():
    m = np.zeros((8, 8))
    m[:4, :4] = 1.0  # the top-left quadrant bright
    p = P.plot_weights(m, wmin=0.0, wmax=1.0, cmap="gray")
    im, ax, fig = p.artists["weights"], p.axes["weights"], p.figure
    np.testing.assert_array_equal(im.get_array(), m)
    assert im.get_clim() == (0.0, 1.0)
    fig.canvas.draw()
    buf = np.asarray(fig.canvas.buffer_rgba())
    assert _pixel(fig, ax, buf, 1.5, 1.5)[:3].min() > 200  # white where the weight is wmax
    assert _pixel(fig, ax, buf, 5.5, 5.5)[:3].max() < 50  # black where it is wmin
    assert _pixel(fig, ax, buf, 5.5, 1.5)[:3].max() < 50

    q = P.plot_weights(m.T[::-1], wmin=0.0, wmax=2.0, handles=p)  # now the bottom-left quadrant
    assert q.figure is fig and q.artists["weights"] is im and q.axes["weights"] is ax
    np.testing.assert_array_equal(im.get_array(), m.T[::-1])
    assert im.get_clim() == (0.0, 2.0)
    fig.canvas.draw()
    buf = np.asarray(fig.canvas.buffer_rgba())
    assert 100 < _pixel(fig, ax, buf, 1.5, 5.5)[0] < 160  # 1.0 of (0, 2): mid grey
    assert _pixel(fig, ax, buf, 1.5, 1.5)[:3].max() < 50
    with pytest.raises(ModelError, match="2-D"):
        P.plot_weights(np.zeros((2, 2, 2)))


def test_plot_spikes_dots_sit_at_the_spikes():
    rng = np.random.default_rng(0)
    a = rng.random((30, 12)) < 0.1
    b = rng.random((30, 2, 4, 5)) < 0.1  # a monitor's (time, batch, *shape): sample 1 is drawn
    p = P.plot_spikes({"A": a, "B": b}, sample=1)

    def dots(name):
        return {tuple(map(int, xy)) for xy in p.artists[name].get_offsets()}

    assert dots("A") == set(zip(*np.nonzero(a)))
    assert dots("B") == set(zip(*np.nonzero(b[:, 1].reshape(30, 20))))
    assert p.axes["B"].get_ylim() == (-0.5, 19.5)
    art = p.artists["A"]
    a2 = np.zeros((10, 12), bool)
    a2[3, 7] = True
    q = P.plot_spikes({"A": a2, "B": b[:10]}, handles=p)
    assert q.figure is p.figure and q.artists["A"] is art
    assert dots("A") == {(3, 7)}
    with pytest.raises(ModelError, match="drawn for"):
        P.plot_spikes({"C": a}, handles=p)


def test_plot_voltages_image_and_lines_hold_the_traces():
    v = np.linspace(-70.0, -50.0, 40 * 3).reshape(40, 3)
    p = P.plot_voltages({"Y": v})
    np.testing.assert_array_equal(p.artists["Y"].get_array(), v.T)
    P.plot_voltages({"Y": v[:20] + 1.0}, handles=p)
    np.testing.assert_array_equal(p.artists["Y"].get_array(), v[:20].T + 1.0)
    assert p.artists["Y"].get_clim() == (v[:20].min() + 1.0, v[:20].max() + 1.0)
    lines = P.plot_voltages({"Y": v}, kind="line")
    for k, line in enumerate(lines.artists["Y"]):
        np.testing.assert_array_equal(line.get_ydata(), v[:, k])
    P.plot_voltages({"Y": -v}, handles=lines)
    np.testing.assert_array_equal(lines.artists["Y"][2].get_ydata(), -v[:, 2])


def test_plot_assignments_colours_silent_and_classes_apart():
    a = np.array([-1, 0, 1, 2, 0])  # 3x3 grid: 4 blank cells
    p = P.plot_assignments(a, n_classes=3)
    im = p.artists["assignments"]
    rgba = im.to_rgba(im.get_array()).reshape(9, 4)
    np.testing.assert_allclose(rgba[0], to_rgba(P.SILENT_COLOR))
    np.testing.assert_allclose(rgba[1], rgba[4])  # the same class, the same colour
    colours = {tuple(c) for c in rgba[:4]}
    assert len(colours) == 4  # silent and three classes, all distinct
    assert np.all(rgba[5:, 3] == 0)  # past the last neuron: transparent
    labels = [t.get_text() for t in p.artists["colorbar"].ax.get_yticklabels()]
    assert labels == ["silent", "0", "1", "2"]
    P.plot_assignments(np.array([2, 2, -1, 1, 0]), n_classes=3, handles=p)
    np.testing.assert_allclose(im.to_rgba(im.get_array()).reshape(9, 4)[0], rgba[3])
    with pytest.raises(ModelError, match="-1 \\(silent\\) or 0 .. 2"):
        P.plot_assignments(np.array([3]), n_classes=3)


def test_plot_performance_and_plot_input_hold_their_data():
    perf = {"all": [10.0, 40.0, 70.5], "proportion": [12.0, 45.0, 80.0]}
    p = P.plot_performance(perf)
    for name, acc in perf.items():
        np.testing.assert_array_equal(p.artists[name].get_ydata(), acc)
    line = p.artists["all"]
    P.plot_performance({"all": perf["all"] + [90.0], "proportion": perf["proportion"] + [91.0]}, handles=p)
    assert p.artists["all"] is line
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [10.0, 40.0, 70.5, 90.0])

    image = np.arange(16.0).reshape(4, 4)
    spikes = np.random.default_rng(1).random((25, 1, 4, 4)) < 0.5
    q = P.plot_input(image, spikes, label=7)
    np.testing.assert_array_equal(q.artists["image"].get_array(), image)
    np.testing.assert_array_equal(q.artists["input"].get_array(), spikes.sum(0)[0])
    assert q.artists["label"].get_text() == "label: 7"
    P.plot_input(image.ravel()[::-1], spikes[:5], label=3, handles=q)
    np.testing.assert_array_equal(q.artists["image"].get_array(), image[::-1, ::-1])
    assert q.artists["label"].get_text() == "label: 3"


def test_save_png_reads_back_and_no_display_is_needed(tmp_path):
    m = np.zeros((10, 10))
    m[:, :5] = 1.0
    p = P.plot_weights(m, wmin=0.0, wmax=1.0, figsize=(4, 3))
    assert isinstance(p.figure.canvas, FigureCanvasAgg)
    assert plt.get_fignums() == []  # made without pyplot: nothing to close, no window
    path = P.save(p, tmp_path / "w.png", dpi=50)
    img = matplotlib.image.imread(path)
    assert img.shape == (150, 200, 4)
    assert img[..., :3].std() > 0.1
    with warnings.catch_warnings():  # show=True under Agg: a pyplot figure, shown as far as Agg can
        warnings.simplefilter("ignore", UserWarning)
        shown = P.plot_performance({"all": [1.0, 2.0]}, show=True)
    assert plt.get_fignums() == [shown.figure.number]
    plt.close(shown.figure)
