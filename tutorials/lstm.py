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
# # The LSTM and the GRU
#
# The long short-term memory (Hochreiter & Schmidhuber, 1997) keeps the RNN's hidden state $h_t$
# and adds a second one, the cell state $c_t$. The 1997 cell had an input and an output gate; the
# forget gate came with Gers, Schmidhuber & Cummins (1999, 2000), and the three-gate cell below is
# the LSTM that Keras, PyTorch and everyone else now implement. Each gate is a vector of
# numbers between 0 and 1 (a sigmoid $\sigma$) that multiplies, element by element ($\odot$),
# what flows through it. All of them read the same thing, the previous output and the new input
# $[h_{t-1}, x_t]$:
#
# * the **forget gate** decides how much of the old memory to keep,
#   $f_t = \sigma(W_f [h_{t-1}, x_t] + b_f)$;
# * the **input gate** decides how much new content to write,
#   $i_t = \sigma(W_i [h_{t-1}, x_t] + b_i)$, and the **candidate** is that content,
#   $\tilde c_t = \tanh(W_c [h_{t-1}, x_t] + b_c)$;
# * the **cell state** is updated by keeping and adding, nothing else:
#
# $$c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t;$$
#
# * the **output gate** decides how much of the memory to show,
#   $o_t = \sigma(W_o [h_{t-1}, x_t] + b_o)$, and $h_t = o_t \odot \tanh(c_t)$.
#
# From $c_{t-1}$ to $c_t$ there is no matrix and no squashing nonlinearity, only the scaling by
# $f_t$: $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$ along that path. When the
# forget gate stays near 1, the gradient travels back along this *highway* almost intact.
#
# ![The LSTM cell: the cell state runs along the top, multiplied by the forget gate and added to
# by the input gate times the candidate; four boxes, three sigmoids and a tanh, read
# [h_t-1, x_t]; the output gate times tanh(c_t) gives h_t](diagrams/lstm_cell.svg)

# %%
# keraseq comes first: it picks the backend before Keras is imported, KERAS_BACKEND's ("jax",
# "tensorflow" or "torch"), else the one installed. Everything below runs unchanged on each.
import keraseq  # isort: skip

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from keraseq.analysis import input_gradient_norms
from keraseq.tutorial import check, claim, say, show, show_source, start

QUICK, rng = start(seed=0)  # QUICK: KERASEQ_QUICK=1 (tests, CI) runs fewer samples and epochs

# %% [markdown]
# ## The cell, in code
#
# The four $W_\cdot [h_{t-1}, x_t] + b_\cdot$ are computed as one matrix product and split, in
# the order i, f, c, o of Keras's (and PyTorch's) weights; `xw_t` already holds the input part
# $W_{\cdot x} x_t + b_\cdot$. Each line carries its equation:

# %%
show_source(keraseq.layers.LSTMCell.step)

# %% [markdown]
# ## The same numbers as Keras


# %%
def max_diff_to_keras(ours, builtin, x):
    ours(x), builtin(x)
    ours.set_weights(builtin.get_weights())
    a, b = (ops.convert_to_numpy(layer(x)) for layer in (ours, builtin))
    return float(np.max(np.abs(a - b)))


x = rng.normal(size=(8, 15, 4)).astype("float32")
diff = max_diff_to_keras(
    keraseq.layers.LSTM(16, return_sequences=True), keras.layers.LSTM(16, return_sequences=True), x
)
print(f"LSTM: max |keraseq - keras| = {diff:.2e}")
assert diff < 1e-5

# %% [markdown]
# ## The highway, measured
#
# The same measure as on [the RNN page](rnn.html): how strongly the last state still depends on
# the input $t$ steps back, $\lVert \partial (\textstyle\sum_j h_{T,j}) / \partial x_t \rVert$,
# for freshly initialised layers of 32 units. Keras starts the LSTM's forget bias at
# $b_f = 1$ ($f_t \approx \sigma(1) \approx 0.73$); the last curve starts it at $b_f = 4$
# ($f_t \approx 0.98$), a cell that keeps its memory: what training has to learn when the task
# needs memory ([the evolution page](evolution.html) measures whether it does).

# %%
STEPS = 40 if QUICK else 100
probe = rng.normal(size=(16, STEPS, 4)).astype("float32")
layers = {
    "SimpleRNN": keraseq.layers.SimpleRNN(32),
    "GRU": keraseq.layers.GRU(32),
    "LSTM, b_f = 1": keraseq.layers.LSTM(32),
    "LSTM, b_f = 4": keraseq.layers.LSTM(32),
}
layers["LSTM, b_f = 4"](probe)  # build it, then open its forget gates
bias = ops.convert_to_numpy(layers["LSTM, b_f = 4"].cell.bias)
bias[32:64] = 4.0  # the forget gate's block (gates in the order i, f, c, o)
layers["LSTM, b_f = 4"].cell.bias.assign(bias)
distance = np.arange(STEPS)[::-1]
far = {}  # the gradient at distance STEPS - 1
fig = plt.figure(figsize=(6, 3.5))
for name, layer in layers.items():
    norms = input_gradient_norms(layer, probe)
    far[name] = norms[0]
    print(f"{name:>14}: at distance 0 {norms[-1]:.2e}, at distance {STEPS - 1} {norms[0]:.2e}")
    plt.semilogy(distance, np.maximum(norms, 1e-30), label=name)  # a 0 would leave the log plot
