"""What every tutorial notebook (the docs site's pages) uses: quick mode, a seed, a header, and the
rule that keeps its prose true.

Quick mode: with the environment variable `KERASEQ_QUICK=1` the pages run fewer samples, steps and
epochs, so that each executes in seconds (the tests and CI use it); without it they run in full
(the published site).

The rule: a sentence about a measured result is either computed from it (`claim`, shown with
`say`) or asserted (`check`, which fails the build when a re-run makes it false).
"""

import base64
import html
import io
import os

import keras
import numpy as np

QUICK_VARIABLE = "KERASEQ_QUICK"


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


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def say(*sentences):
    """Show computed sentences as the page's prose: Markdown in a notebook, text in a script."""
    text = " ".join(sentences)
    if _in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(text))
    else:
        print(text)


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
