"""Benchmark workloads 2-5 in NEST, through PyNEST with NEST's own models (one workload per process).

    <nest venv>/bin/python benchmarks/peers/workloads_nest.py WORKLOAD N [--duration S] [--threads 2]

Model choices and their differences from the Brian2/snngen versions (workloads_brian2.py):

* cuba: ``iaf_psc_exp`` exactly as in shared/reference/peer-benchmarks.md section 2: C_m 250 pF,
  tau_m 20 ms, tau_syn 5/10 ms, E_L -49, V_th -50, V_reset -60 mV, t_ref 5 ms; weights w C_m/tau_m =
  20.25 / -112.5 pA; V_m ~ U(-60, -50) mV.  Same model (NEST integrates it exactly too).
* coba: ``iaf_cond_exp`` with g_L 10 nS and C_m 200 pF (tau_m 20 ms), E_L = V_reset -60, V_th -50 mV,
  I_e 200 pA (= 20 mV x g_L), E_ex 0 / E_in -80 mV, tau_syn 5/10 ms, t_ref 5 ms; weights 6 / -67 nS
  (0.6 / 6.7 in units of g_L); V_m ~ N(-55, 5) mV.  Difference: NEST integrates with adaptive RKF45
  (GSL), Brian2's script uses forward Euler at 0.1 ms.
* cobahh: ``hh_cond_exp_traub``, whose defaults are Brette et al.'s benchmark 3 (g_Na 20 uS,
  g_K 6 uS, g_L 10 nS, C_m 200 pF, E_Na 50, E_K -90, E_L -60, V_T -63 mV, E_ex 0 / E_in -80 mV,
  tau_syn 5/10 ms); t_ref 3 ms as in Brian2; weights 6 / -67 nS; V_m ~ N(-65, 5) mV, gates m = h =
  n = 0 as in Brian2's example.  Differences: NEST has no settable initial conductances
  (Brian2 starts ge ~ N(40, 15) nS, gi ~ N(200, 120) nS: a 5-10 ms transient), it integrates with
  RKF45 (Brian2: exponential Euler at 0.1 ms), and it emits a spike at the peak of the action
  potential (V_m > V_T + 30 mV and falling) instead of at the upward crossing of -20 mV.
* izhikevich: ``izhikevich`` (consistent_integration = True: forward Euler, as Brian2's 'euler'),
  resolution 1 ms, the shared parameters and weights of run_workloads.izhikevich_network, all to all
  (autapses included), weight = jump in V_m, delay 1 ms; thalamic input: one ``noise_generator``
  per population (mean 0, std 5 / 2 pA, dt 1 ms: an independent Gaussian per neuron and ms).
  Brian2's I += w held for one step also adds w to v once, one step after the spike: the same.
* song: 1,000 ``poisson_generator`` (15 Hz) -> ``parrot_neuron`` (one train per input) ->
  ``stdp_synapse`` (additive: mu_plus = mu_minus = 0; lambda 0.005, alpha 1.05, tau_plus 20 ms,
  Wmax 0.15 nS = g_max 0.015 x g_L, w0 ~ U(0, Wmax), delay 0.1 ms) -> one ``iaf_cond_exp`` (g_L 10 nS,
  C_m 200 pF, E_L -70, V_th -54, V_reset -60 mV, t_ref 0, tau_syn_ex 5 ms, tau_minus 20 ms).
  Differences: RKF45 instead of Euler; the parrots add one 0.1 ms step of delay.

rng_seed 4321, delays 0.1 ms (one step; Brian2's zero delay) unless noted.  build = Create +
Connect + Prepare(), run = Run(duration).  Prints one JSON line.
"""

import argparse
import json
import os
import resource
import time

import numpy as np
from run_workloads import DURATION, izhikevich_network, p_connect

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("workload", choices=sorted(DURATION))
p.add_argument("n", type=int)
p.add_argument("--duration", type=float, default=None)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=4321)
args = p.parse_args()
duration = args.duration or DURATION[args.workload]
n, wl = args.n, args.workload
if wl == "izhikevich":
    ne, a, b, c, d, W = izhikevich_network(n)
os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402

try:
    nest.verbosity = nest.VerbosityLevel.ERROR
except AttributeError:
    nest.set_verbosity("M_ERROR")

t0 = time.perf_counter()
nest.ResetKernel()
nest.SetKernelStatus(dict(resolution=1.0 if wl == "izhikevich" else 0.1, local_num_threads=args.threads,
                          rng_seed=args.seed))
