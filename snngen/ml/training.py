"""Training loops for unsupervised spiking networks: present images, count spikes, label, evaluate.

The recipe of Diehl & Cook (2015), Front Comput Neurosci 9:99, section 2.4-2.5, for any network with an
Input layer and a layer whose spikes are read out (:class:`~snngen.ml.models.DiehlAndCook2015` and the
other ready models):

* each image is shown for ``time`` ms as Poisson spikes of rate ``pixel / 255 * intensity`` Hz, then the
  network's state is reset (BindsNET's ``reset_state_variables``, standing in for the paper's 150 ms rest);
* an image that makes fewer than ``min_spikes`` spikes in the read-out layer is shown again with the
  intensity raised by ``boost`` Hz, up to ``max_tries`` times;
* learning (the weights' rule *and* the adaptive thresholds) is on only while training; each neuron is then
  labelled from its spike counts over the training images with everything frozen
  (:func:`~snngen.ml.evaluation.assign_labels`), and held-out images are classified from the labelled
  neurons' counts (:func:`~snngen.ml.evaluation.all_activity`, :func:`~snngen.ml.evaluation.proportion_weighting`);
* over several passes the learning rates and the adaptive thresholds' increment are annealed
  (multiplied by ``anneal`` after each pass), so that later passes refine the receptive fields instead of
  rewriting them, and the thresholds stop climbing.

>>> from snngen.ml.models import DiehlAndCook2015
>>> from snngen.ml.datasets import MNIST5000
>>> train, test = MNIST5000().stratified_split(4000, seed=0)
>>> net = DiehlAndCook2015(784, n_neurons=100, inh=120.0, seed=0)
>>> history = train_unsupervised(net, train, test, passes=2)            # doctest: +SKIP
>>> history[-1]["all_activity"]                                         # doctest: +SKIP
"""

from __future__ import annotations

import time as time_module

import numpy as np

from ..errors import ModelError
from .evaluation import all_activity, assign_labels, proportion_weighting
from .monitors import Monitor
from .network import Network, Rates

__all__ = ["SpikeCounter", "collect_counts", "evaluate", "present", "train_unsupervised"]


class SpikeCounter:
    """The spike counts of one layer in each run: a :class:`Monitor` of its ``s`` over the last ``time``
    ms, added to the network once (as ``"<layer> spike counter"``; a counter of another window replaces it)."""

    def __init__(self, net: Network, layer: str, time: float):
        if layer not in net.layers:
            raise ModelError(f"SpikeCounter: the network has no layer {layer!r}; layers: {', '.join(net.layers)}")
        self.net, self.layer = net, layer
        self.steps = int(round(float(time) / net.dt))
        name = f"{layer} spike counter"  # one name: the compiled loop does not change with the window
        mon = net.monitors.get(name)
        if mon is None or mon.time != self.steps:
            mon = Monitor(net.layers[layer], ["s"], time=self.steps)
            net.add_monitor(mon, name)
        self.monitor = mon

    def counts(self):
        """``(batch, neurons)`` spike counts of the last run."""
        s = self.monitor.get("s")
        return s.reshape(s.shape[0], s.shape[1], -1).sum(axis=0, dtype=np.int64)


def _rates(images, intensity, shape):
    """uint8 images -> rates (Hz) of the Input layer, ``(batch, *shape)``."""
    images = np.asarray(images, dtype=np.float64)
    return (images / 255.0 * intensity).reshape(len(images), *shape)


