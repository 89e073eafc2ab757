"""Figures: matplotlib with the Agg backend, imported only when a figure is drawn (fast start)."""

import contextlib
from pathlib import Path

from keraseq.files import atomic_path


@contextlib.contextmanager
def figure(path, title, ncols=1, nrows=1):
    """Yields the axes of a new figure (one, or a list, row by row); on exit writes it as a PNG to
    `path` (atomically)."""
    import matplotlib  # lazy: only the commands that draw pay for it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 4 * nrows), squeeze=False)
    fig.suptitle(title)
    try:
        yield list(axes.flat) if axes.size > 1 else axes[0][0]
        fig.tight_layout()
        with atomic_path(Path(path)) as tmp:
            fig.savefig(tmp, dpi=100, format="png")
    finally:
        plt.close(fig)
