"""The BindsNET paper's Fig. 7 (Hazan et al. 2018): a spiking network plays SpaceInvaders, trained with
reward-modulated STDP with an eligibility trace (MSTDPET), against a random policy measured in the same run.

    python examples/rl_space_invaders.py [--train 100] [--episodes 20] [--seed 0]

The configuration is the paper's:

- frames of ``SpaceInvaders-v0`` (ale-py; 2-4 frames skipped at random, actions repeated with probability
  0.25) made grey, resized to 110 x 84, rows 26-103 kept (6,552 pixels), binary; a history of 2 frames,
  every 4th kept: the network sees the pixels that are on now and were off in both (what moved);
- Bernoulli spikes (a pixel of 1 spikes), one 1 ms step of network time per environment step;
- 6,552 inputs -> 225 LIF nodes (thresholds -52 + N(0, 1) mV), fixed weights U(0, 0.01) -> 60 LIF nodes
  (thresh -40 mV, no refractory period), weights U(0, 0.5) learned by MSTDPET (nu 0.02, normalised to
  0.15 x 225 per output node);
- the action is drawn with probability proportional to the spikes of each action's 10 output nodes
  (``select_multinomial``; random when they are silent); rewards clipped to their sign.

It trains ``--train`` episodes, then plays ``--episodes`` with the weights frozen, and as many with uniformly
random actions (the same pipeline, ``select_random``), and prints each mean score with its standard error.
The paper gives no score: this script's line is the record.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from snngen.ml import MSTDPET, Connection, Input, LIFNodes, Network
from snngen.ml.action import select_multinomial, select_random
from snngen.ml.environment import GymEnvironment
from snngen.ml.pipelines import EnvironmentPipeline


def build_network(seed=0, backend="cpu"):
    """Fig. 7's network: X (78 x 84) -> Y (225 LIF) -> Z (60 LIF, 6 actions x 10), MSTDPET on Y -> Z."""
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0, seed=seed, backend=backend)
    x = Input(shape=(78, 84), traces=True)
    y = LIFNodes(n=225, traces=True, thresh=-52.0 + rng.standard_normal(225))
    z = LIFNodes(n=60, refrac=0, traces=True, thresh=-40.0)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_layer(z, "Z")
    net.add_connection(Connection(x, y, wmin=0.0, wmax=1e-2, w=rng.uniform(0, 1e-2, (x.n, y.n))), "X", "Y")
    net.add_connection(Connection(y, z, wmin=0.0, wmax=0.5, w=rng.uniform(0, 0.5, (y.n, z.n)), update_rule=MSTDPET,
                                  nu=2e-2, norm=0.15 * y.n), "Y", "Z")
    return net


def make_pipeline(net, seed, action_function=select_multinomial, progress=False):
    env = GymEnvironment("SpaceInvaders-v0", seed=seed, clip_rewards=True)
    return EnvironmentPipeline(net, env, action_function=action_function, output="Z", time=1.0, history_length=2,
                               delta=4, seed=seed, progress=progress)


def score(stats):
    """Mean and standard error of the episodes' scores (the game's points, before clipping)."""
    r = np.array([s["score"] for s in stats], dtype=np.float64)
    return r.mean(), r.std(ddof=1) / np.sqrt(len(r)) if len(r) > 1 else float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=int, default=100, help="training episodes (%(default)s)")
    p.add_argument("--episodes", type=int, default=20, help="test episodes of each policy (%(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of everything (%(default)s)")
    p.add_argument("--backend", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--progress", action="store_true", help="progress bars")
    args = p.parse_args(argv)
    started = time.perf_counter()
    net = build_network(args.seed, args.backend)
    pipe = make_pipeline(net, args.seed, progress=args.progress)
    t0 = time.perf_counter()
    trained = pipe.train(args.train)
    t_train = time.perf_counter() - t0
    steps = sum(s["length"] for s in trained)
    tested = pipe.test(args.episodes)
    rand = make_pipeline(build_network(args.seed, args.backend), args.seed + 1, select_random)
    baseline = rand.test(args.episodes)
    first = np.mean([s["score"] for s in trained[:10]])
    last = np.mean([s["score"] for s in trained[-10:]])
    print(f"training: {len(trained)} episodes, {steps} steps in {t_train:.0f} s ({steps / t_train:.0f} steps/s); "
          f"mean score of the first 10 {first:.1f}, of the last 10 {last:.1f}")
    (m, se), (mr, ser) = score(tested), score(baseline)
    print(f"mean score over {len(tested)} episodes: {m:.1f} ± {se:.1f} (random policy: {mr:.1f} ± {ser:.1f}); "
          f"{time.perf_counter() - started:.0f} s in all")
    return m, se, mr, ser


if __name__ == "__main__":
    main()
