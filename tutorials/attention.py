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
# # Attention
#
# A recurrent network squeezes everything it has read into one state $h_t$. Attention lets a
# position look directly at others and take a weighted average of what it finds. It began as
# *cross*-attention, with an additive score, between a translation decoder and the encoder's
# states (Bahdanau, Cho & Bengio, 2015); the Transformer (Vaswani et al., 2017) made it
# *self*-attention with a scaled dot product, every position of one sequence reading every other.
# Each position emits a query $q$, a key $k$ and a value $v$; position $i$ weighs position $j$ by
# how well $q_i$ matches $k_j$:
#
# $$
# \operatorname{Attention}(Q, K, V)
# = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V.
# $$
#
# The scores $QK^\top$ are divided by $\sqrt{d_k}$ so that their spread does not grow with the
# key size (with unit-variance entries a dot product of $d_k$ terms has variance $d_k$), which would
# push the softmax into saturation. Each row of $A = \operatorname{softmax}(\cdot)$ sums to 1: a
# distribution over the positions to read from.

# %%
# keraseq comes first: it picks the backend before Keras is imported, KERAS_BACKEND's ("jax",
# "tensorflow" or "torch"), else the one installed. Everything below runs unchanged on each.
import keraseq  # isort: skip

import keras
import matplotlib.pyplot as plt
import numpy as np

from keraseq.data.corpus import python_docs
from keraseq.layers import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from keraseq.tutorial import check, claim, say, show, show_source, start

QUICK, rng = start(seed=0)  # QUICK: KERASEQ_QUICK=1 (tests, CI) trains for a few steps only

# %% [markdown]
# ## The equation, in code
#
# `keraseq.layers.scaled_dot_product_attention` works on the last two axes, so the same code
# serves one sequence, a batch, or a batch of heads. Masked positions get a large negative score
# before the softmax and a weight of exactly 0 after it, so a query that may look at nothing gets
# zeros rather than NaN. The lines that compute the equation, from the installed source (the
# whole function, with its checks, is in the [API reference](api.html)):

# %%
show_source(scaled_dot_product_attention, start="scale = ops.cast", end="return outputs")

# %% [markdown]
# Keras ships a fused version, `keras.ops.dot_product_attention`, which takes its inputs as
# `(batch, positions, heads, size)`. The two agree:

# %%
q, k, v = (rng.normal(size=(2, 4, 10, 16)).astype("float32") for _ in range(3))  # (B, heads, T, d)
ours, weights = scaled_dot_product_attention(q, k, v, is_causal=True)
to_bthd = lambda t: np.swapaxes(keras.ops.convert_to_numpy(t), 1, 2)  # (B, T, heads, d)
fused = keras.ops.dot_product_attention(to_bthd(q), to_bthd(k), to_bthd(v), is_causal=True)
diff = np.max(np.abs(to_bthd(ours) - keras.ops.convert_to_numpy(fused)))
print(f"max |keraseq - keras.ops.dot_product_attention| = {diff:.2e}")
assert diff < 1e-5
print("rows sum to 1:", np.allclose(keras.ops.convert_to_numpy(weights).sum(-1), 1, atol=1e-5))

# %% [markdown]
# Why divide by $\sqrt{d_k}$? Measure it: for random unit-variance queries and keys of growing
# size $d_k$, the entropy of a softmax row over 64 keys (in nats; $\ln 64 = 4.16$ is the uniform
# distribution, 0 a single key taking all the weight), with and without the scaling.


# %%
def mean_entropy(d_k, scaled):
    q_, k_ = rng.normal(size=(2, 256, 64, d_k)).astype("float32")  # 256 rows of 64 keys
    scores = q_ @ np.swapaxes(k_, -1, -2) / (np.sqrt(d_k) if scaled else 1.0)
    a = keras.ops.convert_to_numpy(keras.ops.softmax(scores, axis=-1))
    return float(np.mean(-np.sum(a * np.log(a + 1e-30), axis=-1)))


sizes = [4, 16, 64, 256]
entropy = {scaled: [mean_entropy(d, scaled) for d in sizes] for scaled in (True, False)}
for d, e_scaled, e_raw in zip(sizes, entropy[True], entropy[False]):
    print(f"d_k = {d:3d}: entropy {e_scaled:.2f} scaled, {e_raw:.2f} unscaled")
say(
    claim(
        max(entropy[True]) - min(entropy[True]) < 0.5 and entropy[False][-1] < 1,
        f"Scaled, the entropy stays near {np.mean(entropy[True]):.2f} whatever $d_k$ (from "
        f"{min(entropy[True]):.2f} to {max(entropy[True]):.2f}); unscaled it falls to "
        f"{entropy[False][-1]:.2f} at $d_k = {sizes[-1]}$: the softmax saturates, nearly all the "
        "weight on one key, and its gradient to the other scores nearly vanishes.",
        "In this run the scaling did not keep the entropy steady.",
    )
)
check(entropy[False][-1] < entropy[True][-1], "without the scaling the softmax saturates")

