"""Multi-head attention: several attentions side by side, each in its own learned subspace."""

import math

import keras
from keras import ops

from keraseq.layers import validation
from keraseq.layers.attention import kv_cache
from keraseq.layers.attention.lora import LoRAKernels
from keraseq.layers.attention.masks import causal_mask, check_attention_mask, combine_masks
from keraseq.layers.attention.scaled_dot_product import scaled_dot_product_attention
from keraseq.layers.initializers import fresh


@keras.saving.register_keras_serializable(package="keraseq")
class MultiHeadAttention(LoRAKernels, keras.layers.Layer):
    r"""Multi-head attention (Vaswani et al., 2017), with the weights of Keras's MultiHeadAttention.

    $$
    \begin{aligned}
    Q_h &= X_q W^Q_h + b^Q_h,\quad K_h = X_k W^K_h + b^K_h,\quad V_h = X_v W^V_h + b^V_h
        && \text{per head } h \\
    \text{head}_h &= \operatorname{softmax}\!\left(\frac{Q_h K_h^\top}{\sqrt{d_k}}\right) V_h
        && \text{scaled dot-product attention} \\
    Y &= \textstyle\sum_h \text{head}_h W^O_h + b^O = [\text{head}_1, \dots, \text{head}_H]\, W^O +
    b^O
    \end{aligned}
    $$

    Weights, in `get_weights()` order and with the shapes of `keras.layers.MultiHeadAttention` (so
    `ours.set_weights(builtin.get_weights())` gives the same outputs): `query_kernel`
    `(query_dim, heads, key_dim)`, `query_bias` `(heads, key_dim)`, `key_kernel`
    `(key_dim_in, heads, key_dim)`, `key_bias`, `value_kernel` `(value_dim_in, heads, value_dim)`,
    `value_bias`, `output_kernel` `(heads, value_dim, output_dim)`, `output_bias` `(output_dim,)`
    (no biases with `use_bias=False`).

    LoRA: `enable_lora(rank, lora_alpha=None)` freezes the four kernels and adds trainable adapters
    `query_lora_kernel_a` `(query_dim, heads, rank)`, `query_lora_kernel_b` `(rank, key_dim)`, ...,
    `output_lora_kernel_a` `(heads, value_dim, rank)`, `output_lora_kernel_b` `(rank, output_dim)`:
    those of `keras.layers.EinsumDense.enable_lora` on each projection of
    `keras.layers.MultiHeadAttention` (see `keraseq.layers.attention.lora`).

    Masks: the Keras masks of `query` (padding queries), `value` and `key` (padding keys), the
    explicit `attention_mask` `(B, T, S)` (or one per head, `(B, heads, T, S)`) and the causal mask
    are combined by logical AND. A query that may look at nothing gets weights 0 and an attention
    output of 0 (the layer then returns $b^O$ there), as the Keras layer does. The output carries
    the query's Keras mask.

    Which path runs: by default (`fused=True`) the attention itself is
    `keras.ops.dot_product_attention`
    (the backend's fused kernel, as the Keras layer uses) whenever the weights are not requested, no
    dropout is active and `value_dim == key_dim` (the fused kernels need it); otherwise, or with
    `fused=False`, `scaled_dot_product_attention`, the equation written out. Both give the same
    outputs (tested).

    KV cache: with `cache` (see `keraseq.layers.attention.kv_cache`: shape
    `(batch, 2, max_length, heads, key_dim)`, needs `value_dim == key_dim`) the new keys and values
    are written at `cache_update_index` and the queries attend to all `max_length` cached
    positions; `use_causal_mask=True` then places query $i$ at position `cache_update_index + i`,
    which also hides the slots not yet written. The Keras masks of `value`/`key` describe only the
    new tokens, so they are not used with a cache: hide cached positions with `attention_mask`
    `(B, T, max_length)`. When `cache_update_index` is a Python int (eager decoding; a NumPy
    integer passed to `__call__` arrives as a tensor), there is no `attention_mask` and the
    weights are not asked for, the queries read only the `cache_update_index + T` slots written so
    far: the same result with fewer keys, and for one new token no mask at all.

    Args:
        num_heads: Number of heads $H$.
        key_dim: Size $d_k$ of each head's queries and keys.
        value_dim: Size of each head's values; `key_dim` if `None`.
        dropout: Dropout rate on the attention weights (training only).
        use_bias: Whether the projections have biases.
        output_shape: Width of the output; the query's width if `None`.
        kernel_initializer, bias_initializer: Initializers of the projections.
        kernel_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.
        seed: Seed of the dropout.
        fused: Whether to use `keras.ops.dot_product_attention` when the weights are not needed.
        lora_rank, lora_alpha: If `lora_rank` is set, LoRA is enabled when the layer is built
            ($\alpha$ = `lora_alpha`, `lora_rank` if `None`), as in `keras.layers.EinsumDense`.

    Call arguments:
        query: $X_q$, shape `(B, T, query_dim)`.
        value: $X_v$, shape `(B, S, value_dim_in)`.
        key: $X_k$, shape `(B, S, key_dim_in)`; `value` if `None`.
        attention_mask: Optional boolean `(B, T, S)`, or `(B, heads, T, S)` for one mask per head
            (or broadcastable), True = attend.
        return_attention_scores: Also return the weights $A$, shape `(B, heads, T, S)`.
        training: Whether dropout is on.
        use_causal_mask: Whether query $i$ is barred from keys $j > i$ (a decoder).
        cache: Optional KV cache `(B, 2, max_length, heads, key_dim)`.
        cache_update_index: Where to write this call's keys and values in the cache, in
            `[0, max_length - T]` (a Python int outside raises a `ValueError`; a traced tensor
            must be kept in range by the caller); `None` reads the cache as it is.

    Returns:
        `outputs` `(B, T, output_dim)`, then the weights if `return_attention_scores`, then the new
        cache if `cache` was given: `outputs`, `(outputs, weights)`, `(outputs, cache)` or
        `(outputs, weights, cache)`.

    Example:

    ```python
    mha = keraseq.layers.MultiHeadAttention(num_heads=4, key_dim=16)
    x = np.random.rand(2, 10, 64).astype("float32")
    # y: (2, 10, 64), weights: (2, 4, 10, 10)
    y, weights = mha(x, x, use_causal_mask=True, return_attention_scores=True)
    ```
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        fused=True,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(lora_rank=lora_rank, lora_alpha=lora_alpha, **kwargs)
        self.num_heads = validation.positive_int("num_heads", num_heads)
        self.key_dim = validation.positive_int("key_dim", key_dim)
        if value_dim is not None:
            validation.positive_int("value_dim", value_dim)
        self.value_dim = key_dim if value_dim is None else value_dim
        self.dropout = validation.rate("dropout", dropout)
        self.use_bias = use_bias
        if isinstance(output_shape, (list, tuple)):
            if len(output_shape) != 1:
                raise ValueError(
                    "`output_shape` must be an int or a 1-tuple (the output width), "
                    f"got {output_shape!r}."
                )
            output_shape = output_shape[0]
        if output_shape is not None:
            validation.positive_int("output_shape", output_shape)
        self.output_dim = output_shape
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.seed = seed
        # As in Keras: a seed generator (a state variable) only if there is dropout to draw.
        self.seed_generator = keras.random.SeedGenerator(seed) if self.dropout else None
        self.fused = bool(fused)
        self.supports_masking = True

    # --- weights -------------------------------------------------------------------------------
    lora_kernels = ("query", "key", "value", "output")

    @staticmethod
    def check_shapes(query_shape, value_shape, key_shape=None):
        """The three input shapes as tuples, `key_shape` defaulting to `value_shape`; raises a
        `ValueError` unless each is `(batch, positions, features)` and `value` and `key` have the
        same positions (Keras's check and wording first)."""
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal, got "
                f"value shape {value_shape} and key shape {key_shape}."
            )
        shapes = (tuple(query_shape), value_shape, key_shape)
        for name, shape in zip(("query", "value", "key"), shapes):
            validation.features_shape(
                f"MultiHeadAttention's `{name}`", shape, "(batch, positions, features)"
            )
        return shapes

    def _projection(self, name, kernel_shape, bias_shape):
        kernel = self.add_weight(
            shape=kernel_shape,
            name=f"{name}_kernel",
            initializer=fresh(self.kernel_initializer),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        bias = None
        if self.use_bias:
            bias = self.add_weight(
                shape=bias_shape,
                name=f"{name}_bias",
                initializer=fresh(self.bias_initializer),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        return kernel, bias

    def build(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape, key_shape = self.check_shapes(query_shape, value_shape, key_shape)
        heads = self.num_heads
        self.query_kernel, self.query_bias = self._projection(
            "query", (query_shape[-1], heads, self.key_dim), (heads, self.key_dim)
        )
        self.key_kernel, self.key_bias = self._projection(
            "key", (key_shape[-1], heads, self.key_dim), (heads, self.key_dim)
        )
        self.value_kernel, self.value_bias = self._projection(
            "value", (value_shape[-1], heads, self.value_dim), (heads, self.value_dim)
        )
        output_dim = self.output_dim or query_shape[-1]
        self.output_kernel, self.output_bias = self._projection(
            "output", (heads, self.value_dim, output_dim), (output_dim,)
        )
        self.build_lora()

    # --- the equations -------------------------------------------------------------------------
    @staticmethod
    def project(x, kernel, bias):
        """$X W + b$ for every head at once: `(B, T, features)` to `(B, T, heads, dim)`."""
        y = ops.einsum("btf,fhd->bthd", x, kernel)  # X W_h for all h, (B, T, heads, dim)
        return y if bias is None else y + bias

    def projection(self, name, x):
        """`project` with the kernel `name_kernel` (LoRA merged in, if enabled) and its bias."""
        return self.project(x, self.effective_kernel(name), getattr(self, f"{name}_bias"))

    def attend(
        self,
        query,
        value,
        key=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
        cache=None,
        cache_update_index=None,
    ):
        """The layer's equations on an already merged `attention_mask` (no Keras masks read).

        `call` merges the Keras masks into `attention_mask`, then calls this. Same arguments and
        returns as `call`.
        """
        key = value if key is None else key
        q = self.projection("query", query)  # (B, T, heads, key_dim)
        start_index = 0
        if cache is None:
            if cache_update_index is not None:
                raise ValueError(
                    "`cache_update_index` is only meaningful with a `cache`, got `cache=None`."
                )
            k = self.projection("key", key)  # (B, S, heads, key_dim)
            v = self.projection("value", value)  # (B, S, heads, value_dim)
        else:
            if self.value_dim != self.key_dim:
                raise ValueError(
                    "A KV cache stores keys and values in one tensor, so it needs "
                    f"`value_dim == key_dim`, got value_dim={self.value_dim}, "
                    f"key_dim={self.key_dim}."
                )
            kv_cache.check_cache_shape(cache, self.num_heads, self.key_dim)
            if cache_update_index is None:
                k, v = cache[:, 0, ...], cache[:, 1, ...]  # (B, max_length, heads, key_dim)
            else:
                # Read once: an index known now as a Python int (on torch, a slice rather than an
                # index_put of tensors, and the fast path below); a traced one as it is.
                known = validation.static_int(cache_update_index)
                start_index = cache_update_index if known is None else known
                k, v, cache = kv_cache.write_kv_cache(
                    cache,
                    start_index,
                    self.projection("key", key),
                    self.projection("value", value),
                )
                if known is not None and attention_mask is None and not return_attention_scores:
                    # A known index (eager decoding): the slots after the new tokens are still
                    # empty and masked anyway, so attend to the written ones only.
                    written = known + ops.shape(q)[1]
                    k, v = k[:, :written], v[:, :written]  # (B, index + T, heads, dim)
                    # One new token at the last written slot sees them all: no causal mask.
                    use_causal_mask = use_causal_mask and ops.shape(q)[1] > 1

        dropout_rate = self.dropout if training else 0.0
        fusable = self.fused and self.value_dim == self.key_dim
        use_fused = fusable and not return_attention_scores and not dropout_rate
        # Only a causal mask on a whole sequence: the fused kernel applies it without building it.
        fused_causal = use_fused and use_causal_mask and attention_mask is None and cache is None
        every_query_attends = attention_mask is None  # a causal mask alone lets each see itself
        if attention_mask is not None and len(attention_mask.shape) == 3:
            attention_mask = ops.expand_dims(
                attention_mask, 1
            )  # one mask for all heads, (B, 1, T, S)
        if use_causal_mask and not fused_causal:
            attention_mask = combine_masks(
                attention_mask, causal_mask(ops.shape(q)[1], ops.shape(k)[1], start_index)
            )
        if use_fused:
            heads = self.fused_attention(
                q, k, v, attention_mask, is_causal=fused_causal, all_attend=every_query_attends
            )
            weights = None
        else:
            heads, weights = scaled_dot_product_attention(
                ops.transpose(q, (0, 2, 1, 3)),  # (B, heads, T, key_dim)
                ops.transpose(k, (0, 2, 1, 3)),  # (B, heads, S, key_dim)
                ops.transpose(v, (0, 2, 1, 3)),  # (B, heads, S, value_dim)
                mask=attention_mask,
                dropout_rate=dropout_rate,
                seed=self.seed_generator,
            )
            heads = ops.transpose(heads, (0, 2, 1, 3))  # (B, T, heads, value_dim)
        outputs = ops.einsum(
            "bthd,hdo->bto", heads, self.effective_kernel("output")
        )  # Σ_h head_h W^O_h, (B, T, out)
        if self.output_bias is not None:
            outputs = outputs + self.output_bias  # Y = [head_1..head_H] W^O + b^O
        results = [outputs]
        if return_attention_scores:
            results.append(weights)
        if cache is not None:
            results.append(cache)
        return results[0] if len(results) == 1 else tuple(results)

    def fused_attention(self, q, k, v, mask, is_causal=False, all_attend=False):
        """`keras.ops.dot_product_attention` on `(B, T, heads, dim)`; a masked-out query gives 0.

        `all_attend=True` promises that `mask` leaves every query a key (a causal mask does), which
        skips the search for masked-out queries.
        """
        scale = 1.0 / math.sqrt(self.key_dim)
        if mask is None:
            return ops.dot_product_attention(q, k, v, scale=scale, is_causal=is_causal)
        batch, query_length = ops.shape(q)[0], ops.shape(q)[1]
        mask_heads = mask.shape[-3] if len(mask.shape) == 4 else 1  # one mask per head, or shared
        mask = ops.broadcast_to(mask, (batch, mask_heads, query_length, ops.shape(k)[1]))
        heads = ops.dot_product_attention(q, k, v, mask=mask, scale=scale)
        if all_attend:
            return heads  # (B, T, heads, value_dim)
        attends = ops.transpose(ops.any(mask, axis=-1, keepdims=True), (0, 2, 1, 3))  # (B, T, ·, 1)
        return ops.where(attends, heads, ops.zeros_like(heads))  # (B, T, heads, value_dim)

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
        cache=None,
        cache_update_index=None,
    ):
        check_attention_mask(attention_mask, query, value, cache, self.num_heads)
        masks = []
        if attention_mask is not None:
            attention_mask = ops.convert_to_tensor(attention_mask)
            if len(attention_mask.shape) == 3:  # one mask for all heads, (B, 1, T, S)
                attention_mask = ops.expand_dims(attention_mask, 1)
            masks.append(attention_mask)
        if query_mask is not None:  # a padding query sees nothing, (B, 1, T, 1)
            masks.append(ops.expand_dims(query_mask, (1, 3)))
        if cache is None:
            for mask in (value_mask, key_mask if key is not None else None):
                if mask is not None:  # nobody sees a padding key, (B, 1, 1, S)
                    masks.append(ops.expand_dims(mask, (1, 2)))
        return self.attend(
            query,
            value,
            key=key,
            attention_mask=combine_masks(*masks),
            return_attention_scores=return_attention_scores,
            training=training,
            use_causal_mask=use_causal_mask,
            cache=cache,
            cache_update_index=cache_update_index,
        )

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, _, _ = self.check_shapes(query_shape, value_shape, key_shape)
        return (*query_shape[:-1], self.output_dim or query_shape[-1])  # (B, T, output_dim)

    def compute_output_spec(
        self, query, value, key=None, return_attention_scores=False, cache=None, **kwargs
    ):
        batch, query_length = query.shape[0], query.shape[1]
        key_length = value.shape[1] if cache is None else cache.shape[2]
        output_shape = self.compute_output_shape(
            query.shape, value.shape, None if key is None else key.shape
        )
        specs = [keras.KerasTensor(output_shape, self.compute_dtype)]
        if return_attention_scores:
            weights_shape = (batch, self.num_heads, query_length, key_length)
            specs.append(keras.KerasTensor(weights_shape, self.compute_dtype))
        if cache is not None:
            specs.append(keras.KerasTensor(cache.shape, self.compute_dtype))
        return specs[0] if len(specs) == 1 else tuple(specs)

    def get_config(self):
        config = {
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self.output_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            "seed": self.seed,
            "fused": self.fused,
        }
        return {**super().get_config(), **config}
