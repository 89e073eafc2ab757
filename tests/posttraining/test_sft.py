"""The SFT loss reads the answer only; batches and batched greedy decoding match references."""

import keras
import numpy as np
import pytest
from conftest import to_numpy

import keraseq
from keraseq.analysis.autodiff import value_and_grad
from keraseq.data import CharTokenizer
from keraseq.models import MiniGPT
from keraseq.posttraining import chat
from keraseq.posttraining.evaluate import greedy_answers
from keraseq.posttraining.sft import SFT_LOSS, InstructionBatches, sft_arrays
from keraseq.posttraining.tasks import TASKS, Example, get_tasks

TOKENIZER = CharTokenizer(
    sorted(set("".join("".join(t.alphabet()) for t in TASKS.values())) | set(chat.MARKERS))
)


def tiny_gpt(sequence_length=64):
    model = MiniGPT(TOKENIZER.vocabulary_size(), sequence_length, 1, 2, 16, 32)
    model.build((None, sequence_length))
    return model


def test_sft_arrays_weigh_the_answer_and_its_end_only():
    x, y, weight = sft_arrays(TOKENIZER, [Example("Add 1+2", "3"), Example("Add 10+20", "30")], 20)
    text = "Q: Add 1+2\nA: 3\n"
    assert TOKENIZER.detokenize(x[0, : len(text) - 1]) == text[:-1]
    assert TOKENIZER.detokenize(y[0, : len(text) - 1]) == text[1:]
    assert (x[0, len(text) - 1 :] == 0).all() and (y[0, len(text) - 1 :] == 0).all()
    targets = [TOKENIZER.detokenize(y[0, t]) for t in np.flatnonzero(weight[0])]
    assert targets == ["3", "\n"]  # the answer and the end marker, nothing of the prompt
    assert [TOKENIZER.detokenize(y[1, t]) for t in np.flatnonzero(weight[1])] == ["3", "0", "\n"]
    with pytest.raises(ValueError, match="more than the model's context of 8"):
        sft_arrays(TOKENIZER, [Example("Add 1+2", "3")], 8)


def test_the_prompt_gets_no_gradient():
    examples = [e for task in get_tasks("qa,code") for e in task.examples("train", 3)]
    x, y, weight = sft_arrays(TOKENIZER, examples, 64)
    model = tiny_gpt()
    logits = model(x)

    loss, (grad,) = value_and_grad(lambda z: SFT_LOSS(y, z, sample_weight=weight), logits)
    grad = to_numpy(grad)  # (B, T, vocab)
    assert (grad[weight == 0] == 0).all()  # prompt and padding positions: exactly zero
    assert (np.abs(grad[weight == 1]).sum(-1) > 0).all()  # every answer position learns

    # The reference: cross-entropy averaged over the answer tokens, in NumPy.
    z = to_numpy(logits).astype("float64")
    log_p = z - z.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_p, y[..., None], -1)[..., 0]
    assert float(to_numpy(loss)) == pytest.approx((nll * weight).sum() / weight.sum(), rel=1e-5)

    # Changing what the prompt says next changes nothing: its tokens are not targets.
    other = np.where(weight == 0, (y + 1) % TOKENIZER.vocabulary_size(), y)
    assert float(to_numpy(SFT_LOSS(other, logits, sample_weight=weight))) == pytest.approx(
        float(to_numpy(loss)), abs=1e-6
    )


def test_instruction_batches_are_reproducible_and_draw_the_split():
    tasks = get_tasks("numbers,addition")
    batches = InstructionBatches(TOKENIZER, tasks, 8, 64, 3, seed=5, start=2)
    again = InstructionBatches(TOKENIZER, tasks, 8, 64, 5, seed=5, start=0)
    for got, expected in zip(batches[1], again[3]):  # batch = f(seed, step)
        np.testing.assert_array_equal(got, expected)
    numbers = get_tasks("numbers")  # 1000 inputs: the held-out ones are all listed here
    held_out = {chat.format_prompt(e.prompt) for e in numbers[0].examples("test", 1000)}
    for split in ("train", "test"):
        x, _, weight = InstructionBatches(TOKENIZER, numbers, 16, 64, 1, split=split)[0]
        prompts = [TOKENIZER.detokenize(r[: np.flatnonzero(w)[0] + 1]) for r, w in zip(x, weight)]
        assert all((p in held_out) == (split == "test") for p in prompts)


def test_pretraining_rows_carry_the_language_modelling_loss():
    corpus = TOKENIZER.tokenize("Add 12+34 " * 40)
    x, y, weight = InstructionBatches(
        TOKENIZER, get_tasks("qa"), 8, 64, 1, pretraining_ids=corpus, pretraining_rows=3
    )[0]
    assert x.shape == y.shape == weight.shape == (8, 64)
    assert (weight[5:] == 1).all() and (weight[:5].sum(1) < 10).all()
    np.testing.assert_array_equal(x[5:, 1:], y[5:, :-1])  # windows of the corpus, shifted


def test_batched_greedy_answers_equal_one_prompt_at_a_time():
    model = tiny_gpt()
    prompts = [
        e.prompt for name in ("addition", "qa", "numbers") for e in TASKS[name].examples("test", 2)
    ]
    answers = greedy_answers(model, TOKENIZER, prompts, max_new_tokens=6)
    for prompt, answer in zip(prompts, answers):
        text = keraseq.generate(model, TOKENIZER, chat.format_prompt(prompt), 6, temperature=0)
        assert answer == chat.parse_answer(text)[0]
    keras.utils.set_random_seed(0)
