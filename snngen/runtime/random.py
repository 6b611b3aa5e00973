"""The global seed: ``snngen.seed(n)`` makes every random draw reproducible.

Draws are counter-based (Philox4x32-10, :mod:`snngen.runtime.rng`) keyed by
(seed, object, index, step, draw), so a seed gives the same numbers whatever
the thread count or backend.  Without a call to :func:`seed`, a fresh seed is
drawn from the operating system at import.
"""

from __future__ import annotations

import numpy as np

_state = {"seed": int(np.random.SeedSequence().entropy & 0xFFFFFFFF)}


def seed(value=None):
    """Set the seed of all random draws (``None``: a fresh one from the OS)."""
    if value is None:
        value = np.random.SeedSequence().entropy
    _state["seed"] = int(value) & 0xFFFFFFFF


def current_seed():
    return _state["seed"]
