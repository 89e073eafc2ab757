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
# # The Transformer
#
# The Transformer (Vaswani et al., 2017) drops recurrence: a stack of identical blocks, each made of
# [multi-head self-attention](attention.html), where every position reads the others, and a
# feed-forward network, which transforms each position on its own. Each sub-layer is wrapped in a
# residual connection and a layer normalization. The original places the normalization after the
# residual sum (post-norm); GPT-2 and most LLMs place it before the sub-layer (pre-norm), which
# keeps a clean residual path $x \to y$ and trains more stably when deep:
#
# $$
# \begin{aligned}
# \text{post-norm:}\quad & h = \operatorname{LN}_1\big(x + \operatorname{MHA}(x)\big), &
# y &= \operatorname{LN}_2\big(h + \operatorname{FFN}(h)\big) \\
# \text{pre-norm:}\quad & h = x + \operatorname{MHA}\big(\operatorname{LN}_1(x)\big), &
# y &= h + \operatorname{FFN}\big(\operatorname{LN}_2(h)\big) \\
# & \operatorname{FFN}(x) = \phi(x W_1 + b_1)\, W_2 + b_2
# \end{aligned}
# $$
#
# where $\phi$ is a nonlinearity applied element by element: ReLU, $\max(0, z)$, in the original
# and by default here (as in KerasHub), GELU, $z \cdot \Phi(z)$ with $\Phi$ the standard normal
# distribution function, in GPT-2 and in this package's `MiniGPT`. The FFN widens each position
# to `intermediate_dim` (usually 4 × the width) and back.
#
# ![The pre-norm Transformer block, repeated N times: LayerNorm, masked multi-head self-attention
# and a residual add, then LayerNorm, the feed-forward network and a residual
# add](diagrams/transformer_block.svg)

# %%
# keraseq comes first: it picks the backend before Keras is imported, KERAS_BACKEND's ("jax",
# "tensorflow" or "torch"), else the one installed. Everything below runs unchanged on each.
import keraseq  # isort: skip

import json
import time
from pathlib import Path

import keras
import keras_hub
import matplotlib.pyplot as plt
import numpy as np

from keraseq.layers import (
    FeedForward,
    RotaryEmbedding,
    SinusoidalPositionEncoding,
    TransformerBlock,
)
from keraseq.layers.attention import kv_cache
from keraseq.tutorial import check, claim, say, show, show_source, start

QUICK, rng = start(seed=0)  # QUICK: KERASEQ_QUICK=1 (tests, CI) times fewer repeats

# %% [markdown]
# ## The block, in code
#
# `keraseq.layers.TransformerBlock` is a decoder block: its self-attention is causal by default.
# The lines of its `call` that compute the two equations, from the installed source (the whole
# method, with masks and the cache, is in the [API reference](api.html)):

# %%
show_source(TransformerBlock.call, start="x = inputs", end="return")
show_source(FeedForward.call)

# %% [markdown]
# ## The same numbers as KerasHub
#
# With the same configuration, the block has the weights of `keras_hub.layers.TransformerDecoder`
# used decoder-only, in the same order, and computes the same outputs, in both normalization
# orders and with padding:

# %%
x = rng.normal(size=(2, 10, 32)).astype("float32")
padding = np.array([[True] * 7 + [False] * 3, [True] * 10])
for normalize_first in (False, True):
    ours = TransformerBlock(num_heads=4, intermediate_dim=64, normalize_first=normalize_first)
    reference = keras_hub.layers.TransformerDecoder(
        intermediate_dim=64, num_heads=4, normalize_first=normalize_first
    )
    ours(x), reference(x)
    ours.set_weights(reference.get_weights())
    diff = max(
        np.max(
            np.abs(
                keras.ops.convert_to_numpy(ours(x, mask=padding))
                - keras.ops.convert_to_numpy(reference(x, decoder_padding_mask=padding))
            )
        ),
        np.max(
            np.abs(keras.ops.convert_to_numpy(ours(x)) - keras.ops.convert_to_numpy(reference(x)))
        ),
    )
    print(
        f"normalize_first={normalize_first}: {len(ours.weights)} weights, "
        f"max |keraseq - keras_hub| = {diff:.2e}"
    )
    assert diff < 1e-5

# %% [markdown]
# ## Where each token is
#
# Attention is a weighted average over a *set*: without a mask, shuffle the tokens and each
# output is the same, shuffled (*permutation equivariance*). The causal mask breaks that, since
# it lets position $i$ read only what comes before it, but only through the mask: the block still
# does not know *where* a token is, only which ones precede it. Measured on the block of the
# previous cell (no positions added):

