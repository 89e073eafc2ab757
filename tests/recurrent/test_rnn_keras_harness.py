"""Keras's own layer harness (`run_layer_test`), run the way Keras tests its own recurrent layers.

It checks, among others: build and weight counts, symbolic and eager calls agree, masking support,
training (a `fit`), mixed precision, `get_config`/`from_config` and serialization round trips.
"""

import keras
from keras.src.testing import TestCase
from rnn_cases import CELLS, LAYERS, cell_names, layer_names

HARNESS = TestCase()  # only its assertion helpers and run_layer_test are used

# Keras's LSTM/GRU tests' two cases in one: dropout in training, regularizers (3 losses), sequences.
LAYER_OPTIONS = {
    "dropout": 0.5,
    "recurrent_dropout": 0.5,
    "return_sequences": True,
    "bias_regularizer": "l1",
    "kernel_regularizer": "l2",
    "recurrent_regularizer": "l2",
}


@layer_names()
def test_layer_passes_keras_harness(name):
    cls, _, extra = LAYERS[name]
    HARNESS.run_layer_test(
        cls,
        init_kwargs={"units": 3, **extra, **LAYER_OPTIONS},
        input_shape=(3, 2, 4),
        call_kwargs={"training": True},
        expected_output_shape=(3, 2, 3),
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
        expected_num_losses=3,
        supports_masking=True,
    )


@cell_names()
def test_cell_in_keras_rnn_passes_keras_harness(name):
    cls, _, extra = CELLS[name]
    HARNESS.run_layer_test(
        keras.layers.RNN,
        init_kwargs={"cell": cls(3, **extra), "return_sequences": True},
        input_shape=(3, 2, 4),
        expected_output_shape=(3, 2, 3),
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )
