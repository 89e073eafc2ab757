r"""Weights to and from PyTorch's `torch.nn.RNN`, `torch.nn.LSTM` and `torch.nn.GRU` (and cells).

PyTorch is a second, independent reference for keraseq's recurrent layers. This module never imports
torch: it works on state dicts (`module.state_dict()`), whose values may be torch tensors or
anything
`np.asarray` accepts, and returns NumPy arrays.

The maths of the mapping, for $H$ units, $D$ features and $G$ gates (1, 4 or 3):

* torch stores `weight_ih` `(G H, D)` and `weight_hh` `(G H, H)` to compute $W x$; Keras stores
  `kernel` `(D, G H)` and `recurrent_kernel` `(H, G H)` to compute $x K$. So
  $W_{ih} = K^\top$ and $W_{hh} = K_h^\top$, block by block.
* Gate order: the LSTM's is i, f, g (= c̃), o in both. The GRU's is r, z, n in torch and z, r, h in
  Keras: the first two blocks swap.
* Biases: torch adds two, `bias_ih + bias_hh`. The LSTM and the simple RNN only ever use their sum,
  which is Keras's single `bias`; back to torch it goes in `bias_ih`, with zeros in `bias_hh`. The
  GRU keeps them apart, because the reset gate multiplies the recurrent part,
  $n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$: that is Keras's
  `reset_after=True`, whose `bias` `(2, 3H)` holds exactly `[bias_ih; bias_hh]`. Keras's
  `reset_after=False` has no torch equivalent.
"""

import keras
import numpy as np

from keraseq.layers.recurrent.cell import RecurrentCell
from keraseq.layers.recurrent.gru import GRUCell
from keraseq.layers.recurrent.lstm import LSTMCell
from keraseq.layers.recurrent.simple_rnn import SimpleRNNCell


def to_torch(layer):
    """The state dict of the PyTorch module that computes what `layer` computes.

    Args:
        layer: A built keraseq `SimpleRNN`, `LSTM` or `GRU` (for `torch.nn.RNN`, `torch.nn.LSTM`,
            `torch.nn.GRU`, single layer) or `SimpleRNNCell`, `LSTMCell`, `GRUCell` (for
            `torch.nn.RNNCell`, `torch.nn.LSTMCell`, `torch.nn.GRUCell`).

    Returns:
        A dict of NumPy arrays keyed like the torch module's `state_dict()`: `weight_ih_l0`,
        `weight_hh_l0` and, with `use_bias=True`, `bias_ih_l0` and `bias_hh_l0` (no `_l0` suffix
        for a cell). Build the torch module with the same sizes, `bias=layer.use_bias` and, for
        the simple RNN, `nonlinearity=` its activation; `batch_first` is free (it does not change
        the weights).

    Raises:
        ValueError: If `layer` is not one of the above, is not built, or has settings torch cannot
            represent (activations other than torch's, a GRU with `reset_after=False`).

    Example:

    ```python
    lstm = keraseq.layers.LSTM(32)
    lstm.build((None, 10, 8))
    module = torch.nn.LSTM(8, 32, batch_first=True)
    weights = keraseq.convert.to_torch(lstm)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    ```
    """
    cell, suffix = _cell_and_suffix(layer)
    kind = _kind(cell)
    weights = {
        "weight_ih": kind.to_torch_order(_numpy(cell.kernel).T),
        "weight_hh": kind.to_torch_order(_numpy(cell.recurrent_kernel).T),
    }
    if cell.use_bias:
        bias = _numpy(cell.bias)
        if kind.two_biases:  # GRU, reset_after=True: [b_ih; b_hh]
            bias_ih, bias_hh = bias
        else:  # one bias: it is b_ih + b_hh
            bias_ih, bias_hh = bias, np.zeros_like(bias)
        weights["bias_ih"] = kind.to_torch_order(bias_ih)
        weights["bias_hh"] = kind.to_torch_order(bias_hh)
    return {name + suffix: value for name, value in weights.items()}


