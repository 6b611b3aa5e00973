"""BindsNET's way of working (layers, connections, learning rules, monitors, encoders) on snngen's engine.

So far: the spike encoders (:mod:`snngen.ml.encoding`).
"""

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

__all__ = [
    "BernoulliEncoder", "PoissonEncoder", "RankOrderEncoder", "RepeatEncoder", "SingleEncoder", "bernoulli",
    "bernoulli_loader", "poisson", "poisson_loader", "rank_order", "rank_order_loader", "repeat", "single",
]
