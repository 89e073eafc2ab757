"""MiniGPT and RecurrentLM: decoding token by token equals reading the whole window; save/load."""

import keras
import numpy as np
import pytest
from conftest import ATOL, assert_no_two_weights_start_equal, max_abs_diff, to_numpy

from keraseq.models import MiniGPT, RecurrentLM

VOCAB, T = 11, 8


def tiny_gpt(**kwargs):
    args = dict(
        vocabulary_size=VOCAB,
        sequence_length=T,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
    )
    return MiniGPT(**{**args, **kwargs})


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_recurrent_lm_state_steps_equal_the_whole_window(kind, rng):
    model = RecurrentLM(VOCAB, kind, hidden_dim=12, num_layers=2)
    ids = rng.integers(0, VOCAB, size=(3, T)).astype("int32")
    full = model(ids)  # (3, T, vocab)
    states = model.initial_state(3)
    steps = []
    for t in range(T):
        logits, states = model.call_with_state(ids[:, t], states)
        steps.append(to_numpy(logits))
    assert max_abs_diff(np.stack(steps, axis=1), full) <= ATOL


@pytest.mark.parametrize("tie", [True, False])
def test_minigpt_cache_steps_equal_the_whole_window(tie, rng):
    model = tiny_gpt(tie_embeddings=tie)
    ids = rng.integers(0, VOCAB, size=(2, T)).astype("int32")
    full = model(ids)  # (2, T, vocab), causal
    # Prefill with the first 3 tokens, then one token at a time through the KV cache.
    logits, cache = model.call_with_cache(ids[:, :3], model.empty_cache(2), 0)
    pieces = [to_numpy(logits)]
    for t in range(3, T):
        logits, cache = model.call_with_cache(ids[:, t : t + 1], cache, t)
        pieces.append(to_numpy(logits))
    assert max_abs_diff(np.concatenate(pieces, axis=1), full) <= ATOL


def test_minigpt_mixed_precision_generation_follows_the_whole_window(rng):
    """`MiniGPT(dtype="mixed_bfloat16")` reaches every sublayer (before, they took the global
    policy), and decoding in Keras's predict step follows the whole-window logits."""
    model = tiny_gpt(dtype="mixed_bfloat16")
    ids = rng.integers(0, VOCAB, size=(2, T)).astype("int32")
    full = model(ids)  # (2, T, vocab)
    assert {layer.dtype_policy.name for layer in model._flatten_layers()} == {"mixed_bfloat16"}
    assert keras.backend.standardize_dtype(full.dtype) == "bfloat16"
    logits, state = model.generate_start(ids[:, :3])
    steps = [to_numpy(logits)]
    for t in range(3, T):
        logits, state = model.generate_step(ids[:, t], state)
        steps.append(to_numpy(logits))
    decoded = np.stack(steps, axis=1).astype("float32")  # (2, T - 2, vocab)
    whole = to_numpy(keras.ops.cast(full, "float32"))[:, 2:]
    assert max_abs_diff(decoded, whole) <= 0.05 * np.abs(whole).max()  # bfloat16's rounding


def test_minigpt_weights_start_different():
    model = tiny_gpt(vocabulary_size=T)  # token and position tables of one shape
    model.build((None, T))
    assert_no_two_weights_start_equal(model)


def test_minigpt_parameter_count_and_tied_head():
    d, layers, inner = 16, 2, 32
    block = 4 * (d * d + d) + 2 * 2 * d + (d * inner + inner) + (inner * d + d)  # MHA, 2 LN, FFN
    embeddings = VOCAB * d + T * d
    tied = tiny_gpt()
    tied.build((None, T))
    assert tied.count_params() == embeddings + layers * block + 2 * d  # + final LayerNorm
    untied = tiny_gpt(tie_embeddings=False)
    untied.build((None, T))
    assert untied.count_params() == tied.count_params() + d * VOCAB


@pytest.mark.parametrize(
    "make", [tiny_gpt, lambda: RecurrentLM(VOCAB, "gru", 12, 2)], ids=["transformer", "gru"]
)
def test_fit_save_and_load_model(make, rng, tmp_path):
    model = make()
    ids = rng.integers(0, VOCAB, size=(16, T + 1)).astype("int32")
    model.compile(
        keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    before = model.evaluate(ids[:, :-1], ids[:, 1:], verbose=0)
    model.fit(ids[:, :-1], ids[:, 1:], epochs=5, batch_size=8, verbose=0)
    after = model.evaluate(ids[:, :-1], ids[:, 1:], verbose=0)
    assert after < before
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    assert max_abs_diff(loaded(ids[:, :-1]), model(ids[:, :-1])) == 0.0
    assert int(to_numpy(loaded.optimizer.iterations)) == 10


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="unknown recurrent model 'transformer'"):
        RecurrentLM(VOCAB, "transformer")
    with pytest.raises(ValueError, match=r"`num_heads` \(3\) must divide `hidden_dim` \(16\)"):
        tiny_gpt(num_heads=3)


def test_minigpt_refuses_more_tokens_than_its_context():
    """On JAX, 6 tokens through `sequence_length=4` gave NaN logits; on torch an IndexError."""
    model = tiny_gpt(sequence_length=4)
    with pytest.raises(ValueError, match="6 positions do not fit in the model's context"):
        model(np.zeros((1, 6), "int32"))
    cache = model.empty_cache(1)
    with pytest.raises(ValueError, match=r"`start_index` must be in \[0, 2\] for 2 new positions"):
        model.call_with_cache(np.zeros((1, 2), "int32"), cache, 3)


@pytest.mark.parametrize("make", [tiny_gpt, lambda: RecurrentLM(VOCAB, "gru", hidden_dim=8)])
def test_generate_start_refuses_an_empty_prompt(make):
    """It raised UnboundLocalError (RecurrentLM) or IndexError (MiniGPT)."""
    for prompt in (np.zeros((1, 0), "int32"), np.zeros((0, 3), "int32")):
        with pytest.raises(ValueError, match=r"needs a prompt of shape \(batch, P\)"):
            make().generate_start(prompt)
