"""The CUDA backend: the network's equations as numba-cuda kernels, launched step by step
(or replayed as a CUDA graph on a real device).

Importing this package imports numba-cuda; :func:`require` gives the clear error a
user sees when there is no GPU, driver or numba-cuda.  ``NUMBA_ENABLE_CUDASIM=1``
runs the same kernels on Numba's CUDA simulator (slow: for tests of small networks).
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import ModelError

# numba-cuda 0.30 still registers numpy.row_stack, which numpy 2.5 removed: its import fails
# there with AttributeError.  row_stack was an alias of vstack, so restore the alias first.
if not hasattr(np, "row_stack"):
    np.row_stack = np.vstack

_INSTALL = "pip install 'snngen[cuda]'"


def simulator():
    """True when Numba's CUDA simulator stands in for a device (``NUMBA_ENABLE_CUDASIM=1``)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _quiet_simulator():
    """On the simulator the Philox code runs on numpy int64 scalars, whose (intended) wrap-around
    multiplications warn; the compiled code wraps silently."""
    import warnings

    warnings.filterwarnings("ignore", "overflow encountered in scalar", RuntimeWarning, "snngen.runtime.rng")


def require():
    """Import numba.cuda and check that a device (or the simulator) is there; else a clear error."""
    try:
        from numba import cuda
    except ImportError as exc:  # numba without numba-cuda
        raise ModelError(f"backend='cuda' needs numba-cuda ({_INSTALL}); importing it failed: {exc}") from None
    if simulator():
        _quiet_simulator()
        return cuda
    try:
        ok = cuda.is_available()
    except Exception as exc:  # driver present but broken
        raise ModelError(f"backend='cuda' needs a working NVIDIA driver; numba-cuda reported: {exc}") from None
    if not ok:
        raise ModelError("backend='cuda' needs an NVIDIA GPU with a working driver, and none was found "
                         f"(numba.cuda.is_available() is False). Install: {_INSTALL}. To run the CUDA "
                         "kernels without a GPU (slowly, for tests), set NUMBA_ENABLE_CUDASIM=1 before "
                         "importing snngen.")
    return cuda


def available():
    """True if ``backend='cuda'`` can run here (a device, or the simulator)."""
    try:
        require()
    except ModelError:
        return False
    return True
