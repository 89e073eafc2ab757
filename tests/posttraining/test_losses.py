"""Each preference-learning loss against a NumPy computation of its formula, on a small example."""

import math

import numpy as np
import pytest
from conftest import max_abs_diff, to_numpy

from keraseq.posttraining import losses

B, L, V = 3, 6, 7


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def np_token_log_probs(logits, tokens):
    log_probs = np_log_softmax(logits.astype("float64"))
    return np.array([[log_probs[b, t, tokens[b, t + 1]] for t in range(L - 1)] for b in range(B)])


@pytest.fixture
def batch(rng):
    logits = rng.normal(size=(B, L, V)).astype("float32") * 2
    reference = rng.normal(size=(B, L, V)).astype("float32") * 2
    tokens = rng.integers(0, V, size=(B, L)).astype("int32")
    answer_mask = np.array(
        [[0, 0, 1, 1, 1, 0], [0, 1, 1, 1, 1, 1], [0, 0, 0, 1, 0, 0]], "float32"
    )  # prompt, answer, padding
    return logits, reference, tokens, answer_mask


def test_token_and_sequence_log_probs_equal_numpy(batch):
    logits, _, tokens, answer_mask = batch
    expected = np_token_log_probs(logits, tokens)
    assert max_abs_diff(losses.token_log_probs(logits, tokens), expected) < 1e-5
    summed = (expected * answer_mask[:, 1:]).sum(-1)  # answer tokens only
    assert max_abs_diff(losses.sequence_log_probs(logits, tokens, answer_mask), summed) < 1e-5


def test_sequence_log_probs_ignore_prompt_and_padding(batch):
    logits, _, tokens, answer_mask = batch
    changed = tokens.copy()
    changed[0, -1] = (tokens[0, -1] + 1) % V  # a padding position of row 0
    changed[2, 1] = (tokens[2, 1] + 1) % V  # a prompt position of row 2 (predicted, not counted)
    a = losses.sequence_log_probs(logits, tokens, answer_mask)
    b = losses.sequence_log_probs(logits, changed, answer_mask)
    assert max_abs_diff(a, b) == 0.0


def test_exact_kl_equals_numpy_and_is_zero_for_the_reference_itself(batch):
    logits, reference, _, _ = batch
    log_p = np_log_softmax(logits.astype("float64"))[:, :-1]
    log_q = np_log_softmax(reference.astype("float64"))[:, :-1]
    expected = (np.exp(log_p) * (log_p - log_q)).sum(-1)
    got = to_numpy(losses.exact_kl(logits, reference))
    assert got.shape == (B, L - 1) and np.max(np.abs(got - expected)) < 1e-5
    assert got.min() >= 0
    assert np.max(np.abs(to_numpy(losses.exact_kl(logits, logits)))) < 1e-6


def test_group_advantages_equal_numpy():
    rewards = np.array([1.0, 0.0, 0.5, 0.5, 2.0, 2.0, 2.0, -1.0], "float32")
    groups = rewards.reshape(2, 4)
    others = (groups.sum(1, keepdims=True) - groups) / 3
    rloo = (groups - others).reshape(-1)
    grpo = (groups - groups.mean(1, keepdims=True)) / (groups.std(1, ddof=1, keepdims=True) + 1e-4)
    got_rloo = losses.group_advantages(rewards, 4, "rloo")
    got_grpo = losses.group_advantages(rewards, 4, "grpo")
    assert max_abs_diff(got_rloo, rloo) < 1e-5
    assert max_abs_diff(got_grpo, grpo.reshape(-1)) < 1e-4
    equal = losses.group_advantages(np.full(4, 0.7, "float32"), 4, "grpo")
    assert max_abs_diff(equal, np.zeros(4)) < 1e-5  # all equal: no gradient


def test_group_advantages_reject_bad_settings():
    with pytest.raises(ValueError, match="baseline"):
        losses.group_advantages(np.zeros(4, "float32"), 2, "ppo")
    with pytest.raises(ValueError, match="at least 2"):
        losses.group_advantages(np.zeros(4, "float32"), 1)


def test_ppo_clip_loss_equals_numpy(rng):
    log_probs = rng.normal(size=(B, L - 1)).astype("float32") * 0.3 - 1
    old = log_probs + rng.normal(size=(B, L - 1)).astype("float32") * 0.3  # ratios beyond 1 ± ε
    advantages = np.array([1.5, -0.7, 0.2], "float32")
    mask = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1], [1, 0, 0, 0, 0]], "float32")
    ratio = np.exp(log_probs.astype("float64") - old)
    a = advantages[:, None]
    per_token = np.maximum(-a * ratio, -a * np.clip(ratio, 0.8, 1.2))
    expected = (per_token * mask).sum() / mask.sum()
    loss, got_ratio = losses.ppo_clip_loss(log_probs, old, advantages, mask, 0.2)
    assert abs(float(loss) - expected) < 1e-5
    assert max_abs_diff(got_ratio, ratio) < 1e-5
    assert np.any((ratio < 0.8) | (ratio > 1.2)), "the example must exercise the clip"


def test_ppo_clip_loss_at_ratio_one_is_minus_the_mean_advantage():
    advantages = np.array([0.5, -2.0], "float32")
    zeros = np.zeros((2, 3), "float32")
    loss, ratio = losses.ppo_clip_loss(zeros, zeros, advantages, np.ones((2, 3)), 0.2)
    assert abs(float(loss) - (-advantages.mean())) < 1e-6
    assert np.all(to_numpy(ratio) == 1.0)


def test_bradley_terry_loss_equals_numpy(rng):
    chosen = rng.normal(size=8).astype("float32")
    rejected = rng.normal(size=8).astype("float32")
    expected = -np.log(1 / (1 + np.exp(-(chosen.astype("float64") - rejected)))).mean()
    assert abs(float(losses.bradley_terry_loss(chosen, rejected)) - expected) < 1e-5
    assert abs(float(losses.bradley_terry_loss(chosen, chosen)) - math.log(2)) < 1e-6


def test_dpo_loss_equals_numpy_and_log_2_at_the_reference(rng):
    pc, pr, rc, rr = (rng.normal(size=5).astype("float32") * 3 - 20 for _ in range(4))
    beta = 0.3
    h = (pc.astype("float64") - rc) - (pr - rr)
    expected = -np.log(1 / (1 + np.exp(-beta * h))).mean()
    assert abs(float(losses.dpo_loss(pc, pr, rc, rr, beta)) - expected) < 1e-5
    assert abs(float(losses.dpo_loss(pc, pr, pc, pr, beta)) - math.log(2)) < 1e-6
