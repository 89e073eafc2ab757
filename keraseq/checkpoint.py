"""A training run's directory, as written by `keraseq train --out DIR`, and reading it back.

    DIR/config.json      the training settings (`keraseq.training.TrainConfig`)
    DIR/tokenizer.json   the tokenizer's vocabulary
    DIR/model.keras      the latest checkpoint: the model with its optimizer state (and so its step)
    DIR/metrics.csv      step, train_loss, val_loss, tokens_per_second, one row per evaluation

Every file is written under a temporary name and renamed into place, so a crash during a write
leaves the previous checkpoint whole.
"""

from pathlib import Path

import keras

from keraseq import files
from keraseq.data import CharTokenizer

MODEL_FILE = "model.keras"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.csv"


def has_checkpoint(directory):
    return (Path(directory) / MODEL_FILE).is_file()


def save_model(model, directory):
    """Writes `DIR/model.keras` (weights, optimizer state, architecture) atomically."""
    with files.atomic_path(Path(directory) / MODEL_FILE) as tmp:
        model.save(tmp)


def load_model(directory, compile=False):
    """The model of the checkpoint in `directory`, with its optimizer if `compile`.

    Raises:
        OSError: No checkpoint there.
        ValueError: The file exists but cannot be read as a Keras model.
    """
    import keraseq.models  # noqa: F401  (registers the model classes for deserialization)

    path = Path(directory) / MODEL_FILE
    if not path.is_file():
        where = "directory does not exist" if not Path(directory).is_dir() else f"no {MODEL_FILE}"
        raise OSError(
            f"no checkpoint in {directory} ({where}): write one with `keraseq train --out`"
        )
    try:
        return keras.models.load_model(path, compile=compile)
    except Exception as err:  # a damaged zip, a foreign file, a missing class: all mean "unusable"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"checkpoint {path} is corrupt or not a keraseq model: {reason}") from err


def load_checkpoint(directory):
    """The model and tokenizer that `keraseq train --out DIR` wrote to `directory`.

    Args:
        directory: The `--out` directory of a training run.

    Returns:
        `(model, tokenizer)`: a `MiniGPT` or `RecurrentLM` with its latest weights, and its
        `CharTokenizer`.

    Example:

    ```python
    model, tokenizer = keraseq.load_checkpoint("runs/transformer")
    keraseq.generate(model, tokenizer, "ROMEO:", max_new_tokens=100)
    ```
    """
    model = load_model(directory)
    tokenizer_path = Path(directory) / TOKENIZER_FILE
    if not tokenizer_path.is_file():
        raise OSError(f"checkpoint {directory} has no {TOKENIZER_FILE}")
    return model, CharTokenizer.load(tokenizer_path)


def write_config(directory, config_json):
    files.write_text(Path(directory) / CONFIG_FILE, config_json)


def read_config(directory):
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise OSError(f"checkpoint {directory} has no {CONFIG_FILE}")
    return path.read_text(encoding="utf-8")
