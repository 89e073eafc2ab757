import keras
import numpy as np
import pytest
from conftest import ATOL, max_abs_diff, to_numpy
from decoding import compiled, decode_token_by_token
from keras.src.testing.test_case import get_seed_generators
from layer_checks import LayerChecks

from keraseq.layers import MultiHeadAttention, causal_mask, empty_kv_cache

B, T, S = 2, 6, 5

OPTIONS = {
    "default": dict(num_heads=3, key_dim=4),
    "value-dim-output-shape": dict(num_heads=2, key_dim=4, value_dim=6, output_shape=10),
    "no-bias": dict(num_heads=2, key_dim=5, use_bias=False),
}


def built_pair(rng, query, value, key=None, **kwargs):
    """A keras.layers.MultiHeadAttention with random weights (biases too), and ours with them."""
    builtin, ours = keras.layers.MultiHeadAttention(**kwargs), MultiHeadAttention(**kwargs)
    builtin(
        query, value, key=key, return_attention_scores=True
    )  # its fused path fails on JAX if value_dim != key_dim
    ours(query, value, key=key)
    builtin.set_weights(
        [rng.normal(scale=0.4, size=w.shape).astype("float32") for w in builtin.get_weights()]
    )
    ours.set_weights(builtin.get_weights())
    return builtin, ours


def inputs(rng, t=T, s=S, query_dim=8, value_dim=7):
    return rng.normal(size=(B, t, query_dim)).astype("float32"), rng.normal(
        size=(B, s, value_dim)
    ).astype("float32")


def random_mask(rng, t=T, s=S):
    mask = rng.random((B, t, s)) > 0.4
    mask[..., 0] = True  # no fully masked row
    return mask


def assert_equal_on_all_paths(builtin, ours_kwargs, ours, *args, **kwargs):
    """Ours (fused default, equation path, weights) against the built-in with the same arguments."""
    ref_out, ref_scores = builtin(*args, return_attention_scores=True, **kwargs)
    out, scores = ours(*args, return_attention_scores=True, **kwargs)
    assert max_abs_diff(out, ref_out) <= ATOL
    assert max_abs_diff(scores, ref_scores) <= ATOL
    if ours.value_dim == ours.key_dim:  # both layers take their fused paths
        assert max_abs_diff(ours(*args, **kwargs), builtin(*args, **kwargs)) <= ATOL
    else:  # only the built-in would (and fails on JAX): ours runs its equation path
        assert max_abs_diff(ours(*args, **kwargs), ref_out) <= ATOL
    equation_path = MultiHeadAttention(**ours_kwargs, fused=False)
    equation_path(*args, **kwargs)
    equation_path.set_weights(ours.get_weights())
    assert max_abs_diff(equation_path(*args, **kwargs), ref_out) <= ATOL


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("masking", ["none", "attention_mask", "causal", "causal+attention_mask"])
def test_equals_builtin(option, masking, rng):
    query, value = inputs(rng, t=T, s=T if "causal" in masking else S)
    builtin, ours = built_pair(rng, query, value, **OPTIONS[option])
    if masking == "none":  # the built-in's weights, shapes and order
        assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in builtin.weights]
        kinds = ("kernel", "bias") if OPTIONS[option].get("use_bias", True) else ("kernel",)
        assert [w.name for w in ours.weights] == [
            f"{n}_{k}" for n in ("query", "key", "value", "output") for k in kinds
        ]
    kwargs = {}
    if "attention_mask" in masking:
        kwargs["attention_mask"] = random_mask(rng, T, value.shape[1])
    if "causal" in masking:
        kwargs["use_causal_mask"] = True
    assert_equal_on_all_paths(builtin, OPTIONS[option], ours, query, value, **kwargs)


def test_cross_attention_with_separate_key_equals_builtin(rng):
    query, value = inputs(rng)
    key = rng.normal(size=(B, S, 3)).astype("float32")
    builtin, ours = built_pair(rng, query, value, key=key, num_heads=2, key_dim=4)
    assert_equal_on_all_paths(builtin, dict(num_heads=2, key_dim=4), ours, query, value, key=key)


