"""Claim 8: fine-tuning teaches capabilities. The base model against SFT on held-out tasks.

A MiniGPT is pretrained on the corpus (`keraseq train`), then fine-tuned on instruction tasks with
the answer-only loss (`keraseq finetune`); both answer the same held-out prompts in the chat
template, greedily, scored by exact match (`keraseq eval`). The claim holds where the fine-tuned
model beats the base on every task, as measured.
"""

from keraseq.checkpoint import load_checkpoint
from keraseq.experiments.support import plotting
from keraseq.experiments.support.finetuned import given_or_new
from keraseq.posttraining.evaluate import evaluate_tasks
from keraseq.posttraining.tasks import get_tasks

QUICK = dict(
    tasks=("qa", "numbers"),
    hidden_dim=64,
    num_layers=2,
    pretrain_steps=200,
    steps=150,
    learning_rate=1e-3,  # a short run takes the larger step
    count=50,
)
FULL = dict(
    tasks=("qa", "acronym", "numbers", "code", "addition", "addition_steps"),
    hidden_dim=128,
    num_layers=4,
    pretrain_steps=2000,
    steps=3000,
    learning_rate=5e-4,  # benchmarks/finetune.py's recipe
    count=200,
)
WIDTH = "hidden_dim"  # the argument that `keraseq evolve --width` sets
STEPS = "steps"  # the argument that `--steps` sets: the fine-tuning budget
USES = ("finetuned",)  # what the tour passes in: the shared FinetunedRuns


def run(
    tasks=QUICK["tasks"],
    hidden_dim=64,
    num_layers=2,
    pretrain_steps=200,
    steps=150,
    learning_rate=1e-3,
    batch_size=16,
    count=50,
    seed=0,
    verbose=1,
    finetuned=None,
):
    """Held-out exact match per task of the pretrained model and of its fine-tuned copy.

    `finetuned` is a `FinetunedRuns` to take the pair from (the tour's, shared with claim 9); by
    default the pair is trained here.
    """
    chosen = get_tasks(list(tasks))
    with given_or_new(finetuned) as shared:
        base, sft = shared.get(
            [t.name for t in chosen],
            hidden_dim=hidden_dim,
            num_layers=num_layers,
            pretrain_steps=pretrain_steps,
            steps=steps,
            learning_rate=learning_rate,
            batch_size=batch_size,
            seed=seed,
        )
        measured = {}
        for name, directory in (("base", base), ("sft", sft)):
            model, tokenizer = load_checkpoint(directory)
            measured[name] = evaluate_tasks(model, tokenizer, chosen, count)
    exact = {
        t.name: {stage: measured[stage][t.name]["exact_match"] for stage in measured}
        for t in chosen
    }
    if verbose:
        for name, e in exact.items():
            print(f"  {name}: base {100 * e['base']:.0f}%, fine-tuned {100 * e['sft']:.0f}%")
    return {
        "exact_match": exact,
        "samples": {t.name: measured["sft"][t.name]["samples"][:2] for t in chosen},
        "holds": all(e["sft"] > e["base"] for e in exact.values()),
        "settings": dict(
            pretrain_steps=pretrain_steps,
            steps=steps,
            learning_rate=learning_rate,
            batch_size=batch_size,
            count=count,
        ),
    }


def plot(result, path):
    names = list(result["exact_match"])
    with plotting.figure(path, "Fine-tuning teaches capabilities (held-out exact match)") as ax:
        for offset, stage in ((-0.2, "base"), (0.2, "sft")):
            values = [100 * result["exact_match"][n][stage] for n in names]
            label = "pretrained base" if stage == "base" else "fine-tuned (SFT)"
            ax.bar([i + offset for i in range(len(names))], values, width=0.4, label=label)
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel("exact match (%)")
        ax.set_ylim(0, 100)
        ax.legend()
