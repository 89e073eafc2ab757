# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The mini-LLM
#
# A large language model is, first of all, a next-token predictor: given the text so far, it
# outputs a probability for every possible next token, and it is *pretrained* by minimizing the
# cross-entropy of the true next token over a large corpus. This page does that at the smallest
# useful scale, on a laptop CPU: a character-level GPT (`keraseq.models.MiniGPT`) and, for
# comparison, an LSTM language model (`keraseq.models.RecurrentLM`), trained with the same recipe,
# then sampled token by token, the GPT with a KV cache and the LSTM carrying its state.
#
# Everything here is also a command: `keraseq train --model transformer --out runs/transformer`
# then `keraseq generate runs/transformer --prompt "..."`.

# %%
import os

# Pick the backend before Keras is imported: "jax", "tensorflow" or "torch".
os.environ.setdefault("KERAS_BACKEND", "jax")

import csv
import inspect
import tempfile
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

import keraseq
from keraseq.data import CharTokenizer, load_corpus
from keraseq.training import train
from keraseq.tutorial import start

QUICK, rng = start(seed=0)  # QUICK: KERASEQ_QUICK=1 (tests, CI) trains for a few steps only
RUNS = Path(tempfile.mkdtemp(prefix="keraseq-mini-llm-"))

# %% [markdown]
# ## The corpus and the tokenizer
#
# The corpus is the reference text that ships with every CPython (`pydoc_data.topics`: what
# `help("if")` prints), about 465 KB of English, so this page needs no download
# (`load_corpus("shakespeare")` gives Tiny Shakespeare, the benchmark's corpus). The tokenizer is
# the simplest there is: one token per distinct character. Real LLMs use sub-word tokens (byte-pair
# encoding, about 50,000 to 250,000 of them), which packs about four characters into a token.

# %%
text = load_corpus("python-docs")
tokenizer = CharTokenizer.from_text(text)
print(f"{len(text):,} characters, vocabulary of {tokenizer.vocabulary_size()} characters")
ids = tokenizer.tokenize("for x in range(3):")
print(ids, "->", repr(tokenizer.detokenize(ids)))

# %% [markdown]
# ## The model, in code
#
# `MiniGPT` is GPT-2's architecture: token and position embeddings, a stack of pre-norm
# Transformer blocks (`keraseq.layers.TransformerBlock`, see the Transformer page), a final layer
# norm and a head that reuses the token embedding matrix (tied weights). Its forward pass:

# %%
print(inspect.getsource(keraseq.models.MiniGPT.call))
print(inspect.getsource(keraseq.models.MiniGPT.head))

# %% [markdown]
# nanoGPT's CPU recipe: 4 blocks of width 128 with 4 heads, windows of 64 characters, batches of
# 12 (`keraseq train`'s defaults). Quick mode shrinks everything so that the page runs in seconds.

# %%
if QUICK:
    STEPS = 20
    SETTINGS = dict(steps=20, eval_interval=10, eval_batches=2, batch_size=8, sequence_length=32)
    SIZES = {
        "transformer": dict(num_layers=2, hidden_dim=64),
        "lstm": dict(num_layers=1, hidden_dim=64),
    }
else:
    STEPS = 1000
    SETTINGS = dict(steps=STEPS, eval_interval=50, eval_batches=20)
    SIZES = {"transformer": {}, "lstm": {}}  # the recipe's: GPT 4 x 128, LSTM 2 x 256
SETTINGS["corpus"] = "python-docs"
gpt_config = keraseq.training.TrainConfig(
    model="transformer", **SETTINGS, **SIZES["transformer"]
).resolved()
untrained = keraseq.training.build_model(gpt_config, tokenizer.vocabulary_size())
n_gpt = untrained.count_params()
print(f"MiniGPT: {n_gpt:,} parameters")

# %% [markdown]
# ## Before training
#
# With random weights, every character is about equally likely: the loss is near
# $\ln(\text{vocabulary}) $ and the samples are noise.

# %%
print(f"ln(vocabulary) = {np.log(tokenizer.vocabulary_size()):.2f}")
print(keraseq.generate(untrained, tokenizer, "The ", 40 if QUICK else 120, seed=0))

# %% [markdown]
# ## Pretraining
#
# `keraseq.training.train` is what `keraseq train` runs: Keras's `fit` on random windows of the
# corpus (first 90% for training, last 10% for validation), AdamW with a linear warm-up and a cosine
# decay, gradient clipping, a checkpoint and a row of `metrics.csv` at every evaluation.

# %%
started = time.perf_counter()
gpt = train(
    RUNS / "transformer", model="transformer", verbose=0, **SETTINGS, **SIZES["transformer"]
)
print(f"{STEPS} steps in {time.perf_counter() - started:.0f} s")


def read_metrics(run):
    with open(RUNS / run / "metrics.csv") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


gpt_metrics = read_metrics("transformer")
print("step  train   val")
for row in gpt_metrics[-3:]:
    print(f"{row['step']:4.0f}  {row['train_loss']:.3f}  {row['val_loss']:.3f}")

# %% [markdown]
# ## After training

# %%
model, tokenizer = keraseq.load_checkpoint(RUNS / "transformer")
print(
    keraseq.generate(
        model, tokenizer, "The ", 40 if QUICK else 300, temperature=0.8, top_k=20, seed=0
    )
)

