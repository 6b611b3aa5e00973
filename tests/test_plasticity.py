"""The prebuilt plasticity rules (``models/STDP_*.toml``) against their papers.

* Pair rules (Song, Miller & Abbott 2000; van Rossum, Bi & Turrigiano 2000; nearest-spike): the STDP
  window measured with a pairing protocol equals the analytic curve to 1e-9 relative: the traces are
  event-driven, integrated exactly between spikes, so nothing but rounding separates the two.
* Song et al. (2000): 1000 Poisson inputs onto one conductance-based integrate-and-fire neuron; additive
  STDP drives the weights to a bimodal distribution and the output rate down to a low, steady value.
* Pfister & Gerstner (2006): the minimal triplet rule reproduces the frequency dependence of the
  Sjostrom et al. (2001) pairing protocol, as a plain-numpy transcription of the rule computes it, and
  lies within the experimental error bars.
"""

import math
import re

import numpy as np
import pytest

import snngen as sg
from snngen import models
from snngen.equations import Equations
from snngen.equations.parser import parse_statements
from snngen.units import Hz, ms, mV, nS, second

DT = 0.1 * ms
DT_S = 1e-4  # the same, in seconds
SYNAPSE_MODELS = {"STDP_additive", "STDP_multiplicative", "STDP_nearest", "STDP_triplet"}
T0 = 100.0  # ms: the first spike of every pairing protocol


def ns_float(S, name):
    return float(np.asarray(S.namespace[name]))


def run_protocol(model, pre_times, post_times, w0, duration=None, **overrides):
    """One synapse per protocol: ``pre_times[k]``, ``post_times[k]`` (ms) are the spikes of synapse k.

    Returns (final weights, the Synapses)."""
    n = len(pre_times)
    pre_i = np.concatenate([np.full(len(t), k) for k, t in enumerate(pre_times)])
    post_i = np.concatenate([np.full(len(t), k) for k, t in enumerate(post_times)])
    pre_t = np.concatenate([np.asarray(t, dtype=float) for t in pre_times])
    post_t = np.concatenate([np.asarray(t, dtype=float) for t in post_times])
    pre = sg.SpikeGeneratorGroup(n, pre_i, pre_t * ms)
    post = sg.SpikeGeneratorGroup(n, post_i, post_t * ms)
    S = models.make_synapses(model, pre, post, connect={"j": "i"}, **overrides)
    S.w = w0
    end = max(pre_t.max(), post_t.max()) + 1.0 if duration is None else duration
    sg.Network(pre, post, S, dt=DT).run(end * ms)
    return S.w_.copy(), S


def pairing(model, deltas, w0=0.5, **overrides):
    """Weight change of independent synapses after one pre spike at T0 and one post spike at T0 + delta."""
    w, S = run_protocol(model, [[T0]] * len(deltas), [[T0 + d] for d in deltas], w0, **overrides)
    return w - w0, S


DELTAS = np.array([-60.0, -40.0, -20.0, -10.0, -5.0, -0.3, 0.0, 0.1, 0.4, 3.0, 10.0, 17.5, 20.0, 40.0, 60.0])


# -- the model files -------------------------------------------------------------------------------


def test_synapse_models_are_listed_by_kind():
    assert set(models.list_models("synapse")) == SYNAPSE_MODELS
    neurons = set(models.list_models("neuron"))
    assert {"LIF", "HH"} <= neurons and not neurons & SYNAPSE_MODELS
    assert set(models.list_models()) == neurons | SYNAPSE_MODELS
    with pytest.raises(sg.ModelError, match="Did you mean 'synapse'"):
        models.list_models("synapses")


