"""Reinforcement learning: action functions, gymnasium environments and their preprocessing, the environment
pipeline's step (what the network sees, which action the environment gets, when a reward is delivered)."""

from __future__ import annotations

import numpy as np
import pytest

from snngen.errors import ModelError
from snngen.ml import action as act

gym = pytest.importorskip("gymnasium")


# -- action functions ---------------------------------------------------------------------------------------------
def _pops(counts_per_step, k=2):
    """Spikes (T, n_actions*k): in step t, population a has counts_per_step[t][a] of its k nodes spiking."""
    c = np.asarray(counts_per_step)
    s = np.zeros((c.shape[0], c.shape[1] * k), dtype=bool)
    for t in range(c.shape[0]):
        for a in range(c.shape[1]):
            s[t, a * k:a * k + c[t, a]] = True
    return s


def _freq(fn, spikes, n, draws=4000, seed=0, **kw):
    rng = np.random.default_rng(seed)
    return np.bincount([fn(spikes, n, rng, **kw) for _ in range(draws)], minlength=n) / draws


def _close(freq, p, draws=4000):
    """Frequencies within 5 sigma of the probabilities."""
    sigma = np.sqrt(np.asarray(p) * (1 - np.asarray(p)) / draws)
    return bool(np.all(np.abs(freq - p) <= 5 * sigma + 1e-12))


def test_multinomial_reads_every_step_and_the_node_axis():
    # population 1 spikes 3 times in steps 0-1, population 0 once in the last step: BindsNET's reads the last
    # step only (-> always 0); the right answer is 1/4 : 3/4
    spikes = _pops([[0, 2], [0, 1], [1, 0]])
    assert _close(_freq(act.select_multinomial, spikes, 2), [0.25, 0.75])


def test_silent_output_gives_uniformly_random_actions():
    silent = np.zeros((5, 12), dtype=bool)
    for fn in (act.select_multinomial, act.select_softmax, act.select_highest, act.select_first_spike,
               act.select_random):
        assert _close(_freq(fn, silent, 4), [0.25] * 4)


def test_softmax_of_the_counts():
    spikes = _pops([[1, 0, 2], [1, 0, 0]])  # counts 2, 0, 2
    p = np.exp([2.0, 0.0, 2.0]) / np.exp([2.0, 0.0, 2.0]).sum()
    assert _close(_freq(act.select_softmax, spikes, 3), p)
    q = np.exp(np.array([2.0, 0.0, 2.0]) / 4) / np.exp(np.array([2.0, 0.0, 2.0]) / 4).sum()
    assert _close(_freq(act.select_softmax, spikes, 3, temperature=4.0), q)


def test_highest_and_first_spike_break_ties_among_the_tied_only():
    spikes = _pops([[2, 0, 2], [0, 1, 0]])  # counts 2, 1, 2: actions 0 and 2 tie
    assert _close(_freq(act.select_highest, spikes, 3), [0.5, 0.0, 0.5])
    first = _pops([[0, 0, 0], [0, 1, 0], [2, 0, 2]])  # population 1 first, though it spikes least
    assert set(_freq(act.select_first_spike, first, 3, draws=50).nonzero()[0]) == {1}
    tie = _pops([[0, 0, 0], [1, 0, 1], [0, 2, 0]])
    assert _close(_freq(act.select_first_spike, tie, 3), [0.5, 0.0, 0.5])


def test_batched_spikes_give_one_action_per_copy():
    spikes = np.stack([_pops([[0, 2, 0]]), _pops([[2, 0, 0]]), _pops([[0, 0, 1]])], axis=1)  # (T, B, n)
    rng = np.random.default_rng(1)
    for fn in (act.select_multinomial, act.select_highest, act.select_first_spike):
        assert fn(spikes, 3, rng).tolist() == [1, 0, 2]
    assert act.population_counts(spikes, 3).tolist() == [[0, 2, 0], [2, 0, 0], [0, 0, 1]]


def test_action_function_on_a_layer_of_the_wrong_size():
    with pytest.raises(ModelError, match="7 nodes, which do not split into 3 actions"):
        act.select_highest(np.zeros((2, 7)), 3)


# -- environments ---------------------------------------------------------------------------------------------------
from snngen.ml import environment as envmod  # noqa: E402


def test_resize_halves_by_block_means_and_keeps_ramps():
    img = np.arange(16.0).reshape(4, 4) ** 2
    expect = img.reshape(2, 2, 2, 2).mean(axis=(1, 3))
    assert np.allclose(envmod.resize(img, (2, 2)), expect)
    ramp = np.add.outer(np.arange(5.0), 2 * np.arange(7.0))
    up = envmod.resize(ramp, (5, 7))
    assert np.allclose(up, ramp)
    assert np.allclose(envmod.gray(np.array([[[255, 0, 0], [0, 255, 0]]])), [[0.299 * 255, 0.587 * 255]])
    assert envmod.crop(np.arange(20).reshape(4, 5), rows=(1, 2), cols=(0, 1)).tolist() == [[5, 6], [10, 11]]


