"""Global settings: ``snngen.prefs.cache_dir``, ``.dtype``, ``.threads`` ...

Set them before building a network::

    import snngen
    snngen.prefs.dtype = "float32"
    snngen.prefs.cache_dir = "/tmp/my-cache"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

_FLOATS = {"float64": np.float64, "float32": np.float32}


def _default_cache_dir():
    env = os.environ.get("SNNGEN_CACHE_DIR")
    if env:
        return env
    import platformdirs

    return platformdirs.user_cache_dir("snngen")


@dataclass
class Prefs:
    """Settings read when a network is built (not per step)."""

    cache_dir: str = field(default_factory=_default_cache_dir)
    dtype: str = "float64"
    threads: int | None = None  # numba threads; None: numba's default (all cores)
    parallel_threshold: int = 50_000  # neuron groups at least this large update in parallel (prange)
    parallel_rows_threshold: int = 1000  # dense synapses onto at least this many targets split rows in parallel
    # a batched CPU network whose copies share variables (batch_shared) meets after every step: its copies run
    # in parallel only when there are at least this many per thread (else one after another)
    lockstep_parallel_copies: int = 8
    check_nan: bool = False
    report_period: float = 10.0  # seconds between progress updates
    cuda_block: int = 128  # threads per block of the CUDA kernels (a power of two, at most 1024)
    cuda_chunk: int = 1000  # steps per CUDA launch sequence (one CUDA graph on a device); the host checks between
    cuda_graphs: bool = True  # replay each chunk as a CUDA graph (real devices with CuPy; not the simulator)

    def __setattr__(self, name, value):
        if name not in self.__dataclass_fields__:
            from .equations.parser import suggest

            raise AttributeError(f"unknown preference '{name}'.{suggest(name, self.__dataclass_fields__)}")
        if name == "dtype":
            value = np.dtype(value).name
            if value not in _FLOATS:
                raise ValueError(f"dtype must be float32 or float64, not {value}")
        if name == "cuda_block" and (value < 32 or value > 1024 or value & (value - 1)):
            raise ValueError(f"cuda_block must be a power of two from 32 to 1024, not {value}")
        object.__setattr__(self, name, value)

    @property
    def float_dtype(self):
        return _FLOATS[self.dtype]


prefs = Prefs()
