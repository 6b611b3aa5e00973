"""Spike encoders: a datum (an image, a feature vector) -> spikes ``[time/dt, *shape]``, as BindsNET's
``bindsnet.encoding`` names them, with BindsNET's units (``time`` and ``dt`` in ms, rates in Hz).

Every encoder returns a new array and never writes into the caller's.  Random encoders take ``rng``: a
``numpy.random.Generator``, an int seed, or None (numpy's global generator, so ``np.random.seed(n)`` makes
a script reproducible).

``poisson`` is a Poisson process: in each step a neuron of rate ``r`` spikes with probability
``r*dt/1000``, independently.  BindsNET's own encoder is not one (it draws each inter-spike interval,
in steps, from a Poisson law of mean ``1000/(r*dt)``, an interval of 0 counted as 1: far more regular
than a Poisson process, CV about ``1/sqrt(mean interval)``, and 7-14 % more downstream spikes on the
BindsNET paper's benchmark); ``mode="bindsnet"`` reproduces it for comparisons.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ModelError

__all__ = [
    "BernoulliEncoder", "PoissonEncoder", "RankOrderEncoder", "RepeatEncoder", "SingleEncoder", "bernoulli",
    "bernoulli_loader", "poisson", "poisson_loader", "rank_order", "rank_order_loader", "repeat", "single",
]


def _generator(rng):
    if rng is None:
        return np.random.mtrand._rand  # numpy's global generator (np.random.seed)
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    raise ModelError(f"rng must be a numpy Generator, an int seed or None, not {type(rng).__name__}")


def _uniform(gen, shape):
    return gen.random(shape) if isinstance(gen, np.random.Generator) else gen.random_sample(shape)


def _steps(time, dt, what):
    """The number of steps of ``time`` ms at ``dt`` ms (a whole number of them)."""
    try:
        time, dt = float(time), float(dt)
    except (TypeError, ValueError):
        raise ModelError(f"{what}: time and dt are numbers of milliseconds") from None
    if not dt > 0 or not math.isfinite(dt):
        raise ModelError(f"{what}: dt must be a positive number of milliseconds, not {dt!r}")
    n = round(time / dt)
    if not time >= 0 or not math.isfinite(time) or abs(n * dt - time) > 1e-9 * max(time, dt):
        raise ModelError(f"{what}: time ({time!r} ms) must be a whole number of steps of dt ({dt!r} ms)")
    return int(n)


def _datum(datum, what, nonnegative=True):
    """The datum as a float array (a copy never needed: encoders only read it); a torch tensor is read on the
    host."""
    if hasattr(datum, "detach") and hasattr(datum, "cpu"):  # a torch tensor
        datum = datum.detach().cpu().numpy()
    elif hasattr(datum, "get") and hasattr(datum, "__cuda_array_interface__"):  # a CuPy array
        datum = datum.get()
    try:
        a = np.asarray(datum, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelError(f"{what}: the datum must be an array of numbers") from None
    if not np.all(np.isfinite(a)):
        raise ModelError(f"{what}: the datum has {int(np.sum(~np.isfinite(a)))} non-finite values")
    if nonnegative and a.size and a.min() < 0:
        raise ModelError(f"{what}: the datum must not be negative (its minimum is {a.min():g})")
    return a


def poisson(datum, time, dt=1.0, rng=None, mode="poisson"):
    """Spikes ``[time/dt, *shape]`` (bool) of independent Poisson processes with the rates ``datum`` (Hz).

    ``mode="poisson"`` (the default): a spike in each step with probability ``rate*dt/1000`` (at most 1).
    ``mode="bindsnet"``: BindsNET 0.3.4's encoder (inter-spike intervals in steps drawn from a Poisson law
    of mean ``1000/(rate*dt)``, 0 counted as 1; not a Poisson process: see the module's notes).
    """
    rates = _datum(datum, "poisson")
    n = _steps(time, dt, "poisson")
    gen = _generator(rng)
    if mode == "poisson":
        p = rates * float(dt) / 1000.0
        if p.size and p.max() > 1:
            raise ModelError(f"poisson: a rate of {rates.max():g} Hz spikes with probability {p.max():g} > 1 per "
                             f"step of {float(dt):g} ms; use a smaller dt or lower rates")
        return _uniform(gen, (n,) + rates.shape) < p
    if mode == "bindsnet":
        flat = rates.ravel()
        out = np.zeros((n, flat.size), dtype=bool)
        live = flat > 0
        mean = np.zeros_like(flat)
        mean[live] = 1000.0 / (flat[live] * float(dt))  # the mean interval, in steps
        intervals = gen.poisson(mean, size=(n + 1, flat.size)) if n + 1 else np.zeros((0, flat.size), np.int64)
        intervals[:, live] = np.maximum(intervals[:, live], 1)
        times = np.cumsum(intervals, axis=0)  # step 1 .. n of the window (BindsNET's step 0 is dropped)
        for k in np.flatnonzero(live):
            t = times[:, k]
            t = t[t <= n]
            out[t - 1, k] = True
        return out.reshape((n,) + rates.shape)
    raise ModelError(f"poisson: mode must be 'poisson' or 'bindsnet', not {mode!r}")


def bernoulli(datum, time=None, dt=1.0, max_prob=1.0, rng=None):
    """Spikes ``[time/dt, *shape]`` (bool; ``time=None``: one step, ``[*shape]``): a spike in each step with
    probability ``max_prob * datum``, the datum first divided by its maximum when that is over 1
    (BindsNET's ``bernoulli``)."""
    a = _datum(datum, "bernoulli")
    if not 0 <= float(max_prob) <= 1:
        raise ModelError(f"bernoulli: max_prob must be in [0, 1], not {max_prob!r}")
    if a.size and a.max() > 1.0:
        a = a / a.max()
    p = float(max_prob) * a
    gen = _generator(rng)
    if time is None:
        return _uniform(gen, a.shape) < p
    return _uniform(gen, (_steps(time, dt, "bernoulli"),) + a.shape) < p


def rank_order(datum, time, dt=1.0):
    """One spike per non-zero feature, its latency inversely proportional to the feature's intensity: feature
    ``x`` spikes at step ``ceil(n * x_min / x) - 1`` of the ``n = time/dt`` steps, ``x_min`` the weakest
    non-zero feature (which spikes at the last step; BindsNET's ``rank_order`` loses that spike past the end).
    Zero features never spike."""
    a = _datum(datum, "rank_order")
    n = _steps(time, dt, "rank_order")
    out = np.zeros((n,) + a.shape, dtype=bool)
    flat = a.ravel()
    live = np.flatnonzero(flat > 0)
    if n == 0 or not live.size:
        return out
    x = flat[live]
    step = np.ceil(n * (x.min() / x) - 1e-9).astype(np.int64) - 1  # (1e-9: the weakest lands on step n - 1)
    step = np.clip(step, 0, n - 1)
    out.reshape(n, -1)[step, live] = True
    return out


def single(datum, time, dt=1.0, sparsity=0.5):
    """One spike, at the first step, for each feature above the ``1 - sparsity`` quantile of the datum
    (BindsNET's ``single``)."""
    a = _datum(datum, "single", nonnegative=False)
    if not 0 <= float(sparsity) <= 1:
        raise ModelError(f"single: sparsity must be in [0, 1], not {sparsity!r}")
    n = _steps(time, dt, "single")
    out = np.zeros((n,) + a.shape, dtype=bool)
    if n and a.size:
        out[0] = a > np.quantile(a, 1.0 - float(sparsity))
    return out


def repeat(datum, time, dt=1.0):
    """The datum itself at every step: ``[time/dt, *shape]`` real values (for a real-valued input layer)."""
    a = _datum(datum, "repeat", nonnegative=False)
    return np.repeat(a[None], _steps(time, dt, "repeat"), axis=0)


class _Encoder:
    """An encoder with its settings fixed: ``enc(datum)`` encodes one datum."""

    def __init__(self, time, dt=1.0, **settings):
        _steps(time, dt, type(self).__name__)
        self.time, self.dt, self.settings = time, dt, settings

    def __call__(self, datum):
        return self._encode(datum, self.time, self.dt, **self.settings)

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self.settings.items())
        return f"{type(self).__name__}(time={self.time!r}, dt={self.dt!r}{extra})"


