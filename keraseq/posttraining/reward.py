"""Training the reward model on preference pairs with the Bradley–Terry loss."""

from pathlib import Path

import keras
import numpy as np
from keras import ops

from keraseq import checkpoint
from keraseq.posttraining import preferences, runs
from keraseq.posttraining.judge import GoldJudge
from keraseq.posttraining.loop import run_steps, start_metrics
from keraseq.posttraining.losses import bradley_terry_loss
from keraseq.posttraining.reward_model import RewardModel
from keraseq.posttraining.rollout import pack
from keraseq.posttraining.tasks import get_tasks

# `RewardModel` input -> the `pair_arrays` part it comes from (`chosen_PART`, `rejected_PART`),
# in the order `score` takes them
INPUT_PARTS = {"tokens": "tokens", "answer_mask": "mask", "lengths": "lengths"}


class BradleyTerryTrainer(keras.Model):
    """Scores the chosen and the rejected answers of a batch of pairs; its loss is Bradley–Terry.

    Inputs: a dict with `chosen_tokens`, `chosen_mask`, `chosen_lengths` and the same three for
    `rejected`.
    """

    def __init__(self, reward_model, **kwargs):
        super().__init__(**kwargs)
        self.reward_model = reward_model

    def call(self, inputs, training=False):
        rows = {  # chosen then rejected, (2B, ...)
            name: ops.concatenate([inputs[f"chosen_{part}"], inputs[f"rejected_{part}"]], axis=0)
            for name, part in INPUT_PARTS.items()
        }
        return self.reward_model(rows, training=False)  # (2B,)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        chosen, rejected = ops.split(y_pred, 2)
        return bradley_terry_loss(chosen, rejected)  # -log σ(r_w - r_l)


def score(reward_model, tokens, answer_mask, lengths, batch_size=64):
    """Rewards `(N,)` (NumPy) of packed rows (as `rollout.pack` returns them)."""
    rewards = [
        keras.ops.convert_to_numpy(
            reward_model.predict_on_batch(
                {
                    "tokens": tokens[i : i + batch_size],
                    "answer_mask": answer_mask[i : i + batch_size],
                    "lengths": lengths[i : i + batch_size],
                }
            )
        )
        for i in range(0, len(tokens), batch_size)
    ]
    return np.concatenate(rewards)


def reward_model_from(policy, likelihood=True):
    """A reward model whose backbone starts as a copy of `policy` (a `MiniGPT`)."""

    model = RewardModel(runs.clone(policy), likelihood=likelihood)
    model.build()
    return model


def pair_arrays(tokenizer, pairs, length):
    """The packed chosen and rejected rows of `pairs`: a dict of arrays (trainer inputs)."""
    prompts = [p.prompt for p in pairs]
    chosen, chosen_mask, chosen_lengths = pack(
        tokenizer, prompts, [p.chosen for p in pairs], length
    )
    rejected, rejected_mask, rejected_lengths = pack(
        tokenizer, prompts, [p.rejected for p in pairs], length
    )
    return {
        "chosen_tokens": chosen,
        "chosen_mask": chosen_mask,
        "chosen_lengths": chosen_lengths,
        "rejected_tokens": rejected,
        "rejected_mask": rejected_mask,
        "rejected_lengths": rejected_lengths,
    }


def epoch_batches(arrays, batch_size, seed):
    """`step -> (batch, {})`: batches of a new permutation each epoch, a function of the step
    alone (no measurement is made while building them)."""
    count = len(next(iter(arrays.values())))
    per_epoch = max(1, count // batch_size)

    def batch(step):
        order = np.random.default_rng([seed, step // per_epoch]).permutation(count)
        rows = order[(step % per_epoch) * batch_size :][:batch_size]
        return {name: values[rows] for name, values in arrays.items()}, {}

    return batch


def pair_accuracy(reward_model, arrays, chosen_gold, rejected_gold):
    """Fraction of pairs the reward model orders as the judge's noise-free preference does."""
    chosen, rejected = (
        score(reward_model, *(arrays[f"{side}_{part}"] for part in INPUT_PARTS.values()))
        for side in ("chosen", "rejected")
    )
    return float(np.mean((chosen > rejected) == (np.asarray(chosen_gold) > rejected_gold)))


REWARD_COLUMNS = ["loss", "train_accuracy", "heldout_accuracy"]


def train_reward(
    sft_dir,
    out,
    pairs=1500,
    heldout_pairs=200,
    samples_per_prompt=4,
    steps=100,
    batch_size=32,
    learning_rate=3e-5,
    tau=0.1,
    tasks=None,
    likelihood=True,
    pairs_from=None,
    seed=0,
    interval=50,
    resume=False,
    verbose=1,
):
    """Trains a reward model on pairs of the fine-tuned model's answers (`keraseq reward`).

    The pairs (`out/pairs.jsonl`) come from the training prompts of the tasks; the held-out
    accuracy is measured on pairs from the held-out prompts, against the judge's noise-free
    preference (the higher gold score). `pairs_from` (another reward run's directory) reuses
    that run's pairs instead of sampling new ones; `likelihood` is `RewardModel`'s.

    Returns:
        `(reward_model, heldout_accuracy)`.
    """

    settings = dict(
        pairs=pairs,
        heldout_pairs=heldout_pairs,
        samples_per_prompt=samples_per_prompt,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        tau=tau,
        tasks=tasks,
        likelihood=likelihood,
        pairs_from=None if pairs_from is None else str(pairs_from),
        seed=seed,
        interval=interval,
    )
    counts = ("pairs", "heldout_pairs", "steps", "batch_size", "interval")
    runs.check_positive_flags(**{name: settings[name] for name in counts})
    judge = GoldJudge(tau)
    policy, tokenizer = runs.load_policy(sft_dir)
    task_list = get_tasks(tasks)
    with runs.writing(out, resume):
        settings = runs.start_run(out, sft_dir, settings, resume)
        out = Path(out)
        train_pairs, test_pairs = preferences.run_pairs(
            policy,
            tokenizer,
            task_list,
            judge,
            pairs,
            heldout_pairs,
            samples_per_prompt,
            seed,
            out,
            source=pairs_from,
        )
        length = policy.sequence_length
        train_arrays = pair_arrays(tokenizer, train_pairs, length)
        test_arrays = pair_arrays(tokenizer, test_pairs, length)

        if resume:
            reward_model = checkpoint.load_model(out, compile=True)
        else:
            keras.utils.set_random_seed(seed)
            reward_model = reward_model_from(policy, likelihood)
            start_metrics(out, REWARD_COLUMNS)
        trainer = BradleyTerryTrainer(reward_model)
        runs.compile_trainer(trainer, reward_model, learning_rate)
        batches = epoch_batches(train_arrays, batch_size, seed)

        def measure():
            return {
                "train_accuracy": pair_accuracy(
                    reward_model,
                    train_arrays,
                    np.ones(len(train_pairs)),
                    np.zeros(len(train_pairs)),
                ),  # against the noisy labels the model learns from
                "heldout_accuracy": pair_accuracy(
                    reward_model,
                    test_arrays,
                    [p.chosen_gold for p in test_pairs],
                    [p.rejected_gold for p in test_pairs],
                ),
            }

        logs = run_steps(trainer, reward_model, batches, measure, out, steps, interval, verbose)
        accuracy = (logs or measure())["heldout_accuracy"]
        return reward_model, accuracy
