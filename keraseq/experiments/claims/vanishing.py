r"""Claim 1: the RNN's gradient vanishes with the distance; the LSTM's, GRU's less; attention's not.

For each model at the same width, the loss $L = \sum_j (y_T)_j$ is read at the last step and
$\lVert \partial L / \partial x_t \rVert$ is measured for every earlier step $t$
(`keraseq.analysis.input_gradient_norms`), at initialisation, on the same random inputs.
"""

import keras
import numpy as np

from keraseq.analysis import input_gradient_norms
from keraseq.experiments.support import plotting
from keraseq.experiments.support.encoders import sequence_encoder
from keraseq.models.kinds import KINDS, check_kinds, label

QUICK = dict(length=48)  # the quick tour's arguments of `run`
FULL = dict(length=100)  # the docs' figures
WIDTH = "width"  # the argument that `keraseq evolve --width` sets (None: none)
STEPS = None  # the argument that `--steps` sets
USES = ()  # what the tour passes in: the shared RecallBudget, the corpus

FLOOR = 1e-3  # "vanished": less than a thousandth of the gradient at distance 0


def run(kinds=tuple(KINDS), width=32, length=60, batch_size=16, features=8, seed=0, verbose=1):
    """Gradient norm against the distance $T - t$, for each model.

    Returns:
        `{"distance": [0..T-1], "norms": {kind: [...]}, "relative": {kind: [...]},
        "vanished_at": {kind: first distance with relative norm < FLOOR, or None}, ...}`;
        `relative` is the norm divided by the norm at distance 0.
    """
    kinds = check_kinds(kinds)
    x = np.random.default_rng(seed).normal(size=(batch_size, length, features)).astype("float32")
    norms, relative, vanished = {}, {}, {}
    bar = keras.utils.Progbar(len(kinds), verbose=verbose, unit_name="model")
    for kind in kinds:
        keras.utils.set_random_seed(seed)
        by_distance = input_gradient_norms(sequence_encoder(kind, width), x)[
            ::-1
        ]  # distance 0 first
        norms[kind] = [float(v) for v in by_distance]
        relative[kind] = [float(v / by_distance[0]) for v in by_distance]
        below = np.flatnonzero(np.asarray(relative[kind]) < FLOOR)
        vanished[kind] = int(below[0]) if below.size else None
        bar.add(1)
    return {
        "width": width,
        "length": length,
        "floor": FLOOR,
        "distance": list(range(length)),
        "norms": norms,
        "relative": relative,
        "vanished_at": vanished,
    }


def plot(result, path):
    with plotting.figure(path, "How much gradient reaches step t (at initialisation)") as ax:
        draw(ax, result)


def draw(ax, result):
    for kind, values in result["relative"].items():
        ax.semilogy(result["distance"], values, label=label(kind))
    ax.axhline(result["floor"], color="gray", linestyle=":", label="vanished")
    ax.set_xlabel("distance T - t (steps)")
    ax.set_ylabel("‖∂L/∂x_t‖ / ‖∂L/∂x_T‖")
    ax.legend()
