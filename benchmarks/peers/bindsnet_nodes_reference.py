"""Small deterministic BindsNET 0.3.4 reference runs of the node types of models/nodes/ beyond the six of
bindsnet_reference.py, saved for comparison with snngen.ml (tests/test_ml_nodes.py).

    ~/.cache/snngen-peers/bindsnet/bin/python benchmarks/peers/bindsnet_nodes_reference.py CASE OUT.npz [--dt 1.0]
                                                                                        [--seed 0] [--steps 100]
    ... bindsnet_nodes_reference.py all OUTDIR     (every case at dt 1.0 and 0.5 -> OUTDIR/nodes_CASE_dtX.npz)

Cases: boosted_lif (BoostedLIFNodes), current_lif (CurrentLIFNodes), subreset_if (SubtractiveResetIFNodes
of bindsnet.conversion), izhikevich (IzhikevichNodes with its a, b, c, d set from drawn r, as its
constructor does, and its hidden recurrent matrix S set to zero).  SRM0Nodes is stochastic and has no case.

Network: Input X (N_IN nodes, traces) -> layer Y (N_Y nodes, traces), one Connection X_Y without learning
(NoOp; w as given, not clipped).  Every run is T = --steps steps (network.run(time=T*dt)), so the inputs
are the same at every dt.  Inputs: numpy default_rng(seed): first the Bernoulli trains
(rng.random((T, 1, N_IN)) < p_in, uint8), then the weights ((rng.random((N_IN, N_Y)) - offset) * scale,
float32; izhikevich: rounded to multiples of 1/64), then (izhikevich) r = rng.random(N_Y).
torch.manual_seed(seed) (only IzhikevichNodes' constructor draws, and its draws are overwritten).
One thread.

Keys of OUT.npz (Y's state recorded by a Monitor at the end of every step):
  input.X     (T, 1, N_IN) uint8   the trains passed to run
  w0.X_Y      (N_IN, N_Y) float32  the weights as held by the Connection
  s.Y, v.Y    (T, 1, N_Y)          spikes (uint8), voltage (float32; izhikevich float64)
  x.Y         (T, 1, N_Y)          spike trace
  rc.Y        (T, 1, N_Y)          refractory counter (layers that have one)
  i.Y         (T, 1, N_Y)          current_lif: the synaptic current
  u.Y         (T, 1, N_Y)          izhikevich: the recovery variable
  a.Y b.Y c.Y d.Y (N_Y,)           izhikevich: the parameters used (float64)
  dtype                            the state's precision: float32, float64 for izhikevich (torch's default
                                   dtype; the Connection's s @ w stays float32, exact for its weights)
  dt, T, seed, case, notes, bindsnet_version, torch_version,
  params_json                      the case's layers and connection, in one JSON string
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
import torch  # noqa: E402
from bindsnet.conversion import SubtractiveResetIFNodes  # noqa: E402
from bindsnet.learning import NoOp  # noqa: E402
from bindsnet.network import Network  # noqa: E402
from bindsnet.network.monitors import Monitor  # noqa: E402
from bindsnet.network.nodes import BoostedLIFNodes, CurrentLIFNodes, Input, IzhikevichNodes  # noqa: E402
from bindsnet.network.topology import Connection  # noqa: E402

CASES = ["boosted_lif", "current_lif", "subreset_if", "izhikevich"]
N_IN, N_Y = 16, 8
N_EXC = 6  # izhikevich: the first N_EXC nodes get the excitatory parameter formulas, the rest inhibitory
TRACES = dict(traces=True, traces_additive=False, tc_trace=20.0, trace_scale=1.0, sum_input=False)
NODES = dict(BoostedLIFNodes=BoostedLIFNodes, CurrentLIFNodes=CurrentLIFNodes,
             SubtractiveResetIFNodes=SubtractiveResetIFNodes, IzhikevichNodes=IzhikevichNodes)


def case_spec(case: str) -> dict:
    """The Y layer's parameters, the weights' draw and the input rate of one case (pure data)."""
    dtype = "float32"
    if case == "boosted_lif":
        y = dict(kind="BoostedLIFNodes", thresh=13.0, refrac=5, tc_decay=100.0)
        conn = dict(scale=2.0, offset=0.0)
        notes = "BoostedLIFNodes: LIF with rest = reset = 0, no lbound."
    elif case == "current_lif":
        y = dict(kind="CurrentLIFNodes", thresh=-52.0, rest=-65.0, reset=-65.0, refrac=5, tc_decay=100.0,
                 tc_i_decay=2.0, lbound=-65.5)
        conn = dict(scale=1.5, offset=0.4)
        notes = ("CurrentLIFNodes: i decays, then the counter counts down, then i += input, then v += i where "
                 "the new counter <= 0. Mixed-sign weights so that lbound acts.")
    elif case == "subreset_if":
        y = dict(kind="SubtractiveResetIFNodes", thresh=4.0, reset=0.0, refrac=2.5, lbound=-0.5)
        conn = dict(scale=2.0, offset=0.3)
        notes = ("SubtractiveResetIFNodes: input where counter == 0; counter = (counter > 0)*(counter - dt); "
                 "v -= thresh at a spike. refrac 2.5 is not a multiple of dt = 1: the counter goes 2.5, 1.5, "
                 "0.5, -0.5 (input still blocked), -0.0.")
    elif case == "izhikevich":
        y = dict(kind="IzhikevichNodes", thresh=45.0, rest=-65.0, lbound=None)
        conn = dict(scale=4.0, offset=0.0, quantum=1 / 64)
        dtype = "float64"
        notes = (f"IzhikevichNodes: a, b, c, d from r = rng.random(N_Y) (nodes < {N_EXC}: excitatory formulas "
                 "a = 0.02, b = 0.2, c = -65 + 15r^2, d = 8 - 6r^2; the others inhibitory a = 0.02 + 0.08r, "
                 "b = 0.25 - 0.05r, c = -65, d = 2), set after construction, before add_layer (so u = b*rest); "
                 "S (the hidden recurrent matrix) set to 0. BindsNET resets v, u at the start of the next "
                 "step: v.Y and u.Y at a spike step are the values past the threshold. Run in float64 "
                 "(torch default dtype): the model's upswing amplifies float32 rounding past 1e-4 within a "
                 "few steps. The weights are multiples of 1/64, so that Connection's float32 s @ w is exact.")
    else:
        raise SystemExit(f"unknown case {case!r}; known: {' '.join(CASES)}")
    return dict(p_in=0.25, layers={"X": dict(kind="Input", n=N_IN, **TRACES), "Y": dict(y, n=N_Y, **TRACES)},
                conns={"X_Y": dict(conn, rule="NoOp")}, dtype=dtype, notes=notes)


def draw(spec: dict, seed: int, T: int) -> dict:
    rng = np.random.default_rng(seed)
    data = {"input.X": (rng.random((T, 1, N_IN)) < spec["p_in"]).astype(np.uint8)}
    c = spec["conns"]["X_Y"]
    w = (rng.random((N_IN, N_Y)) - c["offset"]) * c["scale"]
    if "quantum" in c:
        w = np.round(w / c["quantum"]) * c["quantum"]
    data["w0_drawn.X_Y"] = w.astype(np.float32)
    if spec["layers"]["Y"]["kind"] == "IzhikevichNodes":
        r = rng.random(N_Y)
        exc = np.arange(N_Y) < N_EXC
        data["a.Y"] = np.where(exc, 0.02, 0.02 + 0.08 * r)
        data["b.Y"] = np.where(exc, 0.2, 0.25 - 0.05 * r)
        data["c.Y"] = np.where(exc, -65.0 + 15 * r**2, -65.0)
        data["d.Y"] = np.where(exc, 8.0 - 6 * r**2, 2.0)
    return data


def simulate(spec: dict, data: dict, dt: float, T: int, seed: int) -> dict:
    torch.manual_seed(seed)
    float64 = spec["dtype"] == "float64"
    torch.set_default_dtype(torch.float64 if float64 else torch.float32)
    net = Network(dt=dt, batch_size=1, learning=True, reward_fn=None)
    x = Input(**{k: v for k, v in spec["layers"]["X"].items() if k != "kind"})
    p = dict(spec["layers"]["Y"])
    y = NODES[p.pop("kind")](**p)
    if isinstance(y, IzhikevichNodes):
        for name in "abcd":
            setattr(y, name, torch.from_numpy(data[f"{name}.Y"].copy()))
        y.S = torch.zeros(N_Y, N_Y)
    net.add_layer(x, name="X")
    net.add_layer(y, name="Y")
    w = torch.from_numpy(data["w0_drawn.X_Y"].copy())
    conn = Connection(source=x, target=y, w=w, update_rule=NoOp, w_dtype=torch.float32)
    net.add_connection(conn, source="X", target="Y")
    variables = [v for v in ("s", "v", "x", "refrac_count", "i", "u")
                 if isinstance(getattr(y, v, None), torch.Tensor) and getattr(y, v).numel()]
    mon = Monitor(y, state_vars=variables, time=None)
    net.add_monitor(mon, name="m_Y")
    out = {"w0.X_Y": conn.w.detach().numpy().copy()}
    net.run(inputs={"X": torch.from_numpy(data["input.X"].copy())}, time=T * dt, one_step=False)
    for v in variables:
        arr = mon.get(v).numpy()
        key = "rc" if v == "refrac_count" else v
        out[f"{key}.Y"] = arr.astype(np.uint8) if v == "s" else arr
    torch.set_default_dtype(torch.float32)
    return out


def run_case(case: str, path: Path, dt: float, seed: int, T: int) -> str:
    spec = case_spec(case)
    data = draw(spec, seed, T)
    res = simulate(spec, data, dt, T, seed)
    out = {k: v for k, v in data.items() if not k.startswith("w0_drawn.")}
    out.update(res)
    from importlib.metadata import version

    out.update(dt=dt, T=T, seed=seed, case=case, dtype=spec["dtype"], notes=spec["notes"],
               bindsnet_version=version("bindsnet"), torch_version=torch.__version__,
               params_json=json.dumps(dict(spec, dt=dt, T=T, seed=seed), default=str))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in out.items()})
    line = f"{case} dt={dt}: {int(res['s.Y'].sum())} spikes of Y (T={T})"
    print(line, flush=True)
    return line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("case", help="a case name or 'all'")
    ap.add_argument("out", help="OUT.npz, or a directory for 'all'")
    ap.add_argument("--dt", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=100)
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.case == "all":
        for case in CASES:
            for dt in (1.0, 0.5):
                run_case(case, Path(a.out) / f"nodes_{case}_dt{dt:g}.npz", dt, a.seed, a.steps)
    else:
        run_case(a.case, Path(a.out), a.dt, a.seed, a.steps)


if __name__ == "__main__":
    sys.exit(main())
