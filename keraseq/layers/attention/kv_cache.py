"""The key/value cache of autoregressive decoding, with keras-hub's layout and contract.

When a decoder generates token $t$, the keys and values of tokens $0 \\dots t-1$ have not changed:
only the new token's $k_t, v_t$ must be computed. The cache keeps them all in one tensor

* `cache`, shape `(batch, 2, max_length, num_heads, head_dim)`: `cache[:, 0]` the keys,
  `cache[:, 1]` the values, one slot per position; slots not yet written are zeros and are hidden by
  the causal mask;
* `cache_update_index`, an int or scalar int tensor: the position where the current call's keys and
  values are written (`keras.ops.slice_update`); `None` reads the cache without writing to it. The
  `T` new positions must fit: `0 <= cache_update_index <= max_length - T`. An index known when the
  layer runs (a Python or NumPy int, or a tensor computed eagerly, as in Keras's predict step on
  torch) outside that range raises a `ValueError`; a tensor traced under `jax.jit` or
  `tf.function` is not checked, and out of range the backends write different slots (JAX clamps).

A layer called with a cache returns the new cache, which the caller passes to the next call: the
tensors are never modified in place, so this works under `jax.jit` and `tf.function`.
"""

from keras import ops

from keraseq.layers import validation


def empty_kv_cache(batch_size, max_length, num_heads, head_dim, dtype="float32"):
    """A cache of zeros, shape `(batch_size, 2, max_length, num_heads, head_dim)`."""
    return ops.zeros((batch_size, 2, max_length, num_heads, head_dim), dtype=dtype)


def write_kv_cache(cache, cache_update_index, key, value):
    """Write `key`, `value` `(batch, T, num_heads, head_dim)` at `cache_update_index`.

    A known index should come as a Python int (`validation.static_int`): on torch the write is
    then a slice, not an index_put of tensors.

    Returns:
        `(keys, values, new_cache)`: all the cached keys and values `(batch, max_length, num_heads,
        head_dim)` after the write, and the new cache.
    """
    max_length = cache.shape[2]
    validation.window(
        "cache_update_index",
        cache_update_index,
        key.shape[1],
        max_length,
        f"the cache's {max_length} slots",
    )
    update = ops.stack((key, value), axis=1)  # only the new positions, (B, 2, T, heads, head_dim)
    cache = ops.slice_update(cache, [0, 0, cache_update_index, 0, 0], update)  # one write
    return (
        cache[:, 0, ...],
        cache[:, 1, ...],
        cache,
    )  # keys, values: (B, max_length, heads, head_dim)


def check_cache_shape(cache, num_heads, head_dim):
    shape = tuple(cache.shape)
    if len(shape) != 5 or shape[1] != 2 or shape[3] != num_heads or shape[4] != head_dim:
        raise ValueError(
            "`cache` must have shape (batch, 2, max_length, num_heads, head_dim) = "
            f"(batch, 2, max_length, {num_heads}, {head_dim}), got {shape}."
        )
