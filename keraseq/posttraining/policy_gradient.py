"""The RLHF update: PPO's clipped policy gradient with a group baseline and an exact KL penalty."""

import keras

from keraseq.posttraining.losses import exact_kl, masked_mean, ppo_clip_loss, token_log_probs


class PolicyGradientTrainer(keras.Model):
    """One PPO update of the policy on a batch of sampled answers.

    The objective is the learned reward minus the KL leash to the reference,
    $J = E_{y \\sim \\pi}[r(x, y)] - \\beta\\,\\mathrm{KL}(\\pi \\| \\pi_{\\text{ref}})$, with the
    sequence KL the sum of the exact per-token KLs, $\\mathrm{KL} = \\sum_t \\mathrm{KL}_t$. Its
    gradient has two parts: the score function, carried by the advantages (computed from
    $r - \\beta \\sum_t \\mathrm{KL}_t$ with a group baseline), and the KL's own gradient at the
    visited positions. The loss, averaged over the batch's answer tokens:

    $$\\mathcal{L} = \\frac{1}{N}\\sum_{i,t}\\Big[\\max\\big(-A_i\\rho_{it},
    -A_i\\operatorname{clip}(\\rho_{it}, 1-\\epsilon, 1+\\epsilon)\\big)
    + \\beta\\,\\mathrm{KL}_{it}\\Big]$$

    Inputs: a dict with `tokens` `(B, L)`, `answer_mask` `(B, L)`, `old_log_probs` `(B, L-1)`
    (of the sampled tokens, under the policy that sampled them), `advantages` `(B,)` and
    `reference_logits` `(B, L, V)` (the frozen reference's, computed once per batch).

    Args:
        policy: The `MiniGPT` being trained (called with dropout off).
        beta: Weight of the KL penalty, β ≥ 0.
        epsilon: PPO's clip range.
    """

    def __init__(self, policy, beta, epsilon=0.2, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.beta = beta
        self.epsilon = epsilon

    def call(self, inputs, training=False):
        return self.policy(inputs["tokens"], training=False)  # logits (B, L, V), dropout off

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        mask = x["answer_mask"][:, 1:]  # the positions that predict an answer token
        log_probs = token_log_probs(y_pred, x["tokens"])  # log π(y_t), (B, L-1)
        clipped, _ = ppo_clip_loss(
            log_probs, x["old_log_probs"], x["advantages"], mask, self.epsilon
        )
        kl = exact_kl(y_pred, x["reference_logits"])  # KL_t, (B, L-1)
        return clipped + self.beta * masked_mean(kl, mask)  # PPO-clip + β KL
