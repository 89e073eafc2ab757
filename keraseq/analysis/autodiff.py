"""`value_and_grad`: one gradient call for JAX, TensorFlow and PyTorch.

`keras.ops` has no gradient operation: each backend differentiates its own way (a function
transformation in JAX, a tape in TensorFlow, a graph recorded on the tensors in PyTorch). This
module
is keraseq's one deliberate exception to "keras.ops only": a small utility, not a layer, that
dispatches on `keras.backend.backend()` to `jax.value_and_grad`, `tf.GradientTape` or
`torch.autograd.grad`. The backend library is imported inside the function (with `importlib`), so
importing keraseq never imports a backend Keras does not use.
"""

import importlib

import keras


def value_and_grad(fn, *inputs):
    """Evaluate `fn(*inputs)` and its gradient with respect to every input, on the current backend.

    Args:
        fn: A function of tensors returning a scalar tensor, written with `keras.ops` or Keras
            layers (which must already be built: call them once before).
        *inputs: The tensors (or NumPy arrays) to differentiate with respect to.

    Returns:
        `(value, grads)`: the scalar `fn(*inputs)` and a list with one gradient per input, each of
        that input's shape, as backend tensors (`keras.ops.convert_to_numpy` turns them into NumPy).

    Example:

    ```python
    value, (g,) = value_and_grad(lambda x: keras.ops.sum(x**2), np.array([1.0, 2.0]))
    # value 5.0, g [2.0, 4.0]
    ```
    """
    if not inputs:
        raise ValueError("value_and_grad needs at least one input to differentiate with respect to")
    xs = [keras.ops.convert_to_tensor(x) for x in inputs]
    backend = keras.backend.backend()
    if backend == "jax":
        jax = importlib.import_module("jax")
        value, grads = jax.value_and_grad(fn, argnums=tuple(range(len(xs))))(*xs)
        return value, list(grads)
    if backend == "tensorflow":
        tf = importlib.import_module("tensorflow")
        with tf.GradientTape() as tape:
            tape.watch(xs)
            value = fn(*xs)
        return value, list(tape.gradient(value, xs))
    if backend == "torch":
        torch = importlib.import_module("torch")
        xs = [x.detach().requires_grad_(True) for x in xs]
        value = fn(*xs)
        grads = torch.autograd.grad(value, xs)
        return value.detach(), [g.detach() for g in grads]
    raise NotImplementedError(f"value_and_grad supports jax, tensorflow and torch, not {backend!r}")
