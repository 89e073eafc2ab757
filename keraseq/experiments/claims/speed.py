"""Claim 5: the Transformer trains in parallel. Step time against length, and time to a target loss.

Part 1 times one training step (`train_on_batch`, the median of several after warm-up) of each
recall classifier at equal width for growing sequence lengths: the recurrent loop runs $T$
sequential steps, attention handles every position at once (in $O(T^2)$ work, but in parallel).

Part 2 trains the language models (`RecurrentLM` with each cell, and `MiniGPT`) at equal width on
the same `python-docs` batches and records the wall time until the smoothed training loss first
reaches `target_loss`, compiling excluded.
"""

import time

import keras
import numpy as np

from keraseq.experiments.support import language, plotting
from keraseq.experiments.support.encoders import measure_grid
from keraseq.experiments.support.recall import RecallBudget, recall_classifier
from keraseq.models.kinds import KINDS, check_kinds, label

QUICK = dict(
    lengths=(16, 128), repeats=3, lm_hidden_dim=64, lm_steps=100, target_loss=3.05
)  # the quick tour's arguments of `run`
FULL = dict(
    lengths=(16, 32, 64, 128, 256, 512),
    repeats=7,
    lm_hidden_dim=128,
    lm_steps=1500,
    target_loss=1.8,
)  # the docs' figures
WIDTH = "lm_hidden_dim"  # the argument that `keraseq evolve --width` sets (None: none)
STEPS = "lm_steps"  # the argument that `--steps` sets
USES = ("budget", "data")  # what the tour passes in: the shared RecallBudget, the corpus

SMOOTHING = 0.9  # exponential moving average of the training loss


def step_time(kind, length, budget, repeats, seed):
    """Median seconds of one training step of the recall classifier on sequences of `length`."""
    keras.utils.set_random_seed(seed)
    model = recall_classifier(kind, budget, length)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(budget.batch_size, length, budget.num_symbols + 2)).astype("float32")
    y = rng.integers(0, budget.num_symbols, size=budget.batch_size).astype("int32")
    times = []
    for i in range(repeats + 2):  # the first two compile and warm up
        start = time.perf_counter()
        float(model.train_on_batch(x, y, return_dict=True)["loss"])  # float() waits for the result
        if i >= 2:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def smoothed(losses):
    out, ema = [], None
    for loss in losses:
        ema = loss if ema is None else SMOOTHING * ema + (1 - SMOOTHING) * loss
        out.append(ema)
    return out


def time_to_target(run, target):
    """Seconds (from the end of step 1) until the smoothed loss first reaches `target`, or None."""
    for loss, seconds in zip(smoothed(run["loss"]), run["seconds"]):
        if loss <= target:
            return seconds
    return None


def run(
    kinds=tuple(KINDS),
    lengths=(16, 32, 64, 128),
    repeats=5,
    lm_kinds=tuple(KINDS),
    lm_hidden_dim=64,
    lm_num_layers=2,
    lm_steps=200,
    target_loss=2.5,
    budget=None,
    data=None,
    seed=0,
    verbose=1,
):
    """Step time against length, and the language models' time to `target_loss`.

    Returns:
        `{"length", "step_seconds": {kind: [...]}, "growth": {kind: time at the longest / at the
        shortest length}, "target_loss", "lm": {kind: train_lm's measurements + "time_to_target",
        "sample"}}`.
    """
    kinds = check_kinds(kinds)
    budget = budget or RecallBudget()
    lengths = sorted(int(n) for n in lengths)
    seconds = measure_grid(
        kinds, lengths, lambda kind, n: step_time(kind, n, budget, repeats, seed), verbose, "timing"
    )
    data = data or language.load_lm_data()
    lm = {}
    for kind in lm_kinds:
        if verbose:
            print(f"language model {kind}, width {lm_hidden_dim}, {lm_steps} steps:")
        model, result = language.train_lm(
            kind, lm_hidden_dim, lm_num_layers, data, lm_steps, seed=seed, verbose=verbose
        )
        result["time_to_target"] = time_to_target(result, target_loss)
        result["sample"] = language.sample_text(model, data, seed=seed)
        lm[kind] = result
    return {
        "length": lengths,
        "step_seconds": seconds,
        "growth": {kind: s[-1] / s[0] for kind, s in seconds.items()},
        "target_loss": target_loss,
        "lm": lm,
    }


def plot(result, path):
    with plotting.figure(path, "Training speed", ncols=2) as (steps, curves):
        draw(steps, result)
        for kind, lm in result["lm"].items():
            curves.plot(lm["seconds"], smoothed(lm["loss"]), label=KINDS[kind].language_model_label)
        curves.axhline(result["target_loss"], color="gray", linestyle=":", label="target")
        curves.set_xlabel("wall time (s, compiling excluded)")
        curves.set_ylabel("training loss (smoothed)")
        curves.legend()


def draw(ax, result):
    """Seconds per training step against the sequence length, per model."""
    for kind, values in result["step_seconds"].items():
        ax.loglog(result["length"], values, marker="o", label=label(kind))
    ax.set_xticks(result["length"], [str(t) for t in result["length"]])  # no 2×10¹ clutter
    ax.minorticks_off()
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("seconds per training step")
    ax.legend()
