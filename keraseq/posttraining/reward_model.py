"""The reward model: the fine-tuned network with a scalar head, read at the answer's last token."""

import keras
from keras import ops

from keraseq.models import MiniGPT


@keras.saving.register_keras_serializable(package="keraseq")
class RewardModel(keras.Model):
    """Scores a prompt and answer with one number (InstructGPT's reward model).

    The fine-tuned `MiniGPT` without its language-model head: its final hidden state at the last
    real token $T$ (the end marker of a finished answer), through a linear head,

    $$r(x, y) = w^\\top \\operatorname{LN}(h_T) + b.$$

    The model is causal, so the padding after $T$ cannot change $r$.

    Args:
        backbone: A `MiniGPT` (its weights are the starting point; its head is unused).
        **kwargs: `keras.Model` arguments.

    Inputs: a dict with `tokens` `(B, L)` int (prompt, answer, any padding) and `lengths` `(B,)`
    int, the number of real tokens of each row. Output: `(B,)` rewards.
    """

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(backbone, MiniGPT):
            raise ValueError(
                f"a reward model is built on a MiniGPT, got a {type(backbone).__name__}"
            )
        self.backbone = backbone
        self.score_head = keras.layers.Dense(1, name="score_head")

    def build(self, input_shape=None):
        if not self.backbone.built:
            self.backbone.build((None, self.backbone.sequence_length))
        self.score_head.build((None, None, self.backbone.hidden_dim))

    def call(self, inputs, training=None):
        tokens, lengths = inputs["tokens"], inputs["lengths"]
        x = self.backbone.embed(tokens, training=training)  # (B, L, hidden)
        for block in self.backbone.blocks:
            x = block(x, training=training)
        x = self.backbone.final_norm(x)  # LN(h), (B, L, hidden)
        scores = ops.squeeze(self.score_head(x), -1)  # w^T LN(h_t) + b at every t, (B, L)
        last = ops.expand_dims(ops.cast(lengths, "int32") - 1, -1)  # (B, 1): T, the last real token
        return ops.squeeze(ops.take_along_axis(scores, last, axis=1), -1)  # r = score at T, (B,)

    def get_config(self):
        return {
            **super().get_config(),
            "backbone": keras.saving.serialize_keras_object(self.backbone),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        backbone = keras.saving.deserialize_keras_object(config.pop("backbone"))
        return cls(backbone, **config)
