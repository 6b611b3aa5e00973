"""Spike encoders (snngen.ml.encoding) against their definitions: exact spikes where the encoder is
deterministic, a plain-numpy transcription for BindsNET's interval encoder, and the statistics of the
processes (with bounds of several standard errors) for the random ones."""

import numpy as np
import pytest

from snngen.errors import ModelError
from snngen.ml import encoding as enc


def test_poisson_is_a_bernoulli_process_at_rate_dt():
    rates = np.array([[0.0, 20.0], [100.0, 400.0]])
    for dt in (1.0, 0.5):
        s = enc.poisson(rates, time=20000, dt=dt, rng=1)
        n = int(20000 / dt)
        assert s.shape == (n, 2, 2) and s.dtype == bool
        p = rates * dt / 1000
        counts = s.sum(axis=0)
        assert counts[0, 0] == 0
        # each count within 5 standard deviations of the binomial mean
        assert np.all(np.abs(counts - n * p) <= 5 * np.sqrt(n * p * (1 - p)) + 1e-9)
        # independent steps: the intervals of the 400 Hz train are geometric (CV sqrt(1 - p))
        isi = np.diff(np.flatnonzero(s[:, 1, 1]))
        assert abs(isi.std() / isi.mean() - np.sqrt(1 - p[1, 1])) < 0.03
        # and successive intervals are uncorrelated
        assert abs(np.corrcoef(isi[:-1], isi[1:])[0, 1]) < 0.05


