"""LoRA on MultiHeadAttention and FeedForward: equal to Keras's EinsumDense/Dense `enable_lora`
given the same W, bias, A and B (outputs and gradients), with Keras's semantics and errors."""

import keras
import numpy as np
import pytest
from conftest import ATOL, max_abs_diff, to_numpy
from keras.src.testing import TestCase

from keraseq.analysis import value_and_grad
from keraseq.layers import FeedForward, MultiHeadAttention

B, T, S, D = 2, 5, 4, 8

MHA_OPTIONS = {
    "default": dict(num_heads=2, key_dim=3),
    "value-dim-output-shape": dict(num_heads=2, key_dim=3, value_dim=5, output_shape=6),
    "no-bias": dict(num_heads=3, key_dim=2, use_bias=False),
}


def randomize(rng, weights, scale=0.3):
    for w in weights:
        w.assign(rng.normal(scale=scale, size=w.shape).astype("float32"))


def gradients(layer, *args, **kwargs):
    """d(Σ outputs · probe)/d(each trainable weight) by name: the gradients wrt A, B and biases.

    With `return_attention_scores=True` in `kwargs` (keras.layers.MultiHeadAttention's fused path
    fails on JAX when `value_dim != key_dim`), the outputs are the first of the results.
    """
    trainable, frozen = layer.trainable_variables, layer.non_trainable_variables

    def outputs_of(values):
        outputs, _ = layer.stateless_call(values, [v.value for v in frozen], *args, **kwargs)
        return outputs[0] if isinstance(outputs, tuple) else outputs

    values = [v.value for v in trainable]
    probe = np.random.default_rng(0).normal(size=outputs_of(values).shape).astype("float32")
    probe = keras.ops.convert_to_tensor(probe)  # torch cannot multiply its tensors by NumPy's
    _, grads = value_and_grad(lambda *v: keras.ops.sum(outputs_of(list(v)) * probe), *values)
    return {v.path.split("/", 1)[1]: to_numpy(g) for v, g in zip(trainable, grads)}


def mha_pair(rng, lora_alpha, option):
    """Keras's layer with `enable_lora` on its four EinsumDense, ours with `enable_lora`: same W,
    biases, A and B (all non-zero)."""
    query = rng.normal(size=(B, T, D)).astype("float32")
    value = rng.normal(size=(B, S, 7)).astype("float32")
    kwargs = MHA_OPTIONS[option]
    builtin, ours = keras.layers.MultiHeadAttention(**kwargs), MultiHeadAttention(**kwargs)
    builtin(query, value, return_attention_scores=True)
    ours(query, value)
    randomize(rng, builtin.weights)
    ours.set_weights(builtin.get_weights())
    ours.enable_lora(2, lora_alpha=lora_alpha)
    for name in ours.lora_kernels:
        dense = getattr(builtin, f"{name}_dense")  # an EinsumDense
        dense.enable_lora(2, lora_alpha=lora_alpha)
        randomize(rng, [dense.lora_kernel_a, dense.lora_kernel_b])
        ours_a, ours_b = ours.lora_adapters(name)
        ours_a.assign(dense.lora_kernel_a)
        ours_b.assign(dense.lora_kernel_b)
    return builtin, ours, query, value


def keras_name(path):
    """`attention_output/lora_kernel_a` (Keras's MHA) to `output_lora_kernel_a` (ours)."""
    sublayer, weight = path.split("/")
    return f"{'output' if sublayer == 'attention_output' else sublayer}_{weight}"


@pytest.mark.parametrize(
    "option, lora_alpha", [("default", None), ("value-dim-output-shape", 6), ("no-bias", 3)]
)
def test_mha_lora_equals_einsum_dense_lora(option, lora_alpha, rng):
    builtin, ours, query, value = mha_pair(rng, lora_alpha, option)
    with_scores = dict(return_attention_scores=True)
    assert max_abs_diff(ours(query, value), builtin(query, value, **with_scores)[0]) <= ATOL
    ours_grads = gradients(ours, query, value)
    keras_grads = gradients(builtin, query, value, **with_scores)
    keras_grads = {keras_name(path): g for path, g in keras_grads.items()}
    assert sorted(ours_grads) == sorted(keras_grads)  # the same trainable weights: biases, A, B
    assert sum("lora" in name for name in ours_grads) == 8
    for name, grad in keras_grads.items():
        assert np.abs(grad).max() > 0, name
        assert max_abs_diff(ours_grads[name], grad) <= ATOL, name


