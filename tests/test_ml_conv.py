"""snngen.ml's Conv2dConnection, LocalConnection and MaxPool2dConnection against numpy transcriptions of
their definitions (BindsNET's: cross-correlation with stride and padding, the kernel's PostPre update summed
over the output positions and then clipped, masked dense weights, max pooling of the firing-rate traces)."""

import numpy as np
import pytest

from snngen import ModelError
from snngen.ml import (
    Conv2dConnection,
    Input,
    LIFNodes,
    LocalConnection,
    MaxPool2dConnection,
    McCullochPitts,
    Monitor,
    Network,
    PostPre,
)

T = 40


def _lif(v, rc, inp, thresh=-52.0):
    """One step of BindsNET's LIFNodes (defaults), in place: leak, input dropped while refractory, spike, reset;
    returns the spikes."""
    v[...] = -65 + (v + 65) * np.exp(-1 / 100)
    inp = inp * (rc <= 0)
    rc -= 1
    v += inp
    s = v >= thresh
    rc[s], v[s] = 5, -65
    return s


def _traces(x, s):
    """The traces (tau 20 ms, set to 1 at a spike), in place."""
    x *= np.exp(-1 / 20)
    x[s > 0] = 1


def _pad(a, p):
    return np.pad(a, ((0, 0), (p, p), (p, p)))


def _windows(a, k, stride, p):
    """(C, OH, OW, k, k): the windows of the padded (C, H, W) array."""
    a = _pad(a, p)
    C, H, W = a.shape
    OH, OW = (H - k) // stride + 1, (W - k) // stride + 1
    out = np.zeros((C, OH, OW, k, k))
    for oy in range(OH):
        for ox in range(OW):
            out[:, oy, ox] = a[:, oy * stride:oy * stride + k, ox * stride:ox * stride + k]
    return out


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 0)])
def test_conv2d_connection_forward_and_postpre_match_numpy(backend, stride, padding):
    C, H, F, K = 2, 6, 3, 3
    OH = (H + 2 * padding - K) // stride + 1
    rng = np.random.default_rng(stride)
    spikes = rng.random((T, C, H, H)) < 0.3
    w0 = rng.random((F, C, K, K)) * 4.0
    wmax = w0.max() + 0.01  # so that potentiation meets the bound
    b = np.array([0.5, -0.2, 0.1])
    net = Network(dtype="float64", backend=backend)
    x, y = Input(shape=(C, H, H), traces=True), LIFNodes(shape=(F, OH, OH), traces=True, thresh=-58.0)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conv = Conv2dConnection(x, y, K, stride=stride, padding=padding, w=w0, b=b, update_rule=PostPre,
                            nu=(0.02, 0.05), wmin=0.0, wmax=wmax, norm=None)
    net.add_connection(conv, "X", "Y")
    m = Monitor(y, ["s", "v"])
    net.add_monitor(m, "Y")
    net.run(inputs={"X": spikes}, time=T)
    # the transcription
    w = w0.copy()
    v = np.full((F, OH, OH), -65.0)
    rc, xs, xt = np.zeros_like(v), np.zeros((C, H, H)), np.zeros_like(v)
    s_in_prev = np.zeros((C, H, H))
    S, V, clipped = [], [], 0
    for t in range(T):
        s = _lif(v, rc, np.einsum("cyxkl,fckl->fyx", _windows(s_in_prev, K, stride, padding), w)
                 + b[:, None, None], -58.0)
        s_in = spikes[t].astype(float)
        _traces(xs, s_in)
        _traces(xt, s)
        pre = np.einsum("cyxkl,fyx->fckl", _windows(s_in, K, stride, padding), xt)
        post = np.einsum("cyxkl,fyx->fckl", _windows(xs, K, stride, padding), s.astype(float))
        new = w - 0.02 * pre + 0.05 * post
        clipped += np.sum((new < 0) | (new > wmax))
        w = np.clip(new, 0.0, wmax)
        s_in_prev = s_in
        S.append(s)
        V.append(v.copy())
    assert np.sum(S) > 20 and clipped > 0
    np.testing.assert_array_equal(m.get("s")[:, 0], np.array(S))
    np.testing.assert_allclose(m.get("v")[:, 0], np.array(V), atol=1e-9)
    np.testing.assert_allclose(conv.w, w, atol=1e-9)
    conv.norm = 10.0
    conv.normalize()
    np.testing.assert_allclose(np.abs(conv.w).sum(axis=(1, 2, 3)), 10.0)


