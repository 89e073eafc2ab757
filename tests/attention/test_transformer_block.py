import keras
import keras_hub
import numpy as np
import pytest
from conftest import ATOL, assert_no_two_weights_start_equal, max_abs_diff, to_numpy
from cross_backend import assert_same_predictions_on_other_backends
from decoding import compiled, decode_token_by_token
from layer_checks import LayerChecks
from reference import attention

from keraseq.layers import (
    FeedForward,
    MultiHeadAttention,
    PositionEmbedding,
    TransformerBlock,
    causal_mask,
)

B, T, WIDTH, HEADS, FF = 2, 6, 16, 4, 24


def built_pair(rng, x, **kwargs):
    """keras_hub's TransformerDecoder (decoder-only) with random weights, our block with them."""
    ref = keras_hub.layers.TransformerDecoder(FF, HEADS, **kwargs)
    ours = TransformerBlock(HEADS, FF, **kwargs)
    ref(x), ours(x)
    ref.set_weights(
        [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in ref.get_weights()]
    )
    ours.set_weights(ref.get_weights())
    return ref, ours


def sequence(rng, t=T):
    return rng.normal(size=(B, t, WIDTH)).astype("float32")


def test_query_key_value_and_dense_weights_start_different(rng):
    block = TransformerBlock(HEADS, WIDTH)  # intermediate_dim = width: FFN kernels of one shape
    block(sequence(rng))
    assert_no_two_weights_start_equal(block)


def test_weights_are_keras_hubs_in_order(rng):
    ref, ours = built_pair(rng, sequence(rng))
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in ref.weights]
    assert [w.path.split("/", 1)[1] for w in ours.weights] == [
        "self_attention/query_kernel", "self_attention/query_bias", "self_attention/key_kernel",
        "self_attention/key_bias", "self_attention/value_kernel", "self_attention/value_bias",
        "self_attention/output_kernel", "self_attention/output_bias",
        "self_attention_layer_norm/gamma", "self_attention_layer_norm/beta",
        "feed_forward/intermediate_kernel", "feed_forward/intermediate_bias",
        "feed_forward/output_kernel", "feed_forward/output_bias",
        "feed_forward_layer_norm/gamma", "feed_forward_layer_norm/beta",
    ]  # fmt: skip


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_equals_keras_hub(normalize_first, activation, rng):
    x = sequence(rng)
    ref, ours = built_pair(rng, x, normalize_first=normalize_first, activation=activation)
    assert max_abs_diff(ours(x), ref(x)) <= ATOL
    padding = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    assert max_abs_diff(ours(x, mask=padding), ref(x, decoder_padding_mask=padding)) <= ATOL
    custom = rng.random((B, T, T)) > 0.3
    custom[..., 0] = True
    assert (
        max_abs_diff(ours(x, attention_mask=custom), ref(x, decoder_attention_mask=custom)) <= ATOL
    )
    assert max_abs_diff(ours(x, use_causal_mask=False), ref(x, use_causal_mask=False)) <= ATOL


def test_keras_mask_from_embedding_equals_keras_hub(rng):
    tokens = np.array([[3, 1, 4, 1, 0, 0], [5, 9, 2, 6, 5, 3]])
    embed = keras.layers.Embedding(10, WIDTH, mask_zero=True)
    ref, ours = built_pair(rng, embed(tokens), normalize_first=True)
    out = ours(embed(tokens))
    assert max_abs_diff(out, ref(embed(tokens))) <= ATOL
    assert np.array_equal(to_numpy(out._keras_mask), tokens != 0)


def test_attention_scores_are_the_self_attentions(rng):
    x = sequence(rng)
    _, ours = built_pair(rng, x, normalize_first=True)
    out, scores = ours(x, return_attention_scores=True)
    assert max_abs_diff(out, ours(x)) <= ATOL
    norm_x = ours.self_attention_layer_norm(x)
    _, expected = ours.self_attention(
        norm_x, norm_x, use_causal_mask=True, return_attention_scores=True
    )
    assert max_abs_diff(scores, expected) <= ATOL
    assert tuple(scores.shape) == (B, HEADS, T, T) and not np.any(
        to_numpy(scores)[..., ~np.tril(np.ones((T, T), bool))]
    )