plt.xlabel("distance T - t (steps)")
plt.ylabel(r"$\|\partial \Sigma h_T / \partial x_t\|$")
plt.title("How much of the gradient reaches step t, at initialisation")
plt.legend()
plt.tight_layout()
show(fig, "Gradient norm against distance at initialisation: SimpleRNN, GRU, LSTM b_f 1 and 4")
order = sorted(far, key=far.get, reverse=True)
say(
    f"At distance {STEPS - 1}, from most to least gradient: "
    + ", ".join(f"{name} ({far[name]:.2e})" for name in order)
    + ".",
    claim(
        order[0] == "LSTM, b_f = 4",
        "Only the LSTM whose forget bias was set to 4 keeps a highway open at initialisation.",
        "The LSTM with $b_f = 4$ did not keep the most gradient in this run.",
    ),
    claim(
        far["LSTM, b_f = 1"] > far["SimpleRNN"],
        "Keras's default $b_f = 1$ is a highway with a toll: a factor near 0.73 per step still "
        "vanishes, only more slowly than the plain RNN.",
        "Keras's default $b_f = 1$ kept no more than the plain RNN here.",
    ),
    claim(
        far["GRU"] <= far["SimpleRNN"],
        "The GRU, initialised with zero biases, starts with its update gate near "
        r"$\sigma(0) = 0.5$: about half of $h_{t-1}$ passes each step, and it ends below the plain "
        "RNN.",
        "The GRU keeps more than the plain RNN here.",
    ),
    "A gate is a highway only once it is open, and at initialisation that is the bias's doing; "
    "training has to open it where the task needs memory.",
)
check(order[0] == "LSTM, b_f = 4", "only the forget bias 4 keeps a highway at initialisation")

# %% [markdown]
# ## The gates at work
#
# Train a small LSTM on the RNN page's task, recalling the sign of the *first* of $T$ noise
# values, then watch its gates while it reads one sequence.

