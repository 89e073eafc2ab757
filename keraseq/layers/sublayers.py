"""Running a sublayer's equations without `Layer.__call__`, where its owner has done that work."""

import keras


def call(layer, *args, **kwargs):
    """`layer.call(*args, **kwargs)` in the layer's name scope, without `Layer.__call__`.

    `__call__`'s bookkeeping (converting inputs, checking the build, masks, entering the autocast
    scope) costs about 90 µs a call on eager torch: 12% of a cached decoding step through one
    `TransformerBlock` (`benchmarks/attention_step.py`). A layer may skip it for a sublayer when it
    changes nothing there: the sublayer is built, has its owner's dtype policy (so the owner's
    autocast scope is the one it would enter; a layer norm's variables never autocast in any
    scope) and takes no Keras mask. The owner itself must run through `__call__`, which enters
    that scope: Keras's JAX trainer runs a model's own `call` without one, so a model calls its
    layers as layers. The name scope keeps profiles and graphs labelled as before.
    """
    with keras.name_scope(layer.name):
        return layer.call(*args, **kwargs)
