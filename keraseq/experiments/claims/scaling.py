"""Claim 7: the Transformer scales. Validation loss against parameters, LSTM LM against MiniGPT.

Each model is trained at several widths on the same corpus with the same token budget (steps ×
batch × context) and recipe; the validation loss is fitted as a line in $\\log_{10}$(parameters),
over all sizes (`slope`) and over the two largest (`top_slope`: whether a model still gains from
more parameters, which is what "scales well" means). Which model wins at which size is read from
the measurements (`describe`), never assumed.
"""

import keras
import numpy as np

from keraseq.experiments.support import language, plotting
from keraseq.models.kinds import KINDS

QUICK = dict(hidden_dims=(16, 48), steps=80)  # the quick tour's arguments of `run`
FULL = dict(hidden_dims=(16, 32, 64, 128, 192), steps=1500)  # the docs' figures
WIDTH = None  # the argument that `keraseq evolve --width` sets (None: none)
STEPS = "steps"  # the argument that `--steps` sets
USES = ("data",)  # what the tour passes in: the shared RecallBudget, the corpus

SCALED = ("lstm", "transformer")  # the LSTM LM against MiniGPT


def slope(points):
    """Least-squares slope of validation loss per decade of parameters (None with < 2 sizes)."""
    if len(points) < 2:
        return None
    x = np.log10([p["parameters"] for p in points])
    y = [p["val_loss"] for p in points]
    return float(np.polyfit(x, y, 1)[0])


def top_slope(points):
    """The slope between the two largest sizes: does the model still gain from more parameters?"""
    return slope(points[-2:])


def describe(result):
    """A sentence per finding, written from the measured numbers."""
    lstm, transformer = result["points"]["lstm"], result["points"]["transformer"]
    lines = []
    for kind, points in result["points"].items():
        s = result["slope"][kind]
        if s is not None:
            lines.append(
                f"{KINDS[kind].language_model_label}: {s:+.3f} validation loss per 10× parameters "
                f"({points[0]['parameters']:,} to {points[-1]['parameters']:,})."
            )
        if len(points) > 2:
            lines.append(
                f"{KINDS[kind].language_model_label} between its two largest sizes: "
                f"{top_slope(points):+.3f} "
                f"per 10× parameters."
            )
    pairs = list(zip(lstm, transformer))  # the i-th width of each
    winners = ["lstm" if a["val_loss"] < b["val_loss"] else "transformer" for a, b in pairs]
    for (a, b), winner in zip(pairs, winners):
        best, other = (a, b) if winner == "lstm" else (b, a)
        lines.append(
            f"At width {a['hidden_dim']}: {KINDS[winner].language_model_label} wins, "
            f"{best['val_loss']:.3f} against {other['val_loss']:.3f} "
            f"({best['parameters']:,} vs {other['parameters']:,} parameters)."
        )
    changes = [i for i in range(1, len(winners)) if winners[i] != winners[i - 1]]
    if changes:
        i = changes[0]
        before, after = pairs[i - 1][0]["hidden_dim"], pairs[i][0]["hidden_dim"]
        lines.append(f"The order flips between width {before} and {after}.")
    else:
        lines.append("The order does not change over these sizes.")
    return lines


def run(
    hidden_dims=(16, 32, 64),
    num_layers=2,
    steps=200,
    batch_size=16,
    sequence_length=64,
    data=None,
    seed=0,
    verbose=1,
):
    """Validation loss against parameters for the LSTM LM and MiniGPT at each of `hidden_dims`.

    Returns:
        `{"hidden_dims", "num_layers", "steps", "tokens", "points": {"lstm": [...],
        "transformer": [...]} (each point: parameters, val_loss, step_time, ...), "slope": {...},
        "findings": [text]}`.
    """
    hidden_dims = sorted(int(d) for d in hidden_dims)
    data = data or language.load_lm_data()
    points = {kind: [] for kind in SCALED}
    bar = keras.utils.Progbar(2 * len(hidden_dims), verbose=verbose, unit_name="model")
    for kind in points:
        for hidden_dim in hidden_dims:
            _, result = language.train_lm(
                kind,
                hidden_dim,
                num_layers,
                data,
                steps,
                batch_size,
                sequence_length,
                seed=seed,
                verbose=0,
            )
            del result["loss"], result["seconds"]
            points[kind].append(result)
            bar.add(1)
    result = {
        "hidden_dims": hidden_dims,
        "num_layers": num_layers,
        "steps": steps,
        "tokens": steps * batch_size * sequence_length,
        "points": points,
        "slope": {kind: slope(p) for kind, p in points.items()},
    }
    result["findings"] = describe(result)
    return result


def plot(result, path):
    with plotting.figure(path, "Validation loss against size, same token budget") as ax:
        draw(ax, result)


def draw(ax, result):
    for kind, points in result["points"].items():
        ax.semilogx(
            [p["parameters"] for p in points],
            [p["val_loss"] for p in points],
            marker="o",
            label=KINDS[kind].language_model_label,
        )
    ax.set_xlabel("parameters")
    ax.set_ylabel("validation loss (nats per character)")
    ax.legend()
