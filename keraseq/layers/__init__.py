"""keraseq's layers, written once with `keras.ops`: they run on JAX, TensorFlow and PyTorch."""

from keraseq.layers.attention import (
    FeedForward,
    MultiHeadAttention,
    PositionEmbedding,
    RotaryEmbedding,
    SinusoidalPositionEncoding,
    TransformerBlock,
    causal_mask,
    empty_kv_cache,
    scaled_dot_product_attention,
)
from keraseq.layers.recurrent import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell

__all__ = [
    "SimpleRNNCell",
    "SimpleRNN",
    "LSTMCell",
    "LSTM",
    "GRUCell",
    "GRU",
    "scaled_dot_product_attention",
    "causal_mask",
    "empty_kv_cache",
    "MultiHeadAttention",
    "SinusoidalPositionEncoding",
    "PositionEmbedding",
    "RotaryEmbedding",
    "FeedForward",
    "TransformerBlock",
]
