"""Breakout with a spiking network trained by reward-modulated STDP, after BindsNET's example
(``examples/breakout/breakout_stdp.py``), against a random policy measured in the same run.

    python examples/rl_breakout.py [--train 40] [--episodes 30] [--seed 0] [--bindsnet]

What both configurations share (BindsNET's pipeline):

- frames of ``BreakoutDeterministic-v4`` (4 frames per step; ale-py's ``BreakoutNoFrameskip-v4`` with
  ``frameskip=4``) cropped to rows 34-193, made grey, resized to 80 x 80, binary; no history;
- Bernoulli spikes (a pixel of 1 spikes every step), one compiled network run per environment step
  (``EnvironmentPipeline``);
- 6,400 inputs X -> 100 LIF nodes Y, fixed weights U(0, 0.1) -> LIF output nodes Z, one population per
  action (NOOP, FIRE, RIGHT, LEFT), Y -> Z learned by reward-modulated STDP.

``--bindsnet``, BindsNET's configuration: 100 ms of network time per step, 4 Z nodes (no refractory period),
Y -> Z weights U(0, 1) learned by MSTDP (nu 0.1), normalised to 0.5 x 100 per Z node, the action drawn from
the softmax of the 4 nodes' spike counts (``select_softmax``), the game's points as the reward.  It acts
uniformly at random: Z is saturated, and its 4 nodes fire in lockstep, 16.7 spikes each in every step
(measured over 20 training and 20 test episodes, seed 0: all 4 counts equal in 100 % of the steps), so the
softmax is uniform whatever the weights (test policy: NOOP 25 %, FIRE 25 %, RIGHT 26 %, LEFT 24 %), and the
per-node normalisation would keep each node's total input fixed anyway.  The lead's "below random" (0.45 ±
0.18 against 1.30 ± 0.25, 20 episodes each) is two uniformly random policies and chance: over 30 episodes a
uniformly random policy scores 1.0-1.4 (± 0.2) with seeds 0-2.

The default configuration (this script's; the changes, and why), the design of ``rl_space_invaders.py``:

- Z fires in (nearly) every step and its populations compete: 4 actions x 10 nodes, threshold 5 mV above
  rest (-60 mV), a tonic drive of 5 mV per step (the Y -> Z connection's bias ``b``), a fixed inhibitory
  Z -> Z connection (-1 mV from each spike to every node of the *other* populations: a soft winner-take-all);
  the action drawn with probability proportional to each population's spikes (``select_multinomial``; the
  softmax of BindsNET's counts is uniform when they tie and nearly deterministic when they do not);
- no normalisation: Y -> Z weights U(0, 0.3), up to 1; MSTDPET (nu 0.02, eligibility trace 25 ms);
- the depression trace of the Z nodes decays in 5 ms, not 20 (``tc_minus=5``): with a post-synaptic node
  that fires every step, the eligibility ``P+ s_post + s_pre P-`` is ``20 r - 20.5 r`` (r: the Y rate) with
  equal 20 ms traces, slightly negative, so a reward *depresses* the population that took the rewarded
  action.  Measured (seed 0, 20 ms): with a life penalty of 1 the network held LEFT in training episodes
  11-20 (10.6 points per episode), with 0.5 in episodes 21-30 (9.7), then lost it to a synchronous
  oscillation of all populations (Z silent in ~80 % of the steps; test 1.07 ± 0.23 and 1.27 ± 0.21,
  random); a penalty of 0.25 the same (test 1.70 ± 0.24, LEFT 19 %); with nu 0.005 no population got
  ahead in 60 episodes (1.37 ± 0.26); with MSTDP (20 ms) it locked onto RIGHT, 0-0.2 points per episode in
  episodes 21-60.  With 5 ms the eligibility of an active population is positive and it keeps what it
  learned (seeds 0-2 below; seed 0 held LEFT from episode 11 to 60);
- the reward is the game's points minus 0.5 when a life is lost (``info["lives"]``); without it (with
  20 ms traces, seed 0; not tried with 5 ms) no population got ahead in 40 episodes (test 1.37 ± 0.24);
- one 1 ms step of network time per environment step (100 times faster than BindsNET's 100 ms);
- ``random_action_after=50``: a random action once the same one was taken 50 times in a row.  Breakout
  needs FIRE to launch the ball after each lost life; a network holding NOOP (or LEFT at the wall) would
  otherwise wait until the environment truncates the episode (27,000 steps, ~20 s each).  These random
  actions are part of the test policy (~2 % of its steps).

What it learns is *which* action to hold, not to follow the ball (the frame without history shows the
bricks above all): LEFT.  Measured with this environment (40 episodes each, no network): a policy of 80 %
LEFT, 10 % FIRE, 10 % NOOP scores 10.1 ± 0.3; 50 % FIRE, 50 % LEFT 4.9; 50 % FIRE, 50 % RIGHT 2.2; 80 %
RIGHT 0.65; always FIRE 0; uniformly random 1.0.  The paddle parked at the left wall meets the ball as the
game launches it; the life penalty and the points make LEFT's population win the competition.

It trains ``--train`` episodes, then plays ``--episodes`` with the weights frozen, and as many with uniformly
random actions (the same pipeline, ``select_random``), and prints each mean score with its standard error
and the test policy's share of each action.

Measured (this machine, CPU, 2 cores shared with other work; ``python examples/rl_breakout.py --seed S``,
40 training episodes, 30 test episodes of each policy):

    seed 0: 11.00 ± 0.00 (LEFT 100 % of the network's choices, 1.9 % of the steps forced random), random policy
            1.03 ± 0.19; mean training score of the first 10 episodes 5.3, of the last 10 11.0; 103 s in all
    seed 1: 10.87 ± 0.13 (LEFT 100 %), random policy 1.00 ± 0.15; first 10 0.9, last 10 11.0; 102 s
    seed 2: 10.73 ± 0.19 (LEFT 100 %), random policy 1.00 ± 0.18; first 10 4.7, last 10 11.0; 79 s
    --bindsnet, seed 0: 1.27 ± 0.25 (NOOP 26 %, FIRE 25 %, RIGHT 25 %, LEFT 24 %), random policy 1.03 ± 0.19;
            first 10 0.5, last 10 0.5; 82 s

(The environment is deterministic and LEFT with the same forced random actions replays nearly the same
game: hence standard errors of 0-0.2.)  The number of seconds depends on the other work on the machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import CountActions, LifeLossPenalty

from snngen.ml import MSTDP, MSTDPET, Connection, Input, LIFNodes, Network
from snngen.ml.action import select_multinomial, select_random, select_softmax
from snngen.ml.environment import GymEnvironment
from snngen.ml.pipelines import EnvironmentPipeline

ACTIONS = ("NOOP", "FIRE", "RIGHT", "LEFT")


def build_network(seed=0, backend="cpu", bindsnet=False, per_action=10):
    """X (80 x 80) -> Y (100 LIF) -> Z (LIF, one population per action), reward-modulated STDP on Y -> Z;
    ``bindsnet``: BindsNET's network, else with a tonic drive, Z -> Z inhibition between the actions, no
    normalisation (see the docstring)."""
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0, seed=seed, backend=backend)
    x = Input(shape=(80, 80), traces=True)
    y = LIFNodes(n=100, traces=True)
    n_z = len(ACTIONS) * (1 if bindsnet else per_action)
    z = LIFNodes(n=n_z, refrac=0, traces=True, **({} if bindsnet else {"thresh": -60.0}))
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_layer(z, "Z")
    net.add_connection(Connection(x, y, wmin=0.0, wmax=0.1, w=rng.uniform(0, 0.1, (x.n, y.n))), "X", "Y")
    if bindsnet:
        net.add_connection(Connection(y, z, wmin=0.0, wmax=1.0, w=rng.uniform(0, 1.0, (y.n, z.n)), update_rule=MSTDP,
                                      nu=0.1, norm=0.5 * y.n), "Y", "Z")
        return net
    net.add_connection(Connection(y, z, wmin=0.0, wmax=1.0, w=rng.uniform(0, 0.3, (y.n, z.n)), b=5.0,
                                  update_rule=MSTDPET, nu=2e-2, tc_minus=5.0), "Y", "Z")
    population = np.arange(z.n) // per_action
    inhibition = -1.0 * (population[:, None] != population[None, :])
    net.add_connection(Connection(z, z, wmin=-1.0, wmax=0.0, w=inhibition), "Z", "Z")
    return net


def make_pipeline(net, seed, action_function, bindsnet=False, progress=False, random=False):
    """BindsNET's pipeline (``bindsnet``), or this script's; ``random``: for the random policy, which ignores the
    network (1 ms per step, no forced random actions)."""
    env = GymEnvironment("BreakoutDeterministic-v4", seed=seed)
    if bindsnet:
        return EnvironmentPipeline(net, env, action_function=action_function, output="Z",
                                   time=1.0 if random else 100.0, seed=seed, progress=progress)
    return EnvironmentPipeline(net, env, action_function=action_function, output="Z", time=1.0, seed=seed,
                               reward_fn=LifeLossPenalty(0.5), random_action_after=None if random else 50,
                               progress=progress)


def score(stats):
    """Mean and standard error of the episodes' scores (the game's points)."""
    r = np.array([s["score"] for s in stats], dtype=np.float64)
    return r.mean(), r.std(ddof=1) / np.sqrt(len(r)) if len(r) > 1 else float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=int, default=40, help="training episodes (%(default)s)")
    p.add_argument("--episodes", type=int, default=30, help="test episodes of each policy (%(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of everything (%(default)s)")
    p.add_argument("--bindsnet", action="store_true", help="BindsNET's configuration (acts at random: see above)")
    p.add_argument("--backend", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--progress", action="store_true", help="progress bars")
    args = p.parse_args(argv)
    started = time.perf_counter()
    net = build_network(args.seed, args.backend, args.bindsnet)
    actions = CountActions(select_softmax if args.bindsnet else select_multinomial, len(ACTIONS))
    pipe = make_pipeline(net, args.seed, actions, args.bindsnet, args.progress)
    t0 = time.perf_counter()
    trained = pipe.train(args.train)
    t_train = time.perf_counter() - t0
    steps = sum(s["length"] for s in trained)
    first = np.mean([s["score"] for s in trained[:10]])
    last = np.mean([s["score"] for s in trained[-10:]])
    print(f"training: {len(trained)} episodes, {steps} steps in {t_train:.0f} s ({steps / t_train:.0f} steps/s); "
          f"mean score of the first 10 {first:.1f}, of the last 10 {last:.1f}")
    actions.counts[:] = 0
    tested = pipe.test(args.episodes)
    share = actions.counts / actions.counts.sum()
    forced = sum(s["random_actions"] for s in tested) / sum(s["length"] for s in tested)
    print("test policy's actions: " + ", ".join(f"{a} {s:.0%}" for a, s in zip(ACTIONS, share))
          + f" (of the network's choices); random actions forced by random_action_after: {forced:.1%} of the steps")
    rand = make_pipeline(build_network(args.seed, args.backend, args.bindsnet), args.seed + 1, select_random,
                         args.bindsnet, random=True)
    baseline = rand.test(args.episodes)
    (m, se), (mr, ser) = score(tested), score(baseline)
    print(f"{time.perf_counter() - started:.0f} s in all")
    print(f"mean score over {len(tested)} episodes: {m:.2f} ± {se:.2f} (random policy: {mr:.2f} ± {ser:.2f})")
    return m, se, mr, ser


if __name__ == "__main__":
    main()
