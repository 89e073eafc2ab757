# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The RNN
#
# A recurrent neural network reads a sequence one step at a time and carries what it has seen in
# a hidden state $h_t$. The simple RNN (Elman, 1990; trained by backpropagation through time,
# Rumelhart, Hinton & Williams, 1986) has one state and one nonlinearity:
#
# $$h_t = \tanh(W_{hh}\, h_{t-1} + W_{xh}\, x_t + b_h), \qquad y_t = W_{hy}\, h_t + b_y.$$
#
# The same weights $W_{hh}, W_{xh}, b_h$ are used at every step, so the network handles sequences
# of any length $T$. Training it means backpropagating through time: the gradient that reaches
# step $t$ from the loss at step $T$ passes through $T - t$ Jacobians
# $\partial h_k / \partial h_{k-1} = \operatorname{diag}(1 - h_k^2)\, W_{hh}$, and a long
# product of matrices either shrinks to nothing or blows up. This page shows both, measured.
#
# ![The RNN unrolled in time: three copies of one tanh cell, each reading its input x_t
# through W_xh and the previous state through W_hh, and emitting y_t through
# W_hy](diagrams/rnn_unrolled.svg)
#
# Unrolled, the RNN is a deep network with one layer per time step, all sharing their weights.

# %%
# keraseq comes first: it picks the backend before Keras is imported, KERAS_BACKEND's ("jax",
# "tensorflow" or "torch"), else the one installed. Everything below runs unchanged on each.
import keraseq  # isort: skip

import keras
import matplotlib.pyplot as plt
import numpy as np

from keraseq.analysis import input_gradient_norms
from keraseq.tutorial import check, claim, say, show, show_source, start

QUICK, rng = start(seed=0)  # QUICK: KERASEQ_QUICK=1 (tests, CI) runs fewer samples and epochs

# %% [markdown]
# ## The cell, in code
#
# `keraseq.layers.SimpleRNNCell` does one step. Its weights are stored as Keras stores them:
# `kernel` is $W_{xh}^\top$, `recurrent_kernel` is $W_{hh}^\top$ (Keras multiplies row vectors,
# `x @ kernel`). The input part $W_{xh} x_t + b_h$ does not depend on $h_{t-1}$, so the loop
# layer computes it for the whole sequence at once and hands the cell `xw_t`. This is the
# package's own code, read from the installed source (its docstring left out):

# %%
show_source(keraseq.layers.SimpleRNNCell.step)

# %% [markdown]
# ## The same numbers as Keras
#
# `keraseq.layers.SimpleRNN` takes the same weights as `keras.layers.SimpleRNN`. Copy them over
# and compare the outputs on random sequences:

# %%
x = rng.normal(size=(8, 15, 4)).astype("float32")
ours = keraseq.layers.SimpleRNN(16, return_sequences=True)
builtin = keras.layers.SimpleRNN(16, return_sequences=True)
ours(x), builtin(x)
ours.set_weights(builtin.get_weights())
print("weights:", [tuple(w.shape) for w in ours.get_weights()])
diff = np.max(np.abs(keras.ops.convert_to_numpy(ours(x)) - keras.ops.convert_to_numpy(builtin(x))))
print(f"max |keraseq - keras| = {diff:.2e}")
assert diff < 1e-5

# %% [markdown]
# ## A small task: remember the first value
#
# Each sequence is $T$ values of uniform noise in $[-1, 1]$; the label is whether the *first* one
# is positive. The answer sits at the start and the loss at the end, so the network has to carry
# one bit across the whole sequence.


# %%
def first_sign_task(n, timesteps):
    x = rng.uniform(-1, 1, size=(n, timesteps, 1)).astype("float32")
    return x, (x[:, 0, 0] > 0).astype("float32")[:, None]


