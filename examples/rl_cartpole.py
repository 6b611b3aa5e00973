"""CartPole balanced by a spiking actor that learns with reward-modulated STDP (MSTDPET), against a random policy
measured in the same run.

    python examples/rl_cartpole.py [--episodes 500] [--seed 0] [--time 40]

**Encoding.**  Each environment step, the pole angle and its angular velocity are coded by Gaussian receptive
fields (place cells): 8 cells over the angle (centres -0.21 .. 0.21 rad, the failure limit) and 8 over the angular
velocity (centres -2 .. 2 rad/s), each field's width the spacing of the centres.  A cell's firing probability per
1 ms time step is ``0.2*exp(-d**2/2)`` (d: the distance to its centre in widths): Bernoulli spikes, 200 Hz at most,
for ``--time`` ms (40 by default) into the Input layer ``X`` (16 nodes).  The cart's position and velocity are not
given (the episodes end on the pole before the cart leaves the track).

**Network.**  ``X`` (16) -> ``Z`` (50 LIF nodes: two populations of 25, one per action, left then right).  The
weights X -> Z start uniform in [0.5, 1.5] (seeded), stay in [0, 3] and are learned by ``MSTDPET`` (Florian 2007:
reward x eligibility trace of the STDP pairings; ``nu`` 0.004, ``tc_plus`` 20 ms, ``tc_minus`` 2 ms (a short
post-before-pre window: with inputs firing at up to 200 Hz the usual 20 ms one cancels the causal pairings),
``tc_e_trace`` 20 ms), and normalised after every step's run to a sum of 16 (1 per input) into each output node,
so that learning moves weight between inputs instead of growing all of them.  Fixed lateral inhibition Z -> Z:
weight -1 from every node of one population to every node of the other (none within a population), so that the
populations compete.

**Action.**  The population with more spikes in the step's run (ties and a silent output: uniformly at random,
from the pipeline's seeded generator): :func:`select`.

**Reward** (:class:`PoleReward`).  CartPole's +1 per step says nothing about an action, so the rule is given a
shaped reward computed from the observations: with ``e = omega + 2*theta`` (how fast the pole is falling, ahead of
its angle) before the action, and the change of the angular velocity ``d_omega`` that the action brought, the reward
is +1 when the action turned the angular velocity against ``e`` (``-sign(e)*sign(d_omega)``) and -1 when it made the
fall worse; -1 when the pole falls (termination; not at the 500-step limit); 0 on an episode's first step.  The
pipeline (:class:`~snngen.ml.pipelines.EnvironmentPipeline`) delivers the reward of an action in the network's run
on the next observation; the eligibility trace (20 ms) carries the pairings of the run that chose the action into it.

**Run.**  ``--episodes`` training episodes (500: the bar's maximum) with learning on, each step one compiled
``Network.run(inputs=..., time=..., reward=r)``; then 100 episodes of uniformly random actions (seeded).  One
``--seed`` seeds the weights, the network, the environment (its resets and action space) and the pipeline's
generator (spikes of the encoding, ties): the printed numbers repeat exactly.  The last line is
``mean episode length over the last 50 episodes: L (random policy: R)``, L over the last 50 training episodes.

**Measured** (``python examples/rl_cartpole.py --seed S``; 2-core machine shared with other jobs; the same seed
prints the same numbers):

    seed 0: L = 364.8 (random policy: R = 20.7), 54 s
    seed 1: L = 355.1 (R = 22.6), 53 s
    seed 2: L = 377.0 (R = 22.2), 54 s
    seed 3: L = 371.3 (R = 21.2), 54 s

L is 16-18 R; about 0.3 ms of wall time per environment step (one compiled run of 40 ms of network time).  With
``--time 20`` (fewer spikes per decision, noisier actions): L = 256.3, 258.4, 228.4 for seeds 0-2 (28 s each);
``--time 10``: 89.2 (seed 0).  Without learning (``nu`` 0) the untrained network keeps choosing one action:
about 9 steps per episode.
"""

from __future__ import annotations

import argparse
import time as time_module

import numpy as np

from snngen.ml import MSTDPET, Connection, Input, LIFNodes, Network
from snngen.ml.action import select_highest
from snngen.ml.environment import GymEnvironment
from snngen.ml.pipelines import EnvironmentPipeline
from snngen.ml.reward import AbstractReward

# place cells: centres over the pole angle (rad) and the angular velocity (rad/s)
THETA_CENTRES = np.linspace(-0.21, 0.21, 8)
OMEGA_CENTRES = np.linspace(-2.0, 2.0, 8)
MAX_PROB = 0.2  # a cell's spike probability per ms at its centre
N_INPUT = len(THETA_CENTRES) + len(OMEGA_CENTRES)
N_ACTIONS = 2
POPULATION = 25  # output nodes per action


def firing_probability(obs):
    """The place cells' spike probabilities per ms for one observation ``(x, x_dot, theta, omega)``."""
    theta, omega = float(obs[2]), float(obs[3])
    cells = []
    for value, centres in ((theta, THETA_CENTRES), (omega, OMEGA_CENTRES)):
        width = centres[1] - centres[0]
        cells.append(MAX_PROB * np.exp(-0.5 * ((value - centres) / width) ** 2))
    return np.concatenate(cells)