def test_local_connection_masks_the_windows_and_learns_as_numpy():
    H, K, S_, F = 6, 3, 1, 2
    OH = (H - K) // S_ + 1
    rng = np.random.default_rng(5)
    spikes = rng.random((T, H * H)) < 0.3
    mask = np.zeros((H * H, F * OH * OH), bool)
    for f in range(F):
        for oy in range(OH):
            for ox in range(OH):
                for ky in range(K):
                    for kx in range(K):
                        mask[(oy * S_ + ky) * H + ox * S_ + kx, (f * OH + oy) * OH + ox] = True
    w0 = np.where(mask, rng.random(mask.shape) * 5.0, 0.0)
    net = Network(dtype="float64")
    x, y = Input(H * H, traces=True), LIFNodes(F * OH * OH, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    local = LocalConnection(x, y, K, S_, F, w=w0, update_rule=PostPre, nu=(0.02, 0.05), wmin=0.0, wmax=6.0)
    net.add_connection(local, "X", "Y")
    m = Monitor(y, ["s"])
    net.add_monitor(m, "Y")
    net.run(inputs={"X": spikes}, time=T)
    w, v = w0.copy(), np.full(F * OH * OH, -65.0)
    rc, xs, xt = np.zeros_like(v), np.zeros(H * H), np.zeros_like(v)
    prev, out = np.zeros(H * H), []
    for t in range(T):
        s = _lif(v, rc, prev @ w)
        s_in = spikes[t].astype(float)
        _traces(xs, s_in)
        _traces(xt, s)
        w = np.where(mask, np.clip(w - 0.02 * np.outer(s_in, xt) + 0.05 * np.outer(xs, s), 0.0, 6.0), 0.0)
        prev = s_in
        out.append(s)
    assert np.sum(out) > 10
    np.testing.assert_array_equal(m.get("s")[:, 0], np.array(out))
    np.testing.assert_allclose(local.w, w, atol=1e-9)
    assert (local.w[~mask] == 0).all()


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_max_pool_passes_the_spike_of_the_highest_rate_one_step_later(backend):
    C, H, K, decay = 2, 4, 2, 0.1
    rng = np.random.default_rng(2)
    spikes = rng.random((T, C, H, H)) < np.linspace(0.1, 0.6, C * H * H).reshape(C, H, H)
    net = Network(dtype="float64", backend=backend)
    x, y = Input(shape=(C, H, H)), McCullochPitts(shape=(C, H // K, H // K), thresh=0.5)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_connection(MaxPool2dConnection(x, y, K, decay=decay), "X", "Y")
    m = Monitor(y, ["s"])
    net.add_monitor(m, "Y")
    net.run(inputs={"X": spikes}, time=T)
    r, prev, out = np.zeros((C, H, H)), np.zeros((C, H // K, H // K)), []
    for t in range(T):
        out.append(prev >= 0.5)
        s = spikes[t].astype(float)
        r = r - decay * r + s
        pooled = np.zeros_like(prev)
        for c in range(C):
            for oy in range(H // K):
                for ox in range(H // K):
                    win = r[c, oy * K:(oy + 1) * K, ox * K:(ox + 1) * K].ravel()
                    k = int(np.argmax(win))  # the first among equals, row-major
                    pooled[c, oy, ox] = s[c, oy * K + k // K, ox * K + k % K]
        prev = pooled
    assert np.sum(out) > 10
    np.testing.assert_array_equal(m.get("s")[:, 0], np.array(out))
    with pytest.raises(ModelError, match="give decay"):
        MaxPool2dConnection(x, y, K)


def test_one_dimensional_convolution_pooling_and_local_connection_match_numpy():
    """Conv1dConnection (kernels (F, C, K), stride 2, padding 1) with PostPre, MaxPool1dConnection and
    LocalConnection1D on a (C, L) layer, against numpy's 1-D windows."""
    from snngen.ml import Conv1dConnection, LocalConnection1D, MaxPool1dConnection

    C, L, F, K, S, P = 2, 12, 3, 3, 2, 1
    OL = (L + 2 * P - K) // S + 1
    rng = np.random.default_rng(11)
    spikes = rng.random((T, C, L)) < 0.35
    wc = rng.random((F, C, K)) * 6.0
    lo_mask = np.zeros((C * L, 2 * ((L - K) // 1 + 1)), bool)  # LocalConnection1D: 2 filters, stride 1
    OLl = (L - K) + 1
    for f in range(2):
        for o in range(OLl):
            for c in range(C):
                lo_mask[c * L + o:c * L + o + K, f * OLl + o] = True
    wl = np.where(lo_mask, rng.random(lo_mask.shape) * 4.0, 0.0)
    net = Network(dtype="float64")
    x = Input(shape=(C, L), traces=True)
    y, z = LIFNodes(shape=(F, OL), traces=True, thresh=-58.0), McCullochPitts(shape=(C, L // 2), thresh=0.5)
    u = LIFNodes(2 * OLl)
    for name, layer in zip("XYZU", (x, y, z, u)):
        net.add_layer(layer, name)
    conv = Conv1dConnection(x, y, K, stride=S, padding=P, w=wc, update_rule=PostPre, nu=(0.02, 0.05), wmin=0.0,
                            wmax=6.5)
    net.add_connection(conv, "X", "Y")
    net.add_connection(MaxPool1dConnection(x, z, 2, decay=0.2), "X", "Z")
    net.add_connection(LocalConnection1D(x, u, K, 1, 2, w=wl), "X", "U")
    mons = {k: Monitor(layer, ["s"]) for k, layer in (("Y", y), ("Z", z), ("U", u))}
    for k, m in mons.items():
        net.add_monitor(m, k)
    net.run(inputs={"X": spikes}, time=T)

    def windows(a, k, s, p):  # (C, L) -> (C, O, k)
        a = np.pad(a, ((0, 0), (p, p)))
        return np.stack([a[:, o * s:o * s + k] for o in range((a.shape[1] - k) // s + 1)], axis=1)

    w, v, rc, xs, xt = wc.copy(), np.full((F, OL), -65.0), np.zeros((F, OL)), np.zeros((C, L)), np.zeros((F, OL))
    r, prev, vu, rcu = np.zeros((C, L)), np.zeros((C, L)), np.full(2 * OLl, -65.0), np.zeros(2 * OLl)
    pooled_prev = np.zeros((C, L // 2))
    out = {"Y": [], "Z": [], "U": []}
    for t in range(T):
        s = _lif(v, rc, np.einsum("cok,fck->fo", windows(prev, K, S, P), w), -58.0)
        su = _lif(vu, rcu, prev.reshape(-1) @ wl)
        out["Z"].append(pooled_prev >= 0.5)
        s_in = spikes[t].astype(float)
        r = r - 0.2 * r + s_in
        win = r.reshape(C, L // 2, 2)
        k = np.argmax(win, axis=2)
        pooled_prev = np.take_along_axis(s_in.reshape(C, L // 2, 2), k[..., None], axis=2)[..., 0]
        _traces(xs, s_in)
        _traces(xt, s)
        pre = np.einsum("cok,fo->fck", windows(s_in, K, S, P), xt)
        post = np.einsum("cok,fo->fck", windows(xs, K, S, P), s.astype(float))
        w = np.clip(w - 0.02 * pre + 0.05 * post, 0.0, 6.5)
        prev = s_in
        out["Y"].append(s)
        out["U"].append(su)
    for key, m in mons.items():
        assert np.sum(out[key]) > 5, key
        np.testing.assert_array_equal(m.get("s")[:, 0], np.array(out[key]), err_msg=key)
    np.testing.assert_allclose(conv.w, w, atol=1e-9)