def rnn_classifier(timesteps, **rnn_kwargs):
    return keras.Sequential(
        [
            keras.Input((timesteps, 1)),
            keraseq.layers.SimpleRNN(32, **rnn_kwargs),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


TIMESTEPS = 10
x_train, y_train = first_sign_task(512 if QUICK else 4096, TIMESTEPS)
x_test, y_test = first_sign_task(256 if QUICK else 1024, TIMESTEPS)
model = rnn_classifier(TIMESTEPS)
model.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=64, epochs=2 if QUICK else 12, verbose=0)
_, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy after {len(history.history['loss'])} epochs: {accuracy:.3f} (chance: 0.5)")

fig = plt.figure(figsize=(6, 3))
plt.plot(np.arange(1, len(history.history["loss"]) + 1), history.history["loss"], marker="o")
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.title(f"SimpleRNN(32) on the first-sign task, T = {TIMESTEPS}")
plt.tight_layout()
show(fig, f"Training loss per epoch of SimpleRNN(32) on the first-sign task with T = {TIMESTEPS}")
say(
    claim(
        accuracy > 0.9,
        f"At $T = {TIMESTEPS}$ the RNN learns the task: {accuracy:.1%} of the test sequences "
        "right.",
        f"After {len(history.history['loss'])} epochs the RNN gets {accuracy:.1%} of the test "
        "sequences right: not learned yet.",
    )
)

# %% [markdown]
# ## Vanishing and exploding gradients, measured
#
# How much does the last state $h_T$ still depend on the input $x_t$? The package measures
# $\lVert \partial (\textstyle\sum_j h_{T,j}) / \partial x_t \rVert$ for every $t$ with
# `keraseq.analysis.input_gradient_norms`, the same code on every backend:

# %%
show_source(input_gradient_norms)

# %% [markdown]
# Two things set the size of each Jacobian $\operatorname{diag}(1 - h_k^2)\, W_{hh}$: the
# recurrent matrix and how saturated the $\tanh$ is. Take $W_{hh}$ orthogonal and scale it by a
# gain $g$, so that $W_{hh}$ alone multiplies lengths by exactly $g$; the factor
# $1 - h_k^2 = \tanh'$ is at most 1 and shrinks towards 0 as the units saturate, and how saturated
# they are depends on the *inputs*. Below, inputs of standard deviation 1 for four gains, and the
# gain 1.5 once more with inputs 100 times smaller, which keep the $\tanh$ near its linear regime.

# %%
STEPS = 40 if QUICK else 100
probe = rng.normal(size=(16, STEPS, 4)).astype("float32")
distance = np.arange(STEPS)[::-1]  # T - t
settings = [(0.5, 1.0), (1.0, 1.0), (1.5, 1.0), (3.0, 1.0), (1.5, 0.01)]  # (gain, input scale)

ratio = {}  # the gradient at distance STEPS - 1 relative to distance 0
fig = plt.figure(figsize=(6, 3.5))
for gain, scale in settings:
    initializer = keras.initializers.Orthogonal(gain=gain)
    layer = keraseq.layers.SimpleRNN(32, recurrent_initializer=initializer)
    norms = input_gradient_norms(layer, scale * probe)
    ratio[gain, scale] = norms[0] / norms[-1]
    label = f"gain {gain}" + ("" if scale == 1 else f", inputs × {scale}")
    plt.semilogy(distance, norms / norms[-1], label=label)
    print(f"{label}: at distance 0 {norms[-1]:.2e}, at distance {STEPS - 1} {norms[0]:.2e}")
plt.xlabel("distance T - t (steps)")
plt.ylabel(r"$\|\partial \Sigma h_T / \partial x_t\|$ / its value at 0")
plt.title("How much of the gradient reaches step t")
plt.legend()
plt.tight_layout()
show(fig, "Relative gradient norm against distance, log scale, for recurrent gains 0.5 to 3")


def regime(r):  # the gradient far back relative to near: vanished, exploded or neither
    if r < 1e-2:
        return f"vanished (× {r:.1e})"
    if r > 1e2:
        return f"exploded (× {r:.1e})"
    return f"kept its size (× {r:.2g})"


say(
    f"Over {STEPS - 1} steps the gradient "
    + "; ".join(
        f"{regime(ratio[g, s])} at gain {g}" + ("" if s == 1 else f" with inputs × {s}")
        for g, s in settings
    )
    + ".",
    claim(
        ratio[1.0, 1.0] < 1e-2,
        "Even gain 1 vanishes: $W_{hh}$ keeps every length, but each $\\tanh' \\le 1$ takes its "
        "share, step after step.",
        "At gain 1 it did not vanish in this run.",
    ),
    claim(
        ratio[1.5, 0.01] > 1e2 and ratio[1.5, 1.0] < 1e2,
        "The gain 1.5 explodes only with the small inputs: with inputs of size 1 the saturated "
        "$\\tanh$ takes back what $W_{hh}$ adds. Whether a gradient explodes depends on the input "
        "scale as well as on the matrix; the evolution page, with small inputs, sees a spectral "
        "radius of 1.5 explode.",
        "The gain 1.5 behaves alike at both input scales in this run.",
    ),
    "The RNN cannot learn what it cannot feel; where the gradient explodes, one step of "
    "gradient descent can throw the weights far away.",
)
check(ratio[0.5, 1.0] < 1e-2 and ratio[3.0, 1.0] > 1e2, "gain 0.5 vanishes and gain 3 explodes")
check(
    1e-2 <= ratio[1.5, 1.0] <= 1e2,
    "at gain 1.5 with inputs of size 1 the gradient keeps its size over distance",
)

# %% [markdown]
# ## What clipping does
#
# Gradient clipping bounds the damage of large gradients: with `clipnorm=1.0` the optimizer
# rescales each gradient so that its norm is at most 1 before the update,
# $g \leftarrow g \cdot \min(1, 1 / \lVert g \rVert)$. Below, two identical RNNs start at gain
# 1.5 (where, at inputs of size 1, the gradient keeps its size over distance: measured above)
# and train on the first-sign task with $T = 20$ and the same large SGD step; only the second
# clips:

# %%
CLIP_STEPS = 20
x_clip, y_clip = first_sign_task(512 if QUICK else 2048, CLIP_STEPS)
final = {}  # clipnorm: (lowest loss, last loss)
fig = plt.figure(figsize=(6, 3.5))
for clipnorm in (None, 1.0):
    keras.utils.set_random_seed(1)  # the same initial weights for both runs
    initializer = keras.initializers.Orthogonal(gain=1.5)
    model = rnn_classifier(CLIP_STEPS, recurrent_initializer=initializer)
    model.compile(
        keras.optimizers.SGD(0.2, clipnorm=clipnorm), "binary_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x_clip, y_clip, batch_size=64, epochs=2 if QUICK else 8, verbose=0)
    losses, accuracy = history.history["loss"], history.history["accuracy"][-1]
    label = "no clipping" if clipnorm is None else f"clipnorm={clipnorm}"
    print(f"{label}: loss per epoch {np.round(losses, 3)}, final accuracy {accuracy:.2f}")
    final[clipnorm] = (min(losses), losses[-1])
    plt.plot(np.arange(1, len(losses) + 1), losses, marker="o", label=label)
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.title("SGD(0.2) from gain 1.5, with and without clipping")
plt.legend()
plt.tight_layout()
show(fig, "Training loss per epoch with and without gradient clipping, from gain 1.5")
(best, last), (_, last_clipped) = final[None], final[1.0]
say(
    claim(
        last > best + 0.1,
        f"Without clipping the loss fell to {best:.3f}, then large updates threw the weights off "
        f"and it ended at {last:.3f} (chance: 0.693).",
        f"Without clipping the loss went from its best, {best:.3f}, to {last:.3f}: no blow-up.",
    ),
    claim(
        last_clipped < last,
        f"With clipping it ended lower, at {last_clipped:.3f}.",
        f"With clipping it ended at {last_clipped:.3f}: clipping did not help in this run.",
    ),
    "(Quick mode trains for 2 epochs: too few to promise either.)" if QUICK else "",
)
check(last_clipped < last, "clipping ends with the lower loss", full_only=True)

# %% [markdown]
# Clipping does nothing for *vanishing* gradients, though: a gradient that never arrives cannot be
# rescaled. That needs a different cell, with a path along which the gradient is not squashed at
# every step: [the LSTM](lstm.html).
#
# ## Summary
#
# * An RNN applies one cell, with the same weights, at every step; its state $h_t$ is all it
#   remembers of the past.
# * Backpropagation through time multiplies one Jacobian
#   $\operatorname{diag}(1 - h_k^2)\, W_{hh}$ per step, so the gradient from $T - t$ steps back
#   shrinks or grows geometrically; the input scale matters as well as the matrix, through the
#   $\tanh$'s saturation.
# * Clipping bounds the size of an update; it cannot restore a gradient that vanished.
#
# ## Exercises
#
# 1. Raise `TIMESTEPS` of the first-sign task to 50, then 100. From which length does the test
#    accuracy stay at chance?
# 2. In the gradient cell, add the gain 1.2 and the input scales 0.1 and 10 to `settings`. Where
#    is the boundary between vanishing and exploding at each input scale?
# 3. Give the RNN `activation="relu"` at gain 1.5 (`keraseq.layers.SimpleRNN(32,
#    activation="relu", ...)`): what does the gradient do without saturation?
# 4. Run the clipping cell with `clipnorm=0.1` and with `clipnorm=10`. Which one loses the benefit,
#    and why does the other learn slowly?
