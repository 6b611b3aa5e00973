"""Reward functions for the reward-modulated rules (:class:`~snngen.ml.MSTDP`, :class:`~snngen.ml.MSTDPET`,
:class:`~snngen.ml.Rmax`), as BindsNET's ``bindsnet.learning.reward``.

A reward function turns the environment's reward of a step into the number the rules see (``compute``),
and learns from each finished episode (``update``).  :class:`EnvironmentPipeline
<snngen.ml.pipelines.EnvironmentPipeline>` calls ``compute`` at every step and ``update`` at the end of
every episode; so does :class:`~snngen.ml.Network` when built with ``reward_fn=``.

``compute`` takes the reward of a step as a number, or as an array of one reward per copy of a batched
network (one agent per copy), and returns the same shape.
"""

from __future__ import annotations

import abc

import numpy as np

from ..errors import ModelError

__all__ = ["AbstractReward", "MovingAvgRPE", "PlainReward", "make_reward_fn"]


class AbstractReward(abc.ABC):
    """A reward function: ``compute(reward, **state)`` gives the reward the rules see this step;
    ``update(accumulated_reward, steps, **state)`` is called once per finished episode.  Subclasses write
    ``compute``; ``update`` does nothing unless overridden.  ``state`` holds what the caller knows of the step
    (the pipeline gives ``obs``, ``done``, ``info``, ``action``, ``step``): a reward function may shape the
    reward from it."""

    @abc.abstractmethod
    def compute(self, reward, **state):
        """The reward the rules see this step (a number, or one per copy)."""

    def update(self, accumulated_reward, steps, **state):  # noqa: B027 (optional: nothing by default)
        """Learn from a finished episode (its summed reward and its number of steps)."""

    def reset(self):  # noqa: B027 (optional: nothing by default)
        """Back to the state before any episode."""


class PlainReward(AbstractReward):
    """The environment's reward, unchanged."""

    def compute(self, reward, **state):
        return reward


class MovingAvgRPE(AbstractReward):
    """Reward prediction error against a moving average of the reward per step (BindsNET's ``MovingAvgRPE``):
    ``compute`` gives ``reward - r_bar``; at the end of an episode, ``r_bar <- (1 - 1/window)*r_bar +
    (accumulated_reward/steps)/window`` (``window`` 10).  With a batch of agents, ``r_bar`` is one per copy
    once an episode's rewards come per copy (``update(..., done=mask)`` moves only the copies whose episode
    ended)."""

    def __init__(self, window=10.0, initial=0.0):
        window = float(window)
        if not window >= 1.0:
            raise ModelError(f"MovingAvgRPE: window must be at least 1 (episodes), not {window}")
        self.window = window
        self.initial = initial
        self.reset()

    def reset(self):  # noqa: B027 (optional: nothing by default)
        self.reward_predict = np.array(self.initial, dtype=np.float64)
        self.history = []  # r_bar after each episode

    def compute(self, reward, **state):
        return np.asarray(reward, dtype=np.float64) - self.reward_predict

    def update(self, accumulated_reward, steps, **state):  # noqa: B027 (optional: nothing by default)
        steps = np.asarray(steps, dtype=np.float64)
        if np.any(steps <= 0):
            raise ModelError(f"MovingAvgRPE.update: an episode of {steps} steps")
        per_step = np.asarray(accumulated_reward, dtype=np.float64) / steps
        new = (1.0 - 1.0 / self.window) * self.reward_predict + per_step / self.window
        done = state.get("done")
        if done is not None and np.ndim(done):  # a batch of agents: only those whose episode ended
            new = np.where(done, new, np.broadcast_to(self.reward_predict, new.shape))
        self.reward_predict = new
        self.history.append(np.copy(self.reward_predict))


def make_reward_fn(reward_fn, who):
    """``reward_fn`` as an :class:`AbstractReward` instance: None (the reward unchanged), a subclass (made
    with no arguments, as BindsNET's ``Network(reward_fn=MovingAvgRPE)``), an instance, or a plain function
    ``f(reward, **state) -> reward``."""
    if reward_fn is None:
        return PlainReward()
    if isinstance(reward_fn, type):
        if not issubclass(reward_fn, AbstractReward):
            raise ModelError(f"{who}: reward_fn must be an AbstractReward (class or instance) or a function, not the "
                             f"class {reward_fn.__name__}")
        return reward_fn()
    if isinstance(reward_fn, AbstractReward):
        return reward_fn
    if callable(reward_fn):
        return _FunctionReward(reward_fn)
    raise ModelError(f"{who}: reward_fn must be an AbstractReward (class or instance) or a function, not "
                     f"{type(reward_fn).__name__}")


class _FunctionReward(AbstractReward):
    def __init__(self, fn):
        self.fn = fn

    def compute(self, reward, **state):
        return self.fn(reward, **state)

    def __repr__(self):
        return f"reward function {getattr(self.fn, '__name__', self.fn)!r}"