class Frames(gym.Env):
    """A test environment: frame t is ``frames[t]``; action a gives reward ``rewards[t]``; the episode ends after
    ``len(frames) - 1`` steps; the actions it gets are kept."""

    def __init__(self, frames, rewards=None, n_actions=3):
        self.frames = np.asarray(frames, dtype=np.float64)
        self.rewards = np.zeros(len(frames)) if rewards is None else np.asarray(rewards, dtype=np.float64)
        self.observation_space = gym.spaces.Box(0.0, 1.0, self.frames.shape[1:], dtype=np.float64)
        self.action_space = gym.spaces.Discrete(n_actions)
        self.actions, self.episodes = [], 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        self.episodes += 1
        return self.frames[0], {}

    def step(self, action):
        self.actions.append(int(action))
        self.t += 1
        done = self.t == len(self.frames) - 1
        return self.frames[self.t], float(self.rewards[self.t - 1]), done, False, {}


def test_frame_history_keeps_every_delta_th_frame_and_shows_what_moved():
    rng = np.random.default_rng(3)
    frames = (rng.random((12, 4, 5)) < 0.4).astype(float)
    env = envmod.GymEnvironment(Frames(frames), history_length=2, delta=3)
    seen = [env.reset()] + [env.step(0)[0] for _ in range(10)]
    kept = []
    for t in range(11):  # the rule, in plain numpy
        want = np.clip(frames[t] - sum(kept), 0, 1) if len(kept) == 2 else frames[t]
        assert np.array_equal(seen[t], want), t
        if t % 3 == 0:
            kept = (kept + [frames[t]])[-2:]
    assert env.is_image and env.observation_shape == (4, 5)


def test_unknown_environment_names_the_closest():
    with pytest.raises(ModelError, match=r"no environment 'CartPol-v1'.*CartPole-v1"):
        envmod.GymEnvironment("CartPol-v1")


def test_cartpole_observations_and_errors():
    env = envmod.GymEnvironment("CartPole-v1", seed=5)
    ref = gym.make("CartPole-v1")
    o, _ = ref.reset(seed=5)
    assert np.array_equal(env.reset(), o) and env.n_actions == 2 and env.observation_shape == (4,)
    obs, r, done, info = env.step(1)
    assert np.array_equal(obs, ref.step(1)[0]) and r == 1.0 and not done and "terminated" in info
    with pytest.raises(ModelError, match=r"one of 0..1"):
        env.step(2)
    with pytest.raises(ModelError, match="no default spike code"):
        env.encode(obs, time=5)


def test_atari_frames_become_the_papers_binary_images():
    pytest.importorskip("ale_py")
    env = envmod.GymEnvironment("SpaceInvaders-v0", seed=0)
    obs = env.reset()
    raw = env.env.unwrapped.ale.getScreenRGB()
    g = raw.astype(float) @ [0.299, 0.587, 0.114]
    want = (envmod.resize(g, (110, 84))[26:104] > 0).astype(float)
    assert obs.shape == (78, 84) and np.array_equal(obs, want) and 0 < obs.sum() < obs.size
    assert env.n_actions == 6
    breakout = envmod.GymEnvironment("BreakoutDeterministic-v4", seed=0)
    assert breakout.env.spec.id == "BreakoutNoFrameskip-v4" and breakout.env.spec.kwargs["frameskip"] == 4
    assert breakout.reset().shape == (80, 80)


# -- the pipeline ---------------------------------------------------------------------------------------------------
from snngen.ml import Connection, Input, LIFNodes, Network  # noqa: E402
from snngen.ml.pipelines import EnvironmentPipeline  # noqa: E402
from snngen.ml.reward import AbstractReward  # noqa: E402


