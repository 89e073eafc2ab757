"""Claim 9: RLHF aligns the model to preferences. The fine-tuned model against RLHF and DPO.

A MiniGPT is pretrained and fine-tuned (as in claim 8); the gold judge labels pairs of its own
sampled answers; a reward model learns them (`keraseq reward`); the policy is optimised against
it under a KL penalty (`keraseq rlhf`) and, separately, trained on the same pairs with DPO
(`keraseq dpo`). All three answer the same held-out prompts greedily; the judge scores them. The
claim holds where RLHF or DPO raises the mean gold score above the fine-tuned model's, as
measured, with the KL to the fine-tuned model it took.
"""

import tempfile
from pathlib import Path

from keraseq.experiments.support import plotting
from keraseq.experiments.support.finetuned import given_or_new
from keraseq.posttraining import alignment, preferences, runs
from keraseq.posttraining.dpo import train_dpo
from keraseq.posttraining.judge import GoldJudge
from keraseq.posttraining.reward import train_reward
from keraseq.posttraining.rlhf import train_rlhf
from keraseq.posttraining.tasks import get_tasks

QUICK = dict(
    tasks=("qa", "numbers"),
    hidden_dim=64,
    num_layers=2,
    pretrain_steps=200,
    sft_steps=150,
    sft_learning_rate=1e-3,  # a short run takes the larger step, as in claim 8
    pairs=200,
    reward_steps=30,
    rlhf_steps=20,
    dpo_steps=30,
    beta=0.05,
    count=20,
)
FULL = dict(  # benchmarks/finetune.py's and benchmarks/rlhf.py's recipes
    tasks=("qa", "acronym", "numbers", "code", "addition_steps"),
    hidden_dim=128,
    num_layers=4,
    pretrain_steps=2000,
    sft_steps=3000,
    sft_learning_rate=5e-4,
    pairs=1500,
    reward_steps=100,
    rlhf_steps=200,
    dpo_steps=300,
    beta=0.05,
    count=40,
)
WIDTH = "hidden_dim"  # the argument that `keraseq evolve --width` sets
STEPS = "rlhf_steps"  # the argument that `--steps` sets: the RLHF budget
USES = ("finetuned",)  # what the tour passes in: the shared FinetunedRuns
STAGES = {"sft": "fine-tuned (SFT)", "rlhf": "RLHF", "dpo": "DPO"}


def run(
    tasks=QUICK["tasks"],
    hidden_dim=64,
    num_layers=2,
    pretrain_steps=200,
    sft_steps=150,
    sft_learning_rate=1e-3,
    pairs=200,
    reward_steps=30,
    rlhf_steps=20,
    dpo_steps=30,
    beta=0.05,
    count=20,
    seed=0,
    verbose=1,
    finetuned=None,
):
    """Gold score, accuracy and KL to the fine-tuned model of SFT, RLHF and DPO, held out.

    `finetuned` is a `FinetunedRuns` to take the fine-tuned model from (the tour's, shared with
    claim 8); by default it is trained here.
    """
    chosen = get_tasks(list(tasks))
    names = ",".join(t.name for t in chosen)
    common = dict(tasks=names, seed=seed, verbose=0)
    with (
        given_or_new(finetuned) as shared,
        tempfile.TemporaryDirectory(prefix="keraseq-rlhf-") as directory,
    ):
        work = Path(directory)
        _, sft = shared.get(
            [t.name for t in chosen],
            hidden_dim=hidden_dim,
            num_layers=num_layers,
            pretrain_steps=pretrain_steps,
            steps=sft_steps,
            learning_rate=sft_learning_rate,
            seed=seed,
        )
        heldout_pairs = max(1, pairs // 4)
        reward_model, reward_accuracy = train_reward(
            sft, work / "rm", pairs=pairs, heldout_pairs=heldout_pairs, steps=reward_steps, **common
        )
        policies = {
            "rlhf": train_rlhf(
                sft, work / "rm", work / "rlhf", beta=beta, steps=rlhf_steps, **common
            ),
            "dpo": train_dpo(
                sft, work / "dpo", pairs_from=work / "rm", pairs=pairs, steps=dpo_steps, **common
            ),
        }
        reference, tokenizer = runs.load_policy(sft)
        prompts = preferences.task_prompts(chosen, "test", count, seed)
        judge = GoldJudge()
        _, reference_gold = alignment.greedy_gold(reference, tokenizer, prompts, judge)
        measured = {
            stage: alignment.measure(
                policies.get(stage, reference),
                reference,
                tokenizer,
                prompts,
                judge,
                reward_model,
                reference_gold=reference_gold,
            )
            for stage in STAGES
        }
    if verbose:
        print(f"  reward model: {100 * reward_accuracy:.0f}% of held-out pairs ranked as the judge")
        for stage, m in measured.items():
            print(
                f"  {STAGES[stage]}: gold {m['gold']:.3f}, accuracy {100 * m['accuracy']:.0f}%, "
                f"KL {m['kl']:.3f}"
            )
    sft_gold = measured["sft"]["gold"]
    return {
        "stages": measured,
        "reward_accuracy": reward_accuracy,
        "holds": max(measured["rlhf"]["gold"], measured["dpo"]["gold"]) > sft_gold,
        "settings": dict(
            tasks=names,
            pretrain_steps=pretrain_steps,
            sft_steps=sft_steps,
            pairs=pairs,
            reward_steps=reward_steps,
            rlhf_steps=rlhf_steps,
            dpo_steps=dpo_steps,
            beta=beta,
            heldout_prompts=len(prompts),
        ),
    }


def plot(result, path):
    stages = result["stages"]
    with plotting.figure(path, "RLHF and DPO against the fine-tuned model (held out)") as ax:
        for stage, m in stages.items():
            ax.scatter(m["kl"], m["gold"], s=60, label=STAGES[stage])
        ax.set_xlabel("KL to the fine-tuned model (nats per answer)")
        ax.set_ylabel("mean gold score")
        ax.legend()
