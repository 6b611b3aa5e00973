"""A plain-numpy transcription of BindsNET's network step (bindsnet-features.md sections 1, 2 and 4), written
from the equations, to test ``snngen.ml`` against: one sample (batch 1), float64.

Per step: every layer's input is the connections' output of the last step's spikes (plus bias and
external input); layers update in order (leak, input dropped while refractory, threshold, reset, traces);
then each connection's rule, weight decay and clipping; after the run, normalisation."""

from __future__ import annotations

import numpy as np

DEFAULTS = {
    "input": {},
    "mcp": dict(thresh=1.0),
    "if": dict(thresh=-52.0, reset=-65.0, refrac=5.0, lbound=-np.inf),
    "lif": dict(thresh=-52.0, rest=-65.0, reset=-65.0, refrac=5.0, tc_decay=100.0, lbound=-np.inf),
    "adaptive": dict(thresh=-52.0, rest=-65.0, reset=-65.0, refrac=5.0, tc_decay=100.0, lbound=-np.inf,
                     theta_plus=0.05, tc_theta_decay=1e7),
}


class Layer:
    def __init__(self, kind, n, traces=False, tc_trace=20.0, trace_scale=1.0, additive=False, learning=True,
                 **params):
        self.kind, self.n = kind, n
        self.p = dict(DEFAULTS[kind], **params)
        self.traces, self.tc_trace, self.trace_scale, self.additive = traces, tc_trace, trace_scale, additive
        self.learning = learning
        self.s = np.zeros(n, bool)
        self.x = np.zeros(n)
        self.theta = np.zeros(n)
        self.refrac_count = np.zeros(n)
        p = self.p
        self.v = np.full(n, p.get("rest", p.get("reset", 0.0))) if kind != "mcp" else np.zeros(n)
        self.summed = np.zeros(n)  # sum_input: LIFNodes sums its input after dropping it while refractory

    def step(self, inp, dt):
        p = self.p
        if self.kind == "input":
            self.s = inp != 0
        elif self.kind == "mcp":
            self.v = inp.copy()
            self.s = self.v >= p["thresh"]
        else:
            if self.kind in ("lif", "adaptive"):
                self.v = p["rest"] + (self.v - p["rest"]) * np.exp(-dt / p["tc_decay"])
            if self.kind == "adaptive" and self.learning:
                self.theta = self.theta * np.exp(-dt / p["tc_theta_decay"])
            masked = inp * (self.refrac_count <= 0)
            self.summed = self.summed + (masked if self.kind == "lif" else inp)
            inp = masked
            self.refrac_count = self.refrac_count - dt
            self.v = np.maximum(self.v + inp, p["lbound"])
            self.s = self.v >= p["thresh"] + self.theta
            self.refrac_count[self.s] = p["refrac"]
            self.v[self.s] = max(p["reset"], p["lbound"])
            if self.kind == "adaptive" and self.learning:
                self.theta = self.theta + p["theta_plus"] * self.s
        if self.traces:
            self.x = self.x * np.exp(-dt / self.tc_trace)
            if self.additive:
                self.x = self.x + self.trace_scale * self.s
            else:
                self.x[self.s] = self.trace_scale


