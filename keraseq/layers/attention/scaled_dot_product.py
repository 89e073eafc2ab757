r"""Scaled dot-product attention (Vaswani et al., 2017): the equation at the Transformer's heart.

$$
\operatorname{Attention}(Q, K, V)
    = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V
$$
"""

import math

import keras
from keras import ops

from keraseq.layers import validation
from keraseq.layers.attention.masks import causal_mask, check_broadcastable, combine_masks


def large_negative(dtype):
    """A finite stand-in for $-\\infty$ in `dtype`: masked scores get it before the softmax."""
    return -6.5e4 if keras.backend.standardize_dtype(dtype) == "float16" else -1e9


def scaled_dot_product_attention(
    query, key, value, mask=None, is_causal=False, dropout_rate=0.0, seed=None
):
    r"""Attention from its equation, over the last two axes (any leading axes, e.g. batch, heads).

    $$
    \begin{aligned}
    S &= \frac{Q K^\top}{\sqrt{d_k}} && \text{scores, } (\dots, T, S) \\
    A &= \operatorname{softmax}(S + \text{mask}) && \text{weights: each row sums to 1} \\
    O &= A V && \text{outputs, } (\dots, T, d_v)
    \end{aligned}
    $$

    Masking: a position $(i, j)$ is attended only if both `mask` allows it and, with
    `is_causal=True`, $j \le i$ (logical AND). Masked scores are set to a large negative number
    before the softmax, and masked weights to exactly 0 after it. So a fully masked row (a query
    that
    may look at nothing, e.g. a padding query) has weights all 0 and output all 0, never NaN: the
    same convention as `keras.layers.MultiHeadAttention`'s softmax.

    This is the readable path; `keras.ops.dot_product_attention` is the fused one (layout
    `(B, T, heads, d)`), equal to it on every row that is not fully masked.

    Args:
        query: $Q$, shape `(..., T, d_k)`.
        key: $K$, shape `(..., S, d_k)`.
        value: $V$, shape `(..., S, d_v)`.
        mask: Optional boolean (or 0/1) tensor broadcastable to `(..., T, S)`, True = attend.
        is_causal: Whether query $i$ is also barred from keys $j > i$ (top-left aligned, as in
            `keras.layers.MultiHeadAttention(use_causal_mask=True)`).
        dropout_rate: Fraction of the weights $A$ to drop before multiplying $V$, in [0, 1)
            (training only: pass 0 at inference).
        seed: A `keras.random.SeedGenerator` or int for the dropout.

    Returns:
        `(outputs, weights)`: $O$ of shape `(..., T, d_v)` and $A$ of shape `(..., T, S)` (before
        dropout).

    Example:

    ```python
    q = k = v = np.random.rand(2, 5, 8).astype("float32")
    out, weights = scaled_dot_product_attention(q, k, v, is_causal=True)  # (2, 5, 8), (2, 5, 5)
    ```
    """
    query, key, value = (ops.convert_to_tensor(x) for x in (query, key, value))
    dropout_rate = validation.rate("dropout_rate", dropout_rate)
    for name, x in (("query", query), ("key", key), ("value", value)):
        validation.features_shape(
            f"scaled_dot_product_attention's `{name}`", x.shape, "(..., positions, d)", 2
        )
    d_k, key_width = query.shape[-1], key.shape[-1]
    if d_k is not None and key_width is not None and d_k != key_width:
        raise ValueError(
            "`query` and `key` must have the same last dimension d_k (Q K^T needs it), got "
            f"query shape {tuple(query.shape)} and key shape {tuple(key.shape)}."
        )
    scores_shape = (*query.shape[:-1], key.shape[-2])
    if mask is not None:
        check_broadcastable(ops.shape(mask), scores_shape)
    if is_causal:
        mask = combine_masks(mask, causal_mask(ops.shape(query)[-2], ops.shape(key)[-2]))
    else:
        mask = combine_masks(mask)
    scale = ops.cast(1.0 / math.sqrt(query.shape[-1]), query.dtype)
    scores = ops.matmul(
        query * scale, ops.swapaxes(key, -1, -2)
    )  # S = Q K^T / sqrt(d_k), (..., T, S)
    if mask is not None:
        scores = ops.where(mask, scores, large_negative(scores.dtype))
    weights = ops.softmax(scores, axis=-1)  # A = softmax(S + mask), (..., T, S)
    if mask is not None:
        weights = ops.where(mask, weights, ops.zeros_like(weights))  # a fully masked row: all 0
    dropped = keras.random.dropout(weights, dropout_rate, seed=seed) if dropout_rate else weights
    outputs = ops.matmul(dropped, value)  # O = A V, (..., T, d_v)
    return outputs, weights
