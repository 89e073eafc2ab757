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
# keraseq comes first: it picks the backend before Keras is imported, KERAS_BACKEND's ("jax",
# "tensorflow" or "torch"), else the one installed. Everything below runs unchanged on each.
import keraseq  # isort: skip

import csv
import json
import tempfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from keraseq.data import CharTokenizer, WindowBatches, load_corpus, train_validation_split
from keraseq.training import train
from keraseq.tutorial import check, claim, say, show, show_source, start

QUICK, rng = start(seed=0)  # QUICK: KERASEQ_QUICK=1 (tests, CI) trains for a few steps only
RUNS = Path(tempfile.mkdtemp(prefix="keraseq-mini-llm-"))

# %% [markdown]
# ## The corpus and the tokenizer
#
# The corpus is the reference text that ships with every CPython (`pydoc_data.topics`: what
# `help("if")` prints), about 465 KB of English, so this page needs no download
# (`load_corpus("shakespeare")` gives Tiny Shakespeare, the benchmark's corpus). The tokenizer is
# the simplest there is: one token per distinct character. Real LLMs use sub-word tokens learned
# by byte-pair encoding or a similar method (GPT-2 has 50,257 of them, LLaMA 1 and 2 have 32,000,
# LLaMA 3 128,256), so that a frequent word is one token and a token holds several characters.

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
# norm and a head that reuses the token embedding matrix (tied weights): a *decoder-only*
# Transformer, which turns a window of tokens into, at every position, a distribution over the
# next token.
#
# ![The decoder-only GPT pipeline: token ids, token embedding plus position embedding, N pre-norm
# Transformer blocks, a final LayerNorm, the tied output head and a softmax giving the next
# token's probabilities; the sampled token is appended to the input and the loop
# repeats](diagrams/gpt_pipeline.svg)
#
# Its forward pass (docstrings left out; the full source is in the [API reference](api.html)):

# %%
show_source(keraseq.models.MiniGPT.call)
show_source(keraseq.models.MiniGPT.head)

# %% [markdown]
# ## What it learns from: shifted windows
#
# A training example is a window of the text, `x`, and the same window shifted by one character,
# `y`: at every position $t$ the target is the next character, so one window of $T$ characters
# gives $T$ predictions at once (the causal mask keeps position $t$ from reading $y_t$). Training
# minimises the mean cross-entropy $-\ln p(y_t \mid x_{\le t})$. The first 90% of the text
# trains, the last 10% validates (`keraseq.data.train_validation_split`).

# %%
train_ids, val_ids = train_validation_split(tokenizer.tokenize(text))
x, y = WindowBatches(train_ids, batch_size=1, sequence_length=24, num_batches=1, seed=1)[0]
print("x:", repr(tokenizer.detokenize(x[0])))
print("y:", repr(tokenizer.detokenize(y[0])))
check(np.array_equal(x[0, 1:], y[0, :-1]), "y is x shifted by one token")

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
# With random weights, every character should be about equally likely: the loss near
# $\ln(\text{vocabulary})$ and the samples noise. Measured on the window above:

# %%
cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
initial_loss = float(cross_entropy(y, untrained(x)))
uniform_loss = float(np.log(tokenizer.vocabulary_size()))
print(f"loss {initial_loss:.2f}, ln(vocabulary) = {uniform_loss:.2f}")
check(abs(initial_loss - uniform_loss) < 0.5, "an untrained model's loss is near ln(vocabulary)")
print(keraseq.generate(untrained, tokenizer, "The ", 40 if QUICK else 120, seed=0))

# %% [markdown]
# ## Pretraining
#
# `keraseq.training.train` is what `keraseq train` runs: Keras's `fit` on random windows of the
# corpus (first 90% for training, last 10% for validation), AdamW with a linear warm-up and a cosine
# decay, gradient clipping, a checkpoint and a row of `metrics.csv` at every evaluation.

