import keras
import numpy as np
import pytest
from conftest import ATOL, max_abs_diff, to_numpy
from reference import attention, tril

from keraseq.layers import causal_mask, scaled_dot_product_attention


def qkv(rng, lead=(2, 3), t=5, s=7, d=4, dv=6):
    return (
        rng.normal(size=(*lead, t, d)).astype("float32"),
        rng.normal(size=(*lead, s, d)).astype("float32"),
        rng.normal(size=(*lead, s, dv)).astype("float32"),
    )


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)], ids=["no-batch", "batch", "batch-heads"])
def test_equals_numpy_without_mask(lead, rng):
    q, k, v = qkv(rng, lead)
    out, weights = scaled_dot_product_attention(q, k, v)
    ref_out, ref_weights = attention(q, k, v)
    assert max_abs_diff(out, ref_out) <= ATOL
    assert max_abs_diff(weights, ref_weights) <= ATOL
    np.testing.assert_allclose(to_numpy(weights).sum(-1), 1.0, atol=ATOL)


def test_mask_and_causal_combine_by_and(rng):
    q, k, v = qkv(rng, t=6, s=6)
    mask = rng.random((2, 1, 6, 6)) > 0.3
    mask[..., 0] = True  # every row keeps a key
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask, is_causal=True)
    ref_out, ref_weights = attention(q, k, v, mask & tril(6, 6))
    assert max_abs_diff(out, ref_out) <= ATOL
    assert max_abs_diff(weights, ref_weights) <= ATOL
    assert not np.any(to_numpy(weights)[..., ~tril(6, 6)])  # nothing from the future


def test_integer_mask_means_the_same_as_boolean(rng):
    q, k, v = qkv(rng)
    mask = rng.random((2, 3, 5, 7)) > 0.5
    mask[..., 0] = True
    a = scaled_dot_product_attention(q, k, v, mask=mask)
    b = scaled_dot_product_attention(q, k, v, mask=mask.astype("int32"))
    assert max_abs_diff(a, b) == 0.0


def test_fully_masked_row_gives_zeros_not_nan(rng):
    q, k, v = qkv(rng)
    mask = np.ones((5, 7), bool)
    mask[2] = False
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    out, weights = to_numpy(out), to_numpy(weights)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(weights))
    assert np.all(out[..., 2, :] == 0) and np.all(weights[..., 2, :] == 0)
    ref_out, ref_weights = attention(q, k, v, mask)
    assert max_abs_diff(out, ref_out) <= ATOL and max_abs_diff(weights, ref_weights) <= ATOL


@pytest.mark.parametrize("causal", [False, True])
def test_equals_keras_dot_product_attention(causal, rng):
    q, k, v = qkv(rng, lead=(2, 3), t=6, s=6, d=4, dv=4)  # (B, heads, T, d)
    mask = rng.random((2, 1, 6, 6)) > 0.3
    mask[..., 0] = True
    ours, _ = scaled_dot_product_attention(q, k, v, mask=mask, is_causal=causal)
    to_bthd = lambda x: np.swapaxes(x, 1, 2)  # keras.ops wants (B, T, heads, d)
    fused = keras.ops.dot_product_attention(
        to_bthd(q), to_bthd(k), to_bthd(v), mask=mask, is_causal=causal
    )
    assert max_abs_diff(ours, to_bthd(to_numpy(fused))) <= ATOL


def test_dropout_only_drops_weights(rng):
    q, k, v = qkv(rng)
    out, weights = scaled_dot_product_attention(
        q, k, v, dropout_rate=0.5, seed=keras.random.SeedGenerator(3)
    )
    _, ref_weights = attention(q, k, v)
    assert max_abs_diff(weights, ref_weights) <= ATOL  # the returned weights are before dropout
    assert max_abs_diff(out, attention(q, k, v)[0]) > 1e-3


def test_causal_mask_is_lower_triangular():
    assert np.array_equal(to_numpy(causal_mask(4, 4)), np.tril(np.ones((4, 4), bool)))
    assert np.array_equal(to_numpy(causal_mask(2, 6, start_index=3)), tril(2, 6, start=3))


def test_mismatched_query_and_key_widths_raise(rng):
    q, k, v = qkv(rng)
    with pytest.raises(ValueError, match="same last dimension d_k"):
        scaled_dot_product_attention(q, k[..., :3], v)


def test_mask_that_does_not_broadcast_raises(rng):
    q, k, v = qkv(rng)
    with pytest.raises(
        ValueError, match=r"does not broadcast to the attention scores of shape \(2, 3, 5, 7\)"
    ):
        scaled_dot_product_attention(q, k, v, mask=np.ones((5, 6), bool))


@pytest.mark.parametrize("rate", [-0.5, 1.0, float("nan"), True])
def test_dropout_rate_outside_0_1_raises(rate, rng):
    """JAX silently rescaled by 1 / (1 - rate) with a negative rate."""
    q = rng.normal(size=(2, 3, 4)).astype("float32")
    with pytest.raises(ValueError, match=r"`dropout_rate` must be a float in \[0, 1\), got"):
        scaled_dot_product_attention(q, q, q, dropout_rate=rate)


def test_rank_1_and_empty_positions_raise(rng):
    q = rng.normal(size=(2, 3, 4)).astype("float32")
    with pytest.raises(
        ValueError, match=r"`query` expects inputs of shape \(\.\.\., positions, d\)"
    ):
        scaled_dot_product_attention(q[0, 0], q[0, 0], q[0, 0])
    with pytest.raises(ValueError, match=r"`value` expects at least one feature"):
        scaled_dot_product_attention(q, q, q[..., :0])
