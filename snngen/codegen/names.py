"""Names in generated code: the user's names and snngen's own live in spaces that cannot meet.

A user's name (a variable, a parameter, an external constant, a pathway) always starts with a
letter: the parser refuses a leading underscore.  Every name generated code uses for an object
starts with the object's prefix (``o3_``), followed by

* ``_`` and an internal name: ``o3__spikes``, ``o3__rowptr``, ``o3__h0`` (hoisted constants),
  ``o3__p0_hist`` (the first pathway's ring buffer) — never a user's, whose names start with a
  letter;
* a kind and ``_`` and a user's name: ``o3_v_pre`` (the array of variable ``pre``), ``o3_x_tau``
  (external constant ``tau``), ``o3_u_v`` (the update loop's local copy of ``v``).  The kind
  contains no ``_``, so (kind, name) pairs map to distinct strings.

Names no object owns start with ``_`` (``_step``, ``_i``) or are fixed module names (``math``,
``np``, ``dt``), none of which a user name can print as: every user name is printed through its
object's prefix.  :class:`NameTable` collects the names a network's run function takes and
refuses a second owner of any of them.
"""

from __future__ import annotations

from ..errors import ModelError

# kinds of user-derived names (the letters after the prefix)
VARIABLE = "v"  # the array of a state variable
EXTERNAL = "x"  # an external constant or per-element array
TABLE = "ta"  # a TimedArray's values
TABLE_DT = "tadt"  # a TimedArray's dt
UPDATE_LOCAL = "u"  # a local of the (possibly parallel) state-update loop
LOCAL = "l"  # a local of other loops (reset, initialiser)
ONCE_PER_STEP = "cod"  # a (constant over dt) subexpression's value for this step


def internal(prefix, name):
    """snngen's own name ``name`` in the space of the object with ``prefix``."""
    return f"{prefix}_{name}"


def user(prefix, kind, name):
    """The generated name of the user's ``name`` of ``kind`` in the space of ``prefix``."""
    return f"{prefix}{kind}_{name}"


def variable(prefix, name):
    """The array holding state variable ``name`` of the object with ``prefix``."""
    return f"{prefix}{VARIABLE}_{name}"


class NameTable:
    """The argument names of one generated function, each with the object that owns it."""

    def __init__(self):
        self.owners = {}

    def claim(self, name, owner):
        previous = self.owners.setdefault(name, owner)
        if previous != owner:
            raise ModelError(f"internal error: the generated name {name!r} was claimed by {previous} and by {owner}")
        return name

    def claim_all(self, names, owner):
        for name in names:
            self.claim(name, owner)
