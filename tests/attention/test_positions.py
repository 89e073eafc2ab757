import keras_hub
import numpy as np
import pytest
from conftest import ATOL, max_abs_diff, to_numpy
from layer_checks import LayerChecks

from keraseq.layers import PositionEmbedding, RotaryEmbedding, SinusoidalPositionEncoding


def numpy_sinusoid(length, width, start=0, max_wavelength=10000):
    """Vaswani et al.'s table in float64: sin on even features, cos on odd ones."""
    p = np.arange(start, start + length)[:, None]
    i = np.arange(width)[None, :] // 2
    angles = p / max_wavelength ** (2 * i / width)
    return np.where(np.arange(width) % 2, np.cos(angles), np.sin(angles))


@pytest.mark.parametrize("start_index", [0, 5])
def test_sinusoidal_equals_keras_hub_and_numpy(start_index, rng):
    x = rng.normal(size=(2, 7, 10)).astype("float32")
    ours = SinusoidalPositionEncoding(max_wavelength=500)(x, start_index=start_index)
    ref = keras_hub.layers.SinePositionEncoding(max_wavelength=500)(x, start_index=start_index)
    assert max_abs_diff(ours, ref) <= ATOL
    assert (
        max_abs_diff(ours, np.broadcast_to(numpy_sinusoid(7, 10, start_index, 500), x.shape))
        <= ATOL
    )


@pytest.mark.parametrize("start_index", [0, 3])
def test_position_embedding_equals_keras_hub(start_index, rng):
    x = rng.normal(size=(2, 5, 6)).astype("float32")
    ref = keras_hub.layers.PositionEmbedding(sequence_length=9)
    ours = PositionEmbedding(sequence_length=9)
    ref(x), ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in ref.get_weights()] == [(9, 6)]
    ours.set_weights(ref.get_weights())
    assert max_abs_diff(ours(x, start_index=start_index), ref(x, start_index=start_index)) <= ATOL
    assert (
        max_abs_diff(
            to_numpy(ours(x, start_index=start_index))[1],
            ref.get_weights()[0][start_index : start_index + 5],
        )
        == 0
    )


@pytest.mark.parametrize("shape", [(2, 7, 8), (2, 7, 3, 6)], ids=["(B,T,d)", "(B,T,heads,d)"])
@pytest.mark.parametrize("start_index, scaling_factor", [(0, 1.0), (4, 2.0)])
def test_rotary_equals_keras_hub(shape, start_index, scaling_factor, rng):
    x = rng.normal(size=shape).astype("float32")
    ours = RotaryEmbedding(max_wavelength=100, scaling_factor=scaling_factor)(
        x, start_index=start_index
    )
    ref = keras_hub.layers.RotaryEmbedding(max_wavelength=100, scaling_factor=scaling_factor)(
        x, start_index=start_index
    )
    assert max_abs_diff(ours, ref) <= ATOL


def test_rotary_scores_depend_on_relative_position_only(rng):
    """RoPE(q, m) · RoPE(k, n) is the same for (m, n) = (2, 0) and (7, 5)."""
    q, k = (
        rng.normal(size=(1, 1, 8)).astype("float32"),
        rng.normal(size=(1, 1, 8)).astype("float32"),
    )
    rope = RotaryEmbedding()
    dot = lambda m, n: float(
        np.sum(to_numpy(rope(q, start_index=m)) * to_numpy(rope(k, start_index=n)))
    )
    assert abs(dot(2, 0) - dot(7, 5)) <= 1e-4 and abs(dot(2, 0) - dot(0, 2)) > 1e-3
    np.testing.assert_allclose(
        np.linalg.norm(to_numpy(rope(q, start_index=3))), np.linalg.norm(q), rtol=1e-5
    )


def test_bad_arguments_raise(rng):
    with pytest.raises(ValueError, match="`sequence_length` must be a positive integer, got None"):
        PositionEmbedding(None)
    with pytest.raises(ValueError, match="`max_wavelength` must be a positive integer, got 0"):
        SinusoidalPositionEncoding(max_wavelength=0)
    for bad in (-1, 0, float("nan"), float("inf"), "2"):
        with pytest.raises(ValueError, match=r"`scaling_factor` must be a finite number > 0, got"):
            RotaryEmbedding(scaling_factor=bad)
    with pytest.raises(ValueError, match="the last dimension must be even, got 5"):
        RotaryEmbedding()(rng.normal(size=(1, 3, 5)).astype("float32"))


@pytest.mark.parametrize(
    "start_index, length, match",
    [
        (3, 2, r"`start_index` must be in \[0, 2\] for 2 new positions to fit in the 4 positions"),
        (-1, 2, r"`start_index` must be in \[0, 2\] for 2 new positions .* got -1"),
        (4, 1, r"`start_index` must be in \[0, 3\] for 1 new position to fit"),
        (0, 5, r"5 positions do not fit in the 4 positions of PositionEmbedding"),
    ],
)
def test_position_embedding_refuses_positions_past_its_table(start_index, length, match, rng):
    """Out of range, JAX clamps the slice and torch repeats rows: a known index must raise."""
    layer = PositionEmbedding(4)
    x = rng.normal(size=(2, length, 6)).astype("float32")
    with pytest.raises(ValueError, match=match):
        layer(x, start_index=start_index)
    last = to_numpy(layer(x[:, :1], start_index=3))  # the last row still reads
    assert max_abs_diff(last[0, 0], to_numpy(layer.embeddings)[3]) == 0.0


@pytest.mark.parametrize(
    "layer", [SinusoidalPositionEncoding, lambda: PositionEmbedding(4), RotaryEmbedding]
)
def test_position_layers_refuse_rank_1_and_empty_features(layer):
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, T, .*got shape \(6,\)"):
        layer()(np.zeros((6,), "float32"))
    with pytest.raises(
        ValueError, match=r"at least one feature \(last axis\), got shape \(2, 3, 0\)"
    ):
        layer()(np.zeros((2, 3, 0), "float32"))


def test_configs_round_trip():
    for layer in (
        SinusoidalPositionEncoding(123),
        PositionEmbedding(7, initializer="ones"),
        RotaryEmbedding(50, 2.0),
    ):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


class LayerTest(LayerChecks):
    def test_run_layer_test(self):
        self.run_layer_tests(
            [
                (SinusoidalPositionEncoding, {}, 0, 0),
                (PositionEmbedding, {"sequence_length": 8}, 1, 0),
                (RotaryEmbedding, {}, 0, 0),
            ],
            input_shape=(2, 8, 6),
            expected_output_shape=(2, 8, 6),
        )