def test_feed_forward_lora_equals_dense_lora(rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    ours = FeedForward(12, activation="gelu")
    builtin = keras.Sequential(
        [keras.layers.Dense(12, activation="gelu", name="d1"), keras.layers.Dense(D, name="d2")]
    )
    ours(x)
    builtin(x)
    randomize(rng, builtin.weights)
    ours.set_weights(builtin.get_weights())
    for dense in builtin.layers:
        dense.enable_lora(4, lora_alpha=16)
        randomize(rng, [dense.lora_kernel_a, dense.lora_kernel_b])
    ours.enable_lora(4, lora_alpha=16)
    for name, dense in zip(("intermediate", "output"), builtin.layers):
        ours_a, ours_b = ours.lora_adapters(name)
        ours_a.assign(dense.lora_kernel_a)
        ours_b.assign(dense.lora_kernel_b)
    assert max_abs_diff(ours(x), builtin(x)) <= ATOL
    ours_grads, keras_grads = gradients(ours, x), gradients(builtin, x)
    renamed = {"d1": "intermediate", "d2": "output"}
    keras_grads = {
        f"{renamed[path.split('/')[0]]}_{path.split('/')[1]}": g for path, g in keras_grads.items()
    }
    assert sorted(ours_grads) == sorted(keras_grads)
    for name, grad in keras_grads.items():
        assert np.abs(grad).max() > 0, name
        assert max_abs_diff(ours_grads[name], grad) <= ATOL, name


def test_mha_lora_in_kv_cache_decoding(rng):
    """The cached path reads the same adapted kernels: token by token equals the whole window."""
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    x = rng.normal(size=(B, T, D)).astype("float32")
    layer(x, x)
    layer.enable_lora(2)
    randomize(rng, layer.lora_weights())
    full = layer(x, x, use_causal_mask=True)
    cache = keras.ops.zeros((B, 2, T, 2, 4))
    steps = []
    for t in range(T):
        y, cache = layer(
            x[:, t : t + 1],
            x[:, t : t + 1],
            use_causal_mask=True,
            cache=cache,
            cache_update_index=t,
        )
        steps.append(to_numpy(y))
    assert max_abs_diff(np.concatenate(steps, axis=1), full) <= ATOL


@pytest.mark.parametrize("make", ["mha", "ffn"])
def test_enable_lora_follows_keras(make, rng):
    """Outputs unchanged at the start (B = 0), kernels frozen, biases and adapters trainable,
    adapter shapes and alpha as Keras's, lora_rank/lora_alpha in the config."""
    x = rng.normal(size=(B, T, D)).astype("float32")
    if make == "mha":
        layer, args = MultiHeadAttention(num_heads=2, key_dim=3), (x, x)
        dense = keras.layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de")
    else:
        layer, args = FeedForward(12), (x,)
        dense = keras.layers.Dense(12)
    before = layer(*args)
    dense.build(x.shape)
    dense.enable_lora(3)
    layer.enable_lora(3)
    assert layer.lora_enabled and layer.lora_rank == 3 and layer.lora_alpha == 3
    assert max_abs_diff(layer(*args), before) == 0.0
    first = layer.lora_kernels[0]
    a, b = layer.lora_adapters(first)
    assert (a.shape, b.shape) == (dense.lora_kernel_a.shape, dense.lora_kernel_b.shape)
    assert np.all(to_numpy(b) == 0) and np.ptp(to_numpy(a)) > 0
    trainable = {w.name for w in layer.trainable_weights}
    assert trainable == {
        f"{n}_{part}"
        for n in layer.lora_kernels
        for part in ("bias", "lora_kernel_a", "lora_kernel_b")
    }
    assert {w.name for w in layer.non_trainable_weights} == {
        f"{n}_kernel" for n in layer.lora_kernels
    }
    config = layer.get_config()
    assert (config["lora_rank"], config["lora_alpha"]) == (3, 3)
    assert (dense.get_config()["lora_rank"], dense.get_config()["lora_alpha"]) == (3, 3)
    clone = type(layer).from_config(config)  # LoRA enabled when built, as Keras's Dense
    clone(*args)
    assert clone.lora_enabled and len(clone.trainable_weights) == len(layer.trainable_weights)


def test_adapters_of_one_shape_start_different(rng):
    """An initializer object passed to enable_lora is cloned per kernel: A_Q != A_K != A_V."""
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    x = rng.normal(size=(B, T, D)).astype("float32")
    layer(x, x)
    layer.enable_lora(2, a_initializer=keras.initializers.GlorotUniform())
    a_q, a_k, a_v = (to_numpy(layer.lora_adapters(n)[0]) for n in ("query", "key", "value"))
    assert not np.allclose(a_q, a_k) and not np.allclose(a_k, a_v)


def test_save_merges_adapters_and_loads_into_either_layer(rng, tmp_path):
    """The file holds W + α/r A B in the kernels' places: a layer without LoRA reads it and gives
    the same outputs; a LoRA layer reads it with B = 0 and a new A, and its adapters still train."""
    x = rng.normal(size=(B, T, D)).astype("float32")
    inputs = keras.Input((T, D))
    layer = MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    model = keras.Model(inputs, layer(inputs, inputs))
    layer.enable_lora(2, lora_alpha=4)
    randomize(rng, layer.lora_weights())
    expected = model(x)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")

    plain_layer = MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    plain = keras.Model(inputs, plain_layer(inputs, inputs))
    plain.load_weights(tmp_path / "m.weights.h5")
    assert max_abs_diff(plain(x), expected) <= ATOL
    assert len(plain.weights) == 8  # the file has no adapters

    loaded = keras.models.load_model(tmp_path / "m.keras")
    mha = loaded.get_layer("mha")
    assert mha.lora_enabled and (mha.lora_rank, mha.lora_alpha) == (2, 4)
    assert max_abs_diff(loaded(x), expected) <= ATOL
    for name in mha.lora_kernels:
        a, b = mha.lora_adapters(name)
        assert np.all(to_numpy(b) == 0) and np.ptp(to_numpy(a)) > 0
    grads = gradients(mha, x, x)
    assert all(np.abs(grads[f"{n}_lora_kernel_b"]).max() > 0 for n in mha.lora_kernels)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: MultiHeadAttention(2, 3).enable_lora(2), "isn't yet built"),
        (lambda: FeedForward(4, lora_rank=0), "`lora_rank` must be a positive integer"),
        (lambda: FeedForward(4, lora_rank=2, lora_alpha="8"), "`lora_alpha` must be a positive"),
        (lambda: built(FeedForward(4)).enable_lora(2.5), "`rank` must be a positive integer"),
        (lambda: built(FeedForward(4)).enable_lora(2, lora_alpha=-1), "`lora_alpha` must be"),
        (lambda: built(FeedForward(4, lora_rank=2)).enable_lora(2), "lora is already enabled"),
        (
            lambda: built(MultiHeadAttention(2, 3, kernel_constraint="non_neg")).enable_lora(2),
            "incompatible with kernel constraints",
        ),
    ],
    ids=["not-built", "rank-0", "alpha-str", "rank-float", "alpha-negative", "twice", "constraint"],
)
def test_lora_errors_are_keras_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def built(layer):
    x = np.zeros((1, 3, 6), "float32")
    layer(x) if isinstance(layer, FeedForward) else layer(x, x)
    return layer


class LayerTest(TestCase):
    def test_run_layer_test_with_lora_rank(self):
        """Keras's checks (config, serialization, mixed precision, training), LoRA from config."""
        self.run_layer_test(
            FeedForward,
            init_kwargs=dict(intermediate_dim=8, lora_rank=2),
            input_shape=(2, 3, 4),
            expected_output_shape=(2, 3, 4),
            expected_num_trainable_weights=6,  # 2 biases, 2 × (A, B)
            expected_num_non_trainable_weights=2,  # the kernels
            expected_num_seed_generators=0,
            expected_num_losses=0,
            supports_masking=True,
        )
