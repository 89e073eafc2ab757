"""Language-model runs shared by the speed and scaling claims: the same corpus, recipe and clock.

Every model is trained with `keraseq.training`'s recipe (AdamW, warm-up and cosine decay, global
clipping), on `WindowBatches` of the offline `python-docs` corpus, with Keras's `fit`.
"""

import dataclasses
import time

import keras
import numpy as np

from keraseq.data import CharTokenizer, WindowBatches, load_corpus, train_validation_split
from keraseq.generation import generate
from keraseq.training import TrainConfig, build_model, build_optimizer
from keraseq.training.config import LOSS


@dataclasses.dataclass
class LMData:
    tokenizer: CharTokenizer
    train_ids: np.ndarray
    val_ids: np.ndarray


def load_lm_data(corpus="python-docs"):
    """The corpus, its character tokenizer and nanoGPT's 90/10 split."""
    text = load_corpus(corpus)
    tokenizer = CharTokenizer.from_text(text)
    train_ids, val_ids = train_validation_split(tokenizer.tokenize(text))
    return LMData(tokenizer, train_ids, val_ids)


class StepClock(keras.callbacks.Callback):
    r"""Records each step's own training loss and the wall-clock time at its end.

    `fit` logs the running mean of the loss over the epoch, $m_k$; the loss of step $k$ itself is
    $k\, m_k - (k - 1)\, m_{k-1}$ (every batch has the same size).
    """

    def __init__(self):
        super().__init__()
        self.losses, self.times, self.mean = [], [], 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])  # float() waits for the step (JAX dispatches asynchronously)
        self.losses.append((batch + 1) * mean - batch * self.mean)
        self.mean = mean
        self.times.append(time.perf_counter())


def train_lm(
    kind,
    hidden_dim,
    num_layers,
    data,
    steps,
    batch_size=16,
    sequence_length=64,
    learning_rate=3e-3,
    eval_batches=10,
    seed=0,
    verbose=1,
):
    """Trains the language model of `kind` (`keraseq.models.kinds`); returns it, its measurements.

    Returns:
        `(model, {"model", "hidden_dim", "num_layers", "parameters", "loss": [per step], "seconds":
        [wall time at the end of each step, from the end of step 1 (so compiling is not counted)],
        "step_time": median seconds per step, "val_loss"})`.
    """
    config = TrainConfig(
        model=kind,
        steps=steps,
        batch_size=batch_size,
        sequence_length=sequence_length,
        num_layers=num_layers,
        hidden_dim=hidden_dim,
        num_heads=4 if hidden_dim % 4 == 0 else 1,
        learning_rate=learning_rate,
        min_learning_rate=learning_rate / 10,
        seed=seed,
    ).resolved()
    keras.utils.set_random_seed(seed)
    model = build_model(config, data.tokenizer.vocabulary_size())
    model.compile(optimizer=build_optimizer(config, model), loss=LOSS)
    clock = StepClock()
    model.fit(
        WindowBatches(data.train_ids, batch_size, sequence_length, steps, seed=seed),
        epochs=1,
        shuffle=False,
        verbose=verbose,
        callbacks=[clock],
    )
    val = WindowBatches(data.val_ids, batch_size, sequence_length, eval_batches, seed=seed)
    seconds = [t - clock.times[0] for t in clock.times]
    return model, {
        "model": kind,
        "hidden_dim": hidden_dim,
        "num_layers": num_layers,
        "parameters": int(model.count_params()),
        "loss": clock.losses,
        "seconds": seconds,
        "step_time": float(np.median(np.diff(seconds))) if steps > 1 else None,
        "val_loss": float(model.evaluate(val, verbose=0)),
    }


def sample_text(model, data, prompt="The ", length=60, seed=0):
    """A sampled continuation of `prompt` (temperature 0.8, top-k 10), for the summary table."""
    return generate(model, data.tokenizer, prompt, length, temperature=0.8, top_k=10, seed=seed)
