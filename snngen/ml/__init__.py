"""BindsNET's way of working (layers, connections, learning rules, monitors, encoders) on snngen's engine.

>>> from snngen.ml import Network, Input, LIFNodes, Connection, PostPre, Monitor
>>> net = Network(dt=1.0)
>>> net.add_layer(Input(n=784, traces=True), name="X")
>>> net.add_layer(LIFNodes(n=100, traces=True), name="Y")
>>> net.add_connection(Connection(net.layers["X"], net.layers["Y"], update_rule=PostPre, nu=(1e-4, 1e-2),
...                               wmin=0, wmax=1, norm=78.4), source="X", target="Y")
>>> net.run(inputs={"X": spikes}, time=250)                    # doctest: +SKIP

Each layer is an engine NeuronGroup from a node file (``models/nodes/``), each connection a Synapses
object whose learning rule is event-driven synaptic code, and ``run`` is one call of the compiled loop, in
BindsNET's step order (:mod:`snngen.ml.network`).
"""

from .action import select_first_spike, select_highest, select_multinomial, select_random, select_softmax
from .datasets import (
    CIFAR10,
    CIFAR100,
    KMNIST,
    MNIST,
    MNIST5000,
    DataLoader,
    Digits,
    FashionMNIST,
    ImageDataset,
)
from .encoding import (
    BernoulliEncoder,
    PoissonEncoder,
    RankOrderEncoder,
    RepeatEncoder,
    SingleEncoder,
    bernoulli,
    bernoulli_loader,
    poisson,
    poisson_loader,
    rank_order,
    rank_order_loader,
    repeat,
    single,
)
from .environment import GymEnvironment
from .evaluation import (
    LogisticReadout,
    all_activity,
    assign_labels,
    logreg_fit,
    logreg_predict,
    ngram,
    proportion_weighting,
    update_ngram_scores,
)
from .learning import MSTDP, MSTDPET, DiehlAndCook, Hebbian, LearningRule, NoOp, PostPre, Rmax, WeightDependentPostPre
from .models import (
    DiehlAndCook2015,
    DiehlAndCook2015v2,
    IncreasingInhibitionNetwork,
    LocallyConnectedNetwork,
    TwoLayerNetwork,
)
from .monitors import Monitor, NetworkMonitor
from .network import Network, Rates
from .nodes import (
    AdaptiveLIFNodes,
    BoostedLIFNodes,
    CurrentLIFNodes,
    DiehlAndCookNodes,
    IFNodes,
    Input,
    IzhikevichNodes,
    LIFNodes,
    McCullochPitts,
    Nodes,
    SRM0Nodes,
    SubtractiveResetIFNodes,
)
from .pipelines import DataLoaderPipeline, EnvironmentPipeline
from .reward import AbstractReward, MovingAvgRPE
from .topology import (
    AbstractConnection,
    Connection,
    Conv1dConnection,
    Conv2dConnection,
    LocalConnection,
    LocalConnection1D,
    LocalConnection2D,
    MaxPool1dConnection,
    MaxPool2dConnection,
    MeanFieldConnection,
    SparseConnection,
)
from .training import SpikeCounter, collect_counts, evaluate, present, train_unsupervised

__all__ = [
    "AbstractConnection", "AdaptiveLIFNodes", "BernoulliEncoder", "BoostedLIFNodes", "Connection",
    "Conv1dConnection", "Conv2dConnection", "CurrentLIFNodes", "DiehlAndCook", "DiehlAndCookNodes", "Hebbian",
    "IFNodes", "Input", "IzhikevichNodes", "LIFNodes", "LearningRule", "LocalConnection", "LocalConnection1D",
    "LocalConnection2D", "MSTDP", "MSTDPET", "MaxPool1dConnection", "MaxPool2dConnection", "McCullochPitts",
    "MeanFieldConnection", "Monitor", "Network", "NetworkMonitor", "NoOp", "Nodes", "PoissonEncoder", "PostPre",
    "RankOrderEncoder", "Rates", "RepeatEncoder", "Rmax", "SRM0Nodes", "SingleEncoder", "SparseConnection",
    "SubtractiveResetIFNodes", "WeightDependentPostPre", "bernoulli", "bernoulli_loader", "poisson",
    "poisson_loader", "rank_order", "rank_order_loader", "repeat", "single",
    # datasets, evaluation, ready models, training loops (plots: snngen.ml.plotting, needs matplotlib)
    "CIFAR10", "CIFAR100", "DataLoader", "DiehlAndCook2015", "DiehlAndCook2015v2", "Digits", "FashionMNIST",
    "ImageDataset", "IncreasingInhibitionNetwork", "KMNIST", "LocallyConnectedNetwork", "LogisticReadout", "MNIST",
    "MNIST5000", "SpikeCounter", "TwoLayerNetwork", "all_activity", "assign_labels", "collect_counts", "evaluate",
    "logreg_fit", "logreg_predict", "ngram", "present", "proportion_weighting", "train_unsupervised",
    "update_ngram_scores",
    # reinforcement learning (gymnasium: pip install snngen[rl])
    "AbstractReward", "DataLoaderPipeline", "EnvironmentPipeline", "GymEnvironment", "MovingAvgRPE",
    "select_first_spike", "select_highest", "select_multinomial", "select_random", "select_softmax",
]
