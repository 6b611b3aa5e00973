"""The global seed: ``snngen.seed(n)`` makes every random draw reproducible.

Draws are counter-based (Philox4x32-10, :mod:`snngen.runtime.rng`) keyed by
(seed, stream, index, step, draw), so a seed gives the same numbers whatever
the thread count or backend.  Without a call to :func:`seed`, a fresh seed is
drawn from the operating system at import.

Each object that draws random numbers takes a *stream* when it is created: a
number made from the seed in force then and how many objects were created since
that seed was set.  So ``seed(7)`` followed by the same construction code gives
the same streams, and the same spikes, however many networks the process built
before (a notebook re-running a cell, a parameter sweep); names play no part.
Objects created under different seeds, or at different places after one, draw
independent streams.
"""

from __future__ import annotations

import zlib

import numpy as np

_state = {"seed": int(np.random.SeedSequence().entropy & 0xFFFFFFFF), "created": 0}


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
    return _state["seed"]


def new_stream():
    """The random stream of an object created now (a 31-bit number)."""
    k = _state["created"]
    _state["created"] += 1
    return zlib.crc32(f"{_state['seed']}:{k}".encode()) & 0x7FFFFFFF
