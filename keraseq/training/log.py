"""The callback that ends each evaluation interval: checkpoint, then a row of `metrics.csv`."""

import math
import time
from pathlib import Path

import keras

from keraseq import checkpoint


class TrainingLog(keras.callbacks.Callback):
    """Saves the checkpoint, then appends a row to `metrics.csv` (`checkpoint.METRICS_COLUMNS`);
    stops training with a `ValueError`, saving nothing, once the loss is NaN or infinite.

    One Keras epoch is one evaluation interval, so this runs at each epoch's end, after Keras has
    computed `val_loss` on the validation batches. `train_loss` is the mean over the interval;
    `tokens_per_second` counts training steps only (not the validation), and the first interval's
    includes compiling the train step.

    Args:
        directory: The run's directory.
        interval: Steps per epoch.
        tokens_per_step: `batch_size * sequence_length`.
    """

    def __init__(self, directory, interval, tokens_per_step):
        super().__init__()
        self.directory = Path(directory)
        self.interval = interval
        self.tokens_per_step = tokens_per_step
        self.started = self.trained = None

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.interval - 1:
            float(logs["loss"])  # waits for the step to finish (JAX dispatches asynchronously)
            self.trained = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        step = (epoch + 1) * self.interval
        losses = float(logs["loss"]), float(logs["val_loss"])
        if not all(math.isfinite(loss) for loss in losses):  # a NaN step makes the mean NaN
            raise ValueError(
                f"training diverged: the loss became {losses[0]} (validation {losses[1]}) by step "
                f"{step}; nothing was saved (an earlier checkpoint is kept). Try a lower --lr"
            )
        checkpoint.save_model(self.model, self.directory)  # first the checkpoint, then its row
        speed = self.interval * self.tokens_per_step / (self.trained - self.started)
        row = [str(step), f"{losses[0]:.6f}", f"{losses[1]:.6f}"]
        checkpoint.append_metrics(self.directory, [*row, f"{speed:.1f}"])
