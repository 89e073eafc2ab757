"""Configs, Keras serialization, `.keras` files: in this process and loaded on other backends."""

import keras
import pytest
from conftest import ATOL, max_abs_diff
from cross_backend import assert_same_predictions_on_other_backends
from rnn_cases import BATCH, CELLS, FEATURES, LAYERS, TIME, is_gated, make, randomize, sequences

import keraseq


@pytest.mark.parametrize(
    "name", ["SimpleRNNCell", "SimpleRNN", "LSTMCell", "LSTM", "GRUCell", "GRU"]
)
def test_registered_under_keraseq(name):
    cls = getattr(keraseq.layers, name)
    assert keras.saving.get_registered_name(cls) == f"keraseq>{name}"
    assert keras.saving.get_registered_object(f"keraseq>{name}") is cls


def non_default_arguments(name):
    """Arguments that differ from every default, so a config that drops one is caught."""
    kwargs = {
        "activation": "relu",
        "use_bias": False,
        "kernel_initializer": "he_normal",
        "recurrent_initializer": keras.initializers.RandomNormal(stddev=0.3, seed=2),
        "bias_initializer": "ones",
        "kernel_regularizer": "l2",
        "recurrent_regularizer": keras.regularizers.L1(0.01),
        "bias_regularizer": "l1",
        "kernel_constraint": "max_norm",
        "recurrent_constraint": "non_neg",
        "bias_constraint": "unit_norm",
        "dropout": 0.25,
        "recurrent_dropout": 0.125,
        "seed": 3,
    }
    if is_gated(name):
        kwargs["recurrent_activation"] = "hard_sigmoid"
    if name.startswith("LSTM"):
        kwargs["unit_forget_bias"] = False
    if name in LAYERS:
        kwargs.update(
            return_sequences=True,
            return_state=True,
            go_backwards=True,
            unroll=True,
            zero_output_for_mask=True,
        )
    return kwargs


def ours(name, **kwargs):
    return make(name, **kwargs)[0]


@pytest.mark.parametrize("name", [*LAYERS, *CELLS])
def test_config_round_trip(name, rng):
    layer = ours(name, **non_default_arguments(name))
    config = layer.get_config()
    for key in non_default_arguments(name):
        assert key in config, f"{key} missing from get_config()"
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x = sequences(rng)
    a, b = (
        keras.layers.RNN(c, return_sequences=True) if name in CELLS else c for c in (layer, clone)
    )
    a(x)
    b(x)
    randomize(a, rng)
    b.set_weights(a.get_weights())
    assert max_abs_diff(b(x), a(x)) <= ATOL


@pytest.mark.parametrize("name", [*LAYERS, *CELLS])
def test_keras_serialize_deserialize(name):
    layer = ours(name, **non_default_arguments(name))
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == f"keraseq>{type(layer).__name__}"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(layer)
    assert restored.get_config() == layer.get_config()


def all_layers_model(rng):
    """Tokens → Embedding(mask_zero) → every keraseq layer, a cell in `keras.layers.RNN`, stacked
    cells and a `Bidirectional`, concatenated; random weights; and right-padded token inputs."""
    tokens = keras.Input((TIME,), dtype="int32")
    x = keras.layers.Embedding(20, FEATURES, mask_zero=True)(tokens)
    branches = [ours(name) for name in LAYERS]
    branches += [keras.layers.RNN(ours(name)) for name in CELLS]
    branches += [
        keras.layers.RNN([ours("LSTMCell"), ours("GRUCell")]),
        keras.layers.Bidirectional(ours("LSTM")),
    ]
    model = keras.Model(tokens, keras.layers.Concatenate()([branch(x) for branch in branches]))
    randomize(model, rng)
    inputs = rng.integers(1, 20, size=(BATCH, TIME)).astype("int32")
    inputs[1, 3:] = 0
    inputs[2, 1:] = 0
    return model, inputs


def test_keras_file_round_trip(rng, tmp_path):
    model, inputs = all_layers_model(rng)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras")
    assert [type(layer) for layer in restored.layers] == [type(layer) for layer in model.layers]
    assert max_abs_diff(restored(inputs), model(inputs)) <= ATOL


def test_keras_file_loads_with_equal_predictions_on_other_backends(rng, tmp_path):
    model, inputs = all_layers_model(rng)
    assert_same_predictions_on_other_backends(model, inputs, tmp_path)
