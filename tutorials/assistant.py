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
# # From language model to assistant
#
# LLMs are made in three stages. **Pretraining**: self-supervised next-token prediction on a large
# corpus (the mini-LLM page, `keraseq train`). **Fine-tuning**: supervised training on
# task-specific or instruction data, so that the model answers a request instead of continuing
# the text. **RLHF**: learning from human feedback on the answers. The capabilities people expect
# of an assistant (text generation, question answering, summarization, translation, code
# generation, reasoning) come from the later stages; this page is the second, at the smallest
# scale where it visibly works: the character-level MiniGPT pretrained on CPython's docs, on a CPU.
#
# Everything here is also a command:
#
# ```bash
# keraseq finetune runs/transformer --out runs/sft        # --tasks, --steps, --lora RANK, ...
# keraseq eval runs/transformer runs/sft                  # held-out exact match, corpus loss
# keraseq chat runs/sft --prompt "In digits: forty two"
# ```

# %%
# keraseq comes first: it picks the backend before Keras is imported, KERAS_BACKEND's ("jax",
# "tensorflow" or "torch"), else the one installed. Everything below runs unchanged on each.
import keraseq  # isort: skip

import json
import tempfile
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from keraseq.analysis.autodiff import value_and_grad
from keraseq.experiments.claims import CLAIMS
from keraseq.experiments.tables import markdown_table
from keraseq.posttraining import chat, sft
from keraseq.posttraining.evaluate import eval_table, evaluate_checkpoint
from keraseq.posttraining.finetune import finetune
from keraseq.posttraining.tasks import TASKS
from keraseq.training import train
from keraseq.tutorial import claim, say, show, show_source, start

QUICK, rng = start(seed=0)
RUNS = Path(tempfile.mkdtemp(prefix="keraseq-assistant-"))

# %% [markdown]
# ## The tasks: one per capability, each with a checker
#
# `keraseq.posttraining.tasks` generates (prompt, answer) pairs from random inputs. A stable hash
# of each input puts one in five in the held-out split, never trained on: every number below is
# measured on held-out prompts. A checker scores an answer: exact match, except for code, which is
# *run* (parsed with `ast`, arithmetic only, never `eval`) on 8 inputs and scored by the share of
# them where it gives the reference's value.

# %%
for task in TASKS.values():
    example = task.examples("test", 1)[0]
    print(f"{task.capability:>18}  {task.name:<15} {example.prompt!r} -> {example.answer!r}")
print(TASKS["code"].score("4*(3+x)", "(x+3)*4"), TASKS["code"].score("x", "x**2"))

# %% [markdown]
# ## The chat template
#
# One format everywhere (training, `keraseq eval`, `keraseq chat`, the RLHF stage): the user's turn
# after `Q: `, the assistant's after `A: `, and a newline ends the answer.

# %%
print(repr(chat.format_example("In digits: forty two", "42")))

# %% [markdown]
# Real chat models add special tokens for these markers (ChatML's `<|im_start|>`), growing the
# embedding and the head by a few rows. keraseq's markers are characters the base vocabulary
# already has: the model reads 64 characters at a time, and the 8 that the markers take leave
# room for every task; no new, untrained rows; the tokenizer and the checkpoint format stay as
# `keraseq train` wrote them. `Q: ` never occurs in the pretraining corpus, so whatever the model
# does after it, it learned by fine-tuning.
#
# ## The loss: the answer only
#
# Supervised fine-tuning (InstructGPT's first stage, TRL's `SFTTrainer` with its completion-only
# loss) is next-token cross-entropy on the answer's tokens alone: the prompt is context, not a
# target.
#
# $$
# \mathcal{L}_{\text{SFT}} = -\frac{\sum_{b,t} m_{b,t} \log p_\theta(y_{b,t} \mid y_{b,<t})}
# {\sum_{b,t} m_{b,t}}, \qquad m_{b,t} = 1 \text{ on the answer's tokens and its end, else } 0
# $$
#
# In Keras the mask $m$ is a per-token `sample_weight`, and the loss's `mean_with_sample_weight`
# reduction divides by $\sum m$:

# %%
show_source(sft, start="SFT_LOSS =", end="Σ m")
show_source(sft.sft_arrays, start="for row,", end="m_t = 1")

# %%
tokenizer = keraseq.data.CharTokenizer.from_text(keraseq.data.load_corpus("python-docs"))
x, y, weight = sft.sft_arrays(tokenizer, [TASKS["numbers"].examples("train", 1)[0]], 64)
targets = tokenizer.detokenize(y[0][weight[0] > 0])
print("inputs :", repr(tokenizer.detokenize(x[0][: int(np.flatnonzero(weight[0])[-1]) + 1])))
print("targets with weight 1:", repr(targets))

