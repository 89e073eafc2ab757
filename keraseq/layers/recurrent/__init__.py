"""Recurrent layers from their equations: a cell does one step, the layer loops over time."""

from keraseq.layers.recurrent.gru import GRU, GRUCell
from keraseq.layers.recurrent.lstm import LSTM, LSTMCell
from keraseq.layers.recurrent.simple_rnn import SimpleRNN, SimpleRNNCell

__all__ = ["SimpleRNNCell", "SimpleRNN", "LSTMCell", "LSTM", "GRUCell", "GRU"]
