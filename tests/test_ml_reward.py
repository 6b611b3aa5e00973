"""Rewards per copy of a batched network for the reward-modulated rules (MSTDP, MSTDPET), and
``Network(reward_fn=...)``: against a plain-numpy transcription of Florian (2007)'s rules (tests/ml_reference.py),
each copy of the batch its own agent (own input, own state, own reward) sharing the weights.

Lean on purpose: every network here has one of two structures (batch_sync "step" with MSTDP, "run" with
MSTDPET), so each is compiled once and the others load it from the compile cache."""

from __future__ import annotations

import dataclasses

import ml_reference as ref
import numpy as np
import pytest

from snngen.errors import ModelError
from snngen.ml import MSTDP, MSTDPET, Connection, Input, LIFNodes, McCullochPitts, MovingAvgRPE, Network, Nodes
from snngen.ml.reward import AbstractReward, PlainReward

B, T, N_IN, N = 3, 20, 10, 4
WMIN, WMAX, NU, THRESH = 0.0, 2.0, 0.05, 1.5  # McCulloch-Pitts targets: the least code to compile
# a batched network costs seconds to compile per connection: one rule per batch_sync
RULES = {"step": (("Y", MSTDP, {}),), "run": (("Y", MSTDPET, {"tc_e_trace": 10.0}),)}
REWARDS = np.array([1.0, -0.5, 0.0])


def _data(seed):
    rng = np.random.default_rng(seed)
    spikes = rng.random((T, B, N_IN)) < 0.3  # each copy its own input
    return spikes, [rng.random((N_IN, N))]


SPIKES, W0 = _data(3)


def _net(sync="step", reward_fn=None):
    net = Network(dt=1.0, batch_size=B, dtype="float64", batch_sync=sync, reward_fn=reward_fn)
    x = Input(N_IN)
    net.add_layer(x, "X")
    for (name, rule, extra), w in zip(RULES[sync], W0):
        y = McCullochPitts(N, thresh=THRESH)
        net.add_layer(y, name)
        net.add_connection(Connection(x, y, w=w, update_rule=rule, nu=NU, wmin=WMIN, wmax=WMAX, tc_plus=15.0,
                                      tc_minus=25.0, **extra), "X", name)
    return net


def _weights(net):
    return [c.w.copy() for c in net.connections.values()]


def _restart(net):
    """The weights back to W0 and the state to its start: a fresh sample."""
    for c, w in zip(net.connections.values(), W0):
        c.w = w
    net.reset_state_variables()


class Transcription:
    """B copies (own layers, traces, eligibilities, reward) of ``_net(sync)``'s X -> Y sharing the weights:
    ``"step"`` sums the copies' changes into the weights after every step, then clips (BindsNET's
    batch); ``"run"``: each copy learns on its own weights (clipped every step) during a run, then the copies'
    changes are summed and clipped."""

    def __init__(self, sync):
        self.sync = sync
        self.w = [np.clip(w, WMIN, WMAX) for w in W0]
        self.copies = []
        for _b in range(B):
            x = ref.Layer("input", N_IN)
            ys = [ref.Layer("mcp", N, thresh=THRESH) for _ in RULES[sync]]
            conns = [ref.Conn(x, y, w, rule=rule.__name__, nu=(NU, NU), wmin=WMIN, wmax=WMAX, tc_plus=15.0,
                              tc_minus=25.0, tc_e_trace=10.0) for y, w, (_n, rule, _e) in zip(ys, self.w, RULES[sync])]
            self.copies.append((x, ys, conns))

    def run(self, spikes, rewards):
        rewards = np.broadcast_to(np.asarray(rewards, dtype=np.float64), (B,))
        for b, (_x, _ys, conns) in enumerate(self.copies):
            for c in conns:
                c.reward, c.dt = rewards[b], 1.0
        if self.sync == "run":
            start = [w.copy() for w in self.w]
            for b, (x, ys, conns) in enumerate(self.copies):
                for c, w in zip(conns, start):
                    c.w = w.copy()
                ref.run([x, *ys], conns, {0: spikes[:, b]}, len(spikes), 1.0)
            self.w = [np.clip(w + sum(cs[k].w - w for _x, _y, cs in self.copies), WMIN, WMAX)
                      for k, w in enumerate(start)]
            return
        for t in range(len(spikes)):
            change = [np.zeros_like(w) for w in self.w]
            for b, (x, ys, conns) in enumerate(self.copies):
                inputs = [x.s.astype(float) @ w for w in self.w]  # the last step's spikes (one-step lag)
                x.step(spikes[t, b], 1.0)
                for y, inp in zip(ys, inputs):
                    y.step(inp, 1.0)
                for k, c in enumerate(conns):  # each copy's change from the shared weights, with its own reward
                    c.w = self.w[k].copy()
                    c._reward_modulated()
                    change[k] += c.w - self.w[k]
            self.w = [np.clip(w + d, WMIN, WMAX) for w, d in zip(self.w, change)]


