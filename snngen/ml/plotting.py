"""Plots for watching a network learn (BindsNET's ``bindsnet.analysis.plotting``), written for matplotlib.

Every ``plot_*`` function returns a :class:`Plot` ``(figure, axes, artists)``; ``axes`` and ``artists`` are
dicts keyed by panel (``"weights"``, a layer's name, a scheme ...).  Give that ``Plot`` back as ``handles=``
and the same figure is updated in place (``set_data`` / ``set_offsets``, no new figure), so a training loop
can refresh it cheaply::

    p = None
    for step in range(n_steps):
        net.run(inputs={"X": spikes}, time=250)
        p = plot_weights(get_square_weights(conn.w, 10, 28), wmin=0, wmax=1, handles=p)
    save(p, "weights.png")

Figures and backends: a figure is made with pyplot only when ``show=True`` or when the program already uses
pyplot with an interactive backend (a GUI, or Jupyter's inline backend, which shows it); otherwise it is a
plain ``matplotlib.figure.Figure`` drawn by the Agg canvas, which needs no display, never opens a window and
is freed like any object (pyplot keeps every figure it makes until closed).  Nothing is shown, and
``plt.pause`` is never called, unless ``show=True``.

Weight tiles: :func:`get_square_weights` (the receptive fields of Diehl & Cook 2015, Fig. 2),
:func:`tile_conv2d_weights` and :func:`tile_locally_connected_weights` return the image a weight plot shows,
as a numpy array.
"""

from __future__ import annotations

import math
import sys
from typing import Any, NamedTuple

import numpy as np

from ..errors import ModelError

__all__ = [
    "Plot", "get_square_weights", "plot_assignments", "plot_conv2d_weights", "plot_input",
    "plot_locally_connected_weights", "plot_performance", "plot_spikes", "plot_voltages", "plot_weights", "save",
    "tile_conv2d_weights", "tile_locally_connected_weights",
]

SILENT_COLOR = "black"  # plot_assignments: neurons assigned -1 (they never fired)
_NON_INTERACTIVE = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


class Plot(NamedTuple):
    """What a ``plot_*`` function drew: give it back as ``handles=`` to update the figure in place."""

    figure: Any
    axes: dict  # panel -> matplotlib Axes
    artists: dict  # panel -> its artist (AxesImage, PathCollection, list of Line2D, Text, Colorbar)


# ---------------------------------------------------------------------------------------------- figures


def _matplotlib():
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError("snngen.ml.plotting needs matplotlib: pip install 'snngen[plot]'") from e
    return matplotlib


def _use_pyplot(show):
    """pyplot when asked to show, or when the program already uses pyplot with an interactive backend."""
    matplotlib = _matplotlib()
    if show:
        return True
    if "matplotlib.pyplot" not in sys.modules:
        return False
    return matplotlib.get_backend().lower() not in _NON_INTERACTIVE


def _figure(show, figsize, nrows=1, ncols=1, **subplot_kw):
    """A new figure and its axes (a flat list), through pyplot or a display-free Agg canvas."""
    if _use_pyplot(show):
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **subplot_kw)
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, list(axes.flat)


def _finish(plot, show):
    """Show the figure (only when asked, and only a figure pyplot manages) and return the handles."""
    if show and plot.figure.canvas.manager is not None:
        import matplotlib.pyplot as plt

        plt.figure(plot.figure.number)
        plt.pause(1e-3)  # draws and runs the GUI's event loop for a moment
    return plot


def _check_handles(handles, names, what):
    drawn = set(handles.artists) - {"colorbar", "label"}
    if drawn != set(names):
        raise ModelError(f"{what}: these handles were drawn for {sorted(drawn)}, not {sorted(names)}: draw a new "
                         f"figure (handles=None)")


def save(plot, path, dpi=100, **savefig_kw):
    """Write a figure (a :class:`Plot` or a matplotlib ``Figure``) to ``path`` (its format from the suffix);
    returns ``path``.  ``save(plot_weights(w), "w.png")``."""
    fig = plot.figure if isinstance(plot, Plot) else plot
    fig.savefig(path, dpi=dpi, **savefig_kw)
    return path


# ---------------------------------------------------------------------------------------------- tiles