@pytest.mark.parametrize("name", sorted(SYNAPSE_MODELS))
def test_synapse_model_file_loads_parses_and_cites_its_paper(name):
    spec = models.get(name)
    assert spec.kind == "synapse" and spec.name == name and spec.title
    assert re.search(r"\b(19|20)\d\d\b", spec.reference) and "eq" in spec.reference
    eqs = Equations(spec.model)
    assert "w" in eqs and all("event-driven" in eqs[v].flags for v in eqs.state_names if v != "w")
    for code in (spec.on_pre, spec.on_post):
        parse_statements(code.replace("{drive}", "g_post"))
    # every parameter is used, so no default is silently dead; the weight is clipped to [0, w_max]
    used = set(re.findall(r"[A-Za-z_]\w*", " ".join([spec.model, spec.on_pre, spec.on_post])))
    assert set(spec.parameters) <= used
    assert "{drive} += w*w_scale" in spec.on_pre
    assert spec.on_pre.count("clip(w") + spec.on_post.count("clip(w") == 2
    assert name in str(spec) and "on_pre" in str(spec)


def test_make_and_make_synapses_refuse_the_other_kind():
    G = sg.NeuronGroup(2, "g : 1")
    with pytest.raises(sg.ModelError, match="synapse model.*make_synapses"):
        models.make("STDP_additive", 10)
    with pytest.raises(sg.ModelError, match="neuron model"):
        models.make_synapses("LIF", G, G)


def test_drive_statement_is_bound_to_the_target_variable_and_scaled():
    src = sg.SpikeGeneratorGroup(2, [0, 1, 0], [1.0, 2.0, 3.0] * ms)
    tgt = sg.NeuronGroup(1, "g : 1\nI : amp")
    S1 = models.STDP_additive(src, tgt, drive="g_post", w_scale=0.5, connect=True)
    S1.w = [0.3, 0.1]
    S2 = models.make_synapses("STDP_nearest", src, tgt, drive="I", w_scale=2 * nS * mV, connect=True)  # unsuffixed
    S2.w = [1.0, 0.0]
    S3 = models.STDP_triplet(src, tgt, connect=True)  # drive=None: plasticity only
    S3.w = 1.0
    assert S1.model_spec is models.get("STDP_additive") and S1.N == 2
    assert {t for t, _, _ in S3.on_pre} == {"w", "r1", "r2"}
    sg.Network(src, tgt, S1, S2, S3, dt=DT).run(5 * ms)
    # the pre spikes at 1 and 3 ms (source 0) and 2 ms (source 1) add w*w_scale with the weight before its update
    assert np.isclose(tgt.g_[0], 0.5 * (0.3 + 0.1 + 0.3), rtol=1e-12)
    assert np.isclose(tgt.I_[0], 2 * 2e-12, rtol=1e-12)
    np.testing.assert_array_equal(S3.w_, [1.0, 1.0])  # no post spikes: no change


def test_overrides_are_checked_names_units_and_the_weight_scale():
    src = sg.SpikeGeneratorGroup(1, [0], [1.0] * ms)
    tgt = sg.NeuronGroup(1, "dv/dt = -v/(10*ms) : volt\ng : 1")
    with pytest.raises(sg.ModelError, match="Did you mean 'A_plus'"):
        models.STDP_additive(src, tgt, A_plsu=0.01)
    with pytest.raises(sg.ModelError, match="variable of the model"):
        models.STDP_additive(src, tgt, apre=0.1)
    with pytest.raises(sg.UnitError, match="tau_plus") as info:
        models.STDP_additive(src, tgt, tau_plus=20 * mV)
    assert "second" in str(info.value) or "s" in str(info.value)
    with pytest.raises(sg.UnitError, match="w_scale.*'v_post'"):
        models.STDP_additive(src, tgt, drive="v_post", w_scale=0.5)  # a voltage needs w_scale in volts
    with pytest.raises(sg.UnitError, match="pass w_scale"):
        models.STDP_additive(src, tgt, drive="v_post")  # the dimensionless default cannot drive a voltage
    with pytest.raises(sg.ModelError, match="Did you mean 'g_post'"):
        models.STDP_additive(src, tgt, drive="gg_post", w_scale=0.5)
    with pytest.raises(sg.ModelError, match="no drive was given"):
        models.STDP_additive(src, tgt, w_scale=0.5)
    with pytest.raises(sg.ModelError, match="no preset"):
        models.STDP_triplet(src, tgt, preset="full")
    S = models.STDP_additive(src, tgt, drive="v_post", w_scale="0.5*mV", tau_plus="10*ms", A_plus=0.01)
    assert np.isclose(ns_float(S, "w_scale"), 0.5e-3) and np.isclose(ns_float(S, "tau_plus"), 0.01)


