"""Test session set-up.

The CUDA backend's tests run its kernels on Numba's CUDA simulator unless
``SNNGEN_TEST_GPU=1`` asks for the real device (then the ``gpu``-marked tests run
too).  The simulator must be chosen before numba.cuda is first imported.

The tests compile into a cache directory of their own (a fresh one per session, removed at
the end), never the user's: a stale entry in the user's cache could hide a bug, and the
tests' entries would fill it.  ``SNNGEN_TEST_CACHE_DIR`` names one to keep between sessions.
"""

import os
import shutil
import tempfile

if os.environ.get("SNNGEN_TEST_GPU", "0") in ("", "0"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

_KEEP = os.environ.get("SNNGEN_TEST_CACHE_DIR")
_CACHE = _KEEP or tempfile.mkdtemp(prefix="snngen-test-cache-")
os.environ["SNNGEN_CACHE_DIR"] = _CACHE  # read by snngen.prefs at import, and by subprocesses


def pytest_sessionfinish(session, exitstatus):
    if not _KEEP:
        shutil.rmtree(_CACHE, ignore_errors=True)
