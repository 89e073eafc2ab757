"""Attention masks: which key positions each query position may look at.

A mask is boolean, `True` where attention is allowed, and broadcasts to the attention scores
`(..., T, S)` (T query positions, S key positions). Masks combine by logical AND: a position is
attended only if every mask allows it.
"""

from keras import ops


def causal_mask(query_length, key_length, start_index=0):
    r"""The lower-triangular mask $M_{ij} = [\,i + \text{start} \ge j\,]$, shape `(T, S)`.

    Query $i$ sits at position $i + \text{start}$ of the sequence, so it may look at keys $0 \dots
    i + \text{start}$ and never at the future. `start_index` is 0 for a whole sequence and the cache
    index when decoding with a KV cache (one query at position `start_index`, `S = max_length`
    keys).

    Built from `arange` and a comparison, so it works with traced lengths and a traced
    `start_index` (under `jax.jit` or `tf.function`).

    Args:
        query_length: T, an int or a scalar int tensor.
        key_length: S, an int or a scalar int tensor.
        start_index: Position of the first query, an int or a scalar int tensor.

    Returns:
        A boolean tensor of shape `(T, S)`.

    Example:

    ```python
    causal_mask(3, 3)   # [[T, F, F], [T, T, F], [T, T, T]]
    ```
    """
    rows = ops.arange(query_length, dtype="int32") + ops.cast(start_index, "int32")  # (T,)
    cols = ops.arange(key_length, dtype="int32")  # (S,)
    return ops.expand_dims(rows, 1) >= ops.expand_dims(cols, 0)  # M_ij = [i + start >= j], (T, S)


def combine_masks(*masks):
    """Logical AND of the masks that are not `None` (cast to bool); `None` if all are `None`."""
    combined = None
    for mask in masks:
        if mask is None:
            continue
        mask = ops.cast(mask, "bool")
        combined = mask if combined is None else ops.logical_and(combined, mask)
    return combined


def check_broadcastable(mask_shape, scores_shape, name="mask"):
    """Raise a clear `ValueError` if a mask of `mask_shape` cannot broadcast to `scores_shape`.

    Unknown (`None`) dimensions are not checked: they are only known when the layer runs.
    """
    mask_shape, scores_shape = tuple(mask_shape), tuple(scores_shape)
    fits = len(mask_shape) <= len(scores_shape) and all(
        m in (1, None) or s is None or m == s
        for m, s in zip(reversed(mask_shape), reversed(scores_shape))
    )
    if not fits:
        raise ValueError(
            f"`{name}` of shape {mask_shape} does not broadcast to the attention scores of shape "
            f"{scores_shape} (..., query positions T, key positions S): each of its trailing "
            "dimensions must be 1 or equal to the scores' dimension."
        )


def check_attention_mask(attention_mask, query, value, cache=None, num_heads=None):
    """Raise a clear `ValueError` if `attention_mask` (None: nothing to check) cannot broadcast to
    the attention scores `(B, T, S)` of `query` `(B, T, ...)` against the keys of `value`
    `(B, S, ...)`, or, with a KV cache `(B, 2, S, ...)`, against the cache's `S` slots. With
    `num_heads`, a mask of rank 4 is one per head, checked against `(B, num_heads, T, S)`."""
    if attention_mask is None:
        return
    key_length = value.shape[1] if cache is None else cache.shape[2]  # S
    scores_shape = (query.shape[0], query.shape[1], key_length)  # (B, T, S)
    if num_heads is not None and len(attention_mask.shape) == 4:
        scores_shape = (scores_shape[0], num_heads, *scores_shape[1:])  # (B, heads, T, S)
    check_broadcastable(attention_mask.shape, scores_shape, "attention_mask")