# %% [markdown]
# So the prompt gets no gradient: the derivative of the loss with respect to the logits at every
# prompt position is exactly zero (a test checks it on every backend,
# `tests/posttraining/test_sft.py`):

# %%
probe = keraseq.models.MiniGPT(tokenizer.vocabulary_size(), 64, 1, 2, 16, 32)
logits = probe(x)
_, (grad,) = value_and_grad(lambda z: sft.SFT_LOSS(y, z, sample_weight=weight), logits)
grad = keras.ops.convert_to_numpy(grad)
zero_on_prompt = bool((grad[weight == 0] == 0).all())
print(f"gradient zero on every prompt position: {zero_on_prompt}")
assert zero_on_prompt and (np.abs(grad[weight == 1]).sum(-1) > 0).all()

# %% [markdown]
# ## Fine-tuning, live
#
# `finetune` (what `keraseq finetune` runs) loads a `keraseq train` checkpoint, draws each batch
# from the training splits of the tasks, and trains under that loss with `keraseq train`'s AdamW,
# schedule, checkpoints and `metrics.csv`. This page runs a small version (a small base, a few
# tasks) so that it builds in minutes; the benchmark below is the full size.

# %%
if QUICK:
    BASE = dict(steps=20, batch_size=8, num_layers=1, hidden_dim=32, eval_batches=2)
    SFT = dict(tasks="qa,numbers", steps=10, batch_size=8, eval_batches=1)
    COUNT = 5
else:
    BASE = dict(steps=300, num_layers=2, hidden_dim=64, eval_batches=5)
    SFT = dict(tasks="qa,numbers", steps=150, batch_size=16)
    COUNT = 50
started = time.perf_counter()
train(RUNS / "base", verbose=0, **BASE)
base_seconds = time.perf_counter() - started
started = time.perf_counter()
finetune(RUNS / "sft", base=RUNS / "base", verbose=0, **SFT)
print(
    f"pretraining {BASE['steps']} steps: {base_seconds:.0f} s; fine-tuning {SFT['steps']} steps: "
    f"{time.perf_counter() - started:.0f} s"
)
live = [evaluate_checkpoint(RUNS / run, SFT["tasks"], COUNT) for run in ("base", "sft")]
display(Markdown(markdown_table(*eval_table(live))))
# The same bars as `keraseq evolve`'s fine-tuning claim, drawn by its own plot:
CLAIMS["finetuning"].plot(
    {
        "exact_match": {
            n: {"base": live[0]["tasks"][n]["exact_match"], "sft": r["exact_match"]}
            for n, r in live[1]["tasks"].items()
        }
    },
    RUNS / "live.png",
)
show(
    RUNS / "live.png", "Held-out exact match per task before and after this page's fine-tuning run"
)

# %% [markdown]
# ## The benchmark: every capability, measured
#
# `benchmarks/finetune.py` fine-tunes the 2000-step `python-docs` MiniGPT (nanoGPT's recipe) on
# all six tasks at once, then compares LoRA, a pretraining mix and the chain of thought, and
# evaluates every checkpoint on held-out prompts with greedy decoding. Its committed
# result:

