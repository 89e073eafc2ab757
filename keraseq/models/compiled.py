"""One decoding step through Keras's compiled predict function, on every backend alike.

Decoding calls the same small step once per token: run eagerly, each of its few hundred ops is
dispatched from Python (about 20 to 50 µs each on JAX and TensorFlow). `predict_on_batch` runs
`predict_step` the way Keras compiles it for the backend: one XLA program on JAX, one `tf.function`
graph on TensorFlow, eager under `torch.no_grad()` on torch (no autograd graph to record). Inputs of
a new shape (another prompt length) are traced once more.
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
        # The model's dtype policy: the step's autocast scope is the one the model would enter.
        super().__init__(name=f"{model.name}_{method}", dtype=model.dtype_policy)
        self.language_model = model
        self.method = method

    def call(self, inputs):
        return getattr(self.language_model, self.method)(*inputs)


def compiled_call(model, method, *inputs):
    """`model.<method>(*inputs)` computed by Keras's compiled predict step; NumPy results."""
    steps = _STEPS.setdefault(model, {})
    if method not in steps:
        steps[method] = DecodingStep(model, method)
    inputs = [keras.tree.map_structure(to_numpy, x) for x in inputs]
    return steps[method].predict_on_batch(inputs)


def to_numpy(x):
    """A NumPy array as it is (on JAX `convert_to_numpy` copies it, and a decoding cache of 64 rows
    is 16 MB); a backend tensor through `convert_to_numpy` (a torch tensor on a GPU must be copied
    to the host first)."""
    return x if isinstance(x, np.ndarray) else keras.ops.convert_to_numpy(x)


def forget_steps(model):
    """Drops `model`'s compiled steps, to be traced again at their next call: a TensorFlow graph
    traced before the model gained variables (`enable_lora`) would not read them."""
    _STEPS.pop(model, None)
