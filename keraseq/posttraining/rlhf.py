"""RLHF: the policy samples answers, the reward model scores them, PPO updates under a KL leash."""

from pathlib import Path

import keras
import numpy as np

from keraseq import checkpoint
from keraseq.posttraining import chat, losses, preferences, runs
from keraseq.posttraining.judge import GoldJudge
from keraseq.posttraining.loop import run_steps, start_metrics
from keraseq.posttraining.policy_gradient import PolicyGradientTrainer
from keraseq.posttraining.reward import score
from keraseq.posttraining.rollout import sample_answers
from keraseq.posttraining.tasks import get_tasks

RLHF_COLUMNS = ["loss", "reward", "kl", "gold", "accuracy", "finished"]
PROMPT_POOL = 2000  # training prompts per task to draw from


def penalised_rewards(rewards, kl, finished, beta, unfinished_penalty):
    """The reward each answer is trained on: learned reward, KL leash, end-marker penalty.

    $$R = r_\\phi(x, y) - \\beta \\sum_t \\mathrm{KL}_t - c\\,[y \\text{ never ends}]$$
    """
    return rewards - beta * kl - unfinished_penalty * (1.0 - finished)  # r - β Σ KL_t - c·[no end]


def sequence_kl(policy_logits, reference_logits, answer_mask):
    """Exact KL of each answer, $\\sum_t \\mathrm{KL}_t$ over its tokens: `(N,)` NumPy."""
    kl = keras.ops.convert_to_numpy(losses.exact_kl(policy_logits, reference_logits))
    return (kl * answer_mask[:, 1:]).sum(-1)


def policy_batch(trainer, reference, rewards, rollout, group_size, baseline, penalty):
    """The inputs of a PPO update on a rollout, given its rewards `(N,)`, with its exact KLs.

    The old log-probabilities are computed as the update computes them (the same forward pass of
    the same weights), so the first update's ratio is 1.

    Returns:
        `(batch, kl)`: the trainer's inputs, and per answer the exact sequence KL to the reference.
    """
    policy_logits = trainer.predict_on_batch({"tokens": rollout.tokens})  # (N, L, V)
    reference_logits = keras.ops.convert_to_numpy(reference.predict_on_batch(rollout.tokens))
    old_log_probs = keras.ops.convert_to_numpy(
        losses.token_log_probs(policy_logits, rollout.tokens)
    )
    kl = sequence_kl(policy_logits, reference_logits, rollout.answer_mask)
    finished = rollout.finished.astype("float32")
    total = penalised_rewards(rewards, kl, finished, trainer.beta, penalty)
    advantages = losses.group_advantages(total.astype("float32"), group_size, baseline)
    batch = {
        "tokens": rollout.tokens,
        "answer_mask": rollout.answer_mask,
        "old_log_probs": old_log_probs,
        "advantages": keras.ops.convert_to_numpy(advantages),
        "reference_logits": reference_logits,
    }
    return batch, kl


def train_rlhf(
    sft_dir,
    reward_dir,
    out,
    beta=0.05,
    steps=200,
    prompts_per_step=8,
    group_size=4,
    baseline="rloo",
    ppo_epochs=2,
    epsilon=0.2,
    learning_rate=3e-5,
    unfinished_penalty=1.0,
    tau=0.1,
    tasks=None,
    seed=0,
    interval=20,
    resume=False,
    verbose=1,
):
    """Optimises the fine-tuned policy against a learned reward (`keraseq rlhf`).

    Each iteration samples `group_size` answers (temperature 1, no top-k/top-p) to each of
    `prompts_per_step` training prompts, scores them with the reward model, computes the exact KL
    to the frozen fine-tuned model and the group advantages, then takes `ppo_epochs` clipped
    updates on that batch (a step is one update). Dropout is off throughout.

    With `reward_dir=None` the rewards are the gold judge's own scores: a perfect reward model,
    the ceiling of any learned one (Gao et al. 2022's gold reward), to tell what the reward model
    costs from what the RL loop itself can do.

    Returns:
        The trained policy.
    """
    if not beta >= 0:
        raise ValueError(f"--kl (β) must be >= 0, got {beta}")
    runs.check_positive_flags(steps=steps, interval=interval, ppo_epochs=ppo_epochs)
    if interval % ppo_epochs:
        raise ValueError(f"--interval {interval} must be a multiple of --ppo-epochs {ppo_epochs}")
    losses.group_advantages(np.zeros(group_size, "float32"), group_size, baseline)  # checks them
    reference, tokenizer = runs.load_policy(sft_dir)
    reward_model = None if reward_dir is None else runs.load_reward_model(reward_dir, tokenizer)
    task_list = get_tasks(tasks)
    settings = dict(
        reward="gold judge" if reward_dir is None else str(reward_dir),
        beta=beta,
        steps=steps,
        prompts_per_step=prompts_per_step,
        group_size=group_size,
        baseline=baseline,
        ppo_epochs=ppo_epochs,
        epsilon=epsilon,
        learning_rate=learning_rate,
        unfinished_penalty=unfinished_penalty,
        tau=tau,
        tasks=tasks,
        seed=seed,
        interval=interval,
    )
    with runs.writing(out, resume):
        runs.start_run(out, sft_dir, settings, resume)
        out = Path(out)
        if resume:
            policy = checkpoint.load_model(out, compile=True)
        else:
            policy = runs.clone(reference)
            start_metrics(out, RLHF_COLUMNS)
        reference.trainable = False
        trainer = PolicyGradientTrainer(policy, beta, epsilon)
        runs.compile_trainer(trainer, policy, learning_rate)
        judge = GoldJudge(tau)
        pool = preferences.task_prompts(task_list, "train", PROMPT_POOL, seed)
        cache = {}

        def make_batch(step):
            iteration = step // ppo_epochs
            if cache.get("iteration") != iteration:
                cache.update(iteration=iteration, **rollout_batch(iteration))
            return cache["batch"], cache["logs"]

        def rollout_batch(iteration):
            rng = np.random.default_rng([seed, iteration])
            prompts = [pool[i] for i in rng.choice(len(pool), prompts_per_step, replace=False)]
            rollout = sample_answers(
                policy,
                tokenizer,
                [p.text for p in prompts],
                group_size,
                None,  # each answer may fill the context after its own prompt
                chat.END,
                1.0,
                rng,
            )
            gold = preferences.grade_rollout(judge, prompts, rollout, group_size)
            rewards = (
                gold.astype("float32")
                if reward_model is None
                else score(reward_model, rollout.tokens, rollout.answer_mask, rollout.lengths)
            )
            batch, kl = policy_batch(
                trainer, reference, rewards, rollout, group_size, baseline, unfinished_penalty
            )
            correct = [
                p.task.score(answer, p.example.answer) == 1
                for p, answer in zip(
                    (p for p in prompts for _ in range(group_size)), rollout.answers
                )
            ]
            logs = {
                "reward": float(rewards.mean()),
                "kl": float(kl.mean()),
                "gold": float(gold.mean()),
                "accuracy": float(np.mean(correct)),
                "finished": float(rollout.finished.mean()),
            }
            return {"batch": batch, "logs": logs}

        run_steps(
            trainer,
            policy,
            make_batch,
            dict,
            out,
            steps,
            interval,
            verbose,
        )
        return policy