# %% [markdown]
# ## The KV cache
#
# To pick token $t+1$ the model needs the attention of position $t$ over positions $0 \dots t$.
# The keys and values of the earlier positions do not change when a token is appended, so
# `MiniGPT.call_with_cache` keeps them in a cache `(batch, layers, 2, context, heads, head_dim)` and
# computes only the new position. The result must be the same tokens as recomputing the whole
# window for every new token:

# %%
print(inspect.getsource(keraseq.models.MiniGPT.call_with_cache))
print(inspect.getsource(keraseq.generation.greedy_by_recomputing))


n_new = 10 if QUICK else 60
started = time.perf_counter()
cached = keraseq.generate(model, tokenizer, "The ", n_new, temperature=0)
t_cached = time.perf_counter() - started
started = time.perf_counter()
recomputed = keraseq.generation.greedy_by_recomputing(model, tokenizer, "The ", n_new)
t_recomputed = time.perf_counter() - started
print(repr(cached))
print(
    f"same tokens: {cached == recomputed}; with the cache {t_cached:.2f} s (eager), recomputing "
    f"{t_recomputed:.2f} s (compiled); both include their first-call compilation"
)
assert cached == recomputed

# %% [markdown]
# ## The LSTM with the same budget
#
# The recurrent language model reads one character per step and carries $h_t, c_t$; generating a
# token costs one step of the cells whatever the length of the text so far. Same data, same
# recipe, 2 layers of 256 units:

# %%
lstm = train(RUNS / "lstm", model="lstm", verbose=0, **SETTINGS, **SIZES["lstm"])
lstm_metrics = read_metrics("lstm")
n_lstm = lstm.count_params()
print(f"RecurrentLM(lstm, {lstm.num_layers} x {lstm.hidden_dim}): {n_lstm:,} parameters")
print(
    keraseq.generate(
        lstm, tokenizer, "The ", 40 if QUICK else 200, temperature=0.8, top_k=20, seed=0
    )
)

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name, rows in (("MiniGPT", gpt_metrics), ("LSTM 2 x 256", lstm_metrics)):
    steps = [r["step"] for r in rows]
    ax.plot(steps, [r["train_loss"] for r in rows], "--", label=f"{name} train")
    ax.plot(steps, [r["val_loss"] for r in rows], "-o", ms=3, label=f"{name} validation")
ax.set_xlabel("step")
ax.set_ylabel("cross-entropy (nats per character)")
ax.legend()
ax.set_title(f"Pretraining on CPython's docs, {keras.backend.backend()}")
plt.show()
print(
    f"final validation loss: MiniGPT {gpt_metrics[-1]['val_loss']:.3f}, "
    f"LSTM {lstm_metrics[-1]['val_loss']:.3f}"
)

# %% [markdown]
# At this scale the LSTM holds its own: with a context of 64 characters and a few thousand steps,
# what matters most is local spelling and syntax, which a recurrent state captures well. The
# Transformer's advantages appear with scale: every position is computed in parallel during
# training (the LSTM's loop is sequential over time), and attention reaches any earlier token
# directly instead of through a state that every step overwrites.
#
# ## The benchmark on every backend
#
# The page above trains for a few minutes on CPython's docs. The benchmark
# (`python benchmarks/minigpt_shakespeare.py`) runs nanoGPT's full CPU recipe, 2000 steps on Tiny
# Shakespeare, as `keraseq train` on each backend, for MiniGPT and the 2 x 256 LSTM, and times a
# plain-PyTorch twin of MiniGPT (`benchmarks/torch_minigpt.py`: the same architecture, optimizer,
# learning rates and batches) in the same run. The references measured on this machine with
# nanoGPT itself: validation loss 1.8857 for the GPT and 1.7638 for the LSTM. Its last
# measurement, the table as the benchmark wrote it in `benchmarks/results/minigpt.md` (the
# Benchmarks page shows the same file):

# %%
from IPython.display import Markdown, display

saved = next(
    (
        p
        for p in (Path("../benchmarks/results/minigpt.md"), Path("benchmarks/results/minigpt.md"))
        if p.is_file()
    ),
    None,
)
if saved is None:
    print("benchmarks/results/minigpt.md is not here: run the benchmark to fill this table")
else:
    _, table = saved.read_text(encoding="utf-8").split(
        "\n", 1
    )  # under this page's heading, not its own
    display(Markdown(table))

# %% [markdown]
# ## On the scale of real LLMs

# %%
scale = {
    "keraseq MiniGPT (this page)": n_gpt,
    "GPT-2 small (2019)": 124e6,
    "LLaMA 7B (2023)": 7e9,
    "LLaMA 70B (2023)": 70e9,
    "GPT-3 (2020)": 175e9,
    "PaLM (2022)": 540e9,
}
for name, n in scale.items():
    print(f"{name:30s} {n:>18,.0f} parameters   {n / n_gpt:>12,.0f} x MiniGPT")
seen = STEPS * gpt_config.batch_size * gpt_config.sequence_length
print(
    f"\nthis MiniGPT read {seen:,} characters in training, with a context of "
    f"{gpt_config.sequence_length}; GPT-3 read about 300,000,000,000 tokens, with a context of 2048"
)

# %% [markdown]
# The equations are the same ones: embeddings, causal self-attention,
# feed-forward networks, layer norms and next-token cross-entropy. Everything beyond that (the
# data, sub-word tokenizers, the second and third stages of instruction tuning and preference
# tuning, and the engineering of training on thousands of accelerators) is what this page leaves
# out.