# %%
RESULTS = next(p for p in (Path("../benchmarks/results"), Path("benchmarks/results")) if p.is_dir())
parts = {
    p.stem.rsplit("-", 1)[1]: json.loads(p.read_text())
    for p in sorted((RESULTS / "finetune").glob("full-jax-*.json"))
}
if "sft" in parts:
    base_eval, sft_eval = parts["sft"]["eval"]
    evaluated = [dict(base_eval, checkpoint="base"), dict(sft_eval, checkpoint="sft")]
    evaluated += [dict(parts[n]["eval"][0], checkpoint=n) for n in ("lora", "mix") if n in parts]
    display(Markdown(markdown_table(*eval_table(evaluated))))
    print(f"{sft_eval['tasks']['qa']['count']} held-out prompts per task")
    exact = {name: r["exact_match"] for name, r in sft_eval["tasks"].items()}
    base_best = max(r["exact_match"] for r in base_eval["tasks"].values())
    all_capabilities = {TASKS[n].capability for n in exact}
    capabilities = sorted({TASKS[n].capability for n, v in exact.items() if v >= 0.8})
    weak = [f"{n} ({100 * v:.0f}%)" for n, v in exact.items() if v < 0.5]
    run = parts["sft"]["run"]
    print(
        f"fine-tuning: {run['settings']['steps']} steps of {run['settings']['batch_size']} "
        f"examples in {run['seconds']:.0f} s, at a load average of {run['load_average'][0]} on "
        f"{parts['sft']['cpu_count']} cores"
    )
    learned = len(capabilities) > len(all_capabilities) / 2
    say(
        "Before fine-tuning, the base model answers "
        + claim(
            base_best == 0,
            "no held-out prompt of any task exactly",
            f"at most {100 * base_best:.0f}% of any task's held-out prompts exactly",
        )
        + claim(base_best <= 0.05, ": it continues text; it does not answer.", "."),
        f"After fine-tuning, {len(capabilities)} of the {len(all_capabilities)} capabilities "
        "reach 80% exact match or more on at least one task"
        + (f" ({', '.join(capabilities)})" if capabilities else "")
        + claim(
            len(weak) > 1,
            f"; the tasks {', '.join(weak[:-1])} and {''.join(weak[-1:])} stay below half.",
            f"; the task {weak[0]} stays below half." if weak else ".",
        ),
    )
    say(
        "What it cost: "
        + claim(learned, "most answers were learned, but ", "few answers were learned, and ")
        + f"the validation loss on the pretraining corpus went from {base_eval['val_loss']:.3f} "
        f"to {sft_eval['val_loss']:.3f}"
        + claim(
            sft_eval["val_loss"] > 2 * base_eval["val_loss"],
            ": the fine-tuned model has largely forgotten how to continue the docs' text "
            "(catastrophic forgetting). Mixing pretraining text into each batch, or LoRA, "
            "which leaves the pretrained weights alone, are the usual remedies.",
            ", a modest price.",
        )
    )
    if "mix" in parts:
        mix_eval, mix_run = parts["mix"]["eval"][0], parts["mix"]["run"]
        changes = {
            n: mix_eval["tasks"][n]["exact_match"] - v for n, v in exact.items()
        }  # in exact match, against full fine-tuning without the mix
        say(
            f"With {100 * mix_run['settings']['pretraining_mix']:.0f}% of each batch drawn from "
            "the pretraining corpus (`--pretraining-mix`), same steps and batch size, the "
            f"validation loss ended at {mix_eval['val_loss']:.3f} instead of "
            f"{sft_eval['val_loss']:.3f}"
            + claim(
                mix_eval["val_loss"] < base_eval["val_loss"] + 0.5,
                ", close to the base model's: the mix keeps what pretraining taught.",
                ".",
            ),
            "Exact match changed by "
            + ", ".join(f"{100 * d:+.0f} points on {n}" for n, d in changes.items())
            + ".",
        )
else:
    print("the fine-tuning benchmark (benchmarks/finetune.py) has not been run and committed yet")

# %% [markdown]
# The same held-out prompts, answered by the base model and by the fine-tuned one (greedy):

# %%
for name in sft_eval["tasks"] if "sft" in parts else []:
    pairs = zip(base_eval["tasks"][name]["samples"], sft_eval["tasks"][name]["samples"])
    for before, after in list(pairs)[:2]:
        print(f"{name:>15}  {after['prompt']!r}")
        print(
            f"{'':>15}  base {before['answer']!r}   SFT {after['answer']!r}   "
            f"reference {after['reference']!r}"
        )

# %% [markdown]
# ## LoRA against full fine-tuning
#
# LoRA (Hu et al. 2021) freezes the pretrained weights and trains a low-rank update
# $W + \frac{\alpha}{r} A B$ of each attention and feed-forward kernel (`enable_lora(rank)` on
# keraseq's layers and on `MiniGPT`; `keraseq finetune --lora RANK`). Same tasks, batches and
# steps, its own learning rate:

# %%
if "lora" in parts and "sft" in parts:
    rows = [
        [
            name,
            f"{parts[name]['run']['trainable_parameters']:,}",
            f"{parts[name]['run']['settings']['learning_rate']:g}",
            *[f"{100 * r['exact_match']:.0f}%" for r in e["tasks"].values()],
            f"{e['val_loss']:.3f}",
        ]
        for name, e in (("sft", sft_eval), ("lora", parts["lora"]["eval"][0]))
    ]
    header = ["run", "trainable parameters", "learning rate", *sft_eval["tasks"], "val loss"]
    display(Markdown(markdown_table(header, rows)))
    lora_eval = parts["lora"]["eval"][0]
    gap = {n: lora_eval["tasks"][n]["exact_match"] - v for n, v in exact.items()}
    better = [n for n, d in gap.items() if d > 0.02]
    worse = [n for n, d in gap.items() if d < -0.02]
    say(
        f"LoRA trained {parts['lora']['run']['trainable_parameters']:,} parameters against "
        f"{parts['sft']['run']['trainable_parameters']:,}, and "
        + claim(
            lora_eval["val_loss"] < sft_eval["val_loss"],
            "forgot less of the pretraining text",
            "did not forget less of the pretraining text",
        )
        + f" (validation loss {lora_eval['val_loss']:.3f} against {sft_eval['val_loss']:.3f}"
        + claim(
            lora_eval["val_loss"] > base_eval["val_loss"] + 1,
            f"; the base model's was {base_eval['val_loss']:.3f}, so LoRA forgot much too).",
            f"; the base model's was {base_eval['val_loss']:.3f}).",
        ),
        f"Its exact match is higher on {', '.join(better) or 'no task'} and lower on "
        f"{', '.join(worse) or 'no task'}, by more than 2 points.",
    )
