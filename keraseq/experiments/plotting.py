"""Figures: matplotlib with the Agg backend, imported only when a figure is drawn (`plot` extra)."""

import contextlib
from pathlib import Path


@contextlib.contextmanager
def figure(path, title, ncols=1):
    """Yields the axes of a new figure; on exit writes it as a PNG to `path` (atomically)."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError("plots need matplotlib: pip install 'keraseq[plot]'") from err
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from keraseq.files import atomic_path

    fig, axes = plt.subplots(1, ncols, figsize=(5.5 * ncols, 4), squeeze=False)
    fig.suptitle(title)
    try:
        yield list(axes[0]) if ncols > 1 else axes[0][0]
        fig.tight_layout()
        with atomic_path(Path(path)) as tmp:
            fig.savefig(tmp, dpi=100, format="png")
    finally:
        plt.close(fig)
