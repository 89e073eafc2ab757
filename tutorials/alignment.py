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
# # Aligning the assistant: preferences, a reward model, RLHF and DPO
#
# After fine-tuning (the previous page), the model answers instructions. The third stage of an
# LLM's training teaches it which of its answers people *prefer*: reinforcement learning from human
# feedback (InstructGPT, Ouyang et al. 2022) and its RL-free alternative, direct preference
# optimisation (DPO, Rafailov et al. 2023). Everything here is also a command:
#
# ```bash
# keraseq reward runs/sft --out runs/rm                  # pairs, then the reward model
# keraseq rlhf runs/sft --reward runs/rm --out runs/rlhf --kl 0.05
# keraseq dpo runs/sft --out runs/dpo --pairs-from runs/rm
# keraseq eval runs/sft runs/rlhf runs/dpo --reference runs/sft --reward runs/rm
# keraseq evolve --only rlhf    # the whole stage at small size, as the tour's last claim
# ```

# %%
# keraseq comes first: it picks the backend before Keras is imported, KERAS_BACKEND's ("jax",
# "tensorflow" or "torch"), else the one installed. Everything below runs unchanged on each.
import keraseq  # noqa: F401  # isort: skip

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from keraseq.experiments.tables import markdown_table
from keraseq.posttraining import alignment, losses
from keraseq.posttraining.judge import GoldJudge
from keraseq.posttraining.reward_model import RewardModel
from keraseq.posttraining.tasks import get_tasks
from keraseq.tutorial import claim, say, show, show_source, start

QUICK, rng = start(seed=0)

# %% [markdown]
# ## The human feedback, in code
#
# There are no people here: a *gold judge* scores an answer from 0 to 1 (mostly correctness by
# the task's checker, with partial credit for a near miss; then whether the answer ended with the
# end marker; then whether it rambles), and labels a pair of answers the way a tired human would,
# preferring the first with probability $\sigma((g_1 - g_2)/\tau)$.

# %%
judge = GoldJudge()
(addition,) = get_tasks("addition")
for answer, finished in [("590", True), ("591", True), ("590", False), ("5905905905905", True)]:
    gold = judge.grade(addition, answer, finished, "590")
    print(f"{answer!r:18} ended={finished!s:5}  gold {gold:.3f}")
p = judge.preference_probability(
    judge.grade(addition, "590", True, "590"), judge.grade(addition, "591", True, "590")
)
print(f"P(labeler prefers '590' to '591' for 251+339) = {p:.2f}")

# %% [markdown]
# The pairs come from the fine-tuned model's own answers, several per prompt at temperature 1,
# two answers with equal gold scores making no pair, as in InstructGPT and the DPO paper.
#
# ## The losses, as code
#
# The reward model is the fine-tuned network with a scalar head read at the answer's last real
# token, plus the network's own log-likelihood of the answer with a learned weight $\lambda$
# (starting at 1):
#
# $$r(x, y) = w^\top \operatorname{LN}(h_T) + b
#   + \lambda \sum_{t \in y} \log \pi_\phi(y_t \mid y_{<t}).$$
#
# The second term starts the reward model from the fine-tuned model's own judgement of its
# answers: a language model is itself a reward model (the DPO paper's observation). The
# measurements below compare it with the head alone (`keraseq reward --no-likelihood`), trained
# on the same pairs.

# %%
show_source(RewardModel.call, start="x = ")

# %% [markdown]
# It learns from pairs with the Bradley–Terry loss:

# %%
show_source(losses.bradley_terry_loss)

# %% [markdown]
# RLHF maximises the learned reward minus $\beta\,\mathrm{KL}(\pi\,\|\,\pi_{\text{ref}})$. With a
# vocabulary of about a hundred characters the per-token KL is computed exactly, summed over the
# vocabulary:

# %%
show_source(losses.exact_kl, start="log_p")

# %% [markdown]
# Several answers per prompt give each other a baseline (RLOO, or GRPO's normalised version), and
# PPO's clipped ratio keeps each update close to the policy that sampled the answers:

# %%
show_source(losses.group_advantages, start="grouped")
show_source(losses.ppo_clip_loss, start="ratio")

# %% [markdown]
# The loop's direction is tested, not only its formulas: on every backend,
# `tests/posttraining/test_rlhf.py` rewards a tiny policy's answers that start with a digit, and
# ten updates must raise the policy's own probability of a digit first by more than 0.1.

