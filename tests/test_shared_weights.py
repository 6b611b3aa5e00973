"""Shared-weight synapses: ``(indexed)`` variables and the convolution geometry.

Checked against a plain-numpy cross-correlation (PyTorch's and BindsNET's convolution) on
deterministic input: the postsynaptic input of the first step, and the weight change of one step of
PostPre STDP (presynaptic spikes times postsynaptic traces, postsynaptic spikes times presynaptic
traces), summed over every position that shares a kernel entry.  On both backends.
"""

import numpy as np
import pytest

import snngen
import snngen.cuda
from snngen import Network, NeuronGroup, SpikeMonitor, Synapses
from snngen.errors import ModelError
from snngen.units import ms

needs_cuda = pytest.mark.skipif(not snngen.cuda.available(), reason="no CUDA device and no simulator")


def slices(a, kh, kw, stride, padding, oh, ow):
    """For each kernel entry (ky, kx): the input values under it at every output position, (C, OH, OW)."""
    p = np.pad(a, ((0, 0), (padding, padding), (padding, padding)))
    for ky in range(kh):
        for kx in range(kw):
            yield ky, kx, p[:, ky:ky + stride * oh:stride, kx:kx + stride * ow:stride]


def conv_numpy(a, w, stride, padding):
    f, c, kh, kw = w.shape
    oh, ow = (a.shape[1] + 2 * padding - kh) // stride + 1, (a.shape[2] + 2 * padding - kw) // stride + 1
    out = np.zeros((f, oh, ow))
    for ky, kx, s in slices(a, kh, kw, stride, padding, oh, ow):
        out += np.einsum("fc,cyx->fyx", w[:, :, ky, kx], s)
    return out


def correlate_numpy(a, b, kh, kw, stride, padding):
    """dW[f, c, ky, kx] = sum over positions of b[f, oy, ox] * a[c, y, x] under entry (ky, kx)."""
    out = np.zeros((b.shape[0], a.shape[0], kh, kw))
    for ky, kx, s in slices(a, kh, kw, stride, padding, b.shape[1], b.shape[2]):
        out[:, :, ky, kx] = np.einsum("fyx,cyx->fc", b, s)
    return out


CASES = [((2, 7, 6), 3, 4, 1, 0), ((1, 9, 9), (3, 2), 2, 2, 1), ((3, 5, 5), 5, 2, 1, 2)]


def build(in_shape, kernel, channels, stride, padding, backend, seed=0):
    rng = np.random.default_rng(seed)
    g = snngen.conv2d(in_shape, kernel, channels=channels, stride=stride, padding=padding)
    s_pre = rng.random(g.in_shape) < 0.4
    s_post = rng.random(g.out_shape) < 0.3
    X = NeuronGroup(g.n_in, "s : 1\nx : 1", threshold="s > 0.5", name="X")
    Y = NeuronGroup(g.n_out, "s : 1\nv : 1\nx : 1", threshold="s > 0.5", name="Y")
    X.set_input("s", s_pre.reshape(1, -1).astype(float))
    Y.set_input("s", s_post.reshape(1, -1).astype(float))
    X.x = rng.random(g.n_in)
    Y.x = rng.random(g.n_out)
    S = Synapses(X, Y, "w : 1 (indexed)", on_pre="v_post += w; w -= 0.01*x_post", on_post="w += 0.02*x_pre",
                 name="S")
    S.connect(i=g.i, j=g.j, index=g.index)
    w0 = rng.standard_normal(g.weight_shape)
    S.w = w0.ravel()
    net = Network(X, Y, S, SpikeMonitor(Y, name="M"), dt=1 * ms, backend=backend)
    return g, net, S, Y, w0, s_pre, s_post, X.x_.reshape(g.in_shape), Y.x_.reshape(g.out_shape)


@pytest.mark.parametrize("case", CASES)
def test_conv_input_and_one_stdp_step_equal_numpy(case):
    in_shape, kernel, channels, stride, padding = case
    g, net, S, Y, w0, s_pre, s_post, x_pre, x_post = build(*case, "cpu")
    net.run(1 * ms)
    kh, kw = g.weight_shape[2:]
    dw = (-0.01 * correlate_numpy(s_pre.astype(float), x_post, kh, kw, stride, padding)
          + 0.02 * correlate_numpy(x_pre, s_post.astype(float), kh, kw, stride, padding))
    np.testing.assert_allclose(S.w_.reshape(g.weight_shape), w0 + dw, rtol=1e-12, atol=1e-12)
    assert np.abs(dw).max() > 0.02  # (the forward input alone: the next test, exact)


