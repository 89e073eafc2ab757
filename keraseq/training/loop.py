"""`train`: pretrain a language model with Keras's `fit`, checkpointing as it goes; resumable."""

import dataclasses
from pathlib import Path

import keras

from keraseq import checkpoint, rundir
from keraseq.data import CharTokenizer, WindowBatches, load_corpus, train_validation_split
from keraseq.training.config import LOSS, TrainConfig, build_model, build_optimizer, setting
from keraseq.training.log import TrainingLog

RESUMABLE = ("steps", "eval_interval", "distribute")  # the settings a resumed run may change


def train(directory, resume=False, verbose=1, cache_dir=None, **settings):
    """Trains a language model into `directory` (`keraseq train`).

    One Keras epoch is one evaluation interval: at its end Keras computes the validation loss, and
    `TrainingLog` writes the checkpoint and a metrics row. Batches are a function of the step
    (`WindowBatches`), and the step is the optimizer's iteration count, saved in the checkpoint: so
    a
    resumed run continues at the same step, learning rate and data position as if it had never
    stopped.

    Args:
        directory: The run's directory (created), written by one process at a time
            (`keraseq.rundir`). It must not hold a run's files unless `resume`.
        resume: Continue the checkpoint in `directory`, with the settings it was started with.
        verbose: Keras's `fit` verbosity (1: a progress bar).
        cache_dir: Keras cache directory for downloaded corpora.
        **settings: `TrainConfig` fields (`model="lstm"`, `steps=2000`, `hidden_dim=64`, ...).
            When resuming, only `steps` (to train further), `eval_interval` (which must divide
            the checkpoint's step) and `distribute` may differ from the saved run's.

    Returns:
        The trained model.

    Raises:
        ValueError, OSError: A bad setting, corpus or checkpoint, another process writing the
            directory, or a loss that became NaN or infinite (the last finite checkpoint is
            kept); the message says which.

    Example:

    ```python
    keraseq.training.train("runs/lstm", model="lstm", corpus="shakespeare", steps=2000)
    keraseq.training.train("runs/lstm", resume=True, steps=3000)     # 1000 more steps
    ```
    """
    directory = Path(directory)
    config = (
        _resumed_config(directory, settings) if resume else TrainConfig(**settings)
    ).resolved()
    if config.distribute == "data-parallel":
        use_data_parallel(config.batch_size, verbose)

    text = load_corpus(config.corpus, cache_dir=cache_dir)
    tokenizer = checkpoint.load_tokenizer(directory) if resume else CharTokenizer.from_text(text)
    if tokenizer.vocabulary_size() < 2:
        raise ValueError(
            f"corpus {config.corpus!r} has a single distinct character: there is nothing to "
            "predict (a language model needs at least 2)"
        )
    train_ids, val_ids = train_validation_split(tokenizer.tokenize(text))
    if len(val_ids) < config.sequence_length + 1:
        raise ValueError(
            f"corpus {config.corpus!r} is too short for {setting('sequence_length')} "
            f"{config.sequence_length}: its last 10% (the validation split) has {len(val_ids)} "
            "tokens, fewer than sequence_length + 1"
        )

    with rundir.writing(
        directory, checkpoint.RUN_FILES, new=not resume, checkpoint_file=checkpoint.MODEL_FILE
    ):
        if resume:
            model = checkpoint.load_model(directory, compile=True)
            checkpoint.check_belongs_together(directory, model, tokenizer)
            restore_optimizer(model, config, steps_per_execution=steps_per_execution(config))
        else:
            keras.utils.set_random_seed(config.seed)
            model = build_model(config, tokenizer.vocabulary_size())
            model.compile(
                optimizer=build_optimizer(config, model),
                loss=LOSS,
                steps_per_execution=steps_per_execution(config),
            )
            tokenizer.save(directory / checkpoint.TOKENIZER_FILE)
            checkpoint.start_metrics(directory)
        start = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        interval = config.eval_interval
        if start % interval:
            raise ValueError(
                f"{setting('eval_interval')} {interval} must divide the checkpoint's step {start}"
            )
        checkpoint.write_config(directory, config.to_json())
        if start >= config.steps:
            print(f"the checkpoint is at step {start}: nothing to do for --steps {config.steps}")
            return model
        model.fit(
            WindowBatches(
                train_ids,
                config.batch_size,
                config.sequence_length,
                config.steps - start,
                seed=config.seed,
                start=start,
            ),
            validation_data=WindowBatches(
                val_ids,
                config.batch_size,
                config.sequence_length,
                config.eval_batches,
                seed=config.seed,
            ),
            steps_per_epoch=interval,
            initial_epoch=start // interval,
            epochs=config.steps // interval,
            shuffle=False,
            callbacks=[
                TrainingLog(directory, interval, config.batch_size * config.sequence_length)
            ],
            verbose=verbose,
        )
    return model