# -- pair rules: the window, exactly ---------------------------------------------------------------


def test_additive_window_is_song_miller_abbott_eq_1():
    a_plus = np.linspace(0.004, 0.006, len(DELTAS))  # one amplitude per synapse: per-synapse overrides work
    dw, S = pairing("STDP_additive", DELTAS, A_plus=a_plus, tau_minus=30 * ms)
    a_minus, tp, tm = ns_float(S, "A_minus"), 20.0, 30.0
    # dt = t_post - t_pre; a simultaneous pair potentiates (on_pre runs before on_post within a step)
    expected = np.where(DELTAS >= 0, a_plus * np.exp(-DELTAS / tp), -a_minus * np.exp(DELTAS / tm))
    np.testing.assert_allclose(dw, expected, rtol=1e-9, atol=0)


def test_nearest_spike_window_for_isolated_pairs_is_the_additive_one():
    dw, S = pairing("STDP_nearest", DELTAS)
    a_plus, a_minus = ns_float(S, "A_plus"), ns_float(S, "A_minus")
    expected = np.where(DELTAS >= 0, a_plus * np.exp(-DELTAS / 20.0), -a_minus * np.exp(DELTAS / 20.0))
    np.testing.assert_allclose(dw, expected, rtol=1e-9, atol=0)


def test_multiplicative_window_potentiation_is_additive_and_depression_scales_with_w():
    w0 = np.array([0.1, 0.25, 0.5, 0.9])
    deltas = np.repeat(DELTAS, len(w0))
    w0s = np.tile(w0, len(DELTAS))
    dw, S = pairing("STDP_multiplicative", deltas, w0=w0s)
    a_plus, a_minus = ns_float(S, "A_plus"), ns_float(S, "A_minus")
    # van Rossum et al. (2000) eq. 1: +c_p exp(-dt/tau) for dt >= 0, -c_d w exp(dt/tau) for dt < 0
    expected = np.where(deltas >= 0, a_plus * np.exp(-deltas / 20.0), -a_minus * w0s * np.exp(deltas / 20.0))
    np.testing.assert_allclose(dw, expected, rtol=1e-9, atol=0)
    dw = dw.reshape(len(DELTAS), len(w0))
    depression = dw[DELTAS < 0]
    ratio = depression / w0
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, :1], ratio.shape), rtol=1e-9)  # proportional to w
    potentiation = dw[DELTAS >= 0]
    np.testing.assert_allclose(potentiation, np.broadcast_to(potentiation[:, :1], potentiation.shape),
                               rtol=1e-9)  # independent of w