@pytest.fixture(scope="module")
def step_net():
    return _net("step")


@pytest.mark.parametrize("sync", ["step", "run"])
def test_per_copy_rewards_match_the_transcription(sync, step_net):
    """Three copies, different inputs and rewards [1, -0.5, 0], then other rewards in a second run: each copy's
    weight change made with its own reward; a new reward compiles nothing."""
    net = step_net if sync == "step" else _net("run")
    _restart(net)
    tr = Transcription(sync)
    half = T // 2
    net.run(inputs={"X": SPIKES[:half]}, time=half, reward=REWARDS)
    tr.run(SPIKES[:half], REWARDS)
    for w, expected in zip(_weights(net), tr.w):
        np.testing.assert_allclose(w, expected, rtol=0, atol=1e-9)
    engine, builds = net._net, []
    build = engine.build
    engine.build = lambda *a, **k: (builds.append(1), build(*a, **k))[1]
    try:
        second = np.array([-2.0, 0.25, 1.5])
        net.run(inputs={"X": SPIKES[half:]}, time=T - half, reward=second)
        tr.run(SPIKES[half:], second)
    finally:
        del engine.build
    assert net._net is engine and not builds, "a new reward must not rebuild nor recompile"
    for w, expected, w0 in zip(_weights(net), tr.w, W0):
        np.testing.assert_allclose(w, expected, rtol=0, atol=1e-9)
        assert np.abs(w - np.clip(w0, WMIN, WMAX)).max() > 0.05, "the weights must change"


def test_equal_rewards_are_the_scalar_and_a_copy_rewarded_0_adds_nothing(step_net):
    net = step_net
    runs = {}
    for key, reward, spikes in (("scalar", 0.7, SPIKES), ("list", [0.7, 0.7, 0.7], SPIKES),
                                ("mixed", REWARDS, SPIKES)):
        _restart(net)
        net.run(inputs={"X": spikes}, time=T, reward=reward)
        runs[key] = _weights(net)
    for a, b in zip(runs["scalar"], runs["list"]):
        np.testing.assert_array_equal(a, b)
    # copy 2 (reward 0) fed other spikes: the same weights; copy 1 fed them: other weights
    for copy, same in ((2, True), (1, False)):
        other = SPIKES.copy()
        other[:, copy] = np.random.default_rng(11).random((T, N_IN)) < 0.5
        _restart(net)
        net.run(inputs={"X": other}, time=T, reward=REWARDS)
        moved = max(np.abs(a - b).max() for a, b in zip(_weights(net), runs["mixed"]))
        assert (moved == 0.0) == same, (copy, moved)


