"""Bad input fails early with a `ValueError` that says what was expected."""

import json

import numpy as np
import pytest
from rnn_cases import (
    CELLS,
    FEATURES,
    LAYERS,
    UNITS,
    cell_names,
    is_gated,
    layer_names,
    make,
    sequences,
)

ALL = pytest.mark.parametrize("name", [*LAYERS, *CELLS])


@layer_names()
def test_layer_rejects_one_step_input(name):
    with pytest.raises(
        ValueError,
        match=r"expects inputs of shape \(batch, timesteps, features\), got shape \(2, 4\)",
    ):
        make(name)[0](np.zeros((2, 4), "float32"))


@cell_names()
def test_cell_rejects_a_sequence(name, rng):
    with pytest.raises(
        ValueError, match=r"does one time step: it expects inputs of shape \(batch, features\)"
    ):
        make(name)[0](sequences(rng), [np.zeros((3, UNITS), "float32")] * 2)


@layer_names()
def test_layer_rejects_other_feature_size(name, rng):
    layer = make(name)[0]
    layer(sequences(rng))
    with pytest.raises(
        ValueError, match=rf"expected axis -1 of input shape to have value {FEATURES}.*\(3, 5, 7\)"
    ):
        layer(sequences(rng, features=7))


@cell_names()
def test_cell_rejects_other_feature_size_or_rank(name, rng):
    cell = make(name)[0]
    states = [np.zeros((3, UNITS), "float32")] * 2
    cell(np.zeros((3, FEATURES), "float32"), states)
    with pytest.raises(
        ValueError, match=rf"expected axis -1 of input shape to have value {FEATURES}"
    ):
        cell(np.zeros((3, 7), "float32"), states)
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        cell(sequences(rng), states)


@ALL
@pytest.mark.parametrize("units", [0, -2, 2.5, "3", True, None])
def test_units_must_be_a_positive_integer(name, units):
    cls = {**LAYERS, **CELLS}[name][0]
    with pytest.raises(ValueError, match=rf"`units` must be a positive integer, got {units!r}"):
        cls(units)


@ALL
def test_numpy_integer_units_are_accepted_as_int(name):
    cls = {**LAYERS, **CELLS}[name][0]
    layer = cls(np.int64(UNITS), dropout=np.float32(0.5))
    assert type(layer.units) is int and layer.units == UNITS and layer.dropout == 0.5
    json.dumps(layer.get_config())  # NumPy scalars would not serialize


@ALL
@pytest.mark.parametrize("argument", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5", None])
def test_dropout_rates_must_be_in_0_1(name, argument, rate):
    with pytest.raises(
        ValueError, match=rf"`{argument}` must be a float in \[0, 1\), got {rate!r}"
    ):
        make(name, **{argument: rate})


@ALL
@pytest.mark.parametrize("argument", ["activation", "recurrent_activation"])
def test_unknown_activation_names_what_is_expected(name, argument):
    if argument == "recurrent_activation" and not is_gated(name):
        pytest.skip("no gates, no recurrent_activation")
    with pytest.raises(
        ValueError,
        match=rf"Unknown activation 'tanhh' for `{argument}`: expected a callable or a name",
    ):
        make(name, **{argument: "tanhh"})


@layer_names()
@pytest.mark.parametrize("shape", [(3, 5, 2), (3, 4), (3,)])
def test_layer_rejects_a_mask_of_another_shape(name, shape, rng):
    with pytest.raises(
        ValueError, match=r"expects a mask of shape \(batch, timesteps\) = \(3, 5\)"
    ):
        make(name)[0](sequences(rng), mask=np.ones(shape, bool))
