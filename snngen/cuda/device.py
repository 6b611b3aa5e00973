"""Device functions shared by every generated CUDA module: the same Philox streams as the
CPU backend (so a seed draws the same numbers on both), NaN reports and the clock."""

from __future__ import annotations

from numba import cuda

from ..runtime.rng import exprel_py, make_rng

_RNG = make_rng(cuda.jit(device=True))
uniform = _RNG.uniform
normal = _RNG.normal
poisson_gap = _RNG.poisson_gap
poisson = _RNG.poisson
binomial = _RNG.binomial
exprel = cuda.jit(device=True)(exprel_py)

# _ctl, the control block every kernel reads (int64):
#   [0] step of the chunk's first step   [1] halted: 0, or 1 + the step at which the run stopped
#   [2] NaN flag  [3] object id  [4] variable id  [5] index  [6] step   (as the CPU backend's _err)
CTL_SIZE = 7


@cuda.jit(device=True)
def sign(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


@cuda.jit(device=True)
def barrier():
    """``syncthreads`` for the one-block kernels (skipped when they run on one thread)."""
    if cuda.blockDim.x > 1:
        cuda.syncthreads()


@cuda.jit(device=True)
def report_nan(ctl, obj, var, index, step):
    """First NaN wins: record where it happened and halt the chunk at this step."""
    if cuda.atomic.cas(ctl, 2, 0, 1) == 0:
        ctl[3] = obj
        ctl[4] = var
        ctl[5] = index
        ctl[6] = step
        ctl[1] = step + 1


@cuda.jit(device=True)
def halt(ctl, step):
    """Stop the chunk before ``step`` (a recording buffer is full); the host grows it and goes on."""
    cuda.atomic.cas(ctl, 1, 0, step + 1)


@cuda.jit
def advance(ctl, nsteps):
    """End of a chunk: the clock moves on by the steps done."""
    if ctl[1] != 0:
        ctl[0] = ctl[1] - 1
    else:
        ctl[0] += nsteps
