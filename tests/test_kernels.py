"""Kernel descriptions (:mod:`snngen.codegen.kernel`): the write set each network object declares for its
CUDA kernels is exactly what the rendered code writes, for every kernel kind, so that the arrays that come back
from the device after a run are the right ones."""

import numpy as np
import pytest

import snngen
from snngen import (
    Network,
    NeuronGroup,
    PoissonGroup,
    PoissonInput,
    PopulationRateMonitor,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from snngen.codegen.kernel import Kernel, check_writes, elements, free_names, written_arrays
from snngen.errors import ModelError
from snngen.units import Hz, ms, mV

needs_cuda = pytest.mark.skipif(not pytest.importorskip("snngen.cuda").available(),
                                reason="no CUDA device and no simulator")


def test_written_arrays_follow_nested_indices_and_atomic_adds():
    code = ["_j = idx[_i]", "a[b[c[_j]]] = 1.0", "d[_i, 2] += x[_i]", "cuda.atomic.add(e, _j, 1.0)",
            "_local = f[0]", "g.shape[0]"]
    assert written_arrays(code) == {"a", "d", "e"}
    assert free_names(code) == {"idx", "_i", "b", "c", "x", "cuda", "e", "f", "g", "a", "d"}


def test_a_kernel_writing_an_undeclared_array_is_an_internal_error():
    k = Kernel("ratemonitor", "k", elements("n"), writes={"a"})
    check_writes(k, ["a[_i] = b[_i]"], {"a", "b"})
    with pytest.raises(ModelError, match=r"writes \['b'\].*does not declare"):
        check_writes(k, ["a[_i] = 1", "b[a[_i]] = 2"], {"a", "b"})
    with pytest.raises(ValueError, match="not written"):
        Kernel("ratemonitor", "k", elements("n"), writes={"a"}, atomic={"c"})


def every_kind(batch):
    """A network with an object of every kind the CUDA backend has, and every synaptic strategy."""
    G = NeuronGroup(12, "dv/dt = (I - v)/(5*ms) : volt (unless refractory)\nI : volt\nc : 1 (shared)",
                    threshold="v > 10*mV", reset="v = 0*mV", refractory=2 * ms, name="G")
    G.set_input("I", np.full((4, 12), 20e-3), raw=True)
    G.run_regularly("c = c + 1\nv += 0.1*mV", dt=2 * ms)
    P = PoissonGroup(8, rates=300 * Hz, name="P")
    gen = SpikeGeneratorGroup(4, [0, 1, 3], [1 * ms, 2 * ms, 3 * ms], name="gen")
    X = snngen.SpikeArrayGroup(16, (np.arange(64).reshape(4, 16) % 3 == 0), name="X")
    pool = snngen.MaxPool2dGroup(X, (1, 4, 4), 2, name="pool")
    Y = NeuronGroup(12, "dv/dt = -v/(10*ms) : volt\ns_tot : volt", threshold="v > 5*mV", reset="v = 0*mV",
                    name="Y")
    stdp = dict(model="w : volt\ndapre/dt = -apre/(5*ms) : 1 (event-driven)\ndx/dt = -x/(3*ms) : 1 (clock-driven)",
                on_pre="v_post += w\napre += 1", on_post="w += 0.1*mV*apre")
    S1 = Synapses(P, Y, **stdp, name="S1")  # dense, delayed on both pathways
    S1.connect()
    S1.w = 1 * mV
    S1.delay = 1 * ms
    S1.post_pathway.delay = 2 * ms
    S2 = Synapses(gen, G, "w : volt", on_pre="v_post += w", name="S2")  # sparse, heterogeneous delays
    S2.connect(p=0.5)
    S2.w = 3 * mV
    S2.delay = "j*0.5*ms"
    S3 = Synapses(P, G, "w : volt", on_pre="v_post += w", name="S3")  # sparse, row
    S3.propagation = "row"
    S3.connect(p=0.3)
    S3.w = 1 * mV
    S3.run_regularly("v_post += 0.01*mV", dt=3 * ms)
    S4 = Synapses(X, Y, "w : 1\ns_tot_post = w*mV : volt (summed)", on_pre="v_post += w*mV", name="S4")
    S4.connect(j="i % 12")
    S4.w = 0.5
    S5 = Synapses(pool, Y, "w : 1 (indexed)", on_pre="v_post += w*mV\nw += 0.01", on_post="w -= 0.01",
                  name="S5")
    S5.connect(i=[0, 1, 2, 3], j=[0, 1, 2, 3], index=[0, 0, 1, 1])
    S5.w = [0.5, 0.25]
    W = NeuronGroup(5, "v : 1", threshold="rand() < 0.5", one_spike=True, name="W")
    objs = [G, P, gen, X, pool, Y, S1, S2, S3, S4, S5,
            PoissonInput(Y, "v", 5, 100 * Hz, weight=0.5 * mV, name="PI"),
            SpikeMonitor(G, variables=["v"], name="MS"), StateMonitor(Y, ["v", "s_tot"], record=[0, 3], name="MV"),
            PopulationRateMonitor(G, name="MR"), W]
    if batch > 1:
        S1.batch_shared = {"w": "mean"}
    return Network(*objs, dt=0.5 * ms, batch=batch)


@needs_cuda
@pytest.mark.parametrize("batch", [1, 3])
def test_every_cuda_kernel_declares_exactly_what_it_writes(batch):
    from snngen.cuda.runtime import plan_network

    _, plan = plan_network(every_kind(batch), {})
    kinds = {k.kernel.kind for k in plan.kernels}
    assert kinds >= {"neuron_update", "compaction", "reset", "regular", "input", "poisson", "spikegenerator",
                     "spikearray", "maxpool", "synapse_each", "summed", "delay_history", "propagate", "on_post",
                     "poissoninput", "spikemonitor", "statemonitor", "ratemonitor", "one_spike"} | (
        {"batch_reduce"} if batch > 1 else set())
    arguments = set(plan.names)
    for k in plan.kernels:
        assert written_arrays(k.code) & arguments == k.kernel.writes & arguments, k.name
    atomic = {k.name: k.kernel.atomic for k in plan.kernels if k.kernel.atomic}
    # G o0, P o1, gen o2, X o3, pool o4, Y o5, S1 o6 ... S5 o10, PI o11, MS o12: atomic adds where many
    # threads write one element: row propagation and synaptic run_regularly into targets, (indexed) weights
    assert atomic == {"o8__p0_propagate": {"o0_v_v"}, "o8__rr0": {"o0_v_v"}, "o9__p0_propagate": {"o5_v_v"},
                      "o10__p0_propagate": {"o5_v_v", "o10_v_w"}, "o10__on_post": {"o10_v_w"}}
    # what comes back from the device: every array some kernel writes, and nothing else
    assert plan.written == set().union(*(k.kernel.writes for k in plan.kernels)) & arguments
    assert {"o0_v_v", "o0_v_I", "o6_v_w" if batch == 1 else "o6_v_w__d", "o6_v_apre", "o6_v_lastupdate",
            "o13__b0", "o5_v_s_tot"} <= plan.written
    assert not {"o7_v_w", "o3__in", "o2__evidx", "o6__pre"} & plan.written
