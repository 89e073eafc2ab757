"""Property-based: random arguments, shapes and masks; keraseq's attention layers against twins.

Hypothesis draws the cases (and shrinks a failing one to the smallest). `MultiHeadAttention` is
compared with `keras.layers.MultiHeadAttention` (outputs and weights, fused and equation paths) and
the position layers with keras-hub's, on random positions.
"""

import keras
import keras_hub
import numpy as np
import pytest
from conftest import ATOL, PROPERTY_SETTINGS, max_abs_diff, to_numpy
from hypothesis import given
from hypothesis import strategies as st

from keraseq.layers import MultiHeadAttention, PositionEmbedding, RotaryEmbedding

MASKS = ["none", "(B, T, S)", "(B, heads, T, S)", "(T, S)", "query and value masks"]


@st.composite
def attention_cases(draw):
    # key_dim and widths from 2: with 1, keras.layers.MultiHeadAttention on TensorFlow computes
    # other weights than NumPy's equation (ours equals NumPy there).
    heads, key_dim = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    arguments = dict(
        num_heads=heads,
        key_dim=key_dim,
        value_dim=draw(st.sampled_from([None, key_dim, draw(st.integers(2, 4))])),
        output_shape=draw(st.sampled_from([None, draw(st.integers(1, 5))])),
        use_bias=draw(st.booleans()),
    )
    batch, t, s = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    widths = [draw(st.integers(2, 5)) for _ in range(3)]  # query, value, key features
    call = dict(
        separate_key=draw(st.booleans()),
        causal=draw(st.booleans()),
        mask=draw(st.sampled_from(MASKS)),
    )
    return arguments, (batch, t, s), widths, call, draw(st.integers(0, 2**16))


def draw_mask(rng, shape):
    mask = rng.random(shape) > 0.4
    mask[..., 0] = True  # no query left with nothing to see: Keras's weights are then uniform
    return mask


@PROPERTY_SETTINGS
@given(case=attention_cases())
def test_multi_head_attention_equals_builtin_on_random_cases(case):
    arguments, (batch, t, s), (query_dim, value_dim, key_dim), call, seed = case
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(batch, t, query_dim)).astype("float32")
    value = rng.normal(size=(batch, s, value_dim)).astype("float32")
    key = rng.normal(size=(batch, s, key_dim)).astype("float32") if call["separate_key"] else None
    kwargs = {"use_causal_mask": call["causal"]}
    heads = arguments["num_heads"]
    shapes = {
        "(B, T, S)": (batch, t, s),
        "(B, heads, T, S)": (batch, heads, t, s),
        "(T, S)": (t, s),
    }
    if call["mask"] in shapes:
        kwargs["attention_mask"] = draw_mask(rng, shapes[call["mask"]])
    elif call["mask"] == "query and value masks":
        kwargs["query_mask"] = np.ones((batch, t), bool)
        kwargs["value_mask"] = draw_mask(rng, (batch, s))

    builtin, ours = keras.layers.MultiHeadAttention(**arguments), MultiHeadAttention(**arguments)
    builtin(query, value, key=key, return_attention_scores=True)
    ours(query, value, key=key)
    builtin.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in builtin.weights])
    ours.set_weights(builtin.get_weights())

    ref, ref_scores = builtin(query, value, key=key, return_attention_scores=True, **kwargs)
    out, scores = ours(query, value, key=key, return_attention_scores=True, **kwargs)
    assert max_abs_diff(out, ref) <= ATOL and max_abs_diff(scores, ref_scores) <= ATOL
    assert max_abs_diff(ours(query, value, key=key, **kwargs), ref) <= ATOL  # fused when it can
    assert tuple(out.shape) == ours.compute_output_shape(
        query.shape, value.shape, None if key is None else key.shape
    )


@PROPERTY_SETTINGS
@given(
    length=st.integers(1, 6),
    extra=st.integers(0, 3),
    width=st.integers(1, 4).map(lambda n: 2 * n),
    start=st.integers(0, 4),
    heads=st.sampled_from([None, 1, 3]),
    scaling_factor=st.sampled_from([1.0, 2.5]),
)
def test_position_layers_equal_keras_hub_on_random_cases(
    length, extra, width, start, heads, scaling_factor
):
    rng = np.random.default_rng(length * 100 + start)
    shape = (2, length, width) if heads is None else (2, length, heads, width)
    x = rng.normal(size=shape).astype("float32")
    rope = RotaryEmbedding(scaling_factor=scaling_factor)
    ref = keras_hub.layers.RotaryEmbedding(scaling_factor=scaling_factor)
    assert max_abs_diff(rope(x, start_index=start), ref(x, start_index=start)) <= ATOL

    x = x if heads is None else x[:, :, 0]
    table = PositionEmbedding(length + extra)
    ref = keras_hub.layers.PositionEmbedding(length + extra)
    table(x), ref(x)
    table.set_weights(ref.get_weights())
    if start <= extra:  # in range: the rows start ... start + length - 1
        got = to_numpy(table(x, start_index=start))
        assert max_abs_diff(got, ref(x, start_index=start)) <= ATOL
        assert max_abs_diff(got[0], to_numpy(table.embeddings)[start : start + length]) == 0.0
    else:  # keras-hub would clamp or repeat rows: ours refuses
        with pytest.raises(ValueError, match="`start_index` must be in"):
            table(x, start_index=start)