def test_poisson_draws_reproducibly_and_leaves_the_datum_alone():
    rates = np.array([10.0, 50.0, 90.0])
    before = rates.copy()
    a, b = enc.poisson(rates, 100, rng=3), enc.poisson(rates, 100, rng=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(rates, before)
    np.random.seed(5)
    c = enc.poisson(rates, 100)
    np.random.seed(5)
    np.testing.assert_array_equal(c, enc.poisson(rates, 100))  # None: numpy's global generator


def bindsnet_transcription(rates, n, dt, gen):
    """BindsNET 0.3.4's Poisson encoder as its documentation and behaviour describe it, one neuron at a time:
    intervals ~ Poisson(1000/(rate*dt)) (0 -> 1), spike steps = their running sum, steps 1..n kept."""
    out = np.zeros((n, rates.size), dtype=bool)
    mean = np.where(rates > 0, 1000.0 / (np.where(rates > 0, rates, 1) * dt), 0.0)
    draws = gen.poisson(mean, size=(n + 1, rates.size))
    for k, r in enumerate(rates):
        if r <= 0:
            continue
        t = 0
        for row in range(n + 1):
            t += max(int(draws[row, k]), 1)
            if t > n:
                break
            out[t - 1, k] = True
    return out


def test_bindsnet_mode_is_bindsnets_interval_encoder():
    rates = np.array([0.0, 5.0, 60.0, 250.0])
    for dt in (1.0, 0.5):
        got = enc.poisson(rates, time=300, dt=dt, rng=np.random.default_rng(7), mode="bindsnet")
        want = bindsnet_transcription(rates, int(300 / dt), dt, np.random.default_rng(7))
        np.testing.assert_array_equal(got, want)
    # far more regular than a Poisson process: mean interval lambda + e^-lambda, CV about 1/sqrt(lambda)
    s = enc.poisson(np.array([50.0]), time=100000, rng=2, mode="bindsnet")
    isi = np.diff(np.flatnonzero(s[:, 0]))
    lam = 20.0
    assert abs(isi.mean() - (lam + np.exp(-lam))) < 0.1
    assert abs(isi.std() / isi.mean() - 1 / np.sqrt(lam)) < 0.02


def test_bernoulli_scales_only_data_above_one():
    x = np.array([0.0, 0.25, 0.5, 1.0])
    s = enc.bernoulli(x, time=40000, rng=4)
    assert s.shape == (40000, 4)
    freq = s.mean(axis=0)
    assert freq[0] == 0 and freq[3] == 1
    np.testing.assert_allclose(freq[1:3], [0.25, 0.5], atol=5 * np.sqrt(0.25 / 40000))
    y = np.array([0.0, 50.0, 200.0])  # divided by its maximum, then max_prob
    freq = enc.bernoulli(y, time=20000, dt=0.5, max_prob=0.8, rng=5).mean(axis=0)
    np.testing.assert_allclose(freq, [0.0, 0.2, 0.8], atol=5 * np.sqrt(0.25 / 40000))
    one = enc.bernoulli(x, rng=6)  # time=None: one step
    assert one.shape == (4,) and list(one[[0, 3]]) == [False, True]


def test_rank_order_latency_is_inverse_to_intensity_and_the_weakest_spikes_last():
    x = np.array([[0.0, 1.0, 2.0], [4.0, 8.0, 0.5]])
    s = enc.rank_order(x, time=16)
    assert s.shape == (16, 2, 3)
    assert s.sum() == 5 and s[:, 0, 0].sum() == 0  # one spike per non-zero feature
    steps = {(i, j): int(np.flatnonzero(s[:, i, j])[0]) for i in range(2) for j in range(3) if x[i, j] > 0}
    # step = ceil(16 * x_min / x) - 1, x_min = 0.5
    assert steps == {(1, 2): 15, (0, 1): 7, (0, 2): 3, (1, 0): 1, (1, 1): 0}
    half = enc.rank_order(x, time=16, dt=0.5)  # 32 steps
    assert int(np.flatnonzero(half[:, 1, 2])[0]) == 31 and int(np.flatnonzero(half[:, 0, 1])[0]) == 15
    assert not enc.rank_order(np.zeros(3), time=5).any()


def test_single_spikes_once_above_the_quantile_and_repeat_repeats():
    x = np.arange(10.0)
    s = enc.single(x, time=5, sparsity=0.3)
    assert s.shape == (5, 10) and not s[1:].any()
    np.testing.assert_array_equal(np.flatnonzero(s[0]), [7, 8, 9])  # above the 0.7 quantile (6.3)
    r = enc.repeat(np.array([[1.5, -2.0]]), time=3, dt=0.5)
    assert r.shape == (6, 1, 2) and np.all(r == [[1.5, -2.0]])


def test_encoder_classes_and_loaders_encode_sample_after_sample():
    data = np.array([[10.0, 0.0], [0.0, 900.0]])
    e = enc.PoissonEncoder(time=50, dt=0.5, rng=8)
    out = [e(d) for d in data]
    assert [o.shape for o in out] == [(100, 2), (100, 2)]
    assert not out[0][:, 1].any() and not out[1][:, 0].any() and out[1][:, 1].sum() > 20
    loaded = list(enc.poisson_loader(data, time=50, dt=0.5, rng=8))
    for a, b in zip(loaded, out):
        np.testing.assert_array_equal(a, b)
    assert [s.argmax(axis=0).tolist() for s in enc.rank_order_loader(data, time=10)] == [[9, 0], [0, 9]]
    assert "PoissonEncoder(time=50, dt=0.5" in repr(e)


@pytest.mark.parametrize("call, message", [
    (lambda: enc.poisson([-1.0], 10), "must not be negative"),
    (lambda: enc.poisson([np.nan], 10), "non-finite"),
    (lambda: enc.poisson([2000.0], 10), r"probability 2 > 1"),
    (lambda: enc.poisson([5.0], 10, dt=0.3), "whole number of steps"),
    (lambda: enc.poisson([5.0], 10, mode="fast"), "mode must be"),
    (lambda: enc.poisson([5.0], 10, rng="seed"), "rng must be"),
    (lambda: enc.bernoulli([0.5], 10, max_prob=2), "max_prob"),
    (lambda: enc.single([0.5], 10, sparsity=-0.1), "sparsity"),
    (lambda: enc.rank_order([["a"]], 10), "array of numbers"),
    (lambda: enc.PoissonEncoder(time=-5), "whole number of steps"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ModelError, match=message):
        call()
