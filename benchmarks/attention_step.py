"""Time keraseq's MultiHeadAttention and TransformerBlock against the Keras and keras-hub built-ins,
plain PyTorch, and cached generation against recomputing the context.

1. Training step: forward, backward and SGD update of a model `layer + mean squared error` on a
   batch of 8 sequences of 256 tokens of width 384, 6 heads (head size 64), causal self-attention.
   `keraseq.layers.MultiHeadAttention` against `keras.layers.MultiHeadAttention`, and
   `keraseq.layers.TransformerBlock(normalize_first=True, intermediate_dim=1536)` against
   `keras_hub.layers.TransformerDecoder` with the same configuration. The Keras models are compiled
   the same way (Keras's default `jit_compile="auto"`) and stepped with `train_on_batch`. On the
   torch backend run, the same block and attention written in plain PyTorch (`nn.Linear`,
   `F.scaled_dot_product_attention`, `nn.LayerNorm`) are timed in the same process.
2. Generation: time per new token for one sequence at context 256, with the KV cache (one
   `TransformerBlock` call on the new token, writing at index 255) against recomputing the whole
   context (one causal call on 256 tokens), each under the backend's compiler (`jax.jit`,
   `tf.function`, torch eager under `torch.no_grad()`, as keraseq's decoding runs there; changed
   after seeing results: until 2026-11-29 17:43 torch recorded the autograd graph of every op,
   which no decoding loop needs). A timed call is 10 consecutive tokens, each waited for, as
   generation runs them: a lone cached step timed right after a recompute of the whole context
   runs on a cold CPU cache (measured on torch: 2.76 ms against 1.76 ms back to back), which no
   generation loop sees. The inputs are the backend's tensors, made once; the cache index is a
   tensor under `jax.jit` and `tf.function` and a Python int on eager torch (changed after seeing
   results: until 2026-11-29 it was a NumPy int, which `Layer.__call__` turns into a tensor).

Contenders are timed in interleaved rounds (one call of each per round) so that a noisy machine
slows them alike; the tables report the median over the rounds, after warm-up rounds.

Usage:

    python benchmarks/attention_step.py                      # jax, tensorflow, torch
    python benchmarks/attention_step.py --backends torch --steps 10

Each backend runs in its own process (Keras picks its backend at import). The combined table is
printed and written to `benchmarks/results/attention.md` and `.json`.
"""

import harness

BATCH, TOKENS, WIDTH, HEADS, INTERMEDIATE = 8, 256, 384, 6, 1536
TOKENS_PER_CALL = 10  # consecutive new tokens per timed generation call


# --- 1. training steps: each returns a zero-argument function doing one step
# -------------------------
def keras_step(attend):
    """A model `attend(x) -> (B, T, WIDTH)` trained on MSE with SGD, one `train_on_batch` a step."""
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, TOKENS, WIDTH)).astype("float32")
    y = rng.normal(size=(BATCH, TOKENS, WIDTH)).astype("float32")
    inputs = keras.Input((TOKENS, WIDTH))
    model = keras.Model(inputs, attend(inputs))
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")

    def step():
        return float(model.train_on_batch(x, y))  # float() waits for the result

    step.jit_compile = model.jit_compile
    return step


