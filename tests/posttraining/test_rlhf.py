"""The reward model, sampling with log-probabilities, and the RLHF/DPO trainers on a tiny model."""

import csv

import keras
import numpy as np
from conftest import max_abs_diff, to_numpy
from rlhf_fixtures import TINY_PAIRS, reward_dir, sft_dir  # noqa: F401

from keraseq import checkpoint, generate
from keraseq.posttraining import alignment, chat, losses, preferences, runs
from keraseq.posttraining.dpo import DPOTrainer, train_dpo
from keraseq.posttraining.policy_gradient import PolicyGradientTrainer
from keraseq.posttraining.reward import reward_model_from, score
from keraseq.posttraining.reward_model import RewardModel
from keraseq.posttraining.rlhf import policy_batch, train_rlhf
from keraseq.posttraining.rollout import log_softmax, pack, sample_answers
from keraseq.posttraining.tasks import get_tasks

PROMPTS = [chat.format_prompt(p) for p in ("Add 12+7", "In digits: forty two", "Add 1+1")]


def test_reward_is_read_at_the_last_real_token_whatever_the_padding(sft_dir):
    policy, tokenizer = runs.load_policy(sft_dir)
    reward_model = reward_model_from(policy)
    short = pack(tokenizer, PROMPTS, ["19\n", "42\n", "2"], 40)
    long = pack(tokenizer, PROMPTS, ["19\n", "42\n", "2"], 64)
    noisy = short[0].copy()
    noisy[:, 35:] = 7  # other padding tokens after the last real one
    a = score(reward_model, *short)
    b = score(reward_model, *long)
    c = score(reward_model, noisy, short[1], short[2])
    assert max_abs_diff(a, b) < 1e-5 and max_abs_diff(a, c) < 1e-5
    changed = pack(tokenizer, PROMPTS, ["18\n", "42\n", "2"], 40)
    assert abs(score(reward_model, *changed)[0] - a[0]) > 0  # it reads the answer


def test_reward_adds_the_networks_own_log_likelihood_of_the_answer(sft_dir):
    policy, tokenizer = runs.load_policy(sft_dir)
    reward_model = reward_model_from(policy)
    head_only = RewardModel(reward_model.backbone, likelihood=False)  # the same weights
    head_only.build()
    head_only.score_head.set_weights(reward_model.score_head.get_weights())
    tokens, mask, lengths = pack(tokenizer, PROMPTS, ["19\n", "42\n", "2"], 40)
    log_p = log_softmax(to_numpy(policy(tokens)))[:, :-1]  # NumPy, (B, L-1, V)
    next_log_p = np.take_along_axis(log_p, tokens[:, 1:, None], -1)[..., 0]  # (B, L-1)
    log_likelihood = (next_log_p * mask[:, 1:]).sum(-1)  # over the answer's tokens only
    expected = score(head_only, tokens, mask, lengths) + 1.0 * log_likelihood  # λ starts at 1
    assert max_abs_diff(score(reward_model, tokens, mask, lengths), expected) < 1e-4


def test_a_reward_model_saved_without_the_likelihood_setting_loads_as_head_only(sft_dir):
    policy, _ = runs.load_policy(sft_dir)
    config = reward_model_from(policy, likelihood=False).get_config()
    del config["likelihood"]  # as saved before the setting existed
    assert not RewardModel.from_config(config).likelihood


def test_sampled_log_probs_are_the_models_and_greedy_equals_generate(sft_dir):
    policy, tokenizer = runs.load_policy(sft_dir)
    rollout = sample_answers(
        policy, tokenizer, PROMPTS, 3, 12, chat.END, 1.0, np.random.default_rng(0)
    )
    assert rollout.tokens.shape == (9, 64) and rollout.answer_mask.sum() > 9
    full = to_numpy(losses.token_log_probs(policy(rollout.tokens), rollout.tokens))
    mask = rollout.answer_mask[:, 1:]
    assert np.max(np.abs((full - rollout.log_probs) * mask)) < 1e-4
    assert np.all(rollout.log_probs[mask == 0] == 0)
    greedy = sample_answers(
        policy, tokenizer, PROMPTS, 1, 12, chat.END, 0, np.random.default_rng(0)
    )
    for prompt, answer, finished in zip(PROMPTS, greedy.answers, greedy.finished):
        text = generate(policy, tokenizer, prompt, 12, temperature=0)
        assert chat.parse_answer(text) == (answer, bool(finished))


