"""The recall task behind the memory and long-range experiments, and a classifier trained on it.

A sequence of `length` steps carries, at one step (the *cue*), a symbol to remember; the last step
asks for it. Each step is a vector of `num_symbols + 2` channels: a one-hot symbol, a cue marker
(1 at the cue) and a query marker (1 at the last step). The cue sits `distance` steps before the
query. Without distractors the other steps are all zeros (copy after a delay); with distractors
they carry random symbols too, and only the marker says which one to recall. Chance is
`1 / num_symbols`.
"""

import dataclasses

import keras
import numpy as np

from keraseq.experiments.support import plotting
from keraseq.experiments.support.encoders import sequence_encoder
from keraseq.models.kinds import label

RECALLED = 0.9  # a delay is "recalled" when the test accuracy reaches 90%


def recall_batch(rng, n, length, distance, num_symbols, distractors=False):
    """`n` sequences `(n, length, num_symbols + 2)` float32 and their answers `(n,)` int32.

    Args:
        rng: A `np.random.Generator`.
        n: Number of sequences.
        length: Steps per sequence.
        distance: Steps from the cue to the query, in `[1, length - 1]`: an int, or an array `(n,)`.
        num_symbols: How many symbols the cue can be (2 or more).
        distractors: Fill the other steps with random symbols.
    """
    distance = np.broadcast_to(np.asarray(distance), (n,))
    if np.any(distance < 1) or np.any(distance > length - 1):
        raise ValueError(
            f"distance must be in [1, length - 1 = {length - 1}], got {distance.min()}"
            f"..{distance.max()}"
        )
    x = np.zeros((n, length, num_symbols + 2), dtype="float32")
    rows = np.arange(n)
    if distractors:
        noise = rng.integers(0, num_symbols, size=(n, length - 1))
        x[rows[:, None], np.arange(length - 1)[None], noise] = 1.0
    answers = rng.integers(0, num_symbols, size=n).astype("int32")
    cue = length - 1 - distance
    x[rows, cue, :num_symbols] = 0.0
    x[rows, cue, answers] = 1.0
    x[rows, cue, num_symbols] = 1.0  # cue marker
    x[:, -1, num_symbols + 1] = 1.0  # query marker
    return x, answers


@dataclasses.dataclass
class RecallBudget:
    """What every model gets on the recall task: the same width, steps, batches and optimizer."""

    width: int = 32
    steps: int = 300
    batch_size: int = 64
    num_symbols: int = 4
    learning_rate: float = 3e-3
    eval_size: int = 512

    @property
    def chance(self):
        return 1.0 / self.num_symbols


def recall_classifier(kind, budget, length):
    """`sequence_encoder(kind)` then a `Dense` readout of the symbol, compiled with Adam."""
    model = keras.Sequential(
        [
            keras.Input((length, budget.num_symbols + 2)),
            sequence_encoder(kind, budget.width),
            keras.layers.Dense(budget.num_symbols),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(budget.learning_rate, global_clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train_recall(kind, budget, length, distance, distractors, seed):
    """Trains a fresh `recall_classifier` on `budget.steps` fresh batches; returns the model.

    `distance` is as in `recall_batch` or `None` for a random distance per sequence.
    """
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    n = budget.steps * budget.batch_size
    if distance is None:
        distance = rng.integers(1, length, size=n)
    x, y = recall_batch(rng, n, length, distance, budget.num_symbols, distractors)
    model = recall_classifier(kind, budget, length)
    model.fit(x, y, batch_size=budget.batch_size, epochs=1, shuffle=False, verbose=0)
    return model


def recall_accuracy(model, budget, length, distance, distractors, seed):
    """Accuracy on `budget.eval_size` new sequences with the cue `distance` steps back."""
    x, y = recall_batch(
        np.random.default_rng([seed, 1]),
        budget.eval_size,
        length,
        distance,
        budget.num_symbols,
        distractors,
    )
    # A direct call: `predict` would compile a new function for every model measured (on
    # TensorFlow, a stream of "triggered tf.function retracing" warnings).
    logits = keras.ops.convert_to_numpy(model(x, training=False))  # (eval_size, num_symbols)
    return float(np.mean(np.argmax(logits, axis=-1) == y))


# a delay is "recalled" when the test accuracy reaches 90%


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


def chance_band(budget):
    """Highest accuracy still consistent with guessing: chance + 3 binomial standard deviations."""
    p = budget.chance
    return p + 3.0 * np.sqrt(p * (1 - p) / budget.eval_size)


def plot_accuracy(result, path, x_key, title, xlabel):
    """Accuracy against `result[x_key]` per model, with chance and the recall threshold."""
    with plotting.figure(path, title) as ax:
        draw_accuracy(ax, result, x_key, xlabel)


def draw_accuracy(ax, result, x_key, xlabel):
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