def _resumed_config(directory, changes):
    """The saved run's config, with `steps`, `eval_interval` and `distribute` changed if asked."""
    if not checkpoint.has_checkpoint(directory):
        raise ValueError(
            f"--resume: no checkpoint in {directory} to resume (no "
            f"{checkpoint.MODEL_FILE}); start the run without --resume"
        )
    saved = TrainConfig.from_json(checkpoint.read_config(directory))
    for name, new in changes.items():
        old = getattr(saved, name)
        if name not in RESUMABLE and new != old:
            raise ValueError(
                f"{setting(name)} {new} differs from the checkpoint's {old}: a resumed run keeps "
                "its settings (only --steps, --eval-interval and --distribute may change)"
            )
    steps = changes.get("steps", saved.steps)
    if "eval_interval" not in changes and steps % saved.eval_interval:
        raise ValueError(
            f"--steps {steps} is not a multiple of the run's {setting('eval_interval')} "
            f"{saved.eval_interval}: add --eval-interval N, with N dividing both --steps and the "
            "checkpoint's step"
        )
    return dataclasses.replace(saved, **changes)


def restore_optimizer(model, config, loss=LOSS, steps_per_execution=1):
    """Recompiles a loaded model with the recipe's optimizer (and `loss`), carrying over the saved
    state.

    `keras.models.load_model` restores the optimizer's variables (step, moments) but not which
    variables are excluded from weight decay; so the optimizer is rebuilt from the recipe and the
    saved variables are copied into it.
    """
    saved = model.optimizer
    optimizer = build_optimizer(config, model)
    optimizer.build(model.trainable_variables)
    if len(optimizer.variables) != len(saved.variables):
        raise ValueError("the checkpoint's optimizer state does not match its model")
    for new, old in zip(optimizer.variables, saved.variables):
        new.assign(old)
    model.compile(optimizer=optimizer, loss=loss, steps_per_execution=steps_per_execution)


def steps_per_execution(config, most=16):
    """How many steps Keras runs per call of its train function: the largest divisor of the
    evaluation interval up to `most`, so that each interval ends on a whole call (where the
    checkpoint is written). Fewer calls mean fewer Python round trips and callbacks per step; the
    batches and updates are the same, so a resumed run still equals a straight one. Keras's torch
    trainer runs one step per call (it refuses more), so there it is 1."""
    if keras.backend.backend() == "torch":
        return 1
    return max(d for d in range(1, most + 1) if config.eval_interval % d == 0)


def use_data_parallel(batch_size, verbose=1):
    """Shards each batch over every local device with `keras.distribution.DataParallel`.

    Keras's distribution API runs on the JAX backend only, so this is the one place where the
    backend matters; elsewhere it raises a clear error.
    """
    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(
            f"--distribute data-parallel needs KERAS_BACKEND=jax (keras.distribution "
            f"runs on JAX only); the backend is {backend}"
        )
    devices = keras.distribution.list_devices()
    if batch_size % len(devices):
        raise ValueError(
            f"--batch-size {batch_size} must be a multiple of the {len(devices)} devices"
        )
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    if verbose:
        print(f"data-parallel over {len(devices)} devices: {', '.join(devices)}")
