"""How much of the gradient reaches each time step: the measure behind vanishing and exploding."""

import keras
from keras import ops

from keraseq.analysis.autodiff import value_and_grad


def input_gradient_norms(layer, inputs):
    r"""The size of $\partial h_T / \partial x_t$ for every step $t$: how far back a signal reaches.

    The loss is taken as $L = \sum_j (h_T)_j$, the sum of the layer's last output, and its gradient
    with respect to every input $x_t$ is measured. By the chain rule it passes through every
    Jacobian $\partial h_{k} / \partial h_{k-1}$ for $k = t+1, \dots, T$: if their norms stay
    below 1 it shrinks geometrically with the distance $T - t$ (vanishing), above 1 it grows
    (exploding).

    Args:
        layer: A sequence layer mapping `(batch, T, features)` to its last output `(batch, units)`
            (e.g. `keraseq.layers.SimpleRNN(32)`, `return_sequences=False`). Built on first use.
        inputs: The sequences, `(batch, T, features)`.

    Returns:
        A NumPy array of shape `(T,)`: entry `t` is $\lVert \partial L / \partial x_t \rVert$,
        the Euclidean norm over the features, averaged over the batch. The last entry is the
        most recent step (distance 0).

    Example:

    ```python
    x = np.random.default_rng(0).normal(size=(16, 50, 4)).astype("float32")
    norms = input_gradient_norms(keraseq.layers.SimpleRNN(32), x)   # shape (50,)
    ```
    """
    inputs = ops.convert_to_tensor(inputs, dtype=keras.config.floatx())
    if len(inputs.shape) != 3:
        raise ValueError(f"inputs must be (batch, timesteps, features), got shape {inputs.shape}")
    if len(layer(inputs).shape) != 2:  # also builds the layer outside the differentiated function
        raise ValueError("the layer must return its last output only (return_sequences=False)")
    _, (grad,) = value_and_grad(lambda x: ops.sum(layer(x)), inputs)
    norms = ops.mean(ops.sqrt(ops.sum(ops.square(grad), axis=-1)), axis=0)
    return ops.convert_to_numpy(norms)
