"""What the reward, DPO and RLHF commands share: their run directory and the models they load.

DIR/config.json     the settings, and the fine-tuned model's directory (`sft`)
DIR/tokenizer.json  the fine-tuned model's tokenizer
DIR/model.keras     the trained model (a `MiniGPT` policy or a `RewardModel`) with its optimizer
DIR/metrics.csv     one row per checkpoint
"""

import json
import shutil
from pathlib import Path

import keras

from keraseq import checkpoint, rundir
from keraseq.checks import check_positive_integer
from keraseq.models import MiniGPT
from keraseq.posttraining import preferences
from keraseq.posttraining.reward_model import RewardModel


def check_positive_flags(**values):
    """Raises `ValueError` naming the flag (`--ppo-epochs` for `ppo_epochs`) of the first of
    `values` that is not a positive integer."""
    for name, value in values.items():
        check_positive_integer(f"--{name.replace('_', '-')}", value)


def load_policy(directory):
    """The `MiniGPT` and tokenizer of a language-model checkpoint (fine-tuned, RLHF or DPO)."""
    model, tokenizer = checkpoint.load_checkpoint(directory)
    if isinstance(model, RewardModel):
        raise ValueError(f"{directory} holds a reward model, not a language model")
    if not isinstance(model, MiniGPT):
        raise ValueError(
            f"{directory} holds a {type(model).__name__}: post-training needs a GPT (MiniGPT)"
        )
    return model, tokenizer


def load_reward_model(directory, tokenizer):
    """The `RewardModel` of `keraseq reward --out DIR`, checked against the policy's tokenizer."""
    model, reward_tokenizer = checkpoint.load_checkpoint(directory)
    if not isinstance(model, RewardModel):
        raise ValueError(
            f"{directory} holds a {type(model).__name__}, not a reward model: train one with "
            "`keraseq reward SFT_DIR --out DIR`"
        )
    check_same_tokenizer(tokenizer, reward_tokenizer, directory)
    return model


def check_same_tokenizer(tokenizer, other, directory):
    if tokenizer.get_vocabulary() != other.get_vocabulary():
        raise ValueError(
            f"the model in {directory} uses another tokenizer than the fine-tuned model "
            f"({other.vocabulary_size()} vs {tokenizer.vocabulary_size()} characters)"
        )


def clone(model):
    """A new `MiniGPT` with the architecture and weights of `model`."""
    copy = model.__class__.from_config(model.get_config())
    copy.build((None, model.sequence_length))
    copy.set_weights(model.get_weights())
    return copy


RUN_FILES = (*checkpoint.RUN_FILES, preferences.PAIRS_FILE, preferences.HELDOUT_PAIRS_FILE)


def writing(directory, resume):
    """The run directory's writer lock (`keraseq.rundir`): one process at a time; a new run refuses
    a directory holding a run's files, and removes its own if it fails before a checkpoint."""
    return rundir.writing(
        directory, RUN_FILES, new=not resume, checkpoint_file=checkpoint.MODEL_FILE
    )


def start_run(directory, source, settings, resume):
    """Checks and prepares `directory` (held with `writing`); returns the settings.

    Args:
        directory: The `--out` directory.
        source: The fine-tuned model's directory, whose tokenizer the run copies.
        settings: A JSON-able dict of the run's settings.
        resume: Continue the checkpoint in `directory`; only `steps` may change.
    """
    directory = Path(directory)
    settings = {"sft": str(source), **settings}
    if resume:
        if not checkpoint.has_checkpoint(directory):
            raise ValueError(f"--resume: no checkpoint in {directory} to resume")
        saved = json.loads(checkpoint.read_config(directory))
        for name, value in settings.items():
            if name != "steps" and saved.get(name) != value:
                raise ValueError(
                    f"{name} {value} differs from the checkpoint's {saved.get(name)}: a resumed "
                    "run keeps its settings (only --steps may change)"
                )
    else:
        shutil.copyfile(
            Path(source) / checkpoint.TOKENIZER_FILE, directory / checkpoint.TOKENIZER_FILE
        )
    checkpoint.write_config(directory, json.dumps(settings, indent=2))
    return settings


def compile_trainer(trainer, model, learning_rate):
    """Compiles `trainer` with Adam (gradient norm clipped at 1), carrying over the optimizer state
    of a resumed `model`, and lets `model` hold the optimizer so its checkpoint saves the state."""
    saved = getattr(model, "optimizer", None)  # a resumed checkpoint's, None for a new run
    optimizer = keras.optimizers.Adam(learning_rate, global_clipnorm=1.0)
    trainer.compile(optimizer=optimizer)
    optimizer.build(trainer.trainable_variables)
    if saved is not None:
        if len(saved.variables) != len(optimizer.variables):
            raise ValueError("the checkpoint's optimizer state does not match its model")
        for new, old in zip(optimizer.variables, saved.variables):
            new.assign(old)
    model.compile(optimizer=optimizer)