def test_nearest_spike_and_all_to_all_differ_for_triplets_exactly_as_the_formulas_say():
    # (pre spikes, post spikes) in ms after T0; d1 = 10 ms, d2 = 7 ms
    protocols = {
        "pre-pre-post": ([0.0, 10.0], [17.0]),
        "post-post-pre": ([17.0], [0.0, 10.0]),
        "pre-post-post": ([0.0], [10.0, 17.0]),
        "post-pre-post": ([10.0], [0.0, 17.0]),
    }
    pre = [[T0 + t for t in p] for p, _ in protocols.values()]
    post = [[T0 + t for t in q] for _, q in protocols.values()]
    w_all, S = run_protocol("STDP_additive", pre, post, 0.5)
    w_near, _ = run_protocol("STDP_nearest", pre, post, 0.5)
    ap, am = ns_float(S, "A_plus"), ns_float(S, "A_minus")
    P = lambda d: ap * math.exp(-d / 20.0)  # noqa: E731  potentiation by a pair post - pre = d > 0
    D = lambda d: -am * math.exp(-d / 20.0)  # noqa: E731  depression by a pair pre - post = d > 0
    all_to_all = {"pre-pre-post": P(17) + P(7), "post-post-pre": D(17) + D(7),
                  "pre-post-post": P(10) + P(17), "post-pre-post": D(10) + P(7)}
    nearest = {"pre-pre-post": P(7), "post-post-pre": D(7),  # only the latest spike of the other neuron counts
               "pre-post-post": P(10) + P(17), "post-pre-post": D(10) + P(7)}
    np.testing.assert_allclose(w_all - 0.5, list(all_to_all.values()), rtol=1e-9, atol=0)
    np.testing.assert_allclose(w_near - 0.5, list(nearest.values()), rtol=1e-9, atol=0)
    assert abs(w_all[0] - w_near[0]) > 0.3 * ap  # the rules really differ where the formulas say


def test_weights_are_clipped_to_zero_and_w_max():
    dw, _ = pairing("STDP_additive", np.array([-1.0, 1.0]), w0=np.array([0.002, 0.998]))
    np.testing.assert_allclose(dw + [0.002, 0.998], [0.0, 1.0], rtol=0, atol=1e-15)


# -- triplet rule: closed forms and the Sjostrom et al. (2001) frequency protocol ---------------------


def test_triplet_rule_closed_forms_pairs_and_triplets():
    # every amplitude non-zero, so each term of Pfister & Gerstner's eqs. 3-4 is exercised
    p = dict(A2_plus=5e-3, A3_plus=6.5e-3, A2_minus=7.1e-3, A3_minus=2.3e-3)
    pre = [[T0], [T0 + 10.0], [T0], [T0 + 10.0, T0 + 25.0]]
    post = [[T0 + 10.0], [T0], [T0 + 10.0, T0 + 25.0], [T0]]
    w, S = run_protocol("STDP_triplet", pre, post, 1.0, w_max=2, **p)
    tp, tm, tx, ty = (ns_float(S, k) * 1e3 for k in ("tau_plus", "tau_minus", "tau_x", "tau_y"))
    expected = [
        p["A2_plus"] * math.exp(-10 / tp),  # pre-post: pair potentiation only (o2 is still 0)
        -p["A2_minus"] * math.exp(-10 / tm),  # post-pre: pair depression only (r2 is still 0)
        # pre-post-post: the second post sees r1 = exp(-25/tau+) and o2(t - eps) = exp(-15/tau_y)
        p["A2_plus"] * math.exp(-10 / tp) + math.exp(-25 / tp) * (p["A2_plus"] + p["A3_plus"] * math.exp(-15 / ty)),
        # post-pre-pre: the second pre sees o1 = exp(-25/tau-) and r2(t - eps) = exp(-15/tau_x)
        -p["A2_minus"] * math.exp(-10 / tm)
        - math.exp(-25 / tm) * (p["A2_minus"] + p["A3_minus"] * math.exp(-15 / tx)),
    ]
    np.testing.assert_allclose(w - 1.0, expected, rtol=1e-9, atol=0)


# Sjostrom, Turrigiano & Nelson (2001) Neuron 32:1149, Fig. 1D / 7 (the data of Pfister & Gerstner 2006,
# Fig. 6): relative weight change after 60 pairings at frequency f with dt = +10 ms and -10 ms,
# mean and SEM; values as tabulated in VH-Lab/vhlab-toolbox-matlab, vlt.neuro.stdp.sjostrom_freq_stdp.
SJOSTROM = {  # f (Hz): (dw at +10 ms, SEM, dw at -10 ms, SEM)
    0.1: (-0.04, 0.05, -0.29, 0.08),
    10.0: (0.14, 0.10, -0.41, 0.11),
    20.0: (0.29, 0.14, -0.34, 0.10),
    40.0: (0.53, 0.11, 0.56, 0.32),
    50.0: (0.56, 0.26, 0.75, 0.19),
}
N_PAIRINGS = 60


