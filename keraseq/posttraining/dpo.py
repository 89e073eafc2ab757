"""Direct preference optimisation: the policy learns from the pairs, with no reward model."""

from pathlib import Path

import keras
import numpy as np
from keras import ops

from keraseq import checkpoint
from keraseq.posttraining import preferences, runs
from keraseq.posttraining.judge import GoldJudge
from keraseq.posttraining.loop import run_steps, start_metrics
from keraseq.posttraining.losses import dpo_loss, sequence_log_probs
from keraseq.posttraining.reward import epoch_batches, pair_arrays
from keraseq.posttraining.tasks import get_tasks


class DPOTrainer(keras.Model):
    """The policy's summed answer log-probabilities of chosen and rejected answers; the DPO loss.

    Inputs: a dict with `chosen_tokens`, `chosen_mask`, `rejected_tokens`, `rejected_mask` (answer
    masks) and `reference_chosen`, `reference_rejected`: the frozen reference's summed answer
    log-probabilities, computed once before training.

    Args:
        policy: The `MiniGPT` being trained (called with dropout off).
        beta: DPO's β.
    """

    def __init__(self, policy, beta, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.beta = beta

    def call(self, inputs, training=False):
        tokens = ops.concatenate([inputs["chosen_tokens"], inputs["rejected_tokens"]], axis=0)
        mask = ops.concatenate([inputs["chosen_mask"], inputs["rejected_mask"]], axis=0)
        logits = self.policy(tokens, training=False)  # (2B, L, V)
        return sequence_log_probs(logits, tokens, mask)  # log π(y | x), (2B,)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        chosen, rejected = ops.split(y_pred, 2)
        return dpo_loss(
            chosen, rejected, x["reference_chosen"], x["reference_rejected"], self.beta
        )  # -log σ(β[(log π(y_w) - log π_ref(y_w)) - (log π(y_l) - log π_ref(y_l))])


DPO_COLUMNS = ["loss", "chosen_log_prob", "rejected_log_prob", "margin", "heldout_accuracy"]


def answer_log_probs(model, tokens, mask, batch_size=64):
    """Summed answer log-probabilities `(N,)` (NumPy) of packed rows under `model`."""
    return np.concatenate(
        [
            keras.ops.convert_to_numpy(
                sequence_log_probs(
                    model.predict_on_batch(tokens[i : i + batch_size]),
                    tokens[i : i + batch_size],
                    mask[i : i + batch_size],
                )
            )
            for i in range(0, len(tokens), batch_size)
        ]
    )


def train_dpo(
    sft_dir,
    out,
    beta=0.1,
    pairs=1500,
    heldout_pairs=200,
    pairs_from=None,
    samples_per_prompt=4,
    steps=300,
    batch_size=32,
    learning_rate=3e-5,
    tau=0.1,
    tasks=None,
    seed=0,
    interval=50,
    resume=False,
    verbose=1,
):
    """Trains the fine-tuned policy on preference pairs with the DPO loss (`keraseq dpo`).

    The pairs are those of `keraseq reward` (`pairs_from`, its `--out` directory) or sampled the
    same way. Logged at each checkpoint, on the training pairs: the mean summed log-probability
    of the chosen and of the rejected answers and their margin; on the held-out pairs, how often
    the implicit reward $\\beta(\\log\\pi - \\log\\pi_{\\text{ref}})$ orders a pair as the judge's
    noise-free preference does.

    Returns:
        The trained policy.
    """

    if not beta >= 0:
        raise ValueError(f"--beta must be >= 0, got {beta}")
    runs.check_positive_flags(pairs=pairs, steps=steps, interval=interval)
    reference, tokenizer = runs.load_policy(sft_dir)
    reference.trainable = False
    task_list = get_tasks(tasks)
    settings = dict(
        beta=beta,
        pairs=pairs,
        heldout_pairs=heldout_pairs,
        pairs_from=None if pairs_from is None else str(pairs_from),
        samples_per_prompt=samples_per_prompt,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        tau=tau,
        tasks=tasks,
        seed=seed,
        interval=interval,
    )
    if pairs_from is not None:
        runs.load_reward_model(pairs_from, tokenizer)  # a reward run of this tokenizer
    with runs.writing(out, resume):
        runs.start_run(out, sft_dir, settings, resume)
        out = Path(out)
        train_pairs, test_pairs = preferences.run_pairs(
            reference,
            tokenizer,
            task_list,
            GoldJudge(tau),
            pairs,
            heldout_pairs,
            samples_per_prompt,
            seed,
            out,
            source=pairs_from,
        )
        length = reference.sequence_length
        train_arrays = pair_arrays(tokenizer, train_pairs, length)
        test_arrays = pair_arrays(tokenizer, test_pairs, length)
        for arrays in (train_arrays, test_arrays):
            for side in ("chosen", "rejected"):
                arrays[f"reference_{side}"] = answer_log_probs(
                    reference, arrays[f"{side}_tokens"], arrays[f"{side}_mask"]
                ).astype("float32")
        policy = checkpoint.load_model(out, compile=True) if resume else runs.clone(reference)
        if not resume:
            start_metrics(out, DPO_COLUMNS)
        trainer = DPOTrainer(policy, beta)
        runs.compile_trainer(trainer, policy, learning_rate)
        inputs = [k for k in train_arrays if not k.endswith("_lengths")]
        batches = epoch_batches({k: train_arrays[k] for k in inputs}, batch_size, seed)

        def measure():
            chosen = answer_log_probs(
                policy, train_arrays["chosen_tokens"], train_arrays["chosen_mask"]
            )
            rejected = answer_log_probs(
                policy, train_arrays["rejected_tokens"], train_arrays["rejected_mask"]
            )
            test = {
                side: answer_log_probs(
                    policy, test_arrays[f"{side}_tokens"], test_arrays[f"{side}_mask"]
                )
                - test_arrays[f"reference_{side}"]
                for side in ("chosen", "rejected")
            }
            noise_free = np.array([p.chosen_gold > p.rejected_gold for p in test_pairs])
            return {
                "chosen_log_prob": float(chosen.mean()),
                "rejected_log_prob": float(rejected.mean()),
                "margin": float((chosen - rejected).mean()),
                "heldout_accuracy": float(
                    np.mean((test["chosen"] > test["rejected"]) == noise_free)
                ),
            }

        run_steps(trainer, policy, batches, measure, out, steps, interval, verbose)
        return policy