# %% [markdown]
# DPO needs neither a reward model nor sampling: its loss on a pair compares how much more likely
# the policy makes the chosen answer than the reference does, against the same for the rejected
# one. With the policy equal to the reference, every pair's loss is $\log 2$:

# %%
show_source(losses.dpo_loss, start="chosen_ratio")
log_probs = rng.normal(size=4).astype("float32") * 5 - 20
at_reference = float(losses.dpo_loss(log_probs[:2], log_probs[2:], log_probs[:2], log_probs[2:]))
assert abs(at_reference - math.log(2)) < 1e-6
print(f"DPO loss at the reference: {at_reference:.6f} (log 2 = {math.log(2):.6f})")

# %% [markdown]
# ## Measured: reward model, RLHF, DPO and best-of-n
#
# `benchmarks/rlhf.py` runs the whole stage from a fine-tuned model and measures each result on
# held-out prompts, greedy answers, against the gold judge. The tables below are read from the
# results it committed (`benchmarks/results/rlhf-*.json`), the figure is the one it drew; the
# benchmark's targets are on the [Benchmarks page](benchmarks.html).

# %%
RESULTS = next(
    (p for p in (Path("../benchmarks/results"), Path("benchmarks/results")) if p.is_dir()), None
)
runs = sorted(RESULTS.glob("rlhf-*.json")) if RESULTS else []
if not runs:
    print("no benchmarks/results/rlhf-*.json here: run benchmarks/rlhf.py to fill this section")


def percent(x):
    return f"{100 * x:.1f}%"


GOLD_NOISE = 0.02  # gold-score differences this small are one or two of the held-out prompts


def gap_sentence(by_gap):
    """Where the ranking fails, by the gap between the two answers' gold scores."""
    near, far = by_gap.get("0.0-0.1"), by_gap.get("0.3-1.0")
    total = sum(g["pairs"] for g in by_gap.values())
    words = []
    if near:
        words.append(
            f"{near['pairs']} of the {total} held-out pairs are near ties (gold scores less than "
            "0.1 apart: mostly two wrong answers that share more or less of the reference, which "
            "no model sees)."
        )
    if far:
        words.append(
            f"On the {far['pairs']} pairs at least 0.3 apart (mostly a right answer against a "
            f"wrong one), the reward model ranks {percent(far['reward_model'])}"
            + f", its head alone {percent(far['head_only'])},"
            + f" and the fine-tuned likelihood {percent(far['likelihood'])}: "
            + claim(
                far["reward_model"] < 0.6 <= far["likelihood"],
                "even where the judge's preference is clear, the reward model has not learned to "
                "tell a right answer from a wrong one, though the network it starts from can.",
                "the clear preferences are where a ranking can be learned.",
            )
        )
    return " ".join(words)


def task_sentence(per_task, sft_accuracy):
    """Where the reward model's ranking fails, by task, beside what the fine-tuned model knows."""
    misranked = {t: round((1 - a) * n) for t, (a, n) in per_task.items()}
    weakest = max(misranked, key=misranked.get)  # most misranked pairs: a 7-pair task is noise
    accuracy, pairs = per_task[weakest]
    rest = [per_task[t] for t in per_task if t != weakest]
    rest_pairs = sum(n for _, n in rest)
    rest_accuracy = sum(a * n for a, n in rest) / rest_pairs
    return (
        f"By task, {misranked[weakest]} of its {sum(misranked.values())} misranked held-out "
        f"pairs are {weakest}: it ranks {percent(accuracy)} of {pairs} {weakest} pairs, "
        f"where the fine-tuned model answers {percent(sft_accuracy[weakest])} of the held-out "
        f"{weakest} prompts correctly; on the other tasks together it ranks "
        f"{percent(rest_accuracy)} of {rest_pairs} pairs. "
        + claim(
            sft_accuracy[weakest] == min(sft_accuracy.values()) and rest_accuracy > accuracy,
            "The reward model is the fine-tuned network: where that network does not know the "
            "right answer, it cannot tell a right answer from a wrong one either.",
            "",
        )
    )