def test_unfused_block_equals_fused(rng):
    x = sequence(rng)
    _, ours = built_pair(rng, x)
    unfused = TransformerBlock(HEADS, FF, fused=False)
    unfused(x)
    unfused.set_weights(ours.get_weights())
    assert max_abs_diff(unfused(x), ours(x)) <= ATOL


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_kv_cache_decoding_equals_causal_pass(normalize_first, jit, rng):
    x = sequence(rng)
    ref, ours = built_pair(rng, x, normalize_first=normalize_first)
    full = ours(x)

    def step(x_t, cache, index):
        return ours(x_t, cache=cache, cache_update_index=index)

    got = decode_token_by_token(
        ours.self_attention, x, max_length=T + 1, step=compiled(step) if jit else step
    )
    assert max_abs_diff(got, full) <= ATOL
    # keras-hub's block, fed the same way, agrees step by step.
    ref_step = ours_step = keras.ops.zeros((B, 2, T + 1, HEADS, WIDTH // HEADS))
    for t in range(T):
        y_ref, ref_step = ref(
            x[:, t : t + 1], self_attention_cache=ref_step, self_attention_cache_update_index=t
        )
        y, ours_step = ours(x[:, t : t + 1], cache=ours_step, cache_update_index=t)
        assert max_abs_diff(y, y_ref) <= ATOL and max_abs_diff(ours_step, ref_step) <= ATOL


def test_kv_cache_with_left_padding_uses_attention_mask(rng):
    """Generation for a left-padded prompt: hide the padded cache slots with `attention_mask`."""
    x = sequence(rng)
    _, ours = built_pair(rng, x, normalize_first=True)
    real = np.array([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], bool)
    full = to_numpy(ours(x, mask=real))
    cache = keras.ops.zeros((B, 2, T, HEADS, WIDTH // HEADS))
    for t in range(T):
        y, cache = ours(
            x[:, t : t + 1], attention_mask=real[:, None, :], cache=cache, cache_update_index=t
        )
        assert max_abs_diff(to_numpy(y)[:, 0][real[:, t]], full[:, t][real[:, t]]) <= ATOL


@pytest.mark.parametrize("kind", [int, np.int32, keras.ops.convert_to_tensor])
@pytest.mark.parametrize("index", [-1, T - 1, T])
def test_cache_update_index_out_of_range_raises(index, kind, rng):
    """Two new tokens at an index that leaves no room for them: a ValueError, not a wrong slot,
    whether the index is an int or a tensor computed eagerly (Keras's predict step on torch)."""
    x = sequence(rng, t=2)
    cache = keras.ops.zeros((B, 2, T, HEADS, WIDTH // HEADS))
    index = kind(np.int32(index))
    with pytest.raises(ValueError, match=rf"`cache_update_index` must be in \[0, {T - 2}\]"):
        TransformerBlock(HEADS, FF)(x, cache=cache, cache_update_index=index)


def test_rank_1_input_raises():
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, T, width\)"):
        TransformerBlock(HEADS, FF)(np.zeros((WIDTH,), "float32"))


def test_feed_forward_equals_numpy(rng):
    x = rng.normal(size=(B, T, WIDTH)).astype("float32")
    ffn = FeedForward(FF)
    ffn(x)
    w1, b1, w2, b2 = [
        rng.normal(scale=0.3, size=w.shape).astype("float32") for w in ffn.get_weights()
    ]
    ffn.set_weights([w1, b1, w2, b2])
    assert max_abs_diff(ffn(x), np.maximum(x.astype("float64") @ w1 + b1, 0) @ w2 + b2) <= ATOL


@pytest.mark.parametrize(
    "shape, message",
    [
        (
            (FF,),
            r"FeedForward expects inputs of shape \(\.\.\., d\), got shape \(24,\) \(rank 1, "
            r"expected at least rank 2\)",
        ),
        (
            (B, T, 0),
            r"FeedForward expects at least one feature \(last axis\), got shape \(2, 6, 0\)",
        ),
    ],
)
def test_feed_forward_refuses_rank_1_and_width_0(shape, message):
    with pytest.raises(ValueError, match=message):
        FeedForward(FF)(np.zeros(shape, "float32"))


def test_block_equals_numpy_equations(rng):
    """Post-norm block from the equations in NumPy (ReLU FFN, LN without its default affine)."""
    x = sequence(rng)
    _, ours = built_pair(rng, x)
    w = [np.asarray(v, "float64") for v in ours.get_weights()]
    wq, bq, wk, bk, wv, bv, wo, bo, g1, be1, w1, b1, w2, b2, g2, be2 = w
    heads = lambda W, b: np.einsum("btf,fhd->bhtd", x, W) + b[None, :, None, :]  # (B, heads, T, d)
    o, _ = attention(heads(wq, bq), heads(wk, bk), heads(wv, bv), np.tril(np.ones((T, T), bool)))
    mha = np.einsum("bhtd,hdo->bto", o, wo) + bo
    ln = lambda z, g, b: (
        (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-5) * g + b
    )
    h = ln(x + mha, g1, be1)
    y = ln(h + np.maximum(h @ w1 + b1, 0) @ w2 + b2, g2, be2)
    assert max_abs_diff(ours(x), y) <= ATOL


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
def test_mixed_precision_block_equals_its_sublayers_called_as_layers(normalize_first, rng):
    """The block calls its layer norms and FFN without `Layer.__call__` (faster on eager torch);
    under `mixed_bfloat16`, where `__call__` manages autocasting, the output is still exactly that
    of the same equations with every sublayer called as a layer."""
    x = sequence(rng)
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        block = TransformerBlock(HEADS, FF, normalize_first=normalize_first)
        block(x)
        block.set_weights([rng.normal(size=w.shape).astype("float32") for w in block.weights])
        ln_1, ln_2 = block.self_attention_layer_norm, block.feed_forward_layer_norm
        x_bf16 = keras.ops.cast(x, "bfloat16")
        a = ln_1(x_bf16) if normalize_first else x_bf16
        h = x_bf16 + block.self_attention(a, a, use_causal_mask=True)
        h = h if normalize_first else ln_1(h)
        y = h + block.feed_forward(ln_2(h) if normalize_first else h)
        y = y if normalize_first else ln_2(y)
        ours = block(x)
    finally:
        keras.config.set_dtype_policy(before)
    assert keras.backend.standardize_dtype(ours.dtype) == "bfloat16"
    assert max_abs_diff(keras.ops.cast(ours, "float32"), keras.ops.cast(y, "float32")) == 0.0


def test_dropout_applies_in_training_only(rng):
    x = sequence(rng)
    block = TransformerBlock(HEADS, FF, dropout=0.3, seed=2)
    inference = block(x)
    assert max_abs_diff(block(x, training=False), inference) == 0.0
    assert max_abs_diff(block(x, training=True), inference) > 1e-3


def test_bad_arguments_raise(rng):
    with pytest.raises(ValueError, match=r"`num_heads` \(3\) must divide the input width \(16\)"):
        TransformerBlock(3, FF)(sequence(rng))
    with pytest.raises(ValueError, match="`intermediate_dim` must be a positive integer, got 0"):
        TransformerBlock(HEADS, 0)
    with pytest.raises(ValueError, match="Unknown activation 'nope'"):
        TransformerBlock(HEADS, FF, activation="nope")
    with pytest.raises(ValueError, match=r"`attention_mask` of shape \(2, 6\) does not broadcast"):
        TransformerBlock(HEADS, FF)(sequence(rng), attention_mask=np.ones((B, T), bool))


def test_config_round_trip(rng):
    block = TransformerBlock(
        HEADS,
        FF,
        dropout=0.1,
        activation="gelu",
        layer_norm_epsilon=1e-6,
        normalize_first=True,
        seed=3,
        fused=False,
    )
    clone = TransformerBlock.from_config(block.get_config())
    assert clone.get_config() == block.get_config()


def test_keras_file_loads_on_every_backend(rng, tmp_path):
    """A small model of all the attention layers: save here, load and predict under the others."""
    tokens = keras.Input((T,), dtype="int32")
    x = keras.layers.Embedding(20, WIDTH, mask_zero=True)(tokens)
    x = x + PositionEmbedding(T)(x)
    x = TransformerBlock(HEADS, FF, normalize_first=True)(x)
    x = MultiHeadAttention(2, 8, output_shape=5)(x, x, use_causal_mask=True)
    model = keras.Model(tokens, x)
    model.set_weights(
        [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()]
    )
    data = rng.integers(1, 20, size=(3, T)).astype("int32")
    data[0, 4:] = 0
    loaded = keras.saving.load_model(model.save(tmp_path / "m.keras") or tmp_path / "m.keras")
    assert max_abs_diff(loaded.predict(data, verbose=0), model.predict(data, verbose=0)) == 0.0
    assert_same_predictions_on_other_backends(model, data, tmp_path)


class LayerTest(LayerChecks):
    def test_run_layer_test(self):
        self.run_layer_tests(
            [
                (TransformerBlock, dict(num_heads=2, intermediate_dim=8), 16, 0),
                (TransformerBlock, dict(num_heads=2, intermediate_dim=8, dropout=0.1), 16, 2),
                (FeedForward, dict(intermediate_dim=8), 4, 0),
            ],
            input_shape=(2, 5, 6),
            expected_output_shape=(2, 5, 6),
        )


def test_causal_mask_in_block_is_top_left(rng):
    """With `use_causal_mask=False` and the causal mask as `attention_mask`, the same block."""
    x = sequence(rng)
    _, ours = built_pair(rng, x)
    assert (
        max_abs_diff(ours(x), ours(x, use_causal_mask=False, attention_mask=causal_mask(T, T)))
        <= ATOL
    )
