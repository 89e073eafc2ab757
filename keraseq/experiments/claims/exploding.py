r"""Claim 2: a recurrent weight of spectral radius above 1 explodes the gradient; clipping tames it.

Part 1 sets the RNN's `recurrent_kernel` to $\rho Q$, $Q$ orthogonal (every singular value, hence
the spectral radius, is $\rho$), feeds small inputs (so tanh stays near its linear regime) and
measures $\lVert \partial L / \partial x_t \rVert$ against the distance: it grows like $\rho^{T-t}$.

Part 2 trains the same small RNN on the recall task with plain SGD, once without clipping and once
with `global_clipnorm`: the update $\Delta w = -\eta\, g$ then has norm at most $\eta \cdot$
clipnorm.
"""

import keras
import numpy as np

from keraseq.analysis import input_gradient_norms
from keraseq.experiments.support import plotting
from keraseq.experiments.support.language import StepClock
from keraseq.experiments.support.recall import recall_batch
from keraseq.layers import SimpleRNN

QUICK = dict(length=24, train_steps=30)  # the quick tour's arguments of `run`
FULL = dict(length=40, train_steps=200)  # the docs' figures
WIDTH = "width"  # the argument that `keraseq evolve --width` sets (None: none)
STEPS = "train_steps"  # the argument that `--steps` sets
USES = ()  # what the tour passes in: the shared RecallBudget, the corpus


def rnn(width, radius):
    return SimpleRNN(width, recurrent_initializer=keras.initializers.Orthogonal(gain=radius))


def gradient_norms(radii, width, length, input_scale, seed):
    x = input_scale * np.random.default_rng(seed).normal(size=(16, length, 8)).astype("float32")
    norms = {}
    for radius in radii:
        keras.utils.set_random_seed(seed)
        norms[str(radius)] = [float(v) for v in input_gradient_norms(rnn(width, radius), x)[::-1]]
    return norms


class UpdateNorms(StepClock):
    """Also records the norm of each step's weight update $\\lVert w_{k+1} - w_k \\rVert$."""

    def __init__(self):
        super().__init__()
        self.updates, self.before = [], None

    def on_train_batch_begin(self, batch, logs=None):
        self.before = [np.array(w) for w in self.model.get_weights()]

    def on_train_batch_end(self, batch, logs=None):
        after = self.model.get_weights()
        self.updates.append(
            float(np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(after, self.before))))
        )
        super().on_train_batch_end(batch, logs)


def train_curves(clipnorm, radius, width, length, steps, learning_rate, seed):
    """Loss and update norm per step of SGD on the recall task, clipped at `clipnorm` (or not)."""
    keras.utils.set_random_seed(seed)
    x, y = recall_batch(
        np.random.default_rng(seed), steps * 32, length, length - 1, 4, distractors=True
    )
    model = keras.Sequential([keras.Input((length, 6)), rnn(width, radius), keras.layers.Dense(4)])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate, global_clipnorm=clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    log = UpdateNorms()
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[log])
    return {"loss": log.losses, "update_norm": log.updates}


def run(
    radii=(0.9, 1.0, 1.5),
    width=32,
    length=30,
    input_scale=1e-3,
    train_radius=1.5,
    train_steps=60,
    learning_rate=0.5,
    clipnorm=1.0,
    seed=0,
    verbose=1,
):
    """Gradient norms against the distance per spectral radius, and SGD with and without clipping.

    Returns:
        `{"distance", "norms": {radius: [...]}, "growth": {radius: norm at the longest distance /
        norm at distance 0}, "training": {"unclipped": {"loss", "update_norm"}, "clipped": {...}},
        "clipnorm", "learning_rate", "max_update": {...}}`.
    """
    bar = keras.utils.Progbar(3, verbose=verbose, unit_name="part")
    norms = gradient_norms(radii, width, length, input_scale, seed)
    bar.add(1)
    training = {}
    for name, clip in (("unclipped", None), ("clipped", clipnorm)):
        training[name] = train_curves(
            clip, train_radius, width, length, train_steps, learning_rate, seed
        )
        bar.add(1)
    return {
        "width": width,
        "length": length,
        "input_scale": input_scale,
        "distance": list(range(length)),
        "norms": norms,
        "growth": {r: v[-1] / v[0] for r, v in norms.items()},
        "train_radius": train_radius,
        "learning_rate": learning_rate,
        "clipnorm": clipnorm,
        "training": training,
        "max_update": {name: max(c["update_norm"], default=0.0) for name, c in training.items()},
    }


def plot(result, path):
    title = "Exploding gradients, and what clipping does"
    with plotting.figure(path, title, ncols=3) as (grads, losses, updates):
        for radius, values in result["norms"].items():
            grads.semilogy(result["distance"], values, label=f"spectral radius {radius}")
        grads.set_xlabel("distance T - t (steps)")
        grads.set_ylabel("‖∂L/∂x_t‖")
        grads.legend()
        for name, curves in result["training"].items():
            losses.semilogy(curves["loss"], label=name)
            updates.semilogy(curves["update_norm"], label=name)
        bound = result["learning_rate"] * result["clipnorm"]
        updates.axhline(bound, color="gray", linestyle=":", label="η · clipnorm")
        losses.set_xlabel("SGD step")
        losses.set_ylabel("training loss")
        updates.set_xlabel("SGD step")
        updates.set_ylabel("‖Δw‖")
        losses.legend()
        updates.legend()
