"""The chat template: how a user's turn and the assistant's answer are written for the model.

    Q: {prompt}
    A: {answer}
    <newline ends the answer>

Plain characters of the base vocabulary, no special tokens. The base model reads characters with a
context of 64: the markers cost 8 of them (a special token per marker would save 5, at the price of
growing the embedding and head, a new tokenizer format and untrained rows that the base model has
never seen). `Q: ` never occurs in the `python-docs` corpus, so the base model has not learned to
answer after it: the behaviour comes from fine-tuning. A newline ends an answer: the base model
already predicts newlines, so the end is the easiest token to learn, and every task's answer fits on
one line.

Public API (the fine-tuning, evaluation, chat and RLHF stages build on it):

- `format_prompt(prompt)` → `"Q: {prompt}\\nA: "`: what the model reads before answering.
- `format_example(prompt, answer)` → the prompt's text, the answer, then `END`.
- `encode_example(tokenizer, prompt, answer)` → `(ids, prompt_length)`: the ids of
  `format_example` and how many of them are the formatted prompt (the answer's tokens, `END`
  included, are `ids[prompt_length:]`).
- `parse_answer(text)` → `(answer, ended)`: the generated text up to `END`, and whether `END` came.
- `check_prompt(prompt, tokenizer)`: raises `ValueError` for an empty prompt, a newline in it or a
  character outside the vocabulary.
- `USER`, `ASSISTANT`, `END`: the markers.
"""

import numpy as np

USER = "Q: "
ASSISTANT = "\nA: "
END = "\n"
MARKERS = USER + ASSISTANT + END


def check_prompt(prompt, tokenizer=None):
    """Raises `ValueError` for a prompt the template cannot hold or the tokenizer cannot read."""
    if not prompt.strip():
        raise ValueError("the prompt is empty")
    if END in prompt:
        raise ValueError("the prompt holds a newline: a turn is one line (a newline ends a turn)")
    if tokenizer is not None:
        tokenizer.tokenize(prompt)  # names any unknown character


def format_prompt(prompt):
    """`"Q: {prompt}\\nA: "`: the user's turn, then the start of the assistant's."""
    check_prompt(prompt)
    return f"{USER}{prompt}{ASSISTANT}"


def format_example(prompt, answer):
    """The whole exchange: `format_prompt(prompt) + answer + END`."""
    if END in answer:
        raise ValueError(f"an answer is one line, got {answer!r}")
    return f"{format_prompt(prompt)}{answer}{END}"


def encode_example(tokenizer, prompt, answer):
    """Token ids of `format_example(prompt, answer)` and the number that belong to the prompt."""
    prompt_ids = tokenizer.tokenize(format_prompt(prompt))
    answer_ids = tokenizer.tokenize(answer + END)
    return np.concatenate([prompt_ids, answer_ids]), len(prompt_ids)


def parse_answer(text):
    """The answer in generated `text` (everything before `END`), and whether `END` was reached."""
    answer, ended, _ = text.partition(END)
    return answer, bool(ended)