def torch_step(module):
    import torch

    torch.manual_seed(0)
    x, y = torch.randn(BATCH, TOKENS, WIDTH), torch.randn(BATCH, TOKENS, WIDTH)
    optimizer = torch.optim.SGD(module.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(module(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_modules():
    """Causal self-attention and the pre-norm block in plain PyTorch (nanoGPT style)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv, self.proj = nn.Linear(WIDTH, 3 * WIDTH), nn.Linear(WIDTH, WIDTH)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = (
                self.qkv(x).view(b, t, 3, HEADS, WIDTH // HEADS).permute(2, 0, 3, 1, 4)
            )  # (B, heads, T, d)
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, heads, T, d)
            return self.proj(o.transpose(1, 2).reshape(b, t, WIDTH))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.attn, self.ln2 = (
                nn.LayerNorm(WIDTH, eps=1e-5),
                SelfAttention(),
                nn.LayerNorm(WIDTH, eps=1e-5),
            )
            self.ffn = nn.Sequential(
                nn.Linear(WIDTH, INTERMEDIATE), nn.ReLU(), nn.Linear(INTERMEDIATE, WIDTH)
            )

        def forward(self, x):
            h = x + self.attn(self.ln1(x))
            return h + self.ffn(self.ln2(h))

    torch.manual_seed(0)
    return SelfAttention(), Block()


def training_contenders(backend):
    import keras
    import keras_hub

    import keraseq

    def mha(cls):
        return lambda x: cls(HEADS, WIDTH // HEADS)(x, x, use_causal_mask=True)

    found = {
        "keraseq MultiHeadAttention": lambda: keras_step(mha(keraseq.layers.MultiHeadAttention)),
        "keras MultiHeadAttention": lambda: keras_step(mha(keras.layers.MultiHeadAttention)),
        "keraseq TransformerBlock": lambda: keras_step(
            keraseq.layers.TransformerBlock(HEADS, INTERMEDIATE, normalize_first=True)
        ),
        "keras_hub TransformerDecoder": lambda: keras_step(
            keras_hub.layers.TransformerDecoder(INTERMEDIATE, HEADS, normalize_first=True)
        ),
    }
    if backend == "torch":
        attention, block = torch_modules()
        found["torch attention"] = lambda: torch_step(attention)
        found["torch block"] = lambda: torch_step(block)
    return {name: make() for name, make in found.items()}


# --- 2. generation: one new token with the cache against recomputing the context
# --------------------
def compile_function(backend, fn):
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn)
    import torch

    def without_autograd(*args):  # as keraseq decodes on torch: Keras's predict step, no_grad
        with torch.no_grad():
            return fn(*args)

    return without_autograd


def generation_contenders(backend):
    import keras
    import numpy as np

    import keraseq

    block = keraseq.layers.TransformerBlock(HEADS, INTERMEDIATE, normalize_first=True)
    context = np.random.default_rng(0).normal(size=(1, TOKENS, WIDTH)).astype("float32")
    block(context)
    cache = keraseq.layers.empty_kv_cache(1, TOKENS, HEADS, WIDTH // HEADS)
    cache = block(context[:, :-1], cache=cache, cache_update_index=0)[1]  # the prompt, once
    new_token = keras.ops.convert_to_tensor(context[:, -1:])
    # Under a compiler the index is a tensor, so that one trace serves every position; eager torch
    # gets a Python int, as an eager decoding loop holds it (a NumPy one becomes a tensor in
    # `Layer.__call__`, which hides its value from the layer).
    index = TOKENS - 1 if backend == "torch" else keras.ops.convert_to_tensor(np.int32(TOKENS - 1))
    context = keras.ops.convert_to_tensor(context)
    cached = compile_function(backend, lambda x, c, i: block(x, cache=c, cache_update_index=i))
    recompute = compile_function(backend, lambda x: block(x)[:, -1:])
    wait = keras.ops.convert_to_numpy  # returns once the result is computed

    def tokens(step):
        def run():
            for _ in range(TOKENS_PER_CALL):
                wait(step())  # the next token needs this one's output

        return run

    return {
        "with KV cache": tokens(lambda: cached(new_token, cache, index)[0]),
        "recompute context": tokens(lambda: recompute(context)),
    }


# --- one backend, in this process
# -------------------------------------------------------------------
def measure(backend, args):
    import keras

    threads = harness.threads_report(args.threads)
    training = training_contenders(backend)
    generation = generation_contenders(backend)
    return {
        "backend": backend,
        "keras": keras.__version__,
        "jit_compile": training["keraseq MultiHeadAttention"].jit_compile,
        "threads": threads,
        "training_median_ms": harness.medians(
            harness.interleaved_times(training, args.steps, args.warmup)
        ),
        "generation_median_ms": {  # per token
            name: ms / TOKENS_PER_CALL
            for name, ms in harness.medians(
                harness.interleaved_times(generation, args.steps, args.warmup)
            ).items()
        },
    }


# --- the tables -----------------------------------------------------------------------------------
def markdown(results, args):
    lines = [
        f"Training step (forward, backward, SGD; MSE), batch {BATCH}, {TOKENS} tokens, width "
        f"{WIDTH}, "
        f"{HEADS} heads, causal; block: pre-norm, FFN {INTERMEDIATE}. Median ms over {args.steps} "
        f"interleaved rounds after {args.warmup} warm-up rounds. {harness.machine_line(results)}",
        "",
        "| backend | layer | keraseq ms | built-in ms | keraseq / built-in | plain torch ms | "
        "keraseq / plain torch |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    pairs = [
        ("MultiHeadAttention", "keras MultiHeadAttention", "torch attention"),
        ("TransformerBlock", "keras_hub TransformerDecoder", "torch block"),
    ]
    torch_ms = next((r["training_median_ms"] for r in results if r["backend"] == "torch"), {})
    for result in results:
        ms = result["training_median_ms"]
        for layer, builtin, plain in pairs:
            ours = ms[f"keraseq {layer}"]
            reference = torch_ms.get(plain)
            lines.append(
                f"| {result['backend']} | {layer} | {ours:.1f} | {ms[builtin]:.1f} | "
                f"{harness.ratio(ours, ms[builtin])} | "
                f"{f'{reference:.1f}' if reference else '–'} | {harness.ratio(ours, reference)} |"
            )
    lines += [
        "",
        f"Generation, one sequence, context {TOKENS}: ms per new token through one "
        f"`TransformerBlock`, in calls of {TOKENS_PER_CALL} consecutive tokens.",
        "",
        "| backend | with KV cache ms | recompute context ms | speed-up |",
        "| --- | ---: | ---: | ---: |",
    ]
    for result in results:
        cached, full = (
            result["generation_median_ms"]["with KV cache"],
            result["generation_median_ms"]["recompute context"],
        )
        lines.append(
            f"| {result['backend']} | {cached:.2f} | {full:.2f} | {harness.ratio(full, cached)} |"
        )
    lines += ["", "Plain torch is timed in the torch backend's process."]
    return harness.report(lines, results)


if __name__ == "__main__":
    harness.main(
        __file__, harness.parse_args(__doc__.split("\n\n")[0], "attention"), measure, markdown
    )