def test_keras_padding_masks_equal_builtin(rng):
    """Query and value carry Keras masks (Embedding(mask_zero=True)): padding queries and keys."""
    query_tokens = np.array([[1, 2, 3, 4, 0, 0], [5, 6, 7, 8, 9, 3]])
    value_tokens = np.array([[3, 4, 5, 0, 0], [1, 2, 0, 0, 0]])
    embed = keras.layers.Embedding(10, 8, mask_zero=True)

    def masked_inputs():  # fresh tensors each call: the built-in layer removes the masks it reads
        return embed(query_tokens), embed(value_tokens)

    builtin, ours = built_pair(rng, *masked_inputs(), num_heads=2, key_dim=4)
    ref_out, ref_scores = builtin(*masked_inputs(), return_attention_scores=True)
    out, scores = ours(*masked_inputs(), return_attention_scores=True)
    assert max_abs_diff(out, ref_out) <= ATOL and max_abs_diff(scores, ref_scores) <= ATOL
    scores = to_numpy(scores)
    assert np.all(scores[0, :, 4:, :] == 0)  # padding queries attend to nothing
    assert np.all(scores[0, :, :, 3:] == 0) and np.all(
        scores[1, :, :, 2:] == 0
    )  # nobody sees padding keys
    assert np.array_equal(
        to_numpy(out._keras_mask), query_tokens != 0
    )  # the output keeps the query mask
    # The fused path: equal on the real queries (the built-in's padding rows are backend-defined
    # there).
    real = query_tokens != 0
    fused, fused_ref = to_numpy(ours(*masked_inputs())), to_numpy(builtin(*masked_inputs()))
    assert max_abs_diff(fused[real], fused_ref[real]) <= ATOL
    assert (
        max_abs_diff(fused[~real], to_numpy(out)[~real]) <= ATOL
    )  # ours: 0 attention, on both paths


def test_explicit_masks_equal_keras_masks(rng):
    query, value = inputs(rng)
    query_mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    value_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], bool)
    _, ours = built_pair(rng, query, value, num_heads=2, key_dim=4)
    explicit = ours(
        query, value, query_mask=query_mask, value_mask=value_mask, return_attention_scores=True
    )
    as_attention_mask = ours(
        query,
        value,
        attention_mask=query_mask[:, :, None] & value_mask[:, None, :],
        return_attention_scores=True,
    )
    assert max_abs_diff(explicit, as_attention_mask) == 0.0


def test_dropout_applies_in_training_only(rng):
    query, value = inputs(rng)
    layer = MultiHeadAttention(2, 4, dropout=0.5, seed=1)
    inference = layer(query, value)
    assert max_abs_diff(layer(query, value, training=False), inference) == 0.0
    assert max_abs_diff(layer(query, value, training=True), inference) > 1e-3


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_kv_cache_decoding_equals_causal_pass(jit, rng):
    x = rng.normal(size=(B, T, 8)).astype("float32")
    layer = MultiHeadAttention(2, 4)
    full = layer(x, x, use_causal_mask=True)

    def step(x_t, cache, index):
        return layer(x_t, x_t, use_causal_mask=True, cache=cache, cache_update_index=index)

    got = decode_token_by_token(layer, x, max_length=T + 2, step=compiled(step) if jit else step)
    assert max_abs_diff(got, full) <= ATOL