# %%
TIMESTEPS = 20
x_train = rng.uniform(-1, 1, size=(512 if QUICK else 4096, TIMESTEPS, 1)).astype("float32")
y_train = (x_train[:, 0, 0] > 0).astype("float32")[:, None]
lstm = keraseq.layers.LSTM(8)
model = keras.Sequential(
    [keras.Input((TIMESTEPS, 1)), lstm, keras.layers.Dense(1, activation="sigmoid")]
)
model.compile(keras.optimizers.Adam(1e-2), "binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=64, epochs=2 if QUICK else 15, verbose=0)
epochs, accuracy = len(history.history["loss"]), history.history["accuracy"][-1]
print(f"training accuracy after {epochs} epochs: {accuracy:.3f} (chance: 0.5)")

# %% [markdown]
# `step` returns only $h_t$ and $c_t$; to see the gates, the cell below repeats its first lines
# with the trained weights and keeps $i_t, f_t, o_t$. It then checks that the $h_t$ it rebuilds
# equals the layer's own output, so the two cannot drift apart.

# %%
cell = lstm.cell
sequence = x_train[:1]
xw = cell.project_inputs(ops.convert_to_tensor(sequence))  # W_x x_t + b for every t at once
h, c = ops.zeros((1, cell.units)), ops.zeros((1, cell.units))
gates = {"input gate i": [], "forget gate f": [], "output gate o": []}
for t in range(TIMESTEPS):
    z_i, z_f, z_c, z_o = ops.split(xw[:, t] + ops.matmul(h, cell.recurrent_kernel), 4, axis=-1)
    i_t, f_t, o_t = ops.sigmoid(z_i), ops.sigmoid(z_f), ops.sigmoid(z_o)
    c = f_t * c + i_t * ops.tanh(z_c)
    h = o_t * ops.tanh(c)
    for name, value in zip(gates, (i_t, f_t, o_t)):
        gates[name].append(ops.convert_to_numpy(value)[0])
rebuilt = float(np.max(np.abs(ops.convert_to_numpy(h) - ops.convert_to_numpy(lstm(sequence)))))
print(f"max |rebuilt h_T - layer output| = {rebuilt:.2e}")
assert rebuilt < 1e-5

fig, axes = plt.subplots(1, 4, figsize=(11, 2.8), sharey=False)
axes[0].bar(np.arange(1, TIMESTEPS + 1), sequence[0, :, 0], color=["C3"] + ["C7"] * (TIMESTEPS - 1))
axes[0].set_title("input x_t (first one in red)")
axes[0].set_xlabel("t")
for ax, (name, values) in zip(axes[1:], gates.items()):
    image = ax.imshow(
        np.array(values).T,
        aspect="auto",
        vmin=0,
        vmax=1,
        cmap="viridis",
        extent=(0.5, TIMESTEPS + 0.5, cell.units - 0.5, -0.5),
    )
    ax.set_title(name)
    ax.set_xlabel("t")
axes[1].set_ylabel("unit")
fig.colorbar(image, ax=axes[1:], shrink=0.8)
show(fig, "One input sequence and the input, forget and output gates of each unit at every step")

# %% [markdown]
# Which unit carries the answer? The output layer reads $h_T$, so rank the units by how much
# they move the prediction, $|w_u\, h_{T,u}|$ with $w$ the `Dense` layer's weights, and read the
# gates of the strongest one: does it write at $t = 1$ (input gate open) and then hold (forget gate
# near 1, input gate closed)?

# %%
dense_weights = ops.convert_to_numpy(model.layers[-1].kernel)[:, 0]
h_final = ops.convert_to_numpy(h)[0]
unit = int(np.argmax(np.abs(dense_weights * h_final)))
i_first = gates["input gate i"][0][unit]
i_later = float(np.mean([g[unit] for g in gates["input gate i"][1:]]))
f_later = float(np.mean([g[unit] for g in gates["forget gate f"][1:]]))
print(f"unit {unit}: input gate {i_first:.2f} at t = 1, then {i_later:.2f} on average;")
print(f"         forget gate {f_later:.2f} on average after t = 1")
say(
    claim(
        i_first > i_later and f_later > 0.8,
        f"Unit {unit} does it in this run: it writes at $t = 1$ (input gate {i_first:.2f} against "
        f"{i_later:.2f} later) and holds (forget gate {f_later:.2f} on average after).",
        f"Unit {unit} does not follow that pattern in this run (input gate {i_first:.2f} at "
        f"$t = 1$, {i_later:.2f} later; forget gate {f_later:.2f}): a trained LSTM can spread the "
        "answer over several units and gates, and one sequence is one example.",
    ),
    "(Quick mode trains for 2 epochs only.)" if QUICK else "",
)

# %% [markdown]
#
# ## The GRU: two gates, one state
#
# The gated recurrent unit (Cho et al., 2014) merges the forget and input gates into one update
# gate $z_t$ and drops the separate cell state:
#
# $$
# \begin{aligned}
# z_t &= \sigma(W_{zx} x_t + W_{zh} h_{t-1} + b_z) \\
# r_t &= \sigma(W_{rx} x_t + W_{rh} h_{t-1} + b_r) \\
# \tilde h_t &= \tanh\big(W_{hx} x_t + r_t \odot (W_{hh} h_{t-1} + b_{hh}) + b_{hx}\big) \\
# h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t
# \end{aligned}
# $$
#
# $h_{t-1}$ reaches $h_t$ scaled by $z_t$ only: the same kind of highway, with three weight blocks
# instead of four, and, like the LSTM's, only as open as its gate (the measurement above).

# %%
show_source(keraseq.layers.GRUCell.step)

# %%
diff = max_diff_to_keras(
    keraseq.layers.GRU(16, return_sequences=True), keras.layers.GRU(16, return_sequences=True), x
)
print(f"GRU: max |keraseq - keras| = {diff:.2e}")
assert diff < 1e-5

features, units = 4, 32
print(f"parameters for {features} input features and {units} units:")
for cls in (keraseq.layers.SimpleRNN, keraseq.layers.GRU, keraseq.layers.LSTM):
    layer = cls(units)
    layer.build((None, None, features))
    shapes = [tuple(w.shape) for w in layer.weights]
    print(f"  {cls.__name__:>9}: {layer.count_params():>5}  {shapes}")

# %% [markdown]
# The LSTM has four blocks of $(d + n + 1) \cdot n$ weights for $d$ features and $n$ units, the
# GRU three (plus a second bias row with `reset_after=True`, Keras's and cuDNN's default), the
# simple RNN one. Gates fixed the gradient through time; what remains is the *sequential
# bottleneck*: step $t$ cannot start before step $t - 1$ ends, and everything the model knows
# about the past must squeeze through one fixed-size state. [Attention](attention.html) removes
# both.
#
# ## Summary
#
# * The LSTM adds a cell state $c_t$ updated by keeping ($f_t \odot c_{t-1}$) and adding
#   ($i_t \odot \tilde c_t$); along that path the gradient is scaled by $f_t$ alone.
# * A gate is a highway only when it is open: at initialisation the biases decide, and training
#   must open the gates where the task needs memory.
# * The GRU merges the forget and input gates into one update gate and keeps a single state:
#   three weight blocks instead of four.
# * Both still compute one step after another, through one fixed-size state.
#
# ## Exercises
#
# 1. In the highway cell, set the forget bias to 0 and to 2 instead of 4. How fast does each
#    gradient fade?
# 2. Give the GRU an update-gate bias of 3 (its bias block for $z$ is the first third) and
#    measure again: does it catch up with the LSTM $b_f = 4$?
# 3. Train the gated LSTM with `TIMESTEPS = 50`, then with `keraseq.layers.SimpleRNN(8)` in its
#    place. Which one still learns?
# 4. Check the parameter counts printed above against $4 (d + n + 1)\, n$ for the LSTM and
#    $3 (d + n + 2)\, n$ for the GRU.
