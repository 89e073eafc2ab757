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

# %%
import os

# Pick the backend before Keras is imported: "jax", "tensorflow" or "torch". Everything below
# runs unchanged on each of them.
os.environ.setdefault("KERAS_BACKEND", "jax")

import inspect

import keras
import matplotlib.pyplot as plt
import numpy as np

import keraseq
from keraseq.analysis import input_gradient_norms
from keraseq.tutorial import show_source, start

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

plt.figure(figsize=(6, 3))
plt.plot(np.arange(1, len(history.history["loss"]) + 1), history.history["loss"], marker="o")
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.title(f"SimpleRNN(32) on the first-sign task, T = {TIMESTEPS}")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Vanishing and exploding gradients, measured
#
# How much does the last state $h_T$ still depend on the input $x_t$? The package measures
# $\lVert \partial (\textstyle\sum_j h_{T,j}) / \partial x_t \rVert$ for every $t$ with
# `keraseq.analysis.input_gradient_norms`, the same code on every backend:

# %%
print(inspect.getsource(input_gradient_norms))

# %% [markdown]
# The size of the recurrent matrix decides everything. Take $W_{hh}$ orthogonal and scale it by a
# gain $g$: below 1 each Jacobian shrinks the gradient and its size falls geometrically with the
# distance $T - t$ (vanishing); above 1 it grows until the $\tanh$ saturates (exploding).

# %%
STEPS = 40 if QUICK else 100
probe = rng.normal(size=(16, STEPS, 4)).astype("float32")
distance = np.arange(STEPS)[::-1]  # T - t

plt.figure(figsize=(6, 3.5))
for gain in (0.5, 1.0, 1.5, 3.0):
    initializer = keras.initializers.Orthogonal(gain=gain)
    layer = keraseq.layers.SimpleRNN(32, recurrent_initializer=initializer)
    norms = input_gradient_norms(layer, probe)
    plt.semilogy(distance, norms, label=f"gain {gain}")
    print(f"gain {gain}: at distance 0 {norms[-1]:.2e}, at distance {STEPS - 1} {norms[0]:.2e}")
plt.xlabel("distance T - t (steps)")
plt.ylabel(r"$\|\partial \Sigma h_T / \partial x_t\|$")
plt.title("How much of the gradient reaches step t")
plt.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# With gain 0.5 the signal from 20 steps back is already many orders of magnitude weaker: the
# RNN cannot learn what it cannot feel. With gains 1.5 and 3 the old inputs weigh *more* than the
# recent ones and one step of gradient descent can throw the weights far away.
#
# ## What clipping does
#
# Gradient clipping bounds the damage of exploding gradients: with `clipnorm=1.0` the optimizer
# rescales each gradient so that its norm is at most 1 before the update,
# $g \leftarrow g \cdot \min(1, 1 / \lVert g \rVert)$. Below, two identical RNNs start in the
# exploding regime (gain 1.5) and train on the first-sign task with $T = 20$ and the same SGD step
# size; only the second clips:

# %%
CLIP_STEPS = 20
x_clip, y_clip = first_sign_task(512 if QUICK else 2048, CLIP_STEPS)
plt.figure(figsize=(6, 3.5))
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
    plt.plot(np.arange(1, len(losses) + 1), losses, marker="o", label=label)
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.title("SGD(0.2) from an exploding start (gain 1.5)")
plt.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the printed losses: in a full run the unclipped model typically starts to learn, then a
# burst of large gradients throws its weights off and its loss climbs back towards chance (0.69),
# while the clipped one keeps descending (quick mode has too few epochs to show it). Clipping
# does nothing for *vanishing* gradients, though: a gradient that never arrives cannot be
# rescaled. That needs a different cell, with a
# path along which the gradient is not squashed at every step: [the LSTM](lstm.html).
