"""Generated source -> compiled Numba function, with a content-hash disk cache that follows the code.

The source text of a network's run function is its structure: equations, methods, storage
kinds, dtypes.  Parameter values are arguments, so changing them never changes the source.
The module is written once to ``<cache_dir>/<backend>-<fingerprint>/snngen_<hash>.py``
(atomically, so two processes compiling the same model at once cannot corrupt it) and
imported; Numba's own ``cache=True`` keeps the machine code beside it in ``__pycache__``.

The folder's name holds snngen's version, a hash of snngen's own files (the package, the
templates and the model files: :func:`code_fingerprint`) and Numba's version.  Numba's cache
notices a changed module file, not a changed helper that the module inlines (the random
number generator, say): keying the whole folder on snngen's code makes any edit or upgrade
start from an empty cache.

Files read back are checked: a module whose text is not its source is rewritten, and each
machine-code file Numba wrote is checked against the hash recorded after the call that
wrote it (``<file>.sha256``).  A damaged or unrecorded one is removed, with a warning when
it was damaged, and Numba compiles again instead of failing on it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import warnings
from functools import cache
from pathlib import Path

import numba

from ..prefs import prefs

_loaded = {}
_PACKAGE = Path(__file__).resolve().parents[1]
CACHE_KINDS = ("cpu", "cuda", "cuda-sim", "cuda-ptx", "sympy")


@cache
def code_fingerprint():
    """A hash of snngen's own source files: every module, template and model file."""
    from .render import template_dir

    roots = [_PACKAGE, Path(str(template_dir()))]
    try:
        from importlib import resources

        roots.append(Path(str(resources.files("snngen.model_files"))))
    except ModuleNotFoundError:  # pragma: no cover - an install without model files
        pass
    return fingerprint(roots)


def fingerprint(roots):
    """A hash of every ``.py``, ``.j2`` and ``.toml`` file under ``roots`` (names and contents)."""
    digest = hashlib.sha256()
    seen = set()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".py", ".j2", ".toml") or "__pycache__" in path.parts or path in seen:
                continue
            seen.add(path)
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_root(backend="cpu"):
    """The cache folder of ``backend`` for this version of snngen's code and of Numba."""
    from .. import __version__

    return Path(prefs.cache_dir) / f"{backend}-snngen{__version__}-{code_fingerprint()}-numba{numba.__version__}"


def cache_folders():
    """Every cache folder snngen made under ``prefs.cache_dir`` (all kinds, all versions)."""
    root = Path(prefs.cache_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.split("-snngen")[0] in CACHE_KINDS)


def source_hash(source):
    return hashlib.sha256(source.encode()).hexdigest()[:20]


def _write_atomically(path, text):
    if path.exists():
        if path.read_text() == text:
            return
        warnings.warn(f"snngen: the cached module {path} did not hold its source (damaged?); rewriting it",
                      RuntimeWarning, stacklevel=3)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _machine_code_files(path):
    folder = path.parent / "__pycache__"
    if not folder.is_dir():
        return []
    return [f for f in folder.glob(path.stem + ".*") if f.suffix in (".nbi", ".nbc")]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_machine_code(path):
    """Remove the machine-code files of module ``path`` that do not match their recorded hash."""
    for f in _machine_code_files(path):
        record = f.with_name(f.name + ".sha256")
        try:
            expected = record.read_text().strip() if record.exists() else None
            if expected == _digest(f):
                continue
            if expected is not None:
                warnings.warn(f"snngen: the cached machine code {f} is damaged; compiling again", RuntimeWarning,
                              stacklevel=4)
            f.unlink()
            record.unlink(missing_ok=True)
        except FileNotFoundError:  # removed by another process meanwhile
            continue


def _record_machine_code(path):
    for f in _machine_code_files(path):
        try:
            digest = _digest(f)
        except FileNotFoundError:
            continue
        record = f.with_name(f.name + ".sha256")
        fd, tmp = tempfile.mkstemp(dir=f.parent, prefix=".tmp-", suffix=".sha256")
        with os.fdopen(fd, "w") as out:
            out.write(digest)
        os.replace(tmp, record)


def load_module(source, backend="cpu"):
    """Import the module holding ``source``, compiling (or loading from cache) on first use."""
    key = source_hash(source)
    if (backend, key) in _loaded:
        return _loaded[backend, key]
    root = cache_root(backend)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"snngen_{key}.py"
    _write_atomically(path, source)
    _check_machine_code(path)
    name = f"snngen_generated_{backend.replace('-', '_')}_{key}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    module._snngen_path, module._snngen_compiled = path, 0
    _loaded[backend, key] = module
    return module


def after_call(module):
    """Call after calling a function of ``module``: when Numba compiled something new (and so wrote
    machine code to the cache), record the hashes of its files."""
    dispatchers = module.__dict__.get("_snngen_dispatchers")
    if dispatchers is None:  # the module's compiled functions (found once: looking at np, math ... costs per call)
        dispatchers = module._snngen_dispatchers = [obj for name, obj in vars(module).items()
                                                    if not name.startswith("__") and hasattr(obj, "overloads")]
    compiled = sum(len(obj.overloads) for obj in dispatchers)
    if compiled != module._snngen_compiled:
        module._snngen_compiled = compiled
        _record_machine_code(module._snngen_path)
