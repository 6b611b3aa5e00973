#!/usr/bin/env bash
# The CUDA backend's device check in one command, for a lent H100/H200 (offline; numba-cuda,
# CuPy, sympy and jinja2 are in its image):  bash benchmarks/gpu_check.sh
# Runs the CUDA tests on the real device (gpu-marked ones included), the paper benchmark at
# N = 1k, 10k, 40k (float32) and CUBA; copies logs and CSVs to $OUT (or /tmp/gpu-check).
set -uo pipefail
export SNNGEN_CACHE_DIR="${SNNGEN_CACHE_DIR:-/tmp/snngen-cache}" PYTHONUNBUFFERED=1 SNNGEN_TEST_GPU=1
OUT="${OUT:-/tmp/gpu-check}"
mkdir -p "$OUT"
python3 -m pip install -q --no-deps --no-build-isolation -e . >"$OUT/install.log" 2>&1 || { cat "$OUT/install.log"; exit 1; }
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import numpy, numba, numba_cuda, cupy; print("numpy", numpy.__version__, "numba", numba.__version__,
              "numba-cuda", numba_cuda.__version__, "cupy", cupy.__version__)'; } | tee "$OUT/device.txt"
timeout 240 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tee "$OUT/tests.log"
timeout 240 python3 benchmarks/paper_benchmark.py --backend cuda --sizes 1000 10000 40000 --dtypes float32 \
    --repeats 2 2>&1 | tee "$OUT/paper.log"
timeout 90 python3 benchmarks/cuba_benchmark.py --backend cuda --repeats 2 2>&1 | tee "$OUT/cuba.log"
cp benchmarks/results/paper_cuda.csv benchmarks/results/cuba_cuda.csv "$OUT/" 2>/dev/null
exit 0