def _pair(value, what):
    a, b = (value, value) if np.isscalar(value) else tuple(value)
    if int(a) < 1 or int(b) < 1:
        raise ModelError(f"{what} must be positive, not {value!r}")
    return int(a), int(b)


def _dense(w):
    return np.asarray(w.toarray() if hasattr(w, "toarray") else w, dtype=np.float64)


def get_square_weights(w, n_sqrt, side):
    """Each output neuron's incoming weights as a ``side`` x ``side`` image (``side`` an int or ``(h, w)``),
    tiled into an ``n_sqrt`` x ``n_sqrt`` grid: neuron ``k`` at tile row ``k // n_sqrt``, column
    ``k % n_sqrt``; unused tiles are 0.  ``w``: ``(n_in, n_out)`` with ``n_in = h*w``; returns
    ``(n_sqrt*h, n_sqrt*w)``.  Diehl & Cook's receptive fields: ``get_square_weights(w, 10, 28)`` of a
    784 x 100 ``w`` is a 280 x 280 image."""
    w = _dense(w)
    h, wd = _pair(side, "side")
    n_in, n_out = w.shape
    if n_in != h * wd:
        raise ModelError(f"get_square_weights: {n_in} inputs per neuron do not make a {h}x{wd} image")
    if n_out > n_sqrt * n_sqrt:
        raise ModelError(f"get_square_weights: {n_out} neurons do not fit an {n_sqrt}x{n_sqrt} grid")
    cols = np.zeros((n_sqrt * n_sqrt, n_in))
    cols[:n_out] = w.T
    return cols.reshape(n_sqrt, n_sqrt, h, wd).transpose(0, 2, 1, 3).reshape(n_sqrt * h, n_sqrt * wd)


def tile_conv2d_weights(w):
    """Convolution kernels ``(out_channels, in_channels, KH, KW)`` as one image: each output channel is a
    block of its input channels' kernels (a ``ceil(sqrt(in_channels))``-square grid), the blocks in a
    ``ceil(sqrt(out_channels))``-square grid, in row-major order; unused tiles are 0."""
    w = _dense(w)
    if w.ndim != 4:
        raise ModelError(f"tile_conv2d_weights: w must be (out_channels, in_channels, KH, KW), not {w.shape}")
    F, C, KH, KW = w.shape
    fs, cs = math.isqrt(F - 1) + 1, math.isqrt(C - 1) + 1
    padded = np.zeros((fs * fs, cs * cs, KH, KW))
    padded[:F, :C] = w
    grid = padded.reshape(fs, fs, cs, cs, KH, KW).transpose(0, 2, 4, 1, 3, 5)
    return grid.reshape(fs * cs * KH, fs * cs * KW)


def _local_locations(input_sqrt, kernel_size, conv_size):
    """The input node under each kernel entry at each location, ``(KH*KW, OH*OW)``, for windows without
    padding whose stride follows from the sizes."""
    (H, W), (KH, KW), (OH, OW) = _pair(input_sqrt, "input_sqrt"), kernel_size, conv_size
    strides = []
    for n, k, o in ((H, KH, OH), (W, KW, OW)):
        s = (n - k) // (o - 1) if o > 1 else 1
        if (o - 1) * s + k != n:
            raise ModelError(f"plot_locally_connected_weights: {o} windows of {k} do not tile {n} inputs without "
                             f"padding: give locations")
        strides.append(s)
    ky, kx, oy, ox = np.meshgrid(np.arange(KH), np.arange(KW), np.arange(OH), np.arange(OW), indexing="ij")
    return ((oy * strides[0] + ky) * W + ox * strides[1] + kx).reshape(KH * KW, OH * OW)


