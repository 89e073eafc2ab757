"""A plain-JAX twin of `keraseq.models.MiniGPT`'s training step: what XLA's CPU runtime allows.

`torch_minigpt.TorchMiniGPT`'s architecture and recipe written with `jax.numpy` alone, no Keras:
token + position embeddings, pre-norm blocks (one biased product for Q, K and V, causal softmax
attention, a biased output projection, a GELU MLP), a final LayerNorm, the head tied to the token
embedding, N(0, 0.02) initialization; AdamW (beta2 0.99, eps 1e-8, weight decay on matrices only)
after global-norm clipping, at a constant learning rate. One `jax.jit` step per batch, its
parameters and optimizer state donated, as a JAX user would write it. `framework_twins.py` times it
beside keraseq in the JAX process: if plain JAX is as slow as keraseq against eager PyTorch, the
gap is XLA's CPU code, not Keras or keraseq.
"""

import math

import jax
import jax.numpy as jnp
import minigpt_params


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(variance + eps) * gamma + beta


def attention(x, p, heads):
    B, T, C = x.shape
    q, k, v = jnp.split(x @ p["W_qkv"] + p["b_qkv"], 3, axis=-1)  # (B, T, C) each
    q, k, v = (t.reshape(B, T, heads, C // heads) for t in (q, k, v))  # (B, T, heads, head_dim)
    scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(C // heads)  # (B, heads, T, T)
    causal = jnp.arange(T)[:, None] >= jnp.arange(T)[None, :]  # (T, T)
    weights = jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1)
    y = jnp.einsum("bhqk,bkhd->bqhd", weights, v).reshape(B, T, C)  # (B, T, C)
    return y @ p["W_o"] + p["b_o"]


def forward(params, idx, heads):
    x = params["wte"][idx] + params["wpe"][: idx.shape[1]]  # (B, T, d)
    for p in params["blocks"]:
        x = x + attention(layer_norm(x, p["ln1_g"], p["ln1_b"]), p, heads)
        h = jax.nn.gelu(
            layer_norm(x, p["ln2_g"], p["ln2_b"]) @ p["W_1"] + p["b_1"], approximate=False
        )
        x = x + h @ p["W_2"] + p["b_2"]  # (B, T, d)
    return layer_norm(x, params["lnf_g"], params["lnf_b"]) @ params["wte"].T  # (B, T, vocab)


def loss_of(params, x, y, heads):
    logits = forward(params, x, heads)  # (B, T, vocab)
    log_p = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(log_p, y[..., None], axis=-1).mean()


def make_step(config):
    """`step(params, state, x, y) -> (params, state, loss)`, jitted, params and state donated."""
    lr, b1, b2, eps = config.learning_rate, 0.9, config.beta_2, 1e-8

    def step(params, state, x, y):
        loss, grads = jax.value_and_grad(loss_of)(params, x, y, config.num_heads)
        leaves = jax.tree_util.tree_leaves(grads)
        norm = jnp.sqrt(sum(jnp.sum(g * g) for g in leaves))
        scale = jnp.minimum(1.0, config.global_clipnorm / (norm + 1e-6))
        grads = jax.tree_util.tree_map(lambda g: g * scale, grads)  # clipped
        t = state["t"] + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g**2, state["v"], grads)

        def update(p, m, v):
            decay = config.weight_decay * p if p.ndim >= 2 else 0.0  # matrices only
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            return p - lr * (m_hat / (jnp.sqrt(v_hat) + eps) + decay)

        params = jax.tree_util.tree_map(update, params, m, v)
        return params, {"t": t, "m": m, "v": v}, loss

    return jax.jit(step, donate_argnums=(0, 1))


def start(config, vocab, params=None):
    """`step(x, y) -> loss`: one AdamW step on NumPy ids (its state kept inside) of a twin with
    `params` (`minigpt_params.init`'s layout; by default its draws)."""
    params = jax.tree_util.tree_map(jnp.asarray, params or minigpt_params.init(config, vocab))

    def zeros():
        return jax.tree_util.tree_map(jnp.zeros_like, params)

    box = {"params": params, "state": {"t": jnp.zeros((), jnp.float32), "m": zeros(), "v": zeros()}}
    jitted = make_step(config)

    def step(x, y):
        box["params"], box["state"], loss = jitted(box["params"], box["state"], x, y)
        return loss

    return step
