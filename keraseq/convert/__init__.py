"""Weights to and from other frameworks' modules: a second, independent reference for the layers.

`to_torch(layer)` gives the `state_dict` of the matching `torch.nn.RNN`/`LSTM`/`GRU` (or cell);
`from_torch(layer, state_dict)` loads one. torch itself is never imported: NumPy arrays go in and
out.
"""

from keraseq.convert.torch_rnn import from_torch, to_torch

__all__ = ["to_torch", "from_torch"]
