"""Action functions: the output layer's spikes of one environment step -> an action (BindsNET's
``bindsnet.pipeline.action``, corrected).

Each is ``f(spikes, n_actions, rng) -> action``: ``spikes`` is the output layer's recording of the step,
``(time, n)`` (one network) or ``(time, batch, n)`` (one agent per copy: the result is one action per copy);
all of its time steps count.  With ``n = k*n_actions`` nodes, action ``a`` is population ``a`` (nodes
``a*k .. a*k + k - 1``).  A silent output gives a uniformly random action, drawn from ``rng`` (a
``numpy.random.Generator``), and so does a tie between the best actions (``select_highest``,
``select_first_spike``): among the tied ones.

Unlike BindsNET's (``../shared/reference`` §13.9): ``select_multinomial`` reads every time step and the
neuron axis (BindsNET's slices the batch axis, so any spike gives action 0, and reads the last step only),
and the silent fallback of ``select_highest`` and ``select_first_spike`` is random (BindsNET's is always 0).
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError

__all__ = ["population_counts", "select_first_spike", "select_highest", "select_multinomial", "select_random",
           "select_softmax"]


def _spikes(spikes, n_actions, who):
    s = np.asarray(spikes)
    if s.ndim == 2:
        s, single = s[:, None, :], True
    elif s.ndim == 3:
        single = False
    else:
        raise ModelError(f"{who}: spikes are (time, n) or (time, batch, n), not shape {s.shape}")
    n_actions = int(n_actions)
    if n_actions < 1 or s.shape[2] % n_actions:
        raise ModelError(f"{who}: the output layer has {s.shape[2]} nodes, which do not split into {n_actions} "
                         f"actions (one population of equal size per action)")
    return s, single, n_actions


def _rng(rng):
    return rng if rng is not None else np.random.default_rng()


def population_counts(spikes, n_actions):
    """Spikes of each action's population over the whole step: ``(n_actions,)``, or ``(batch, n_actions)``."""
    s, single, n_actions = _spikes(spikes, n_actions, "population_counts")
    counts = s.sum(axis=0).reshape(s.shape[1], n_actions, -1).sum(axis=2).astype(np.float64)
    return counts[0] if single else counts


def _out(actions, single):
    return int(actions[0]) if single else actions


def _choose_best(score, rng):
    """Per row, a uniformly random choice among the maxima of ``score`` (B, n_actions)."""
    best = score == score.max(axis=1, keepdims=True)
    u = rng.random(best.shape) * best  # a random key on each maximum, 0 elsewhere
    return np.argmax(u + best, axis=1)  # every maximum's key is in [1, 2); the largest wins


def select_multinomial(spikes, n_actions, rng=None):
    """An action drawn with probability proportional to its population's spikes over the step; uniform when
    the output is silent."""
    s, single, n_actions = _spikes(spikes, n_actions, "select_multinomial")
    rng = _rng(rng)
    counts = s.sum(axis=0).reshape(s.shape[1], n_actions, -1).sum(axis=2).astype(np.float64)
    out = np.empty(len(counts), dtype=np.int64)
    for b, c in enumerate(counts):
        total = c.sum()
        out[b] = rng.choice(n_actions, p=c / total) if total > 0 else rng.integers(n_actions)
    return _out(out, single)


def select_softmax(spikes, n_actions, rng=None, temperature=1.0):
    """An action drawn from the softmax of the populations' spike counts over the step (divided by
    ``temperature``); a silent output gives every action the same probability."""
    s, single, n_actions = _spikes(spikes, n_actions, "select_softmax")
    if not temperature > 0:
        raise ModelError(f"select_softmax: temperature must be positive, not {temperature}")
    rng = _rng(rng)
    counts = s.sum(axis=0).reshape(s.shape[1], n_actions, -1).sum(axis=2).astype(np.float64) / temperature
    p = np.exp(counts - counts.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    out = np.array([rng.choice(n_actions, p=row) for row in p], dtype=np.int64)
    return _out(out, single)


def select_highest(spikes, n_actions, rng=None):
    """The action whose population spiked most over the step; ties (a silent output too) broken uniformly at
    random."""
    s, single, n_actions = _spikes(spikes, n_actions, "select_highest")
    counts = s.sum(axis=0).reshape(s.shape[1], n_actions, -1).sum(axis=2)
    return _out(_choose_best(counts.astype(np.float64), _rng(rng)), single)


def select_first_spike(spikes, n_actions, rng=None):
    """The action whose population spiked first in the step; populations first spiking in the same time step
    (and a silent output) tie, broken uniformly at random."""
    s, single, n_actions = _spikes(spikes, n_actions, "select_first_spike")
    T, B = s.shape[:2]
    any_spike = s.reshape(T, B, n_actions, -1).any(axis=3)  # (T, B, n_actions)
    first = np.where(any_spike.any(axis=0), np.argmax(any_spike, axis=0), T)  # (B, n_actions)
    return _out(_choose_best(-first.astype(np.float64), _rng(rng)), single)


def select_random(spikes, n_actions, rng=None):
    """A uniformly random action, whatever the spikes (a baseline)."""
    s, single, n_actions = _spikes(spikes, n_actions, "select_random")
    return _out(_rng(rng).integers(n_actions, size=s.shape[1]), single)
