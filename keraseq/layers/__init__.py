"""keraseq's layers, written once with `keras.ops`: they run on JAX, TensorFlow and PyTorch."""

from keraseq.layers.recurrent import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell

__all__ = ["SimpleRNNCell", "SimpleRNN", "LSTMCell", "LSTM", "GRUCell", "GRU"]
