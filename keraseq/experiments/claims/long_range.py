"""Claim 6: long range, directly. Accuracy against the cue-to-query distance at a fixed length.

Unlike the memory experiment (one model per delay, the sequence as long as the delay), every
sequence here has the same length and the same number of distractors; only where the cue sits
changes. Each model is trained once, under the same budget, on cues at random distances, then
tested at each distance separately.
"""

import keras

from keraseq.experiments.support.recall import (
    RecallBudget,
    draw_accuracy,
    plot_accuracy,
    recall_accuracy,
    report,
    train_recall,
)
from keraseq.models.kinds import KINDS, check_kinds

QUICK = dict(length=32, distances=(1, 8, 31))  # the quick tour's arguments of `run`
FULL = dict(length=100, distances=(1, 5, 10, 20, 40, 60, 80, 99))  # the docs' figures
WIDTH = None  # the argument that `keraseq evolve --width` sets (None: none)
STEPS = None  # the argument that `--steps` sets
USES = ("budget",)  # what the tour passes in: the shared RecallBudget, the corpus


def run(
    kinds=tuple(KINDS), length=48, distances=(1, 4, 12, 24, 47), budget=None, seed=0, verbose=1
):
    """Accuracy against the distance for each model, all on sequences of `length` steps.

    Returns:
        `{"length", "distance": [...], "accuracy": {kind: [...]}, "longest_recalled", "chance_at",
        "chance", "chance_band", "recalled_threshold", "budget"}` as in `claims.memory.run`.
    """
    kinds = check_kinds(kinds)
    budget = budget or RecallBudget()
    distances = sorted(int(d) for d in distances)
    if distances[0] < 1 or distances[-1] > length - 1:
        raise ValueError(f"distances must be in [1, length - 1 = {length - 1}], got {distances}")
    accuracy = {}
    bar = keras.utils.Progbar(len(kinds), verbose=verbose, unit_name="model")
    for kind in kinds:
        model = train_recall(kind, budget, length, None, True, seed)
        accuracy[kind] = [recall_accuracy(model, budget, length, d, True, seed) for d in distances]
        bar.add(1)
    return {"length": length, **report("distance", distances, accuracy, budget)}


XLABEL = "distance from the cue to the query (steps)"


def plot(result, path):
    title = f"Recall at a fixed length of {result['length']} steps, one model each"
    plot_accuracy(result, path, "distance", title, XLABEL)


def draw(ax, result):
    draw_accuracy(ax, result, "distance", XLABEL)
