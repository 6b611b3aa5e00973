"""snngen.ml's Network, layers, connections, learning rules and monitors against a plain-numpy transcription of
BindsNET's step (tests/ml_reference.py): exact spikes, voltages, traces, thresholds and weights, at dt = 1 and
dt = 0.5."""

import ml_reference as ref
import numpy as np
import pytest

from snngen import ModelError
from snngen.ml import (
    MSTDP,
    MSTDPET,
    AdaptiveLIFNodes,
    Connection,
    DiehlAndCook,
    DiehlAndCookNodes,
    Hebbian,
    IFNodes,
    Input,
    LIFNodes,
    McCullochPitts,
    MeanFieldConnection,
    Monitor,
    Network,
    NoOp,
    PostPre,
    Rates,
    SparseConnection,
    WeightDependentPostPre,
)

T, N_IN, N = 80, 16, 8


class _DiehlAndCook(DiehlAndCook):
    def __init__(self, connection, **kwargs):
        super().__init__(connection, x_tar=0.1, **kwargs)


RULES = {None: NoOp, "PostPre": PostPre, "Hebbian": Hebbian, "WeightDependentPostPre": WeightDependentPostPre,
         "DiehlAndCook": _DiehlAndCook}
KINDS = {"lif": LIFNodes, "if": IFNodes, "adaptive": AdaptiveLIFNodes, "mcp": McCullochPitts}


def _data(seed, scale):
    rng = np.random.default_rng(seed)
    spikes = rng.random((T, N_IN)) < 0.3
    w = rng.random((N_IN, N)) * scale
    return spikes, w


def _pair(kind, rule, dt, params=None, nu=(2e-2, 5e-2), wmin=0.0, wmax=8.0, scale=6.0, weight_decay=0.0,
          norm=None, b=None, traces_additive=False, trace_scale=1.0):
    """The same two-layer network in snngen.ml and in the transcription; returns both recordings."""
    params = params or {}
    spikes, w = _data(7, scale)
    net = Network(dt=dt, dtype="float64")
    x = Input(N_IN, traces=True, tc_trace=15.0, traces_additive=traces_additive, trace_scale=trace_scale)
    y = KINDS[kind](N, traces=True, tc_trace=25.0, **params)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conn = Connection(x, y, w=w, update_rule=RULES[rule], nu=nu, wmin=wmin, wmax=wmax, weight_decay=weight_decay,
                      norm=norm, b=b)
    net.add_connection(conn, "X", "Y")
    variables = ["s", "v", "x"] + (["theta"] if kind == "adaptive" else [])
    mon = Monitor(y, variables)
    net.add_monitor(mon, "Y")
    steps = int(round(T * 1.0 / 1.0))
    net.run(inputs={"X": spikes}, time=steps * dt)
    rx = ref.Layer("input", N_IN, traces=True, tc_trace=15.0, additive=traces_additive, trace_scale=trace_scale)
    ry = ref.Layer(kind, N, traces=True, tc_trace=25.0, **params)
    rc = ref.Conn(rx, ry, w, rule=rule, nu=nu, wmin=wmin, wmax=wmax, weight_decay=weight_decay, norm=norm, b=b)
    rec = ref.run([rx, ry], [rc], {0: spikes}, steps, dt)[1]
    return net, conn, mon, rec, rc


def _compare(mon, rec, conn, rc, variables=("v", "x")):
    s = mon.get("s")[:, 0]
    assert s.shape == rec["s"].shape
    assert rec["s"].sum() > 5, "the test needs spikes"
    np.testing.assert_array_equal(s, rec["s"] != 0)
    for var in variables:
        np.testing.assert_allclose(mon.get(var)[:, 0], rec[var], rtol=0, atol=1e-9, err_msg=var)
    np.testing.assert_allclose(conn.w, rc.w, rtol=0, atol=1e-9)


@pytest.mark.parametrize("dt", [1.0, 0.5])
@pytest.mark.parametrize("kind", ["lif", "if", "adaptive", "mcp"])
def test_node_types_with_postpre_match_the_transcription(kind, dt):
    params = {}
    if kind == "adaptive":
        params = dict(theta_plus=1.0, tc_theta_decay=50.0)
    if kind == "mcp":
        params = dict(thresh=4.0)
    _net, conn, mon, rec, rc = _pair(kind, "PostPre", dt, params, scale=2.0 if kind == "mcp" else 6.0)
    _compare(mon, rec, conn, rc, ("v", "x", "theta") if kind == "adaptive" else ("v", "x"))
    assert not np.allclose(conn.w, _data(7, 1.0)[1] * (2.0 if kind == "mcp" else 6.0)), "the weights must change"


@pytest.mark.parametrize("dt", [1.0, 0.5])
@pytest.mark.parametrize("rule", [None, "Hebbian", "WeightDependentPostPre", "DiehlAndCook"])
def test_learning_rules_match_the_transcription(rule, dt):
    _net, conn, mon, rec, rc = _pair("lif", rule, dt, nu=(3e-2, 4e-2))
    _compare(mon, rec, conn, rc)
    moved = np.abs(conn.w - np.clip(_data(7, 6.0)[1], 0.0, 8.0)).max()
    assert (moved > 1e-3) == (rule is not None)  # a rule changes the weights; NoOp leaves them


