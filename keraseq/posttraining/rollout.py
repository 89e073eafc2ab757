"""Answers sampled from a language model, with the log-probability of every sampled token."""

import dataclasses

import keras
import numpy as np


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


def sample_answers(
    model, tokenizer, prompts, samples_per_prompt, max_new_tokens, end_marker, temperature, rng
):
    """Samples `samples_per_prompt` answers to each prompt, rows grouped by prompt.

    Decoding uses the model's KV cache; prompts of one length decode together. At temperature 1
    the log-probabilities are those of the model's own distribution, as policy-gradient methods
    need (never top-k or top-p here). Temperature 0 is greedy.

    Args:
        model: A `MiniGPT`.
        tokenizer: Its tokenizer.
        prompts: Prompt texts (already in the chat format).
        samples_per_prompt: Answers per prompt, `k`.
        max_new_tokens: Longest answer, the end marker included.
        end_marker: The one-character string that ends an answer.
        temperature: 1 to sample the model's distribution, 0 for greedy.
        rng: A NumPy `Generator`.

    Returns:
        A `Rollout` with `len(prompts) * k` rows, answers to prompt `i` at rows `i*k ... i*k+k-1`.
    """
    length = model.sequence_length
    end_id = tokenizer.token_to_id(end_marker)
    prompt_ids = [tokenizer.tokenize(p) for p in prompts]
    longest = max(len(p) for p in prompt_ids)
    if longest + max_new_tokens > length:
        raise ValueError(
            f"a prompt of {longest} tokens plus {max_new_tokens} new ones exceeds the model's "
            f"context of {length}"
        )
    n = len(prompts) * samples_per_prompt
    tokens = np.zeros((n, length), "int32")
    answer_mask = np.zeros((n, length), "float32")
    log_probs = np.zeros((n, length - 1), "float32")
    lengths = np.zeros(n, "int32")
    finished = np.zeros(n, bool)
    by_length = {}
    for i, ids in enumerate(prompt_ids):
        by_length.setdefault(len(ids), []).append(i)
    for prompt_length, indices in by_length.items():
        rows = np.array(
            [i * samples_per_prompt + j for i in indices for j in range(samples_per_prompt)]
        )
        context = np.repeat(np.stack([prompt_ids[i] for i in indices]), samples_per_prompt, axis=0)
        tokens[rows, :prompt_length] = context
        lengths[rows] = prompt_length
        done = np.zeros(len(rows), bool)
        logits, state = model.generate_start(context)  # (rows, vocab)
        for step in range(max_new_tokens):
            position = prompt_length + step
            logp = log_softmax(keras.ops.convert_to_numpy(logits))  # (rows, vocab)
            if temperature == 0:
                chosen = logp.argmax(-1)
            else:
                scaled = log_softmax(logp / temperature)
                u = rng.random((len(rows), 1))
                chosen = (np.cumsum(np.exp(scaled), -1) < u).sum(-1).clip(0, logp.shape[-1] - 1)
                logp = scaled  # the distribution that was sampled
            live = rows[~done]
            tokens[live, position] = chosen[~done]
            answer_mask[live, position] = 1.0
            log_probs[live, position - 1] = logp[~done, chosen[~done]]
            lengths[live] += 1
            finished[live] = chosen[~done] == end_id
            done |= chosen == end_id
            if done.all() or step + 1 == max_new_tokens:
                break
            logits, state = model.generate_step(chosen.astype("int32"), state)
    answers = []
    for row in range(n):
        answer = tokens[row, answer_mask[row] > 0]
        answers.append(tokenizer.detokenize(answer[:-1] if finished[row] else answer))
    return Rollout(tokens, answer_mask, lengths, finished, log_probs, answers)


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