extra = {}


def random_network(model, params, v0, we, wi):
    """N neurons, the first 4/5 excitatory; each neuron gets each source with probability 80/N."""
    pop = nest.Create(model, n, params=params)
    pop.V_m = v0
    ne = n * 4 // 5
    conn = dict(rule="pairwise_bernoulli", p=p_connect(n), allow_autapses=True)
    nest.Connect(pop[:ne], pop, conn, dict(synapse_model="static_synapse", weight=we, delay=0.1))
    nest.Connect(pop[ne:], pop, conn, dict(synapse_model="static_synapse", weight=wi, delay=0.1))
    return pop


if wl in ("cuba", "scaling"):
    pop = random_network("iaf_psc_exp", dict(C_m=250.0, tau_m=20.0, tau_syn_ex=5.0, tau_syn_in=10.0, E_L=-49.0,
                                             V_th=-50.0, V_reset=-60.0, t_ref=5.0),
                         nest.random.uniform(-60.0, -50.0), 1.62 * 250 / 20, -9.0 * 250 / 20)
elif wl == "coba":
    pop = random_network("iaf_cond_exp", dict(C_m=200.0, g_L=10.0, E_L=-60.0, V_reset=-60.0, V_th=-50.0, I_e=200.0,
                                              E_ex=0.0, E_in=-80.0, tau_syn_ex=5.0, tau_syn_in=10.0, t_ref=5.0),
                         nest.random.normal(-55.0, 5.0), 6.0, -67.0)
elif wl == "cobahh":
    pop = random_network("hh_cond_exp_traub", dict(t_ref=3.0, Act_m=0.0, Inact_h=0.0, Act_n=0.0),
                         nest.random.normal(-65.0, 5.0), 6.0, -67.0)
elif wl == "izhikevich":
    pop = nest.Create("izhikevich", n, params=dict(consistent_integration=True, V_m=-65.0))
    pop.set(a=a.tolist(), b=b.tolist(), c=c.tolist(), d=d.tolist(), U_m=(b * -65.0).tolist())
    nest.Connect(pop, pop, "all_to_all", dict(synapse_model="static_synapse", weight=W.T.astype(float), delay=1.0))
    for part, std in ((pop[:ne], 5.0), (pop[ne:], 2.0)):
        noise = nest.Create("noise_generator", params=dict(mean=0.0, std=std, dt=1.0))
        nest.Connect(noise, part)
elif wl == "song":
    gens = nest.Create("poisson_generator", n, params=dict(rate=15.0))
    parrots = nest.Create("parrot_neuron", n)
    pop = nest.Create("iaf_cond_exp", 1, params=dict(C_m=200.0, g_L=10.0, E_L=-70.0, V_m=-70.0, V_th=-54.0,
                                                     V_reset=-60.0, t_ref=0.0, E_ex=0.0, tau_syn_ex=5.0,
                                                     tau_minus=20.0))
    nest.Connect(gens, parrots, "one_to_one")
    wmax = 0.015 * 10.0
    nest.Connect(parrots, pop, "all_to_all",
                 dict(synapse_model="stdp_synapse", weight=nest.random.uniform(0.0, wmax), delay=0.1, Wmax=wmax,
                      **{"lambda": 0.005}, alpha=1.05, mu_plus=0.0, mu_minus=0.0, tau_plus=20.0))
rec = nest.Create("spike_recorder")
nest.Connect(pop, rec)
nest.Prepare()
build = time.perf_counter() - t0
t0 = time.perf_counter()
nest.Run(duration * 1000.0)
t_run = time.perf_counter() - t0
nest.Cleanup()
spikes = int(rec.n_events)
if wl == "song":
    w = np.asarray(nest.GetConnections(synapse_model="stdp_synapse").get("weight"), dtype=float) / wmax
    extra.update(w_mean=float(w.mean()), w_near_max=float(np.mean(w > 0.9)), w_near0=float(np.mean(w < 0.1)))
if wl in ("cuba", "scaling", "coba", "cobahh"):
    extra["synapses"] = int(nest.num_connections)
print(json.dumps(dict(simulator="nest", workload=wl, n=n, duration=duration, threads=args.threads, build=build,
                      run=t_run, total=build + t_run, spikes=spikes, rate_hz=spikes / len(pop) / duration,
                      rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      versions=dict(nest=nest.__version__, numpy=np.__version__), **extra)), flush=True)