@pytest.mark.parametrize("rule", [MSTDP, MSTDPET])
def test_reward_modulated_rules_match_the_transcription(rule):
    """MSTDP / MSTDPET (Florian 2007): two runs with different rewards and trace increments, zero_lag both
    ways, dt 1 and 0.5; reset_state_variables() clears the eligibilities (BindsNET keeps them)."""
    spikes, w = _data(5, 6.0)
    for zero_lag in (False, True):
        for dt in (1.0, 0.5):
            net = Network(dt=dt, dtype="float64")
            x, y = Input(N_IN), LIFNodes(N)
            net.add_layer(x, "X")
            net.add_layer(y, "Y")
            conn = Connection(x, y, w=w, update_rule=rule, nu=0.05, wmin=0.0, wmax=8.0, tc_plus=15.0, tc_minus=25.0,
                              zero_lag=zero_lag, weight_decay=1e-3, **({"tc_e_trace": 10.0} if rule is MSTDPET else {}))
            net.add_connection(conn, "X", "Y")
            m = Monitor(y, ["s"])
            net.add_monitor(m, "M")
            rx, ry = ref.Layer("input", N_IN), ref.Layer("lif", N)
            rc = ref.Conn(rx, ry, w, rule=rule.__name__, nu=(0.05, 0.05), wmin=0.0, wmax=8.0, tc_plus=15.0,
                          tc_minus=25.0, zero_lag=zero_lag, weight_decay=1e-3, tc_e_trace=10.0)
            recs = []
            for reward, a_plus in ((1.0, None), (-0.5, 2.0)):
                net.run(inputs={"X": spikes}, time=T * dt, reward=reward, a_plus=a_plus)
                rc.reward, rc.a_plus = reward, (1.0 if a_plus is None else a_plus)
                recs.append(ref.run([rx, ry], [rc], {0: spikes}, T, dt)[1]["s"])
            np.testing.assert_array_equal(m.get("s")[:, 0], np.concatenate(recs) != 0)
            np.testing.assert_allclose(conn.w, rc.w, atol=1e-9)
            assert np.abs(conn.w - np.clip(w, 0, 8)).max() > 0.1, "the weights must change"
            zeta = np.asarray(conn._syn.variables["zeta"].array)
            assert np.abs(zeta).max() > 0
            net.reset_state_variables()
            assert not np.asarray(conn._syn.variables["zeta"].array).any()
            assert not y.pminus0.any() and not x.pplus0.any()  # the rule's traces too
    with pytest.raises(ModelError, match="needs a reward"):
        net.run(inputs={"X": spikes}, time=T * dt)
    with pytest.raises(ModelError, match="no option 'tc_plsu'"):
        Connection(x, y, update_rule=rule, tc_plsu=3.0)