def tile_locally_connected_weights(w, n_filters, kernel_size, conv_size, locations=None, input_sqrt=None):
    """The weights of a :class:`~snngen.ml.LocalConnection` of one input channel as one image: its
    ``conv_size`` grid of locations, each a block of the ``n_filters`` filters there (a
    ``ceil(sqrt(n_filters))``-square grid, row-major), each a ``kernel_size`` image patch.

    ``w``: ``(n_in, n_filters*OH*OW)``, target node ``(f*OH + oy)*OW + ox`` (``LocalConnection.w``).
    ``locations``: ``(KH*KW, OH*OW)``, the input node under kernel entry ``ky*KW + kx`` at location
    ``oy*OW + ox``; left out, it is computed from ``input_sqrt`` (the input's side, or ``(H, W)``) for windows
    without padding.  Returns ``(OH*fs*KH, OW*fs*KW)`` with ``fs = ceil(sqrt(n_filters))``."""
    w = _dense(w)
    F, (KH, KW), (OH, OW) = int(n_filters), _pair(kernel_size, "kernel_size"), _pair(conv_size, "conv_size")
    L = OH * OW
    if w.ndim != 2 or w.shape[1] != F * L:
        raise ModelError(f"tile_locally_connected_weights: w must be (n_in, {F}*{OH}*{OW}), not {w.shape}")
    if locations is None:
        if input_sqrt is None:
            raise ModelError("tile_locally_connected_weights: give locations or input_sqrt")
        locations = _local_locations(input_sqrt, (KH, KW), (OH, OW))
    locations = np.asarray(locations, dtype=np.int64)
    if locations.shape != (KH * KW, L):
        raise ModelError(f"tile_locally_connected_weights: locations must be ({KH * KW}, {L}), not "
                         f"{locations.shape}")
    post = np.arange(F)[:, None] * L + np.arange(L)[None, :]  # (F, L)
    patches = w[locations[:, None, :], post[None]]  # (KH*KW, F, L)
    fs = math.isqrt(F - 1) + 1
    padded = np.zeros((KH * KW, fs * fs, L))
    padded[:, :F] = patches
    grid = padded.reshape(KH, KW, fs, fs, OH, OW).transpose(4, 2, 0, 5, 3, 1)
    return grid.reshape(OH * fs * KH, OW * fs * KW)


# ---------------------------------------------------------------------------------------------- images


