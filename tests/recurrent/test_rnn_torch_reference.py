"""PyTorch as a second, independent reference: keraseq's recurrent layers equal torch.nn's modules.

The weights cross with `keraseq.convert`; the torch modules run in plain PyTorch (CPU, float32)
whatever the Keras backend of this process is.
"""

import keras
import numpy as np
import pytest
import torch

import keraseq
from tests.conftest import ATOL, max_abs_diff, to_numpy

BATCH, TIME, FEATURES, UNITS = 3, 6, 5, 4

# kind -> (keraseq layer, keraseq cell, torch module, torch cell, number of states)
KINDS = {
    "rnn": (
        keraseq.layers.SimpleRNN,
        keraseq.layers.SimpleRNNCell,
        torch.nn.RNN,
        torch.nn.RNNCell,
        1,
    ),
    "lstm": (keraseq.layers.LSTM, keraseq.layers.LSTMCell, torch.nn.LSTM, torch.nn.LSTMCell, 2),
    "gru": (keraseq.layers.GRU, keraseq.layers.GRUCell, torch.nn.GRU, torch.nn.GRUCell, 1),
}


def randomize(layer, rng):
    layer.set_weights(
        [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in layer.get_weights()]
    )


def keraseq_layer(kind, use_bias, rng, **kwargs):
    layer = KINDS[kind][0](
        UNITS, use_bias=use_bias, return_sequences=True, return_state=True, **kwargs
    )
    layer.build((None, TIME, FEATURES))
    randomize(layer, rng)
    return layer


def torch_module(kind, use_bias, batch_first, **kwargs):
    torch.manual_seed(0)
    module = KINDS[kind][2](FEATURES, UNITS, bias=use_bias, batch_first=batch_first, **kwargs)
    with torch.no_grad():  # torch's default biases are small: make every weight count
        for p in module.parameters():
            p.uniform_(-0.5, 0.5)
    return module


def load(module, state_dict):
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict.items()})


def run_torch(module, kind, x, batch_first, initial=None):
    """(sequence (B, T, H), final states [h_T] or [h_T, c_T]) of the torch module."""
    xt = torch.from_numpy(x if batch_first else np.swapaxes(x, 0, 1).copy())
    if initial is not None:
        initial = [torch.from_numpy(s)[None] for s in initial]
        initial = tuple(initial) if kind == "lstm" else initial[0]
    with torch.no_grad():
        seq, final = module(xt, initial)
    finals = list(final) if kind == "lstm" else [final]
    seq = seq.numpy() if batch_first else np.swapaxes(seq.numpy(), 0, 1)
    return seq, [f[0].numpy() for f in finals]


def assert_same(keraseq_outputs, torch_seq, torch_finals):
    seq, *finals = keraseq_outputs
    assert max_abs_diff(seq, torch_seq) <= ATOL
    assert max_abs_diff(list(finals), torch_finals) <= ATOL


def convert(layer, module, direction):
    """Gives `layer` and `module` the same weights, from one to the other."""
    if direction == "to_torch":
        load(module, keraseq.convert.to_torch(layer))
    else:
        keraseq.convert.from_torch(layer, module.state_dict())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("direction", ["to_torch", "from_torch"])
def test_same_outputs_as_torch(kind, use_bias, batch_first, direction, rng):
    layer = keraseq_layer(kind, use_bias, rng)
    module = torch_module(kind, use_bias, batch_first)
    convert(layer, module, direction)
    x = rng.normal(size=(BATCH, TIME, FEATURES)).astype("float32")
    assert_same(layer(x), *run_torch(module, kind, x, batch_first))


@pytest.mark.parametrize("kind", KINDS)
def test_initial_state(kind, rng):
    module = torch_module(kind, True, True)
    layer = keraseq_layer(kind, True, rng)
    keraseq.convert.from_torch(layer, module.state_dict())
    x = rng.normal(size=(BATCH, TIME, FEATURES)).astype("float32")
    initial = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(KINDS[kind][4])]
    assert_same(layer(x, initial_state=initial), *run_torch(module, kind, x, True, initial))


