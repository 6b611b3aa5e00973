"""Pipelines: a network coupled to an environment (reinforcement learning) or to a data set, step by step
(BindsNET's ``bindsnet.pipeline``).

An :class:`EnvironmentPipeline` step::

    action  = action_function(output spikes of the last run)      (or a random one: see below)
    obs, r  = environment.step(action)
    r'      = reward_fn.compute(r delivered now, obs=, done=, info=, action=, step=)
    network.run(inputs={input layer: encoding(obs)}, time=time, reward=r')

so each environment step is one compiled :meth:`Network.run <snngen.ml.Network.run>` of ``time`` ms, and the
reward of an action reaches the reward-modulated rules (:class:`~snngen.ml.MSTDP`, :class:`~snngen.ml.MSTDPET`)
in the run right after the one whose spikes chose it, when the eligibility of those spikes is still there.  An
episode starts with a run on its first observation (reward 0), so that the first action comes from the
network; it ends after the run on the last observation (which delivers the last reward), then
``reward_fn.update(accumulated_reward, steps)`` is called, the network's state is reset (weights kept) and
the environment reset.

``reward_delay=k``: the reward of step ``t`` is delivered at step ``t + k``; at the end of an episode the
rewards still waiting are delivered, summed, with the last one (none is lost).  ``percent_of_random_action``
(0-1) takes a random action instead of the network's with that probability; ``random_action_after=n`` takes
a random action once the same action has been taken ``n`` times in a row (an Atari agent stuck on one
action); both count in the episode's ``random_actions``.

Vectorised environments (:class:`~snngen.ml.environment.GymEnvironment` with ``num_envs=B``) need a network
of ``batch_size=B``: each copy is one agent with its own state, actions and rewards (a reward per copy), and
all share the weights (their changes summed).  A copy whose episode ends has its layers' state and its rules'
eligibilities reset, alone; episodes of the copies are counted as they end.

Statistics: each finished episode appends ``{"episode", "reward", "score", "length", "random_actions",
"seconds", "copy", "learning"}`` (``reward``: the sum of the environment's rewards; ``score``: the same before
the environment's ``clip_rewards``, the game's points) to :attr:`EnvironmentPipeline.history` (also returned by
:meth:`train` / :meth:`test`);
``callbacks`` are called with ``(pipeline, stats)`` after each episode.  ``timings`` holds the seconds spent
in the environment, the encoding, the network's runs and the rest.
"""

from __future__ import annotations

import collections
import time as time_module

import numpy as np

from ..errors import ModelError
from .action import select_multinomial
from .monitors import Monitor
from .nodes import Input
from .reward import PlainReward, make_reward_fn

__all__ = ["DataLoaderPipeline", "EnvironmentPipeline"]


def _input_layer(network, name, who):
    """The layer fed the inputs: ``name``, or the network's only Input layer."""
    if name is None:
        inputs = [n for n, layer in network.layers.items() if isinstance(layer, Input)]
        if len(inputs) != 1:
            raise ModelError(f"{who}: give input_layer= (the network has {len(inputs)} Input layers: {inputs})")
        name = inputs[0]
    if name not in network.layers:
        raise ModelError(f"{who}: input_layer {name!r} is not a layer of the network ({list(network.layers)})")
    return name


def _monitor_name(network, base):
    name, k = base, 1
    while name in network.monitors:
        name, k = f"{base}_{k}", k + 1
    return name