def test_moving_average_rpe_gives_the_rules_the_prediction_error(step_net):
    """Network(reward_fn=MovingAvgRPE): the rules see r - r_bar (per copy once update had rewards per copy),
    and update moves r_bar by (accumulated/steps - r_bar)/window."""
    net = _net("step", reward_fn=MovingAvgRPE)  # step_net's structure: loaded from the compile cache
    assert isinstance(net.reward_fn, MovingAvgRPE)
    net.reward_fn.update(accumulated_reward=np.array([6.0, -3.0, 0.0]), steps=3)  # per step: [2, -1, 0]
    np.testing.assert_allclose(net.reward_fn.reward_predict, [0.2, -0.1, 0.0], rtol=0, atol=1e-15)
    _restart(net)
    tr = Transcription("step")
    net.run(inputs={"X": SPIKES}, time=T, reward=0.5)  # one reward, three predictions
    tr.run(SPIKES, [0.3, 0.6, 0.5])
    for w, expected in zip(_weights(net), tr.w):
        np.testing.assert_allclose(w, expected, rtol=0, atol=1e-9)
    net.reward_fn.update(accumulated_reward=np.array([3.0, 3.0, 3.0]), steps=[1, 2, 3],
                         done=np.array([True, False, True]))  # only copies 0 and 2 finished an episode
    np.testing.assert_allclose(net.reward_fn.reward_predict, [0.9 * 0.2 + 0.3, -0.1, 0.1], rtol=0, atol=1e-15)
    # a function as reward_fn; the default: the reward unchanged
    doubled = _net("step", reward_fn=lambda r: 2 * np.asarray(r))
    _restart(doubled)
    doubled.run(inputs={"X": SPIKES}, time=T, reward=REWARDS / 2)
    _restart(step_net)
    step_net.run(inputs={"X": SPIKES}, time=T, reward=REWARDS)
    for a, b in zip(_weights(doubled), _weights(step_net)):
        np.testing.assert_array_equal(a, b)
    assert isinstance(Network().reward_fn, PlainReward) and isinstance(doubled.reward_fn, AbstractReward)
    with pytest.raises(ModelError, match="reward_fn must be"):
        Network(reward_fn=3)


def test_reward_errors(step_net):
    net = step_net
    before = _weights(net)
    for reward, match in (([1.0, 2.0], r"2 rewards \(shape \(2,\)\) for a batch of 3"),
                          (np.ones((3, 1)), r"3 rewards \(shape \(3, 1\)\) for a batch of 3"),
                          ([1.0, np.nan, 0.0], "must be finite"), (np.inf, "must be finite"),
                          ("high", "must be a number")):
        with pytest.raises(ModelError, match=match):
            net.run(inputs={"X": SPIKES}, time=T, reward=reward)
    with pytest.raises(ModelError, match=r"4 rewards \(shape \(4,\)\) \(after reward_fn .*lambda.*\) for a batch of 3"):
        _net("step", reward_fn=lambda r: np.zeros(4)).run(inputs={"X": SPIKES}, time=T, reward=1.0)
    with pytest.raises(ModelError, match="needs a reward"):
        net.run(inputs={"X": SPIKES}, time=T)
    for a, b in zip(before, _weights(net)):  # nothing ran
        np.testing.assert_array_equal(a, b)


def test_the_reward_variable_takes_a_free_name():
    """The per-neuron variable holding the reward is none of the layer's names (a node type may have a
    parameter rule_reward, or use the name in its code)."""
    spec = LIFNodes(1)._spec
    spec = dataclasses.replace(spec, parameters={**spec.parameters, "rule_reward": 1.0, "a_rule_reward_1": 2.0},
                               update=spec.update + "\nrule_reward_2 = inp\nv = v + rule_reward_2 - inp")
    net = Network(dtype="float64")
    x, y = Input(2), Nodes(3, spec=spec)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conn = Connection(x, y, update_rule=MSTDP, nu=NU, wmin=WMIN, wmax=WMAX)
    net.add_connection(conn, "X", "Y")
    net._build()  # the engine objects, nothing compiled
    assert conn.update_rule.reward_var == "rule_reward_3"
    assert "rule_reward_3" in y._group.variables and y._group.namespace["rule_reward"] == 1.0


def test_what_is_set_on_a_rule_before_add_connection_is_kept():
    from snngen.ml import MSTDPET, Connection, Input, LIFNodes, Network

    net = Network()
    x, y = Input(n=2, traces=True), LIFNodes(n=2, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    c = Connection(x, y, update_rule=MSTDPET, nu=0.1, tc_e_trace=7.0)
    c.update_rule.a_minus = 0.0
    net.add_connection(c, "X", "Y")
    rule = net.connections[("X", "Y")].update_rule
    assert rule.a_minus == 0.0 and rule.a_plus == 1.0 and rule.tc_e_trace == 7.0 and rule.connection is c
