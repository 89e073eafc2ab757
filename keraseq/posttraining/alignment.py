"""Measuring alignment on held-out prompts: gold score, task accuracy, learned reward, KL, win rate.

Greedy answers are graded, as in `keraseq eval`; the KL to the fine-tuned model is measured on
answers sampled at temperature 1, because $\\mathrm{KL}(\\pi \\| \\pi_{\\text{ref}})$ is an
expectation over the policy's own samples.
"""

import numpy as np

from keraseq.posttraining import chat, preferences, runs
from keraseq.posttraining.judge import BEST_SCORE, GoldJudge
from keraseq.posttraining.reward import score
from keraseq.posttraining.rlhf import sequence_kl
from keraseq.posttraining.rollout import sample_answers
from keraseq.posttraining.tasks import get_tasks


def answers(model, tokenizer, prompts, samples_per_prompt=1, temperature=0.0, seed=0):
    """A `Rollout` of the model's answers to `Prompt`s (greedy by default)."""
    return sample_answers(
        model,
        tokenizer,
        [p.text for p in prompts],
        samples_per_prompt,
        None,  # each answer may fill the context after its own prompt
        chat.END,
        temperature,
        np.random.default_rng(seed),
    )


def accuracy(prompts, rollout):
    """Per row: 1 where the task's checker gives full credit."""
    return np.array(
        [p.task.score(a, p.example.answer) == 1 for p, a in zip(prompts, rollout.answers)], float
    )


def kl_to(model, reference, tokenizer, prompts, seed=0):
    """Mean exact sequence KL of `model`'s temperature-1 answers to `reference`."""
    rollout = answers(model, tokenizer, prompts, temperature=1.0, seed=seed)
    return float(
        sequence_kl(
            model.predict_on_batch(rollout.tokens),
            reference.predict_on_batch(rollout.tokens),
            rollout.answer_mask,
        ).mean()
    )


def greedy_gold(model, tokenizer, prompts, judge):
    """The model's greedy `Rollout` on `prompts` and the judge's score of each answer."""
    rollout = answers(model, tokenizer, prompts)
    return rollout, preferences.grade_rollout(judge, prompts, rollout, 1)


def measure(
    model, reference, tokenizer, prompts, judge, reward_model=None, seed=0, reference_gold=None
):
    """The alignment columns of one model against the fine-tuned `reference`.

    `reference_gold` is the reference's `greedy_gold` scores on `prompts`, when the caller
    measures several models against it (computed here otherwise).

    Returns:
        A dict: `gold` (mean gold score), `accuracy` (mean task accuracy), `task_accuracy` (per
        task), `reward` (mean learned reward, if a reward model is given), `kl` (to the
        reference), `win_rate` (gold wins against the reference's answer to the same prompt, ties
        counting half).
    """
    mine, gold = greedy_gold(model, tokenizer, prompts, judge)
    if reference_gold is None:
        _, reference_gold = greedy_gold(reference, tokenizer, prompts, judge)
    correct = accuracy(prompts, mine)
    names = [p.task.name for p in prompts]
    result = {
        "gold": float(gold.mean()),
        "accuracy": float(correct.mean()),
        "task_accuracy": {
            n: float(correct[[m == n for m in names]].mean()) for n in dict.fromkeys(names)
        },
        "kl": kl_to(model, reference, tokenizer, prompts, seed),
        "win_rate": float(np.mean(gold > reference_gold) + 0.5 * np.mean(gold == reference_gold)),
    }
    if reward_model is not None:
        result["reward"] = float(
            score(reward_model, mine.tokens, mine.answer_mask, mine.lengths).mean()
        )
    return result


def win_rate_ceiling(reference_gold):
    """The highest `win_rate` any policy can reach against answers scored `reference_gold`.

    A policy can win only where the reference's answer scores below the judge's best
    (`BEST_SCORE`, 1); where it scores the best, a perfect answer ties (half a win):
    $\\text{ceiling} = P(g_\\text{ref} < 1) + \\tfrac{1}{2} P(g_\\text{ref} = 1)$.
    """
    best = np.asarray(reference_gold) >= BEST_SCORE - 1e-9
    return float(np.mean(~best) + 0.5 * np.mean(best))


def best_of_n(model, tokenizer, reward_model, prompts, judge, ns, seed=0):
    """Best-of-n: `max(ns)` samples per prompt; for each n, the reward model's favourite of the
    first n. Returns `{n: (mean gold score, mean accuracy)}`."""
    k = max(ns)
    rollout = answers(model, tokenizer, prompts, k, temperature=1.0, seed=seed)
    rewards = score(reward_model, rollout.tokens, rollout.answer_mask, rollout.lengths).reshape(
        -1, k
    )
    gold = preferences.grade_rollout(judge, prompts, rollout, k).reshape(-1, k)
    repeated = [p for p in prompts for _ in range(k)]
    correct = accuracy(repeated, rollout).reshape(-1, k)
    result = {}
    for n in ns:
        pick = rewards[:, :n].argmax(1)
        rows = np.arange(len(prompts))
        result[n] = (float(gold[rows, pick].mean()), float(correct[rows, pick].mean()))
    return result


def best_of_n_kl(n):
    """The KL of best-of-n to the sampler, $\\log n - (n-1)/n$ (Stiennon et al. 2020)."""
    return float(np.log(n) - (n - 1) / n)


def add_alignment(results, directories, reference_dir, reward_dir, tasks, count):
    """Adds `"alignment"` (`measure` against the fine-tuned model) to each `keraseq eval` result."""

    reference, tokenizer = runs.load_policy(reference_dir)
    reward_model = None if reward_dir is None else runs.load_reward_model(reward_dir, tokenizer)
    prompts = preferences.task_prompts(get_tasks(tasks), "test", count)
    judge = GoldJudge()
    _, reference_gold = greedy_gold(reference, tokenizer, prompts, judge)
    for result, directory in zip(results, directories):
        model, other = runs.load_policy(directory)
        runs.check_same_tokenizer(tokenizer, other, directory)
        result["alignment"] = measure(
            model, reference, tokenizer, prompts, judge, reward_model, reference_gold=reference_gold
        )