def triplet_numpy(pre, post, A2p, A3p, A2m, A3m, tp, tx, tm, ty):
    """Pfister & Gerstner (2006) eqs. 1-4, all-to-all, spike by spike (times in ms); returns the change of w."""
    events = sorted([(t, 0) for t in pre] + [(t, 1) for t in post])  # a pre spike before a simultaneous post
    r1 = r2 = o1 = o2 = 0.0
    last, dw = 0.0, 0.0
    for t, kind in events:
        gap, last = t - last, t
        r1, r2 = r1 * math.exp(-gap / tp), r2 * math.exp(-gap / tx)
        o1, o2 = o1 * math.exp(-gap / tm), o2 * math.exp(-gap / ty)
        if kind == 0:
            dw -= o1 * (A2m + A3m * r2)
            r1, r2 = r1 + 1, r2 + 1
        else:
            dw += r1 * (A2p + A3p * o2)
            o1, o2 = o1 + 1, o2 + 1
    return dw


def sjostrom_protocol():
    """(frequency, dt, pre times, post times) for the 10 conditions; spikes in ms from 20 ms on."""
    out = []
    for f in SJOSTROM:
        for delta in (10.0, -10.0):
            pre = 20.0 + np.arange(N_PAIRINGS) * 1000.0 / f
            out.append((f, delta, pre, pre + delta))
    return out


@pytest.fixture(scope="module")
def sjostrom_run():
    protocol = sjostrom_protocol()
    w, S = run_protocol("STDP_triplet", [p[2] for p in protocol], [p[3] for p in protocol], 1.0, w_max=10)
    return protocol, w - 1.0, S


def test_triplet_frequency_protocol_matches_a_numpy_transcription_of_the_paper(sjostrom_run):
    protocol, dw, S = sjostrom_run
    keys = ("A2_plus", "A3_plus", "A2_minus", "A3_minus")
    amps = [ns_float(S, k) for k in keys]
    assert amps == [0.0, 6.5e-3, 7.1e-3, 0.0]  # the minimal all-to-all visual-cortex fit
    taus = [ns_float(S, k) * 1e3 for k in ("tau_plus", "tau_x", "tau_minus", "tau_y")]
    assert np.allclose([taus[0], taus[2], taus[3]], [16.8, 33.7, 114.0])
    reference = [triplet_numpy(pre, post, *amps, *taus) for _, _, pre, post in protocol]
    np.testing.assert_allclose(dw, reference, rtol=1e-9, atol=1e-15)


def test_triplet_frequency_dependence_lies_within_the_sjostrom_error_bars(sjostrom_run):
    protocol, dw, _ = sjostrom_run
    deviations = {}
    for (f, delta, _, _), got in zip(protocol, dw):
        mean_p, sem_p, mean_m, sem_m = SJOSTROM[f]
        mean, sem = (mean_p, sem_p) if delta > 0 else (mean_m, sem_m)
        deviations[(f, delta)] = (got - mean) / sem
        print(f"\ntriplet, {f:4} Hz, dt {delta:+.0f} ms: model {got:+.3f}, data {mean:+.2f} +- {sem:.2f} "
              f"({(got - mean) / sem:+.2f} SEM)", end="")
    # The model curve passes through 9 of the 10 error bars; at 40 Hz, -10 ms it lies 1.2 SEM below the
    # data point (as in Pfister & Gerstner's Fig. 6, where the minimal model undershoots that point too).
    assert all(abs(z) <= 1.5 for z in deviations.values()), deviations
    assert sum(abs(z) <= 1.0 for z in deviations.values()) >= 9, deviations
    by = {(f, d): x for (f, d, _, _), x in zip(protocol, dw)}
    # the qualitative result: LTD at low frequency for both orders, LTP at high frequency for both orders
    assert by[(0.1, -10.0)] < -0.2 and abs(by[(0.1, 10.0)]) < 0.01
    assert by[(50.0, 10.0)] > 0.5 and by[(50.0, -10.0)] > 0.5
    plus = [by[(f, 10.0)] for f in SJOSTROM]
    assert np.all(np.diff(plus) > 0)  # potentiation grows with frequency


