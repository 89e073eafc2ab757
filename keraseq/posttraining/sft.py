r"""Supervised fine-tuning data and loss: cross-entropy on the answer tokens only.

$$
\mathcal{L}_{\text{SFT}}(\theta) = -\frac{\sum_{b,t} m_{b,t} \log p_\theta(y_{b,t} \mid y_{b,<t})}
{\sum_{b,t} m_{b,t}}, \qquad
m_{b,t} = \begin{cases} 1 & y_{b,t} \text{ is a token of the answer (its end included)} \\
0 & \text{on the prompt and the padding} \end{cases}
$$

InstructGPT's supervised stage and TRL's `SFTTrainer` with `completion_only_loss`: the model is
never taught to write the user's prompt, only to answer it. In Keras the mask is a per-token
`sample_weight`, and the loss's `"mean_with_sample_weight"` reduction divides by $\sum m$ (the
number of answer tokens in the batch) instead of by the number of positions.
"""

import keras
import numpy as np

from keraseq.data.batches import StepBatches, random_windows
from keraseq.posttraining import chat

SFT_LOSS = keras.losses.SparseCategoricalCrossentropy(
    from_logits=True, reduction="mean_with_sample_weight"
)  # Σ m·(−log p) / Σ m


def sft_arrays(tokenizer, examples, sequence_length):
    """The inputs, targets and answer mask of a batch of examples, each in one row.

    Row `b` holds `chat.format_example(prompt, answer)`: `x` its tokens but the last, `y` the same
    shifted by one (the next token at each position), `sample_weight` 1 where `y` is an answer
    token and 0 on the prompt and on the padding after the example (id 0: a causal model's earlier
    positions never see it).

    Args:
        tokenizer: The base model's tokenizer.
        examples: `(prompt, answer)` pairs (`keraseq.posttraining.tasks.Example`).
        sequence_length: Positions per row, the model's context.

    Returns:
        `x`, `y` int32 and `sample_weight` float32, each `(len(examples), sequence_length)`.

    Raises:
        ValueError: An example longer than `sequence_length + 1` tokens.
    """
    x = np.zeros((len(examples), sequence_length), "int32")
    y = np.zeros((len(examples), sequence_length), "int32")
    weight = np.zeros((len(examples), sequence_length), "float32")
    for row, (prompt, answer) in enumerate(examples):
        ids, prompt_length = chat.encode_example(tokenizer, prompt, answer)
        if len(ids) > sequence_length + 1:
            raise ValueError(
                f"the example {prompt!r} → {answer!r} takes {len(ids)} tokens with the template, "
                f"more than the model's context of {sequence_length} + 1"
            )
        x[row, : len(ids) - 1] = ids[:-1]
        y[row, : len(ids) - 1] = ids[1:]  # y_t = token t + 1
        weight[row, prompt_length - 1 : len(ids) - 1] = 1.0  # m_t = 1 where y_t is an answer token
    return x, y, weight


class InstructionBatches(StepBatches):
    """Batches `(x, y, sample_weight)` of instruction examples, optionally mixed with pretraining.

    Batch `i` is a pure function of `(seed, start + i)`, as in `keraseq.data.batches.StepBatches`:
    each row draws a task uniformly, then an example of its `split`; the last `pretraining_rows`
    rows are windows of the pretraining corpus with weight 1 on every token (the language-modelling
    loss, to keep what pretraining taught).

    Args:
        tokenizer: The base model's tokenizer.
        tasks: `keraseq.posttraining.tasks.Task` objects.
        batch_size: Rows per batch.
        sequence_length: Positions per row.
        num_batches: `len(dataset)`.
        seed: Seed of the draws.
        start: The step of the first batch.
        split: `"train"`, or `"test"` for a held-out validation loss.
        pretraining_ids: Token ids of the pretraining corpus (needed if `pretraining_rows`).
        pretraining_rows: Rows per batch taken from the corpus, `< batch_size`.
    """

    def __init__(
        self,
        tokenizer,
        tasks,
        batch_size,
        sequence_length,
        num_batches,
        seed=0,
        start=0,
        split="train",
        pretraining_ids=None,
        pretraining_rows=0,
    ):
        super().__init__(batch_size, sequence_length, num_batches, seed, start)
        self.tokenizer = tokenizer
        self.tasks = list(tasks)
        self.split = split
        self.pretraining_ids = pretraining_ids
        self.pretraining_rows = pretraining_rows

    def batch(self, rng):
        rows = self.batch_size - self.pretraining_rows
        examples = [
            self.tasks[rng.integers(len(self.tasks))].sample(rng, self.split) for _ in range(rows)
        ]
        x, y, weight = sft_arrays(self.tokenizer, examples, self.sequence_length)
        if self.pretraining_rows:
            windows = random_windows(
                self.pretraining_ids, self.sequence_length, self.pretraining_rows, rng
            )
            x = np.concatenate([x, windows[:, :-1]])
            y = np.concatenate([y, windows[:, 1:]])
            weight = np.concatenate([weight, np.ones(x.shape, "float32")[: len(windows)]])
        return x, y, weight