def from_torch(layer, state_dict):
    """Loads a PyTorch module's weights into `layer`, which then computes what the module computes.

    Args:
        layer: A built keraseq `SimpleRNN`, `LSTM`, `GRU` or their cells, the same sizes as the
            module (see `to_torch` for which torch module matches which layer).
        state_dict: The module's `state_dict()`: keys `weight_ih_l0`, `weight_hh_l0` and, if the
            module has biases, `bias_ih_l0`, `bias_hh_l0` (no `_l0` for a torch cell). Values are
            torch tensors (any device) or anything `np.asarray` accepts.

    Raises:
        ValueError: If `layer` is not supported or not built, if the keys are not exactly the
            expected ones (a bidirectional, multi-layer or projected module, or biases on one side
            only), or if a shape does not match the layer's.

    Example:

    ```python
    module = torch.nn.GRU(8, 32, batch_first=True)
    gru = keraseq.layers.GRU(32, return_sequences=True)
    gru.build((None, 10, 8))
    keraseq.convert.from_torch(gru, module.state_dict())
    ```
    """
    cell, suffix = _cell_and_suffix(layer)
    kind = _kind(cell)
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if cell.use_bias else [])
    expected = {name + suffix for name in names}
    if set(state_dict) != expected:
        raise ValueError(
            f"Expected exactly the keys {sorted(expected)} for {type(layer).__name__}"
            f"(use_bias={cell.use_bias}), got {sorted(state_dict)}. Only single-layer, "
            "unidirectional modules without projection convert, with biases on both sides or on "
            "neither."
        )
    units, width = cell.units, kind.gates * cell.units
    shapes = {
        "weight_ih": (width, cell.kernel.shape[0]),
        "weight_hh": (width, units),
        "bias_ih": (width,),
        "bias_hh": (width,),
    }
    torch_weights = {}
    for name in names:
        value = _numpy(state_dict[name + suffix])
        if value.shape != shapes[name]:
            raise ValueError(
                f"`{name + suffix}` has shape {value.shape}, expected {shapes[name]} for "
                f"{type(layer).__name__} with units={units} and {shapes['weight_ih'][1]} features."
            )
        torch_weights[name] = kind.from_torch_order(value)
    cell.kernel.assign(torch_weights["weight_ih"].T)
    cell.recurrent_kernel.assign(torch_weights["weight_hh"].T)
    if cell.use_bias:
        bias_ih, bias_hh = torch_weights["bias_ih"], torch_weights["bias_hh"]
        cell.bias.assign(np.stack([bias_ih, bias_hh]) if kind.two_biases else bias_ih + bias_hh)


class _Kind:
    """How one cell type maps to torch: its gate count and the permutation of its gate blocks."""

    def __init__(self, torch_blocks, activations, two_biases=False):
        self.gates = len(torch_blocks)
        self.torch_blocks = torch_blocks  # torch's block j is Keras's block torch_blocks[j]
        self.activations = activations
        self.two_biases = two_biases

    def to_torch_order(self, array):
        """Keras's gate blocks (along axis 0 of `array`) in torch's order."""
        return _permute_blocks(array, self.torch_blocks)

    def from_torch_order(self, array):
        """torch's gate blocks (along axis 0 of `array`) in Keras's order."""
        return _permute_blocks(array, np.argsort(self.torch_blocks))


def _permute_blocks(array, order):
    blocks = np.split(array, len(order), axis=0)
    return np.concatenate([blocks[k] for k in order], axis=0)


_SIMPLE_RNN = _Kind([0], {"activation": ("tanh", "relu")})
_LSTM = _Kind([0, 1, 2, 3], {"activation": ("tanh",), "recurrent_activation": ("sigmoid",)})
_GRU = _Kind([1, 0, 2], {"activation": ("tanh",), "recurrent_activation": ("sigmoid",)}, True)


def _cell_and_suffix(layer):
    if isinstance(layer, RecurrentCell):
        cell, suffix = layer, ""  # torch.nn.RNNCell & co. name their weights without a layer index
    else:
        cell, suffix = getattr(layer, "cell", None), "_l0"
    if not isinstance(cell, (SimpleRNNCell, LSTMCell, GRUCell)):
        raise ValueError(
            f"Expected a keraseq SimpleRNN, LSTM or GRU layer or cell, got {type(layer).__name__}."
        )
    if not cell.built:
        raise ValueError(
            f"{type(layer).__name__} is not built, so it has no weights yet: call it on a batch "
            "or build it first, e.g. `layer.build((None, timesteps, features))`."
        )
    return cell, suffix


def _kind(cell):
    if isinstance(cell, GRUCell):
        if not cell.reset_after:
            raise ValueError(
                "torch.nn.GRU applies the reset gate after the recurrent matrix product: only a "
                "GRU "
                "with reset_after=True (Keras's default) has a torch equivalent."
            )
        kind = _GRU
    else:
        kind = _LSTM if isinstance(cell, LSTMCell) else _SIMPLE_RNN
    for attribute, allowed in kind.activations.items():
        name = keras.activations.serialize(getattr(cell, attribute))
        if name not in allowed:
            raise ValueError(
                f"torch's {type(cell).__name__.replace('Cell', '')} uses {attribute} in {allowed}, "
                f"got {name!r}."
            )
    return kind


def _numpy(value):
    """A NumPy array from a torch tensor (duck-typed, any device), Keras variable or array-like."""
    if isinstance(value, keras.Variable):
        return keras.ops.convert_to_numpy(value)
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