def encode(obs, time, dt, rng):
    """Bernoulli spikes of the place cells, ``(time/dt, N_INPUT)``."""
    p = np.minimum(firing_probability(obs) * dt, 1.0)
    steps = int(round(time / dt))
    return (rng.random((steps, len(p))) < p).astype(np.float32)


def select(spikes, n_actions, rng):
    """The action whose population spiked most over the step (``spikes``: ``(time, n_output)``); ties and a silent
    output give a uniformly random action (from ``rng``)."""
    return select_highest(spikes, n_actions, rng)


class PoleReward(AbstractReward):
    """A shaped reward from the change the action made to the pole's fall (see the module's text): +1 if the action
    turned the angular velocity against ``e = omega + gain*theta`` of the step before, -1 if it made it worse, -1
    when the pole falls, 0 on an episode's first step (no observation before it is known here)."""

    def __init__(self, gain=2.0):
        self.gain = float(gain)
        self.reset()

    def reset(self):
        self.previous = None  # (e, omega) of the last observation

    def compute(self, reward, obs=None, done=False, info=None, action=None, step=None, **state):
        step = int(np.ravel(step)[0]) if step is not None else None
        theta, omega = float(obs[2]), float(obs[3])
        if step == 1 or self.previous is None:
            r = 0.0
        else:
            e, omega_before = self.previous
            r = float(-np.sign(e) * np.sign(omega - omega_before))
        if done and (info or {}).get("terminated", True):
            r = -1.0
        self.previous = (omega + self.gain * theta, omega)
        return r


def build_network(args):
    """X (16 place cells) -> Z (2 x 25 LIF), MSTDPET on X -> Z, fixed lateral inhibition between the populations."""
    rng = np.random.default_rng(args.seed)
    net = Network(dt=1.0, seed=args.seed)
    x = Input(n=N_INPUT, traces=True)
    z = LIFNodes(n=N_ACTIONS * POPULATION, traces=True)
    net.add_layer(x, "X")
    net.add_layer(z, "Z")
    net.add_connection(Connection(x, z, w=rng.uniform(0.5, 1.5, (x.n, z.n)), wmin=0.0, wmax=3.0,
                                  update_rule=MSTDPET, nu=0.004, tc_plus=20.0, tc_minus=2.0, tc_e_trace=20.0,
                                  norm=1.0 * x.n), "X", "Z")
    population = np.repeat(np.arange(N_ACTIONS), POPULATION)
    inhibition = np.where(population[:, None] != population[None, :], -1.0, 0.0)
    net.add_connection(Connection(z, z, w=inhibition, wmin=-1.0, wmax=0.0), "Z", "Z")
    return net


def random_policy(seed, episodes=100):
    """Mean episode length of uniformly random actions (seeded)."""
    env = GymEnvironment("CartPole-v1", seed=seed)
    lengths = []
    for _ in range(episodes):
        env.reset()
        n, done = 0, False
        while not done:
            _, _, done, _ = env.step(int(env.sample_action()))
            n += 1
        lengths.append(n)
    env.close()
    return float(np.mean(lengths))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", type=int, default=500, help="training episodes (%(default)s; at least 50)")
    p.add_argument("--seed", type=int, default=0, help="seed of everything (%(default)s)")
    p.add_argument("--time", type=float, default=40.0, help="ms of network time per environment step (%(default)s)")
    p.add_argument("--random-episodes", type=int, default=100, help="episodes of the random policy (%(default)s)")
    p.add_argument("--quiet", action="store_true", help="print only the last line")
    args = p.parse_args(argv)
    if args.episodes < 50:
        p.error("--episodes must be at least 50 (L is the mean of the last 50)")
    started = time_module.perf_counter()
    net = build_network(args)
    env = GymEnvironment("CartPole-v1", seed=args.seed)

    def report(pipe, stats):
        k = stats["episode"]
        if not args.quiet and k % 50 == 0:
            recent = [s["length"] for s in pipe.history[-50:]]
            print(f"episode {k}: mean length of the last 50 {np.mean(recent):.1f} "
                  f"({time_module.perf_counter() - started:.0f} s)", flush=True)

    pipe = EnvironmentPipeline(net, env, encoding=encode, action_function=select, output="Z", time=args.time,
                               reward_fn=PoleReward(), seed=args.seed, progress=False, callbacks=[report])
    history = pipe.train(args.episodes)
    env.close()
    lengths = np.array([s["length"] for s in history])
    L = float(lengths[-50:].mean())
    R = random_policy(args.seed + 1, args.random_episodes)
    seconds = time_module.perf_counter() - started
    if not args.quiet:
        print(f"{lengths.sum()} environment steps in {seconds:.1f} s ({1e3 * seconds / lengths.sum():.2f} ms per step, "
              f"{args.time:g} ms of network time each)")
    print(f"mean episode length over the last 50 episodes: {L:.1f} (random policy: {R:.1f})")
    return L, R


if __name__ == "__main__":
    main()
