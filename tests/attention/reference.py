"""NumPy references for the attention tests: the equations, written independently of keraseq."""

import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention(q, k, v, allowed=None):
    """softmax(Q K^T / sqrt(d)) V in float64; rows with nothing allowed give zero weights."""
    q, k, v = (np.asarray(a, "float64") for a in (q, k, v))
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if allowed is None:
        weights = softmax(scores)
    else:
        allowed = np.broadcast_to(allowed, scores.shape)
        with np.errstate(invalid="ignore"):  # a fully masked row is NaN here, then 0 below
            weights = softmax(np.where(allowed, scores, -np.inf))
        weights = np.where(allowed.any(-1, keepdims=True), weights, 0.0)
    return weights @ v, weights


def tril(t, s, start=0):
    return np.arange(t)[:, None] + start >= np.arange(s)[None, :]
