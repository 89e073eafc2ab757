"""The chat template: the text, the prompt/answer boundary in tokens, parsing and errors."""

import pytest

from keraseq.data import CharTokenizer
from keraseq.posttraining import chat

TOKENIZER = CharTokenizer.from_text("QA: \nAdd 0123456789+=?xyz")


def test_format_and_encode_mark_where_the_answer_starts():
    text = chat.format_example("Add 1+2", "3")
    assert text == "Q: Add 1+2\nA: 3\n"
    ids, prompt_length = chat.encode_example(TOKENIZER, "Add 1+2", "3")
    assert TOKENIZER.detokenize(ids) == text
    assert TOKENIZER.detokenize(ids[:prompt_length]) == chat.format_prompt("Add 1+2")
    assert TOKENIZER.detokenize(ids[prompt_length:]) == "3" + chat.END


@pytest.mark.parametrize(
    "generated, parsed",
    [("42\nQ: more", ("42", True)), ("42", ("42", False)), ("\n", ("", True))],
)
def test_parse_answer_stops_at_the_end_marker(generated, parsed):
    assert chat.parse_answer(generated) == parsed


@pytest.mark.parametrize(
    "prompt, message",
    [("", "the prompt is empty"), ("a\nb", "holds a newline"), ("Add Ω", "unknown character 'Ω'")],
)
def test_bad_prompts(prompt, message):
    with pytest.raises(ValueError, match=message):
        chat.check_prompt(prompt, TOKENIZER)


def test_an_answer_is_one_line():
    with pytest.raises(ValueError, match="an answer is one line"):
        chat.format_example("Add 1+2", "3\n4")
