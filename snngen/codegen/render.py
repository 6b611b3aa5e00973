"""The jinja2 environment: templates/<backend>/*.py.j2 -> Python source.

Templates only arrange code that Python computed (lists of lines); each
template's inputs are declared by the function that renders it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2


def template_dir():
    """Where the installed ``templates/`` folder is (``snngen.templates`` package data)."""
    return resources.files("snngen.templates")


def _indent(lines, n):
    pad = " " * n
    return "\n".join(pad + line if line else "" for line in lines)


@cache
def environment():
    loader = jinja2.FunctionLoader(_load)
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters["block"] = _indent
    return env


def _load(name):
    path = template_dir().joinpath(*name.split("/"))
    return path.read_text()


def render(template, **inputs):
    """Render ``templates/<template>`` with ``inputs``; returns a list of source lines."""
    return environment().get_template(template).render(**inputs).split("\n")