# %%
gpt = train(
    RUNS / "transformer", model="transformer", verbose=0, **SETTINGS, **SIZES["transformer"]
)


def read_metrics(run):
    with open(RUNS / run / "metrics.csv") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


gpt_metrics = read_metrics("transformer")
print("step  train   val")
for row in gpt_metrics[-3:]:
    print(f"{row['step']:4.0f}  {row['train_loss']:.3f}  {row['val_loss']:.3f}")

# %% [markdown]
# ## After training: temperature and top-k
#
# The model gives logits $z$ for the next character; generating means drawing one from
# $p_i \propto \exp(z_i / \tau)$. The temperature $\tau$ sharpens ($\tau < 1$) or flattens
# ($\tau > 1$) the distribution, and $\tau \to 0$ is greedy, always the most likely; top-$k$
# keeps only the $k$ most likely characters and renormalises. `keraseq.generation.sample_token`:

# %%
model, tokenizer = keraseq.load_checkpoint(RUNS / "transformer")
show_source(
    keraseq.generation.sample_token, start="if temperature == 0", end="probs /= probs.sum()"
)
prompt = "The for statement "
logits = keras.ops.convert_to_numpy(model(np.array([tokenizer.tokenize(prompt)])))[0, -1]


def distribution(temperature, top_k=None):
    z = logits / temperature
    if top_k is not None:
        z = np.where(z < np.sort(z)[-top_k], -np.inf, z)
    p = np.exp(z - z.max())
    return p / p.sum()


def entropy(p):
    return float(-np.sum(p[p > 0] * np.log(p[p > 0])))


print(f"the next character after {prompt!r}:")
entropies = {}
for temperature, top_k in [(0.5, None), (1.0, None), (2.0, None), (1.0, 5)]:
    p = distribution(temperature, top_k)
    entropies[temperature, top_k] = entropy(p)
    best = np.argsort(-p)[:5]
    shown = ", ".join(f"{tokenizer.detokenize([i])!r} {p[i]:.2f}" for i in best)
    print(
        f"  temperature {temperature}, top_k {top_k}: {shown}; "
        f"entropy {entropies[temperature, top_k]:.2f} nats, {np.sum(p > 0)} candidates"
    )
check(
    entropies[0.5, None] < entropies[1.0, None] < entropies[2.0, None],
    "a higher temperature flattens the distribution",
)
print()
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
show_source(keraseq.models.MiniGPT.call_with_cache)
show_source(keraseq.generation.greedy_by_recomputing)

n_new = 10 if QUICK else 60
cached = keraseq.generate(model, tokenizer, "The ", n_new, temperature=0)
recomputed = keraseq.generation.greedy_by_recomputing(model, tokenizer, "The ", n_new)
print(repr(cached))
print(f"same tokens: {cached == recomputed}")
assert cached == recomputed

# %% [markdown]
# This page does not time the two: [the Transformer page](transformer.html) times one block both
# ways, and the [benchmarks](benchmarks.html) time them compiled.

# %% [markdown]
# ## The LSTM with the same budget
#
# The recurrent language model reads one character per step and carries $h_t, c_t$; generating a
# token costs one step of the cells whatever the length of the text so far. Same data, same
# recipe:

# %%
lstm_config = keraseq.training.TrainConfig(model="lstm", **SETTINGS, **SIZES["lstm"]).resolved()
recipe_lstm = keraseq.training.TrainConfig(model="lstm").resolved()
say(
    f"The LSTM here has {lstm_config.num_layers} "
    f"layer{'s' if lstm_config.num_layers > 1 else ''} of {lstm_config.hidden_dim} units",
    claim(
        (lstm_config.num_layers, lstm_config.hidden_dim)
        == (recipe_lstm.num_layers, recipe_lstm.hidden_dim),
        "(the recipe's size).",
        f"(the recipe's is {recipe_lstm.num_layers} x {recipe_lstm.hidden_dim}"
        + ("; quick mode trains a smaller one)." if QUICK else ")."),
    ),
)
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
lstm_name = f"LSTM {lstm.num_layers} x {lstm.hidden_dim}"
for name, rows in (("MiniGPT", gpt_metrics), (lstm_name, lstm_metrics)):
    steps = [r["step"] for r in rows]
    ax.plot(steps, [r["train_loss"] for r in rows], "--", label=f"{name} train")
    ax.plot(steps, [r["val_loss"] for r in rows], "-o", ms=3, label=f"{name} validation")
