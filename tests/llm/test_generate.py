"""Generation: decoding with the KV cache / carried states is token-identical to recomputing."""

import keras
import numpy as np
import pytest

import keraseq
from keraseq.data import CharTokenizer
from keraseq.generation import greedy_by_recomputing, sample_token
from keraseq.models import MiniGPT, RecurrentLM

TEXT = "the quick brown fox jumps over the lazy dog. "
TOKENIZER = CharTokenizer.from_text(TEXT)
V = TOKENIZER.vocabulary_size()


def test_gpt_greedy_with_cache_equals_recomputing_past_the_context():
    model = MiniGPT(
        V, sequence_length=12, num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=32
    )
    prompt = "the quick"  # 9 tokens, then 10 new ones: the window slides after 3
    streamed = []
    text = keraseq.generate(model, TOKENIZER, prompt, 10, temperature=0, on_token=streamed.append)
    assert text == greedy_by_recomputing(model, TOKENIZER, prompt, 10)
    assert streamed == list(text)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_recurrent_greedy_with_state_equals_recomputing(kind):
    model = RecurrentLM(V, kind, hidden_dim=16, num_layers=2)
    text = keraseq.generate(model, TOKENIZER, "over the", 12, temperature=0)
    assert text == greedy_by_recomputing(model, TOKENIZER, "over the", 12)


def test_sampling_is_seeded_and_top_k_1_is_greedy():
    model = RecurrentLM(V, "gru", hidden_dim=16, num_layers=1)
    a = keraseq.generate(model, TOKENIZER, "fox", 15, temperature=1.5, seed=7)
    assert a == keraseq.generate(model, TOKENIZER, "fox", 15, temperature=1.5, seed=7)
    assert a != keraseq.generate(model, TOKENIZER, "fox", 15, temperature=1.5, seed=8)
    greedy = keraseq.generate(model, TOKENIZER, "fox", 15, temperature=0)
    assert keraseq.generate(model, TOKENIZER, "fox", 15, top_k=1, seed=1) == greedy


def test_top_k_and_top_p_keep_only_the_likeliest_tokens():
    logits = np.log(np.array([0.05, 0.5, 0.1, 0.3, 0.05]))
    rng = np.random.default_rng(0)
    top2 = {sample_token(logits, 1.0, top_k=2, rng=rng) for _ in range(300)}
    assert top2 == {1, 3}
    nucleus = {sample_token(logits, 1.0, top_p=0.85, rng=rng) for _ in range(300)}
    assert nucleus == {1, 3, 2}  # 0.5 + 0.3 < 0.85 <= 0.5 + 0.3 + 0.1
    assert {sample_token(logits, 1.0, top_p=0.4, rng=rng) for _ in range(50)} == {1}
    draws = [sample_token(logits, 1.0, rng=rng) for _ in range(4000)]
    assert np.allclose(np.bincount(draws, minlength=5) / 4000, np.exp(logits), atol=0.03)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temperature": -0.1}, "temperature must be a finite number >= 0"),
        ({"temperature": float("nan")}, "temperature must be a finite number >= 0"),
        ({"top_p": 0.0}, r"top_p must be in \(0, 1\]"),
        ({"top_p": 1.5}, r"top_p must be in \(0, 1\]"),
        ({"top_k": 0}, "top_k must be a positive integer"),
        ({"max_new_tokens": 0}, "max_new_tokens must be a positive integer"),
        ({"prompt": ""}, "the prompt is empty"),
        ({"prompt": "FOX!"}, "unknown characters '!', 'F', 'O', 'X'"),
    ],
)
def test_bad_generation_settings(kwargs, message):
    model = RecurrentLM(V, "rnn", hidden_dim=4, num_layers=1)
    args = {"prompt": "fox", "max_new_tokens": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        keraseq.generate(model, TOKENIZER, **args)


def test_a_model_that_cannot_generate_is_refused():
    tokenizer = CharTokenizer.from_text("ab")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="a Sequential cannot generate text"):
        keraseq.generate(model, tokenizer, "a", 3)