class PoissonEncoder(_Encoder):
    _encode = staticmethod(poisson)

    def __init__(self, time, dt=1.0, rng=None, mode="poisson"):
        super().__init__(time, dt, rng=_generator(rng), mode=mode)


class BernoulliEncoder(_Encoder):
    _encode = staticmethod(bernoulli)

    def __init__(self, time, dt=1.0, max_prob=1.0, rng=None):
        super().__init__(time, dt, max_prob=max_prob, rng=_generator(rng))


class RankOrderEncoder(_Encoder):
    _encode = staticmethod(rank_order)


class SingleEncoder(_Encoder):
    _encode = staticmethod(single)

    def __init__(self, time, dt=1.0, sparsity=0.5):
        super().__init__(time, dt, sparsity=sparsity)


class RepeatEncoder(_Encoder):
    _encode = staticmethod(repeat)


def poisson_loader(data, time, dt=1.0, rng=None, mode="poisson"):
    """Encode the samples of ``data`` (an iterable, or an array whose first axis is the sample) one by one."""
    gen = _generator(rng)
    for datum in data:
        yield poisson(datum, time, dt, gen, mode)


def bernoulli_loader(data, time=None, dt=1.0, max_prob=1.0, rng=None):
    gen = _generator(rng)
    for datum in data:
        yield bernoulli(datum, time, dt, max_prob, gen)


def rank_order_loader(data, time, dt=1.0):
    for datum in data:
        yield rank_order(datum, time, dt)