def test_kv_cache_prefill_then_step_and_scores(rng):
    """Write a whole prompt at once, then one token; the weights on unwritten slots are 0."""
    x = rng.normal(size=(B, T, 8)).astype("float32")
    layer = MultiHeadAttention(2, 4)
    full, full_scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    cache = empty_kv_cache(B, T + 3, 2, 4)
    first, cache = layer(
        x[:, :4], x[:, :4], use_causal_mask=True, cache=cache, cache_update_index=0
    )
    last, scores, cache = layer(
        x[:, 4:],
        x[:, 4:],
        use_causal_mask=True,
        cache=cache,
        cache_update_index=4,
        return_attention_scores=True,
    )
    assert tuple(cache.shape) == (B, 2, T + 3, 2, 4)
    assert max_abs_diff(np.concatenate([to_numpy(first), to_numpy(last)], 1), full) <= ATOL
    assert max_abs_diff(to_numpy(scores)[..., :T], to_numpy(full_scores)[:, :, 4:]) <= ATOL
    assert np.all(to_numpy(scores)[..., T:] == 0)
    # `cache_update_index=None` only reads the cache; hide the slots after position 4 + i by hand.
    read_only = layer(
        x[:, 4:], x[:, 4:], attention_mask=causal_mask(2, T + 3, start_index=4), cache=cache
    )[0]
    assert max_abs_diff(read_only, last) <= ATOL


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_heads=0, key_dim=4), "`num_heads` must be a positive integer, got 0"),
        (dict(num_heads=2.5, key_dim=4), "`num_heads` must be a positive integer, got 2.5"),
        (dict(num_heads=2, key_dim=0), "`key_dim` must be a positive integer, got 0"),
        (dict(num_heads=2, key_dim=4, value_dim=-1), "`value_dim` must be a positive integer"),
        (dict(num_heads=2, key_dim=4, dropout=1.0), r"`dropout` must be a float in \[0, 1\)"),
        (
            dict(num_heads=2, key_dim=4, output_shape=(3, 4)),
            "`output_shape` must be an int or a 1-tuple",
        ),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


def test_bad_call_arguments_raise(rng):
    query, value = inputs(rng)
    layer = MultiHeadAttention(2, 4)
    with pytest.raises(
        ValueError, match=r"`attention_mask` of shape \(2, 5, 5\) does not broadcast .* \(2, 6, 5\)"
    ):
        layer(query, value, attention_mask=np.ones((B, 5, S), bool))
    with pytest.raises(
        ValueError, match=r"`query` expects inputs of shape \(batch, positions, features\)"
    ):
        MultiHeadAttention(2, 4)(query[0], value[0])
    with pytest.raises(
        ValueError, match=r"`cache` must have shape \(batch, 2, max_length, num_heads, head_dim\)"
    ):
        layer(query, query, cache=empty_kv_cache(B, T, 3, 4), cache_update_index=0)
    with pytest.raises(ValueError, match="`cache_update_index` is only meaningful with a `cache`"):
        layer(query, query, cache_update_index=0)
    with pytest.raises(ValueError, match="needs `value_dim == key_dim`"):
        MultiHeadAttention(2, 4, value_dim=3)(
            query, query, cache=empty_kv_cache(B, T, 2, 4), cache_update_index=0
        )


@pytest.mark.parametrize("key_width", [None, 3])
@pytest.mark.parametrize("option", OPTIONS)
def test_compute_output_shape_equals_the_output_and_builtin(option, key_width, rng):
    query, value = inputs(rng)
    key = None if key_width is None else rng.normal(size=(B, S, key_width)).astype("float32")
    builtin, ours = built_pair(rng, query, value, key=key, **OPTIONS[option])
    shapes = (query.shape, value.shape, None if key is None else key.shape)
    expected = tuple(ours(query, value, key=key).shape)
    assert ours.compute_output_shape(*shapes) == expected
    assert ours.compute_output_shape(*(s and list(s) for s in shapes)) == expected
    assert tuple(builtin.compute_output_shape(*shapes)) == expected
    symbolic = ours(*(keras.KerasTensor(s) for s in shapes[:2]))
    assert tuple(symbolic.shape) == ours.compute_output_shape(*shapes[:2])