# -- Song, Miller & Abbott (2000): a bimodal weight distribution --------------------------------------

SONG = dict(v_rest=-70 * mV, E_ex=0 * mV, tau_m=20 * ms, tau_ex=5 * ms, v_th=-54 * mV, v_reset=-60 * mV)
N_INPUTS, RATE = 1000, 15.0  # Hz
# The paper's A+ = 0.005 is slow: with these inputs the distribution keeps changing for ~1000 s
# (fractions near 0 / near w_max of 0.43 / 0.02 after 100 s, 0.64 / 0.19 after 1200 s, unchanged to 6000 s).
# So the test simulates 2000 s with the paper's parameters and dt = 0.1 ms, in 100 s chunks.  The Poisson
# inputs are drawn in numpy as Bernoulli trials of probability RATE*dt per step (what PoissonGroup draws)
# and replayed by a SpikeGeneratorGroup: a PoissonGroup of 1000 neurons costs 0.12 s per simulated second,
# 60x the rest of this network (the last test of this file checks the substitution).
SONG_DURATION, CHUNK = 2000.0, 100.0  # s


def bernoulli_trains(rng, n, rate, dt, step0, nsteps):
    """Spike (indices, times in s) of ``n`` neurons firing with probability rate*dt in each of ``nsteps`` steps."""
    p = rate * dt
    draws = int(nsteps * p + 8 * math.sqrt(nsteps * p) + 20)
    steps = np.cumsum(rng.geometric(p, size=(n, draws)), axis=1) - 1  # geometric gaps: one Bernoulli per step
    assert (steps[:, -1] >= nsteps).all()
    ii, kk = np.nonzero(steps < nsteps)
    return ii, (step0 + steps[ii, kk]) * dt


def song_network(inputs, init, tag, **overrides):
    """The paper's neuron and synapses; ``tag`` names the objects (random streams are keyed by names)."""
    G = sg.NeuronGroup(1, """dv/dt = (v_rest - v + g*(E_ex - v))/tau_m : volt
                             dg/dt = -g/tau_ex : 1   # excitatory conductance, in units of the leak""",
                       threshold="v > v_th", reset="v = v_reset", method="euler", namespace=SONG,
                       name=f"song_neuron_{tag}")
    G.v = -70 * mV
    S = models.STDP_additive(inputs, G, drive="g_post", w_scale=0.015, connect=True,
                             name=f"song_stdp_{tag}", **overrides)  # g_max = 0.015
    S.w = "rand()" if init == "uniform" else "w_max"
    return G, S


@pytest.fixture(scope="module", params=[(1, "uniform"), (2, "w_max")], ids=["seed1-uniform", "seed2-at-w_max"])
def song_run(request):
    seed, init = request.param
    sg.seed(seed)
    rng = np.random.default_rng(seed)
    dt, n_chunk = DT_S, round(CHUNK / DT_S)
    ii, tt = bernoulli_trains(rng, N_INPUTS, RATE, dt, 0, n_chunk)
    P = sg.SpikeGeneratorGroup(N_INPUTS, ii, tt * second, name=f"song_inputs_seed{seed}")
    G, S = song_network(P, init, f"seed{seed}")
    out = sg.SpikeMonitor(G)
    net = sg.Network(P, G, S, out, dt=DT)
    n_in = len(ii)
    for k in range(round(SONG_DURATION / CHUNK)):
        if k:
            ii, tt = bernoulli_trains(rng, N_INPUTS, RATE, dt, k * n_chunk, n_chunk)
            P.set_spikes(ii, tt * second)
            n_in += len(ii)
        net.run(CHUNK * second)
    w = S.w_.copy()
    spikes = np.asarray(out.spike_trains()[0])
    return dict(w=w, spikes=spikes, input_rate=n_in / N_INPUTS / SONG_DURATION, seed=seed, init=init)


