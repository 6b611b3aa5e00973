#!/usr/bin/env bash
# Creates one virtual environment per peer simulator, from PyPI, OUTSIDE the repo:
#   ${SNNGEN_PEERS:-~/.cache/snngen-peers}/<peer>     (brian2, nest, bindsnet, annarchy)
# and records what got installed in benchmarks/results/peer_versions.txt.
#
#   bash benchmarks/peers/setup.sh [brian2] [nest] [bindsnet] [annarchy]    (default: all four)
#
# A peer that fails to install is reported as "not installed"; the others go on.
# ANNarchy 5.x is built from its sdist (CMake + g++, about a minute) and then compiles
# each network with g++ (~20 s cold); its networks are built under <root>/annarchy-build.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RESULTS="$HERE/../results"
ROOT="${SNNGEN_PEERS:-$HOME/.cache/snngen-peers}"
mkdir -p "$ROOT" "$RESULTS"
LOG="$ROOT/setup.log"
PEERS=("$@")
[ ${#PEERS[@]} -eq 0 ] && PEERS=(brian2 nest bindsnet annarchy)

find_python() {  # the newest of the given versions that exists, else python3.11
    for v in "$@"; do
        for p in "$(pyenv root 2>/dev/null)/versions/$v/bin/python" "$(command -v python$v 2>/dev/null)"; do
            [ -n "$p" ] && [ -x "$p" ] && "$p" -c 1 2>/dev/null && { echo "$p"; return; }
        done
    done
    command -v python3.11 || command -v python3
}

make_venv() {  # name python
    rm -rf "$ROOT/$1"
    "$2" -m venv "$ROOT/$1" && "$ROOT/$1/bin/python" -m pip install -q --upgrade pip
}

install_brian2() {
    local py; py="$(find_python 3.13 3.13.0)"
    make_venv brian2 "$py" || return 1
    local pip="$ROOT/brian2/bin/python -m pip"
    if "$py" -c 'import sys; sys.exit(sys.version_info < (3, 13))'; then
        $pip install -q brian2 cython setuptools || return 1
    else   # Brian2 2.11 needs Python >= 3.13: take the newest that supports this Python
        $pip install -q 'brian2<2.11' cython setuptools || return 1
    fi
    "$ROOT/brian2/bin/python" -c 'import brian2, Cython, numpy, sympy, sys; print("brian2", brian2.__version__, "| python", sys.version.split()[0], "| cython", Cython.__version__, "| numpy", numpy.__version__, "| sympy", sympy.__version__)'
}

install_nest() {
    make_venv nest "$(find_python 3.11)" || return 1
    "$ROOT/nest/bin/python" -m pip install -q nest-simulator || return 1
    "$ROOT/nest/bin/python" -c 'import sys, numpy, nest; print("nest", nest.__version__, "| python", sys.version.split()[0], "| numpy", numpy.__version__)' 2>/dev/null | tail -1
}

install_bindsnet() {
    make_venv bindsnet "$(find_python 3.11)" || return 1
    local py="$ROOT/bindsnet/bin/python"
    # CPU torch from local disk; BindsNET 0.3.4 pins a newer torch, hence --no-deps plus its other requirements.
    $py -m pip install -q torch==2.13.0 || return 1
    $py -m pip install -q --no-deps bindsnet==0.3.4 || return 1
    local deps
    deps="$($py - <<'PY'
import re
from importlib.metadata import requires
out = []
for r in requires("bindsnet") or []:
    if "extra ==" in r:
        continue
    name = re.split(r"[ ;<>=!~\[(]", r.strip(), maxsplit=1)[0].lower()
    if name in ("torch", "torchvision", "torchaudio"):
        continue
    out.append(r.split(";")[0].strip().replace(" ", ""))
print(" ".join(out))
PY
)"
    [ -n "$deps" ] && { $py -m pip install -q $deps || $py -m pip install -q $(echo "$deps" | sed -E 's/[<>=!~][^ ]*//g') || return 1; }
    # torchvision from PyPI cannot load beside this torch (torchvision::nms): BindsNET only needs it for its
    # dataset wrappers, so a stub package that fails loudly on use makes `import bindsnet` work.
    local site; site="$($py -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    if ! $py -c 'import torchvision' 2>/dev/null; then
        mkdir -p "$site/torchvision"
        cat > "$site/torchvision/__init__.py" <<'PY'
"""Stub written by snngen's benchmarks/peers/setup.sh: BindsNET imports torchvision for its dataset
wrappers only; the benchmark never uses them. Any attribute is a module whose use raises."""
import sys, types
__version__ = "0+stub"
class _Missing(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        def missing(*a, **k):
            raise ImportError("torchvision is a stub in this benchmark venv")
        return type(name, (), {"__init__": missing})
for _sub in ("datasets", "transforms", "models", "utils", "io", "ops"):
    _m = _Missing(f"torchvision.{_sub}")
    sys.modules[_m.__name__] = _m
    globals()[_sub] = _m
def __getattr__(name):
    return _Missing(f"torchvision.{name}")
PY
    fi
    $py -c 'import sys, warnings; warnings.simplefilter("ignore"); import torch, numpy, bindsnet; from importlib.metadata import version; print("bindsnet", version("bindsnet"), "| torch", torch.__version__, "| numpy", numpy.__version__, "| python", sys.version.split()[0])'
}

install_annarchy() {
    make_venv annarchy "$(find_python 3.11)" || return 1
    rm -rf "$ROOT/annarchy-build"   # compiled networks of an earlier install
    local py="$ROOT/annarchy/bin/python"
    # Needs g++ and cmake >= 3.18 (its sdist and every network it compiles are CMake builds);
    # that CMake runs `python -m nanobind`, so the venv's bin must come first on PATH.
    command -v g++ > /dev/null || { echo "annarchy: g++ not found" >&2; return 1; }
    command -v cmake > /dev/null || { echo "annarchy: cmake not found" >&2; return 1; }
    PATH="$ROOT/annarchy/bin:$PATH" $py -m pip install -q 'ANNarchy>=5,<6' || return 1
    $py -m nanobind --cmake_dir > /dev/null || return 1
    $py -c 'import sys; sys.argv = sys.argv[:1]; import numpy, ANNarchy; print("annarchy", ANNarchy.__release__, "| python", sys.version.split()[0], "| numpy", numpy.__version__)' | tail -1
}

VERS="$RESULTS/peer_versions.txt"
touch "$VERS"
for peer in "${PEERS[@]}"; do
    if ! declare -F "install_$peer" > /dev/null; then
        echo "== $peer: unknown peer (known: brian2 nest bindsnet annarchy)"; continue
    fi
    echo "== $peer: installing into $ROOT/$peer (log: $LOG)"
    if line="$(install_$peer 2>>"$LOG" | tail -1)" && [ -n "$line" ] && "$ROOT/$peer/bin/python" -c 1 2>/dev/null; then
        touch "$ROOT/$peer/.snngen-ok"
        status="$line"
    else
        rm -f "$ROOT/$peer/.snngen-ok"
        status="$peer: not installed (see $LOG)"
    fi
    echo "   $status"
    grep -v "^$peer[: ]" "$VERS" > "$VERS.tmp"; echo "$status" >> "$VERS.tmp"; sort "$VERS.tmp" > "$VERS"; rm -f "$VERS.tmp"
done
{ echo "# peer venvs under $ROOT ($(date -u +%F))"; grep -v '^#' "$VERS"; } > "$VERS.tmp" && mv "$VERS.tmp" "$VERS"
cat "$VERS"
