"""Checks of the settings of a run: each failure is a one-line `ValueError` naming the setting."""


def check_positive_integer(label, value):
    """Raises `ValueError` unless `value` is an `int` >= 1 (`True` is not one).

    Args:
        label: How the message names the setting, such as `--steps`.
        value: The setting's value.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{label} must be a positive integer, got {value!r}")
