"""Test session set-up.

The CUDA backend's tests run its kernels on Numba's CUDA simulator unless
``SNNGEN_TEST_GPU=1`` asks for the real device (then the ``gpu``-marked tests run
too).  The simulator must be chosen before numba.cuda is first imported.
"""

import os

if os.environ.get("SNNGEN_TEST_GPU", "0") in ("", "0"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
