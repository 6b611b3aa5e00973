"""Start Numba's one-time initialisation in the background at ``import snngen``.

At the first compiled call of a process Numba loads its typing and lowering
registries (and, when SciPy is installed, imports SciPy's BLAS bindings to probe
for BLAS): about 0.5 s on a 2-core machine, whether the machine code comes from
the cache or not.  snngen starts that work in a daemon thread as soon as it is
imported, so it overlaps with the user's own set-up (reading data, building
weights: numpy releases the GIL); the first compiled call then waits for it
under Numba's own compiler lock instead of doing it again.  Set
``SNNGEN_NO_PREWARM=1`` to turn it off.
"""

from __future__ import annotations

import os
import threading


def _refresh():
    try:
        from numba.core import registry
        from numba.core.compiler_lock import global_compiler_lock

        with global_compiler_lock:
            registry.cpu_target.target_context.refresh()
    except Exception:  # an optimisation only: the first compiled call does the same work
        pass


def start():
    """The warm-up thread, or None when disabled."""
    if os.environ.get("SNNGEN_NO_PREWARM"):
        return None
    thread = threading.Thread(target=_refresh, name="snngen-numba-warmup", daemon=True)
    thread.start()
    return thread
