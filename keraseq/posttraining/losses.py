"""The losses of preference learning, as pure functions of logits and log-probabilities.

Written with `keras.ops` only, so each runs inside any backend's gradient computation. The formulas
are those of Hugging Face TRL's trainers (`RewardTrainer`, `RLOOTrainer`, `GRPOTrainer`,
`PPOTrainer`, `DPOTrainer`).

Shapes: a batch of `B` sequences of `L` tokens (`tokens`), the prompt followed by the answer and
right padding; `answer_mask` is 1 on the answer's tokens (its end marker included), 0 on the prompt
and the padding. A causal model's logits at position `t` predict the token at `t + 1`.
"""

from keras import ops

GRPO_EPSILON = 1e-4  # TRL GRPOTrainer's guard against a group whose rewards are all equal


def token_log_probs(logits, tokens):
    """Log-probability of each next token: `(B, L, V)` logits of `tokens` `(B, L)` -> `(B, L-1)`.

    $$\\log \\pi(y_{t+1} \\mid y_{\\le t}) = \\operatorname{log\\,softmax}(z_t)[y_{t+1}]$$
    """
    log_probs = ops.log_softmax(logits[:, :-1], axis=-1)  # (B, L-1, V): position t predicts t+1
    next_tokens = ops.expand_dims(ops.cast(tokens[:, 1:], "int32"), -1)  # (B, L-1, 1)
    return ops.squeeze(ops.take_along_axis(log_probs, next_tokens, axis=-1), -1)  # (B, L-1)


def sequence_log_probs(logits, tokens, answer_mask):
    """Log-probability of each answer, summed over its tokens only: `(B,)`.

    $$\\log \\pi(y \\mid x) = \\sum_{t \\in \\text{answer}} \\log \\pi(y_t \\mid y_{<t})$$
    """
    mask = ops.cast(answer_mask[:, 1:], logits.dtype)  # (B, L-1), aligned with the predictions
    return ops.sum(token_log_probs(logits, tokens) * mask, axis=-1)  # (B,)


def exact_kl(logits, reference_logits):
    """Per-position KL divergence from the policy to the reference, summed over the vocabulary.

    $$\\mathrm{KL}_t = \\sum_v \\pi(v \\mid y_{<t}) \\log \\frac{\\pi(v \\mid y_{<t})}
    {\\pi_{\\text{ref}}(v \\mid y_{<t})}$$

    Exact, not a sampled estimate: with a vocabulary of about 100 characters the sum is cheap.

    Args:
        logits: `(B, L, V)` of the policy.
        reference_logits: `(B, L, V)` of the reference model, same tokens.

    Returns:
        `(B, L-1)`: the KL at each position that predicts a next token.
    """
    log_p = ops.log_softmax(logits[:, :-1], axis=-1)  # (B, L-1, V)
    log_q = ops.log_softmax(reference_logits[:, :-1], axis=-1)
    return ops.sum(ops.exp(log_p) * (log_p - log_q), axis=-1)  # KL_t = Σ_v p (log p - log q)


def group_advantages(rewards, group_size, baseline="rloo"):
    """Advantages of `group_size` answers sampled per prompt, rows grouped: `(B,)` -> `(B,)`.

    RLOO (Ahmadian et al. 2024): each answer's baseline is the mean reward of the other $k-1$,
    $$A_i = r_i - \\frac{1}{k-1}\\sum_{j \\ne i} r_j.$$
    GRPO (Shao et al. 2024), as TRL computes it (unbiased standard deviation),
    $$A_i = \\frac{r_i - \\operatorname{mean}(r)}{\\operatorname{std}(r) + 10^{-4}}.$$
    Both need no value network; if all $k$ rewards are equal the advantages are 0.
    """
    if baseline not in ("rloo", "grpo"):
        raise ValueError(f"unknown baseline {baseline!r}: expected 'rloo' or 'grpo'")
    if group_size < 2:
        raise ValueError(f"a group baseline needs at least 2 answers per prompt, got {group_size}")
    grouped = ops.reshape(rewards, (-1, group_size))  # (prompts, k)
    total = ops.sum(grouped, axis=1, keepdims=True)
    if baseline == "rloo":
        advantages = grouped - (total - grouped) / (group_size - 1)  # r_i - mean of the others
    else:
        mean = total / group_size
        std = ops.sqrt(ops.sum((grouped - mean) ** 2, axis=1, keepdims=True) / (group_size - 1))
        advantages = (grouped - mean) / (std + GRPO_EPSILON)  # (r - mean) / (std + ε)
    return ops.reshape(advantages, (-1,))


