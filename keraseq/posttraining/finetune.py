"""`finetune`: supervised fine-tuning of a pretrained checkpoint on the instruction tasks.

A fine-tuning run's directory is a training run's (`keraseq.checkpoint`): `model.keras` (read by
`keraseq generate`, `keraseq eval`, `keraseq chat`), `tokenizer.json` (the base's), `config.json`
(a `FinetuneConfig`, naming the base) and `metrics.csv` (`val_loss` is the answer loss on held-out
prompts).
"""

import dataclasses
import json
from pathlib import Path

import keras

from keraseq import checkpoint, rundir
from keraseq.checks import check_positive_integer
from keraseq.data import load_corpus, train_validation_split
from keraseq.posttraining import chat
from keraseq.posttraining.sft import SFT_LOSS, InstructionBatches
from keraseq.posttraining.tasks import TASKS, check_alphabet, get_tasks
from keraseq.training.config import (
    build_optimizer,
    default_eval_interval,
    default_warmup_steps,
    flag,
)
from keraseq.training.log import TrainingLog
from keraseq.training.loop import restore_optimizer, steps_per_execution

RECURRENT_CONTEXT = 64  # rows of a recurrent base (which has no fixed context), in tokens


@dataclasses.dataclass
class FinetuneConfig:
    """The settings of a fine-tuning run (the flags of `keraseq finetune`).

    The optimizer settings are `keraseq.training.TrainConfig`'s (AdamW, a short warm-up then a
    cosine decay over `steps`); the defaults (3000 steps of 16 examples, a peak of 5e-4) are the
    recipe measured by `benchmarks/finetune.py`.
    """

    base: str = ""
    tasks: str = ",".join(TASKS)
    steps: int = 3000
    batch_size: int = 16
    learning_rate: float = 5e-4
    min_learning_rate: float = 1e-4
    warmup_steps: int | None = None
    decay_steps: int | None = None
    weight_decay: float = 0.1
    beta_2: float = 0.99
    global_clipnorm: float = 1.0
    lora_rank: int | None = None
    pretraining_mix: float = 0.0
    seed: int = 0
    eval_interval: int | None = None
    eval_batches: int = 4

    def resolved(self):
        """A copy with the defaults filled in; `ValueError` naming a bad setting."""
        for name in ("steps", "batch_size", "eval_batches"):
            _check_positive(name, getattr(self, name))
        if self.lora_rank is not None:
            _check_positive("lora_rank", self.lora_rank)
        get_tasks(self.tasks)
        c = dataclasses.replace(self, decay_steps=self.decay_steps or self.steps)
        _check_positive("decay_steps", c.decay_steps)
        if c.warmup_steps is None:
            c.warmup_steps = default_warmup_steps(c.decay_steps)
        if not 0 <= c.warmup_steps < c.decay_steps:
            raise ValueError(
                f"--warmup-steps must be in [0, {c.decay_steps}), got {c.warmup_steps}"
            )
        if c.eval_interval is None:
            c.eval_interval = default_eval_interval(c.steps)
        _check_positive("eval_interval", c.eval_interval)
        if c.steps % c.eval_interval:
            raise ValueError(f"--eval-interval {c.eval_interval} must divide --steps {c.steps}")
        if not c.learning_rate > 0 or not 0 <= c.min_learning_rate <= c.learning_rate:
            raise ValueError(
                f"need --lr > 0 and 0 <= --min-lr <= --lr, got {c.learning_rate} and "
                f"{c.min_learning_rate}"
            )
        if not 0 <= c.pretraining_mix < 1:
            raise ValueError(f"--pretraining-mix must be in [0, 1), got {c.pretraining_mix}")
        return c

    def pretraining_rows(self):
        return round(self.pretraining_mix * self.batch_size)

    def to_json(self):
        return json.dumps({"stage": "finetune", **dataclasses.asdict(self)}, indent=2)

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        if values.pop("stage", None) != "finetune":
            raise ValueError("not a fine-tuning run (its config.json is a keraseq train run's)")
        return cls(**values)


FLAGS = {"lora_rank": "--lora"}  # fields whose `keraseq finetune` flag differs from `flag(field)`


def finetune_flag(field):
    """The `keraseq finetune` flag of a `FinetuneConfig` field (`keraseq train`'s where shared)."""
    return FLAGS.get(field) or flag(field)


def _check_positive(name, value):
    check_positive_integer(finetune_flag(name), value)


def context_of(model):
    """Tokens per training row: the Transformer's context, or 64 for a recurrent model."""
    return getattr(model, "sequence_length", RECURRENT_CONTEXT)


def check_fits(tasks, tokenizer, sequence_length):
    """Raises `ValueError` if a held-out example of a task does not fit the model's context."""
    check_alphabet(tasks, tokenizer, chat.MARKERS)
    for task in tasks:
        longest = max(len(chat.format_example(*e)) for e in task.examples("test", 200))
        if longest > sequence_length + 1:
            raise ValueError(
                f"task {task.name!r} needs {longest - 1} tokens of context; the base model "
                f"reads {sequence_length}"
            )