class Conn:
    def __init__(self, src, tgt, w, rule=None, nu=(0.0, 0.0), wmin=-np.inf, wmax=np.inf, weight_decay=0.0,
                 norm=None, b=None, tc_plus=20.0, tc_minus=20.0, tc_e_trace=25.0, zero_lag=False, mask=None,
                 mean_field=False):
        self.src, self.tgt, self.w = src, tgt, np.clip(np.array(w, dtype=np.float64), wmin, wmax)
        self.rule, self.nu, self.wmin, self.wmax = rule, nu, wmin, wmax
        self.weight_decay, self.norm, self.b = weight_decay, norm, b
        self.mask = mask  # SparseConnection: the synapses that exist
        self.mean_field = mean_field  # MeanFieldConnection: w is (n_post,), the input mean(s_pre)*w
        # reward-modulated rules (Florian 2007): the rule's own traces and eligibilities
        self.tc_plus, self.tc_minus, self.tc_e_trace, self.zero_lag = tc_plus, tc_minus, tc_e_trace, zero_lag
        self.reset_rule()
        self.reward, self.a_plus, self.a_minus, self.dt = 0.0, 1.0, -1.0, 1.0

    def reset_rule(self):
        self.p_plus, self.p_minus = np.zeros(self.src.n), np.zeros(self.tgt.n)
        self.zeta = np.zeros((self.src.n, self.tgt.n))
        self.e_trace = np.zeros((self.src.n, self.tgt.n))

    def _reward_modulated(self):
        dt = self.dt
        s_pre, s_post = self.src.s.astype(float), self.tgt.s.astype(float)

        def change():
            if self.rule == "MSTDP":
                self.w = self.w + self.nu[0] * self.reward * self.zeta
            else:
                self.e_trace = self.e_trace * np.exp(-dt / self.tc_e_trace) + self.zeta / self.tc_e_trace
                self.w = self.w + self.nu[0] * dt * self.reward * self.e_trace

        if not self.zero_lag:
            change()
        self.p_plus = self.p_plus * np.exp(-dt / self.tc_plus) + self.a_plus * s_pre
        self.p_minus = self.p_minus * np.exp(-dt / self.tc_minus) + self.a_minus * s_post
        self.zeta = np.outer(self.p_plus, s_post) + np.outer(s_pre, self.p_minus)
        if self.zero_lag:
            change()

    def learn(self):
        if self.rule in ("MSTDP", "MSTDPET"):
            self._reward_modulated()
        s_pre, s_post = self.src.s.astype(float), self.tgt.s.astype(float)
        x_pre, x_post = self.src.x, self.tgt.x
        nu0, nu1 = self.nu
        w = self.w
        if self.rule == "PostPre":
            w = w - nu0 * np.outer(s_pre, x_post) + nu1 * np.outer(x_pre, s_post)
        elif self.rule == "Hebbian":
            w = w + nu0 * np.outer(s_pre, x_post) + nu1 * np.outer(x_pre, s_post)
        elif self.rule == "DiehlAndCook":  # Diehl & Cook (2015) eq. 3, x_tar 0.1, mu 1
            w = w + nu1 * np.outer(x_pre - 0.1, s_post) * (self.wmax - w)
        elif self.rule == "WeightDependentPostPre":
            w = w + (-nu0 * np.outer(s_pre, x_post) * (w - self.wmin) + nu1 * np.outer(x_pre, s_post) * (self.wmax - w))
        if self.weight_decay:
            w = w * (1 - self.weight_decay)
        if self.rule is not None:
            w = np.clip(w, self.wmin, self.wmax)
        if self.mask is not None:
            w = np.where(self.mask, w, 0.0)
        self.w = w

    def normalize(self):
        if self.norm is not None:
            total = np.abs(self.w).sum(axis=0, keepdims=True)
            total[total == 0] = 1.0
            self.w = self.w * (self.norm / total)


def _input(layer, conns):
    out = np.zeros(layer.n)
    for c in conns:
        if c.tgt is layer:
            out = out + (c.src.s.mean() * c.w if c.mean_field else c.src.s.astype(float) @ c.w)
            if c.b is not None:
                out = out + c.b
    return out


def run(layers, conns, inputs, steps, dt, learning=True, one_step=False):
    """Run ``steps``; ``inputs``: {layer index: (T, n)}; returns per-layer lists of (s, v, x, theta) per step.
    ``one_step``: each layer's input is computed just before its update, from the spikes the layers have
    then (this step's for the layers updated before it)."""
    for c in conns:
        c.dt = dt
    record = {k: {"s": [], "v": [], "x": [], "theta": []} for k in range(len(layers))}
    for t in range(steps):
        syn = [_input(layer, conns) for layer in layers]
        for k, layer in enumerate(layers):
            ext = inputs[k][t] if k in inputs else 0.0
            if one_step:
                syn[k] = _input(layer, conns)
            layer.step(syn[k] + ext, dt)
            for var in ("s", "v", "x", "theta"):
                record[k][var].append(np.array(getattr(layer, var), dtype=float))
        if learning:
            for c in conns:
                c.learn()
    for c in conns:
        c.normalize()
    return {k: {var: np.array(vals) for var, vals in d.items()} for k, d in record.items()}