else:
    print("the LoRA part of the benchmark has not been run on this backend yet")

# %% [markdown]
# ## Reasoning: the chain of thought
#
# The same sums, trained with the answer given at once or written column by column with the
# carries (Lee et al. 2023, "Teaching Arithmetic to Small Transformers": such formats make
# arithmetic far easier to learn for small models). Same base, batches and steps; held-out exact
# match of the result against training steps:

# %%
if "sft" in parts:
    direct, stepwise = (sft_eval["tasks"][n]["exact_match"] for n in ("addition", "addition_steps"))
    say(
        f"The full run above already trained both formats, each on 1/{len(sft_eval['tasks'])} of "
        f"its examples: "
        f"direct {100 * direct:.0f}%, step by step {100 * stepwise:.0f}% on held-out sums."
        + claim(
            stepwise > direct + 0.2,
            " Written out digit by digit with the carries, the same sums are learned; "
            "answered at once, they are not.",
            " The step-by-step format did not help here by a wide margin.",
        )
    )
if "cot" in parts:
    cot = parts["cot"]["chain_of_thought"]
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, c in cot.items():
        steps = [p["step"] for p in c["curve"]]
        ax.plot(steps, [100 * p["exact_match"] for p in c["curve"]], "-o", label=name)
    ax.set_xlabel("fine-tuning step")
    ax.set_ylabel("held-out exact match (%)")
    ax.set_title("Addition: direct against step by step")
    ax.legend()
    show(
        fig, "Held-out exact match against fine-tuning step, answers given at once or step by step"
    )
    final = {n: c["curve"][-1]["exact_match"] for n, c in cot.items()}
    print(
        f"after {steps[-1]} steps: direct {100 * final['addition']:.0f}%, step by step "
        f"{100 * final['addition_steps']:.0f}% "
        f"({100 * (final['addition_steps'] - final['addition']):+.0f} points)"
    )
else:
    print("the chain-of-thought part of the benchmark has not been run on this backend yet")

# %% [markdown]
# ## On the real scale
#
# The same stage made GPT-3 into InstructGPT (Ouyang et al. 2022): supervised fine-tuning on
# about 13,000 prompts with answers written by labelers, then RLHF; the labelers preferred the
# answers of the 1.3B-parameter InstructGPT to those of the 175B GPT-3, a model 100 times larger.
# FLAN (Wei et al. 2021) instruction-tuned a 137B model on more than 60 datasets phrased as
# instructions; zero-shot, it beat 175B GPT-3 on 20 of the 25 datasets evaluated. LoRA (Hu et al.
# 2021) fine-tunes GPT-3 175B with 10,000 times fewer trainable parameters and a third of the GPU
# memory. The tasks here are tiny and synthetic, but the mechanism is the one above: the
# pretrained model already holds the text; a small amount of supervised data, with the loss on
# the answers, teaches it to answer.
#
# ## Summary
#
# * Fine-tuning trains a pretrained model on (prompt, answer) pairs in one chat template, with the
#   loss on the answer's tokens only: the prompt is context and gets no gradient.
# * Every task has a checker and a held-out split, so what fine-tuning taught is measured on
#   prompts it never trained on.
# * Fine-tuning every weight can cost what the model knew (catastrophic forgetting), which the
#   validation loss on the pretraining corpus measures; a pretraining mix, or LoRA, which trains
#   a low-rank update and leaves the pretrained weights frozen, are the usual remedies.
# * The format of an answer is part of the task: a chain of thought spells out the intermediate
#   steps, one easy prediction at a time; whether it helps is measured above for addition.
#
# ## Exercises
#
# 1. Add `lora_rank=4` to `SFT` in the live cell (`keraseq finetune runs/transformer --out
#    runs/lora --lora 4`) and compare the exact match and the corpus loss with full fine-tuning.
# 2. Add `pretraining_mix=0.25` to `SFT` (`--pretraining-mix 0.25`): how much of the corpus loss
#    does it save, and what does it cost in exact match?
# 3. Set `SFT["tasks"]` to `"addition,addition_steps"` and `COUNT` to 50: which format does the
#    small model learn first?
# 4. Write a new task: a subclass of `keraseq.posttraining.tasks.base.Task` with `draw`,
#    `example` and `alphabet`, like `tasks/acronym.py` (e.g. a word spelled backwards); add it to
#    `TASKS` and fine-tune on it.
# 5. Ask `keraseq chat runs/sft --prompt "..."` something unlike every task: what does the model
#    answer, and why?
#
# The next page, [aligning the assistant](alignment.html), trains it on preferences: a reward
# model, RLHF and DPO.
