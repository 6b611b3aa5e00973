"""Small deterministic BindsNET 0.3.4 reference runs, saved for bit-level comparison.

    ~/.cache/snngen-peers/bindsnet/bin/python benchmarks/peers/bindsnet_reference.py CASE OUT.npz [--dt 1.0]
                                                                                   [--seed 0] [--steps 100]
    ... bindsnet_reference.py all OUTDIR          (every case at dt 1.0 and 0.5 -> OUTDIR/CASE_dtX.npz)

Cases: lif_postpre lif_nolearn adaptive_postpre dc_one_spike hebbian wdpostpre mstdpet mstdp
if_nodes mcp two_layer_recurrent.

Every run is T = --steps time steps (network.run(time=T*dt)), so the input arrays are the same
at every dt.  Inputs: numpy default_rng(seed); first the Bernoulli input trains
(rng.random((T, 1, n_in)) < p_in, uint8), then each connection's weights in the order the
connections are listed in `param.connections` (rng.random((n_pre, n_post)) * scale, float32; the
recurrent one negated with a zero diagonal; dc_one_spike's column j times 1 - col_spread*j/(n-1)),
then biases.  torch.manual_seed(seed) (only
DiehlAndCookNodes' one_spike draw uses torch's RNG).  One thread.

Keys of OUT.npz (layer names X = input, Y = first target, Z = second target; connection C = "A_B"):
  input.X        (T, 1, n) uint8   the trains passed to run
  s.L, v.L       (T, 1, n)         monitor of spikes (uint8) / voltage (float32), every step
  x.L            (T, 1, n)         spike trace, for layers with traces=True
  rc.L           (T, 1, n)         refractory counter (layers that have one)
  theta.L        (T, n)            adaptive threshold (not batched in BindsNET)
  crossed.L      (T, 1, n) uint8   DiehlAndCookNodes only: neurons that crossed threshold this step
                                   (refrac_count == refrac after the step), before one_spike's pick
  w0.C, w.C      (n_pre, n_post)   float32 weights as held by the Connection at start / after the run
  w_hist.C       (T, n_pre, n_post) weights after each step's learning update
  b.C            (n_post,)         bias, where the case has one
  dt, T, seed, case, bindsnet_version, torch_version, notes, param.<obj>.<name> (scalars / strings),
  params_json    (everything in one JSON string)
Monitors record at the end of each step: after every layer's update (spike, reset, refractory,
theta, trace) and after every connection's learning update.
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
from bindsnet.learning import MSTDP, MSTDPET, Hebbian, NoOp, PostPre, WeightDependentPostPre  # noqa: E402
from bindsnet.network import Network  # noqa: E402
from bindsnet.network.monitors import Monitor  # noqa: E402
from bindsnet.network.nodes import (  # noqa: E402
    AdaptiveLIFNodes,
    DiehlAndCookNodes,
    IFNodes,
    Input,
    LIFNodes,
    McCullochPitts,
)
from bindsnet.network.topology import Connection  # noqa: E402

CASES = ["lif_postpre", "lif_nolearn", "adaptive_postpre", "dc_one_spike", "hebbian", "wdpostpre",
         "mstdpet", "mstdp", "if_nodes", "mcp", "two_layer_recurrent"]

N_IN, N_Y, N_Z = 20, 10, 5

LIF = dict(thresh=-52.0, rest=-65.0, reset=-65.0, refrac=5, tc_decay=100.0, lbound=None)
TRACES = dict(traces=True, traces_additive=False, tc_trace=20.0, trace_scale=1.0, sum_input=False)


def case_spec(case: str) -> dict:
    """Layers, connections and run kwargs for one case (pure data; every option explicit)."""
    inp = dict(kind="Input", n=N_IN, **TRACES)
    lif_y = dict(kind="LIFNodes", n=N_Y, **TRACES, **LIF)
    stdp = dict(rule="PostPre", nu=(1e-2, 5e-2), reduction="sum", weight_decay=0.0, wmin=0.0, wmax=1.0,
                norm=None, scale=0.8)
    spec = dict(p_in=0.25, layers={"X": inp, "Y": lif_y}, conns={"X_Y": stdp}, run_kwargs={}, notes="")
    if case == "lif_postpre":
        pass
    elif case == "lif_nolearn":
        spec["conns"]["X_Y"] = dict(stdp, rule="NoOp", nu=None, bias=(0.0, 0.5))
        spec["notes"] = ("Connection supports a bias b (shape n_post): compute() returns s @ w + b, so b is "
                         "added every step whether or not any source spiked. NoOp does not clip w.")
    elif case == "adaptive_postpre":
        spec["layers"]["Y"] = dict(kind="AdaptiveLIFNodes", n=N_Y, **TRACES, **LIF, theta_plus=0.5,
                                   tc_theta_decay=100.0)
    elif case == "dc_one_spike":
        spec["p_in"] = 0.2
        spec["layers"]["Y"] = dict(kind="DiehlAndCookNodes", n=N_Y, **TRACES, thresh=-52.0, rest=-65.0,
                                   reset=-60.0, refrac=5, tc_decay=100.0, theta_plus=0.05,
                                   tc_theta_decay=1e7, lbound=None, one_spike=True)
        # Per-target weight factor 1 - 0.8 j / (n - 1) spreads the neurons' drive so that they do not
        # all reach threshold together from the common start at rest.
        spec["conns"]["X_Y"] = dict(stdp, scale=0.3, col_spread=0.8)
        spec["notes"] = ("one_spike picks one crossing neuron per step at random (torch.multinomial, "
                         "uniform over crossers); all crossers are reset, made refractory and get theta; "
                         "only the picked one is in s and the trace. Exact comparison holds only up to "
                         "the first step with several crossers (see multi_cross_steps).")
    elif case == "hebbian":
        spec["conns"]["X_Y"] = dict(stdp, rule="Hebbian", nu=(1e-3, 2e-3))
    elif case == "wdpostpre":
        spec["conns"]["X_Y"] = dict(stdp, rule="WeightDependentPostPre")
    elif case in ("mstdpet", "mstdp"):
        c = dict(stdp, rule="MSTDPET" if case == "mstdpet" else "MSTDP", tc_plus=20.0, tc_minus=20.0,
                 zero_lag=False)
        if case == "mstdpet":
            c["tc_e_trace"] = 25.0
        spec["conns"]["X_Y"] = c
        spec["run_kwargs"] = dict(reward=1.0, a_plus=1.0, a_minus=-1.0)
        spec["notes"] = ("MSTDP/MSTDPET use nu[0] only; a_plus/a_minus passed to run explicitly (= their "
                         "defaults 1, -1). Their P+/P-/eligibility are rule-internal, not the node traces.")
    elif case == "if_nodes":
        spec["layers"]["Y"] = dict(kind="IFNodes", n=N_Y, **TRACES, thresh=-52.0, reset=-65.0, refrac=5,
                                   lbound=None)
        spec["conns"]["X_Y"] = dict(stdp, rule="NoOp", nu=None)
    elif case == "mcp":
        spec["layers"]["Y"] = dict(kind="McCullochPitts", n=N_Y, **TRACES, thresh=2.5)
        spec["conns"]["X_Y"] = dict(stdp, rule="NoOp", nu=None)
    elif case == "two_layer_recurrent":
        spec["layers"]["Z"] = dict(kind="LIFNodes", n=N_Z, **TRACES, **LIF)
        nolearn = dict(stdp, rule="NoOp", nu=None)
        spec["conns"] = {
            "X_Y": dict(nolearn, scale=1.0),
            "Y_Z": dict(nolearn, wmax=20.0, scale=12.0),
            "Y_Y": dict(nolearn, wmin=-20.0, wmax=0.0, scale=4.0, negate=True, zero_diag=True),
        }
        spec["notes"] = ("No learning. Every connection (input ones too) delivers at step t the source "
                         "spikes of step t-1: Network.run computes all layer inputs from the previous "
                         "step's spikes before updating any layer. order_invariant: same run with the "
                         "layers added in reverse order gave identical s and v.")
    else:
        raise SystemExit(f"unknown case {case!r}; known: {' '.join(CASES)}")
    return spec


RULES = dict(PostPre=PostPre, NoOp=NoOp, Hebbian=Hebbian, WeightDependentPostPre=WeightDependentPostPre,
             MSTDP=MSTDP, MSTDPET=MSTDPET)
NODES = dict(Input=Input, LIFNodes=LIFNodes, AdaptiveLIFNodes=AdaptiveLIFNodes,
             DiehlAndCookNodes=DiehlAndCookNodes, IFNodes=IFNodes, McCullochPitts=McCullochPitts)
CONN_KEYS = ("nu", "weight_decay", "wmin", "wmax", "norm", "tc_plus", "tc_minus", "tc_e_trace", "zero_lag")


def draw(spec: dict, seed: int, T: int) -> dict:
    rng = np.random.default_rng(seed)
    data = {"input.X": (rng.random((T, 1, N_IN)) < spec["p_in"]).astype(np.uint8)}
    sizes = {k: v["n"] for k, v in spec["layers"].items()}
    for name, c in spec["conns"].items():
        a, b = name.split("_")
        w = (rng.random((sizes[a], sizes[b])) * c["scale"]).astype(np.float32)
        if c.get("negate"):
            w = -w
        if c.get("col_spread"):
            w *= (1.0 - c["col_spread"] * np.linspace(0.0, 1.0, sizes[b])).astype(np.float32)
        if c.get("zero_diag"):
            np.fill_diagonal(w, 0.0)
        data["w0_drawn." + name] = w
    for name, c in spec["conns"].items():
        if "bias" in c:
            lo, hi = c["bias"]
            data["b." + name] = rng.uniform(lo, hi, sizes[name.split("_")[1]]).astype(np.float32)
    return data


def simulate(spec: dict, data: dict, dt: float, T: int, seed: int, layer_order=None) -> dict:
    torch.manual_seed(seed)
    net = Network(dt=dt, batch_size=1, learning=True, reward_fn=None)
    layers = {}
    for name in layer_order or list(spec["layers"]):
        p = dict(spec["layers"][name])
        kind = p.pop("kind")
        layers[name] = NODES[kind](**p)
        net.add_layer(layers[name], name=name)
    conns = {}
    for name, c in spec["conns"].items():  # after add_layer, so batch_size is set when the rule is built
        a, b = name.split("_")
        kw = {k: c[k] for k in CONN_KEYS if k in c}
        kw["reduction"] = torch.sum if c["reduction"] == "sum" else None
        if "b." + name in data:
            kw["b"] = torch.from_numpy(data["b." + name].copy())
        w = torch.from_numpy(data["w0_drawn." + name].copy())
        conns[name] = Connection(source=layers[a], target=layers[b], w=w, update_rule=RULES[c["rule"]],
                                 w_dtype=torch.float32, **kw)
        net.add_connection(conns[name], source=a, target=b)
    out = {}
    for name, c in conns.items():
        out["w0." + name] = c.w.detach().numpy().copy()
    mons = {}
    for name, layer in layers.items():
        vars_ = ["s"]
        for v in ("v", "x", "refrac_count", "theta"):
            if hasattr(layer, v) and isinstance(getattr(layer, v), torch.Tensor) and getattr(layer, v).numel():
                vars_.append(v)
        mons[name] = Monitor(layer, state_vars=vars_, time=None)
        net.add_monitor(mons[name], name="m_" + name)
    for name, c in conns.items():
        mons[name] = Monitor(c, state_vars=["w"], time=None)
        net.add_monitor(mons[name], name="m_" + name)
    inputs = {"X": torch.from_numpy(data["input.X"].copy())}
    net.run(inputs=inputs, time=T * dt, one_step=False, **spec["run_kwargs"])
    for name, layer in layers.items():
        m = mons[name]
        for v in m.state_vars:
            arr = m.get(v).numpy()
            key = {"refrac_count": "rc"}.get(v, v)
            if v == "s":
                arr = arr.astype(np.uint8)
            out[f"{key}.{name}"] = arr
        if isinstance(layer, DiehlAndCookNodes):
            out["crossed." + name] = (out["rc." + name] == float(layer.refrac)).astype(np.uint8)
    for name, c in conns.items():
        out["w_hist." + name] = mons[name].get("w").numpy()
        out["w." + name] = c.w.detach().numpy().copy()
    return out


def flat_params(spec: dict) -> dict:
    out = {"param.p_in": spec["p_in"]}
    for name, p in spec["layers"].items():
        for k, v in p.items():
            out[f"param.{name}.{k}"] = "None" if v is None else v
    for name, c in spec["conns"].items():
        for k, v in c.items():
            if isinstance(v, (tuple, list)):
                for i, vi in enumerate(v):
                    out[f"param.{name}.{k}{i}"] = vi
            else:
                out[f"param.{name}.{k}"] = "None" if v is None else v
    for k, v in spec["run_kwargs"].items():
        out[f"param.run.{k}"] = v
    out["param.connections"] = " ".join(spec["conns"])
    out["param.layers"] = " ".join(spec["layers"])
    return out


def run_case(case: str, path: Path, dt: float, seed: int, T: int) -> str:
    spec = case_spec(case)
    data = draw(spec, seed, T)
    res = simulate(spec, data, dt, T, seed)
    out = {"input.X": data["input.X"]}
    out.update({k: v for k, v in data.items() if k.startswith("b.")})
    out.update(res)
    extra = []
    if case == "dc_one_spike":
        crossed = res["crossed.Y"].sum(axis=(1, 2))
        multi = np.nonzero(crossed > 1)[0]
        out["n_crossed_per_step"] = crossed.astype(np.int32)
        out["multi_cross_steps"] = multi.astype(np.int32)
        out["first_multi_cross_step"] = int(multi[0]) if len(multi) else -1
        extra.append(f"steps with >1 crosser: {len(multi)} (first {out['first_multi_cross_step']}), "
                     f"crossings {int(crossed.sum())} vs spikes {int(res['s.Y'].sum())}")
    if case == "two_layer_recurrent":
        rev = simulate(spec, data, dt, T, seed, layer_order=list(reversed(spec["layers"])))
        same = all(np.array_equal(res[k], rev[k]) for k in res if k.startswith(("s.", "v.")))
        out["order_invariant"] = same
        extra.append(f"reverse layer order identical: {same}")
    from importlib.metadata import version

    params = flat_params(spec)
    out.update(params)
    out.update(dt=dt, T=T, seed=seed, case=case, notes=spec["notes"], bindsnet_version=version("bindsnet"),
               torch_version=torch.__version__,
               params_json=json.dumps(dict(spec, dt=dt, T=T, seed=seed), default=str))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in out.items()})
    counts = " ".join(f"{k[2:]}={int(v.sum())}" for k, v in res.items() if k.startswith("s."))
    dw = " ".join(f"|dw.{k[2:]}|={np.abs(res[k] - res['w0.' + k[2:]]).sum():.4g}" for k in res if k.startswith("w."))
    line = f"{case} dt={dt}: spikes {counts} (T={T}); {dw}" + ("; " + "; ".join(extra) if extra else "")
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
                run_case(case, Path(a.out) / f"{case}_dt{dt:g}.npz", dt, a.seed, a.steps)
    else:
        run_case(a.case, Path(a.out), a.dt, a.seed, a.steps)


if __name__ == "__main__":
    sys.exit(main())
