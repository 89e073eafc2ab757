"""Training: one optimizer step from equal weights gives equal weights; dropout on every backend."""

import keras
import numpy as np
import pytest
from conftest import ATOL, BACKEND, max_abs_diff
from rnn_cases import BATCH, FEATURES, TIME, cell_names, copy_weights, layer_names, make, randomize, sequences

OPTIMIZERS = {"sgd": lambda: keras.optimizers.SGD(0.1), "adam": lambda: keras.optimizers.Adam(0.01)}


def model_around(rnn, masked):
    """`rnn` between a `Masking` (padding steps are all zeros) or nothing, and a `Dense` readout."""
    inputs = keras.Input((TIME, FEATURES))
    x = keras.layers.Masking(0.0)(inputs) if masked else inputs
    return keras.Model(inputs, keras.layers.Dense(2)(rnn(x)))


@layer_names()
@pytest.mark.parametrize("optimizer, masked", [("sgd", False), ("adam", True)])
def test_one_training_step_gives_builtin_weights(name, optimizer, masked, rng):
    x, y = sequences(rng), rng.normal(size=(BATCH, 2)).astype("float32")
    if masked:
        x[1, 3:] = 0.0  # right padding, masked by Masking(0.0)
        x[2, 1:] = 0.0
    builtin, ours = (model_around(rnn, masked) for rnn in make(name)[::-1])
    randomize(builtin, rng)
    copy_weights(builtin, ours)
    before = builtin.get_weights()
    for model in (builtin, ours):
        model.compile(optimizer=OPTIMIZERS[optimizer](), loss="mse")
    losses = [model.train_on_batch(x, y) for model in (builtin, ours)]
    assert abs(losses[0] - losses[1]) <= ATOL
    assert max_abs_diff(ours.get_weights(), builtin.get_weights()) <= ATOL
    assert max_abs_diff(ours.get_weights(), before) > 1e-4  # the step did move the weights
    assert max_abs_diff(ours(x), builtin(x)) <= ATOL


def dropout_model(rnn):
    model = keras.Sequential([keras.Input((TIME, FEATURES)), rnn, keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def assert_dropout_changes_training_outputs_only(with_dropout, without, x):
    """With the same weights, inference ignores dropout; training does not."""
    with_dropout(x)
    without(x)
    without.set_weights(with_dropout.get_weights())
    assert max_abs_diff(with_dropout(x, training=False), without(x)) == 0.0
    assert max_abs_diff(with_dropout(x, training=True), without(x)) > 1e-3


@layer_names()
def test_dropout_changes_training_outputs_and_fits(name, rng):
    x = sequences(rng)
    for rates in ({"dropout": 0.5}, {"recurrent_dropout": 0.5}):
        assert_dropout_changes_training_outputs_only(make(name, **rates)[0], make(name)[0], x)
    layer = make(name, dropout=0.5, recurrent_dropout=0.5)[0]
    history = dropout_model(layer).fit(x, np.ones((BATCH, 1)), epochs=2, batch_size=BATCH, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@cell_names()
def test_cell_with_dropout_in_keras_rnn(name, rng):
    """A keraseq cell with dropout inside a plain `keras.layers.RNN`: eager, then a compiled fit.

    Known limitation on JAX: the cell draws its masks in `call`, i.e. inside the scan, and the
    seed generator's update leaks out of the JAX trace of a compiled step. Keras's own cells avoid
    it through the private `DropoutRNNCell` mixin that `keras.layers.RNN` recognizes; keraseq's own
    layers (`keraseq.layers.LSTM`, ...) draw the masks before their scan and do fit on JAX.
    """
    x = sequences(rng)
    layer = keras.layers.RNN(make(name, dropout=0.5, recurrent_dropout=0.5)[0])
    assert_dropout_changes_training_outputs_only(layer, keras.layers.RNN(make(name)[0]), x)
    model = dropout_model(layer)
    if BACKEND == "jax":
        with pytest.raises(Exception, match="tracer"):
            model.fit(x, np.ones((BATCH, 1)), epochs=1, batch_size=BATCH, verbose=0)
        return
    history = model.fit(x, np.ones((BATCH, 1)), epochs=2, batch_size=BATCH, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
