"""One decoding step through Keras's compiled predict function, on every backend alike.

Decoding calls the same small step once per token: run eagerly, each of its few hundred ops is
dispatched from Python (about 20 to 50 µs each on JAX and TensorFlow). `predict_on_batch` runs
`predict_step` the way Keras compiles it for the backend: one XLA program on JAX, one `tf.function`
graph on TensorFlow. Inputs of a new shape (another prompt length) are traced once more.

torch has no compiler here: the step runs eagerly under `torch.no_grad()` (no autograd graph to
record), called directly rather than through `predict_on_batch`, whose conversions cost about a
fifth of a token and turn a NumPy position into a tensor. The position stays a Python int, so the
attention reads only the cache slots written so far (`keraseq.layers.MultiHeadAttention`).
"""

import weakref

import keras
import numpy as np

_STEPS = weakref.WeakKeyDictionary()  # model -> {method name: DecodingStep}


class DecodingStep(keras.Model):
    """`model.<method>(*inputs)` as the model of a `predict_on_batch`.

    It holds the language model (so its variables are the step's state on JAX) but is not held by
    it: a layer that tracked this wrapper would track itself.
    """

    def __init__(self, model, method):
        super().__init__(name=f"{model.name}_{method}")
        self.language_model = model
        self.method = method

    def call(self, inputs):
        return getattr(self.language_model, self.method)(*inputs)


def compiled_call(model, method, *inputs):
    """`model.<method>(*inputs)` computed by Keras's compiled predict step; NumPy results."""
    if keras.backend.backend() == "torch":
        return eager_call(model, method, *inputs)
    steps = _STEPS.setdefault(model, {})
    if method not in steps:
        steps[method] = DecodingStep(model, method)
    # np.asarray, not convert_to_numpy: on JAX the latter copies every NumPy array, and a decoding
    # cache of 64 rows is 16 MB (torch, whose GPU tensors would need it, does not come here)
    inputs = [keras.tree.map_structure(np.asarray, x) for x in inputs]
    return steps[method].predict_on_batch(inputs)


def eager_call(model, method, *inputs):
    """`model.<method>(*inputs)` under `torch.no_grad()`, a NumPy integer passed as a Python int."""
    import torch

    inputs = [int(x) if isinstance(x, np.integer) else x for x in inputs]
    with torch.no_grad():
        outputs = getattr(model, method)(*inputs)
    return keras.tree.map_structure(keras.ops.convert_to_numpy, outputs)


def forget_steps(model):
    """Drops `model`'s compiled steps, to be traced again at their next call: a TensorFlow graph
    traced before the model gained variables (`enable_lora`) would not read them."""
    _STEPS.pop(model, None)