ax.set_xlabel("step")
ax.set_ylabel("cross-entropy (nats per character)")
ax.legend()
ax.set_title(f"Pretraining on CPython's docs, {keras.backend.backend()}")
show(fig, "Training and validation loss against step for MiniGPT and the LSTM language model")
gpt_val, lstm_val = gpt_metrics[-1]["val_loss"], lstm_metrics[-1]["val_loss"]
print(f"final validation loss: MiniGPT {gpt_val:.3f}, LSTM {lstm_val:.3f}")
print(f"perplexity e^loss: MiniGPT {np.exp(gpt_val):.2f}, LSTM {np.exp(lstm_val):.2f}")
say(
    f"After {STEPS} steps, "
    + claim(
        gpt_val < lstm_val,
        f"MiniGPT ({n_gpt:,} parameters) is ahead of the LSTM ({n_lstm:,}) on the validation "
        f"text, {gpt_val:.3f} against {lstm_val:.3f} nats per character.",
        f"the LSTM ({n_lstm:,} parameters) is ahead of MiniGPT ({n_gpt:,}) on the validation "
        f"text, {lstm_val:.3f} against {gpt_val:.3f} nats per character.",
    ),
    "The *perplexity* $e^{\\text{loss}}$ reads the loss as a number of choices: MiniGPT is as "
    f"unsure of the next character as a fair pick among {np.exp(gpt_val):.1f} characters, the "
    f"LSTM among {np.exp(lstm_val):.1f} (out of {tokenizer.vocabulary_size()}).",
    "(Quick mode trains tiny models for 20 steps: no ranking is meant.)" if QUICK else "",
)

# %% [markdown]
# Why is the validation loss below the training loss? Two reasons can be told apart by measuring.
# The training curve is the mean over each interval, while the weights were still improving; and
# the two splits are different text. Evaluate the final MiniGPT on both splits, the same way:


# %%
def split_loss(ids, batches=5 if QUICK else 20):
    data = WindowBatches(ids, gpt_config.batch_size, gpt_config.sequence_length, batches, seed=7)
    return float(np.mean([float(cross_entropy(yb, model(xb))) for xb, yb in data]))


on_train, on_val = split_loss(train_ids), split_loss(val_ids)
print(f"final MiniGPT: loss {on_train:.3f} on training windows, {on_val:.3f} on validation windows")
say(
    claim(
        on_val < on_train,
        f"Measured the same way, the final model still finds the validation text easier "
        f"({on_val:.3f} against {on_train:.3f}): the last 10% of CPython's docs is easier to "
        "predict than the first 90%, so here a validation loss below the training loss says "
        "nothing about overfitting either way.",
        f"Measured the same way, the final model finds the training text easier ({on_train:.3f} "
        f"against {on_val:.3f}): the gap in the plot came from the training curve's averaging.",
    )
)

# %% [markdown]
# ## The benchmark on every backend
#
# The page above trains for a few minutes on CPython's docs. The benchmark
# (`python benchmarks/minigpt_shakespeare.py`) runs nanoGPT's full CPU recipe on Tiny
# Shakespeare as `keraseq train` on each backend, for MiniGPT and the 2 x 256 LSTM (its timings and
# targets are on the [Benchmarks page](benchmarks.html)). Its last validation losses, read from
# `benchmarks/results/minigpt.json`:

# %%
saved = next(
    (
        p
        for p in (
            Path("../benchmarks/results/minigpt.json"),
            Path("benchmarks/results/minigpt.json"),
        )
        if p.is_file()
    ),
    None,
)
if saved is None:
    print("benchmarks/results/minigpt.json is not here: run the benchmark to fill this in")
else:
    bench = json.loads(saved.read_text(encoding="utf-8"))
    val = {(r["backend"], r["model"]): r["val_loss"] for r in bench["results"]}
    backends = sorted({b for b, m in val if (b, "lstm") in val and (b, "transformer") in val})
    for backend in backends:
        print(
            f"{backend:>10}: MiniGPT {val[backend, 'transformer']:.4f}, "
            f"LSTM {val[backend, 'lstm']:.4f} after {bench['steps']} steps"
        )
    lstm_wins = [val[b, "lstm"] < val[b, "transformer"] for b in backends]
    bench_winner = claim(all(lstm_wins), "the LSTM", claim(any(lstm_wins), "neither", "MiniGPT"))
    page_winner = "MiniGPT" if gpt_val < lstm_val else "the LSTM"
    say(
        f"On Tiny Shakespeare after {bench['steps']} steps, {bench_winner} comes out ahead on "
        f"every backend; on this page, after {STEPS} steps on CPython's docs, {page_winner}.",
        claim(
            bench_winner != page_winner,
            "The rankings differ, and the runs differ in corpus (verse and dialogue against "
            "technical prose) and in budget: at this size, which model wins depends on the data "
            "and the budget, and neither run says anything about the architectures at scale.",
            "Both runs rank the two models the same way; at this size the ranking still depends "
            "on data and budget, and says little about the architectures at scale.",
        ),
        "What favours the Transformer at scale is what these runs do not stress: every "
        "position of a window is computed in parallel (the LSTM loops over time), and attention "
        "reaches any earlier token directly instead of through a state that every step "
        "overwrites. [The evolution page](evolution.html) measures both.",
        "(In quick mode this page's ranking is not meant.)" if QUICK else "",
    )

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
say(
    f"MiniGPT is {scale['GPT-2 small (2019)'] / n_gpt:,.0f} times smaller than GPT-2 small and "
    f"{scale['GPT-3 (2020)'] / n_gpt:,.0f} times smaller than GPT-3, about "
    f"{np.log10(scale['GPT-3 (2020)'] / n_gpt):.0f} orders of magnitude."
)

# %% [markdown]
# The equations are the same ones: embeddings, causal self-attention, feed-forward networks,
# layer norms and next-token cross-entropy. An LLM is trained in three stages: *pretraining*, the
# next-token prediction of this page over trillions of tokens; *fine-tuning* on instructions and
# answers; and *RLHF*, reinforcement learning from human preferences. This page does the first
# stage only, at a tiny scale; the data, sub-word tokenizers, the later stages and the engineering
# of training on thousands of accelerators are what it leaves out.
#
# ## Summary
#
# * A language model predicts the next token; it trains on windows $x$ and their one-token shift
#   $y$, minimising the cross-entropy, whose exponential is the perplexity.
# * MiniGPT is a decoder-only Transformer: embeddings, $N$ causal blocks, a final norm and a tied
#   output head.
# * Generation draws one token at a time; the temperature and top-$k$ reshape the distribution it
#   draws from, and the KV cache saves recomputing the past.
# * At a million parameters, which of MiniGPT and an LSTM wins depends on the corpus and the
#   budget; the Transformer's advantages are parallel training and direct access, which pay at
#   scale.
#
# ## Exercises
#
# 1. Sample with temperatures 0.2, 1 and 1.5 (`keraseq.generate(..., temperature=...)`): which
#    one repeats itself, which one invents words?
# 2. Add `top_p=0.9` to the distribution cell (see `sample_token`): how many candidates are left?
# 3. Train MiniGPT with `sequence_length=16` and then 128: how do the validation loss and the
#    samples change?
# 4. Train both models on `corpus="shakespeare"` with the page's settings: does the ranking of
#    the benchmark appear?