def task_alone_sentence(task, per_task):
    """Whether the network learns `task` when fine-tuned on it alone (`benchmarks/finetune.py`)."""
    path = RESULTS / "finetune" / f"full-jax-{task}.json"
    if not path.is_file():
        return ""
    part = json.loads(path.read_text(encoding="utf-8"))
    run, answered = part["run"]["settings"], part["eval"][0]["tasks"][task]
    pairs, total = per_task[task][1], sum(n for _, n in per_task.values())
    ceiling = 1 - pairs / total / 2  # every other pair right, these at chance
    return (
        f"Fine-tuned on {task} alone ({run['steps']} steps, peak learning rate "
        f"{run['learning_rate']:g}, `benchmarks/finetune.py --part {task}`), the same network "
        f"answers {percent(answered['exact_match'])} of {answered['count']} held-out {task} "
        "prompts: "
        + claim(
            answered["exact_match"] < 0.6,
            "it does not learn the task at this budget "
            "([why](benchmarks.html#why-qa-stays-near-chance)), so no reward model built on it "
            "can rank "
            f"{task} pairs. With its {pairs} {task} pairs of {total} at chance, a reward model "
            f"that ranked every other held-out pair right would reach {percent(ceiling)}.",
            "the network can learn it, so the reward model's failure there is its own.",
        )
    )


def judge_reward_sentence(run, sft, learned):
    """RLHF trained on the judge's own score: is the reward model what holds RLHF back?"""
    return (
        "Trained on the judge's own score instead of the reward model's (a perfect reward model; "
        f"same β, same steps), RLHF reached a gold score of {run['gold']:.3f} (accuracy "
        f"{percent(run['accuracy'])}, KL {run['kl']:.3f}) against the fine-tuned model's "
        f"{sft['gold']:.3f} and the learned reward's {learned['gold']:.3f}: "
        + claim(
            run["gold"] > sft["gold"] + GOLD_NOISE,
            "with a reward that is never wrong the loop improves the model, so the reward model "
            "is what holds RLHF back.",
            claim(
                run["gold"] >= sft["gold"] - GOLD_NOISE,
                f"within {GOLD_NOISE} of the fine-tuned model, so even a reward that is never "
                "wrong barely moves the model at this budget"
                + claim(
                    learned["gold"] < sft["gold"] - GOLD_NOISE,
                    ", while the learned reward lowered it: that loss is the reward model's.",
                    ".",
                ),
                "below the fine-tuned model even with a reward that is never wrong, so at this "
                "budget the RL loop itself, not only the reward model, is the limit.",
            ),
        )
    )


