"""Generated source -> compiled Numba function, with a content-hash disk cache.

The source text of a network's run function is its structure: equations,
methods, storage kinds, dtypes.  Parameter values are arguments, so changing
them never changes the source.  The module is written once to
``<cache_dir>/cpu-<versions>/snngen_<hash>.py`` (atomically, so two processes
compiling the same model at once cannot corrupt it) and imported; Numba's own
``cache=True`` keeps the machine code beside it in ``__pycache__``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import numba

from ..prefs import prefs

_loaded = {}


def cache_root(backend="cpu"):
    from .. import __version__

    return Path(prefs.cache_dir) / f"{backend}-snngen{__version__}-numba{numba.__version__}"


def source_hash(source):
    return hashlib.sha256(source.encode()).hexdigest()[:20]


def _write_atomically(path, text):
    if path.exists() and path.read_text() == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def load_module(source, backend="cpu"):
    """Import the module holding ``source``, compiling (or loading from cache) on first use."""
    key = source_hash(source)
    if key in _loaded:
        return _loaded[key]
    root = cache_root(backend)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"snngen_{key}.py"
    _write_atomically(path, source)
    name = f"snngen_generated_{key}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded[key] = module
    return module
