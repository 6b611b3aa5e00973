"""snngen.ml.evaluation against hand-computed cases."""

import numpy as np
import pytest

from snngen.errors import ModelError
from snngen.ml.evaluation import (
    LogisticReadout,
    all_activity,
    assign_labels,
    ngram,
    proportion_weighting,
    spike_counts,
    update_ngram_scores,
)

# 4 samples x 4 neurons of spike counts; labels 0, 1, 0, 2 (3 classes); neuron 3 never fires
COUNTS = np.array([[4, 0, 1, 0],
                   [0, 3, 1, 0],
                   [2, 0, 0, 0],
                   [0, 1, 3, 0]])
LABELS = np.array([0, 1, 0, 2])


def test_assign_labels_by_hand():
    a, p, r = assign_labels(COUNTS, LABELS, 3)
    # mean counts per class: class 0 -> samples 0, 2; class 1 -> sample 1; class 2 -> sample 3
    assert r.tolist() == [[3.0, 0.0, 0.0], [0.0, 3.0, 1.0], [0.5, 1.0, 3.0], [0.0, 0.0, 0.0]]
    assert a.tolist() == [0, 1, 2, -1]  # a silent neuron is -1, not class 0
    np.testing.assert_allclose(p[1], [0, 0.75, 0.25])
    np.testing.assert_allclose(p[2], [0.5 / 4.5, 1 / 4.5, 3 / 4.5])
    assert p[3].tolist() == [0, 0, 0]


def test_assign_labels_running_average_and_time_axis():
    spikes = np.zeros((4, 5, 4), bool)  # the same counts spread over 5 steps
    for s, row in enumerate(COUNTS):
        for n, c in enumerate(row):
            spikes[s, :c, n] = True
    _, _, r1 = assign_labels(spikes, LABELS, 3)
    # a second batch with only class 0, alpha 0.5: class 0 is 0.5*old + new mean; classes 1 and 2 untouched
    _, _, r2 = assign_labels(np.array([[0, 2, 0, 0]]), np.array([0]), 3, rates=r1, alpha=0.5)
    assert r2[:, 0].tolist() == [1.5, 2.0, 0.25, 0.0]
    assert np.array_equal(r2[:, 1:], r1[:, 1:])


def test_all_activity_and_proportion_weighting_by_hand():
    assignments = np.array([0, 1, 1, -1])
    proportions = np.array([[1.0, 0, 0], [0, 0.5, 0.5], [0, 0.9, 0.1], [0, 0, 0]])
    test = np.array([[2, 1, 1, 5],   # class 0: 2/1 = 2; class 1: (1+1)/2 = 1        -> 0
                     [1, 3, 1, 0],   # class 0: 1; class 1: 2                          -> 1
                     [0, 0, 0, 7]])  # only the unassigned neuron fires                -> -1
    assert all_activity(test, assignments, 3).tolist() == [0, 1, -1]
    # proportion weighting, sample 0: class 0 = 2*1/1 = 2; class 1 = (0.5*1 + 0.9*1)/2 = 0.7; class 2 = 0
    # sample 1: class 0 = 1; class 1 = (0.5*3 + 0.9*1)/2 = 1.2 -> 1
    # a case where weighting changes the answer: neuron 1 fires a lot but is only half sure of class 1
    assert proportion_weighting(test, assignments, proportions, 3).tolist() == [0, 1, -1]
    flip = np.array([[1, 2.5, 0, 0]])  # all activity: class 1 (1.25) > class 0 (1); weighted: 0.625 < 1
    assert all_activity(flip, assignments, 3).tolist() == [1]
    assert proportion_weighting(flip, assignments, proportions, 3).tolist() == [0]


def test_ngram_counts_every_window():
    # one sample: neuron 0 at t=0, nothing at t=1, neurons 1 and 2 at t=2, neuron 0 at t=4
    s = np.zeros((1, 5, 3), bool)
    s[0, 0, 0] = s[0, 2, 1] = s[0, 2, 2] = s[0, 4, 0] = True
    scores = update_ngram_scores(s, np.array([1]), 2, 2)
    # fire order (0,), (1, 2), (0,): bigrams (0,1), (0,2), (1,0), (2,0) -- the last window included
    assert {k: v.tolist() for k, v in scores.items()} == {
        (0, 1): [0, 1], (0, 2): [0, 1], (1, 0): [0, 1], (2, 0): [0, 1]}
    other = np.zeros((1, 3, 3), bool)
    other[0, 0, 2] = other[0, 1, 1] = True  # bigram (2, 1): class 0
    scores = update_ngram_scores(other, np.array([0]), 2, 2, scores)
    probe = np.zeros((3, 4, 3), bool)
    probe[0, 0, 1] = probe[0, 3, 0] = True   # (1, 0) -> class 1
    probe[1, 1, 2] = probe[1, 2, 1] = True   # (2, 1) -> class 0
    probe[2, 0, 1] = probe[2, 1, 2] = True   # (1, 2): never seen -> -1
    assert ngram(probe, scores, 2, 2).tolist() == [1, 0, -1]


def test_logistic_readout_separates_counts():
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 30)
    counts = rng.poisson(1.0, (90, 6)).astype(float)
    counts[np.arange(90), 2 * labels] += 8  # class c drives neuron 2c
    readout = LogisticReadout()
    assert readout.predict(counts).tolist() == [-1] * 90  # unfitted
    readout.fit(counts[::2], labels[::2])
    assert readout.score(counts[1::2], labels[1::2]) > 0.95


def test_bad_shapes_are_named():
    with pytest.raises(ModelError, match="one entry per sample"):
        assign_labels(COUNTS, LABELS[:3], 3)
    with pytest.raises(ModelError, match=r"integers in \[0, 2\)"):
        assign_labels(COUNTS, LABELS, 2)
    with pytest.raises(ModelError, match="one entry per neuron"):
        all_activity(COUNTS, np.zeros(3, int), 3)
    with pytest.raises(ModelError, match="samples, time, neurons"):
        spike_counts(np.zeros(3))
