"""Claim 3: recurrent memory is short. Accuracy on copy-after-delay against the delay, per model.

For every delay $d$ each model is trained from scratch, under the same budget (`RecallBudget`:
width, steps, batch, optimizer), on sequences of $d + 1$ steps: the cue first, then $d - 1$ steps of
random distractor symbols, then the query. The test accuracy is measured on fresh sequences.
"""

from keraseq.experiments import plotting
from keraseq.experiments.encoders import measure_grid
from keraseq.experiments.recall import RecallBudget, chance_band, recall_accuracy, train_recall
from keraseq.models.kinds import KINDS, check_kinds, label

RECALLED = 0.9  # a delay is "recalled" when the test accuracy reaches 90%


def report(x_key, distances, accuracy, budget):
    """The results of a recall experiment: accuracies, and per model the longest distance with
    accuracy >= RECALLED and the first one within the chance band (None if there is none)."""
    band = chance_band(budget)
    longest, chance_at = {}, {}
    for kind, values in accuracy.items():
        recalled = [d for d, a in zip(distances, values) if a >= RECALLED]
        at_chance = [d for d, a in zip(distances, values) if a <= band]
        longest[kind] = max(recalled, default=None)
        chance_at[kind] = min(at_chance, default=None)
    return {
        x_key: distances,
        "accuracy": accuracy,
        "longest_recalled": longest,
        "chance_at": chance_at,
        "chance": budget.chance,
        "chance_band": band,
        "recalled_threshold": RECALLED,
        "budget": vars(budget),
    }


def run(kinds=tuple(KINDS), delays=(5, 20, 50), budget=None, seed=0, verbose=1):
    """Accuracy against the delay for each model.

    Returns:
        `{"delay": [...], "accuracy": {kind: [...]}, "longest_recalled": {kind: d or None},
        "chance_at": {kind: d or None}, "chance", "chance_band", "recalled_threshold", "budget"}`.
    """
    kinds = check_kinds(kinds)
    budget = budget or RecallBudget()
    delays = sorted(int(d) for d in delays)

    def trained_accuracy(kind, delay):
        model = train_recall(kind, budget, delay + 1, delay, True, seed)
        return recall_accuracy(model, budget, delay + 1, delay, True, seed)

    accuracy = measure_grid(kinds, delays, trained_accuracy, verbose, "model")
    return report("delay", delays, accuracy, budget)


def plot_accuracy(result, path, x_key, title, xlabel):
    """Accuracy against `result[x_key]` per model, with chance and the recall threshold."""
    with plotting.figure(path, title) as ax:
        # Models that agree draw on top of each other: each gets its own marker, the later ones
        # thinner, so that every curve stays visible.
        for i, (kind, values) in enumerate(result["accuracy"].items()):
            ax.plot(
                result[x_key],
                values,
                marker="osD^"[i % 4],
                markersize=9 - 2 * i,
                linewidth=3 - 0.6 * i,
                label=label(kind),
            )
        ax.axhline(result["chance"], color="gray", linestyle=":", label="chance")
        ax.axhline(result["recalled_threshold"], color="gray", linestyle="--", label="recalled")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0, 1.05)
        ax.legend()


def plot(result, path):
    plot_accuracy(
        result,
        path,
        "delay",
        "Copy after a delay: one model trained per delay",
        "delay (steps between the cue and the query)",
    )
