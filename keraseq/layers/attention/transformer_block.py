"""The Transformer decoder block: masked self-attention and a feed-forward network, each wrapped in
a residual connection and a layer normalization."""

import keras
from keras import ops

from keraseq.layers import sublayers, validation
from keraseq.layers.attention.feed_forward import FeedForward
from keraseq.layers.attention.masks import check_attention_mask, combine_masks
from keraseq.layers.attention.multi_head import MultiHeadAttention


@keras.saving.register_keras_serializable(package="keraseq")
class TransformerBlock(keras.layers.Layer):
    r"""A decoder-only Transformer block; same weights and outputs as keras-hub's
    `TransformerDecoder` called without an encoder sequence.

    Post-norm (`normalize_first=False`, the original Transformer):

    $$
    h = \operatorname{LN}_1\big(x + \operatorname{MHA}(x)\big), \qquad
    y = \operatorname{LN}_2\big(h + \operatorname{FFN}(h)\big)
    $$

    Pre-norm (`normalize_first=True`, GPT-2 and most LLMs; trains more stably when deep):

    $$
    h = x + \operatorname{MHA}\big(\operatorname{LN}_1(x)\big), \qquad
    y = h + \operatorname{FFN}\big(\operatorname{LN}_2(h)\big)
    $$

    MHA is causal self-attention (`MultiHeadAttention` with `num_heads` heads of size
    `width // num_heads`), FFN is `FeedForward`, and dropout (training only) is applied to the
    outputs of MHA and FFN before they are added to the residual.

    Weights, in `get_weights()` order (those of `keras_hub.layers.TransformerDecoder` without
    cross-attention): `self_attention` (query, key, value, output kernels and biases),
    `self_attention_layer_norm` (gamma, beta), `feed_forward` (intermediate kernel and bias, output
    kernel and bias), `feed_forward_layer_norm` (gamma, beta).

    Padding: the Keras mask of `inputs` (or `mask`) hides padding tokens as keys, as keras-hub does;
    padding positions still get an output, which carries the mask. With a KV cache (see
    `MultiHeadAttention` and `keraseq.layers.attention.kv_cache`) the mask of the new tokens is not
    used: pass `attention_mask` `(B, T, max_length)` to hide padded cache slots.

    Attention runs on the fused `keras.ops.dot_product_attention` by default, and on the written-out
    `scaled_dot_product_attention` when the weights are returned, in training with dropout, or with
    `fused=False`.

    Args:
        num_heads: Number of attention heads; must divide the input width.
        intermediate_dim: Hidden width of the feed-forward network.
        dropout: Dropout rate (attention weights, MHA and FFN outputs), training only.
        activation: The FFN's nonlinearity, `"relu"` by default.
        layer_norm_epsilon: The layer norms' epsilon.
        normalize_first: Pre-norm if True, post-norm if False.
        kernel_initializer, bias_initializer: Initializers of the dense weights.
        seed: Seed of the dropout.
        fused: Whether attention may use `keras.ops.dot_product_attention`.

    Call arguments:
        inputs: $x$, `(B, T, width)`.
        mask: Optional padding mask `(B, T)`, True for real tokens; the Keras mask by default.
        attention_mask: Optional boolean `(B, T, S)`, True = attend, combined with the others by
        AND.
        use_causal_mask: Whether token $i$ is barred from tokens $j > i$ (True: a decoder).
        cache: Optional KV cache `(B, 2, max_length, num_heads, width // num_heads)`.
        cache_update_index: Where to write this call's keys and values in the cache, in
            `[0, max_length - T]` (a Python int outside raises a `ValueError`; a traced tensor
            must be kept in range by the caller).
        return_attention_scores: Also return the attention weights `(B, heads, T, S)`.
        training: Whether dropout is on.

    Returns:
        $y$ `(B, T, width)`, then the weights if `return_attention_scores`, then the new cache if
        `cache` was given.

    Example:

    ```python
    block = keraseq.layers.TransformerBlock(num_heads=4, intermediate_dim=256, normalize_first=True)
    x = np.random.rand(2, 10, 64).astype("float32")
    y = block(x)                                              # causal, (2, 10, 64)
    cache = keraseq.layers.empty_kv_cache(2, 10, 4, 16)  # (batch, 2, max_length, heads, 64 // 4)
    for t in range(10):                                       # one token at a time: y_t == y[:, t]
        y_t, cache = block(x[:, t : t + 1], cache=cache, cache_update_index=t)
    ```
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        activation="relu",
        layer_norm_epsilon=1e-5,
        normalize_first=False,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        seed=None,
        fused=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = validation.positive_int("num_heads", num_heads)
        self.intermediate_dim = validation.positive_int("intermediate_dim", intermediate_dim)
        self.dropout = validation.rate("dropout", dropout)
        self.activation = validation.activation("activation", activation)
        self.layer_norm_epsilon = float(layer_norm_epsilon)
        self.normalize_first = bool(normalize_first)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        # As in Keras: a seed generator (a state variable) only if there is dropout to draw.
        self.seed_generator = keras.random.SeedGenerator(seed) if self.dropout else None
        self.fused = bool(fused)
        self.supports_masking = True

    def build(self, input_shape):
        validation.features_shape("TransformerBlock", input_shape, "(batch, T, width)")
        width = input_shape[-1]
        if width % self.num_heads:
            raise ValueError(
                f"`num_heads` ({self.num_heads}) must divide the input width ({width}): each head "
                "gets width // num_heads features."
            )
        initializers = {
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }  # serialized: every sublayer gets its own initializer, as in keras-hub
        self.self_attention = MultiHeadAttention(
            self.num_heads,
            width // self.num_heads,
            dropout=self.dropout,
            seed=self.seed,
            fused=self.fused,
            dtype=self.dtype_policy,
            name="self_attention",
            **initializers,
        )
        self.self_attention.build(input_shape, input_shape)
        self.self_attention_layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="self_attention_layer_norm",
        )
        self.self_attention_layer_norm.build(input_shape)
        self.feed_forward = FeedForward(
            self.intermediate_dim,
            self.activation,
            dtype=self.dtype_policy,
            name="feed_forward",
            **initializers,
        )
        self.feed_forward.build(input_shape)
        self.feed_forward_layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="feed_forward_layer_norm",
        )
        self.feed_forward_layer_norm.build(input_shape)

    def residual_dropout(self, x, training):
        if training and self.dropout:
            return keras.random.dropout(x, self.dropout, seed=self.seed_generator)
        return x

    def call(
        self,
        inputs,
        mask=None,
        attention_mask=None,
        use_causal_mask=True,
        cache=None,
        cache_update_index=None,
        return_attention_scores=False,
        training=None,
    ):
        check_attention_mask(attention_mask, inputs, inputs, cache)
        if mask is not None and cache is None:
            padding_keys = ops.expand_dims(mask, 1)  # nobody sees a padding key, (B, 1, S)
            attention_mask = combine_masks(attention_mask, padding_keys)

        x = inputs
        ln_x = sublayers.call(self.self_attention_layer_norm, x) if self.normalize_first else x
        attended = self.self_attention.attend(
            ln_x,
            ln_x,
            attention_mask=attention_mask,
            return_attention_scores=return_attention_scores,
            training=training,
            use_causal_mask=use_causal_mask,
            cache=cache,
            cache_update_index=cache_update_index,
        )
        # The attention output, then (if asked for) its weights and the new cache.
        attended, *extras = attended if isinstance(attended, tuple) else (attended,)
        h = x + self.residual_dropout(attended, training)  # x + MHA(·)
        if not self.normalize_first:
            h = sublayers.call(self.self_attention_layer_norm, h)  # h = LN_1(x + MHA(x))

        ln_h = sublayers.call(self.feed_forward_layer_norm, h) if self.normalize_first else h
        ffn = sublayers.call(self.feed_forward, ln_h)  # FFN(·)
        y = h + self.residual_dropout(ffn, training)  # h + FFN(·)
        if not self.normalize_first:
            y = sublayers.call(self.feed_forward_layer_norm, y)  # y = LN_2(h + FFN(h))
        return (y, *extras) if extras else y

    def compute_output_spec(self, inputs, return_attention_scores=False, cache=None, **kwargs):
        # The self-attention's outputs have the block's shapes: (B, T, width), weights, cache.
        return self.self_attention.compute_output_spec(
            inputs, inputs, return_attention_scores=return_attention_scores, cache=cache
        )

    def get_config(self):
        config = {
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "activation": keras.activations.serialize(self.activation),
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "normalize_first": self.normalize_first,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "seed": self.seed,
            "fused": self.fused,
        }
        return {**super().get_config(), **config}
