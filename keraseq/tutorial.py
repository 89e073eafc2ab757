"""What the tutorial notebooks (the docs site's pages) use: quick mode, a seed, a header, sources,
and the rule that keeps their prose true.

Quick mode: with the environment variable `KERASEQ_QUICK=1` the pages run fewer samples, steps and
epochs, so that each executes in seconds (the tests and CI use it); without it they run in full
(the published site).

The rule: a sentence about a measured result is either computed from it (`claim`, shown with
`say`) or asserted (`check`, which fails the page, and so the build, when a re-run makes it false).
"""

import ast
import base64
import html
import inspect
import io
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


def claim(condition, holds, fails):
    """The sentence that is true of this run: `holds` when `condition` is true, else `fails`."""
    return holds if condition else fails


def check(condition, statement, full_only=False):
    """Fail the page (and the build) when `statement`, which its prose makes, is false in this run.

    With `full_only=True` the statement is only promised for the full run: in quick mode it is not
    checked, and the page must say so.
    """
    if not condition and not (full_only and quick()):
        raise AssertionError(f"the page says {statement!r}, but this run says otherwise")


def say(*sentences):
    """Show computed sentences as the page's prose: Markdown in a notebook, text in a script."""
    text = " ".join(sentence for sentence in sentences if sentence)
    if not _in_notebook():
        print(text)
        return
    from IPython.display import Markdown, display

    display(Markdown(text))


def show(figure, alt):
    """Show a matplotlib figure, or a PNG file, as an image with the alternative text `alt`."""
    if isinstance(figure, (str, os.PathLike)):
        with open(figure, "rb") as f:
            png = f.read()
    else:
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        plt.close(figure)
        png = buffer.getvalue()
    if not _in_notebook():
        return
    from IPython.display import HTML, display

    data = base64.b64encode(png).decode("ascii")
    display(HTML(f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'))


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
    if not _in_notebook():
        print(text)
        return
    from IPython.display import Markdown, display

    fence = "```"
    while fence in text:  # a fence longer than any run of backticks in the code
        fence += "`"
    display(Markdown(f"{fence}python\n{text}\n{fence}"))


def _in_notebook():
    ipython = sys.modules.get("IPython")  # imported in a notebook's kernel, not by a plain script
    return ipython is not None and ipython.get_ipython() is not None


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
