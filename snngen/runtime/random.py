"""The global seed: ``snngen.seed(n)`` makes every random draw reproducible.

Draws are counter-based (Philox4x32-10, :mod:`snngen.runtime.rng`) keyed by
(seed, stream, index, step, draw), so a seed gives the same numbers whatever
the thread count or backend.

Each object that draws random numbers takes a *stream* when it is created: a
number made from the seed in force then and how many objects were created since
that seed was set.  So ``seed(7)`` followed by the same construction code gives
the same streams, and the same spikes, however many networks the process built
before (a notebook re-running a cell, a parameter sweep); names play no part.
Objects created under different seeds, or at different places after one, draw
independent streams.

Until :func:`seed` is called, each object's stream is drawn from numpy's global
generator instead (as Brian2's numpy and Cython targets draw their numbers from
it): fresh in each process, and reproducible after ``np.random.seed(n)``.
"""

from __future__ import annotations

import zlib

import numpy as np

_state = {"seed": None, "created": 0}  # seed None: streams from numpy's global generator


def seed(value=None):
    """Set the seed of all random draws (``None``: a fresh one from the OS).

    Like Brian2's ``seed``, this also seeds numpy's global generator (``np.random.rand`` ...),
    and it restarts the numbering of the random streams of objects created from now on.
    """
    if value is None:
        value = np.random.SeedSequence().entropy
    _state["seed"] = int(value) & 0xFFFFFFFF
    _state["created"] = 0
    np.random.seed(_state["seed"])


def current_seed():
    return 0 if _state["seed"] is None else _state["seed"]


def new_stream():
    """The random stream of an object created now (a 31-bit number)."""
    if _state["seed"] is None:
        return int(np.random.randint(0, 2**31))
    k = _state["created"]
    _state["created"] += 1
    return zlib.crc32(f"{_state['seed']}:{k}".encode()) & 0x7FFFFFFF
