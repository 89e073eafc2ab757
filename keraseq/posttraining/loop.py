"""The loop shared by the reward-model, DPO and RLHF trainers: steps, checkpoints, metrics.csv.

Each step trains on one batch (`train_on_batch` of a Keras model whose `compute_loss` is the
method's loss). Every `interval` steps the trained model is checkpointed atomically with its
optimizer (so `--resume` continues at the same step), then a row is appended to `metrics.csv`.
"""

import math
from pathlib import Path

import keras

from keraseq import checkpoint, files


def start_metrics(directory, columns):
    """Creates `metrics.csv` with its header (`step` then `columns`)."""
    files.write_text(Path(directory) / checkpoint.METRICS_FILE, ",".join(["step", *columns]) + "\n")


def completed_steps(trainer):
    """Optimizer steps taken so far (saved in the checkpoint)."""
    return int(keras.ops.convert_to_numpy(trainer.optimizer.iterations))


def run_steps(trainer, model, make_batch, measure, directory, steps, interval, verbose=1):
    """Trains `trainer` from its optimizer's step up to `steps`.

    Args:
        trainer: A compiled Keras model; its loss is computed from the batch alone.
        model: The model it trains, checkpointed (with the optimizer) into `directory`.
        make_batch: `step -> (batch, logs)`: the inputs of that step (a function of the step, so a
            resumed run sees the same data) and any measurements made while building it.
        measure: `() -> dict` of evaluation columns, called at each checkpoint.
        directory: The run's directory, holding `metrics.csv`.
        steps: Last step.
        interval: Steps between checkpoints.
        verbose: 1 for a progress bar.

    Raises:
        ValueError: The loss became NaN or infinite; the last checkpoint is kept.
    """
    start = completed_steps(trainer)
    if start >= steps:
        print(f"the checkpoint is at step {start}: nothing to do for --steps {steps}")
        return
    bar = keras.utils.Progbar(steps, verbose=verbose, stateful_metrics=None)
    bar.update(start)
    header = (Path(directory) / checkpoint.METRICS_FILE).read_text("utf-8").splitlines()[0]
    columns = header.split(",")[1:]
    logs = {}
    for step in range(start, steps):
        batch, batch_logs = make_batch(step)
        loss = float(trainer.train_on_batch(batch))
        if not math.isfinite(loss):
            raise ValueError(
                f"the loss is {loss} at step {step + 1}: stopped, the checkpoint of step "
                f"{step - step % interval} is intact; lower the learning rate"
            )
        logs = {"loss": loss, **batch_logs}
        if (step + 1) % interval == 0 or step + 1 == steps:
            logs.update(measure())
            checkpoint.save_model(model, directory)  # first the checkpoint, then its row
            row = ",".join(
                [str(step + 1)] + [f"{float(logs.get(c, math.nan)):.6g}" for c in columns]
            )
            with open(Path(directory) / checkpoint.METRICS_FILE, "a", encoding="utf-8") as f:
                f.write(row + "\n")
        bar.update(step + 1, [(k, v) for k, v in logs.items()])
    return logs
