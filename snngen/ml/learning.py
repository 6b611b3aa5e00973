"""Learning rules (BindsNET's ``bindsnet.learning``) as synaptic code run by the engine's event-driven pathways.

A rule here is what a spike of the presynaptic layer (``pre``) and of the postsynaptic layer (``post``) add
to a weight, as expressions of the weight *before* this step's change, the spikes ``s`` and the traces
``x`` of this step (after their update: a layer's trace is ``trace_scale`` in the step it spikes):

=========================  =====================================  =====================================
rule                       at a presynaptic spike                 at a postsynaptic spike
=========================  =====================================  =====================================
``NoOp``                   --                                     --
``PostPre``                ``- nu_pre*x_post``                    ``+ nu_post*x_pre``
``WeightDependentPostPre`` ``- nu_pre*x_post*(w - wmin)``         ``+ nu_post*x_pre*(wmax - w)``
``Hebbian``                ``+ nu_pre*x_post``                    ``+ nu_post*x_pre``
=========================  =====================================  =====================================

Then, every step and for every synapse, as BindsNET: ``w = w*(1 - weight_decay)`` (when non-zero) and
``w = clip(w, wmin, wmax)``.  Both terms of a step use the weight before the step (a synapse whose
neurons both spike takes both terms at once), so the result equals BindsNET's dense update
``w += -nu_pre*(s_pre (x) x_post) + nu_post*(x_pre (x) s_post)``, at a cost proportional to the spikes.
With a batch, the copies' changes are summed (``reduction="sum"``, BindsNET's default) or averaged
(``"mean"``) into the one weight matrix at the end of each step.

``PostPre`` is the pair-based STDP of BindsNET (nearest-spike traces set to 1, Morrison et al. 2008,
section 4.1.2); ``DiehlAndCook2015`` trained with it is BindsNET's model, not the paper's rule (their
eq. 3, with a target trace and a weight dependence: not built yet).
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import ModelError

__all__ = ["DiehlAndCook", "Hebbian", "LearningRule", "MSTDP", "MSTDPET", "NoOp", "PostPre", "Rmax",
           "WeightDependentPostPre"]


class LearningRule:
    """A rule: ``pre_term``/``post_term`` (expressions added to ``w`` at a pre/postsynaptic spike, or None)."""

    pre_term = None
    post_term = None
    needs_bounds = False
    needs_reward = False
    model = ()  # synaptic variables of the rule's own state ("name : 1"), cleared by a reset
    # a rule that needs a reward: the per-neuron variable of the target layer that holds each copy's reward
    # during a run (set by the network when it builds the engine objects; the rule reads it as "<name>_post")
    reward_var = None

    def layer_traces(self, k):
        """Traces of the rule's own that the layers keep: ``[(layer, variable, tc, increment)]`` (the
        variable decays with time constant ``tc`` ms and grows by ``increment`` at each spike); ``k`` numbers
        the connection, so that two connections' traces on one layer have their own names."""
        return []

    def _reward(self):
        """The reward in the rule's synaptic code: the target layer's per-neuron variable that the network sets,
        before each run, to the reward of each copy (one per copy of a batch; every node of a copy the same)."""
        if self.reward_var is None:
            raise ModelError(f"{type(self).__name__}: the reward's variable is set when a Network builds the "
                             "connection")
        return f"{self.reward_var}_post"

    def __init__(self, connection, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        if kwargs:
            name = sorted(kwargs)[0]
            raise ModelError(f"{type(self).__name__} has no option '{name}'")
        self.connection = connection
        if nu is None:
            nu = (0.0, 0.0)
        nu = np.asarray(nu, dtype=np.float64)
        if nu.ndim == 0:
            nu = np.array([nu, nu])
        if nu.shape != (2,):
            raise ModelError(f"{type(self).__name__}: nu is a number or a pair (pre, post), not {nu.tolist()}")
        self.nu = nu
        if reduction is None:
            reduction = "sum"
        if callable(reduction):
            reduction = getattr(reduction, "__name__", "")
        if reduction not in ("sum", "mean"):
            raise ModelError(f"{type(self).__name__}: reduction over the batch is 'sum' or 'mean', not {reduction!r}")
        self.reduction = reduction
        self.weight_decay = float(weight_decay or 0.0)
        if not 0.0 <= self.weight_decay < 1.0:
            raise ModelError(f"{type(self).__name__}: weight_decay must be in [0, 1), not {weight_decay}")
        if self.needs_bounds and not (math.isfinite(connection.wmin) and math.isfinite(connection.wmax)):
            raise ModelError(f"{type(self).__name__} needs finite wmin and wmax on its connection "
                             f"(it has [{connection.wmin}, {connection.wmax}])")

    def terms(self):
        """(pre term, post term), None where the rule (or a zero ``nu``) has none."""
        pre = self.pre_term if self.pre_term is not None and self.nu[0] != 0 else None
        post = self.post_term if self.post_term is not None and self.nu[1] != 0 else None
        return pre, post

    def code(self, clip=True, shared=False):
        """``(on_pre, on_post, every_step)`` statements for the connection's weight ``w``; the clipping is
        in the pathways, or in ``every_step`` with a weight decay; ``clip=False``: none (a batch clips the
        weight once the copies' changes are summed).  ``shared``: ``w`` is an entry that many synapses share
        (a convolution's kernel): the statements add their changes (``w += ...``), which must not read ``w``,
        and the connection clips the entries once all synapses have added theirs."""
        pre, post = self.terms()
        if shared:
            if self.weight_decay:
                raise ModelError(f"{type(self).__name__}: weight_decay on shared (convolution) weights is not "
                                 "supported yet")
            if any(t is not None and re.search(r"\bw\b", t) for t in (pre, post)):
                raise ModelError(f"{type(self).__name__} reads the weight; on shared (convolution) weights only "
                                 "rules whose change does not depend on it are supported (PostPre, Hebbian)")
            if pre is not None and post is not None:
                return f"w += s_post*({post}) + ({pre})", f"w += (1 - s_pre)*({post})", None
            return (f"w += {pre}" if pre is not None else None), (f"w += {post}" if post is not None else None), None
        clip_each_step = self.weight_decay != 0.0

        def clip_(expr):
            return expr if clip_each_step or not clip else f"clip({expr}, wmin, wmax)"

        on_pre = on_post = None
        if pre is not None and post is not None:
            # both spike: both terms at once from the weight before the step (the post pathway then adds none)
            on_pre = f"w = {clip_(f'w + (s_post*({post}) + ({pre}))')}"
            on_post = f"w = {clip_(f'w + (1 - s_pre)*({post})')}"
        elif pre is not None:
            on_pre = f"w = {clip_(f'w + ({pre})')}"
        elif post is not None:
            on_post = f"w = {clip_(f'w + ({post})')}"
        every = ("w = clip(w*(1 - weight_decay), wmin, wmax)" if clip else "w = w*(1 - weight_decay)") \
            if clip_each_step else None
        return on_pre, on_post, every

    @property
    def layers_needing_traces(self):
        pre, post = self.terms()
        out = []
        if post is not None and "x_pre" in post or pre is not None and "x_pre" in pre:
            out.append(self.connection.source)
        if pre is not None and "x_post" in pre or post is not None and "x_post" in post:
            out.append(self.connection.target)
        return out


class NoOp(LearningRule):
    """No learning; a ``weight_decay`` still shrinks the weights every step."""

    def code(self, clip=True, shared=False):
        if self.weight_decay:
            if shared:
                raise ModelError("NoOp: weight_decay on shared (convolution) weights is not supported yet")
            return None, None, "w = w*(1 - weight_decay)"
        return None, None, None


class PostPre(LearningRule):
    """Pair-based STDP: depression ``nu_pre*x_post`` at a presynaptic spike, potentiation ``nu_post*x_pre``
    at a postsynaptic spike."""

    pre_term = "-nu_pre*x_post"
    post_term = "nu_post*x_pre"


class WeightDependentPostPre(LearningRule):
    """PostPre with soft bounds: depression scaled by ``w - wmin``, potentiation by ``wmax - w``."""

    pre_term = "-nu_pre*x_post*(w - wmin)"
    post_term = "nu_post*x_pre*(wmax - w)"
    needs_bounds = True


class Hebbian(LearningRule):
    """Hebbian: both a presynaptic spike (``nu_pre*x_post``) and a postsynaptic one (``nu_post*x_pre``)
    strengthen the weight."""

    pre_term = "nu_pre*x_post"
    post_term = "nu_post*x_pre"


class DiehlAndCook(LearningRule):
    """The rule of Diehl & Cook (2015), Front Comput Neurosci 9:99, section 2.3 (eq. 3): at each postsynaptic
    spike, ``w += nu[1]*(x_pre - x_tar)*(wmax - w)**mu``; presynaptic spikes change nothing.  ``x_tar`` (0)
    is the target trace, ``mu`` (1) the weight dependence (the paper gives no values: these are BindsNET's).
    Needs a finite ``wmax`` and source traces (the paper's are additive: ``traces_additive=True``)."""

    def __init__(self, connection, nu=None, reduction=None, weight_decay=0.0, x_tar=0.0, mu=1.0, **kwargs):
        super().__init__(connection, nu, reduction, weight_decay, **kwargs)
        self.x_tar, self.mu = float(x_tar), float(mu)
        if not math.isfinite(connection.wmax):
            raise ModelError(f"DiehlAndCook needs a finite wmax (the paper's w_max), not {connection.wmax}")
        factor = "(wmax - w)" if self.mu == 1.0 else f"clip(wmax - w, 0, inf)**{self.mu!r}"
        self.post_term = f"nu_post*(x_pre - {self.x_tar!r})*{factor}"


class MSTDP(LearningRule):
    """Reward-modulated STDP (Florian 2007, Neural Comput 19:1468, eqs. 4-5 with the eligibility of the
    nearest-neighbour traces): each layer keeps a trace of its spikes, ``P+`` (source: decays with
    ``tc_plus``, grows by ``a_plus`` at a spike) and ``P-`` (target: ``tc_minus``, ``a_minus``); each step the
    weight changes by ``nu[0]*reward*zeta`` with the eligibility ``zeta = P+ (x) s_post + s_pre (x) P-`` of the
    previous step (of this step with ``zero_lag=True``).  ``reward`` is ``run(..., reward=r)`` (after the
    network's ``reward_fn``): a number, or one per copy of a batched network, each copy's change then made
    with its own reward before the copies' changes are summed (or averaged) into the shared weights; ``a_plus``
    and ``a_minus`` (1 and -1) may be given to ``run`` too.  Every synapse is updated every step."""

    needs_reward = True
    model = ("zeta : 1",)

    def __init__(self, connection, nu=None, reduction=None, weight_decay=0.0, tc_plus=20.0, tc_minus=20.0,
                 zero_lag=False, **kwargs):
        super().__init__(connection, nu, reduction, weight_decay, **kwargs)
        self.tc_plus, self.tc_minus, self.zero_lag = float(tc_plus), float(tc_minus), bool(zero_lag)
        self.a_plus, self.a_minus = 1.0, -1.0

    def layer_traces(self, k):
        return [(self.connection.source, f"pplus{k}", self.tc_plus, "a_plus"),
                (self.connection.target, f"pminus{k}", self.tc_minus, "a_minus")]

    def _zeta(self):
        k = self.connection._index
        return f"zeta = pplus{k}_pre*s_post + s_pre*pminus{k}_post"

    def _change(self):
        return f"w = w + nu_pre*{self._reward()}*zeta"

    def code(self, clip=True, shared=False):
        if shared:
            raise ModelError(f"{type(self).__name__} on shared (convolution) weights is not supported yet")
        first, second = (self._zeta(), self._change()) if self.zero_lag else (self._change(), self._zeta())
        last = "w = clip(w*(1 - weight_decay), wmin, wmax)" if clip else "w = w*(1 - weight_decay)"
        return None, None, "\n".join([first, second, last])


class MSTDPET(MSTDP):
    """Reward-modulated STDP with an eligibility trace (Florian 2007, eqs. 6-7): the eligibility ``zeta`` of
    :class:`MSTDP` feeds a trace ``e <- e*exp(-dt/tc_e_trace) + zeta/tc_e_trace``, and each step the weight
    changes by ``nu[0]*dt*reward*e``."""

    model = ("zeta : 1", "e_trace : 1")

    def __init__(self, connection, nu=None, reduction=None, weight_decay=0.0, tc_plus=20.0, tc_minus=20.0,
                 tc_e_trace=25.0, zero_lag=False, **kwargs):
        super().__init__(connection, nu, reduction, weight_decay, tc_plus, tc_minus, zero_lag, **kwargs)
        self.tc_e_trace = float(tc_e_trace)

    def _change(self):
        return ("e_trace = e_trace*exp(-dt_ms/tc_e_trace) + zeta/tc_e_trace\n"
                f"w = w + nu_pre*dt_ms*{self._reward()}*e_trace")


class Rmax(LearningRule):
    """R-max (Vasilaki et al. 2009, PLoS Comput Biol 5:e1000586, eqs. 6-8): for a target of stochastic
    ``SRM0Nodes`` (spike probability ``s_prob``) and a source with additive traces, each step
    ``e <- e*(1 - dt/tc_e_trace) + (s_post - s_prob/(1 + tc_c/dt*s_prob))*x_pre`` and the weight changes by
    ``nu[0]*reward*e`` (``reward`` as :class:`MSTDP`'s: per copy of a batch).  ``tc_c`` (5 ms) balances the
    policy gradient (0) and naive Hebbian learning (inf).
    Every synapse is updated every step."""

    needs_reward = True
    model = ("e_trace : 1",)

    def __init__(self, connection, nu=None, reduction=None, weight_decay=0.0, tc_c=5.0, tc_e_trace=25.0, **kwargs):
        super().__init__(connection, nu, reduction, weight_decay, **kwargs)
        self.tc_c, self.tc_e_trace = float(tc_c), float(tc_e_trace)
        self.a_plus, self.a_minus = 1.0, -1.0
        if not (connection.source.traces and connection.source.traces_additive):
            raise ModelError("Rmax needs a source layer with additive traces (traces=True, traces_additive=True)")
        if "s_prob" not in connection.target._spec.variables:
            raise ModelError("Rmax needs stochastically firing target nodes that give their spike probability "
                             "s_prob (SRM0Nodes)")

    def code(self, clip=True, shared=False):
        if shared:
            raise ModelError("Rmax on shared (convolution) weights is not supported")
        last = "w = clip(w*(1 - weight_decay), wmin, wmax)" if clip else "w = w*(1 - weight_decay)"
        return None, None, "\n".join([
            "e_trace = e_trace*(1 - dt_ms/tc_e_trace) + (s_post - s_prob_post/(1 + tc_c/dt_ms*s_prob_post))*x_pre",
            f"w = w + nu_pre*{self._reward()}*e_trace", last])