def test_relu_rnn(rng):
    module = torch_module("rnn", True, True, nonlinearity="relu")
    layer = keraseq_layer("rnn", True, rng, activation="relu")
    keraseq.convert.from_torch(layer, module.state_dict())
    x = rng.normal(size=(BATCH, TIME, FEATURES)).astype("float32")
    assert_same(layer(x), *run_torch(module, "rnn", x, True))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("direction", ["to_torch", "from_torch"])
def test_cells_equal_torch_cells(kind, direction, rng):
    _, cell_class, _, torch_cell_class, n_states = KINDS[kind]
    cell = cell_class(UNITS)
    cell.build((None, FEATURES))
    randomize(cell, rng)
    torch.manual_seed(0)
    torch_cell = torch_cell_class(FEATURES, UNITS)
    convert(cell, torch_cell, direction)
    x = rng.normal(size=(BATCH, FEATURES)).astype("float32")
    states = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(n_states)]
    _, new_states = cell(x, states)
    torch_in = [torch.from_numpy(s) for s in states]
    with torch.no_grad():
        torch_out = torch_cell(
            torch.from_numpy(x), tuple(torch_in) if n_states == 2 else torch_in[0]
        )
    torch_states = [s.numpy() for s in (torch_out if n_states == 2 else [torch_out])]
    assert max_abs_diff(list(new_states), torch_states) <= ATOL


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("use_bias", [True, False])
def test_round_trip_keeps_the_weights(kind, use_bias, rng):
    layer = keraseq_layer(kind, use_bias, rng)
    copy = keraseq_layer(kind, use_bias, np.random.default_rng(99))
    keraseq.convert.from_torch(copy, keraseq.convert.to_torch(layer))
    for ours, theirs in zip(layer.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_torch_round_trip_keeps_a_gru_state_dict(rng):
    module = torch_module("gru", True, True)
    layer = keraseq_layer("gru", True, rng)
    keraseq.convert.from_torch(layer, module.state_dict())
    back = keraseq.convert.to_torch(layer)
    for key, value in module.state_dict().items():
        np.testing.assert_array_equal(back[key], value.numpy())


def test_lstm_bias_goes_to_bias_ih(rng):
    layer = keraseq_layer("lstm", True, rng)
    weights = keraseq.convert.to_torch(layer)
    np.testing.assert_array_equal(weights["bias_ih_l0"], to_numpy(layer.cell.bias))
    np.testing.assert_array_equal(weights["bias_hh_l0"], np.zeros(4 * UNITS, "float32"))


@pytest.mark.parametrize(
    "make_module, match",
    [
        (lambda: torch.nn.LSTM(FEATURES, UNITS, num_layers=2), "single-layer"),
        (lambda: torch.nn.LSTM(FEATURES, UNITS, bidirectional=True), "single-layer"),
        (lambda: torch.nn.LSTM(FEATURES, UNITS, bias=False), "biases on both sides"),
        (lambda: torch.nn.LSTM(FEATURES + 1, UNITS), r"shape \(16, 6\), expected \(16, 5\)"),
        (lambda: torch.nn.GRU(FEATURES, UNITS), "shape"),
    ],
)
def test_from_torch_rejects_a_mismatched_state_dict(make_module, match, rng):
    layer = keraseq_layer("lstm", True, rng)
    with pytest.raises(ValueError, match=match):
        keraseq.convert.from_torch(layer, make_module().state_dict())


@pytest.mark.parametrize(
    "layer, match",
    [
        (keraseq.layers.LSTM(UNITS), "not built"),
        (keras.layers.LSTM(UNITS), "keraseq SimpleRNN, LSTM or GRU"),
        (keraseq.layers.GRU(UNITS, reset_after=False), "reset_after=True"),
        (keraseq.layers.LSTM(UNITS, activation="relu"), "activation"),
        (keraseq.layers.GRU(UNITS, recurrent_activation="hard_sigmoid"), "recurrent_activation"),
    ],
)
def test_unconvertible_layers_raise(layer, match):
    if match != "not built" and isinstance(layer, keraseq.layers.LSTM | keraseq.layers.GRU):
        layer.build((None, TIME, FEATURES))
    with pytest.raises(ValueError, match=match):
        keraseq.convert.to_torch(layer)
