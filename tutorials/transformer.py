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
# [multi-head self-attention](attention.py), where every position reads the others, and a
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

# %%
import os

# Pick the backend before Keras is imported: "jax", "tensorflow" or "torch". Everything below
# runs unchanged on each of them.
os.environ.setdefault("KERAS_BACKEND", "jax")

import inspect
import json
import time
from pathlib import Path

import keras
import keras_hub
import matplotlib.pyplot as plt
import numpy as np

import keraseq
from keraseq.layers import (
    FeedForward,
    RotaryEmbedding,
    SinusoidalPositionEncoding,
    TransformerBlock,
)
from keraseq.layers.attention import kv_cache
from keraseq.tutorial import start

QUICK, rng = start(seed=0)  # QUICK: KERASEQ_QUICK=1 (tests, CI) times fewer repeats

# %% [markdown]
# ## The block, in code
#
# `keraseq.layers.TransformerBlock` is a decoder block: its self-attention is causal by default.
# The package's own code, printed from the installed source:

# %%
print(inspect.getsource(TransformerBlock.call))
print(inspect.getsource(FeedForward.call))

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
        f"normalize_first={normalize_first}: {len(ours.weights)} weights, max |keraseq - "
        f"keras_hub| = {diff:.2e}"
    )
    assert diff < 1e-5

# %% [markdown]
# ## Where each token is
#
# Attention is a weighted average over a *set*: shuffle the tokens and each output is the same,
# shuffled. Order must be put in. Three ways, all in `keraseq.layers`:
#
# * `SinusoidalPositionEncoding`, the original's fixed table, added to the embeddings:
#   $PE_{p,2i} = \sin(p/10000^{2i/d})$, $PE_{p,2i+1} = \cos(p/10000^{2i/d})$: each pair of
#   features is a clock of its own frequency, from fast (left) to very slow (right);
# * `PositionEmbedding`, a learned vector per position (GPT-2), added the same way;
# * `RotaryEmbedding` (RoPE, used by LLaMA and most recent LLMs), which rotates each query and key
#   feature pair by the angle $p\,\theta_i$, so that the score $q_m \cdot k_n$ depends on the
#   positions only through their offset $m - n$.

# %%
print(inspect.getsource(SinusoidalPositionEncoding.call))
table = keras.ops.convert_to_numpy(SinusoidalPositionEncoding()(np.zeros((1, 128, 64), "float32")))[
    0
]
plt.figure(figsize=(7, 3.5))
plt.imshow(table, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
plt.xlabel("feature (sin on even, cos on odd)")
plt.ylabel("position p")
plt.colorbar(label="$PE_{p,i}$")
plt.title("The sinusoidal position encoding, 128 positions × 64 features")
plt.tight_layout()
plt.show()

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
print("same scores at every absolute position:", np.allclose(scores[0], scores[40], atol=1e-3))
plt.figure(figsize=(6, 3))
plt.plot(offsets, scores[0], label="query at position 32")
plt.plot(offsets, scores[40], "--", label="query at position 72")
plt.xlabel("offset m - n")
plt.ylabel("RoPE(q, m) · RoPE(k, n)")
plt.legend()
plt.tight_layout()
plt.show()

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
print(inspect.getsource(kv_cache.write_kv_cache))

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
# (one causal call on the whole context), for growing contexts. This runs eagerly, as written above,
# so each call also pays the framework's per-operation overhead, the same for both; the
# [benchmarks](benchmarks.md) time it compiled (`jax.jit`, `tf.function`) at context 256.


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
        f"context {context:3d}: {cached_ms[-1]:7.2f} ms with the cache, {recompute_ms[-1]:7.2f} ms "
        "recomputing "
        f"({recompute_ms[-1] / cached_ms[-1]:.1f}x)"
    )

plt.figure(figsize=(6, 3.5))
plt.plot(contexts, recompute_ms, marker="o", label="recompute the context")
plt.plot(contexts, cached_ms, marker="o", label="with the KV cache")
plt.xscale("log", base=2)
plt.yscale("log")
plt.xlabel("context length")
plt.ylabel("ms per new token")
plt.title(f"One TransformerBlock, width {WIDTH}, {keras.backend.backend()}, eager")
plt.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Recomputing grows with the context (its projections and FFN linearly, its attention with the
# square); the cached step computes the new token's projections, FFN and one row of attention, so
# it grows far more slowly: the gap widens with the context.
#
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
# per sequence. [The mini-LLM](mini_llm.py) stacks these blocks into a language model and samples
# from it with this cache.
