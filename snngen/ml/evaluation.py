"""Reading labels out of spikes (BindsNET's ``bindsnet.evaluation``), as pure numpy functions.

The scheme of Diehl & Cook (2015), Front Comput Neurosci 9:99, section 2.5: after (or during) training,
each excitatory neuron is *assigned* the class for which it fired most on average over the labelled samples;
a new sample is then classified by the class whose assigned neurons fired most on average
(:func:`all_activity`), or with each neuron's vote weighted by the fraction of its firing that went to that
class (:func:`proportion_weighting`).  :func:`ngram` classifies by ordered sequences of firing neurons, and
:class:`LogisticReadout` fits a logistic regression (scikit-learn) to the spike counts.

``spikes`` is ``(samples, time, neurons)`` (a recording: ``Monitor.get("s")`` of each sample, stacked) or,
where only counts matter, ``(samples, neurons)`` of spike counts.

Unlike BindsNET: a neuron that never fired is assigned ``-1`` (BindsNET assigns class 0), a sample none of
whose assigned neurons fired is predicted ``-1`` (counted as wrong, never as a lucky class 0), and
:func:`ngram` counts every window of ``n`` successive spiking steps (BindsNET misses the last one).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import ModelError

__all__ = [
    "LogisticReadout", "all_activity", "assign_labels", "logreg_fit", "logreg_predict", "ngram",
    "proportion_weighting", "spike_counts", "update_ngram_scores",
]


def spike_counts(spikes):
    """``(samples, neurons)`` spike counts of ``spikes`` (``(samples, time, neurons)`` or already counts)."""
    spikes = np.asarray(spikes)
    if spikes.ndim == 3:
        return spikes.sum(axis=1, dtype=np.float64)
    if spikes.ndim == 2:
        return spikes.astype(np.float64, copy=False)
    raise ModelError(f"spikes must be (samples, time, neurons) or (samples, neurons) counts, not shape {spikes.shape}")


def _labels(labels, n_samples, n_labels):
    labels = np.asarray(labels)
    if labels.shape != (n_samples,):
        raise ModelError(f"labels must have one entry per sample ({n_samples}), not shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or (labels.size and (labels.min() < 0 or labels.max() >= n_labels)):
        raise ModelError(f"labels must be integers in [0, {n_labels}); got {labels.dtype} "
                         f"{labels.min() if labels.size else ''}..{labels.max() if labels.size else ''}")
    return labels.astype(np.int64)


def assign_labels(spikes, labels, n_labels, rates=None, alpha=1.0):
    """Assign each neuron the class it fires most for.

    ``rates[n, c]`` becomes ``alpha * rates[n, c]`` plus the mean spike count of neuron ``n`` over the samples
    of class ``c`` (classes absent from ``labels`` keep their old rate, unscaled); ``alpha < 1`` lets a running
    estimate forget old batches.  Returns ``(assignments, proportions, rates)``: ``assignments[n]`` the class
    of highest rate (``-1`` for a neuron whose rates are all zero), ``proportions[n, c] = rates[n, c] /
    sum_c rates[n, c]`` (zeros for a silent neuron).

    >>> a, p, r = assign_labels(np.array([[3, 0], [0, 2], [1, 0]]), np.array([0, 1, 0]), 2)
    >>> a.tolist(), r.tolist()
    ([0, 1], [[2.0, 0.0], [0.0, 2.0]])
    """
    counts = spike_counts(spikes)
    labels = _labels(labels, counts.shape[0], n_labels)
    n_neurons = counts.shape[1]
    rates = np.zeros((n_neurons, n_labels)) if rates is None else np.array(rates, dtype=np.float64)
    if rates.shape != (n_neurons, n_labels):
        raise ModelError(f"rates must be (neurons, n_labels) = {(n_neurons, n_labels)}, not {rates.shape}")
    for c in range(n_labels):
        mask = labels == c
        if mask.any():
            rates[:, c] = alpha * rates[:, c] + counts[mask].mean(axis=0)
    total = rates.sum(axis=1)
    proportions = np.divide(rates, total[:, None], out=np.zeros_like(rates), where=total[:, None] > 0)
    assignments = np.where(total > 0, rates.argmax(axis=1), -1)
    return assignments, proportions, rates


def _class_scores(counts, assignments, n_labels, weights=None):
    """``(samples, n_labels)``: per class, the (weighted) spikes of its neurons divided by how many it has."""
    assignments = np.asarray(assignments)
    if assignments.shape != (counts.shape[1],):
        raise ModelError(f"assignments must have one entry per neuron ({counts.shape[1]}), not {assignments.shape}")
    scores = np.zeros((counts.shape[0], n_labels))
    for c in range(n_labels):
        members = assignments == c
        if members.any():
            w = 1.0 if weights is None else weights[members, c]
            scores[:, c] = (counts[:, members] * w).sum(axis=1) / members.sum()
    return scores


def _decide(scores):
    """argmax per sample, ``-1`` where every score is zero (no assigned neuron fired)."""
    return np.where(scores.max(axis=1) > 0, scores.argmax(axis=1), -1)


def all_activity(spikes, assignments, n_labels):
    """Predict each sample's class: the class whose assigned neurons have the highest mean spike count
    (Diehl & Cook 2015, section 2.5); ``-1`` for a sample none of whose assigned neurons fired."""
    return _decide(_class_scores(spike_counts(spikes), assignments, n_labels))


def proportion_weighting(spikes, assignments, proportions, n_labels):
    """Predict each sample's class: the class ``c`` maximising ``sum over neurons n assigned to c of
    proportions[n, c] * count_n``, divided by the number of neurons assigned to ``c``; ``-1`` when none
    fired."""
    proportions = np.asarray(proportions, dtype=np.float64)
    counts = spike_counts(spikes)
    if proportions.shape != (counts.shape[1], n_labels):
        raise ModelError(f"proportions must be (neurons, n_labels) = {(counts.shape[1], n_labels)}, "
                         f"not {proportions.shape}")
    return _decide(_class_scores(counts, assignments, n_labels, proportions))


def _fire_order(sample):
    """The neurons that fired at each step that had a spike, in time order."""
    return [tuple(np.flatnonzero(step)) for step in sample if step.any()]


def _grams(sample, n):
    order = _fire_order(sample)
    for start in range(len(order) - n + 1):
        yield from itertools.product(*order[start:start + n])


def update_ngram_scores(spikes, labels, n_labels, n, ngram_scores=None):
    """Count, per class, each ordered ``n``-tuple of neurons firing at ``n`` successive spiking steps
    (one neuron from each step, every combination; steps with no spike are skipped).  ``spikes`` is
    ``(samples, time, neurons)``; returns the updated dict ``tuple -> counts per class``."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 3:
        raise ModelError(f"ngram needs spikes in time, (samples, time, neurons), not shape {spikes.shape}")
    labels = _labels(labels, spikes.shape[0], n_labels)
    if int(n) < 1:
        raise ModelError(f"ngram: n must be at least 1, not {n}")
    scores = {} if ngram_scores is None else ngram_scores
    for sample, label in zip(spikes, labels):
        for gram in _grams(sample, int(n)):
            scores.setdefault(gram, np.zeros(n_labels))[label] += 1
    return scores