def ppo_clip_loss(log_probs, old_log_probs, advantages, mask, epsilon=0.2):
    """PPO's clipped surrogate, averaged over the answer tokens of the batch.

    $$\\rho_t = \\frac{\\pi(y_t)}{\\pi_{\\text{old}}(y_t)}, \\qquad
    \\ell_t = \\max\\big(-A\\,\\rho_t,\\; -A\\,\\operatorname{clip}(\\rho_t, 1-\\epsilon,
    1+\\epsilon)\\big)$$

    Args:
        log_probs: `(B, T)` per-token log-probabilities under the policy being trained.
        old_log_probs: `(B, T)` the same under the policy that sampled the answers.
        advantages: `(B,)` one advantage per answer, shared by its tokens.
        mask: `(B, T)` 1 on answer tokens.
        epsilon: The clip range.

    Returns:
        `(loss, ratio)`: the scalar loss and the ratios $\\rho_t$ `(B, T)`.
    """
    ratio = ops.exp(ops.subtract(log_probs, old_log_probs))  # ρ_t = π / π_old
    a = ops.expand_dims(advantages, -1)  # (B, 1)
    clipped = ops.clip(ratio, 1 - epsilon, 1 + epsilon)
    per_token = ops.maximum(-a * ratio, -a * clipped)  # max(-Aρ, -A clip(ρ, 1-ε, 1+ε))
    return masked_mean(per_token, mask), ratio


def masked_mean(values, mask):
    """Mean of `values` where `mask` is 1 (at least one such entry is assumed)."""
    mask = ops.cast(mask, values.dtype)
    return ops.sum(values * mask) / ops.sum(mask)


def bradley_terry_loss(chosen_rewards, rejected_rewards):
    """The reward model's loss on preference pairs (InstructGPT; TRL `RewardTrainer`).

    $$\\mathcal{L} = -\\log \\sigma(r_w - r_l)$$
    """
    return ops.mean(
        ops.softplus(ops.subtract(rejected_rewards, chosen_rewards))
    )  # -log σ(r_w - r_l)


def dpo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta=0.1):
    """Direct preference optimisation (Rafailov et al. 2023; TRL `DPOTrainer`, sigmoid loss).

    $$\\mathcal{L} = -\\log\\sigma\\Big(\\beta\\big[(\\log\\pi(y_w) - \\log\\pi_{\\text{ref}}(y_w))
    - (\\log\\pi(y_l) - \\log\\pi_{\\text{ref}}(y_l))\\big]\\Big)$$

    Args:
        policy_chosen, policy_rejected: `(B,)` summed answer log-probabilities under the policy.
        reference_chosen, reference_rejected: `(B,)` the same under the frozen reference.
        beta: Strength of the implicit KL leash.

    Returns:
        The scalar loss; $\\log 2$ when the policy equals the reference.
    """
    chosen_ratio = ops.subtract(policy_chosen, reference_chosen)  # log π(y_w) - log π_ref(y_w)
    rejected_ratio = ops.subtract(policy_rejected, reference_rejected)
    return ops.mean(ops.softplus(-beta * (chosen_ratio - rejected_ratio)))  # -log σ(β h)