class EnvironmentPipeline:
    """A network acting in an environment, one compiled run per environment step.

    Parameters
    ----------
    network : snngen.ml.Network
    environment : snngen.ml.environment.GymEnvironment
    encoding : optional
        ``f(obs, time, dt, rng) -> spikes (time/dt, *input shape)`` (``snngen.ml.encoding``'s functions
        fit); default: the environment's :meth:`~snngen.ml.environment.GymEnvironment.encode` (Bernoulli
        spikes of a binary image).
    action_function : optional
        ``f(spikes (time, [batch,] n), n_actions, rng) -> action`` (:mod:`snngen.ml.action`); default
        ``select_multinomial``.
    output : str, optional
        The layer whose spikes choose the actions; default: the last layer added.
    input_layer : str, optional
        The layer fed the encoded observations; default: the network's only :class:`~snngen.ml.Input` layer.
    time : float
        Milliseconds of network time per environment step (a whole number of ``dt``).
    history_length, delta : int, optional
        Set the environment's frame history (see :mod:`snngen.ml.environment`).
    num_episodes : int
        Episodes of :meth:`train` when it is not told.
    reward_fn : optional
        An :class:`~snngen.ml.reward.AbstractReward` (class or instance) or a function ``f(reward, **state)``:
        the reward the rules see; ``update`` is called at each episode's end.  A network built with a
        ``reward_fn`` of its own uses that one instead (give it to one of them, not both).
    reward_delay : int, optional
        Steps between a reward and its delivery.
    percent_of_random_action : float
        Probability (0-1) of a random action instead of the network's.
    random_action_after : int, optional
        A random action once the same one has been taken this many times in a row.
    max_steps : int, optional
        An episode is cut after this many steps (besides the environment's own limit).
    seed : int, optional
        Seeds the pipeline's random numbers (random actions, the choices of the action functions, the
        encoding); the environment and the network have their own seeds.
    progress : bool
        A tqdm bar over the episodes of :meth:`train` and :meth:`test`.
    plot_interval : int, optional
        Every this many steps, draw the observation, its spikes and the output spikes
        (:mod:`snngen.ml.plotting`; ``plot_dir``: also save them as PNG files there).
    callbacks : sequence of functions ``f(pipeline, stats)``
        Called after each episode.
    """

    def __init__(self, network, environment, encoding=None, action_function=select_multinomial, output=None,
                 input_layer=None, time=1.0, history_length=None, delta=None, num_episodes=100, reward_fn=None,
                 reward_delay=None, percent_of_random_action=0.0, random_action_after=None, max_steps=None,
                 seed=None, progress=True, plot_interval=None, plot_dir=None, callbacks=()):
        self.network, self.env = network, environment
        self.encoding = encoding
        self.action_function = action_function
        self.rng = np.random.default_rng(seed)
        self.time = float(time)
        steps = round(self.time / network.dt)
        if steps < 1 or abs(steps * network.dt - self.time) > 1e-9 * self.time:
            raise ModelError(f"EnvironmentPipeline: time ({time} ms) must be a whole number (at least 1) of steps of "
                             f"the network's dt ({network.dt} ms)")
        self.steps_per_action = steps
        if history_length is not None or delta is not None:
            if history_length is not None and int(history_length) < 1 or delta is not None and int(delta) < 1:
                raise ModelError(f"EnvironmentPipeline: history_length and delta must be at least 1, not "
                                 f"{history_length} and {delta}")
            environment.history_length = None if history_length is None else int(history_length)
            environment.delta = 1 if delta is None else int(delta)
        self.num_episodes = int(num_episodes)
        self.batch = environment.num_envs if environment.vector else 1
        if network.batch_size != self.batch:
            what = f"{self.batch} environments (num_envs)" if environment.vector else "one environment"
            raise ModelError(f"EnvironmentPipeline: {what} need a network of batch_size={self.batch}; the network "
                             f"has batch_size={network.batch_size}")
        # layers
        self.input_layer = _input_layer(network, input_layer, "EnvironmentPipeline")
        if output is None:
            output = list(network.layers)[-1]
        if output not in network.layers:
            raise ModelError(f"EnvironmentPipeline: output {output!r} is not a layer of the network "
                             f"({list(network.layers)})")
        self.output = output
        n_out = network.layers[output].n
        self.n_actions = environment.n_actions
        if action_function is not None:
            if self.n_actions is None:
                raise ModelError(f"EnvironmentPipeline: {environment.name}'s actions are not discrete "
                                 f"({environment.action_space}); the action functions choose among n actions")
            if n_out % self.n_actions:
                raise ModelError(f"EnvironmentPipeline: output layer {output!r} has {n_out} nodes, which do not split "
                                 f"into {environment.name}'s {self.n_actions} actions (one population of equal size "
                                 "per action)")
        own = getattr(network, "reward_fn", None)
        self._network_rewards = own is not None and not isinstance(own, PlainReward)
        if self._network_rewards and reward_fn is not None:
            raise ModelError("EnvironmentPipeline: the network has a reward_fn already; give reward_fn to the network "
                             "or to the pipeline, not both")
        self.reward_fn = own if self._network_rewards else make_reward_fn(reward_fn, "EnvironmentPipeline")
        if reward_delay is not None and int(reward_delay) < 0:
            raise ModelError(f"EnvironmentPipeline: reward_delay must be >= 0 steps, not {reward_delay}")
        self.reward_delay = int(reward_delay or 0)
        if not 0.0 <= float(percent_of_random_action) <= 1.0:
            raise ModelError(f"EnvironmentPipeline: percent_of_random_action is a probability (0-1), not "
                             f"{percent_of_random_action}")
        self.percent_of_random_action = float(percent_of_random_action)
        self.random_action_after = None if random_action_after is None else int(random_action_after)
        self.max_steps = None if max_steps is None else int(max_steps)
        if self.max_steps is not None and self.batch > 1:
            raise ModelError("EnvironmentPipeline: max_steps with a vectorised environment is not supported (gymnasium "
                             "resets a copy only when its own episode ends); give the environment max_episode_steps=")
        self.progress = progress
        self.plot_interval = None if plot_interval is None else int(plot_interval)
        self.plot_dir = plot_dir
        self.callbacks = list(callbacks)
        self._monitor = Monitor(network.layers[output], ["s"])
        network.add_monitor(self._monitor, _monitor_name(network, "pipeline_output"))
        self.history = []
        self.timings = dict.fromkeys(("environment", "encoding", "network", "other"), 0.0)
        self.step_count = 0
        self._episode = 0
        self._plots = {}
        self._obs = None
        self._last_stats = []  # the episodes that ended since episode() started

    # -- the pieces of a step ---------------------------------------------------------------------------------
    def _encode(self, obs):
        t0 = time_module.perf_counter()
        dt = self.network.dt
        if self.encoding is None:
            spikes = self.env.encode(obs, self.time, dt, rng=self.rng)
        elif self.batch > 1:
            spikes = np.stack([np.asarray(self.encoding(o, time=self.time, dt=dt, rng=self.rng)) for o in obs], axis=1)
        else:
            spikes = np.asarray(self.encoding(obs, time=self.time, dt=dt, rng=self.rng))
        layer = self.network.layers[self.input_layer]
        T = self.steps_per_action
        lead = (T,) if self.batch == 1 else (T, self.batch)
        if spikes.shape[:len(lead)] != lead or int(np.prod(spikes.shape[len(lead):])) != layer.n:
            per_step = spikes.shape[len(lead):] if spikes.shape[:len(lead)] == lead else spikes.shape
            raise ModelError(f"EnvironmentPipeline: the encoded observation of {self.env.name} (shape "
                             f"{np.shape(obs)}) gives spikes of shape {tuple(spikes.shape)}; input layer "
                             f"{self.input_layer!r} has shape {layer.shape} ({layer.n} nodes) and each step runs "
                             f"{T} time steps: the encoding must give ({', '.join(map(str, lead))}, {layer.n}) "
                             f"(per time step {tuple(per_step)} against {layer.shape})")
        self.timings["encoding"] += time_module.perf_counter() - t0
        return spikes.reshape(lead + layer.shape)

    def _run(self, obs, reward):
        spikes = self._encode(obs)
        self._monitor.reset_state_variables()
        t0 = time_module.perf_counter()
        self.network.run(inputs={self.input_layer: spikes}, time=self.time, reward=reward)
        self.timings["network"] += time_module.perf_counter() - t0
        out = self._monitor.get("s")  # (T, B, *shape)
        self._spikes = out.reshape(out.shape[0], self.batch, -1)
        self._input_spikes = spikes

    def _choose(self):
        if self.batch == 1:
            spikes = self._spikes[:, 0]
        else:
            spikes = self._spikes
        action = np.asarray(self.action_function(spikes, self.n_actions, self.rng)).reshape(self.batch)
        random = np.zeros(self.batch, dtype=bool)
        if self.percent_of_random_action > 0:
            random |= self.rng.random(self.batch) < self.percent_of_random_action
        if self.random_action_after is not None:
            random |= (action == self._last_action) & (self._repeats >= self.random_action_after)
        if random.any():
            action = np.where(random, self.rng.integers(self.n_actions, size=self.batch), action)
        # a streak of equal actions; a random action starts a new one
        self._repeats = np.where(~random & (action == self._last_action), self._repeats + 1, 1)
        self._last_action = action
        self._random += random
        return action

    def _start(self):
        """A new episode of every copy: reset everything, run on the first observation."""
        obs = self.env.reset()
        self.network.reset_state_variables()
        self._start_copies(np.ones(self.batch, dtype=bool))
        self._obs = obs
        self._run(obs, np.zeros(self.batch) if self.batch > 1 else 0.0)

    def _start_copies(self, which):
        n = self.batch
        if not hasattr(self, "_acc"):
            self._acc, self._score, self._len = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64)
            self._random = np.zeros(n, dtype=np.int64)
            self._repeats, self._last_action = np.zeros(n, dtype=np.int64), np.full(n, -1)
            self._started = np.full(n, time_module.perf_counter())
            self._pending = [collections.deque() for _ in range(n)]
        now = time_module.perf_counter()
        for b in np.flatnonzero(which):
            self._acc[b], self._score[b], self._len[b], self._random[b] = 0, 0, 0, 0
            self._repeats[b], self._last_action[b] = 0, -1
            self._started[b] = now
            self._pending[b] = collections.deque([0.0] * self.reward_delay)

    def step(self):
        """One environment step (one action per copy) and one network run: ``(obs, reward, done, info)`` as the
        environment gave them."""
        t_start = time_module.perf_counter()
        before = sum(self.timings[k] for k in ("environment", "network", "encoding"))
        if self._obs is None:
            self._start()
        if self.action_function is not None:
            action = self._choose()
        else:
            action = np.asarray(self.env.sample_action()).reshape(self.batch)
        t0 = time_module.perf_counter()
        obs, reward, done, info = self.env.step(int(action[0]) if self.batch == 1 else action)
        self.timings["environment"] += time_module.perf_counter() - t0
        rewards = np.atleast_1d(np.asarray(reward, dtype=np.float64))
        dones = np.atleast_1d(np.asarray(done, dtype=bool))
        self._len += 1
        self._acc += rewards
        raw = getattr(self.env, "raw_reward", None)
        self._score += rewards if raw is None else np.atleast_1d(np.asarray(raw, dtype=np.float64))
        if self.max_steps is not None:
            dones = dones | (self._len >= self.max_steps)
        delivered = np.empty(self.batch)
        for b in range(self.batch):  # the delay line of each copy
            q = self._pending[b]
            q.append(rewards[b])
            delivered[b] = q.popleft() if not dones[b] else sum(q)
            if dones[b]:
                q.clear()
        state = dict(obs=obs, done=done if self.batch > 1 else bool(dones[0]), info=info,
                     action=action if self.batch > 1 else int(action[0]), step=self._len.copy())
        given = delivered if self.batch > 1 else float(delivered[0])
        # a network's own reward_fn computes in its run (it sees the reward only); the pipeline's sees the state
        r = given if self._network_rewards else self.reward_fn.compute(given, **state)
        r = np.asarray(r, dtype=np.float64)
        if r.shape not in ((), (self.batch,)) or self.batch == 1 and r.size != 1:
            raise ModelError(f"EnvironmentPipeline: reward_fn gave rewards of shape {r.shape}; the pipeline has "
                             f"{self.batch} agent(s)")
        # the last observation of an episode (a vectorised environment gives the next episode's first one in
        # obs, and the last in info["final_observation"])
        run_obs = info.get("final_observation", obs) if self.batch > 1 else obs
        self._run(run_obs, float(r.reshape(-1)[0]) if self.batch == 1 else np.broadcast_to(r, (self.batch,)))
        self.step_count += 1
        if self.plot_interval and self.step_count % self.plot_interval == 0:
            self._plot(obs)
        if dones.any():
            self._finish(dones)
        spent = sum(self.timings[k] for k in ("environment", "network", "encoding")) - before
        self.timings["other"] += time_module.perf_counter() - t_start - spent
        return obs, reward, done, info

    def _finish(self, dones):
        now = time_module.perf_counter()
        for b in np.flatnonzero(dones):
            self._episode += 1
            stats = {"episode": self._episode, "reward": float(self._acc[b]), "score": float(self._score[b]),
                     "length": int(self._len[b]),
                     "random_actions": int(self._random[b]), "seconds": now - self._started[b], "copy": int(b),
                     "learning": bool(self.network.learning)}
            self.history.append(stats)
            self._last_stats.append(stats)
            for cb in self.callbacks:
                cb(self, stats)
        acc, length = self._acc[dones], self._len[dones]
        if self.batch == 1:
            self.reward_fn.update(accumulated_reward=float(acc[0]), steps=int(length[0]))
        else:
            self.reward_fn.update(accumulated_reward=np.where(dones, self._acc, 0.0),
                                  steps=np.where(dones, self._len, 1), done=dones)
        if self.batch == 1:
            self._obs = None  # the next step starts a new episode (reset, first run)
            return
        # the copies whose episode ended start their next one (the environment reset them already): their state
        # reset, their first action random (their spikes of this step belong to the last episode)
        _reset_copies(self.network, dones)
        self._spikes[:, dones] = False
        self._start_copies(dones)

    # -- episodes ------------------------------------------------------------------------------------------------
    def episode(self):
        """Steps until an episode ends (the first copy's to end, vectorised): its statistics (a list of them,
        vectorised)."""
        self._last_stats = []
        while not self._last_stats:
            self.step()
        return self._last_stats[0] if self.batch == 1 else list(self._last_stats)

    def _episodes(self, n, learning, what):
        n = self.num_episodes if n is None else int(n)
        was = self.network.learning
        self.network.train(learning)
        self._obs = None  # a fresh start: every copy's episode from its beginning
        out = []
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=n, desc=what, unit="episode")
        try:
            while len(out) < n:
                stats = self.episode()
                new = [stats] if isinstance(stats, dict) else stats
                added = new[:n - len(out)]
                out += added
                if bar is not None:
                    bar.update(len(added))
                    recent = [s["reward"] for s in out[-10:]]
                    bar.set_postfix(reward=f"{np.mean(recent):.2f}", length=out[-1]["length"])
        finally:
            if bar is not None:
                bar.close()
            self.network.train(was)
            self._obs = None
        return out

    def train(self, num_episodes=None):
        """``num_episodes`` episodes with learning on; their statistics."""
        return self._episodes(num_episodes, True, "train")

    def test(self, num_episodes=None):
        """``num_episodes`` episodes with learning off (weights frozen); their statistics."""
        return self._episodes(num_episodes, False, "test")

    def reset_state_variables(self):
        """Forget the current episode (the next step starts a new one)."""
        self._obs = None

    # -- plots ---------------------------------------------------------------------------------------------------
    def _plot(self, obs):
        from . import plotting

        image = np.asarray(obs if self.batch == 1 else obs[0], dtype=np.float64)
        if image.ndim == 2:  # an image: it and its spikes (the first copy's)
            spikes = self._input_spikes if self.batch == 1 else self._input_spikes[:, 0]
            self._plots["input"] = plotting.plot_input(image, spikes, handles=self._plots.get("input"))
        self._plots["spikes"] = plotting.plot_spikes({self.output: self._spikes[:, 0]},
                                                     handles=self._plots.get("spikes"))
        if self.plot_dir is not None:
            from pathlib import Path

            Path(self.plot_dir).mkdir(parents=True, exist_ok=True)
            for name, p in self._plots.items():
                plotting.save(p, Path(self.plot_dir) / f"{name}.png")


