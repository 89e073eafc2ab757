"""Training data for a language model: random windows of the token stream, target = input moved."""

import keras
import numpy as np


def train_validation_split(ids, train_fraction=0.9):
    """nanoGPT's split: the first 90% of the tokens train, the last 10% validate."""
    n = int(len(ids) * train_fraction)
    return ids[:n], ids[n:]


class StepBatches(keras.utils.PyDataset):
    """Batches of which batch `i` is a pure function of `(seed, start + i)`.

    So the data position is just the step number, and training resumed at step `s` (`start=s`)
    sees exactly the batches an uninterrupted run would. A subclass defines `batch(rng)`, drawing
    from `rng = np.random.default_rng([seed, start + i])`.

    Args:
        batch_size: Rows per batch, positive.
        sequence_length: Tokens per row (the model's context), positive.
        num_batches: How many batches this dataset yields (`len(dataset)`).
        seed: Seed of the draws.
        start: The step of the first batch.
    """

    def __init__(self, batch_size, sequence_length, num_batches, seed=0, start=0):
        super().__init__()
        self.batch_size = batch_size
        self.sequence_length = sequence_length
        self.length = num_batches
        self.seed = seed
        self.start = start

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if not 0 <= index < self.length:
            raise IndexError(f"batch {index} of {self.length}")
        return self.batch(np.random.default_rng([self.seed, self.start + index]))

    def batch(self, rng):
        """The batch drawn from `rng`, a NumPy `Generator` seeded with `[seed, start + i]`."""
        raise NotImplementedError


def random_windows(ids, sequence_length, count, rng):
    """`count` windows of `sequence_length + 1` tokens of `ids`, at offsets drawn by `rng`."""
    offsets = rng.integers(0, len(ids) - sequence_length, size=count)
    return ids[offsets[:, None] + np.arange(sequence_length + 1)]  # (count, T + 1)


class WindowBatches(StepBatches):
    """Batches of random windows `(x, y)`, `y` being `x` shifted one token to the left.

    Batch `i` is a pure function of `(seed, start + i)` (`StepBatches`): windows start at offsets
    drawn by `np.random.default_rng([seed, start + i])`.

    Args:
        ids: 1-D int array, the token stream.
        batch_size: Windows per batch, positive.
        sequence_length: Tokens per window (the model's context), positive.
        num_batches: How many batches this dataset yields (`len(dataset)`).
        seed: Seed of the window offsets.
        start: The step of the first batch.

    Yields:
        `x`, `y`: int32 arrays of shape `(batch_size, sequence_length)`.
    """

    def __init__(self, ids, batch_size, sequence_length, num_batches, seed=0, start=0):
        super().__init__(batch_size, sequence_length, num_batches, seed, start)
        if len(ids) < sequence_length + 1:
            raise ValueError(
                f"{len(ids)} tokens are too few for windows of sequence_length {sequence_length} "
                f"(it needs at least {sequence_length + 1}): use a smaller --context or a longer "
                "corpus"
            )
        self.ids = np.asarray(ids, dtype="int32")

    def batch(self, rng):
        windows = random_windows(self.ids, self.sequence_length, self.batch_size, rng)
        return windows[:, :-1], windows[:, 1:]  # x, y: (B, T) each