def test_conv_forward_is_exact_without_plasticity():
    in_shape, kernel, channels, stride, padding = (2, 8, 7), 3, 3, 2, 1
    rng = np.random.default_rng(5)
    g = snngen.conv2d(in_shape, kernel, channels=channels, stride=stride, padding=padding)
    spikes = rng.random(g.in_shape) < 0.5
    X = snngen.SpikeArrayGroup(g.n_in, spikes.reshape(1, -1))
    Y = NeuronGroup(g.n_out, "v : 1")
    S = Synapses(X, Y, "w : 1 (indexed)", on_pre="v_post += w")
    S.connect(i=g.i, j=g.j, index=g.index)
    w = rng.standard_normal(g.weight_shape)
    S.w = w.ravel()
    Network(X, Y, S).run(1 * ms)
    np.testing.assert_allclose(Y.v_.reshape(g.out_shape), conv_numpy(spikes.astype(float), w, stride, padding),
                               rtol=1e-12, atol=1e-12)
    assert S.N == len(g.i) and S.w_.shape == (np.prod(g.weight_shape),)  # 54 weights, not one per synapse


def test_local2d_has_one_weight_per_synapse():
    g = snngen.local2d((1, 4, 4), 2, channels=2)
    assert len(np.unique(g.index)) == len(g.i) == 2 * 3 * 3 * 4
    X = NeuronGroup(g.n_in, "v : 1")
    Y = NeuronGroup(g.n_out, "v : 1")
    S = Synapses(X, Y, "w : 1 (indexed)")
    S.connect(i=g.i, j=g.j, index=g.index)
    assert S.w_.shape == (np.prod(g.weight_shape),)


def test_indexed_errors():
    X = NeuronGroup(4, "v : 1")
    S = Synapses(X, X, "w : 1 (indexed)", name="S")
    with pytest.raises(ModelError, match="explicit pairs and the entry each reads"):
        S.connect(p=0.5)
    with pytest.raises(ModelError, match="must give each synapse the entry"):
        S.connect(i=[0, 1], j=[1, 2])
    with pytest.raises(ModelError, match="non-negative integers"):
        S.connect(i=[0, 1], j=[1, 2], index=[0.5, 1])
    S.connect(i=[0, 1], j=[1, 2], index=[0, 0])
    assert S.w_.shape == (1,)
    with pytest.raises(ModelError, match="cannot read \\['i'\\]"):
        S.w = "i*0.1"
    S.w = "0.5 + 0*rand()"
    assert S.w_[0] == 0.5
    T = Synapses(X, X, "w : 1", name="T")
    with pytest.raises(ModelError, match="has none"):
        T.connect(i=[0], j=[1], index=[0])
    with pytest.raises(snngen.EquationError, match="indexed"):
        NeuronGroup(2, "w : 1 (indexed)")
    with pytest.raises(ModelError, match="no batch axis on the CPU yet"):
        U = Synapses(X, X, "w : 1 (indexed)", on_pre="w += 1")
        U.connect(i=[0], j=[1], index=[0])
        Network(X, U, batch=2).run(1 * ms)


@needs_cuda
def test_conv_and_stdp_on_cuda_equal_the_cpu():
    out = {}
    for backend in ("cpu", "cuda"):
        g, net, S, Y, *_ = build((2, 6, 5), 3, 2, 1, 1, backend)
        net.run(1 * ms)
        out[backend] = (S.w_.copy(), Y.v_.copy())
    # atomic adds on the GPU: the synapses sharing an entry sum in any order
    np.testing.assert_allclose(out["cuda"][0], out["cpu"][0], rtol=1e-12, atol=1e-12)
    rng = np.random.default_rng(1)
    g = snngen.conv2d((1, 6, 6), 3, channels=2)
    spikes = rng.random(g.in_shape) < 0.5
    for backend in ("cpu", "cuda"):
        X = snngen.SpikeArrayGroup(g.n_in, spikes.reshape(1, -1), name="X")
        Y = NeuronGroup(g.n_out, "v : 1", name="Y")
        S = Synapses(X, Y, "w : 1 (indexed)", on_pre="v_post += w", name="S")
        S.connect(i=g.i, j=g.j, index=g.index)
        S.w = rng.standard_normal(S.w_.shape) if backend == "cpu" else out["w"]
        out["w"] = S.w_.copy()
        Network(X, Y, S, backend=backend).run(1 * ms)
        out[backend] = Y.v_.copy()
    np.testing.assert_allclose(out["cuda"], out["cpu"], rtol=1e-12, atol=1e-12)
    with pytest.raises(ModelError, match="only '\\+=' and '-='"):
        X = NeuronGroup(2, "v : 1", threshold="v > 0.5", name="X")
        U = Synapses(X, X, "w : 1 (indexed)", on_pre="w = 1", name="U")
        U.connect(i=[0], j=[1], index=[0])
        Network(X, U, backend="cuda").run(1 * ms)