def test_song2000_weights_become_bimodal(song_run):
    w = song_run["w"]
    near0, near_max = np.mean(w < 0.1), np.mean(w > 0.9)
    hist = np.histogram(w, bins=10, range=(0, 1))[0] / len(w)
    print(f"\nSong 2000 ({song_run['init']}, seed {song_run['seed']}): near 0 {near0:.3f}, near w_max {near_max:.3f}, "
          f"between {1 - near0 - near_max:.3f}; histogram {np.round(hist, 3).tolist()}")
    assert abs(song_run["input_rate"] - RATE) < 0.1
    # Song et al. (Fig. 2a): at equilibrium additive STDP piles the weights up at the two bounds, most of
    # them at zero and a minority at g_max.  Measured here at equilibrium (1200-6000 s, both seeds): 0.63-0.67
    # near 0, 0.19-0.21 near w_max, 0.13-0.17 between; a uniform distribution would give 0.1 / 0.1 / 0.8.
    assert near0 >= 0.5 and near_max >= 0.12 and near0 + near_max >= 0.75
    # two peaks, at the bounds: the bin at 0 is the highest, and the bin at w_max towers over the middle
    # of the range (the bin next to 0, 0.09 measured, is the shoulder of the peak at 0)
    assert hist[0] == hist.max() and hist[-1] > 3 * hist[2:-1].max()


def test_song2000_output_rate_is_regulated(song_run):
    spikes = song_run["spikes"]
    final = np.sum(spikes >= SONG_DURATION - 200.0) / 200.0
    first = np.sum(spikes < 10.0) / 10.0
    print(f"\nSong 2000 ({song_run['init']}, seed {song_run['seed']}): output rate {first:.1f} Hz in the first 10 s, "
          f"{final:.1f} Hz over the last 200 s")
    # STDP brings the output rate down from the 100+ Hz the initial weights drive to a low rate of the order
    # of the input rate, which Song et al. (Fig. 2) find nearly independent of the input rate; we accept
    # 10-30 Hz (measured: 20-22 Hz with both seeds; this network has excitatory inputs only).
    assert first > 80.0
    assert 10.0 <= final <= 30.0


def test_predrawn_bernoulli_inputs_drive_the_neuron_like_a_poisson_group():
    """The substitution the Song test makes: same input statistics, same output rate (static weights)."""
    rates = {}
    for kind in ("poisson", "predrawn"):
        sg.seed(3)
        if kind == "poisson":
            P = sg.PoissonGroup(N_INPUTS, RATE * Hz)
        else:
            ii, tt = bernoulli_trains(np.random.default_rng(3), N_INPUTS, RATE, DT_S, 0, round(10 / DT_S))
            P = sg.SpikeGeneratorGroup(N_INPUTS, ii, tt * second)
        G, S = song_network(P, "uniform", kind, A_plus=0, A_minus=0)  # static weights
        S.w = 0.3
        inp, out = sg.SpikeMonitor(P, record=False), sg.SpikeMonitor(G, record=False)
        sg.Network(P, G, S, inp, out, dt=DT).run(10 * second)
        rates[kind] = (inp.num_spikes / N_INPUTS / 10.0, out.num_spikes / 10.0)
    (in_p, out_p), (in_d, out_d) = rates["poisson"], rates["predrawn"]
    assert abs(in_p - RATE) < 0.1 and abs(in_d - RATE) < 0.1
    assert out_p > 20 and abs(out_p - out_d) < 0.1 * out_p, rates