# %%
order = rng.permutation(x.shape[1])
for causal in (False, True):
    shuffled_then_block = keras.ops.convert_to_numpy(ours(x[:, order], use_causal_mask=causal))
    block_then_shuffled = keras.ops.convert_to_numpy(ours(x, use_causal_mask=causal))[:, order]
    gap = float(np.max(np.abs(shuffled_then_block - block_then_shuffled)))
    print(f"use_causal_mask={causal}: max |block(shuffled) - shuffled(block)| = {gap:.2e}")
    check((gap < 1e-4) != causal, "equivariant without the mask, not with it")

# %% [markdown]
# Order must be put in. Three ways, all in `keraseq.layers`:
#
# * `SinusoidalPositionEncoding`, the original's fixed table, added to the embeddings:
#   $PE_{p,2i} = \sin(p/10000^{2i/d})$, $PE_{p,2i+1} = \cos(p/10000^{2i/d})$: each pair of
#   features is a clock of its own frequency, from fast (left) to very slow (right);
# * `PositionEmbedding`, a learned vector per position (GPT-2), added the same way;
# * `RotaryEmbedding` (RoPE, used by LLaMA and most recent LLMs), which rotates each query and key
#   feature pair by the angle $p\,\theta_i$, so that the score $q_m \cdot k_n$ depends on the
#   positions only through their offset $m - n$.

