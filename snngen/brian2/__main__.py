"""``python -m snngen.brian2 script.py [args]``: run a Brian2 script unmodified, on snngen.

``import brian2`` and ``from brian2[.submodule] import ...`` in the script load
:mod:`snngen.brian2` (and its submodules) instead.
"""

import importlib
import importlib.abc
import importlib.util
import runpy
import sys


class _Brian2Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``brian2`` and ``brian2.x.y`` as ``snngen.brian2`` and ``snngen.brian2.x.y``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "brian2" or fullname.startswith("brian2."):
            real = "snngen." + fullname
            if importlib.util.find_spec(real) is None:
                return None
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return importlib.import_module("snngen." + spec.name)

    def exec_module(self, module):
        pass


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.exit("usage: python -m snngen.brian2 script.py [arguments]")
    sys.meta_path.insert(0, _Brian2Alias())
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
