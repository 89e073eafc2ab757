"""Training: one optimizer step from equal weights gives equal weights; dropout on every backend.

The compiled steps use one model holding all four layers side by side (one compilation instead of
four: compiling dominates these tests); weight paths name the layer when one differs.
"""

import keras
import numpy as np
import pytest
from conftest import ATOL, BACKEND, max_abs_diff
from rnn_cases import (
    BATCH,
    CELLS,
    FEATURES,
    LAYERS,
    TIME,
    cell_names,
    copy_weights,
    layer_names,
    make,
    randomize,
    sequences,
)

OPTIMIZERS = {"sgd": lambda: keras.optimizers.SGD(0.1), "adam": lambda: keras.optimizers.Adam(0.01)}


def side_by_side(rnns, masked=False):
    """Inputs → (`Masking(0.0)`) → every rnn in `rnns` → concatenated → `Dense(2)`."""
    inputs = keras.Input((TIME, FEATURES))
    x = keras.layers.Masking(0.0)(inputs) if masked else inputs
    return keras.Model(
        inputs, keras.layers.Dense(2)(keras.layers.Concatenate()([rnn(x) for rnn in rnns]))
    )


def weight_diffs(a, b):
    return {
        w.path: max_abs_diff(x, y) for w, x, y in zip(a.weights, a.get_weights(), b.get_weights())
    }


@pytest.mark.parametrize("optimizer, masked", [("sgd", False), ("adam", True)])
def test_one_training_step_gives_builtin_weights(optimizer, masked, rng):
    x, y = sequences(rng), rng.normal(size=(BATCH, 2)).astype("float32")
    if masked:
        x[1, 3:] = 0.0  # right padding, masked by Masking(0.0)
        x[2, 1:] = 0.0
    pairs = [make(name) for name in LAYERS]
    ours, builtin = (
        side_by_side([p[0] for p in pairs], masked),
        side_by_side([p[1] for p in pairs], masked),
    )
    randomize(builtin, rng)
    copy_weights(builtin, ours)
    before = builtin.get_weights()
    for model in (builtin, ours):
        model.compile(optimizer=OPTIMIZERS[optimizer](), loss="mse")
    losses = [model.train_on_batch(x, y) for model in (builtin, ours)]
    assert abs(losses[0] - losses[1]) <= ATOL
    diffs = weight_diffs(ours, builtin)
    assert max(diffs.values()) <= ATOL, diffs
    assert (
        min(max_abs_diff(w, w0) for w, w0 in zip(ours.get_weights(), before)) > 0
    )  # every weight moved
    assert max_abs_diff(ours(x), builtin(x)) <= ATOL


def assert_dropout_changes_training_outputs_only(with_dropout, without, x):
    """With the same weights, inference ignores dropout; training does not."""
    with_dropout(x)
    without(x)
    without.set_weights(with_dropout.get_weights())
    assert max_abs_diff(with_dropout(x, training=False), without(x)) == 0.0
    assert max_abs_diff(with_dropout(x, training=True), without(x)) > 1e-3


def fit(model, x):
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, np.ones((BATCH, 2)), epochs=2, batch_size=BATCH, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@layer_names()
@pytest.mark.parametrize(
    "rates", [{"dropout": 0.5}, {"recurrent_dropout": 0.5}], ids=["dropout", "recurrent_dropout"]
)
def test_dropout_changes_training_outputs_only(name, rates, rng):
    assert_dropout_changes_training_outputs_only(
        make(name, **rates)[0], make(name)[0], sequences(rng)
    )


def test_layers_with_dropout_fit(rng):
    fit(
        side_by_side([make(name, dropout=0.5, recurrent_dropout=0.5)[0] for name in LAYERS]),
        sequences(rng),
    )


@cell_names()
def test_cell_with_dropout_in_keras_rnn_changes_training_outputs_only(name, rng):
    with_dropout = keras.layers.RNN(make(name, dropout=0.5, recurrent_dropout=0.5)[0])
    assert_dropout_changes_training_outputs_only(
        with_dropout, keras.layers.RNN(make(name)[0]), sequences(rng)
    )


def test_cells_with_dropout_in_keras_rnn_fit(rng):
    """Known limitation on JAX: the cell draws its masks in `call`, i.e. inside the scan, and the
    seed generator's update leaks out of the JAX trace of a compiled step. Keras's own cells avoid
    it through the private `DropoutRNNCell` mixin that `keras.layers.RNN` recognizes; keraseq's own
    layers (`keraseq.layers.LSTM`, ...) draw the masks before their scan and do fit on JAX.
    """
    model = side_by_side(
        [keras.layers.RNN(make(name, dropout=0.5, recurrent_dropout=0.5)[0]) for name in CELLS]
    )
    if BACKEND == "jax":
        with pytest.raises(Exception, match="tracer"):
            fit(model, sequences(rng))
    else:
        fit(model, sequences(rng))