def test_key_and_value_of_different_lengths_raise_as_in_keras(rng):
    query, value = inputs(rng)
    key = np.ones((B, S + 1, 7), "float32")
    for call in (
        lambda layer: layer.compute_output_shape(query.shape, value.shape, key.shape),
        lambda layer: layer(query, value, key),
    ):
        for layer in (keras.layers.MultiHeadAttention(2, 4), MultiHeadAttention(2, 4)):
            with pytest.raises(ValueError, match="except the last one, must be equal"):
                call(layer)


@pytest.mark.parametrize("fused", [True, False])
def test_per_head_attention_mask_equals_builtin(fused, rng):
    """A `(B, heads, T, S)` mask, one per head, as keras.layers.MultiHeadAttention accepts."""
    query, value = inputs(rng)
    builtin, ours = built_pair(rng, query, value, num_heads=3, key_dim=4)
    ours.fused = fused
    mask = rng.random((B, 3, T, S)) > 0.4
    mask[..., 0] = True
    ref_out, ref_scores = builtin(query, value, attention_mask=mask, return_attention_scores=True)
    out, scores = ours(query, value, attention_mask=mask, return_attention_scores=True)
    assert max_abs_diff(out, ref_out) <= ATOL and max_abs_diff(scores, ref_scores) <= ATOL
    assert max_abs_diff(ours(query, value, attention_mask=mask), ref_out) <= ATOL
    query_mask = np.arange(T) < np.array([[4], [6]])  # and with the query's padding mask
    ref = builtin(query, value, query_mask=query_mask, attention_mask=mask)
    got = ours(query, value, query_mask=query_mask, attention_mask=mask)
    assert max_abs_diff(to_numpy(got)[query_mask], to_numpy(ref)[query_mask]) <= ATOL
    with pytest.raises(ValueError, match=r"\(2, 2, 6, 5\) does not broadcast .* \(2, 3, 6, 5\)"):
        ours(query, value, attention_mask=mask[:, :2])


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_seed_generators_as_in_keras(dropout, rng):
    """A seed generator is state (a variable): Keras's layer has one only if it drops out."""
    query, value = inputs(rng)
    builtin, ours = built_pair(rng, query, value, num_heads=2, key_dim=4, dropout=dropout)
    assert len(get_seed_generators(ours)) == len(get_seed_generators(builtin)) == int(dropout > 0)


@pytest.mark.parametrize(
    "index, length, match",
    [
        (T - 1, 2, rf"`cache_update_index` must be in \[0, {T - 2}\] for 2 new positions"),
        (-1, 1, rf"`cache_update_index` must be in \[0, {T - 1}\] for 1 new position .* got -1"),
        (0, T + 1, rf"{T + 1} positions do not fit in the cache's {T} slots"),
    ],
)
def test_cache_update_index_out_of_range_raises(index, length, match, rng):
    """Out of range, JAX clamped the write to another slot and torch wrote nothing."""
    x = rng.normal(size=(B, length, 8)).astype("float32")
    layer = MultiHeadAttention(2, 4)
    with pytest.raises(ValueError, match=match):
        layer(x, x, cache=empty_kv_cache(B, T, 2, 4), cache_update_index=index)


def test_config_round_trip(rng):
    query, value = inputs(rng)
    layer = MultiHeadAttention(
        2, 4, value_dim=3, output_shape=5, dropout=0.1, use_bias=False, fused=False, seed=7
    )
    layer(query, value)
    clone = MultiHeadAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone(query, value)
    clone.set_weights(layer.get_weights())
    assert max_abs_diff(clone(query, value), layer(query, value)) == 0.0


class LayerTest(LayerChecks):
    def test_run_layer_test(self):
        self.run_layer_tests(
            [
                (MultiHeadAttention, dict(num_heads=2, key_dim=2), 8, 0),
                (MultiHeadAttention, dict(num_heads=2, key_dim=2, dropout=0.1), 8, 1),
            ],
            input_shape={"query_shape": (2, 8, 16), "value_shape": (2, 4, 16)},
            expected_output_shape=(2, 8, 16),
        )