# %%
show_source(SinusoidalPositionEncoding.call)
table = keras.ops.convert_to_numpy(SinusoidalPositionEncoding()(np.zeros((1, 128, 64), "float32")))
table = table[0]
fig = plt.figure(figsize=(7, 3.5))
plt.imshow(table, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
plt.xlabel("feature (sin on even, cos on odd)")
plt.ylabel("position p")
plt.colorbar(label="$PE_{p,i}$")
plt.title("The sinusoidal position encoding, 128 positions × 64 features")
plt.tight_layout()
show(fig, "Heat map of the sinusoidal position encoding, 128 positions by 64 features")

# %%
rope = RotaryEmbedding()
q, k = rng.normal(size=(1, 1, 64)).astype("float32"), rng.normal(size=(1, 1, 64)).astype("float32")
offsets = np.arange(-32, 33)
scores = {}
for m in (0, 40):  # the query at position m, the key at m - offset
    rq = keras.ops.convert_to_numpy(rope(q, start_index=m + 32))
    scores[m] = [
        float(np.sum(rq * keras.ops.convert_to_numpy(rope(k, start_index=m + 32 - d))))
        for d in offsets
    ]
same = np.allclose(scores[0], scores[40], atol=1e-3)
print("same scores at every absolute position:", same)
check(same, "RoPE's score depends on the offset only")
fig = plt.figure(figsize=(6, 3))
plt.plot(offsets, scores[0], label="query at position 32")
plt.plot(offsets, scores[40], "--", label="query at position 72")
plt.xlabel("offset m - n")
plt.ylabel("RoPE(q, m) · RoPE(k, n)")
plt.legend()
plt.tight_layout()
show(fig, "RoPE attention score against the offset m - n, for queries at positions 32 and 72")

# %% [markdown]
# ## Generating with a KV cache
#
# A decoder generates one token at a time, and each new token needs attention over all the previous
# ones. Recomputing the whole context for every new token costs a full forward pass each time. But
# the keys and values of the past tokens never change (the mask is causal): only the new token's
# query, key and value are new. The KV cache keeps the past keys and values in one tensor of shape
# `(batch, 2, max_length, heads, head_dim)`, the layout of KerasHub; a call writes its keys and
# values at `cache_update_index` with `keras.ops.slice_update` and returns the new cache:

# %%
show_source(kv_cache.write_kv_cache)

# %% [markdown]
# Decoding token by token through the cache gives the same outputs as one causal pass over the
# whole sequence:

# %%
block = TransformerBlock(num_heads=4, intermediate_dim=128, normalize_first=True)
sequence = rng.normal(size=(1, 16, 32)).astype("float32")
full = keras.ops.convert_to_numpy(block(sequence))
cache = keraseq.layers.empty_kv_cache(1, 16, 4, 8)
steps = []
for t in range(16):
    y, cache = block(sequence[:, t : t + 1], cache=cache, cache_update_index=t)
    steps.append(keras.ops.convert_to_numpy(y))
diff = np.max(np.abs(np.concatenate(steps, axis=1) - full))
print(f"max |token by token - full pass| = {diff:.2e}")
assert diff < 1e-5

# %% [markdown]
# How much time does it save? Below, the time to produce one new token through one block of width
# 384 with 6 heads (the benchmark's size), with the cache (one call on the new token) and without
# (one causal call on the whole context), for growing contexts. Both run eagerly, as written
# above, so each call also pays the framework's per-operation overhead, and the cached step has
# more small operations (the cache write) for less arithmetic; the
# [benchmarks](benchmarks.html) time it compiled (`jax.jit`, `tf.function`) at context 256.


# %%
def median_ms(call, repeats):
    call()  # warm-up
    times = []
    for _ in range(repeats):
        start_time = time.perf_counter()
        keras.ops.convert_to_numpy(call())  # waits for the result
        times.append(1000 * (time.perf_counter() - start_time))
    return float(np.median(times))


WIDTH, HEADS = 384, 6
block = TransformerBlock(HEADS, 4 * WIDTH, normalize_first=True)
contexts = [64, 256] if QUICK else [64, 256, 1024]
cached_ms, recompute_ms = [], []
for context in contexts:
    tokens = rng.normal(size=(1, context, WIDTH)).astype("float32")
    cache = block(
        tokens[:, :-1],
        cache=keraseq.layers.empty_kv_cache(1, context, HEADS, WIDTH // HEADS),
        cache_update_index=0,
    )[1]
    index = np.int32(context - 1)
    repeats = 3 if QUICK else 10
    cached_ms.append(
        median_ms(lambda: block(tokens[:, -1:], cache=cache, cache_update_index=index)[0], repeats)
    )
    recompute_ms.append(median_ms(lambda: block(tokens)[:, -1:], repeats))
    print(
        f"context {context:4d}: {cached_ms[-1]:7.2f} ms with the cache, "
        f"{recompute_ms[-1]:7.2f} ms recomputing ({recompute_ms[-1] / cached_ms[-1]:.1f}x)"
    )

fig = plt.figure(figsize=(6, 3.5))
plt.plot(contexts, recompute_ms, marker="o", label="recompute the context")
plt.plot(contexts, cached_ms, marker="o", label="with the KV cache")
plt.xscale("log", base=2)
plt.yscale("log")
plt.xlabel("context length")
plt.ylabel("ms per new token")
plt.title(f"One TransformerBlock, width {WIDTH}, {keras.backend.backend()}, eager")
plt.legend()
plt.tight_layout()
show(fig, "Milliseconds per new token against context length, with the KV cache and recomputing")
speedup = [r / c for r, c in zip(recompute_ms, cached_ms)]
say(
    "Recomputing grows with the context (its projections and FFN linearly, its attention with the "
    "square); the cached step computes the new token's projections, FFN and one row of "
    "attention.",
    claim(
        speedup[-1] > speedup[0],
        f"Measured: the cache's advantage grows from {speedup[0]:.1f}x at context {contexts[0]} to "
        f"{speedup[-1]:.1f}x at {contexts[-1]}.",
        f"Measured here, the advantage did not grow with the context ({speedup[0]:.1f}x at "
        f"{contexts[0]}, {speedup[-1]:.1f}x at {contexts[-1]}): eager timings on a busy machine "
        "are noisy.",
    ),
    claim(
        speedup[0] >= 1,
        "",
        f"At context {contexts[0]} the cached step is the slower one: eagerly, its extra small "
        "operations cost more than the arithmetic it saves on so short a context.",
    ),
)

# %% [markdown]
# The benchmark's compiled measurement (`benchmarks/attention_step.py`, written to
# `benchmarks/results/attention.json`), when it has been run:

# %%
results_file = (
    Path(keraseq.__file__).resolve().parent.parent / "benchmarks" / "results" / "attention.json"
)
if results_file.exists():
    for result in json.loads(results_file.read_text()):
        ms = result["generation_median_ms"]
        print(
            f"{result['backend']:>10}: {ms['with KV cache']:.2f} ms per token with the cache, "
            f"{ms['recompute context']:.2f} ms recomputing: "
            f"{ms['recompute context'] / ms['with KV cache']:.1f}x"
        )
else:
    print("not run yet: python benchmarks/attention_step.py")

# %% [markdown]
# The price is memory: $2 \times$ layers $\times$ context $\times$ width numbers
# per sequence.
#
# ## Summary
#
# * A Transformer block is self-attention then a position-wise feed-forward network, each wrapped
#   in a residual connection and a layer norm (pre-norm in GPT-2 and most LLMs).
# * Without a mask, attention cannot tell positions apart; the causal mask orders what each
#   position may read, and position encodings (sinusoidal, learned, rotary) say where each token
#   is.
# * In generation, the KV cache keeps the past keys and values, so a new token costs one row of
#   attention instead of a whole pass.
#
# ## Exercises
#
# 1. Repeat the shuffle test with `SinusoidalPositionEncoding` added to `x` first: is the block
#    still equivariant without the mask?
# 2. Build a `TransformerBlock(..., activation="gelu")` and check it against
#    `keras_hub.layers.TransformerDecoder(..., activation="gelu")` as above.
# 3. In the RoPE cell, move the query to position 200: do the scores still match?
# 4. Time the KV cache at contexts 16 and 2048. Where does the cached step start to win?
#
# [The mini-LLM](mini_llm.html) stacks these blocks into a language model and samples from it with
# this cache.
