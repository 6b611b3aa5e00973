"""Breakout as in BindsNET's example (``examples/breakout/breakout_stdp.py``): a spiking network trained with
reward-modulated STDP (MSTDP), against a random policy measured in the same run.

    python examples/rl_breakout.py [--train 20] [--episodes 20] [--seed 0]

The configuration is BindsNET's:

- frames of ``BreakoutDeterministic-v4`` (4 frames per step; ale-py's ``BreakoutNoFrameskip-v4`` with
  ``frameskip=4``) cropped to rows 34-193, made grey, resized to 80 x 80, binary; no history;
- Bernoulli spikes (a pixel of 1 spikes every step), 100 ms of network time per environment step;
- 6,400 inputs -> 100 LIF nodes (fixed weights U(0, 0.1)) -> 4 LIF nodes, one per action (no refractory
  period), weights U(0, 1) learned by MSTDP (nu 0.1), normalised to 0.5 x 100 per output node;
- the action is drawn from the softmax of the 4 nodes' spike counts over the step (``select_softmax``);
- the game's points are the reward.

It trains ``--train`` episodes, then plays ``--episodes`` with the weights frozen, and as many with uniformly
random actions (the same pipeline, ``select_random``), and prints each mean score with its standard error.
BindsNET gives no score for this example: this script's line is the record.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from snngen.ml import MSTDP, Connection, Input, LIFNodes, Network
from snngen.ml.action import select_random, select_softmax
from snngen.ml.environment import GymEnvironment
from snngen.ml.pipelines import EnvironmentPipeline


def build_network(seed=0, backend="cpu"):
    """X (80 x 80) -> Y (100 LIF) -> Z (4 LIF, one per action), MSTDP on Y -> Z."""
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0, seed=seed, backend=backend)
    x = Input(shape=(80, 80), traces=True)
    y = LIFNodes(n=100, traces=True)
    z = LIFNodes(n=4, refrac=0, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_layer(z, "Z")
    net.add_connection(Connection(x, y, wmin=0.0, wmax=0.1, w=rng.uniform(0, 0.1, (x.n, y.n))), "X", "Y")
    net.add_connection(Connection(y, z, wmin=0.0, wmax=1.0, w=rng.uniform(0, 1.0, (y.n, z.n)), update_rule=MSTDP,
                                  nu=0.1, norm=0.5 * y.n), "Y", "Z")
    return net


def make_pipeline(net, seed, action_function=select_softmax, progress=False, time_per_step=100.0):
    env = GymEnvironment("BreakoutDeterministic-v4", seed=seed)
    return EnvironmentPipeline(net, env, action_function=action_function, output="Z", time=time_per_step, seed=seed,
                               progress=progress)


def score(stats):
    r = np.array([s["score"] for s in stats], dtype=np.float64)
    return r.mean(), r.std(ddof=1) / np.sqrt(len(r)) if len(r) > 1 else float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=int, default=20, help="training episodes (%(default)s)")
    p.add_argument("--episodes", type=int, default=20, help="test episodes of each policy (%(default)s)")
    p.add_argument("--time", type=float, default=100.0, help="ms of network time per environment step (%(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of everything (%(default)s)")
    p.add_argument("--backend", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--progress", action="store_true", help="progress bars")
    args = p.parse_args(argv)
    started = time.perf_counter()
    net = build_network(args.seed, args.backend)
    pipe = make_pipeline(net, args.seed, progress=args.progress, time_per_step=args.time)
    t0 = time.perf_counter()
    trained = pipe.train(args.train)
    t_train = time.perf_counter() - t0
    steps = sum(s["length"] for s in trained)
    tested = pipe.test(args.episodes)
    # the random policy ignores the network: 1 ms per step is enough
    rand = make_pipeline(build_network(args.seed, args.backend), args.seed + 1, select_random, time_per_step=1.0)
    baseline = rand.test(args.episodes)
    print(f"training: {len(trained)} episodes, {steps} steps in {t_train:.0f} s ({steps / t_train:.0f} steps/s)")
    (m, se), (mr, ser) = score(tested), score(baseline)
    print(f"mean score over {len(tested)} episodes: {m:.2f} ± {se:.2f} (random policy: {mr:.2f} ± {ser:.2f}); "
          f"{time.perf_counter() - started:.0f} s in all")
    return m, se, mr, ser


if __name__ == "__main__":
    main()
