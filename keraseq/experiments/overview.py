"""The evolution at a glance: four panels of a tour's measurements in one figure (docs home)."""

from keraseq.experiments.claims import long_range, scaling, speed, vanishing
from keraseq.experiments.support import plotting

# In the order of the story: the RNN's gradient, the reach of memory, parallel training, scale.
PANELS = {
    "vanishing": (vanishing, "Gradient reaching step t, at initialisation"),
    "range": (long_range, "Recall against the distance to the cue"),
    "speed": (speed, "Training step time against length"),
    "scaling": (scaling, "Validation loss against size"),
}


def plot(results, path):
    """Writes the four panels of `results` (a tour's results.json with these experiments)."""
    missing = [name for name in PANELS if name not in results["experiments"]]
    if missing:
        raise ValueError(
            f"the overview needs the experiments {', '.join(PANELS)}; "
            f"these results lack {', '.join(missing)}"
        )
    title = (
        f"The evolution measured: {results['command']} ({results['backend']}, {results['started']})"
    )
    with plotting.figure(path, title, ncols=2, nrows=2) as axes:
        for ax, (name, (module, subtitle)) in zip(axes, PANELS.items()):
            module.draw(ax, results["experiments"][name])
            ax.set_title(subtitle)