# -- max pooling -------------------------------------------------------------------------------------
def maxpool_numpy(spikes, kernel, stride, padding, decay):
    """Each step: rates = rates*(1 - decay) + spikes; an output spikes when the first largest rate of its
    window (row-major, padding excluded) belongs to an input that spiked (PyTorch's max_pool2d indices)."""
    T, C, H, W = spikes.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    rate = np.zeros((C, H, W))
    out = []
    for t in range(T):
        rate = rate * (1 - decay) + spikes[t]
        for c in range(C):
            for oy in range(oh):
                for ox in range(ow):
                    best, bestv = None, -1.0
                    for ky in range(kh):
                        for kx in range(kw):
                            y, x = oy * sh - ph + ky, ox * sw - pw + kx
                            if 0 <= y < H and 0 <= x < W and rate[c, y, x] > bestv:
                                best, bestv = (y, x), rate[c, y, x]
                    if spikes[t, c, best[0], best[1]]:
                        out.append((t, (c * oh + oy) * ow + ox))
    return sorted(out)


POOLS = [((2, 6, 6), (2, 2), (2, 2), (0, 0), 0.0), ((1, 7, 5), (3, 2), (2, 1), (1, 1), 0.25)]


def run_pool(case, backend, batch=None, spikes=None):
    in_shape, kernel, stride, padding, decay = case
    X = snngen.SpikeArrayGroup(int(np.prod(in_shape)), spikes.reshape(spikes.shape[0], *spikes.shape[1:2],
                                                                          -1) if batch else
                               spikes.reshape(spikes.shape[0], -1), name="X")
    pool = snngen.MaxPool2dGroup(X, in_shape, kernel, stride=stride, padding=padding, decay=decay, name="pool")
    M = SpikeMonitor(pool, name="M")
    net = Network(X, pool, M, dt=1 * ms, backend=backend, batch=batch)
    net.run(spikes.shape[0] * ms)
    return net, pool, M


@pytest.mark.parametrize("case", POOLS)
def test_max_pooling_passes_on_the_strongest_input_spike(case):
    rng = np.random.default_rng(7)
    spikes = rng.random((25,) + case[0]) < 0.3
    net, pool, M = run_pool(case, "cpu", spikes=spikes)
    got = sorted(zip(np.round(np.asarray(M.t) / 1e-3).astype(int), M.i))
    expected = maxpool_numpy(spikes, *case[1:])
    assert len(expected) > 20 and got == expected
    net.reset_state()
    assert np.all(pool.rate_ == 0)


@needs_cuda
def test_max_pooling_on_cuda_and_in_a_batch_equals_numpy():
    case = POOLS[1]
    rng = np.random.default_rng(8)
    spikes = rng.random((12, 2) + case[0]) < 0.3  # (time, copy, C, H, W)
    for backend in ("cpu", "cuda"):
        net, pool, M = run_pool(case, backend, batch=2, spikes=spikes)
        for b in range(2):
            sel = M.copy == b
            got = sorted(zip(np.round(np.asarray(M.t)[sel] / 1e-3).astype(int), M.i[sel]))
            assert got == maxpool_numpy(spikes[:, b], *case[1:]), (backend, b)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_clip_keeps_indexed_entries_in_bounds_after_the_sum_of_a_step(backend):
    """S.clip(var, low, high): in each step the synapses sharing an entry add their changes, then the entry is
    clipped once: clip(w + sum), not a clip after each synapse's change."""
    spikes = np.zeros((4, 4), bool)
    spikes[0, :] = True  # step 0: entry 0 gets -0.75 (input 0) and +0.75 twice (inputs 1, 2); entry 1 +0.75
    spikes[2, :2] = True  # step 2: entry 0 gets -0.75 + 0.75
    X = snngen.SpikeArrayGroup(4, spikes)
    Y = snngen.NeuronGroup(2, "v : 1")
    S = snngen.Synapses(X, Y, "w : 1 (indexed)", on_pre="w += 0.75*(2*int(i > 0) - 1)")
    S.connect(i=[0, 1, 2, 3], j=[0, 0, 1, 1], index=[0, 0, 0, 1])
    S.w = [0.5, 0.5]
    S.clip("w", 0.0, 1.0)
    net = snngen.Network(X, Y, S, dt=1 * ms, backend=backend)
    net.run(1 * ms)
    np.testing.assert_allclose(S.w_, [1.0, 1.0])  # 0.5 + 0.75 = 1.25 -> 1 (a clip per synapse: 0 + 1.5 -> 1)
    S.w = [0.5, 0.5]
    net.run(3 * ms)
    np.testing.assert_allclose(S.w_, [0.5, 0.5])  # 0.5 - 0.75 + 0.75 (a clip per synapse: 0 + 0.75)
    with pytest.raises(snngen.ModelError, match="must be an \\(indexed\\) variable"):
        snngen.Synapses(X, Y, "u : 1", on_pre="v_post += u").clip("u", 0, 1)
