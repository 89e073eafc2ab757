"""Keras's own layer harness (`run_layer_test`), run the way Keras tests its own recurrent layers.

It checks, among others: build and weight counts, symbolic and eager calls agree, masking support,
training (a `fit`), mixed precision, `get_config`/`from_config` and serialization round trips.
"""

import keras
import pytest
from keras.src.testing import TestCase
from rnn_cases import CELLS, LAYERS, cell_names, layer_names

HARNESS = TestCase()  # only its assertion helpers and run_layer_test are used

# option: (init arguments, call arguments, output shape for inputs (3, 2, 4), number of losses)
LAYER_OPTIONS = {
    "dropout": ({"dropout": 0.5, "recurrent_dropout": 0.5}, {"training": True}, (3, 3), 0),
    "regularized_sequences": (
        {"return_sequences": True, "bias_regularizer": "l1", "kernel_regularizer": "l2", "recurrent_regularizer": "l2"},
        {},
        (3, 2, 3),
        3,
    ),
}


@layer_names()
@pytest.mark.parametrize("option", list(LAYER_OPTIONS))
def test_layer_passes_keras_harness(name, option):
    cls, _, extra = LAYERS[name]
    init_kwargs, call_kwargs, output_shape, losses = LAYER_OPTIONS[option]
    HARNESS.run_layer_test(
        cls,
        init_kwargs={"units": 3, **extra, **init_kwargs},
        input_shape=(3, 2, 4),
        call_kwargs=call_kwargs,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
        expected_num_losses=losses,
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