for path in runs:
    r = json.loads(path.read_text(encoding="utf-8"))
    sft, dpo, reward = r["sft"], r["dpo"], r["reward"]
    print(
        f"{path.name}: {r['mode']} budget, backend {r['backend']}, {r['heldout_prompts']} held-out "
        f"prompts, greedy answers; load average {r['load_before']} before, {r['load_after']} after"
    )
    models = [("fine-tuned (SFT)", sft)]
    models += [(f"RLHF β={beta}", m) for beta, m in r["rlhf"].items()]
    gold_reward = r["rlhf_gold_reward"]
    models.append((f"RLHF β={gold_reward['beta']}, judge's score as reward", gold_reward))
    models.append((f"DPO β={dpo['beta']}", dpo))
    header = ["model", "gold score", "accuracy", "learned reward", "KL to SFT", "gold win rate"]
    rows = [
        [name, f"{m['gold']:.3f}", percent(m["accuracy"]), f"{m['reward']:.3f}"]
        + [f"{m['kl']:.3f}", percent(m["win_rate"])]
        for name, m in models
    ]
    say(markdown_table(header, rows))
    best = r["best_of_n"]
    rows = [
        [n, f"{b['gold']:.3f}", percent(b["accuracy"]), f"{b['kl_bound']:.3f}"]
        for n, b in best.items()
    ]
    say(markdown_table(["best-of-n", "gold score", "accuracy", "KL bound"], rows))
    if path.with_suffix(".png").is_file():
        show(
            path.with_suffix(".png"),
            "Gold score and learned reward against the square root of the KL, and DPO's "
            "chosen and rejected log-probabilities over training",
        )
    rlhf_beta = max(r["rlhf"], key=float)  # the largest β: the run on the tightest leash
    rlhf = r["rlhf"][rlhf_beta]
    ns = sorted(best, key=int)
    best_change = best[ns[-1]]["gold"] - best[ns[0]]["gold"]
    say(
        f"The reward model ranks {percent(reward['heldout_accuracy'])} of the held-out pairs as "
        f"the judge's labels do ({reward['pairs']} training pairs), "
        + claim(
            reward["heldout_accuracy"] >= 0.7,
            "well above chance (50%).",
            claim(
                reward["heldout_accuracy"] > 0.55,
                "above chance (50%), but a weak signal to optimise.",
                "no better than chance (50%): it has not learned the judge's preferences, so "
                "optimising it cannot be expected to raise the gold score.",
            ),
        ),
        claim(
            reward["curve"][-1]["train_accuracy"] - reward["heldout_accuracy"] > 0.15,
            "On its own training pairs it agreed with the labels "
            f"{percent(reward['curve'][-1]['train_accuracy'])} of the time: it memorised those "
            "pairs instead of learning what the judge values.",
            "",
        ),
        f"The fine-tuned model's own likelihood of the two answers, with no training at all, "
        f"ranks {percent(reward['likelihood_accuracy'])} of the same held-out pairs as the judge "
        "does: "
        + "the reward model starts from it, and training on the pairs "
        + claim(
            abs(reward["heldout_accuracy"] - reward["likelihood_accuracy"]) <= 0.02,
            "left it about there.",
            claim(
                reward["heldout_accuracy"] > reward["likelihood_accuracy"],
                "raised it.",
                "lowered it.",
            ),
        ),
        f"The same reward model without the likelihood term (`--no-likelihood`), trained on the "
        f"same pairs, ranks {percent(reward['head_only']['heldout_accuracy'])}: "
        + claim(
            reward["head_only"]["heldout_accuracy"] < reward["heldout_accuracy"],
            "starting from the network's own likelihood is what lifts the ranking.",
            "the likelihood term did not help here.",
        ),
        gap_sentence(reward["heldout_accuracy_per_gap"]),
        task_sentence(reward["heldout_accuracy_per_task"], sft["task_accuracy"]),
        task_alone_sentence("qa", reward["heldout_accuracy_per_task"]),
        f"RLHF at β = {rlhf_beta} "
        + claim(
            rlhf["gold"] > sft["gold"],
            f"raised the gold score above the fine-tuned model's ({rlhf['gold']:.3f} against "
            f"{sft['gold']:.3f}).",
            f"did not beat the fine-tuned model: gold score {rlhf['gold']:.3f} against "
            f"{sft['gold']:.3f}, accuracy {percent(rlhf['accuracy'])} against "
            f"{percent(sft['accuracy'])}.",
        ),
        claim(
            rlhf["reward"] > sft["reward"] and rlhf["gold"] < sft["gold"] - GOLD_NOISE,
            f"Its learned reward rose ({sft['reward']:.3f} to {rlhf['reward']:.3f}) while the "
            "gold score fell: the policy learned what the reward model scores, not what the "
            "judge prefers.",
            claim(
                rlhf["reward"] > sft["reward"] and abs(rlhf["gold"] - sft["gold"]) <= GOLD_NOISE,
                f"Its learned reward rose ({sft['reward']:.3f} to {rlhf['reward']:.3f}) while "
                f"the gold score stayed within {GOLD_NOISE} of the fine-tuned model's: the "
                "policy raised what the reward model scores without changing what the judge "
                "sees.",
                "",
            ),
        ),
        judge_reward_sentence(gold_reward, sft, r["rlhf"][str(gold_reward["beta"])]),
        "DPO "
        + claim(
            dpo["win_rate"] > 0.5 and dpo["gold"] > sft["gold"],
            f"beat the fine-tuned model: gold score {dpo['gold']:.3f} against {sft['gold']:.3f}, "
            f"preferred by the judge on {percent(dpo['win_rate'])} of the prompts.",
            f"did not beat the fine-tuned model: gold score {dpo['gold']:.3f} against "
            f"{sft['gold']:.3f}, preferred by the judge on {percent(dpo['win_rate'])} of the "
            "prompts.",
        ),
        f"No policy could pass {percent(r['win_rate_ceiling'])} there: a win needs a prompt "
        "whose fine-tuned answer scores below the judge's best, and on the others a perfect "
        "answer only ties, which counts half.",
        f"Best-of-n, from n = {ns[0]} to {ns[-1]}, "
        + claim(
            abs(best_change) < 0.02,
            f"stayed flat (gold score {best[ns[0]]['gold']:.3f} to {best[ns[-1]]['gold']:.3f}).",
            claim(
                best_change > 0,
                f"rose (gold score {best[ns[0]]['gold']:.3f} to {best[ns[-1]]['gold']:.3f}).",
                f"fell (gold score {best[ns[0]]['gold']:.3f} to {best[ns[-1]]['gold']:.3f}).",
            ),
        ),
        claim(
            r["mode"] == "quick",
            f"This is the benchmark's quick budget ({reward['pairs']} preference pairs, "
            f"{rlhf['curve'][-1]['step']:.0f} RLHF steps, {dpo['curve'][-1]['step']:.0f} DPO "
            "steps): one small run, weak evidence either way.",
            "",
        ),
    )

