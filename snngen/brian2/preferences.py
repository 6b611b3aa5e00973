"""``prefs`` with Brian2's preference names: ``prefs.codegen.target = "numpy"`` is accepted.

Brian2's preferences about its own code generation (targets, compilers, Cython's cache ...) have
no meaning for snngen, which always compiles with Numba: they are stored and change nothing.
Those with a meaning are passed on to :data:`snngen.prefs`: ``core.default_float_dtype``
(``prefs.dtype``).  A name Brian2 does not have is an error, as in Brian2.  snngen's own settings
are reachable too (``prefs.cache_dir``).
"""

from __future__ import annotations

import numpy as np

from ..equations.parser import suggest
from ..prefs import prefs as _snngen

# Brian2 2.11's preference names and defaults (the ones a script may set)
_BRIAN2 = {
    "GSL.directory": None, "codegen.cpp.compiler": "", "codegen.cpp.define_macros": [],
    "codegen.cpp.extra_compile_args": None, "codegen.cpp.extra_compile_args_gcc": [],
    "codegen.cpp.extra_compile_args_msvc": [], "codegen.cpp.extra_link_args": [], "codegen.cpp.headers": [],
    "codegen.cpp.include_dirs": [], "codegen.cpp.libraries": [], "codegen.cpp.library_dirs": [],
    "codegen.cpp.msvc_architecture": "", "codegen.cpp.msvc_vars_location": "",
    "codegen.cpp.runtime_library_dirs": [], "codegen.generators.cpp.flush_denormals": False,
    "codegen.generators.cpp.restrict_keyword": "__restrict", "codegen.loop_invariant_optimisations": True,
    "codegen.max_cache_dir_size": 1000, "codegen.runtime.cython.cache_dir": None,
    "codegen.runtime.cython.delete_source_files": True, "codegen.runtime.cython.multiprocess_safe": True,
    "codegen.runtime.numpy.discard_units": False, "codegen.string_expression_target": "numpy",
    "codegen.synapse_connect_target": None, "codegen.target": "auto", "core.default_float_dtype": np.float64,
    "core.default_integer_dtype": np.int32, "core.network.default_schedule": None,
    "core.outdated_dependency_error": True, "core.stop_on_keyboard_interrupt": True,
    "devices.cpp_standalone.extra_make_args_unix": ["-j"], "devices.cpp_standalone.extra_make_args_windows": [],
    "devices.cpp_standalone.make_cmd_unix": "make", "devices.cpp_standalone.openmp_spatialneuron_strategy": None,
    "devices.cpp_standalone.openmp_threads": 0, "devices.cpp_standalone.run_cmd_unix": "./main",
    "devices.cpp_standalone.run_environment_variables": {}, "legacy.refractory_timing": False,
    "logging.console_log_level": "INFO", "logging.delete_log_on_exit": True,
    "logging.display_brian_error_message": True, "logging.file_log": True, "logging.file_log_level": "DIAGNOSTIC",
    "logging.file_log_max_size": 10000000, "logging.save_script": True, "logging.std_redirection": True,
    "logging.std_redirection_to_file": True, "logging.warn_for_unused_objects": True,
}


class _Category:
    """``prefs.codegen``, ``prefs.codegen.cpp`` ...: attribute access to the names under a prefix."""

    def __init__(self, store, prefix):
        object.__setattr__(self, "_store", store)
        object.__setattr__(self, "_prefix", prefix)

    def _full(self, name):
        return f"{self._prefix}.{name}" if self._prefix else name

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        full = self._full(name)
        if full in self._store.values:
            return self._store.values[full]
        if any(key.startswith(full + ".") for key in self._store.values):
            return _Category(self._store, full)
        if not self._prefix and name in _snngen.__dataclass_fields__:
            return getattr(_snngen, name)
        raise AttributeError(f"Brian2 has no preference '{full}'.{suggest(full, self._store.values)}")

    def __setattr__(self, name, value):
        self._store[self._full(name)] = value


class BrianPreferences(_Category):
    """Brian2's ``prefs``: its names, ``prefs.a.b = v`` or ``prefs["a.b"] = v``."""

    def __init__(self):
        self.__dict__["values"] = dict(_BRIAN2)
        super().__init__(self, "")

    def __setitem__(self, name, value):
        if name not in self.values:
            if not self._prefix and "." not in name and name in _snngen.__dataclass_fields__:
                setattr(_snngen, name, value)  # snngen's own settings
                return
            raise AttributeError(f"Brian2 has no preference '{name}'.{suggest(name, self.values)}")
        self.values[name] = value
        if name == "core.default_float_dtype":
            _snngen.dtype = np.dtype(value).name

    def __getitem__(self, name):
        return self.values[name]

    def keys(self):
        return self.values.keys()

    def reset_to_defaults(self):
        self.values.update(_BRIAN2)
        _snngen.dtype = "float64"


prefs = BrianPreferences()
