"""Argument checks shared by keraseq's layers: each failure says what was expected.

The messages start with "The argument `name`", as Keras's own layers' do.
"""

import math
import numbers

import keras


def positive_int(name, value):
    # numbers.Integral also admits NumPy integers (e.g. from np.arange); int() keeps configs
    # JSON-clean.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"The argument `{name}` must be a positive integer, got {value!r}.")
    return int(value)


def positive_number(name, value):
    """A finite number > 0 (NaN and infinity refused), as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f"The argument `{name}` must be a finite number > 0, got {value!r}.")
    return float(value)


def rate(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"The argument `{name}` must be a float in [0, 1), got {value!r}.")
    return float(value)


def activation(name, value):
    try:
        return keras.activations.get(value)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"Unknown activation {value!r} for `{name}`: expected a callable or a name from "
            "keras.activations, such as 'tanh', 'sigmoid', 'relu' or 'linear'."
        ) from err


def features_shape(owner, shape, layout, min_rank=None):
    """Checks a static input shape against `layout`, e.g. "(batch, T, features)"; returns it.

    The rank must be that of `layout` (at least, with `min_rank`), and the features (last axis),
    when known, at least 1: an empty axis would give empty or NaN outputs, never an error.
    """
    shape = tuple(shape)
    rank = layout.count(",") + 1
    if len(shape) < (min_rank or rank) or (min_rank is None and len(shape) != rank):
        expected = f"at least rank {min_rank}" if min_rank else f"rank {rank}"
        raise ValueError(
            f"{owner} expects inputs of shape {layout}, got shape {shape} (rank {len(shape)}, "
            f"expected {expected})."
        )
    if shape[-1] == 0:
        raise ValueError(f"{owner} expects at least one feature (last axis), got shape {shape}.")
    return shape


def static_int(value):
    """`value` as a Python int if it is known now, else `None`.

    Known now: an int, a NumPy integer, or a scalar integer tensor computed eagerly (on torch,
    where Keras's predict step runs eagerly and turns a decoding index into a tensor; on JAX or
    TensorFlow outside a compiled function). A tensor traced under `jax.jit` or `tf.function` (or
    a symbolic `KerasTensor`) has no value until it runs.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if tuple(getattr(value, "shape", (None,))) != ():
        return None
    if "int" not in keras.backend.standardize_dtype(value.dtype):
        return None
    try:
        return int(keras.ops.convert_to_numpy(value))
    except (TypeError, ValueError, RuntimeError):  # traced: JAX, KerasTensor, TensorFlow raise
        return None


def window(name, start, count, limit, what):
    """Checks that positions `start ... start + count - 1` fit in `[0, limit)`, as far as known.

    Args:
        name: The argument that places the window, e.g. "start_index".
        start: Its value (an int, or a tensor: then nothing is checked).
        count: How many positions (an int, or `None` if the shape is not known yet).
        limit: How many positions exist.
        what: What the positions are, for the message (e.g. "the 4 rows of the embedding").
    """
    start = static_int(start)
    if count is not None and count > limit:
        raise ValueError(f"{count} positions do not fit in {what}.")
    if start is None or count is None:
        return
    if not 0 <= start <= limit - count:
        raise ValueError(
            f"The argument `{name}` must be in [0, {limit - count}] for {count} new "
            f"position{'s' if count != 1 else ''} to fit in {what}, got {start}."
        )
