"""What the recurrent tests share: each keraseq layer and cell with its Keras twin, random weights.

Every test takes a case from `LAYERS` or `CELLS` (parametrized by name), builds ours and the
built-in with the same arguments, copies the built-in's random weights into ours and compares.
"""

import keras
import numpy as np
import pytest

import keraseq

BATCH, TIME, FEATURES, UNITS = 3, 5, 4, 6

# name: (keraseq class, keras twin, extra arguments of both)
LAYERS = {
    "SimpleRNN": (keraseq.layers.SimpleRNN, keras.layers.SimpleRNN, {}),
    "LSTM": (keraseq.layers.LSTM, keras.layers.LSTM, {}),
    "GRU": (keraseq.layers.GRU, keras.layers.GRU, {}),
    "GRU-reset_before": (keraseq.layers.GRU, keras.layers.GRU, {"reset_after": False}),
}
CELLS = {
    "SimpleRNNCell": (keraseq.layers.SimpleRNNCell, keras.layers.SimpleRNNCell, {}),
    "LSTMCell": (keraseq.layers.LSTMCell, keras.layers.LSTMCell, {}),
    "GRUCell": (keraseq.layers.GRUCell, keras.layers.GRUCell, {}),
    "GRUCell-reset_before": (keraseq.layers.GRUCell, keras.layers.GRUCell, {"reset_after": False}),
}
STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}  # how many state tensors (h, or h and c)


def layer_names():
    return pytest.mark.parametrize("name", list(LAYERS))


def cell_names():
    return pytest.mark.parametrize("name", list(CELLS))


def num_states(name):
    return STATES[name.split("-")[0].removesuffix("Cell")]


def is_gated(name):
    return not name.startswith("SimpleRNN")


def make(name, **kwargs):
    """`(ours, builtin)`, unbuilt, with the case's arguments plus `kwargs`."""
    ours_cls, builtin_cls, extra = {**LAYERS, **CELLS}[name]
    return ours_cls(UNITS, **extra, **kwargs), builtin_cls(UNITS, **extra, **kwargs)


def randomize(layer, rng, scale=0.5):
    """Replace every weight of a built layer with N(0, scale²) draws, so comparisons can fail."""
    layer.set_weights(
        [rng.normal(0, scale, w.shape).astype("float32") for w in layer.get_weights()]
    )


def copy_weights(source, target):
    """`target.set_weights(source.get_weights())`, after checking the names and shapes match."""
    described = [[(w.name, tuple(w.shape)) for w in layer.weights] for layer in (source, target)]
    assert described[0] == described[1], f"weights differ: {described[0]} vs {described[1]}"
    target.set_weights(source.get_weights())


def sequences(rng, batch=BATCH, time=TIME, features=FEATURES):
    return rng.normal(size=(batch, time, features)).astype("float32")


def right_padded_mask(batch=BATCH, time=TIME):
    """Sequence lengths `time, time - 2, 1, ...`: `True` for the real steps, `False` for padding."""
    lengths = np.maximum(time - 2 * np.arange(batch), 1)
    return np.arange(time)[None, :] < lengths[:, None]


def initial_states(rng, name, batch=BATCH):
    return [rng.normal(size=(batch, UNITS)).astype("float32") for _ in range(num_states(name))]


def share_random_weights(builtin, ours, rng, *inputs):
    """Build both by calling them on `inputs`, draw random weights for `builtin`, copy to `ours`."""
    builtin(*inputs)
    ours(*inputs)
    randomize(builtin, rng)
    copy_weights(builtin, ours)
    return ours, builtin


def built_pair(name, rng, inputs, **kwargs):
    """Ours and the built-in, both called once on `inputs`, with the same random weights."""
    ours, builtin = make(name, **kwargs)
    return share_random_weights(builtin, ours, rng, inputs)
