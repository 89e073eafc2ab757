"""The alignment measures of `keraseq eval --reference` and best-of-n, on a tiny model."""

import numpy as np
from rlhf_fixtures import reward_dir, sft_dir  # noqa: F401

from keraseq.posttraining import alignment, preferences, runs
from keraseq.posttraining.evaluate import alignment_cells
from keraseq.posttraining.judge import GoldJudge
from keraseq.posttraining.tasks import get_tasks


def test_the_reference_against_itself(sft_dir, reward_dir):
    model, tokenizer = runs.load_policy(sft_dir)
    reward_model = runs.load_reward_model(reward_dir, tokenizer)
    prompts = preferences.task_prompts(get_tasks("numbers,addition"), "test", 3)
    measured = alignment.measure(model, model, tokenizer, prompts, GoldJudge(), reward_model)
    assert abs(measured["kl"]) < 1e-5  # KL(π ‖ π) = 0
    assert measured["win_rate"] == 0.5  # every prompt a tie
    assert set(measured["task_accuracy"]) == {"numbers", "addition"}
    assert 0 <= measured["gold"] <= 1
    cells = alignment_cells(measured)
    assert cells[2] == f"{measured['kl']:.3f}" and cells[3] == "50%"


def test_best_of_n_picks_the_reward_models_favourite(sft_dir, reward_dir):
    model, tokenizer = runs.load_policy(sft_dir)
    reward_model = runs.load_reward_model(reward_dir, tokenizer)
    prompts = preferences.task_prompts(get_tasks("numbers"), "test", 4)
    judge = GoldJudge()
    best = alignment.best_of_n(model, tokenizer, reward_model, prompts, judge, (1, 4), seed=3)
    rollout = alignment.answers(model, tokenizer, prompts, 4, temperature=1.0, seed=3)
    gold = preferences.grade_rollout(judge, prompts, rollout, 4).reshape(-1, 4)
    assert abs(best[1][0] - gold[:, 0].mean()) < 1e-12  # n = 1: the first sample
    assert gold[:, 0].mean() - 1e-12 <= gold.max(1).mean() and best[4][0] <= gold.max(1).mean()
    assert alignment.best_of_n_kl(1) == 0 and np.isclose(
        alignment.best_of_n_kl(4), np.log(4) - 0.75
    )


def test_win_rate_ceiling_is_a_perfect_policys_win_rate():
    perfect = GoldJudge().score(1.0, True, 3, 3)  # correct, ended, not rambling: the best score
    reference = np.array([perfect, 0.7, perfect, 0.85, 0.0])
    # `measure`'s win rate of answers that all score the best: 3 wins, 2 ties
    wins = np.mean(perfect > reference) + 0.5 * np.mean(perfect == reference)
    assert perfect == 1.0 and alignment.win_rate_ceiling(reference) == wins == 0.8
    assert alignment.win_rate_ceiling(np.full(4, perfect)) == 0.5  # nothing left to win