def ngram(spikes, ngram_scores, n_labels, n):
    """Predict each sample's class by summing the class counts (:func:`update_ngram_scores`) of the
    ``n``-grams it contains; ``-1`` for a sample with no known ``n``-gram."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 3:
        raise ModelError(f"ngram needs spikes in time, (samples, time, neurons), not shape {spikes.shape}")
    scores = np.zeros((spikes.shape[0], n_labels))
    for k, sample in enumerate(spikes):
        for gram in _grams(sample, int(n)):
            if gram in ngram_scores:
                scores[k] += ngram_scores[gram]
    return _decide(scores)


class LogisticReadout:
    """A logistic regression (scikit-learn's ``LogisticRegression``) from spike counts to classes.

    ``LogisticReadout(**kwargs)`` passes ``kwargs`` to ``LogisticRegression``; ``fit(spikes, labels)``,
    ``predict(spikes)`` (``-1`` for every sample while unfitted), ``score(spikes, labels)`` (accuracy).
    Counts are used as they are (no scaling), so a readout fitted at one presentation time suits only it.
    """

    def __init__(self, **kwargs):
        try:
            from sklearn.linear_model import LogisticRegression
        except ImportError:
            raise ModelError("LogisticReadout needs scikit-learn: pip install scikit-learn") from None
        kwargs.setdefault("max_iter", 1000)
        self.model = LogisticRegression(**kwargs)
        self.fitted = False

    def fit(self, spikes, labels):
        counts = spike_counts(spikes)
        labels = np.asarray(labels)
        if labels.shape != (counts.shape[0],):
            raise ModelError(f"labels must have one entry per sample ({counts.shape[0]}), not shape {labels.shape}")
        from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

        # one BLAS thread: these fits are small, and multithreaded OpenBLAS made them 30-40x slower on a
        # busy 2-core machine (7.5 s instead of 0.2 s for 4,000 x 400 counts)
        with threadpool_limits(limits=1, user_api="blas"):
            self.model.fit(counts, labels)
        self.fitted = True
        return self

    def predict(self, spikes):
        counts = spike_counts(spikes)
        if not self.fitted:
            return np.full(counts.shape[0], -1, dtype=np.int64)
        return self.model.predict(counts).astype(np.int64)

    def score(self, spikes, labels):
        return float(np.mean(self.predict(spikes) == np.asarray(labels)))


def logreg_fit(spikes, labels, readout=None):
    """BindsNET's name: fit (a new, or the given) :class:`LogisticReadout` on spike counts; returns it."""
    return (readout or LogisticReadout()).fit(spikes, labels)


def logreg_predict(spikes, readout):
    """BindsNET's name: the readout's predictions (``-1`` while unfitted)."""
    return readout.predict(spikes)