def test_each_answer_may_fill_the_context_after_its_own_prompt(sft_dir):
    policy, tokenizer = runs.load_policy(sft_dir)
    prompts = [PROMPTS[2], chat.format_prompt("Add 1+1 " + "x" * 30)]  # short beside long
    never = tokenizer.id_to_token(0)  # a marker this tiny model does not write (asserted)
    greedy = sample_answers(policy, tokenizer, prompts, 1, None, never, 0, np.random.default_rng(0))
    assert not greedy.finished.any()  # so each row runs out of room
    for row, prompt in enumerate(prompts):
        room = policy.sequence_length - len(tokenizer.tokenize(prompt))
        assert greedy.answer_mask[row].sum() == room  # not the room the longer prompt leaves
        text = generate(policy, tokenizer, prompt, room, temperature=0)
        assert text == greedy.answers[row]


def test_reward_run_saves_a_reward_model_pairs_and_metrics(reward_dir, sft_dir):
    policy, tokenizer = runs.load_policy(sft_dir)
    model = runs.load_reward_model(reward_dir, tokenizer)
    pairs = preferences.load_pairs(reward_dir / preferences.PAIRS_FILE)
    assert 0 < len(pairs) <= TINY_PAIRS["pairs"]
    assert all(p.chosen_gold != p.rejected_gold for p in pairs)  # ties dropped
    texts = {(p.prompt, frozenset((p.chosen, p.rejected))) for p in pairs}
    assert len(texts) == len(pairs)  # two texts are paired once, however often sampled
    rows = list(csv.DictReader(open(reward_dir / checkpoint.METRICS_FILE)))
    assert [int(r["step"]) for r in rows] == [2]
    assert 0 <= float(rows[-1]["heldout_accuracy"]) <= 1
    assert model.count_params() == policy.count_params() + 16 + 1 + 1  # w, b and λ


def test_huge_beta_keeps_the_policy_at_the_reference(sft_dir, reward_dir, tmp_path):
    reference, tokenizer = runs.load_policy(sft_dir)
    kls = {}
    for beta in (0.0, 1e4):
        out = tmp_path / f"beta{beta}"
        policy = train_rlhf(
            sft_dir,
            reward_dir,
            out,
            beta=beta,
            steps=4,
            prompts_per_step=2,
            group_size=3,
            learning_rate=1e-2,
            tasks="numbers",
            interval=2,
            verbose=0,
        )
        prompts = preferences.task_prompts(get_tasks("numbers"), "test", 8)
        kls[beta] = alignment.kl_to(policy, reference, tokenizer, prompts)
        rows = list(csv.DictReader(open(out / checkpoint.METRICS_FILE)))
        assert [int(r["step"]) for r in rows] == [2, 4]
        assert {"reward", "kl", "gold", "accuracy"} <= set(rows[0])
    # Adam moves every weight by about the learning rate per step whatever the loss's scale, and
    # the KL's gradient is 0 at the reference, so the first update is the reward's: the leash
    # then pulls back, and the policy stays within a small KL while β = 0 drifts away.
    assert kls[1e4] < 0.1 and kls[1e4] < 0.5 * kls[0.0], kls


def test_without_a_reward_model_rlhf_is_trained_on_the_gold_judges_scores(sft_dir, tmp_path):
    out = tmp_path / "gold"
    train_rlhf(
        sft_dir,
        None,
        out,
        steps=2,
        prompts_per_step=2,
        group_size=3,
        tasks="numbers",
        interval=2,
        verbose=0,
    )
    (row,) = csv.DictReader(open(out / checkpoint.METRICS_FILE))
    assert float(row["reward"]) == float(row["gold"])  # the same rollout's mean, as trained on
    assert float(row["reward"]) > 0  # the judge's score is in [0, 1]: not a learned reward


def test_dpo_starts_at_log_2_and_moves_the_margin(sft_dir, reward_dir, tmp_path):
    policy = train_dpo(
        sft_dir,
        tmp_path / "dpo",
        beta=0.5,
        pairs_from=reward_dir,
        steps=4,
        learning_rate=1e-2,
        tasks="numbers,addition",
        verbose=0,
        **{k: v for k, v in TINY_PAIRS.items()},
    )
    rows = list(csv.DictReader(open(tmp_path / "dpo" / checkpoint.METRICS_FILE)))
    assert rows and float(rows[-1]["margin"]) > float(rows[0]["margin"]) - 1e-6
    reference, tokenizer = runs.load_policy(sft_dir)
    trainer = DPOTrainer(reference, 0.5)
    pairs = preferences.load_pairs(tmp_path / "dpo" / preferences.PAIRS_FILE)
    prompts = [p.prompt for p in pairs]
    chosen, chosen_mask, _ = pack(tokenizer, prompts, [p.chosen for p in pairs], 64)
    rejected, rejected_mask, _ = pack(tokenizer, prompts, [p.rejected for p in pairs], 64)
    inputs = dict(
        chosen_tokens=chosen,
        chosen_mask=chosen_mask,
        rejected_tokens=rejected,
        rejected_mask=rejected_mask,
    )
    log_probs = trainer(inputs)
    inputs["reference_chosen"], inputs["reference_rejected"] = keras.ops.split(log_probs, 2)
    loss = trainer.compute_loss(inputs, None, log_probs)
    assert abs(float(loss) - np.log(2)) < 1e-6  # the policy is the reference
    assert isinstance(policy, type(reference))