def finetune(directory, base=None, resume=False, verbose=1, **settings):
    """Fine-tunes the checkpoint in `base` on instruction tasks, into `directory`.

    Every step is a batch of examples drawn from the training splits of the tasks (plus corpus
    windows if `pretraining_mix`), under `SFT_LOSS`; the optimizer is `keraseq train`'s
    (`keraseq.training.build_optimizer`), and so is its `steps_per_execution`. One Keras epoch is
    one evaluation interval, after which the checkpoint and a `metrics.csv` row are written,
    atomically: like `keraseq.training.train`, a resumed run continues at the same step, learning
    rate and batches.

    Args:
        directory: The run's directory; it must not hold a checkpoint unless `resume`.
        base: A `keraseq train` run's directory (not needed when resuming).
        resume: Continue the run in `directory`.
        verbose: Keras's `fit` verbosity (1: a progress bar).
        **settings: `FinetuneConfig` fields (`tasks="qa,code"`, `steps=500`, `lora_rank=4`, ...).
            When resuming, only `steps` may change.

    Returns:
        The fine-tuned model.

    Raises:
        ValueError, OSError: A bad setting, base or task; the message says which.

    Example:

    ```python
    finetune("runs/sft", base="runs/transformer", tasks="qa,numbers", steps=500)
    ```
    """
    directory = Path(directory)
    if resume:
        config = _resumed_config(directory, settings)
        if base is not None and str(base) != config.base:
            raise ValueError(f"--resume: the run was fine-tuned from {config.base}, not {base}")
    elif base is None:
        raise ValueError("give the base checkpoint to fine-tune")
    else:
        config = FinetuneConfig(base=str(base), **settings)
    config = config.resolved()
    tasks = get_tasks(config.tasks)
    model, tokenizer = checkpoint.load_checkpoint(directory if resume else config.base)
    if resume:  # with its optimizer's state
        model = checkpoint.load_model(directory, compile=True)
    sequence_length = context_of(model)
    check_fits(tasks, tokenizer, sequence_length)
    if config.lora_rank and not hasattr(model, "enable_lora"):
        raise ValueError("--lora needs a Transformer base model (MiniGPT)")
    pretraining_ids = None
    if config.pretraining_rows():
        corpus = json.loads(checkpoint.read_config(config.base))["corpus"]
        pretraining_ids = train_validation_split(tokenizer.tokenize(load_corpus(corpus)))[0]

    with rundir.writing(
        directory, checkpoint.RUN_FILES, new=not resume, checkpoint_file=checkpoint.MODEL_FILE
    ):
        if resume:
            restore_optimizer(model, config, SFT_LOSS, steps_per_execution(config))
        else:
            keras.utils.set_random_seed(config.seed)
            if config.lora_rank:
                model.enable_lora(config.lora_rank)
            model.compile(
                optimizer=build_optimizer(config, model),
                loss=SFT_LOSS,
                steps_per_execution=steps_per_execution(config),
            )
            tokenizer.save(directory / checkpoint.TOKENIZER_FILE)
            checkpoint.start_metrics(directory)
        checkpoint.write_config(directory, config.to_json())
        start = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        if start >= config.steps:
            print(f"the checkpoint is at step {start}: nothing to do for --steps {config.steps}")
            return model
        batches = dict(
            tokenizer=tokenizer,
            tasks=tasks,
            batch_size=config.batch_size,
            sequence_length=sequence_length,
            seed=config.seed,
        )
        interval = config.eval_interval
        model.fit(
            InstructionBatches(
                **batches,
                num_batches=config.steps - start,
                start=start,
                pretraining_ids=pretraining_ids,
                pretraining_rows=config.pretraining_rows(),
            ),
            validation_data=InstructionBatches(
                **batches, num_batches=config.eval_batches, split="test"
            ),
            steps_per_epoch=interval,
            initial_epoch=start // interval,
            epochs=config.steps // interval,
            shuffle=False,
            callbacks=[TrainingLog(directory, interval, config.batch_size * sequence_length)],
            verbose=verbose,
        )
    return model


def _resumed_config(directory, changes):
    if not checkpoint.has_checkpoint(directory):
        raise ValueError(f"--resume: no checkpoint in {directory} to resume")
    saved = FinetuneConfig.from_json(checkpoint.read_config(directory))
    for name, new in changes.items():
        if name != "steps" and new != getattr(saved, name):
            raise ValueError(
                f"{finetune_flag(name)} {new} differs from the checkpoint's {getattr(saved, name)}:"
                " a resumed run keeps its settings (only --steps may change)"
            )
    return dataclasses.replace(saved, **changes)
