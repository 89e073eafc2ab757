"""A small GPT: token and position embeddings, N pre-norm Transformer blocks, a final norm, a head.

The architecture of GPT-2 and nanoGPT, at the size of the nanoGPT CPU recipe (4 layers, 4 heads,
width 128: about 0.8 M parameters with Tiny Shakespeare's 65 characters).
"""

import keras
import numpy as np
from keras import ops

from keraseq.layers import validation
from keraseq.layers.attention import TransformerBlock
from keraseq.layers.attention.lora import LoRA
from keraseq.models.compiled import compiled_call, forget_steps

INIT_STDDEV = 0.02  # GPT-2's initialization: N(0, 0.02) for every embedding and matrix


def check_prompt(token_ids):
    """Raises a clear `ValueError` unless `token_ids` is a `(batch, P)` prompt with P >= 1."""
    if token_ids.ndim != 2 or 0 in token_ids.shape:
        raise ValueError(
            "generate_start needs a prompt of shape (batch, P) with at least one sequence of at "
            f"least one token, got shape {token_ids.shape}."
        )


@keras.saving.register_keras_serializable(package="keraseq")
class MiniGPT(LoRA, keras.Model):
    """A decoder-only Transformer language model.

    $$
    x_0 = E_{\\text{tok}}[t] + E_{\\text{pos}}, \\qquad
    x_\\ell = \\text{Block}_\\ell(x_{\\ell-1}), \\qquad
    \\text{logits} = \\operatorname{LN}(x_N)\\, W_{\\text{head}}
    $$

    with pre-norm blocks (`keraseq.layers.TransformerBlock(normalize_first=True)`, GELU) and,
    by default, the head tied to the token embedding ($W_{\\text{head}} = E_{\\text{tok}}^\\top$,
    as GPT-2 and nanoGPT do).

    `call` reads a window `(B, T)` with a causal mask (training, scoring). `call_with_cache` is
    keras-hub's decoding step: it reads new tokens at position `cache_update_index`, attends to the
    keys and values cached for the earlier positions and returns the updated cache, so each new
    token costs one position's work instead of the whole context's.

    LoRA: `enable_lora(rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros")`
    enables LoRA ($W + \\frac{\\alpha}{r} A B$, see `keraseq.layers.attention.lora`) on the query,
    key, value and output kernels of every block's attention and both kernels of its feed-forward
    network, then freezes every other weight: embeddings, head, layer norms and biases. Only the
    adapters train, as in the LoRA paper: $r\\,(\\text{rows of } A + \\text{columns of } B)$
    parameters per kernel, and the fine-tuned model is the pretrained one plus a low-rank update of
    each kernel. (`model.trainable = True` afterwards makes every weight trainable, kernels
    included.) Saving writes the merged kernels and `lora_rank`/`lora_alpha` in the config, as
    Keras does: `keras.models.load_model` (and `keraseq.load_checkpoint`) gives the same outputs,
    with LoRA enabled on the merged kernels, $B = 0$ and $A$ drawn anew, ready to train further.

    Args:
        vocabulary_size: Number of token ids.
        sequence_length: The context: the most positions the model can place.
        num_layers: Number of Transformer blocks.
        num_heads: Attention heads per block; must divide `hidden_dim`.
        hidden_dim: Width of the residual stream.
        intermediate_dim: Hidden width of each block's feed-forward network (usually 4 × width).
        dropout: Dropout rate (embeddings, attention, residual branches), training only.
        tie_embeddings: Use the token embedding, transposed, as the output head.
        lora_rank, lora_alpha: If `lora_rank` is set, `enable_lora(lora_rank, lora_alpha)` runs
            when the model is built (how a saved LoRA model comes back, as Keras's layers do).
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    ```python
    model = MiniGPT(vocabulary_size=65, sequence_length=64, num_layers=4, num_heads=4,
                    hidden_dim=128, intermediate_dim=512)
    logits = model(np.zeros((12, 64), "int32"))      # (12, 64, 65)
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        sequence_length,
        num_layers=4,
        num_heads=4,
        hidden_dim=128,
        intermediate_dim=512,
        dropout=0.0,
        tie_embeddings=True,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(lora_rank=lora_rank, lora_alpha=lora_alpha, **kwargs)
        self.vocabulary_size = validation.positive_int("vocabulary_size", vocabulary_size)
        self.sequence_length = validation.positive_int("sequence_length", sequence_length)
        self.num_layers = validation.positive_int("num_layers", num_layers)
        self.num_heads = validation.positive_int("num_heads", num_heads)
        self.hidden_dim = validation.positive_int("hidden_dim", hidden_dim)
        self.intermediate_dim = validation.positive_int("intermediate_dim", intermediate_dim)
        self.dropout = validation.rate("dropout", dropout)
        self.tie_embeddings = bool(tie_embeddings)
        if hidden_dim % num_heads:
            raise ValueError(f"`num_heads` ({num_heads}) must divide `hidden_dim` ({hidden_dim})")

        def init():  # a new one per weight: an unseeded initializer repeats its values
            return keras.initializers.RandomNormal(stddev=INIT_STDDEV)

        policy = self.dtype_policy  # every sublayer computes as the model does

        def embedding(rows, name):  # (rows, hidden_dim)
            return keras.layers.Embedding(
                rows, hidden_dim, embeddings_initializer=init(), dtype=policy, name=name
            )

        self.token_embedding = embedding(vocabulary_size, "token_embedding")
        self.position_embedding = embedding(sequence_length, "position_embedding")
        self.embedding_dropout = keras.layers.Dropout(
            dropout, dtype=policy, name="embedding_dropout"
        )
        self.blocks = [
            TransformerBlock(
                num_heads,
                intermediate_dim,
                dropout=dropout,
                activation="gelu",
                normalize_first=True,
                kernel_initializer=init(),
                dtype=policy,
                name=f"block_{i}",
            )
            for i in range(num_layers)
        ]
        self.final_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, dtype=policy, name="final_norm"
        )
        self.lm_head = None
        if not self.tie_embeddings:
            self.lm_head = keras.layers.Dense(
                vocabulary_size,
                use_bias=False,
                kernel_initializer=init(),
                dtype=policy,
                name="lm_head",
            )

    def build(self, input_shape):
        batch, length = input_shape
        hidden_shape = (batch, length, self.hidden_dim)
        self.token_embedding.build((batch, length))
        self.position_embedding.build((length,))
        for block in self.blocks:
            block.build(hidden_shape)
        self.final_norm.build(hidden_shape)
        if self.lm_head is not None:
            self.lm_head.build(hidden_shape)
        self.build_lora()

    def add_lora_adapters(self, rank, lora_alpha, a_initializer, b_initializer):
        """LoRA on the attention and feed-forward kernels of every block; the rest frozen."""
        adapted = [layer for b in self.blocks for layer in (b.self_attention, b.feed_forward)]
        for layer in adapted:
            layer.enable_lora(rank, lora_alpha, a_initializer, b_initializer)
        adapters = {id(w) for layer in adapted for w in layer.lora_weights()}
        for weight in self.weights:
            weight.trainable = id(weight) in adapters
        # Functions traced without the adapters (TensorFlow graphs) would ignore them: trace anew.
        self.train_function = self.test_function = self.predict_function = None
        forget_steps(self)

    def embed(self, token_ids, start_index=0, training=None):
        """Token plus position embeddings of tokens placed from `start_index`: `(B, T, hidden)`.

        Raises:
            ValueError: The tokens do not fit in the `sequence_length` positions (when the length
                and `start_index` are known; out of range, JAX would return NaN and torch fail).
        """
        validation.window(
            "start_index",
            start_index,
            token_ids.shape[1],
            self.sequence_length,
            f"the model's context of sequence_length={self.sequence_length} positions",
        )
        positions = ops.arange(ops.shape(token_ids)[1]) + start_index  # (T,)
        x = self.token_embedding(token_ids)  # (B, T, hidden)
        x = x + self.position_embedding(positions)  # (B, T, hidden) + (T, hidden)
        return self.embedding_dropout(x, training=training)

    def head(self, x):
        """Final layer norm and output projection: `(B, T, hidden)` to logits `(B, T, vocab)`."""
        return self.project(self.final_norm(x))  # (B, T, vocab)

    def project(self, x):
        """The output projection of normalised states `(B, T, hidden)` to logits `(B, T, vocab)`
        (the tied embedding, transposed, or `lm_head`)."""
        if self.lm_head is None:
            return ops.matmul(x, ops.transpose(self.token_embedding.embeddings))  # (B, T, vocab)
        return self.lm_head(x)  # (B, T, vocab)

    def call(self, token_ids, training=None):
        x = self.embed(token_ids, training=training)  # (B, T, hidden)
        for block in self.blocks:
            x = block(x, training=training)  # causal self-attention + FFN, (B, T, hidden)
        return self.head(x)  # (B, T, vocab)

    # --- generation with a KV cache (keras-hub's CausalLM pattern) ------------------------------
    def empty_cache(self, batch_size):
        """Zeros of shape `(B, num_layers, 2, sequence_length, num_heads, head_dim)`."""
        head_dim = self.hidden_dim // self.num_heads
        shape = (batch_size, self.num_layers, 2, self.sequence_length, self.num_heads, head_dim)
        return ops.zeros(shape, dtype=self.compute_dtype)

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """Reads `token_ids` placed at `cache_update_index`, using and updating the KV cache.

        Args:
            token_ids: `(B, T)` int, the new tokens (the whole prompt, or one token).
            cache: `(B, num_layers, 2, sequence_length, num_heads, head_dim)`, from `empty_cache`
                or the previous call.
            cache_update_index: Position of `token_ids[:, 0]`; `index + T <= sequence_length`.

        Returns:
            `(logits, cache)`: logits `(B, T, vocab)` and the cache with these tokens' keys and
            values written in.
        """
        if not self.built:
            self.build(ops.shape(token_ids))
        x = self.embed(token_ids, start_index=cache_update_index)  # (B, T, hidden)
        layer_caches = []
        for i, block in enumerate(self.blocks):
            # Through Layer.__call__: on JAX, Keras's predict step runs the model's `call` without
            # an autocast scope, which the blocks' own `__call__` enters.
            x, layer_cache = block(x, cache=cache[:, i], cache_update_index=cache_update_index)
            layer_caches.append(layer_cache)  # (B, 2, sequence_length, heads, head_dim)
        return self.head(x), ops.stack(layer_caches, axis=1)  # (B, T, vocab), cache

    def generate_start(self, token_ids):
        """Prefill: reads a prompt `(B, P)` (its last `sequence_length` tokens) into a new cache.

        Returns:
            `(logits, state)`: the next token's logits `(B, vocab)` and the decoding state.
        """
        token_ids = np.asarray(token_ids, dtype="int32")[:, -self.sequence_length :]  # (B, ≤ T)
        check_prompt(token_ids)
        if not self.built:  # before the compiled step, which creates no variables
            self.build(token_ids.shape)
        cache = self.empty_cache(len(token_ids))
        logits, cache = compiled_call(self, "call_with_cache", token_ids, cache, np.int32(0))
        return logits[:, -1], (token_ids, cache)  # (B, vocab)

    def generate_step(self, token_ids, state):
        """Appends one token per sequence `(B,)`; returns the next logits `(B, vocab)` and state.

        While the context fits, only the new token is computed, against the cache. Once it is full,
        the oldest token must go; positions are absolute, so every cached key would move: the model
        then reads the last `sequence_length` tokens afresh, as nanoGPT crops its context. Both run
        in Keras's compiled predict step (`keraseq.models.compiled`).
        """
        context, cache = state
        context = np.concatenate([context, np.asarray(token_ids, "int32")[:, None]], axis=1)
        index = context.shape[1] - 1
        if index >= self.sequence_length:
            return self.generate_start(context)
        logits, cache = compiled_call(
            self, "call_with_cache", context[:, index:], cache, np.int32(index)
        )  # (B, 1, vocab)
        return logits[:, -1], (context, cache)

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "sequence_length": self.sequence_length,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "tie_embeddings": self.tie_embeddings,
        }
