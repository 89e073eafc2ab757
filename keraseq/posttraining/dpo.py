"""Direct preference optimisation: the policy learns from the pairs, with no reward model."""

import keras
from keras import ops

from keraseq.posttraining.losses import dpo_loss, sequence_log_probs


class DPOTrainer(keras.Model):
    """The policy's summed answer log-probabilities of chosen and rejected answers; the DPO loss.

    Inputs: a dict with `chosen_tokens`, `chosen_mask`, `rejected_tokens`, `rejected_mask` (answer
    masks) and `reference_chosen`, `reference_rejected`: the frozen reference's summed answer
    log-probabilities, computed once before training.

    Args:
        policy: The `MiniGPT` being trained (called with dropout off).
        beta: DPO's β.
    """

    def __init__(self, policy, beta, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.beta = beta

    def call(self, inputs, training=False):
        tokens = ops.concatenate([inputs["chosen_tokens"], inputs["rejected_tokens"]], axis=0)
        mask = ops.concatenate([inputs["chosen_mask"], inputs["rejected_mask"]], axis=0)
        logits = self.policy(tokens, training=False)  # (2B, L, V)
        return sequence_log_probs(logits, tokens, mask)  # log π(y | x), (2B,)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        chosen, rejected = ops.split(y_pred, 2)
        return dpo_loss(
            chosen, rejected, x["reference_chosen"], x["reference_rejected"], self.beta
        )  # -log σ(β[(log π(y_w) - log π_ref(y_w)) - (log π(y_l) - log π_ref(y_l))])
