"""The reward model: the fine-tuned network with a scalar head, read at the answer's last token."""

import keras
from keras import ops

from keraseq.models import MiniGPT
from keraseq.posttraining.losses import sequence_log_probs


@keras.saving.register_keras_serializable(package="keraseq")
class RewardModel(keras.Model):
    """Scores a prompt and answer with one number (InstructGPT's reward model).

    The fine-tuned `MiniGPT`'s final hidden state at the last real token $T$ (the end marker of a
    finished answer), through a linear head; with `likelihood=True` (the default), plus the
    network's own log-likelihood of the answer, weighted by a learned $\\lambda$ that starts at 1:

    $$r(x, y) = w^\\top \\operatorname{LN}(h_T) + b
      + \\lambda \\sum_{t \\in y} \\log \\pi_\\phi(y_t \\mid y_{<t}).$$

    Why the second term: a network of this size that sees a few hundred pairs learned to tell
    right from wrong answers no better than chance from $h_T$ alone (`benchmarks/rlhf.py`
    compares the two on the same pairs), while the fine-tuned model's likelihood already ranks
    most pairs as the judge does. Starting from it, the Bradley–Terry loss trains both terms
    (the network $\\phi$, which starts as the fine-tuned model, its language-model head
    included, and $w$, $b$, $\\lambda$). It is the DPO paper's observation that a language
    model is itself a reward model, used as the reward model's starting point.

    The model is causal and the sum runs over the answer only, so the padding after $T$ cannot
    change $r$.

    Args:
        backbone: A `MiniGPT` (its weights are the starting point).
        likelihood: Add the $\\lambda \\log \\pi_\\phi(y \\mid x)$ term.
        **kwargs: `keras.Model` arguments.

    Inputs: a dict with `tokens` `(B, L)` int (prompt, answer, any padding), `lengths` `(B,)`
    int, the number of real tokens of each row, and `answer_mask` `(B, L)`, 1 on the answer's
    tokens. Output: `(B,)` rewards.
    """

    def __init__(self, backbone, likelihood=True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(backbone, MiniGPT):
            raise ValueError(
                f"a reward model is built on a MiniGPT, got a {type(backbone).__name__}"
            )
        self.backbone = backbone
        self.likelihood = bool(likelihood)
        self.score_head = keras.layers.Dense(1, name="score_head")

    def build(self, input_shape=None):
        if not self.backbone.built:
            self.backbone.build((None, self.backbone.sequence_length))
        self.score_head.build((None, None, self.backbone.hidden_dim))
        if self.likelihood:
            self.likelihood_weight = self.add_weight(
                shape=(), initializer="ones", name="likelihood_weight"
            )

    def call(self, inputs, training=None):
        tokens, lengths = inputs["tokens"], inputs["lengths"]
        x = self.backbone.embed(tokens, training=training)  # (B, L, hidden)
        for block in self.backbone.blocks:
            x = block(x, training=training)
        x = self.backbone.final_norm(x)  # LN(h), (B, L, hidden)
        scores = ops.squeeze(self.score_head(x), -1)  # w^T LN(h_t) + b at every t, (B, L)
        last = ops.expand_dims(ops.cast(lengths, "int32") - 1, -1)  # (B, 1): T, the last real token
        reward = ops.squeeze(ops.take_along_axis(scores, last, axis=1), -1)  # score at T, (B,)
        if self.likelihood:
            log_likelihood = sequence_log_probs(
                self.backbone.project(x), tokens, inputs["answer_mask"]
            )  # log π_φ(y | x), (B,)
            reward = reward + self.likelihood_weight * log_likelihood  # + λ log π_φ(y | x)
        return reward

    def get_config(self):
        return {
            **super().get_config(),
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "likelihood": self.likelihood,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.setdefault("likelihood", False)  # saved before the term existed: head only
        backbone = keras.saving.deserialize_keras_object(config.pop("backbone"))
        return cls(backbone, **config)