# %% [markdown]
# Best-of-n needs no training: sample n answers, keep the reward model's favourite. Its KL to the
# sampler is at most $\log n - (n-1)/n$ (Stiennon et al. 2020; Beirami et al. 2024 show it is an
# upper bound):

# %%
for n in (1, 2, 4, 8, 16):
    print(f"n = {n:2}: KL <= {alignment.best_of_n_kl(n):.3f} nats")

# %% [markdown]
# Both leashes, drawn: DPO's loss on a pair against the policy's margin over the reference (how
# much more it prefers the chosen answer than the reference does), for a few $\beta$; and the
# best-of-n bound, which grows only like $\log n$:

# %%
margins = np.linspace(-20, 20, 81).astype("float32")
zero = np.zeros(1, "float32")
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for beta in (0.05, 0.1, 0.5):
    pair_losses = [float(losses.dpo_loss(np.array([m]), zero, zero, zero, beta)) for m in margins]
    left.plot(margins, pair_losses, label=f"β = {beta}")
left.axhline(math.log(2), color="gray", linestyle=":", label="log 2 (policy = reference)")
left.set_xlabel("margin: log-ratio of the chosen answer minus that of the rejected (nats)")
left.set_ylabel("DPO loss on the pair")
left.legend()
ns = np.arange(1, 65)
right.plot(ns, [alignment.best_of_n_kl(int(n)) for n in ns])
right.set_xscale("log", base=2)
right.set_xlabel("n (answers sampled, the reward model keeps one)")
right.set_ylabel("KL bound to the sampler (nats)")
show(fig, "DPO loss against the margin for three betas; the best-of-n KL bound against n")

# %% [markdown]
# ## Where this sits on the real scale
#
# InstructGPT's labelers preferred the outputs of its 1.3B-parameter RLHF model to those of the
# 175B-parameter GPT-3 (Ouyang et al. 2022, Figure 1): alignment to preferences mattered more to
# them than a hundred times more parameters. At keraseq's scale the same mechanics run in
# minutes, and their failure modes (a reward that can be exploited, a KL that grows) are
# measured above rather than described.
#
# ## Summary
#
# * Preferences come as pairs of answers; a reward model learns them with the Bradley–Terry loss,
#   and is only as useful as its accuracy on held-out pairs.
# * RLHF maximises the learned reward minus $\beta\,\mathrm{KL}(\pi\,\|\,\pi_{\text{ref}})$: the
#   KL keeps the policy near the fine-tuned model, and a learned reward that disagrees with the
#   people (here, the gold judge) can be raised without raising what they prefer.
# * DPO trains on the pairs directly, with neither a reward model nor sampling; with the policy
#   equal to the reference its loss is $\log 2$ per pair.
# * Best-of-n needs no training: its KL to the sampler is at most $\log n - (n-1)/n$, and it is
#   only as good as the reward model that picks.
#
# ## Exercises
#
# 1. Give the reward model more data: `keraseq reward runs/sft --out runs/rm --pairs 3000
#    --steps 200`. Does its held-out pair accuracy rise on the task the fine-tuned model answers
#    worst, or only on the others?
# 2. Change β: `keraseq rlhf runs/sft --reward runs/rm --out runs/rlhf0 --kl 0`, then `--kl 0.2`,
#    and compare both with `keraseq eval runs/sft runs/rlhf0 ... --reference runs/sft
#    --reward runs/rm`: how do the KL and the gold score move?
# 3. In the first cell, make the labelers cleaner and noisier, `GoldJudge(tau=0.02)` and
#    `GoldJudge(tau=0.5)`: how sure is each that '590' beats '591'?
# 4. Add β = 2 to the DPO loss figure, then train `keraseq dpo runs/sft --out runs/dpo2 --beta 2
#    --pairs-from runs/rm`: how far does the KL to the fine-tuned model grow?
# 5. Try GRPO's baseline instead of RLOO: `keraseq rlhf ... --baseline grpo`.