def test_weight_decay_norm_bias_and_additive_traces_match_the_transcription():
    b = np.linspace(-0.5, 1.5, N)
    _net, conn, mon, rec, rc = _pair("lif", "PostPre", 1.0, dict(refrac=3.0, lbound=-70.0), weight_decay=1e-3,
                                     norm=20.0, b=b, traces_additive=True, trace_scale=0.5)
    _compare(mon, rec, conn, rc)
    np.testing.assert_allclose(np.abs(conn.w).sum(axis=0), 20.0, rtol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_sparse_and_mean_field_connections_match_the_transcription(backend):
    """SparseConnection: synapses where w is non-zero, PostPre on them only, each target's |w| normalised
    over its synapses; MeanFieldConnection: mean(s_source) * w."""
    spikes, w = _data(9, 6.0)
    mask = np.random.default_rng(1).random(w.shape) < 0.6
    w_mf = np.linspace(5.0, 40.0, N)
    net = Network(dtype="float64", backend=backend)
    x, y = Input(N_IN, traces=True), LIFNodes(N, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    sparse = SparseConnection(x, y, w=np.where(mask, w, 0.0), update_rule=PostPre, nu=(2e-2, 5e-2), wmin=0.0,
                              wmax=8.0, norm=25.0)
    net.add_connection(sparse, "X", "Y")
    z = LIFNodes(N)
    net.add_layer(z, "Z")
    net.add_connection(MeanFieldConnection(x, z, w=w_mf), "X", "Z")
    mons = [Monitor(y, ["s", "v"]), Monitor(z, ["s", "v"])]
    net.add_monitor(mons[0], "Y")
    net.add_monitor(mons[1], "Z")
    net.run(inputs={"X": spikes}, time=T)
    rx, ry, rz = ref.Layer("input", N_IN, traces=True), ref.Layer("lif", N, traces=True), ref.Layer("lif", N)
    rc = ref.Conn(rx, ry, np.where(mask, w, 0.0), rule="PostPre", nu=(2e-2, 5e-2), wmin=0.0, wmax=8.0, norm=25.0,
                  mask=mask)
    rm = ref.Conn(rx, rz, w_mf, mean_field=True)
    rec = ref.run([rx, ry, rz], [rc, rm], {0: spikes}, T, 1.0)
    for k, m in ((1, mons[0]), (2, mons[1])):
        assert rec[k]["s"].sum() > 5
        np.testing.assert_array_equal(m.get("s")[:, 0], rec[k]["s"] != 0)
        np.testing.assert_allclose(m.get("v")[:, 0], rec[k]["v"], atol=1e-9)
    np.testing.assert_allclose(sparse.w, rc.w, atol=1e-9)
    assert (sparse.w[~mask] == 0).all()
    np.testing.assert_allclose(np.abs(sparse.w).sum(axis=0), 25.0)
    with pytest.raises(ModelError, match="must keep the synapses"):
        sparse.w = np.ones(w.shape)
    with pytest.raises(ModelError, match="no learning rule"):
        MeanFieldConnection(x, z, update_rule=PostPre)


def test_sum_input_sums_what_bindsnet_sums():
    """sum_input=True: LIFNodes sums its input after dropping it while refractory (BindsNET masks it in
    place), IFNodes and AdaptiveLIFNodes all of it."""
    spikes, w = _data(4, 6.0)
    for kind in ("lif", "if", "adaptive"):
        net = Network(dtype="float64")
        x, y = Input(N_IN), KINDS[kind](N, sum_input=True)
        net.add_layer(x, "X")
        net.add_layer(y, "Y")
        net.add_connection(Connection(x, y, w=w), "X", "Y")
        net.run(inputs={"X": spikes}, time=T)
        rx, ry = ref.Layer("input", N_IN), ref.Layer(kind, N)
        rec = ref.run([rx, ry], [ref.Conn(rx, ry, w)], {0: spikes}, T, 1.0)[1]
        assert rec["s"].sum() > 5
        np.testing.assert_allclose(y.summed[0], ry.summed, atol=1e-9)
        assert not np.allclose(ry.summed, (spikes[:-1].astype(float) @ w).sum(axis=0)) or kind != "lif"


def test_two_layers_and_a_recurrent_connection_act_with_one_step_lag():
    """Input -> A -> B and A -> A (inhibitory): each connection's output reaches its target one step later,
    every layer in the order added."""
    rng = np.random.default_rng(3)
    spikes = rng.random((T, N_IN)) < 0.3
    w1, w2, wr = rng.random((N_IN, N)) * 8, rng.random((N, 5)) * 12, -rng.random((N, N)) * 4
    for dt in (1.0, 0.5):
        net = Network(dt=dt, dtype="float64")
        layers = [Input(N_IN), LIFNodes(N, refrac=2.0), LIFNodes(5, tc_decay=20.0)]
        for name, layer in zip("XAB", layers):
            net.add_layer(layer, name)
        net.add_connection(Connection(layers[0], layers[1], w=w1), "X", "A")
        net.add_connection(Connection(layers[1], layers[2], w=w2), "A", "B")
        net.add_connection(Connection(layers[1], layers[1], w=wr), "A", "A")
        mons = [Monitor(layer, ["s", "v"]) for layer in layers[1:]]
        for name, m in zip("AB", mons):
            net.add_monitor(m, name)
        net.run(inputs={"X": spikes}, time=T * dt)
        r = [ref.Layer("input", N_IN), ref.Layer("lif", N, refrac=2.0), ref.Layer("lif", 5, tc_decay=20.0)]
        conns = [ref.Conn(r[0], r[1], w1), ref.Conn(r[1], r[2], w2), ref.Conn(r[1], r[1], wr)]
        rec = ref.run(r, conns, {0: spikes}, T, dt)
        for k, m in zip((1, 2), mons):
            assert rec[k]["s"].sum() > 5
            np.testing.assert_array_equal(m.get("s")[:, 0], rec[k]["s"] != 0)
            np.testing.assert_allclose(m.get("v")[:, 0], rec[k]["v"], atol=1e-9)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_one_step_lets_connections_from_earlier_layers_act_in_the_same_step(backend):
    """one_step=True (BindsNET's): X -> A -> B act within the step, the recurrent A -> A and the backward
    B -> A with the previous step's spikes; learning goes on (BindsNET's one_step skips it: #683)."""
    rng = np.random.default_rng(13)
    spikes = rng.random((T, N_IN)) < 0.3
    w1, w2 = rng.random((N_IN, N)) * 8, rng.random((N, 5)) * 12
    wr, wb = -rng.random((N, N)) * 4, rng.random((5, N)) * 3
    net = Network(dtype="float64", backend=backend)
    layers = [Input(N_IN, traces=True), LIFNodes(N, refrac=2.0, traces=True), LIFNodes(5, tc_decay=20.0)]
    for name, layer in zip("XAB", layers):
        net.add_layer(layer, name)
    c1 = Connection(layers[0], layers[1], w=w1, update_rule=PostPre, nu=(1e-2, 2e-2), wmin=0.0, wmax=9.0)
    net.add_connection(c1, "X", "A")
    net.add_connection(Connection(layers[1], layers[2], w=w2), "A", "B")
    net.add_connection(Connection(layers[1], layers[1], w=wr), "A", "A")
    net.add_connection(Connection(layers[2], layers[1], w=wb), "B", "A")
    mons = [Monitor(layer, ["s", "v"]) for layer in layers[1:]]
    for name, m in zip("AB", mons):
        net.add_monitor(m, name)
    net.run(inputs={"X": spikes}, time=T, one_step=True)
    r = [ref.Layer("input", N_IN, traces=True), ref.Layer("lif", N, refrac=2.0, traces=True),
         ref.Layer("lif", 5, tc_decay=20.0)]
    conns = [ref.Conn(r[0], r[1], w1, rule="PostPre", nu=(1e-2, 2e-2), wmin=0.0, wmax=9.0), ref.Conn(r[1], r[2], w2),
             ref.Conn(r[1], r[1], wr), ref.Conn(r[2], r[1], wb)]
    rec = ref.run(r, conns, {0: spikes}, T, 1.0, one_step=True)
    for k, m in zip((1, 2), mons):
        assert rec[k]["s"].sum() > 5
        np.testing.assert_array_equal(m.get("s")[:, 0], rec[k]["s"] != 0)
        np.testing.assert_allclose(m.get("v")[:, 0], rec[k]["v"], atol=1e-9)
    np.testing.assert_allclose(c1.w, conns[0].w, atol=1e-9)
    r = [ref.Layer("input", N_IN), ref.Layer("lif", N, refrac=2.0), ref.Layer("lif", 5, tc_decay=20.0)]
    lagged = ref.run(r, [ref.Conn(r[0], r[1], w1), ref.Conn(r[1], r[2], w2)], {0: spikes}, T, 1.0)
    assert not np.array_equal(lagged[2]["s"], rec[2]["s"])  # the test tells the two orders apart


def test_runs_continue_and_reset_state_variables_starts_a_new_sample():
    """Two runs of half the time equal one run (state and last spikes carried over); after
    reset_state_variables() a run repeats the first sample's output, weights and thetas kept."""
    spikes, w = _data(11, 6.0)
    net = Network(dtype="float64")
    x, y = Input(N_IN, traces=True), AdaptiveLIFNodes(N, traces=True, theta_plus=0.5)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conn = Connection(x, y, w=w, wmin=0, wmax=8, update_rule=PostPre, nu=(1e-2, 1e-2))
    net.add_connection(conn, "X", "Y")
    m = Monitor(y, ["s", "v"])
    net.add_monitor(m, "M")
    net.run(inputs={"X": spikes[: T // 2]}, time=T // 2)
    net.run(inputs={"X": spikes[T // 2:]}, time=T // 2)
    rx, ry = ref.Layer("input", N_IN, traces=True), ref.Layer("adaptive", N, traces=True, theta_plus=0.5)
    rc = ref.Conn(rx, ry, w, rule="PostPre", nu=(1e-2, 1e-2), wmin=0, wmax=8)
    rec = ref.run([rx, ry], [rc], {0: spikes}, T, 1.0)[1]
    np.testing.assert_array_equal(m.get("s")[:, 0], rec["s"] != 0)
    np.testing.assert_allclose(conn.w, rc.w, atol=1e-9)
    theta = y.theta.copy()
    net.reset_state_variables()
    assert m.get("s").shape[0] == 0
    np.testing.assert_array_equal(y.v, -65.0)
    np.testing.assert_array_equal(y.theta, theta)
    net.train(False)
    net.run(inputs={"X": spikes}, time=T)
    w_after = conn.w.copy()
    np.testing.assert_array_equal(w_after, rc.w)  # learning off: the weights stay
    np.testing.assert_array_equal(y.theta, theta)  # and so do the thresholds
    ry.s[:] = False
    ry.v[:] = -65.0
    ry.refrac_count[:] = 0
    ry.x[:] = 0
    rx.s[:] = False
    rx.x[:] = 0
    ry.learning = False
    rec2 = ref.run([rx, ry], [rc], {0: spikes}, T, 1.0, learning=False)[1]
    np.testing.assert_array_equal(m.get("s")[:, 0], rec2["s"] != 0)


def test_one_spike_lets_one_node_spike_per_step_and_chooses_before_the_reset():
    """DiehlAndCookNodes(one_spike=True): never two spikes in a step; the nodes that crossed the threshold and
    lost keep their potential (no reset, no refractoriness, no theta increase); the winners are spread over
    the crossing nodes."""
    n = 6
    net = Network(dtype="float64", seed=4)
    x = Input(1)
    y = DiehlAndCookNodes(n, thresh=-52.0, theta_plus=1.0, tc_theta_decay=1e9, refrac=0.0, tc_decay=1e9)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_connection(Connection(x, y, w=np.full((1, n), 20.0)), "X", "Y")
    m = Monitor(y, ["s", "v", "theta"])
    net.add_monitor(m, "M")
    steps = 400
    net.run(inputs={"X": np.ones((steps, 1))}, time=steps)
    s, v, theta = m.get("s")[:, 0], m.get("v")[:, 0], m.get("theta")[:, 0]
    assert s.sum(axis=1).max() == 1
    assert s[1:].sum(axis=1).min() == 1  # all are above threshold from step 1: one of them spikes each step
    counts = s.sum(axis=0)
    assert counts.min() > 0.6 * (steps - 1) / n, counts  # uniform choice among the crossers (about 66 each)
    np.testing.assert_allclose(theta[-1], counts, rtol=1e-6)  # theta rose at the winners' spikes only
    # a loser is not reset: its potential went on rising by 20 per step (no leak)
    losers = ~s[5] & (v[4] >= -52.0 + theta[4])
    assert losers.any()
    np.testing.assert_allclose(v[5][losers], v[4][losers] + 20.0)


def test_poisson_rates_are_drawn_inside_the_loop():
    """Rates given as Rates(...) make the Input layer spike with probability rate*dt/1000 in each step, the
    same streams for the same seed, and the counts of a Poisson process."""
    rates = np.array([0.0, 50.0, 200.0, 500.0])
    counts = []
    for seed in (1, 1, 2):
        net = Network(dt=0.5, seed=seed)
        x = Input(4)
        net.add_layer(x, "X")
        m = Monitor(x, ["s"])
        net.add_monitor(m, "M")
        net.run(inputs={"X": Rates(np.tile(rates, (3, 1)))}, time=2000.0)  # batch 3
        counts.append(m.get("s").sum(axis=0))
    np.testing.assert_array_equal(counts[0], counts[1])
    assert not np.array_equal(counts[0], counts[2])
    expected = rates * 2.0  # 2 s
    for c in counts:
        assert c.shape == (3, 4)
        assert (c[:, 0] == 0).all()
        assert np.all(np.abs(c[:, 1:] - expected[1:]) < 5 * np.sqrt(expected[1:]))


def test_bad_input_is_a_clear_error():
    net = Network()
    x, y = Input(4, traces=False), LIFNodes(3)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    with pytest.raises(ModelError, match="has no parameter 'tresh'.*thresh"):
        LIFNodes(3, tresh=-50)
    with pytest.raises(ModelError, match="no option 'wmx'"):
        Connection(x, y, wmx=1.0)
    with pytest.raises(ModelError, match="reads the traces of layer 'X'.*traces=True"):
        net.add_connection(Connection(x, y, update_rule=PostPre, nu=(1e-2, 1e-2)), "X", "Y")
    with pytest.raises(ModelError, match="needs finite wmin and wmax"):
        Connection(x, y, update_rule=WeightDependentPostPre)
    net.add_connection(Connection(x, y, w=np.ones((4, 3))), "X", "Y")
    with pytest.raises(ModelError, match="no layer 'Z'"):
        net.run(inputs={"Z": np.zeros((10, 4))}, time=10)
    with pytest.raises(ModelError, match="has shape \\(10, 5\\); the layer has shape \\(4,\\)"):
        net.run(inputs={"X": np.zeros((10, 5))}, time=10)
    with pytest.raises(ModelError, match="has 5 time steps; the run has 10"):
        net.run(inputs={"X": np.zeros((5, 4))}, time=10)
    with pytest.raises(ModelError, match="w has shape"):
        Connection(x, y, w=np.ones((3, 4)))
    with pytest.raises(ModelError, match="has no variable 'u'"):
        net.add_monitor(Monitor(y, ["u"]), "M")
        net.run(time=1)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_a_batch_sums_the_copies_changes_into_one_weight_matrix_then_clips(backend):
    """batch_size 3: each copy has its own input and state; each step the copies' PostPre changes are summed
    (or averaged) into the shared weights, which are then clipped (BindsNET's batch training, exactly); an
    adaptive threshold is one for the batch, the copies' changes summed after each run."""
    B, steps = 3, 60
    rng = np.random.default_rng(21)
    spikes = rng.random((steps, B, N_IN)) < 0.3
    w0 = rng.random((N_IN, N)) * 1.5
    for reduction in ("sum", "mean"):
        net = Network(dtype="float64", batch_size=B, backend=backend)
        x, y = Input(N_IN, traces=True), LIFNodes(N, traces=True, thresh=-60.0)
        net.add_layer(x, "X")
        net.add_layer(y, "Y")
        conn = Connection(x, y, w=w0, update_rule=PostPre, nu=(0.05, 0.08), wmin=0.0, wmax=1.6, reduction=reduction)
        net.add_connection(conn, "X", "Y")
        m = Monitor(y, ["s", "v"])
        net.add_monitor(m, "M")
        net.run(inputs={"X": spikes}, time=steps)
        rx = [ref.Layer("input", N_IN, traces=True) for _ in range(B)]
        ry = [ref.Layer("lif", N, traces=True, thresh=-60.0) for _ in range(B)]
        w = w0.copy()
        s_out = np.zeros((steps, B, N), bool)
        clipped = 0
        for t in range(steps):
            for b in range(B):
                inp = rx[b].s.astype(float) @ w
                rx[b].step(spikes[t, b].astype(float), 1.0)
                ry[b].step(inp, 1.0)
                s_out[t, b] = ry[b].s
            dw = sum(-0.05 * np.outer(rx[b].s, ry[b].x) + 0.08 * np.outer(rx[b].x, ry[b].s) for b in range(B))
            new = w + (dw / B if reduction == "mean" else dw)
            clipped += np.sum((new < 0) | (new > 1.6))
            w = np.clip(new, 0.0, 1.6)
        assert s_out.sum() > 20 and clipped > 0
        np.testing.assert_array_equal(m.get("s"), s_out)
        np.testing.assert_allclose(conn.w, w, atol=1e-9)
    with pytest.raises(ModelError, match="weight_decay with batch_size > 1"):
        net = Network(batch_size=2, backend=backend)
        x, y = Input(2, traces=True), LIFNodes(2, traces=True)
        net.add_layer(x, "X")
        net.add_layer(y, "Y")
        net.add_connection(Connection(x, y, update_rule=PostPre, nu=0.1, weight_decay=0.1), "X", "Y")
        net.run(inputs={"X": np.zeros((3, 2, 2))}, time=3)


def test_a_batch_shares_the_adaptive_threshold():
    """theta of AdaptiveLIFNodes is one for the batch: after a run it is its start value decayed plus the sum of
    the copies' increments (each copy's theta during the run moves with its own spikes only)."""
    B, steps = 4, 50
    rng = np.random.default_rng(2)
    spikes = rng.random((steps, B, N_IN)) < 0.4
    net = Network(dtype="float64", batch_size=B)
    x, y = Input(N_IN), AdaptiveLIFNodes(N, theta_plus=0.7, tc_theta_decay=40.0)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_connection(Connection(x, y, w=rng.random((N_IN, N)) * 6), "X", "Y")
    m = Monitor(y, ["s"])
    net.add_monitor(m, "M")
    net.run(inputs={"X": spikes}, time=steps)
    s = m.get("s")
    decay = np.exp(-np.arange(steps)[::-1] / 40.0)  # a spike at step t has decayed (steps - 1 - t) times
    expected = 0.7 * np.einsum("tbn,t->n", s, decay)
    assert s.sum() > 20
    np.testing.assert_allclose(y.theta, np.broadcast_to(expected, (B, N)), rtol=1e-9)
    theta = y.theta[0].copy()
    net.reset_state_variables()
    net.run(inputs={"X": spikes}, time=steps)
    expected2 = theta * np.exp(-steps / 40.0) + 0.7 * np.einsum("tbn,t->n", m.get("s"), decay)
    np.testing.assert_allclose(y.theta[0], expected2, rtol=1e-9)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_batch_sync_run_sums_the_changes_of_copies_that_learned_alone(backend):
    """batch_sync="run": during a run each copy learns as an unbatched network would (its own weights); after
    the run the copies' changes are summed into one weight matrix, clipped, and given to every copy."""
    B, steps = 3, 40
    rng = np.random.default_rng(8)
    spikes = rng.random((steps, B, N_IN)) < 0.3
    w0 = rng.random((N_IN, N)) * 1.5

    def network(batch, sync="step"):
        net = Network(dtype="float64", batch_size=batch, backend=backend, batch_sync=sync)
        x, y = Input(N_IN, traces=True), LIFNodes(N, traces=True, thresh=-60.0)
        net.add_layer(x, "X")
        net.add_layer(y, "Y")
        conn = Connection(x, y, w=w0, update_rule=PostPre, nu=(0.05, 0.08), wmin=0.0, wmax=1.6)
        net.add_connection(conn, "X", "Y")
        return net, conn

    net, conn = network(B, "run")
    net.run(inputs={"X": spikes}, time=steps)
    alone = []
    for b in range(B):
        one, c = network(1)
        one.run(inputs={"X": spikes[:, b]}, time=steps)
        alone.append(c.w.copy())
    expected = np.clip(w0 + sum(a - w0 for a in alone), 0.0, 1.6)
    assert np.abs(expected - w0).max() > 0.1
    np.testing.assert_allclose(conn.w, expected, atol=1e-9)
    np.testing.assert_array_equal(conn._weights()[1], conn._weights()[0])


def test_clamp_unclamp_and_injects_v_as_bindsnet():
    """clamp forces spikes after the update without resetting v (the traces and the learning see them);
    unclamp removes spikes of nodes that crossed, which are still reset; injects_v adds to v before the
    update; both as one mask for every step or one per step."""
    spikes, w = _data(6, 6.0)
    clamp = np.zeros((T, N), bool)
    clamp[::7, 0] = True
    unclamp = np.zeros(N, bool)
    unclamp[[2, 5]] = True
    inject = np.zeros((T, N))
    inject[10:20, 3] = 2.0
    net = Network(dtype="float64")
    x, y = Input(N_IN, traces=True), LIFNodes(N, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conn = Connection(x, y, w=w, update_rule=PostPre, nu=(1e-2, 3e-2), wmin=0.0, wmax=8.0)
    net.add_connection(conn, "X", "Y")
    m = Monitor(y, ["s", "v", "x"])
    net.add_monitor(m, "Y")
    net.run(inputs={"X": spikes}, time=T, clamp={"Y": clamp}, unclamp={"Y": np.flatnonzero(unclamp)},
            injects_v={"Y": inject})
    # the transcription: BindsNET's step with the clamps after the update, before the traces
    rx, ry = ref.Layer("input", N_IN, traces=True), ref.Layer("lif", N, traces=True)
    rc = ref.Conn(rx, ry, w, rule="PostPre", nu=(1e-2, 3e-2), wmin=0.0, wmax=8.0)
    S, V, X = [], [], []
    for t in range(T):
        inp = rx.s.astype(float) @ rc.w
        rx.step(spikes[t].astype(float), 1.0)
        ry.v = ry.v + inject[t]
        ry.traces = False
        ry.step(inp, 1.0)
        crossed = ry.s.copy()
        ry.s = (crossed | clamp[t]) & ~unclamp
        ry.traces = True
        ry.x = ry.x * np.exp(-1 / 20)
        ry.x[ry.s] = 1.0
        rc.learn()
        S.append(ry.s.copy())
        V.append(ry.v.copy())
        X.append(ry.x.copy())
    S = np.array(S)
    assert S[:, 0].sum() >= T // 7 and not S[:, [2, 5]].any()
    np.testing.assert_array_equal(m.get("s")[:, 0], S)
    np.testing.assert_allclose(m.get("v")[:, 0], np.array(V), atol=1e-9)
    np.testing.assert_allclose(m.get("x")[:, 0], np.array(X), atol=1e-9)
    np.testing.assert_allclose(conn.w, rc.w, atol=1e-9)
    # the next run without clamps: nothing forced
    net.reset_state_variables()
    net.run(inputs={"X": spikes}, time=T)
    assert m.get("s")[:, 0, [2, 5]].any()
    with pytest.raises(ModelError, match="clamp names no layer 'Z'"):
        net.run(inputs={"X": spikes}, time=T, clamp={"Z": clamp})
    # integers are node indices even when they are only 0s and 1s (BindsNET's LongTensor clamps)
    quiet = np.zeros_like(spikes)
    for given in ([0, 1], np.array([1, 0]), np.array([True, True] + [False] * (N - 2))):
        net.reset_state_variables()
        net.run(inputs={"X": quiet}, time=T, clamp={"Y": given})
        assert m.get("s")[:, 0, :2].all() and not m.get("s")[:, 0, 2:].any(), given
    with pytest.raises(ModelError, match=rf"outside 0\.\.{N - 1}: \[{N}\]"):
        net.run(inputs={"X": quiet}, time=T, clamp={"Y": [N]})
    with pytest.raises(ModelError, match="must be a mask"):
        net.run(inputs={"X": quiet}, time=T, clamp={"Y": np.full(N, 0.5)})


def test_masks_and_dales_rule_keep_weights_where_they_belong():
    spikes, w = _data(12, 6.0)
    w = w - 2.0  # some negative weights
    dale = np.arange(N_IN) % 4 != 0  # every fourth source inhibitory
    mask = np.zeros_like(w, bool)
    mask[:, 1] = True
    net = Network(dtype="float64")
    x, y = Input(N_IN, traces=True), LIFNodes(N, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conn = Connection(x, y, w=w, update_rule=Hebbian, nu=(2e-2, 2e-2), Dales_rule=dale)
    net.add_connection(conn, "X", "Y")
    np.testing.assert_array_equal(conn.w[dale] >= 0, True)
    np.testing.assert_array_equal(conn.w[~dale] <= 0, True)
    net.run(inputs={"X": spikes}, time=T, masks={("X", "Y"): mask})
    assert (conn.w[mask] == 0).all()
    assert (conn.w[dale] >= 0).all() and (conn.w[~dale] <= 0).all()
    rx, ry = ref.Layer("input", N_IN, traces=True), ref.Layer("lif", N, traces=True)
    w0 = np.where(dale[:, None], np.maximum(w, 0), np.minimum(w, 0))
    w0[mask] = 0
    rc = ref.Conn(rx, ry, w0, rule="Hebbian", nu=(2e-2, 2e-2))
    for t in range(T):
        inp = rx.s.astype(float) @ rc.w
        rx.step(spikes[t].astype(float), 1.0)
        ry.step(inp, 1.0)
        rc.learn()
        rc.w = np.where(dale[:, None], np.maximum(rc.w, 0), np.minimum(rc.w, 0)) * ~mask
    assert not np.allclose(rc.w, w0)
    np.testing.assert_allclose(conn.w, rc.w, atol=1e-9)


def test_monitor_window_network_monitor_and_save_load(tmp_path):
    """Monitor(time=T) keeps the last T steps; NetworkMonitor records every layer and writes npz; save/load
    restore the weights and the learned thresholds (npz, no pickle)."""
    from snngen.ml import NetworkMonitor

    spikes, w = _data(3, 6.0)
    net = Network(dtype="float64")
    x, y = Input(N_IN, traces=True), AdaptiveLIFNodes(N, traces=True, theta_plus=0.5)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conn = Connection(x, y, w=w, update_rule=PostPre, nu=(1e-2, 1e-2), wmin=0.0, wmax=8.0)
    net.add_connection(conn, "X", "Y")
    full, last = Monitor(y, ["s", "v"]), Monitor(y, ["v"], time=10)
    net.add_monitor(full, "full")
    net.add_monitor(last, "last")
    nm = NetworkMonitor(net, state_vars=("s", "theta"))
    net.add_monitor(nm, "all")
    net.run(inputs={"X": spikes}, time=T)
    np.testing.assert_array_equal(last.get("v"), full.get("v")[-10:])
    rec = nm.get()
    assert set(rec) == {"X", "Y"} and set(rec["Y"]) == {"s", "theta"}
    np.testing.assert_array_equal(rec["Y"]["s"], full.get("s"))
    nm.save(tmp_path / "rec.npz")
    with np.load(tmp_path / "rec.npz") as data:
        np.testing.assert_array_equal(data["Y.s"], full.get("s"))
    net.save(tmp_path / "net.npz")
    w_saved, theta_saved = conn.w.copy(), y.theta.copy()
    assert theta_saved.any()
    net.run(inputs={"X": spikes}, time=T)
    assert not np.allclose(conn.w, w_saved)
    net.load(tmp_path / "net.npz")
    np.testing.assert_array_equal(conn.w, w_saved)
    np.testing.assert_array_equal(y.theta, theta_saved)


def test_diehl_and_cook_model_on_cuda_equals_the_cpu():
    """snngen.ml.models.DiehlAndCook2015: the same spikes and weights on the CPU and CUDA (simulator), with the
    input drawn inside the loop and one spike per step."""
    from snngen.ml.models import DiehlAndCook2015

    rates = np.random.default_rng(4).random((3, 64)) * 255.0
    out = {}
    for backend in ("cpu", "cuda"):
        net = DiehlAndCook2015(64, n_neurons=6, exc=22.5, inh=17.5, seed=5, backend=backend, dtype="float64",
                               norm=64 * 0.1, theta_plus=0.5)
        m = Monitor(net.layers["Ae"], ["s"])
        net.add_monitor(m, "Ae")
        counts = []
        for r in rates:
            net.run(inputs={"X": Rates(r)}, time=60)
            counts.append(m.get("s")[:, 0])
            net.reset_state_variables()
        out[backend] = (np.array(counts), net.connections[("X", "Ae")].w.copy(), net.layers["Ae"].theta.copy())
    assert out["cpu"][0].sum() > 5 and out["cpu"][0].sum(axis=2).max() == 1
    for a, b in zip(out["cpu"], out["cuda"]):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_layer_names_are_any_strings_and_parameters_change_without_rebuilding():
    """BindsNET's names may be any strings ("input layer", "exc-1", "exc_1"): the engine objects get unique
    identifiers; a layer's parameter set between runs takes effect in the next run, without a rebuild."""
    net = Network(dtype="float64")
    x, y, z = Input(4), LIFNodes(3, refrac=0.0), LIFNodes(3, refrac=0.0)
    net.add_layer(x, "input layer")
    net.add_layer(y, "exc-1")
    net.add_layer(z, "exc_1")
    net.add_connection(Connection(x, y, w=np.full((4, 3), 1.0)), "input layer", "exc-1")
    net.add_connection(Connection(x, z, w=np.full((4, 3), 1.0)), "input layer", "exc_1")
    m = Monitor(y, ["s"])
    net.add_monitor(m, "spikes of exc-1")
    drive = np.ones((40, 4))
    net.run(inputs={"input layer": drive}, time=40)
    names = [o.name for o in net._net.objects]
    assert len(set(names)) == len(names) and "exc_1" in names and "exc_1_1" in names
    before = m.get("s").sum()
    engine = net._net
    y.thresh = -60.0  # 4 mV per step from -65: crosses -60 in 2 steps instead of 4 (-52)
    net.reset_state_variables()
    net.run(inputs={"input layer": drive}, time=40)
    assert net._net is engine and m.get("s").sum() > 1.5 * before > 0


@pytest.mark.parametrize("dt", [1.0, 0.5])
def test_rmax_follows_its_equations_on_the_spikes_drawn(dt):
    """Rmax (Vasilaki et al. 2009): given the run's own spikes, spike probabilities and additive traces (as
    recorded), a numpy transcription of the eligibility and weight updates gives the same weights."""
    from snngen.ml import Rmax, SRM0Nodes

    spikes, w = _data(2, 3.0)
    net = Network(dt=dt, dtype="float64", seed=7)
    x, y = Input(N_IN, traces=True, traces_additive=True, tc_trace=10.0), SRM0Nodes(N)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conn = Connection(x, y, w=w, update_rule=Rmax, nu=0.05, wmin=-1.0, wmax=4.0, tc_c=3.0, tc_e_trace=15.0)
    net.add_connection(conn, "X", "Y")
    mx, my = Monitor(x, ["x"]), Monitor(y, ["s", "s_prob"])
    net.add_monitor(mx, "X")
    net.add_monitor(my, "Y")
    net.run(inputs={"X": spikes}, time=T * dt, reward=0.7)
    xs, s, p = mx.get("x")[:, 0], my.get("s")[:, 0].astype(float), my.get("s_prob")[:, 0]
    assert s.sum() > 5 and ((p > 0.05) & (p < 0.95)).any()
    e, ww = np.zeros_like(w), w.copy()
    for t in range(T):
        e = e * (1 - dt / 15.0) + np.outer(xs[t], s[t] - p[t] / (1 + 3.0 / dt * p[t]))
        ww = np.clip(ww + 0.05 * 0.7 * e, -1.0, 4.0)
    np.testing.assert_allclose(conn.w, ww, atol=1e-9)
    with pytest.raises(ModelError, match="additive traces"):
        Connection(Input(2, traces=True), y, update_rule=Rmax)
    with pytest.raises(ModelError, match="s_prob"):
        Connection(x, LIFNodes(2), update_rule=Rmax)


def test_monitor_of_a_connections_weights_records_them_after_each_steps_learning():
    spikes, w = _data(14, 6.0)
    mask = np.random.default_rng(3).random(w.shape) < 0.5
    net = Network(dtype="float64")
    x, y = Input(N_IN, traces=True), LIFNodes(N, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    conn = SparseConnection(x, y, w=np.where(mask, w, 0.0), update_rule=PostPre, nu=(2e-2, 5e-2), wmin=0, wmax=8)
    net.add_connection(conn, "X", "Y")
    mw = Monitor(conn, ["w"])
    net.add_monitor(mw, "w")
    net.run(inputs={"X": spikes}, time=T)
    rx, ry = ref.Layer("input", N_IN, traces=True), ref.Layer("lif", N, traces=True)
    rc = ref.Conn(rx, ry, np.where(mask, w, 0.0), rule="PostPre", nu=(2e-2, 5e-2), wmin=0, wmax=8, mask=mask)
    hist = []
    for t in range(T):
        inp = rx.s.astype(float) @ rc.w
        rx.step(spikes[t].astype(float), 1.0)
        ry.step(inp, 1.0)
        rc.learn()
        hist.append(rc.w.copy())
    got = mw.get("w")
    assert got.shape == (T, N_IN, N)
    np.testing.assert_allclose(got, np.array(hist), atol=1e-9)
    np.testing.assert_array_equal(got[-1], conn.w)
    with pytest.raises(ModelError, match="records the weights 'w'"):
        Monitor(conn, ["v"])


def test_a_rebuild_keeps_each_copys_state_and_a_resize_keeps_only_theta():
    """Adding a monitor between runs rebuilds the network: a batch's copies go on from their own state. Inputs
    with another batch size resize the network (BindsNET's behaviour): the state is reset, theta kept."""
    rng = np.random.default_rng(9)
    spikes = rng.random((T, 3, N_IN)) < 0.3
    w = rng.random((N_IN, N)) * 6

    def network(node=LIFNodes, **kw):  # (theta's copies are summed after each run: not for the comparison)
        net = Network(dtype="float64", batch_size=3)
        x, y = Input(N_IN), node(N, **kw)
        net.add_layer(x, "X")
        net.add_layer(y, "Y")
        net.add_connection(Connection(x, y, w=w), "X", "Y")
        return net, y

    a, ya = network()
    a.run(inputs={"X": spikes}, time=T)
    b, yb = network()
    b.run(inputs={"X": spikes[: T // 2]}, time=T // 2)
    b.add_monitor(Monitor(yb, ["v"]), "M")  # a rebuild between the halves
    b.run(inputs={"X": spikes[T // 2:]}, time=T // 2)
    assert not np.allclose(ya.v[0], ya.v[1])
    np.testing.assert_allclose(yb.v, ya.v, atol=1e-12)
    np.testing.assert_allclose(yb.refrac_count, ya.refrac_count, atol=1e-12)
    c, yc = network(AdaptiveLIFNodes, theta_plus=0.5)
    c.run(inputs={"X": spikes}, time=T)
    theta = yc.theta[0].copy()
    assert theta.any()
    c.run(inputs={"X": np.zeros((1, 2, N_IN))}, time=1)  # batch 2: resized, reset, theta kept
    assert yc.v.shape == (2, N) and c.batch_size == 2
    np.testing.assert_allclose(yc.theta, np.broadcast_to(theta * np.exp(-1 / 1e7), (2, N)), rtol=1e-12)
    np.testing.assert_array_equal(yc.v, -65.0 + 0 * yc.v)
