"""``brian2.core``: the parts of it Brian2 scripts import directly."""
