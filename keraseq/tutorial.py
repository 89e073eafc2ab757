"""What the tutorial notebooks (the docs site's pages) use: quick mode, a seed, a header, sources.

Quick mode: with the environment variable `KERASEQ_QUICK=1` the pages run fewer samples, steps and
epochs, so that each executes in seconds (the tests and CI use it); without it they run in full
(the published site).
"""

import ast
import inspect
import os
import sys
import textwrap

import keras
import numpy as np

QUICK_VARIABLE = "KERASEQ_QUICK"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def quick():
    """Whether quick mode is on (`KERASEQ_QUICK=1`)."""
    return os.environ.get(QUICK_VARIABLE) == "1"


def start(seed=0):
    """Seed Keras, print the backend, versions and mode; return `(quick(), numpy_generator)`."""
    keras.utils.set_random_seed(seed)
    print(f"backend {keras.backend.backend()}, keras {keras.__version__}, quick mode {quick()}")
    return quick(), np.random.default_rng(seed)


def source(obj, *, docstring=False, start=None, end=None):
    """The source of `obj` (a function, method, class or module) as the installed package has it.

    Dedented. Without `docstring=True` the docstring of `obj` itself is left out. `start` and `end`
    keep only the lines from the first one containing `start` to the first one after it containing
    `end` (both included; either may be left out), e.g. the lines that compute an equation.
    """
    lines = textwrap.dedent(inspect.getsource(obj)).splitlines()
    if not docstring:
        lines = _without_docstring(lines)
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    first = 0 if start is None else _find(lines, start, 0, name)
    last = len(lines) - 1 if end is None else _find(lines, end, first, name)
    return textwrap.dedent("\n".join(lines[first : last + 1]))


def show_source(obj, **options):
    """Show `source(obj, **options)`: highlighted Python in a notebook and the site, or printed."""
    text = source(obj, **options)
    ipython = sys.modules.get("IPython")  # imported in a notebook's kernel, not by a plain script
    if ipython is None or ipython.get_ipython() is None:
        print(text)
        return
    from IPython.display import Markdown, display

    fence = "```"
    while fence in text:  # a fence longer than any run of backticks in the code
        fence += "`"
    display(Markdown(f"{fence}python\n{text}\n{fence}"))


def _without_docstring(lines):
    """`lines` less the docstring of the first definition in them (or of the module they are)."""
    tree = ast.parse("\n".join(lines))
    node = tree.body[0] if tree.body and isinstance(tree.body[0], DEFINITIONS) else tree
    if ast.get_docstring(node, clean=False) is None:
        return lines
    doc = node.body[0]
    return lines[: doc.lineno - 1] + lines[doc.end_lineno :]


def _find(lines, marker, begin, name):
    for i in range(begin, len(lines)):
        if marker in lines[i]:
            return i
    raise ValueError(f"no line of the source of {name} contains {marker!r}")