def _reset_copies(network, which):
    """The layers' state and the rules' eligibilities of the copies ``which`` (a boolean mask) back to their
    initial values; the other copies go on."""
    B = network.batch_size
    idx = np.flatnonzero(which)
    for layer in network.layers.values():
        group = layer._group
        for var, value in [*layer._initial.items(), ("x_syn", 0.0)]:
            if var not in group.variables:
                continue
            arr = np.array(group.variables[var].array)
            rows = arr.reshape(B, -1)
            value = np.asarray(value, dtype=arr.dtype)
            if value.size == rows.size:  # one value per copy and node
                rows[idx] = value.reshape(rows.shape)[idx]
            else:  # one value, or one per node
                rows[idx] = value.reshape(-1) if value.size == rows.shape[1] else value.reshape(())
            group.variables[var].overwrite(rows.reshape(arr.shape))
    for conn in network.connections.values():
        syn = getattr(conn, "_syn", None)
        if syn is None:
            continue
        for line in conn.update_rule.model:
            var = syn.variables[line.split(":")[0].strip()]
            arr = np.array(var.array)
            if arr.ndim == 2 and arr.shape[0] == B:
                arr[idx] = 0.0
            else:
                arr[...] = 0.0
            var.overwrite(arr)


class DataLoaderPipeline:
    """A network run on a data set, batch by batch (BindsNET's ``DataLoaderPipeline``): each batch of a
    :class:`~snngen.ml.DataLoader` (its ``encoder`` gives ``(time, batch, *shape)`` spikes) is one
    :meth:`Network.run <snngen.ml.Network.run>` of the input layer, after a reset of the network's state; then
    ``step_fn(pipeline, batch, spikes)`` is called, with ``spikes`` the recordings of the ``record`` layers
    ``{layer: (time, batch, n)}``.  ``num_epochs`` passes over the data (:meth:`train`); :meth:`test` makes
    one with learning off."""

    def __init__(self, network, loader, input_layer=None, time=None, num_epochs=1, record=(), step_fn=None,
                 progress=True):
        self.network, self.loader = network, loader
        self.input_layer = _input_layer(network, input_layer, "DataLoaderPipeline")
        self.time = time if time is not None else getattr(getattr(loader, "encoder", None), "time", None)
        if self.time is None:
            raise ModelError("DataLoaderPipeline: give time= (ms per batch), or a loader whose encoder has a time")
        self.num_epochs = int(num_epochs)
        self.step_fn = step_fn
        self.progress = progress
        self.monitors = {}
        for name in record:
            if name not in network.layers:
                raise ModelError(f"DataLoaderPipeline: record names no layer {name!r} ({list(network.layers)})")
            m = Monitor(network.layers[name], ["s"])
            network.add_monitor(m, _monitor_name(network, f"pipeline_{name}"))
            self.monitors[name] = m
        self.step_count = 0

    def step(self, batch):
        """Run one batch: ``batch`` is the loader's item (a dict with ``encoded_image``, or the spikes)."""
        spikes = batch["encoded_image"] if isinstance(batch, dict) else batch
        spikes = np.asarray(spikes)
        self.network.reset_state_variables()
        for m in self.monitors.values():
            m.reset_state_variables()
        self.network.run(inputs={self.input_layer: spikes}, time=self.time)
        recorded = {}
        for name, m in self.monitors.items():
            s = m.get("s")
            recorded[name] = s.reshape(s.shape[0], s.shape[1], -1)
        self.step_count += 1
        if self.step_fn is not None:
            self.step_fn(self, batch, recorded)
        return recorded

    def _epochs(self, n, learning, what):
        was = self.network.learning
        self.network.train(learning)
        try:
            for epoch in range(n):
                items = self.loader
                if self.progress:
                    from tqdm.auto import tqdm

                    items = tqdm(items, desc=f"{what} {epoch + 1}/{n}", unit="batch")
                for batch in items:
                    self.step(batch)
        finally:
            self.network.train(was)

    def train(self, num_epochs=None):
        """``num_epochs`` passes over the data with learning on."""
        self._epochs(self.num_epochs if num_epochs is None else int(num_epochs), True, "train")

    def test(self):
        """One pass with learning off."""
        self._epochs(1, False, "test")