def _image_plot(name, data, vmin, vmax, handles, what, cmap, figsize, title, tile, show, colorbar=True):
    """One image panel (with a colorbar): draw it, or update ``handles`` in place."""
    lo = float(np.nanmin(data)) if vmin is None else float(vmin)
    hi = float(np.nanmax(data)) if vmax is None else float(vmax)
    if handles is not None:
        _check_handles(handles, [name], what)
        im = handles.artists[name]
        im.set_data(data)
        im.set_clim(lo, hi)
        im.set_extent((-0.5, data.shape[1] - 0.5, data.shape[0] - 0.5, -0.5))
        return _finish(handles, show)
    fig, (ax,) = _figure(show, figsize)
    aspect = "equal" if 0.5 <= data.shape[0] / data.shape[1] <= 2 else "auto"
    im = ax.imshow(data, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest", aspect=aspect)
    artists = {name: im}
    if colorbar:
        artists["colorbar"] = fig.colorbar(im, ax=ax)
    if title:
        ax.set_title(title)
    if tile is not None:  # thin lines between the tiles
        th, tw = tile
        ax.set_xticks(np.arange(tw, data.shape[1], tw) - 0.5, minor=True)
        ax.set_yticks(np.arange(th, data.shape[0], th) - 0.5, minor=True)
        ax.grid(which="minor", color="0.5", linewidth=0.5)
        ax.tick_params(which="both", length=0)
        ax.set_xticks([])
        ax.set_yticks([])
    return _finish(Plot(fig, {name: ax}, artists), show)


def plot_weights(weights, wmin=None, wmax=None, handles=None, cmap="hot_r", figsize=(5, 5), title=None,
                 show=False):
    """A 2-D weight matrix as an image (row ``i`` down, column ``j`` across), colours from ``wmin`` to
    ``wmax`` (the matrix's own range where left out), with a colorbar.  Panel ``"weights"``.

    >>> p = plot_weights(get_square_weights(conn.w, 10, 28), wmin=0.0, wmax=1.0)   # doctest: +SKIP
    >>> plot_weights(get_square_weights(conn.w, 10, 28), 0.0, 1.0, handles=p)      # doctest: +SKIP
    """
    data = _dense(weights)
    if data.ndim != 2:
        raise ModelError(f"plot_weights: weights must be 2-D, not {data.shape} (tile them first)")
    return _image_plot("weights", data, wmin, wmax, handles, "plot_weights", cmap, figsize, title, None, show)


def plot_conv2d_weights(weights, wmin=None, wmax=None, handles=None, cmap="hot_r", figsize=(5, 5), title=None,
                        show=False):
    """Convolution kernels ``(out_channels, in_channels, KH, KW)`` (``Conv2dConnection.w``), tiled as
    :func:`tile_conv2d_weights` does, with lines between the output channels.  Panel ``"weights"``.

    >>> p = plot_conv2d_weights(conv.w, wmin=0.0, wmax=1.0)   # doctest: +SKIP
    """
    data = tile_conv2d_weights(weights)
    F, C, KH, KW = np.shape(weights)
    cs = math.isqrt(C - 1) + 1
    return _image_plot("weights", data, wmin, wmax, handles, "plot_conv2d_weights", cmap, figsize, title,
                       (cs * KH, cs * KW), show)


def plot_locally_connected_weights(weights, n_filters, kernel_size, conv_size, locations=None, input_sqrt=None,
                                   wmin=None, wmax=None, handles=None, cmap="hot_r", figsize=(5, 5), title=None,
                                   show=False):
    """A locally connected layer's weights (``LocalConnection.w``, one input channel), tiled as
    :func:`tile_locally_connected_weights` does: each location a block of its filters as image patches, with
    lines between the locations.  Panel ``"weights"``.  4 filters of 4x4 windows with stride 4 on a 28x28
    input (7x7 locations):

    >>> p = plot_locally_connected_weights(local.w, 4, 4, 7, input_sqrt=28)   # doctest: +SKIP
    """
    data = tile_locally_connected_weights(weights, n_filters, kernel_size, conv_size, locations, input_sqrt)
    (KH, KW), fs = _pair(kernel_size, "kernel_size"), math.isqrt(int(n_filters) - 1) + 1
    return _image_plot("weights", data, wmin, wmax, handles, "plot_locally_connected_weights", cmap, figsize,
                       title, (fs * KH, fs * KW), show)


def _as_image(a, what):
    a = np.squeeze(np.asarray(a, dtype=np.float64))
    if a.ndim == 1:
        side = math.isqrt(a.size)
        if side * side != a.size:
            raise ModelError(f"{what}: {a.size} values are not a square image: give it 2-D")
        a = a.reshape(side, side)
    if a.ndim != 2:
        raise ModelError(f"{what}: the image must be 2-D, not {a.shape}")
    return a


def plot_input(image, inpt, label=None, handles=None, cmap="binary", figsize=(8, 4), show=False):
    """A sample beside its encoding: ``image`` (2-D, or flat of a square size) and the encoded input
    ``inpt`` summed over time (``(time, *image.shape)``, or ``(time, batch, ...)``: the first sample),
    reshaped to the image.  ``label`` goes in the figure's title.  Panels ``"image"``, ``"input"``; artist
    ``"label"`` (the title).

    >>> p = plot_input(images[0], poisson(images[0], time=250), label=labels[0])   # doctest: +SKIP
    """
    img = _as_image(image, "plot_input")
    summed = np.asarray(inpt, dtype=np.float64).sum(axis=0).reshape(-1)
    if summed.size % img.size:
        raise ModelError(f"plot_input: an input of shape {np.shape(inpt)} is not (time, [batch,] {img.shape})")
    summed = summed[:img.size].reshape(img.shape)
    text = "" if label is None else f"label: {label}"
    if handles is not None:
        _check_handles(handles, ["image", "input"], "plot_input")
        for name, data in (("image", img), ("input", summed)):
            handles.artists[name].set_data(data)
            handles.artists[name].set_clim(float(data.min()), float(data.max()))
        handles.artists["label"].set_text(text)
        return _finish(handles, show)
    fig, axs = _figure(show, figsize, 1, 2)
    artists = {}
    for ax, name, data, title in zip(axs, ("image", "input"), (img, summed), ("image", "summed input")):
        artists[name] = ax.imshow(data, cmap=cmap, interpolation="nearest")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    artists["label"] = fig.suptitle(text)
    return _finish(Plot(fig, dict(zip(("image", "input"), axs)), artists), show)


# ---------------------------------------------------------------------------------------------- recordings


def _per_neuron(a, sample, what):
    """``(time, n)`` from ``(time, n)`` or a recording ``(time, batch, *shape)`` (sample ``sample``)."""
    a = np.asarray(a)
    if a.ndim == 2:
        return a
    if a.ndim < 2:
        raise ModelError(f"{what}: a recording must be (time, n) or (time, batch, *shape), not {a.shape}")
    return a[:, sample].reshape(len(a), -1)


def plot_spikes(spikes, handles=None, sample=0, marker_size=4.0, figsize=None, show=False):
    """A spike raster per layer: ``spikes`` maps a layer's name to ``(time, n)`` or a monitor's
    ``(time, batch, *shape)`` (sample ``sample``, flattened); a dot at (time step, neuron) for each spike.
    Panels: the layers' names (``PathCollection`` artists).

    >>> p = plot_spikes({name: m.get("s") for name, m in spike_monitors.items()})   # doctest: +SKIP
    """
    rasters = {name: _per_neuron(s, sample, "plot_spikes") != 0 for name, s in spikes.items()}
    if handles is None:
        fig, axs = _figure(show, figsize or (8, 1.0 + 2.0 * len(rasters)), len(rasters), 1, sharex=True)
        artists = {}
        for ax, name in zip(axs, rasters):
            artists[name] = ax.scatter([], [], s=marker_size, c="k", marker=".", linewidths=0)
            ax.set_ylabel(f"{name}\nneuron")
        axs[-1].set_xlabel("time step")
        handles = Plot(fig, dict(zip(rasters, axs)), artists)
    else:
        _check_handles(handles, rasters, "plot_spikes")
    for name, r in rasters.items():
        t, i = np.nonzero(r)
        handles.artists[name].set_offsets(np.column_stack((t, i)).astype(np.float64))
        handles.axes[name].set_xlim(-0.5, r.shape[0] - 0.5)
        handles.axes[name].set_ylim(-0.5, r.shape[1] - 0.5)
    return _finish(handles, show)


def plot_voltages(voltages, handles=None, sample=0, kind="color", cmap="viridis", figsize=None, show=False):
    """Membrane potentials per layer: ``voltages`` maps a layer's name to ``(time, n)`` or a monitor's
    ``(time, batch, *shape)`` (sample ``sample``).  ``kind="color"``: an image, neuron up, time across, with
    a colorbar (``AxesImage`` artists); ``kind="line"``: one line per neuron (lists of ``Line2D``).

    >>> p = plot_voltages({"Y": monitor.get("v")}, kind="line")   # doctest: +SKIP
    """
    if kind not in ("color", "line"):
        raise ModelError(f"plot_voltages: kind is 'color' or 'line', not {kind!r}")
    traces = {name: _per_neuron(v, sample, "plot_voltages").astype(np.float64) for name, v in voltages.items()}
    if handles is None:
        fig, axs = _figure(show, figsize or (8, 1.0 + 2.5 * len(traces)), len(traces), 1)
        artists = {}
        for ax, (name, v) in zip(axs, traces.items()):
            if kind == "color":
                artists[name] = ax.imshow(v.T, cmap=cmap, aspect="auto", origin="lower", interpolation="nearest")
                fig.colorbar(artists[name], ax=ax, label="v")
                ax.set_ylabel(f"{name}\nneuron")
            else:
                artists[name] = ax.plot(v)
                ax.set_ylabel(f"{name}\nv")
        axs[-1].set_xlabel("time step")
        return _finish(Plot(fig, dict(zip(traces, axs)), artists), show)
    _check_handles(handles, traces, "plot_voltages")
    for name, v in traces.items():
        art, ax = handles.artists[name], handles.axes[name]
        if isinstance(art, list):
            if len(art) != v.shape[1]:
                raise ModelError(f"plot_voltages: layer '{name}' was drawn with {len(art)} neurons, not "
                                 f"{v.shape[1]}")
            for k, line in enumerate(art):
                line.set_data(np.arange(len(v)), v[:, k])
            ax.relim()
            ax.autoscale_view()
        else:
            art.set_data(v.T)
            art.set_clim(float(v.min()), float(v.max()))
            art.set_extent((-0.5, v.shape[0] - 0.5, -0.5, v.shape[1] - 0.5))
    return _finish(handles, show)


# ---------------------------------------------------------------------------------------------- evaluation


def _class_colors(n_classes):
    import matplotlib

    if n_classes <= 10:
        return [matplotlib.colormaps["tab10"](k) for k in range(n_classes)]
    if n_classes <= 20:
        return [matplotlib.colormaps["tab20"](k) for k in range(n_classes)]
    return list(matplotlib.colormaps["turbo"](np.linspace(0.1, 1.0, n_classes)))


def plot_assignments(assignments, n_classes=None, classes=None, handles=None, figsize=(6, 5), show=False):
    """The class each neuron is assigned (:func:`~snngen.ml.evaluation.assign_labels`) as a square grid,
    neuron ``k`` at row ``k // n_sqrt``, column ``k % n_sqrt`` (``n_sqrt = ceil(sqrt(n))``; cells past the
    last neuron blank), one colour per class and :data:`SILENT_COLOR` for ``-1`` (silent), with a colorbar
    labelled by class (``classes``: their names; default ``0 .. n_classes-1``).  Panel ``"assignments"``.

    >>> p = plot_assignments(assign_labels(spikes, labels, 10)[0], n_classes=10)   # doctest: +SKIP
    """
    _matplotlib()
    from matplotlib.colors import BoundaryNorm, ListedColormap

    a = np.asarray(assignments).reshape(-1)
    if n_classes is None:
        n_classes = max(int(a.max()) + 1, 1) if a.size else 1
    n_classes = int(n_classes)
    if a.size and (a.min() < -1 or a.max() >= n_classes):
        raise ModelError(f"plot_assignments: assignments must be -1 (silent) or 0 .. {n_classes - 1}")
    n_sqrt = math.isqrt(max(a.size, 1) - 1) + 1
    grid = np.full(n_sqrt * n_sqrt, np.nan)
    grid[:a.size] = a
    grid = grid.reshape(n_sqrt, n_sqrt)
    if handles is not None:
        _check_handles(handles, ["assignments"], "plot_assignments")
        im = handles.artists["assignments"]
        if im.cmap.N != n_classes + 1:
            raise ModelError(f"plot_assignments: these handles were drawn for {im.cmap.N - 1} classes, not "
                             f"{n_classes}")
        im.set_data(grid)
        im.set_extent((-0.5, n_sqrt - 0.5, n_sqrt - 0.5, -0.5))
        return _finish(handles, show)
    # cells past the last neuron: transparent
    cmap = ListedColormap([SILENT_COLOR] + _class_colors(n_classes)).with_extremes(bad=(1.0, 1.0, 1.0, 0.0))
    norm = BoundaryNorm(np.arange(-1.5, n_classes), cmap.N)
    fig, (ax,) = _figure(show, figsize)
    im = ax.imshow(grid, cmap=cmap, norm=norm, interpolation="nearest")
    names = [str(c) for c in (range(n_classes) if classes is None else classes)]
    cb = fig.colorbar(im, ax=ax)
    cb.set_ticks(np.arange(-1, n_classes), labels=["silent"] + names)
    cb.set_label("class")
    ax.set_title("assignments")
    ax.set_xticks([])
    ax.set_yticks([])
    return _finish(Plot(fig, {"assignments": ax}, {"assignments": im, "colorbar": cb}), show)


def plot_performance(performances, x=None, handles=None, xlabel="evaluation", figsize=(7, 4), show=False):
    """Accuracy (in %) per scheme over the course of training, one line each: ``performances`` maps a scheme
    (``"all"``, ``"proportion"`` ...) to its list of accuracies; ``x`` their positions (default
    ``0, 1, ...``; e.g. the number of samples seen).  Panel ``"performance"``; artists: the schemes' lines.

    >>> p = plot_performance({"all": [12.0, 55.5, 81.2], "proportion": [13.1, 60.2, 84.0]})   # doctest: +SKIP
    """
    curves = {name: np.asarray(acc, dtype=np.float64).reshape(-1) for name, acc in performances.items()}

    def xs(y):
        return np.arange(len(y)) if x is None else np.asarray(x, dtype=np.float64)[:len(y)]

    if handles is not None:
        _check_handles(handles, curves, "plot_performance")
        for name, y in curves.items():
            handles.artists[name].set_data(xs(y), y)
        ax = handles.axes["performance"]
        ax.relim()
        ax.autoscale_view(scaley=False)
        return _finish(handles, show)
    fig, (ax,) = _figure(show, figsize)
    artists = {name: ax.plot(xs(y), y, label=str(name))[0] for name, y in curves.items()}
    ax.set_ylim(0, 100)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy (%)")
    ax.grid(True, alpha=0.3)
    if curves:
        ax.legend(loc="lower right")
    return _finish(Plot(fig, {"performance": ax}, artists), show)
