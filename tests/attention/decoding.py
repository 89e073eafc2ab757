"""Token-by-token decoding with a KV cache, eagerly or under the backend's compiler."""

import numpy as np
from conftest import BACKEND, to_numpy

from keraseq.layers import empty_kv_cache


def decode_token_by_token(layer, x, max_length, step):
    """Feed `x` one position at a time through `step(x_t, cache, index)`; return the outputs."""
    cache = empty_kv_cache(x.shape[0], max_length, layer.num_heads, layer.key_dim)
    outputs = []
    for t in range(x.shape[1]):
        y, cache = step(x[:, t : t + 1], cache, np.int32(t))
        outputs.append(to_numpy(y))
    return np.concatenate(outputs, axis=1)


def compiled(fn):
    """`fn` under the backend's compiler: jax.jit, tf.function; torch runs eagerly."""
    if BACKEND == "jax":
        import jax

        return jax.jit(fn)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.function(fn)
    return fn
