"""Training the reward model on preference pairs with the Bradley–Terry loss."""

import keras
import numpy as np
from keras import ops

from keraseq.posttraining.losses import bradley_terry_loss
from keraseq.posttraining.reward_model import RewardModel


class BradleyTerryTrainer(keras.Model):
    """Scores the chosen and the rejected answers of a batch of pairs; its loss is Bradley–Terry.

    Inputs: a dict with `chosen_tokens`, `chosen_lengths`, `rejected_tokens`, `rejected_lengths`.
    """

    def __init__(self, reward_model, **kwargs):
        super().__init__(**kwargs)
        self.reward_model = reward_model

    def call(self, inputs, training=False):
        tokens = ops.concatenate([inputs["chosen_tokens"], inputs["rejected_tokens"]], axis=0)
        lengths = ops.concatenate([inputs["chosen_lengths"], inputs["rejected_lengths"]], axis=0)
        return self.reward_model({"tokens": tokens, "lengths": lengths}, training=False)  # (2B,)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        chosen, rejected = ops.split(y_pred, 2)
        return bradley_terry_loss(chosen, rejected)  # -log σ(r_w - r_l)


def score(reward_model, tokens, lengths, batch_size=64):
    """Rewards `(N,)` (NumPy) of packed rows."""
    rewards = [
        keras.ops.convert_to_numpy(
            reward_model.predict_on_batch(
                {"tokens": tokens[i : i + batch_size], "lengths": lengths[i : i + batch_size]}
            )
        )
        for i in range(0, len(tokens), batch_size)
    ]
    return np.concatenate(rewards)


def reward_model_from(policy):
    """A reward model whose backbone starts as a copy of `policy` (a `MiniGPT`)."""
    backbone = policy.__class__.from_config(policy.get_config())
    backbone.build((None, policy.sequence_length))
    backbone.set_weights(policy.get_weights())
    model = RewardModel(backbone)
    model.build()
    return model
