"""Environment steps per second of the Fig. 7 RL pipeline (SpaceInvaders-v0), snngen against BindsNET 0.3.4.

    python benchmarks/rl_benchmark.py [--steps 2000] [--repeats 3]
                                      [--warmup 200] [--threads 2,1] [--seed 0]
                                      [--peer-python ~/.cache/snngen-peers/bindsnet/bin/python]

The configuration (Hazan et al. 2018, Fig. 7; BindsNET's ``examples`` style): SpaceInvaders-v0 frames ->
grey -> 110x84 -> rows 26-103 (78x84 = 6,552 px) -> binary; frame history 2, delta 4; Bernoulli encoding
(max_prob 1), one network step (dt = 1 ms) per environment step; Input 6,552 (traces) -> 225 LIF (traces,
thresholds -52 + N(0, 1)) -> 60 LIF (refrac 0, thresh -40, traces); X->Y ``Connection`` wmin 0, wmax 1e-2;
Y->Z ``Connection`` with ``MSTDPET``, nu 2e-2, wmin 0, wmax 0.5, norm 0.15 * 225; actions by
``select_multinomial`` over 6 actions x 10 neurons; learning on; rewards clipped to their sign (BindsNET's
default ``clip_rewards=True``; set on both sides).

Each side runs in its own fresh interpreter (this file with ``--side snngen`` under this Python, with
``--side bindsnet`` under the BindsNET venv's Python, once per torch thread count): build, ``--warmup`` steps,
then ``--repeats`` timed runs of ``--steps`` environment steps each, continuing the same pipeline (episodes
reset when they end, as the pipelines' own ``train()`` loops do); the median run is reported.

* snngen: ``snngen.ml.environment.GymEnvironment`` + ``snngen.ml.pipelines.EnvironmentPipeline`` +
  ``snngen.ml.action.select_multinomial``; the split (environment / encoding / network / other) is the
  pipeline's own ``timings``.
* BindsNET 0.3.4 on CPU: its own ``GymEnvironment`` (it already speaks gymnasium 1.x and ale-py 0.12, so no
  adapter is needed: ``history_length=2, delta=4`` go to it, as in 0.3.4), ``EnvironmentPipeline`` (defaults,
  so its ``BasePipeline`` adds its usual spike/voltage monitors of every layer), ``encoding=bernoulli``,
  ``action_function=select_multinomial``, ``output="Z"``, ``time=1``.  The steps are driven exactly as its
  ``EnvironmentPipeline.train()`` does (``env_step()`` then ``step()``, ``reset_state_variables()`` when an
  episode ends).  Its input layer has shape ``[1, 1, 78, 84]``: the environment gives ``[1, 1, 78, 84]`` (batch,
  channel, H, W) and the pipeline adds one more axis before encoding.  The split is measured by thin timing
  wrappers around ``env.step`` (the gymnasium step plus BindsNET's preprocessing and history), the encoding
  function and ``network.run``; "other" is the rest (action choice, ``recursive_to``, monitor reads, resets).
  ``torch.set_num_threads(t)`` for each ``t`` of ``--threads``; ``torch.manual_seed(seed)``.

Both sides also record, during the timed runs: the actions taken, the fraction of steps in which the output
layer spiked, and (BindsNET) how often its ``random_action_after`` rule overrode the action function.  A last
row per interpreter times bare ``gymnasium`` ``env.step`` of SpaceInvaders-v0 (same seeded random actions, no
preprocessing): the floor that no pipeline can go under, so the ratio can never exceed
(BindsNET's time per step) / (bare environment time per step).

Results: a table on stdout and ``benchmarks/results/rl_throughput.csv`` (one row per side and thread count),
with the 1-minute load average before and after each side.  Throughput is what is measured, not the score.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CSV_PATH = HERE / "results" / "rl_throughput.csv"
DEFAULT_PEER = Path.home() / ".cache" / "snngen-peers" / "bindsnet" / "bin" / "python"
MARK = "RL-BENCHMARK-RESULT "
GAME = "SpaceInvaders-v0"
N_ACTIONS = 6


def _load1():
    return os.getloadavg()[0]


def _bare_env(seed, steps):
    """Seconds per bare gymnasium step of the game (random seeded actions, resets included)."""
    import ale_py
    import gymnasium as gym
    import numpy as np

    gym.register_envs(ale_py)
    env = gym.make(GAME)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(N_ACTIONS, size=steps)
    for a in actions[:100]:
        if any(env.step(int(a))[2:4]):
            env.reset()
    t0 = time.perf_counter()
    for a in actions:
        if any(env.step(int(a))[2:4]):
            env.reset()
    el = time.perf_counter() - t0
    env.close()
    return el / steps


def _runs(one_step, args, timings):
    """Warm-up, then ``args.repeats`` timed runs; returns (seconds per run, split per run)."""
    for _ in range(args.warmup):
        one_step()
    secs, splits = [], []
    for _ in range(args.repeats):
        timings.clear_()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            one_step()
        secs.append(time.perf_counter() - t0)
        splits.append(timings.get_())
    return secs, splits


def _summary(secs, splits, args):
    order = sorted(range(len(secs)), key=secs.__getitem__)
    med = order[len(order) // 2]
    split = dict(splits[med])
    split["other"] = secs[med] - sum(v for k, v in split.items() if k != "other")
    return {
        "steps": args.steps, "repeats": args.repeats, "warmup": args.warmup,
        "steps_per_s": [args.steps / s for s in secs],
        "median_steps_per_s": statistics.median(args.steps / s for s in secs),
        "split_us": {k: 1e6 * v / args.steps for k, v in split.items()},
    }


def side_snngen(args):
    import gymnasium
    import numpy as np

    sys.path.insert(0, str(ROOT))
    import ale_py

    import snngen
    from snngen.ml import MSTDPET, Connection, Input, LIFNodes, Network
    from snngen.ml.action import select_multinomial
    from snngen.ml.environment import GymEnvironment
    from snngen.ml.pipelines import EnvironmentPipeline

    t_build = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    net = Network(dt=1.0, seed=args.seed)
    X = Input(n=78 * 84, shape=(78, 84), traces=True)
    Y = LIFNodes(n=225, traces=True, thresh=-52 + rng.standard_normal(225))
    Z = LIFNodes(n=60, refrac=0, traces=True, thresh=-40.0)
    net.add_layer(X, "X")
    net.add_layer(Y, "Y")
    net.add_layer(Z, "Z")
    net.add_connection(Connection(X, Y, wmin=0, wmax=1e-2), "X", "Y")
    net.add_connection(Connection(Y, Z, wmin=0, wmax=0.5, update_rule=MSTDPET, nu=2e-2, norm=0.15 * 225),
                       "Y", "Z")
    env = GymEnvironment(GAME, seed=args.seed, clip_rewards=True)
    pipe = EnvironmentPipeline(net, env, action_function=select_multinomial, output="Z", time=1,
                               history_length=2, delta=4, seed=args.seed, progress=False)
    build_s = time.perf_counter() - t_build

    actions, z_active = [], [0]
    env_step = env.step

    def recording_step(a):
        actions.append(a)
        return env_step(a)

    env.step = recording_step

    def one_step():
        pipe.step()
        s = getattr(pipe, "_spikes", None)
        if s is not None and s.any():
            z_active[0] += 1

    class T:
        def clear_(self):
            pipe.timings = dict.fromkeys(pipe.timings, 0.0)

        def get_(self):
            return dict(pipe.timings)

    t0 = time.perf_counter()
    one_step()  # the first step builds and compiles the kernels: reported on its own
    first_s = time.perf_counter() - t0
    secs, splits = _runs(one_step, args, T())
    n_timed = args.steps * args.repeats
    timed_actions = actions[-n_timed:]
    out = _summary(secs, splits, args)
    out.update(
        side="snngen", version=snngen.__version__, threads=None, build_s=build_s, first_step_s=first_s,
        gymnasium=gymnasium.__version__, ale_py=ale_py.__version__, numpy=np.__version__,
        actions=dict(sorted(collections.Counter(int(a) for a in timed_actions).items())),
        z_active_fraction=z_active[0] / (n_timed + args.warmup + 1),
        random_overrides=sum(h.get("random_actions", 0) for h in pipe.history),
        episodes=len(pipe.history),
        bare_env_us=1e6 * _bare_env(args.seed, args.steps),
    )
    return out


def side_bindsnet(args):
    import ale_py
    import gymnasium
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    import bindsnet
    from bindsnet.encoding import bernoulli
    from bindsnet.environment import GymEnvironment
    from bindsnet.learning import MSTDPET
    from bindsnet.network import Network
    from bindsnet.network.nodes import Input, LIFNodes
    from bindsnet.network.topology import Connection
    from bindsnet.pipeline import EnvironmentPipeline
    from bindsnet.pipeline.action import select_multinomial

    timings = dict.fromkeys(("environment", "encoding", "network"), 0.0)

    def timed(fn, key):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            r = fn(*a, **k)
            timings[key] += time.perf_counter() - t0
            return r
        return wrapper

    t_build = time.perf_counter()
    net = Network(dt=1.0)
    X = Input(n=78 * 84, shape=[1, 1, 78, 84], traces=True)
    Y = LIFNodes(n=225, traces=True, thresh=-52.0 + torch.randn(225))
    Z = LIFNodes(n=60, refrac=0, traces=True, thresh=-40.0)
    net.add_layer(X, "X")
    net.add_layer(Y, "Y")
    net.add_layer(Z, "Z")
    net.add_connection(Connection(X, Y, wmin=0, wmax=1e-2), "X", "Y")
    net.add_connection(Connection(Y, Z, wmin=0, wmax=0.5, update_rule=MSTDPET, nu=2e-2, norm=0.15 * Y.n),
                       "Y", "Z")
    env = GymEnvironment(GAME, history_length=2, delta=4, seed=args.seed)
    pipe = EnvironmentPipeline(net, env, encoding=timed(bernoulli, "encoding"),
                               action_function=select_multinomial, output="Z", time=1)
    build_s = time.perf_counter() - t_build

    actions, z_active, episodes = [], [0], [0]
    env_step = env.step

    def recording_step(a):
        actions.append(a)
        return env_step(a)

    env.step = timed(recording_step, "environment")
    net.run = timed(net.run, "network")
    pipe.reset_state_variables()
    env.reset(seed=args.seed)

    def one_step():  # EnvironmentPipeline.train()'s loop body
        batch = pipe.env_step()
        pipe.step(batch)
        if Z.s.any():
            z_active[0] += 1
        if batch[2]:
            episodes[0] += 1
            pipe.reset_state_variables()

    class T:
        def clear_(self):
            for k in timings:
                timings[k] = 0.0

        def get_(self):
            return dict(timings)

    log = io.StringIO()  # its random_action_after rule prints a line (tqdm.write) each time it fires
    with contextlib.redirect_stdout(log):
        t0 = time.perf_counter()
        one_step()
        first_s = time.perf_counter() - t0
        secs, splits = _runs(one_step, args, T())
    n_timed = args.steps * args.repeats
    lines = log.getvalue().splitlines()
    out = _summary(secs, splits, args)
    out.update(
        side="bindsnet", version=getattr(bindsnet, "__version__", "0.3.4"), threads=torch.get_num_threads(),
        build_s=build_s, first_step_s=first_s, torch=torch.__version__, gymnasium=gymnasium.__version__,
        ale_py=ale_py.__version__, numpy=np.__version__,
        actions=dict(sorted(collections.Counter(int(a) for a in actions[-n_timed:]).items())),
        z_active_fraction=z_active[0] / (n_timed + args.warmup + 1),
        random_overrides=sum("too many times" in ln for ln in lines),
        episodes=episodes[0],
        bare_env_us=1e6 * _bare_env(args.seed, args.steps),
    )
    return out


def _run_side(python, side, args, threads=None):
    cmd = [str(python), str(Path(__file__).resolve()), "--side", side, "--steps", str(args.steps),
           "--repeats", str(args.repeats), "--warmup", str(args.warmup), "--seed", str(args.seed)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    before = _load1()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    after = _load1()
    for line in p.stdout.splitlines():
        if line.startswith(MARK):
            r = json.loads(line[len(MARK):])
            r["load1_before"], r["load1_after"] = before, after
            return r
    sys.stderr.write(p.stdout[-4000:] + p.stderr[-4000:])
    raise SystemExit(f"{side} side failed (rc {p.returncode})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", default="2,1", help="torch thread counts for BindsNET (comma-separated)")
    ap.add_argument("--peer-python", default=str(DEFAULT_PEER))
    ap.add_argument("--side", choices=("snngen", "bindsnet"), help=argparse.SUPPRESS)
    ap.add_argument("--csv", default=str(CSV_PATH))
    args = ap.parse_args()

    if args.side:
        if args.side == "bindsnet":
            args.threads = int(args.threads.split(",")[0])
        r = (side_snngen if args.side == "snngen" else side_bindsnet)(args)
        print(MARK + json.dumps(r))
        return

    print(f"load average before: {os.getloadavg()}", flush=True)
    rows = [_run_side(sys.executable, "snngen", args)]
    for t in (int(x) for x in args.threads.split(",")):
        rows.append(_run_side(args.peer_python, "bindsnet", args, threads=t))
    sn = rows[0]["median_steps_per_s"]

    hdr = (f"{'side':<16}{'steps/s':>9}{'min-max':>14}{'ratio':>7}{'env':>7}{'enc':>6}{'net':>6}"
           f"{'other':>7}{'total':>7}{'bare env':>9}{'load1':>11}")
    print(f"\nFig. 7 pipeline, {args.steps} steps x {args.repeats} (median), warm-up {args.warmup}, seed "
          f"{args.seed}; split in us per environment step")
    print(hdr)
    out_rows = []
    for r in rows:
        name = r["side"] if r["threads"] is None else f"{r['side']} {r['threads']}thr"
        sp = r["split_us"]
        ratio = sn / r["median_steps_per_s"]
        total = sum(sp.values())
        lo, hi = min(r["steps_per_s"]), max(r["steps_per_s"])
        print(f"{name:<16}{r['median_steps_per_s']:>9.0f}{f'{lo:.0f}-{hi:.0f}':>14}{ratio:>7.2f}"
              f"{sp['environment']:>7.0f}{sp['encoding']:>6.0f}{sp['network']:>6.0f}{sp['other']:>7.0f}"
              f"{total:>7.0f}{r['bare_env_us']:>9.0f}{r['load1_before']:>6.2f}/{r['load1_after']:.2f}")
        out_rows.append({
            "side": r["side"], "version": r["version"], "torch": r.get("torch", ""),
            "torch_threads": r["threads"] if r["threads"] is not None else "",
            "gymnasium": r["gymnasium"], "ale_py": r["ale_py"], "numpy": r["numpy"],
            "steps": r["steps"], "repeats": r["repeats"], "warmup": r["warmup"],
            "steps_per_s_median": round(r["median_steps_per_s"], 1),
            "steps_per_s_runs": " ".join(f"{v:.1f}" for v in r["steps_per_s"]),
            "snngen_ratio": round(ratio, 3),
            "env_us": round(sp["environment"], 1), "encoding_us": round(sp["encoding"], 1),
            "network_us": round(sp["network"], 1), "other_us": round(sp["other"], 1),
            "bare_env_us": round(r["bare_env_us"], 1),
            "build_s": round(r["build_s"], 3), "first_step_s": round(r["first_step_s"], 3),
            "output_active_fraction": round(r["z_active_fraction"], 4),
            "actions": " ".join(f"{k}:{v}" for k, v in r["actions"].items()),
            "random_overrides": r["random_overrides"], "episodes": r["episodes"],
            "load1_before": round(r["load1_before"], 2), "load1_after": round(r["load1_after"], 2),
        })
    for r in rows:
        name = r["side"] if r["threads"] is None else f"{r['side']} {r['threads']}thr"
        print(f"{name}: actions {r['actions']}, output layer active in {100 * r['z_active_fraction']:.1f} % of "
              f"steps, random overrides {r['random_overrides']}, episodes ended {r['episodes']}, build "
              f"{r['build_s']:.2f} s, first step {r['first_step_s']:.2f} s")
    best_bn = max(r["median_steps_per_s"] for r in rows[1:])
    bn_us = 1e6 / best_bn
    print(f"ratio snngen / best BindsNET: {sn / best_bn:.2f}x; ceiling with a free network and free everything "
          f"but the bare game: {bn_us / rows[0]['bare_env_us']:.2f}x")
    print(f"load average after: {os.getloadavg()}")
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    with open(args.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out_rows[0]))
        w.writeheader()
        w.writerows(out_rows)
    print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