# %% [markdown]
# ## Masks
#
# A decoder must not read the future: position $i$ may only look at $j \le i$. The causal mask is
# the lower triangle $M_{ij} = [i \ge j]$, built from `arange` and a comparison (so it also works
# with a traced length under `jax.jit`). A padding mask hides the padding keys. Masks combine by
# logical AND: a position is read only if every mask allows it.

# %%
show_source(causal_mask)

padding = np.array([True] * 6 + [False] * 2)  # the last two tokens are padding
combined = keras.ops.convert_to_numpy(causal_mask(8, 8)) & padding[None, :]
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, mask, title in zip(
    axes,
    [keras.ops.convert_to_numpy(causal_mask(8, 8)), np.broadcast_to(padding, (8, 8)), combined],
    ["causal: j ≤ i", "padding: keys 6, 7 hidden", "causal AND padding"],
):
    ax.imshow(mask, cmap="Blues", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xlabel("key position j")
axes[0].set_ylabel("query position i")
plt.tight_layout()
show(fig, "Three 8 by 8 masks: the causal lower triangle, padding of keys 6 and 7, and both")

# %% [markdown]
# ## Multi-head attention
#
# One attention computes one weighting. Multi-head attention runs $H$ of them side by side, each in
# its own learned subspace of size $d_k$, and mixes their outputs back:
#
# $$\text{head}_h = \operatorname{Attention}(X W^Q_h, X W^K_h, X W^V_h), \qquad
# Y = [\text{head}_1, \dots, \text{head}_H]\, W^O.$$
#
# `keraseq.layers.MultiHeadAttention` stores $W^Q, W^K, W^V$ as `(features, heads, d_k)` and $W^O$
# as `(heads, d_v, features)`, exactly as `keras.layers.MultiHeadAttention` does, so the weights of
# one fit the other. The lines of `MultiHeadAttention.attend` that compute the equations (the
# whole method, with the KV cache and the fused kernel, is in the [API reference](api.html)):

# %%
show_source(MultiHeadAttention.attend, start="q = self.projection", end="q = self.projection")
show_source(MultiHeadAttention.attend, start='k = self.projection("key"', end="v = self.projection")
# ... each head: scaled_dot_product_attention on (B, heads, T, d_k), as above; then W^O:
show_source(
    MultiHeadAttention.attend,
    start="outputs = ops.einsum",
    end="outputs = outputs + self.output_bias",
)

# %%
x = rng.normal(size=(2, 12, 32)).astype("float32")
ours, builtin = (
    MultiHeadAttention(num_heads=4, key_dim=8),
    keras.layers.MultiHeadAttention(num_heads=4, key_dim=8),
)
ours(x, x), builtin(x, x)
ours.set_weights(builtin.get_weights())
y, scores = ours(x, x, use_causal_mask=True, return_attention_scores=True)
y_ref, scores_ref = builtin(x, x, use_causal_mask=True, return_attention_scores=True)
for name, a, b in [("outputs", y, y_ref), ("attention weights", scores, scores_ref)]:
    diff = np.max(np.abs(keras.ops.convert_to_numpy(a) - keras.ops.convert_to_numpy(b)))
    print(f"{name}: max |keraseq - keras| = {diff:.2e}")
    assert diff < 1e-5

# %% [markdown]
# ## What the heads look at, on a real sentence
#
# Random weights attend at random. To see meaningful patterns we train a one-block character-level
# language model (token embedding + learned positions + one causal `TransformerBlock` + a softmax
# over characters) to predict the next character of English text: the Python documentation that
# ships with every CPython. Then we run it on a sentence and draw each head's weights $A$: row $i$
# is the distribution over the characters that character $i$ reads.

# %%
text = python_docs()
chars = sorted(set(text))
index = {c: i for i, c in enumerate(chars)}
ids = np.array([index[c] for c in text], dtype="int32")
CONTEXT, WIDTH, HEADS = 48, 64, 4


def batch(size):
    starts = rng.integers(0, len(ids) - CONTEXT - 1, size=size)
    window = np.stack([ids[s : s + CONTEXT + 1] for s in starts])
    return window[:, :-1], window[:, 1:]


tokens = keras.Input((CONTEXT,), dtype="int32")
h = keras.layers.Embedding(len(chars), WIDTH)(tokens)
h = h + keraseq.layers.PositionEmbedding(CONTEXT)(h)
block = keraseq.layers.TransformerBlock(HEADS, 4 * WIDTH, normalize_first=True)
h = block(h)
model = keras.Model(tokens, keras.layers.Dense(len(chars))(keras.layers.LayerNormalization()(h)))
model.compile(
    keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
)
steps = 20 if QUICK else 1500
losses = [float(model.train_on_batch(*batch(64))) for _ in range(steps)]
print(
    f"next-character loss: {losses[0]:.2f} at the start, "
    f"{np.mean(losses[-20:]):.2f} after {steps} steps "
    f"(uniform guessing: {np.log(len(chars)):.2f})"
)

# %%
sentence = "The for statement iterates over the items of any"[:CONTEXT].ljust(CONTEXT)
x = np.array([[index.get(c, 0) for c in sentence]], dtype="int32")
# The block's input, then its attention weights (B, heads, T, T):
embed_model = keras.Model(tokens, block.input)
_, attention_weights = block(embed_model(x), return_attention_scores=True)
attention_weights = keras.ops.convert_to_numpy(attention_weights)[0]

fig, axes = plt.subplots(1, HEADS, figsize=(4 * HEADS, 4.4))
for head, ax in enumerate(axes):
    ax.imshow(attention_weights[head], cmap="viridis")
    ax.set_xticks(range(CONTEXT), list(sentence), fontsize=6)
    ax.set_yticks(range(CONTEXT), list(sentence), fontsize=6)
    ax.set_title(f"head {head}")
axes[0].set_ylabel("query (reading) character")
fig.supxlabel("key (read) character")
plt.tight_layout()
show(fig, f"Attention weights of the {HEADS} heads over the sentence: {sentence.strip()!r}")

# %% [markdown]
# The upper triangle is empty: the causal mask at work. What does each head read? Three numbers
# per head, averaged over the query characters: the weight on the character itself (the
# diagonal), on the previous one (the line just below it, what an $n$-gram model would use), and
# on the spaces before it, against the share of spaces among the characters it may read (what a
# head spreading its weight evenly would give them).

# %%
A = attention_weights  # (heads, T, T)
T = len(sentence)
is_space = np.array([c == " " for c in sentence])
allowed = np.tril(np.ones((T, T), bool), k=-1)  # j < i: the earlier characters
space_share = (allowed & is_space[None, :]).sum(1)[1:] / np.arange(1, T)
profile = {}
for head in range(HEADS):
    own = float(np.mean(np.diag(A[head])))
    previous = float(np.mean(np.diag(A[head], k=-1)))
    spaces = float(np.mean((A[head] * (allowed & is_space[None, :])).sum(1)[1:]))
    profile[head] = own, previous, spaces
    print(
        f"head {head}: itself {own:.2f}, previous character {previous:.2f}, "
        f"earlier spaces {spaces:.2f} (even spread: {space_share.mean():.2f})"
    )


def reading(head):
    own, previous, spaces = profile[head]
    if previous > 0.5:
        return "reads mostly the previous character"
    if own > 0.5:
        return "reads mostly its own character"
    if spaces > 2 * space_share.mean():
        return f"gives the spaces {spaces / space_share.mean():.1f} times their even share"
    return "spreads its weight over several earlier characters"


specialised = len({reading(head) for head in range(HEADS)}) > 1
say(
    "; ".join(
        f"Head {head} {reading(head)}" if head == 0 else f"head {head} {reading(head)}"
        for head in range(HEADS)
    )
    + ".",
    claim(
        specialised,
        "The heads have specialised: different heads read different things.",
        "All heads read alike here.",
    ),
    "(In quick mode the model has barely trained.)" if QUICK else "",
)

# %% [markdown]
# ## Summary
#
# * Attention is a weighted average of values, with weights $\operatorname{softmax}(q \cdot k /
#   \sqrt{d_k})$; every position reads every allowed position in one step.
# * The $\sqrt{d_k}$ keeps the scores' spread, and so the softmax's entropy, independent of the
#   key size.
# * Masks remove keys before the softmax: the causal mask hides the future, a padding mask the
#   padding, and they combine by AND.

# %%
say(
    "* Multi-head attention runs several attentions in learned subspaces and mixes them with "
    "$W^O$; "
    + claim(
        specialised,
        "after training, the heads above read different things.",
        "after this run's training, the heads above all read alike: different heads *can* read "
        "different things, and this run did not show it.",
    )
    + (" (Quick mode: barely trained.)" if QUICK else "")
)

# %% [markdown]
# ## Exercises
#
# 1. In `mean_entropy`, add $d_k = 1024$. How far does the unscaled entropy fall?
# 2. Call `scaled_dot_product_attention(q, k, v)` without `is_causal` and with a padding mask
#    that hides every key of one query: what does that query's output contain?
# 3. Train the one-block model with 1 head, then with 8 (`HEADS`, with `WIDTH` divisible by it),
#    and compare the final losses and the heads' profiles.
# 4. Run the heads on a sentence of your own, e.g. a line of Python code: do the same heads read
#    the same things?
#
# The next page, [the Transformer](transformer.html), puts attention in a block with positions, a
# feed-forward network, residual connections and layer normalization, and decodes with a KV cache.
