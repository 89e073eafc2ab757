"""MiniGPT.enable_lora: only the adapters train; saved and loaded, it keeps what it learned."""

import keras
import numpy as np
import pytest
from conftest import ATOL, max_abs_diff, to_numpy

import keraseq
from keraseq.checkpoint import load_model, save_model
from keraseq.data import CharTokenizer
from keraseq.generation import greedy_by_recomputing
from keraseq.models import MiniGPT

TOKENIZER = CharTokenizer.from_text("the quick brown fox jumps over the lazy dog. ")
VOCAB, T, D, HEADS, INNER, LAYERS = TOKENIZER.vocabulary_size(), 8, 16, 2, 32, 2


def tiny_gpt(**kwargs):
    model = MiniGPT(VOCAB, T, LAYERS, HEADS, D, INNER, **kwargs)
    model.build((None, T))
    return model


def adapter_count(rank):
    """r (rows of A + columns of B) per kernel, A of shape kernel.shape[:-1] + (r,) as Keras's."""
    head_dim = D // HEADS
    qkv = (
        3 * rank * (D * HEADS + head_dim)
    )  # W (D, heads, head_dim): A (D, heads, r), B (r, head_dim)
    output = rank * (HEADS * head_dim + D)  # W (heads, head_dim, D)
    ffn = rank * (D + INNER) + rank * (INNER + D)  # W_1 (D, INNER), W_2 (INNER, D)
    return LAYERS * (qkv + output + ffn)


@pytest.mark.parametrize("tie", [True, False])
def test_only_the_adapters_train(tie):
    model = tiny_gpt(tie_embeddings=tie)
    ids = np.arange(2 * T).reshape(2, T) % VOCAB
    before = model(ids)
    total = model.count_params()
    model.enable_lora(4)
    assert max_abs_diff(model(ids), before) == 0.0  # B = 0
    assert model.count_params() == total + adapter_count(4)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == adapter_count(4)
    assert all("lora_kernel" in w.path for w in model.trainable_weights)
    assert (model.get_config()["lora_rank"], model.get_config()["lora_alpha"]) == (4, 4)


def test_fit_moves_only_adapters_and_save_load_keeps_them(rng, tmp_path):
    model = tiny_gpt()
    model.enable_lora(2, lora_alpha=8)
    frozen = {w.path: to_numpy(w) for w in model.non_trainable_weights}
    ids = rng.integers(0, VOCAB, size=(8, T + 1)).astype("int32")
    model.compile(
        keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(ids[:, :-1], ids[:, 1:], epochs=2, batch_size=8, verbose=0)
    assert all(np.array_equal(to_numpy(w), frozen[w.path]) for w in model.non_trainable_weights)
    b = to_numpy(model.blocks[0].self_attention.query_lora_kernel_b)
    assert np.abs(b).max() > 0  # the adapters learned
    logits = model(ids[:, :-1])

    save_model(model, tmp_path)  # keraseq's checkpoint: DIR/model.keras, optimizer included
    loaded = load_model(tmp_path, compile=True)
    assert loaded.lora_enabled and (loaded.lora_rank, loaded.lora_alpha) == (2, 8)
    assert max_abs_diff(loaded(ids[:, :-1]), logits) <= ATOL  # merged kernels, B = 0
    assert len(loaded.trainable_weights) == len(model.trainable_weights)
    loaded.fit(ids[:, :-1], ids[:, 1:], epochs=1, batch_size=8, verbose=0)  # training resumes
    assert max_abs_diff(loaded(ids[:, :-1]), logits) > 1e-4
    assert int(to_numpy(loaded.optimizer.iterations)) == 3


def test_generation_with_lora_uses_the_adapters_in_the_kv_cache(rng):
    model = tiny_gpt()
    model.enable_lora(2)
    for w in model.trainable_weights:  # adapters that change the outputs
        w.assign(rng.normal(scale=0.3, size=w.shape).astype("float32"))
    text = keraseq.generate(model, TOKENIZER, "the quick", 10, temperature=0)
    assert text == greedy_by_recomputing(model, TOKENIZER, "the quick", 10)


def test_enable_lora_errors():
    with pytest.raises(ValueError, match="isn't yet built"):
        MiniGPT(VOCAB, T, LAYERS, HEADS, D, INNER).enable_lora(2)
    with pytest.raises(ValueError, match="lora is already enabled"):
        tiny_gpt(lora_rank=2).enable_lora(2)
    with pytest.raises(ValueError, match="`rank` must be a positive integer"):
        tiny_gpt().enable_lora(0)


def test_lora_enabled_after_compiled_decoding_is_used(rng):
    """Decoding compiled before `enable_lora` (a traced graph on TensorFlow) reads the adapters."""
    model = tiny_gpt()
    ids = rng.integers(0, VOCAB, size=(2, T)).astype("int32")
    model.generate_start(ids)
    model.enable_lora(2)
    for w in model.trainable_weights:
        w.assign(rng.normal(scale=0.3, size=w.shape).astype("float32"))
    logits, _ = model.generate_start(ids)
    assert max_abs_diff(logits, model(ids)[:, -1]) <= ATOL
