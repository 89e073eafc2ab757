"""Attention and the Transformer, from their equations: scaled dot-product attention, multi-head
attention with a KV cache, masks, positions, the feed-forward network and the Transformer block."""

from keraseq.layers.attention.feed_forward import FeedForward
from keraseq.layers.attention.kv_cache import empty_kv_cache
from keraseq.layers.attention.masks import causal_mask
from keraseq.layers.attention.multi_head import MultiHeadAttention
from keraseq.layers.attention.positions import (
    PositionEmbedding,
    RotaryEmbedding,
    SinusoidalPositionEncoding,
)
from keraseq.layers.attention.scaled_dot_product import scaled_dot_product_attention
from keraseq.layers.attention.transformer_block import TransformerBlock

__all__ = [
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
