"""Compile a network's CUDA kernels to PTX without a GPU: numba-cuda's real type inference and
NVVM, not the simulator, so what the simulator would accept but a device would refuse (an
unsupported function, a type that does not unify) fails here.

    python -m snngen.cuda.ptx          # the networks of tests/test_cuda_ptx.py, compiled for sm_90

Needs numba-cuda with NVVM (the CUDA toolkit's libnvvm) and NVRTC (``pip install
nvidia-cuda-nvrtc``), and ``NUMBA_ENABLE_CUDASIM`` unset: a separate process from the
simulator's tests.
"""

from __future__ import annotations

import numba
import numpy as np

from . import simulator


def compile_network(net, namespace=None, cc=(9, 0)):
    """PTX of every kernel of ``net`` (built as for ``backend="cuda"``, with ``net.batch`` copies);
    returns ``{kernel name: ptx}``.  ``net`` may be a CPU network: only its objects are used."""
    import collections
    import sys

    from numba import cuda

    from ..codegen.compiler import load_module
    from .runtime import plan_network

    if simulator():
        raise RuntimeError("PTX compilation needs NUMBA_ENABLE_CUDASIM unset")
    _without_driver(cc)
    if namespace is None:
        frame = sys._getframe(1)
        namespace = collections.ChainMap(frame.f_locals, frame.f_globals)
    ordered, p = plan_network(net, namespace)
    module = load_module(p.source, "cuda-ptx")
    values = []
    for name, getter in zip(p.names, p.getters):
        v = getter()
        if isinstance(v, np.ndarray) and v.ndim == 2 and (name in p.flat or _is_variable(ordered, v)):
            v = v.reshape(-1)
        values.append(v)
    # launches() only computes the host prologue (sizes, run constants) and the argument tuples
    launches = module.launches(np.zeros(7, dtype=np.int64), np.ones(net.batch, dtype=np.int64), net.dt_, *values)
    out = {}
    for kernel, _blocks, _threads, args in launches:
        sig = (numba.int64,) + tuple(_type_of(a) for a in args)
        out[kernel.py_func.__name__], _ = cuda.compile_ptx(kernel.py_func, sig, cc=cc)
    return out


def _without_driver(cc):
    """numba-cuda asks the current device for its compute capability when it compiles a device
    function called from a kernel; without a driver, answer ``cc``."""
    import types

    from numba.cuda import dispatcher

    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=cc)


def _is_variable(ordered, array):
    return any(var._array is array for obj in ordered for var in getattr(obj, "variables", {}).values())


def _type_of(value):
    if isinstance(value, np.ndarray):
        return numba.typeof(np.ascontiguousarray(value))
    if isinstance(value, (float, np.floating)):
        return numba.typeof(value)
    if isinstance(value, (bool, np.bool_)):
        return numba.boolean
    if isinstance(value, (int, np.integer)):
        return numba.int64
    return numba.typeof(value)