def test_first_update_ratio_is_exactly_one(sft_dir, reward_dir):
    reference, tokenizer = runs.load_policy(sft_dir)
    policy = runs.clone(reference)
    trainer = PolicyGradientTrainer(policy, beta=0.1)
    runs.compile_trainer(trainer, policy, 1e-3)
    reward_model = runs.load_reward_model(reward_dir, tokenizer)
    rollout = sample_answers(
        policy, tokenizer, PROMPTS, 2, 12, chat.END, 1.0, np.random.default_rng(1)
    )
    rewards = score(reward_model, rollout.tokens, rollout.answer_mask, rollout.lengths)
    batch, kl = policy_batch(trainer, reference, rewards, rollout, 2, "rloo", 1.0)
    mask = rollout.answer_mask[:, 1:]
    assert np.max(np.abs((batch["old_log_probs"] - rollout.log_probs) * mask)) < 1e-4  # sampled
    assert np.max(np.abs(kl)) < 1e-5  # the policy starts as the reference
    log_probs = losses.token_log_probs(trainer(batch), batch["tokens"])
    _, ratio = losses.ppo_clip_loss(
        log_probs, batch["old_log_probs"], batch["advantages"], mask, 0.2
    )
    assert np.max(np.abs(to_numpy(ratio) - 1) * mask) < 1e-6
    assert rewards.shape == (6,)


def test_the_policy_gradient_raises_the_reward_it_is_trained_on(sft_dir):
    # The update's direction, not only its formula: rewarding answers that start with a digit
    # must raise the policy's probability of a digit first, computed exactly from its logits.
    reference, tokenizer = runs.load_policy(sft_dir)
    policy = runs.clone(reference)
    trainer = PolicyGradientTrainer(policy, beta=0.0)
    runs.compile_trainer(trainer, policy, 1e-2)
    digits = [tokenizer.token_to_id(d) for d in "0123456789"]
    tokens, _, lengths = pack(tokenizer, PROMPTS, [""] * len(PROMPTS), 64)

    def digit_first():
        logits = to_numpy(policy(tokens))[np.arange(len(PROMPTS)), lengths - 1]  # (3, V)
        return np.exp(log_softmax(logits))[:, digits].sum(-1).mean()

    before, rng = digit_first(), np.random.default_rng(0)
    for _ in range(10):
        rollout = sample_answers(policy, tokenizer, PROMPTS, 8, 3, chat.END, 1.0, rng)
        rewards = np.array([answer[:1].isdigit() for answer in rollout.answers], "float32")
        batch, _ = policy_batch(trainer, reference, rewards, rollout, 8, "rloo", 0.0)
        trainer.train_on_batch(batch)
    after = digit_first()
    assert after > before + 0.1, (before, after)  # measured 0.13 -> 0.29 (torch)


def test_the_evolve_claim_measures_fine_tuned_against_rlhf_and_dpo(tmp_path):
    from keraseq.experiments.claims import CLAIMS

    claim = CLAIMS["rlhf"]
    result = claim.run(
        tasks=("numbers",),
        hidden_dim=16,
        num_layers=1,
        pretrain_steps=2,
        sft_steps=2,
        pairs=8,
        reward_steps=2,
        rlhf_steps=1,
        dpo_steps=2,
        count=3,
        verbose=0,
    )
    stages = result["stages"]
    assert set(stages) == {"sft", "rlhf", "dpo"} and 0 <= result["reward_accuracy"] <= 1
    assert stages["sft"]["kl"] == 0 and stages["sft"]["win_rate"] == 0.5  # SFT is the reference
    assert all(0 <= m["gold"] <= 1 and m["kl"] >= 0 for m in stages.values())
    gold = {stage: m["gold"] for stage, m in stages.items()}
    assert result["holds"] == (max(gold["rlhf"], gold["dpo"]) > gold["sft"])
    claim.plot(result, tmp_path / "rlhf.png")
    assert (tmp_path / "rlhf.png").read_bytes()[:4] == b"\x89PNG"