def present(net, images, time, counter, input="X", intensity=128.0, min_spikes=0, boost=32.0, max_tries=5):
    """Show a batch of images (``(batch, ...)``, 0-255) for ``time`` ms each and return the read-out layer's
    ``(batch, neurons)`` spike counts.  An image giving fewer than ``min_spikes`` spikes is shown again with
    ``boost`` Hz more intensity (the others of its batch get no input then, so they neither spike nor learn),
    up to ``max_tries`` presentations; an all-black image is shown once.  The state is reset after each
    presentation; weights and adaptive thresholds are kept."""
    layer = net.layers[input]
    images = np.asarray(images)
    counts = np.zeros((len(images), net.layers[counter.layer].n), dtype=np.int64)
    todo = images.reshape(len(images), -1).any(axis=1)  # a black image stays silent however bright
    for attempt in range(max(1, int(max_tries))):
        rates = _rates(images, intensity + attempt * boost, layer.shape)
        rates[~todo] = 0.0
        net.run(inputs={input: Rates(rates if len(images) > 1 else rates[0])}, time=time)
        got = counter.counts()
        counts[todo] = got[todo]
        net.reset_state_variables()
        todo &= counts.sum(axis=1) < min_spikes
        if not todo.any():
            break
    return counts


def collect_counts(net, dataset, time, counter, learn, input="X", intensity=128.0, min_spikes=0, boost=32.0,
                 max_tries=5, batch_size=1, progress=None, on_batch=None):
    """The read-out layer's spike counts for every image of ``dataset`` (``(N, neurons)``), in order, with
    learning on (``learn=True``) or frozen, ``batch_size`` images at a time (a short last batch is padded
    with black images, which make no input spikes, so the network keeps its batch size).  ``progress``: a
    tqdm bar to advance; ``on_batch(indices, counts)`` is called after each batch."""
    before = net.learning
    net.train(bool(learn))
    try:
        out = np.zeros((len(dataset), net.layers[counter.layer].n), dtype=np.int64)
        for start in range(0, len(dataset), batch_size):
            idx = np.arange(start, min(start + batch_size, len(dataset)))
            images = dataset.images[idx]
            if len(idx) < batch_size:  # a short last batch, padded with black images: no resize, no rebuild
                images = np.concatenate([images, np.zeros((batch_size - len(idx), *images.shape[1:]), images.dtype)])
            out[idx] = present(net, images, time, counter, input, intensity, min_spikes, boost,
                               max_tries)[:len(idx)]
            if progress is not None:
                progress.update(len(idx))
            if on_batch is not None:
                on_batch(idx, out[idx])
        return out
    finally:
        net.train(before)


def evaluate(net, train, test, time, counter, n_labels=10, **options):
    """Label the neurons from the training images and classify the held-out ones, everything frozen.
    Returns a dict: ``all_activity`` and ``proportion_weighting`` (accuracies, in %), ``assignments``,
    ``proportions``, ``train_counts``, ``test_counts``, ``silent`` (% of held-out images with no spike)."""
    train_counts = collect_counts(net, train, time, counter, learn=False, **options)
    test_counts = collect_counts(net, test, time, counter, learn=False, **options)
    assignments, proportions, _ = assign_labels(train_counts, train.labels, n_labels)
    aa = all_activity(test_counts, assignments, n_labels)
    pw = proportion_weighting(test_counts, assignments, proportions, n_labels)
    return dict(all_activity=100.0 * float(np.mean(aa == test.labels)),
                proportion_weighting=100.0 * float(np.mean(pw == test.labels)),
                assignments=assignments, proportions=proportions, train_counts=train_counts,
                test_counts=test_counts, silent=100.0 * float(np.mean(test_counts.sum(axis=1) == 0)))


class _Anneal:
    """Multiply every learning rule's ``nu`` and every layer's ``theta_plus`` by ``factor**k`` in pass k."""

    def __init__(self, net):
        self.net = net
        self.nu = {key: tuple(c.update_rule.nu) for key, c in net.connections.items()}
        self.theta = {name: layer.params["theta_plus"] for name, layer in net.layers.items()
                      if "theta_plus" in getattr(layer, "params", {})}

    def set(self, nu_factor, theta_factor):
        for key, nu in self.nu.items():
            self.net.connections[key].update_rule.nu = tuple(v * nu_factor for v in nu)
        for name, value in self.theta.items():
            self.net.layers[name].theta_plus = np.asarray(value) * theta_factor


