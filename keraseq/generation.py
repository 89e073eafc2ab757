"""Text generation: sample one token at a time from a language model, streaming the text."""

import math

import keras
import numpy as np


def check_sampling(max_new_tokens, temperature, top_k, top_p):
    """Raises a clear `ValueError` for a bad sampling setting."""
    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or max_new_tokens < 1
    ):
        raise ValueError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    if not 0 <= temperature < math.inf:  # NaN too
        raise ValueError(
            f"temperature must be a finite number >= 0 (0 is greedy), got {temperature}"
        )
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")


def sample_token(logits, temperature=1.0, top_k=None, top_p=None, rng=None):
    """Picks the next token id from one row of logits `(vocab,)` (NumPy).

    Temperature 0 is greedy (the argmax). Otherwise the logits are divided by the temperature, cut
    to the `top_k` most likely tokens and to the smallest set whose probability reaches `top_p`
    (nucleus sampling), and one token is drawn from what is left.
    """
    logits = np.asarray(logits, dtype="float64")
    if temperature == 0:
        return int(np.argmax(logits))
    with np.errstate(over="ignore"):  # a tiny temperature: -inf for all but the likeliest, no NaN
        logits = (logits - logits.max()) / temperature
    if top_k is not None and top_k < len(logits):
        kth = np.sort(logits)[-top_k]
        logits = np.where(logits < kth, -np.inf, logits)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    if top_p is not None and top_p < 1:
        order = np.argsort(-probs)
        before = np.cumsum(probs[order]) - probs[order]  # mass of the more likely tokens
        probs[order[before >= top_p]] = 0.0  # keep the smallest prefix whose mass reaches top_p
        probs /= probs.sum()
    rng = rng if rng is not None else np.random.default_rng()
    return int(rng.choice(len(probs), p=probs))


def stream(
    model, tokenizer, prompt, max_new_tokens, temperature=1.0, top_k=None, top_p=None, seed=None
):
    """Like `generate`, but yields the text of each new token as soon as it is sampled."""
    check_sampling(max_new_tokens, temperature, top_k, top_p)
    if not hasattr(model, "generate_start"):
        raise ValueError(
            f"a {type(model).__name__} cannot generate text: expected a language model such as "
            "MiniGPT or RecurrentLM"
        )
    if not prompt:
        raise ValueError("the prompt is empty: give the model at least one character to continue")
    prompt_ids = tokenizer.tokenize(prompt)[None, :]  # (1, P)
    rng = np.random.default_rng(seed)
    logits, state = model.generate_start(prompt_ids)  # (1, vocab)
    for i in range(max_new_tokens):
        token = sample_token(keras.ops.convert_to_numpy(logits)[0], temperature, top_k, top_p, rng)
        yield tokenizer.detokenize([token])
        if i + 1 < max_new_tokens:
            logits, state = model.generate_step(np.array([token], "int32"), state)


def generate(
    model,
    tokenizer,
    prompt,
    max_new_tokens,
    temperature=1.0,
    top_k=None,
    top_p=None,
    seed=None,
    on_token=None,
):
    """Continues `prompt` with `max_new_tokens` sampled tokens.

    A `MiniGPT` decodes with its KV cache (each new token attends to cached keys and values), a
    `RecurrentLM` carries its recurrent states (each new token is one step of the cells): neither
    re-reads the text it has already read. Any model with `generate_start`/`generate_step` works
    (see `keraseq.models`).

    Args:
        model: A `keraseq.models.MiniGPT` or `RecurrentLM`.
        tokenizer: The model's tokenizer (`tokenize`, `detokenize`).
        prompt: The text to continue, non-empty, in the tokenizer's vocabulary.
        max_new_tokens: How many tokens to add, positive.
        temperature: Sharpens (< 1) or flattens (> 1) the distribution; 0 is greedy decoding.
        top_k: Sample among the `top_k` most likely tokens only.
        top_p: Sample among the most likely tokens whose total probability reaches `top_p`, in
            (0, 1].
        seed: Seed of the sampling, for a reproducible text.
        on_token: Called with the text of each new token as it comes (to stream it).

    Returns:
        The generated text, without the prompt.

    Raises:
        ValueError: A bad setting, an empty prompt or one with characters the tokenizer lacks.

    Example:

    ```python
    model, tokenizer = keraseq.load_checkpoint("runs/transformer")
    print(keraseq.generate(model, tokenizer, "ROMEO:", 200, temperature=0.8, top_k=40, seed=0))
    ```
    """
    pieces = []
    for piece in stream(model, tokenizer, prompt, max_new_tokens, temperature, top_k, top_p, seed):
        pieces.append(piece)
        if on_token is not None:
            on_token(piece)
    return "".join(pieces)


def greedy_by_recomputing(model, tokenizer, prompt, max_new_tokens):
    """Greedy decoding the slow way: the whole context is read again for every new token.

    The reference that the cached decoding of `generate(..., temperature=0)` must equal, token for
    token. The window (the last `sequence_length` tokens for a `MiniGPT`) is right-padded to one
    fixed length so that the compiled `predict_on_batch` serves every step; a causal model's
    logits at the last real token cannot see the padding.

    Args:
        model: A `MiniGPT` (its context is `model.sequence_length`) or any causal model.
        tokenizer: The model's tokenizer.
        prompt: The text to continue, non-empty.
        max_new_tokens: How many tokens to add.

    Returns:
        The generated text, without the prompt.
    """
    ids = list(tokenizer.tokenize(prompt))
    length = getattr(model, "sequence_length", len(ids) + max_new_tokens)
    for _ in range(max_new_tokens):
        window = ids[-length:]
        padded = np.zeros((1, length), "int32")
        padded[0, : len(window)] = window  # (1, length)
        logits = keras.ops.convert_to_numpy(model.predict_on_batch(padded))  # (1, length, vocab)
        ids.append(int(np.argmax(logits[0, len(window) - 1])))
    return tokenizer.detokenize(ids[len(prompt) :])
