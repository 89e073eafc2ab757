"""The parameters of the plain-JAX and plain-TensorFlow MiniGPT twins, as NumPy arrays.

One layout for `jax_minigpt.py` and `tf_minigpt.py` (and their test, which copies the PyTorch
twin's weights into it): `wte` (vocab, d), `wpe` (context, d), `lnf_g`/`lnf_b` (d,), and per block
`ln1_g`, `ln1_b`, `W_qkv` (d, 3d), `b_qkv`, `W_o` (d, d), `b_o`, `ln2_g`, `ln2_b`, `W_1` (d, 4d),
`b_1`, `W_2` (4d, d), `b_2`. Products are `x @ W`.
"""

import numpy as np


def init(config, vocab, seed=0):
    """Matrices N(0, 0.02), biases 0, norms' scales 1 and offsets 0, as `torch_minigpt`'s twin."""
    d, inner = config.hidden_dim, 4 * config.hidden_dim
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return rng.normal(0.0, 0.02, shape).astype("float32")

    def ones(size):
        return np.ones(size, "float32")

    def zeros(size):
        return np.zeros(size, "float32")

    def block():
        return {
            "ln1_g": ones(d),
            "ln1_b": zeros(d),
            "W_qkv": normal(d, 3 * d),
            "b_qkv": zeros(3 * d),
            "W_o": normal(d, d),
            "b_o": zeros(d),
            "ln2_g": ones(d),
            "ln2_b": zeros(d),
            "W_1": normal(d, inner),
            "b_1": zeros(inner),
            "W_2": normal(inner, d),
            "b_2": zeros(d),
        }

    return {
        "wte": normal(vocab, d),
        "wpe": normal(config.sequence_length, d),
        "blocks": [block() for _ in range(config.num_layers)],
        "lnf_g": ones(d),
        "lnf_b": zeros(d),
    }