def train_unsupervised(net, train, test, passes=1, time=250.0, intensity=128.0, anneal=1.0, theta_anneal=None,
                       input="X", layer="Ae", min_spikes=5, boost=32.0, max_tries=5, batch_size=1, n_labels=10,
                       update_interval=250, progress=True, on_pass=None):
    """Train ``net`` without labels for ``passes`` passes over ``train`` (an :class:`ImageDataset`, in its
    order), evaluating after each pass on ``test`` (:func:`evaluate`).  Returns one dict per pass: the
    evaluation's accuracies plus ``pass``, ``nu_factor``, ``train_seconds``, ``eval_seconds``,
    ``samples_per_second`` (training), ``running_accuracy`` (during training: each block of
    ``update_interval`` images classified with labels from the block before, BindsNET's running estimate),
    ``theta`` (mean adaptive threshold of ``layer``, mV, if it has one).

    ``anneal``: the learning rates are multiplied by ``anneal**k`` in pass ``k`` (0-based), and the
    thresholds' increment by ``theta_anneal**k`` (default: ``anneal``).  ``on_pass(history)`` is called after
    each pass (for plots).  ``progress``: a tqdm bar per pass showing samples/s and the running accuracy."""
    if layer not in net.layers or input not in net.layers:
        raise ModelError(f"train_unsupervised: the network has no layer {layer if layer not in net.layers else input!r}"
                         f"; layers: {', '.join(net.layers)}")
    theta_anneal = anneal if theta_anneal is None else theta_anneal
    counter = SpikeCounter(net, layer, time)
    schedule = _Anneal(net)
    options = dict(input=input, intensity=intensity, min_spikes=min_spikes, boost=boost, max_tries=max_tries,
                   batch_size=batch_size)
    history = []
    try:
        for k in range(int(passes)):
            schedule.set(anneal ** k, theta_anneal ** k)
            running = _RunningAccuracy(train.labels, n_labels, update_interval)
            bar = _bar(progress, len(train), f"pass {k + 1}/{passes}")
            t0 = time_module.perf_counter()
            collect_counts(net, train, time, counter, learn=True, progress=bar,
                         on_batch=lambda idx, c, bar=bar, running=running: running.add(idx, c, bar), **options)
            t1 = time_module.perf_counter()
            if bar is not None:
                bar.close()
            result = evaluate(net, train, test, time, counter, n_labels, **options)
            t2 = time_module.perf_counter()
            result.update({"pass": k + 1, "nu_factor": anneal ** k, "train_seconds": t1 - t0,
                           "eval_seconds": t2 - t1, "samples_per_second": len(train) / (t1 - t0),
                           "running_accuracy": running.accuracy(), "theta": _mean_theta(net.layers[layer])})
            history.append(result)
            if on_pass is not None:
                on_pass(history)
    finally:
        schedule.set(1.0, 1.0)
    return history


def _mean_theta(layer):
    """The mean adaptive threshold of a layer that has one (mV), else None."""
    return float(np.mean(layer.theta)) if "theta" in layer._spec.variables else None


def _bar(progress, total, desc):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="img", leave=True, dynamic_ncols=True)


class _RunningAccuracy:
    """BindsNET's estimate during training: the images of each block of ``interval`` are classified (all
    activity) with the labels assigned from the block before."""

    def __init__(self, labels, n_labels, interval):
        self.labels, self.n_labels, self.interval = labels, n_labels, int(interval)
        self.block_idx, self.block_counts = [], []
        self.assignments = None
        self.right = self.seen = 0

    def add(self, idx, counts, bar):
        self.block_idx.append(idx)
        self.block_counts.append(counts)
        if sum(len(i) for i in self.block_idx) < self.interval:
            return
        idx, counts = np.concatenate(self.block_idx), np.concatenate(self.block_counts)
        self.block_idx, self.block_counts = [], []
        if self.assignments is not None:
            predicted = all_activity(counts, self.assignments, self.n_labels)
            self.right += int(np.sum(predicted == self.labels[idx]))
            self.seen += len(idx)
            if bar is not None:
                bar.set_postfix(running_acc=f"{100 * self.right / self.seen:.1f}%")
        self.assignments = assign_labels(counts, self.labels[idx], self.n_labels)[0]

    def accuracy(self):
        return 100.0 * self.right / self.seen if self.seen else None
