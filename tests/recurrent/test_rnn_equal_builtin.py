"""Same weights as the Keras built-ins, same outputs: every layer, cell, option and mask."""

import keras
import pytest
from conftest import ATOL, max_abs_diff
from rnn_cases import (
    BATCH,
    FEATURES,
    TIME,
    built_pair,
    cell_names,
    copy_weights,
    initial_states,
    is_gated,
    layer_names,
    make,
    randomize,
    right_padded_mask,
    sequences,
    share_random_weights,
)

# option: (arguments of both layers, call with a right-padded mask, call with initial states)
OPTIONS = {
    "last": ({}, False, False),
    "sequences_state_initial": ({"return_sequences": True, "return_state": True}, False, True),
    "backwards_no_bias_other_activations": (
        {"go_backwards": True, "return_sequences": True, "use_bias": False, "activation": "relu"},
        False,
        False,
    ),
    "unroll_masked": (
        {"unroll": True, "return_sequences": True, "return_state": True},
        True,
        False,
    ),
    "masked_last_initial": ({}, True, True),
    "masked_backwards_zero_output": (
        {"return_sequences": True, "go_backwards": True, "zero_output_for_mask": True},
        True,
        False,
    ),
}


@layer_names()
@pytest.mark.parametrize("option", list(OPTIONS))
def test_layer_equals_builtin(name, option, rng):
    kwargs, masked, initial = OPTIONS[option]
    if "activation" in kwargs and is_gated(name):
        kwargs = {**kwargs, "recurrent_activation": "hard_sigmoid"}
    x = sequences(rng)
    call_kwargs = {"mask": right_padded_mask() if masked else None}
    if initial:
        call_kwargs["initial_state"] = initial_states(rng, name)
    ours, builtin = built_pair(name, rng, x, **kwargs)
    assert max_abs_diff(ours(x, **call_kwargs), builtin(x, **call_kwargs)) <= ATOL


@layer_names()
def test_embedding_mask_in_model_equals_builtin(name, rng):
    tokens = rng.integers(1, 20, size=(BATCH, TIME))
    tokens[1, 3:] = 0  # right padding
    tokens[2, 1:] = 0
    tokens[0, 2] = 0  # and a hole in the middle
    ours, builtin = make(name, return_sequences=True)
    models = [
        keras.Sequential(
            [
                keras.Input((TIME,), dtype="int32"),
                keras.layers.Embedding(20, FEATURES, mask_zero=True),
                rnn,
            ]
        )
        for rnn in (builtin, ours)
    ]
    randomize(models[0], rng)
    copy_weights(models[0], models[1])
    assert max_abs_diff(models[1](tokens), models[0](tokens)) <= ATOL


@layer_names()
def test_stateful_two_batches_equal_builtin(name, rng):
    first, second = sequences(rng), sequences(rng)
    ours, builtin = built_pair(name, rng, first, stateful=True, return_sequences=True)
    for layer in (ours, builtin):
        layer.reset_states()
    assert max_abs_diff(ours(first), builtin(first)) <= ATOL
    assert max_abs_diff(ours(second), builtin(second)) <= ATOL  # starts from the first's states
    assert max_abs_diff(ours.states, builtin.states) <= ATOL
    ours.reset_states()
    builtin.reset_states()
    assert max_abs_diff(ours(second), builtin(second)) <= ATOL


@layer_names()
def test_bidirectional_equals_builtin(name, rng):
    x, mask = sequences(rng), right_padded_mask()
    ours, builtin = (keras.layers.Bidirectional(rnn) for rnn in make(name, return_sequences=True))
    share_random_weights(builtin, ours, rng, x)
    assert max_abs_diff(ours(x, mask=mask), builtin(x, mask=mask)) <= ATOL


@cell_names()
def test_cell_step_equals_builtin(name, rng):
    x_t, states = rng.normal(size=(BATCH, FEATURES)).astype("float32"), initial_states(rng, name)
    ours, builtin = make(name)
    share_random_weights(builtin, ours, rng, x_t, states)
    assert max_abs_diff(ours(x_t, states), builtin(x_t, states)) <= ATOL


@cell_names()
@pytest.mark.parametrize("option", ["masked", "backwards_no_bias"])
def test_cell_in_keras_rnn_equals_builtin(name, option, rng):
    x = sequences(rng)
    mask = right_padded_mask() if option == "masked" else None
    cells = make(name, use_bias=option == "masked")
    kwargs = {"return_sequences": True, "return_state": True, "go_backwards": option != "masked"}
    ours, builtin = (keras.layers.RNN(cell, **kwargs) for cell in cells)
    share_random_weights(builtin, ours, rng, x)
    assert max_abs_diff(ours(x, mask=mask), builtin(x, mask=mask)) <= ATOL


@cell_names()
def test_stacked_cells_equal_stacked_builtins(name, rng):
    x, mask = sequences(rng), right_padded_mask()
    (ours1, builtin1), (ours2, builtin2) = make(name), make(name)
    ours, builtin = keras.layers.RNN([ours1, ours2]), keras.layers.RNN([builtin1, builtin2])
    share_random_weights(builtin, ours, rng, x)
    assert max_abs_diff(ours(x, mask=mask), builtin(x, mask=mask)) <= ATOL


@layer_names()
def test_layer_weights_are_the_builtins(name, rng):
    """Same number, order, names and shapes as the built-in, and the same initial biases."""
    x = sequences(rng)
    ours, builtin = make(name)
    ours(x)
    builtin(x)
    assert [(w.name, tuple(w.shape)) for w in ours.weights] == [
        (w.name, tuple(w.shape)) for w in builtin.weights
    ]
    assert len(ours.trainable_weights) == len(ours.cell.weights) == 3
    # Deterministic initializers: zeros, and for the LSTM unit_forget_bias (b_f = 1).
    assert max_abs_diff(ours.cell.bias, builtin.cell.bias) == 0.0


@layer_names()
def test_mask_with_a_last_axis_of_1_equals_builtin(name, rng):
    """`keras.layers.RNN` also reads a `(batch, timesteps, 1)` mask; it failed on JAX and TF and
    gave a `(B, T, B, units)` output on torch."""
    x = sequences(rng)
    ours, builtin = built_pair(name, rng, x, return_sequences=True)
    mask = right_padded_mask()[..., None]  # (B, T, 1)
    out = ours(x, mask=mask)
    assert max_abs_diff(out, builtin(x, mask=mask)) <= ATOL
    assert max_abs_diff(out, ours(x, mask=mask[..., 0])) == 0.0
