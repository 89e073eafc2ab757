"""Argument checks shared by keraseq's layers: each failure says what was expected."""

import numbers

import keras


def positive_int(name, value):
    # numbers.Integral also admits NumPy integers (e.g. from np.arange); int() keeps configs
    # JSON-clean.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return int(value)


def rate(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a float in [0, 1), got {value!r}.")
    return float(value)


def activation(name, value):
    try:
        return keras.activations.get(value)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"Unknown activation {value!r} for `{name}`: expected a callable or a name from "
            "keras.activations, such as 'tanh', 'sigmoid', 'relu' or 'linear'."
        ) from err