def networks():
    """Networks covering every kernel template and code path of the CUDA backend."""
    import snngen as sg
    from snngen.units import Hz, ms, nA

    out = {}

    def lif(storage, delay=None, propagation="auto", dtype=None, on_pre="v += w"):
        P = sg.PoissonGroup(10, rates=np.linspace(100, 900, 10) * Hz)
        G = sg.NeuronGroup(6, "dv/dt = (I - v)/(10*ms) : 1\nI : 1", threshold="v > 1", reset="v = 0",
                           refractory=1 * ms, method="exact", dtype=dtype)
        hetero = isinstance(delay, str)
        S = sg.Synapses(P, G, "w : 1", on_pre=on_pre, delay=None if hetero else delay, storage=storage,
                        dtype=dtype)
        S.propagation = propagation
        S.connect(p=1.0 if storage == "dense" else 0.5)
        if hetero:
            S.delay = delay
        return [P, G, S, sg.SpikeMonitor(G), sg.StateMonitor(G, "v", record=[0, 5]),
                sg.PopulationRateMonitor(G)]

    for storage in ("dense", "sparse"):
        out[f"lif {storage}"] = (lif(storage), {})
        out[f"lif {storage} delay"] = (lif(storage, 1.5 * ms), {})
        out[f"lif {storage} hetero delays"] = (lif(storage, "(1 + (i + j) % 4)*0.5*ms"), {})
        out[f"lif {storage} float32"] = (lif(storage, dtype="float32"), {})
        out[f"lif {storage} batch 3"] = (lif(storage), {"batch": 3})
    out["lif sparse target"] = (lif("sparse", propagation="target"), {})
    out["lif refractory-gated"] = (lif("sparse", on_pre="v += w*int(not_refractory_post)"), {})
    inp = sg.SpikeGeneratorGroup(8, np.arange(40) % 8, (np.arange(40) * 0.37 + 0.2) * ms)
    G = sg.NeuronGroup(3, "dv/dt = -v/(5*ms) : 1", threshold="v > 0.5", reset="v = 0", method="exact")
    for storage in ("dense", "sparse"):
        S = sg.Synapses(inp, G, """w : 1
                        dapre/dt = -apre/(4*ms) : 1 (event-driven)
                        dapost/dt = -apost/(4*ms) : 1 (event-driven)""",
                        on_pre="v += w\napre += 0.01\nw = clip(w + apost, 0, 1)",
                        on_post="apost -= 0.012\nw = clip(w + apre, 0, 1)", storage=storage)
        S.connect(p=1.0 if storage == "dense" else 0.7)
        out[f"stdp {storage}"] = ([inp, G, S, sg.SpikeMonitor(G)], {})
        out[f"stdp {storage} batch 2"] = ([inp, G, S], {"batch": 2})
    H = sg.NeuronGroup(5, "dv/dt = (-v + Isyn)/(10*ms) + 0.3*xi/sqrt(ms) : 1\nIsyn : 1", threshold="v > 0.3",
                       reset="v = 0", method="euler")
    K = sg.NeuronGroup(4, "dx/dt = (1.2 - x)/(3*ms) : 1", threshold="x > 1", reset="x = 0", method="exact")
    S = sg.Synapses(K, H, "dg/dt = -g/(2*ms) : 1 (clock-driven)\nIsyn_post = g : 1 (summed)", on_pre="g += 2",
                    method="exact")
    S.connect(p=0.6)
    out["noise summed clock-driven"] = ([H, K, S, sg.StateMonitor(H, ["v", "Isyn"], record=True)], {})
    from snngen import models

    for name in models.list_models("neuron"):
        group = models.make(name, 4)
        out[f"model {name}"] = ([group, sg.SpikeMonitor(group)], {"check_nan": True})
    src = sg.NeuronGroup(4, "dv/dt = 1/(3*ms) : 1", threshold="v > 1", reset="v = 0", method="euler")
    for name in models.list_models("synapse"):
        S = models.make_synapses(name, src, G, drive="v_post", connect={"p": 0.8})
        out[f"model {name}"] = ([src, G, S], {})
    ta = sg.TimedArray(np.linspace(0, 2, 20) * nA, dt=1 * ms)
    T = sg.NeuronGroup(3, "dv/dt = (-v + 20*Mohm*ta(t))/(10*ms) : volt", threshold="v > 10*mV",
                       reset="v = 0*mV", method="euler", namespace={"ta": ta, "Mohm": 1e6 * sg.units.ohm})
    out["timed array"] = ([T, sg.SpikeMonitor(T)], {})
    Q = sg.PoissonGroup(5, "50*Hz*(1 + sin(2*pi*5*Hz*t))")
    out["poisson expression"] = ([Q, sg.SpikeMonitor(Q, record=False)], {})
    W = sg.NeuronGroup(5, "v : 1", threshold="rand() < 0.5", one_spike=True)
    out["one spike"] = ([W, sg.SpikeMonitor(W)], {"batch": 2})
    from snngen.ml.models import DiehlAndCook2015

    for batch in (1, 4):  # snngen.ml's schedule: run_regularly updates, pathways at start and after the resets
        dc = DiehlAndCook2015(16, 4, batch_size=batch)
        dc._build()
        out[f"snngen.ml Diehl & Cook batch {batch}"] = (list(dc._net.objects), {"batch": batch} if batch > 1 else {})
    from snngen import ml

    net = ml.Network()  # shared kernels learning (atomic adds, then the entries' clip), max pooling, rule traces
    x, y, z = ml.Input(shape=(2, 6, 6), traces=True), ml.LIFNodes(shape=(3, 6, 6), traces=True), ml.LIFNodes(27)
    for name, layer in (("X", x), ("Y", y), ("Z", z)):
        net.add_layer(layer, name)
    net.add_connection(ml.Conv2dConnection(x, y, 3, padding=1, update_rule=ml.PostPre, nu=(1e-2, 1e-2), wmin=0,
                                           wmax=1), "X", "Y")
    net.add_connection(ml.MaxPool2dConnection(y, z, 2, decay=0.1), "Y", "Z")
    net.add_connection(ml.Connection(z, z, update_rule=ml.MSTDPET, nu=1e-2), "Z", "Z")
    net._build()
    out["snngen.ml conv, pooling, MSTDPET"] = (list(net._net.objects), {})
    return out


def main():
    from snngen import Network
    from snngen.units import ms

    try:
        from numba import cuda

        cuda.compile_ptx(lambda a: None, (numba.float64[::1],), cc=(9, 0))
    except Exception as exc:  # no NVVM/NVRTC here
        print(f"SKIP: cannot compile PTX here ({type(exc).__name__}: {exc})")
        raise SystemExit(77) from None
    total = 0
    for label, (objects, kw) in networks().items():
        net = Network(*objects, dt=0.1 * ms, check_nan=kw.get("check_nan", False))
        net.batch = kw.get("batch", 1)
        ptx = compile_network(net, namespace={})
        total += len(ptx)
        print(f"{label:32} {len(ptx):3} kernels -> PTX ({sum(len(x) for x in ptx.values()) // 1024} KiB)")
    print(f"all {total} kernels compiled for sm_90")


if __name__ == "__main__":
    main()
