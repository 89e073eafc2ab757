"""Claim 3: recurrent memory is short. Accuracy on copy-after-delay against the delay, per model.

For every delay $d$ each model is trained from scratch, under the same budget (`RecallBudget`:
width, steps, batch, optimizer), on sequences of $d + 1$ steps: the cue first, then $d - 1$ steps of
random distractor symbols, then the query. The test accuracy is measured on fresh sequences.
"""

from keraseq.experiments.support.encoders import measure_grid
from keraseq.experiments.support.recall import (
    RecallBudget,
    plot_accuracy,
    recall_accuracy,
    report,
    train_recall,
)
from keraseq.models.kinds import KINDS, check_kinds

QUICK = dict(delays=(5, 40))  # the quick tour's arguments of `run`
FULL = dict(delays=(5, 10, 20, 40, 60, 100))  # the docs' figures
WIDTH = None  # the argument that `keraseq evolve --width` sets (None: none)
STEPS = None  # the argument that `--steps` sets
USES = ("budget",)  # what the tour passes in: the shared RecallBudget, the corpus


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


def plot(result, path):
    plot_accuracy(
        result,
        path,
        "delay",
        "Copy after a delay: one model trained per delay",
        "delay (steps between the cue and the query)",
    )
