"""One kernel of a network's step, described as data; the backends render it from their templates.

An object of the network says *what* runs (:class:`Kernel`): the template kind
(``templates/<backend>/<kind>.py.j2``), the template's inputs (names of arrays and
lines of per-element code), the iteration space (:class:`Space`: the elements of a
group or of its synapses, a thread per copy, a block per copy ...), the arrays the
kernel writes and which of them it updates with atomic adds.  The backend decides
*how*: a CUDA kernel function with its launch configuration, or lines in the CPU's
run loop.  Nothing about a kernel is read back from its generated text: the write
set drives which device arrays come back after a run, and :func:`check_writes`
holds every rendered kernel to its declaration.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field

from ..errors import ModelError
from .render import render


@dataclass(frozen=True)
class Space:
    """Where a kernel's threads (or a CPU loop's iterations) go.

    ``over``: ``"elements"`` (one per element: ``index`` runs from 0 to the host expression
    ``size``, the copies' elements after each other), ``"thread"`` (one thread in all),
    ``"block per copy"`` (one block of threads per copy: ordered work on each copy's spike
    list) or ``"block"`` (one block in all: copy after copy, as recording does).
    """

    over: str
    size: str = "1"
    index: str = "_i"

    def __post_init__(self):
        if self.over not in ("elements", "thread", "block per copy", "block"):
            raise ValueError(f"unknown iteration space {self.over!r}")


def elements(size, index="_i"):
    return Space("elements", size, index)


THREAD = Space("thread")
BLOCK_PER_COPY = Space("block per copy")
BLOCK = Space("block")


@dataclass
class Kernel:
    """What one kernel does: ``templates/<backend>/<kind>.py.j2`` rendered with ``params`` over ``space``.

    ``writes``: every array argument the kernel writes; ``atomic``: those written by many threads at
    once (atomic adds).  ``emits``: the prefix of the group whose spikes of the step the kernel decides,
    each backend in its own form (the CPU: the spike list; CUDA: spike flags, which the backend compacts
    into the spike list after the kernel).  ``name`` is the kernel's own name (a CUDA function name).

    A kind whose template exists for both backends is described once, by its object, for both (the
    backends' templates take the same inputs); the CPU's templates loop over their space themselves.
    """

    kind: str
    name: str
    space: Space
    params: dict = field(default_factory=dict)
    writes: frozenset = frozenset()
    atomic: frozenset = frozenset()
    emits: str | None = None

    def __post_init__(self):
        self.writes = frozenset(self.writes)
        self.atomic = frozenset(self.atomic)
        if not self.atomic <= self.writes:
            raise ValueError(f"{self.name}: atomic arrays {sorted(self.atomic - self.writes)} are not written")

    def lines(self, backend):
        """The kernel body's source lines (after the backend's prologue for its space)."""
        return render(f"{backend}/{self.kind}.py.j2", **self.params)


def _tree(lines):
    """The syntax tree of kernel body lines (inside a function, so that ``return`` parses)."""
    return ast.parse("def _kernel():\n" + textwrap.indent("\n".join(lines) or "pass", "    ") + "\n")


def free_names(lines):
    """The names the code loads and does not itself bind: its arguments (read from the syntax tree)."""
    tree = _tree(lines)
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
    return loaded - bound


def written_arrays(lines):
    """The arrays the code writes: element assignments (``a[...] = ``, ``a[...] += ``, whatever the index holds)
    and ``cuda.atomic.*(a, ...)`` calls.  Used to hold kernels to their declared :attr:`Kernel.writes`."""
    tree = _tree(lines)
    out = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AugAssign) else []
        for target in targets:
            for element in (target.elts if isinstance(target, ast.Tuple) else [target]):
                while isinstance(element, ast.Subscript):
                    element = element.value
                    if isinstance(element, ast.Name):
                        out.add(element.id)
        func = getattr(node, "func", None)
        if isinstance(node, ast.Call) and isinstance(func, ast.Attribute) and \
                isinstance(func.value, ast.Attribute) and func.value.attr == "atomic" and node.args and \
                isinstance(node.args[0], ast.Name):
            out.add(node.args[0].id)
    return out


def check_writes(kernel, lines, arguments):
    """An internal error unless every argument array the rendered ``lines`` write is in ``kernel.writes``:
    a write left out of a description would leave a stale host copy (a silent wrong answer)."""
    missing = (written_arrays(lines) & set(arguments)) - kernel.writes
    if missing:
        raise ModelError(f"internal error: kernel {kernel.name} ({kernel.kind}) writes {sorted(missing)}, which its "
                         "description does not declare")
