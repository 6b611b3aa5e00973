"""Every CUDA kernel template, compiled to PTX by numba-cuda and NVVM for a Hopper GPU (sm_90).

The simulator runs kernels as Python, so it accepts code a device would refuse (an unsupported
function, types that do not unify).  This compiles the kernels of networks that cover every
template and code path (``snngen.cuda.ptx.networks``) with the real compiler, in a process
without the simulator.  Needs no GPU: only NVVM (the CUDA toolkit) and NVRTC
(``nvidia-cuda-nvrtc``); skipped, with the reason, where they are missing.
"""

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_every_kernel_compiles_to_ptx():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    out = subprocess.run([sys.executable, "-m", "snngen.cuda.ptx"], env=env, capture_output=True, text=True,
                         timeout=900)
    if out.returncode == 77:
        pytest.skip(out.stdout.strip().splitlines()[-1])
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("all ") and int(last.split()[1]) > 200, last
