"""A plain-TensorFlow twin of `keraseq.models.MiniGPT`'s training step: what TensorFlow allows.

`jax_minigpt.py`'s model and recipe (the architecture of `torch_minigpt.TorchMiniGPT`; AdamW after
global-norm clipping, at a constant learning rate) written with `tf` ops and `tf.Variable`s, no
Keras, its step one `tf.function` without XLA, as Keras runs a TensorFlow step on a CPU-only
machine (`jit_compile="auto"` turns XLA off there). `framework_twins.py` times it beside keraseq in
the TensorFlow process: if plain TensorFlow is as slow as keraseq against eager PyTorch, the gap is
TensorFlow's runtime, not Keras or keraseq.
"""

import math

import minigpt_params
import tensorflow as tf


class TFMiniGPT(tf.Module):
    """The twin's variables, in `minigpt_params.init`'s layout."""

    def __init__(self, config, params):
        super().__init__()
        self.heads = config.num_heads
        self.wte, self.wpe = tf.Variable(params["wte"]), tf.Variable(params["wpe"])
        self.blocks = [{k: tf.Variable(v) for k, v in p.items()} for p in params["blocks"]]
        self.lnf_g, self.lnf_b = tf.Variable(params["lnf_g"]), tf.Variable(params["lnf_b"])

    def __call__(self, idx):
        T = idx.shape[1]
        x = tf.gather(self.wte, idx) + self.wpe[:T]  # (B, T, d)
        for p in self.blocks:
            x = x + self.attention(layer_norm(x, p["ln1_g"], p["ln1_b"]), p)
            h = tf.nn.gelu(layer_norm(x, p["ln2_g"], p["ln2_b"]) @ p["W_1"] + p["b_1"])
            x = x + h @ p["W_2"] + p["b_2"]  # (B, T, d)
        return tf.matmul(layer_norm(x, self.lnf_g, self.lnf_b), self.wte, transpose_b=True)

    def attention(self, x, p):
        B, T, C = x.shape
        heads = self.heads
        q, k, v = tf.split(x @ p["W_qkv"] + p["b_qkv"], 3, axis=-1)  # (B, T, C) each
        q, k, v = (tf.reshape(t, (B, T, heads, C // heads)) for t in (q, k, v))
        scores = tf.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(C // heads)  # (B, heads, T, T)
        causal = tf.range(T)[:, None] >= tf.range(T)[None, :]  # (T, T)
        weights = tf.nn.softmax(tf.where(causal, scores, -math.inf), axis=-1)
        y = tf.reshape(tf.einsum("bhqk,bkhd->bqhd", weights, v), (B, T, C))  # (B, T, C)
        return y @ p["W_o"] + p["b_o"]


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = tf.reduce_mean(x, -1, keepdims=True)
    variance = tf.reduce_mean(tf.square(x - mean), -1, keepdims=True)
    return (x - mean) * tf.math.rsqrt(variance + eps) * gamma + beta


def start(config, vocab, params=None):
    """`step(x, y) -> loss`: one AdamW step, a `tf.function` without XLA, of a twin with `params`
    (`minigpt_params.init`'s layout; by default its draws)."""
    model = TFMiniGPT(config, params or minigpt_params.init(config, vocab))
    variables = model.trainable_variables
    m = [tf.Variable(tf.zeros_like(v)) for v in variables]
    s = [tf.Variable(tf.zeros_like(v)) for v in variables]
    t = tf.Variable(0.0)
    lr, b1, b2, eps = config.learning_rate, 0.9, config.beta_2, 1e-8

    @tf.function(jit_compile=False)
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x)  # (B, T, vocab)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
        grads, _ = tf.clip_by_global_norm(tape.gradient(loss, variables), config.global_clipnorm)
        t.assign_add(1.0)
        for p, g, m_p, s_p in zip(variables, grads, m, s):
            m_p.assign(b1 * m_p + (1 - b1) * g)
            s_p.assign(b2 * s_p + (1 - b2) * tf.square(g))
            m_hat, s_hat = m_p / (1 - b1**t), s_p / (1 - b2**t)
            decay = config.weight_decay * p if len(p.shape) >= 2 else 0.0  # matrices only
            p.assign_sub(lr * (m_hat / (tf.sqrt(s_hat) + eps) + decay))
        return loss

    return step
