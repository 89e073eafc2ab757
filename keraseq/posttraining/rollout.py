"""Answers sampled from a language model, with the log-probability of every sampled token."""

import dataclasses

import keras
import numpy as np

from keraseq.models.compiled import compiled_call


@dataclasses.dataclass
class Rollout:
    """A batch of prompts with sampled answers, right-padded to the model's context.

    Attributes:
        tokens: `(N, L)` int32, prompt then answer then padding (zeros).
        answer_mask: `(N, L)` float32, 1 on the answer's tokens (the end marker included).
        lengths: `(N,)` int32, real tokens per row (prompt + answer).
        finished: `(N,)` bool, whether the answer ended with the end marker.
        log_probs: `(N, L - 1)` float32, $\\log \\pi(y_{t+1} \\mid y_{\\le t})$ of each sampled
            token under the distribution it was drawn from (0 elsewhere).
        answers: The answers' texts, without the end marker.
    """

    tokens: np.ndarray
    answer_mask: np.ndarray
    lengths: np.ndarray
    finished: np.ndarray
    log_probs: np.ndarray
    answers: list


def log_softmax(logits):
    """NumPy log-softmax over the last axis, in float64."""
    z = np.asarray(logits, "float64")
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


DECODE_BATCH = 64  # rows decoded together; a fixed shape compiles the step once


def sample_answers(
    model, tokenizer, prompts, samples_per_prompt, max_new_tokens, end_marker, temperature, rng
):
    """Samples `samples_per_prompt` answers to each prompt, rows grouped by prompt.

    Decoding reads one position at a time for every row with the KV cache, in a compiled step:
    a row still inside its prompt is fed the prompt's next token, a row past it is fed the token
    sampled from the logits. At temperature 1 the log-probabilities are those of the model's own
    distribution, as policy-gradient methods need (never top-k or top-p here). Temperature 0 is
    greedy.

    Args:
        model: A `MiniGPT`.
        tokenizer: Its tokenizer.
        prompts: Prompt texts (already in the chat format).
        samples_per_prompt: Answers per prompt, `k`.
        max_new_tokens: Longest answer, the end marker included; `None`: each row may write
            until the context is full (a short prompt leaves a long answer room).
        end_marker: The one-character string that ends an answer.
        temperature: 1 to sample the model's distribution, 0 for greedy.
        rng: A NumPy `Generator`.

    Returns:
        A `Rollout` with `len(prompts) * k` rows, answers to prompt `i` at rows `i*k ... i*k+k-1`.
    """
    length = model.sequence_length
    end_id = tokenizer.token_to_id(end_marker)
    prompt_ids = [tokenizer.tokenize(p) for p in prompts for _ in range(samples_per_prompt)]
    n = len(prompt_ids)
    lengths = np.array([len(p) for p in prompt_ids], "int32")
    budgets = length - lengths if max_new_tokens is None else np.full(n, max_new_tokens)
    if (lengths + budgets > length).any() or (budgets < 1).any():
        raise ValueError(
            f"a prompt of {lengths.max()} tokens leaves no room for {max_new_tokens or 1} new "
            f"ones in the model's context of {length}"
        )
    tokens = np.zeros((n, length), "int32")
    answer_mask = np.zeros((n, length), "float32")
    log_probs = np.zeros((n, length - 1), "float32")
    finished = np.zeros(n, bool)
    for row, ids in enumerate(prompt_ids):
        tokens[row, : len(ids)] = ids
    rollout = Rollout(tokens, answer_mask, lengths, finished, log_probs, answers=[])
    for start in range(0, n, DECODE_BATCH):
        rows = np.arange(start, min(n, start + DECODE_BATCH))
        decode_rows(model, rollout, rows, budgets[rows], end_id, temperature, rng)
    for row in range(n):
        answer = tokens[row, answer_mask[row] > 0]
        rollout.answers.append(tokenizer.detokenize(answer[:-1] if finished[row] else answer))
    return rollout


def decode_rows(model, rollout, rows, max_new_tokens, end_id, temperature, rng):
    """Decodes the answers of `rows` of `rollout` in place (a batch of `DECODE_BATCH` rows at most).

    The prompts are in `rollout.tokens` and `rollout.lengths`; `max_new_tokens` is each row's
    longest answer (or one for all); `rollout.answers` is left as it is.
    """
    tokens, answer_mask, lengths = rollout.tokens, rollout.answer_mask, rollout.lengths
    finished, log_probs = rollout.finished, rollout.log_probs
    prompt_lengths = lengths[rows].copy()
    cache = keras.ops.convert_to_numpy(model.empty_cache(DECODE_BATCH))
    done = np.zeros(len(rows), bool)
    for position in range(int((prompt_lengths + max_new_tokens).max()) - 1):
        fed = np.zeros((DECODE_BATCH, 1), "int32")
        fed[: len(rows), 0] = tokens[rows, position]
        logits, cache = compiled_call(model, "call_with_cache", fed, cache, np.int32(position))
        logits = logits[:, -1]  # the next token's, (DECODE_BATCH, vocab)
        answering = (position + 1 >= prompt_lengths) & ~done  # the next token is the model's
        if answering.any():
            logp = log_softmax(np.asarray(logits)[: len(rows)])  # (rows, vocab)
            if temperature == 0:
                chosen = logp.argmax(-1)
            else:
                logp = log_softmax(logp / temperature)  # the distribution that is sampled
                u = rng.random((len(rows), 1))
                chosen = (np.cumsum(np.exp(logp), -1) < u).sum(-1).clip(0, logp.shape[-1] - 1)
            live = rows[answering]
            tokens[live, position + 1] = chosen[answering]
            answer_mask[live, position + 1] = 1.0
            log_probs[live, position] = logp[answering, chosen[answering]]
            lengths[live] += 1
            finished[live] = chosen[answering] == end_id
            done |= answering & (chosen == end_id)
        done |= position + 2 >= prompt_lengths + max_new_tokens  # no room left for this row
        if done.all():
            break


def pack(tokenizer, prompts, answers, length):
    """Encodes prompt + answer texts, right-padded to `length`: `(tokens, answer_mask, lengths)`.

    `answers` are written as the model emits them (the end marker included when finished).
    """
    tokens = np.zeros((len(prompts), length), "int32")
    answer_mask = np.zeros((len(prompts), length), "float32")
    lengths = np.zeros(len(prompts), "int32")
    for row, (prompt, answer) in enumerate(zip(prompts, answers)):
        ids = np.concatenate([tokenizer.tokenize(prompt), tokenizer.tokenize(answer)])
        if len(ids) > length:
            raise ValueError(
                f"a prompt and answer of {len(ids)} tokens exceed the context {length}"
            )
        tokens[row, : len(ids)] = ids
        answer_mask[row, len(prompt) : len(ids)] = 1.0
        lengths[row] = len(ids)
    return tokens, answer_mask, lengths