def _mirror(n=3, batch=1):
    """Input node i -> output node i, strong enough that an input spike makes an output spike in the next step."""
    net = Network(dt=1.0, batch_size=batch)
    x, y = Input(n=n), LIFNodes(n=n, refrac=0, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_connection(Connection(x, y, w=30.0 * np.eye(n)), "X", "Y")
    return net


def _repeat(obs, time, dt, rng):
    return np.repeat(np.asarray(obs)[None], int(round(time / dt)), axis=0)


class Recorder(AbstractReward):
    def __init__(self):
        self.given, self.episodes = [], []

    def compute(self, reward, **state):
        self.given.append(reward)
        return reward

    def update(self, accumulated_reward, steps, **state):
        self.episodes.append((accumulated_reward, steps))


def test_each_action_comes_from_the_spikes_of_the_last_observation_and_rewards_arrive_delayed():
    targets = [2, 0, 1, 1, 2, 0, 2]
    frames = np.eye(3)[targets]  # frame t: input node targets[t] on
    rewards = np.arange(1.0, 8.0)
    env = envmod.GymEnvironment(Frames(frames, rewards))
    rec = Recorder()
    # 3 ms per step: the last observation's node spikes twice, the one before (its input still arriving) once
    pipe = EnvironmentPipeline(_mirror(), env, encoding=_repeat, action_function=act.select_highest, output="Y",
                               time=3.0, reward_fn=rec, reward_delay=2, progress=False, seed=0)
    stats = pipe.episode()
    assert env.env.actions == targets[:-1]  # the action of step t is the target shown at step t - 1
    # rewards 1..6 over 6 steps, delivered 2 steps late; the last step delivers the 3 still waiting (4 + 5 + 6)
    assert rec.given == [0.0, 0.0, 1.0, 2.0, 3.0, 15.0]
    assert rec.episodes == [(21.0, 6)] and stats["reward"] == 21.0 and stats["length"] == 6
    pipe.episode()
    assert env.env.episodes == 2 and env.env.actions[6:] == targets[:-1]


def test_pipeline_errors_name_both_sides():
    env = envmod.GymEnvironment(Frames(np.eye(3)[[0, 1, 2]]))
    net = _mirror(4)
    with pytest.raises(ModelError, match=r"output layer 'Y' has 4 nodes, which do not split into .* 3 actions"):
        EnvironmentPipeline(net, env, encoding=_repeat, output="Y", progress=False)
    net = _mirror(3)
    pipe = EnvironmentPipeline(net, env, encoding=lambda o, time, dt, rng: _repeat(np.r_[o, o], time, dt, rng),
                               output="Y", progress=False)
    with pytest.raises(ModelError, match=r"spikes of shape \(1, 6\); input layer 'X' has shape \(3,\)"):
        pipe.step()
    with pytest.raises(ModelError, match="batch_size=2"):
        EnvironmentPipeline(_mirror(3, batch=2), env, encoding=_repeat, output="Y", progress=False)


def test_dataloader_pipeline_runs_each_batch_and_records():
    from snngen.ml import DataLoader, Digits
    from snngen.ml.pipelines import DataLoaderPipeline

    def encode(datum):  # a pixel above half intensity spikes in steps 0 and 2
        on = np.asarray(datum).reshape(-1) > 0.5
        return np.stack([on, np.zeros_like(on), on, np.zeros_like(on)])

    data = Digits().subset(np.arange(40))
    loader = DataLoader(data, batch_size=5, encoder=encode, intensity=1.0)  # a network of batch 1 takes batch 5
    seen = []
    pipe = DataLoaderPipeline(_mirror(64), loader, time=4.0, record=("Y",), progress=False,
                              step_fn=lambda p, batch, rec: seen.append((batch["encoded_image"], rec["Y"])))
    pipe.test()
    assert len(seen) == len(loader) and pipe.network.learning
    for spikes_in, spikes_out in seen[:3]:
        x = np.asarray(spikes_in).reshape(4, 5, 64).astype(bool)
        assert spikes_out.shape == (4, 5, 64)
        assert not spikes_out[0].any() and np.array_equal(spikes_out[1], x[0]) and np.array_equal(spikes_out[3], x[2])


def test_plots_show_the_latest_observation_and_output(tmp_path):
    frames = (np.random.default_rng(0).random((4, 2, 3)) < 0.5).astype(float)
    env = envmod.GymEnvironment(Frames(frames))
    net = Network(dt=1.0)
    x, y = Input(shape=(2, 3)), LIFNodes(n=6, refrac=0)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_connection(Connection(x, y, w=30.0 * np.eye(6)), "X", "Y")
    pipe = EnvironmentPipeline(net, env, action_function=act.select_highest, output="Y", time=2.0, progress=False,
                               plot_interval=2, plot_dir=tmp_path)
    pipe.step()
    assert "input" not in pipe._plots
    pipe.step()  # step 2: frame 2 and its spikes (a pixel of 1 spikes in both steps: Bernoulli, max_prob 1)
    p = pipe._plots["input"]
    assert np.array_equal(p.artists["image"].get_array(), frames[2])
    assert np.array_equal(p.artists["input"].get_array(), 2 * frames[2])
    t, i = np.nonzero(pipe._spikes[:, 0])
    assert np.array_equal(pipe._plots["spikes"].artists["Y"].get_offsets(), np.column_stack((t, i)))
    assert (tmp_path / "input.png").stat().st_size > 0 and (tmp_path / "spikes.png").stat().st_size > 0


def test_vectorised_environments_are_copies_with_their_own_episodes_actions_and_rewards():
    targets = [[2, 0, 1, 1], [0, 1, 2, 0, 1, 2], [1, 1, 0, 2, 2]]  # episodes of 3, 5 and 4 steps
    envs = [Frames(np.eye(3)[t], rewards=10 * b + np.arange(1.0, len(t) + 1)) for b, t in enumerate(targets)]
    made = iter(envs)
    vec = gym.vector.SyncVectorEnv([lambda: next(made)] * 3, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    rec = Recorder()
    pipe = EnvironmentPipeline(_mirror(3, batch=3), envmod.GymEnvironment(vec), encoding=_repeat, output="Y",
                               action_function=act.select_highest, time=3.0, reward_fn=rec, progress=False, seed=0)
    for _ in range(3):
        pipe.step()
    for b, t in enumerate(targets):  # each copy acts on its own observations
        assert envs[b].actions[:3] == t[:3], b
    assert [s["copy"] for s in pipe.history] == [0] and pipe.history[0]["length"] == 3
    assert pipe.history[0]["reward"] == 1 + 2 + 3
    assert np.array_equal(rec.given[0], [1.0, 11.0, 21.0]) and np.array_equal(rec.given[2], [3.0, 13.0, 23.0])
    assert rec.episodes[0][1].tolist() == [3, 1, 1]  # steps per copy; only copy 0's episode ended
    traces = np.array(pipe.network.layers["Y"]._group.variables["x"].array).reshape(3, 3)
    assert np.all(traces[0] == 0) and traces[1].max() > 0.5 and traces[2].max() > 0.5  # copy 0 alone was reset
    pipe.step()  # step 4: copy 2's episode (4 steps) ends; copy 0, in its second episode, acted at random
    assert envs[1].actions[:4] == targets[1][:4] and envs[2].actions[:4] == targets[2][:4]
    assert [(s["copy"], s["length"]) for s in pipe.history] == [(0, 3), (2, 4)]
    assert [(s["copy"], s["length"]) for s in pipe.episode()] == [(1, 5)]
    assert pipe.history[-1]["reward"] == sum(10 + np.arange(1.0, 6))



def test_a_networks_own_reward_fn_is_applied_once_and_updated_per_episode():
    from snngen.ml import MovingAvgRPE

    env = envmod.GymEnvironment(Frames(np.eye(3)[[0, 1, 2, 0]], rewards=[1.0, 2.0, 3.0]))
    net = _mirror()
    net.reward_fn = MovingAvgRPE()
    net.reward_fn.reward_predict = np.array(0.5)
    seen = []
    real_run = net.run

    def run(*args, reward=None, **kw):
        seen.append(net.reward_fn.compute(reward))  # what the rules get
        return real_run(*args, reward=reward, **kw)

    net.run = run
    pipe = EnvironmentPipeline(net, env, encoding=_repeat, output="Y", time=1.0, progress=False)
    assert pipe.reward_fn is net.reward_fn
    pipe.episode()
    assert np.allclose(seen, [-0.5, 0.5, 1.5, 2.5])  # reward - r_bar, once (first run: reward 0)
    assert np.isclose(net.reward_fn.reward_predict, 0.9 * 0.5 + (6.0 / 3) / 10)
    with pytest.raises(ModelError, match="not both"):
        EnvironmentPipeline(net, env, encoding=_repeat, output="Y", reward_fn=MovingAvgRPE, progress=False)


def test_random_actions_on_request_and_after_repeats():
    frames = np.eye(3)[[1] * 13]  # the network always asks for action 1
    env = envmod.GymEnvironment(Frames(frames))
    pipe = EnvironmentPipeline(_mirror(), env, encoding=_repeat, action_function=act.select_highest, output="Y",
                               time=3.0, random_action_after=3, progress=False, seed=0)
    stats = pipe.episode()
    # the rule: once 3 equal actions were taken in a row, the network's next wish (1) is replaced by a random
    # action, which starts a new streak
    streak, last, forced = 0, None, []
    for a in env.env.actions:
        forced.append(streak >= 3 and last == 1)
        streak = 1 if forced[-1] or a != last else streak + 1
        last = a
    assert stats["length"] == 12 and stats["random_actions"] == sum(forced) >= 2
    assert all(a == 1 for a, f in zip(env.env.actions, forced) if not f)
    env = envmod.GymEnvironment(Frames(frames))
    pipe = EnvironmentPipeline(_mirror(), env, encoding=_repeat, action_function=act.select_highest, output="Y",
                               time=3.0, percent_of_random_action=1.0, progress=False, seed=0)
    assert pipe.episode()["random_actions"] == 12 and len(set(env.env.actions)) == 3
