"""A character language model from keraseq's recurrent layers: embedding, N RNN/LSTM/GRU, head."""

import keras
import numpy as np

from keraseq.layers import validation
from keraseq.models import kinds
from keraseq.models.compiled import compiled_call
from keraseq.models.minigpt import check_prompt


@keras.saving.register_keras_serializable(package="keraseq")
class RecurrentLM(keras.Model):
    """Predicts the next token from a recurrent state: the pre-Transformer language model.

    `call` reads a whole window `(B, T)` at once (for training); `call_with_state` advances one
    token
    and returns the new states, so generating costs the same work per token however long the text
    already is (a Transformer's attention grows with the context instead).

    Args:
        vocabulary_size: Number of token ids.
        kind: `"lstm"`, `"gru"` or `"rnn"`: the recurrent kind (`keraseq.models.kinds`), whose
            keraseq layer is stacked.
        hidden_dim: Width of the embedding and of every recurrent state.
        num_layers: How many recurrent layers are stacked.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    ```python
    model = RecurrentLM(vocabulary_size=65, kind="lstm", hidden_dim=256, num_layers=2)
    logits = model(np.zeros((12, 64), "int32"))      # (12, 64, 65)
    ```
    """

    def __init__(self, vocabulary_size, kind="lstm", hidden_dim=256, num_layers=2, **kwargs):
        super().__init__(**kwargs)
        layer_class = kinds.recurrent_layer(kind)
        self.kind = kind
        self.vocabulary_size = validation.positive_int("vocabulary_size", vocabulary_size)
        self.hidden_dim = validation.positive_int("hidden_dim", hidden_dim)
        self.num_layers = validation.positive_int("num_layers", num_layers)
        self.token_embedding = keras.layers.Embedding(vocabulary_size, hidden_dim, name="embedding")
        self.recurrent_layers = [
            layer_class(hidden_dim, return_sequences=True, name=f"{kind}_{i}")
            for i in range(num_layers)
        ]
        self.lm_head = keras.layers.Dense(vocabulary_size, name="lm_head")

    def build(self, input_shape):
        batch, length = input_shape
        self.token_embedding.build((batch, length))
        for layer in self.recurrent_layers:
            layer.build((batch, length, self.hidden_dim))
        self.lm_head.build((batch, length, self.hidden_dim))

    def call(self, token_ids, training=None):
        x = self.token_embedding(token_ids)  # (B, T, hidden)
        for layer in self.recurrent_layers:
            x = layer(x, training=training)  # (B, T, hidden)
        return self.lm_head(x)  # (B, T, vocab)

    # --- generation: one token at a time, carrying the states ---------------------------------
    def initial_state(self, batch_size):
        """Zero states, one list per layer (`[h]`, or `[h, c]` for the LSTM), each `(B, hidden)`."""
        return [layer.cell.get_initial_state(batch_size) for layer in self.recurrent_layers]

    def call_with_state(self, token_ids, states):
        """One step: the logits of the next token after `token_ids` and the updated states.

        Args:
            token_ids: `(B,)` int, the current token of each sequence.
            states: The states from `initial_state` or from the previous call.

        Returns:
            `(logits, states)`, logits of shape `(B, vocab)`.
        """
        if not self.built:
            self.build((None, 1))
        x = self.token_embedding(token_ids)  # (B, hidden)
        new_states = []
        for layer, state in zip(self.recurrent_layers, states):
            x, state = layer.cell(x, state)  # (B, hidden): h_t of this layer feeds the next
            new_states.append(state)
        return self.lm_head(x), new_states  # (B, vocab)

    def generate_start(self, token_ids):
        """Reads a prompt `(B, P)` one token at a time from zero states.

        Returns:
            `(logits, states)`: the next token's logits `(B, vocab)` and the states after the
            prompt.
        """
        token_ids = np.asarray(token_ids, dtype="int32")
        check_prompt(token_ids)
        if not self.built:  # before the compiled step, which creates no variables
            self.build((None, 1))
        states = self.initial_state(len(token_ids))
        for t in range(token_ids.shape[1]):
            logits, states = self.generate_step(token_ids[:, t], states)
        return logits, states

    def generate_step(self, token_ids, states):
        """Appends one token per sequence `(B,)`: `call_with_state`, the same work at every step,
        in Keras's compiled predict step (`keraseq.models.compiled`)."""
        return compiled_call(self, "call_with_state", np.asarray(token_ids, dtype="int32"), states)

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "kind": self.kind,
            "hidden_dim": self.hidden_dim,
            "num_layers": self.num_layers,
        }
