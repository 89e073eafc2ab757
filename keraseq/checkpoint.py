"""A training run's directory, as written by `keraseq train --out DIR`, and reading it back.

    DIR/config.json      the training settings (`keraseq.training.TrainConfig`)
    DIR/tokenizer.json   the tokenizer's vocabulary
    DIR/model.keras      the latest checkpoint: the model with its optimizer state (and so its step)
    DIR/metrics.csv      step, train_loss, val_loss, tokens_per_second, one row per evaluation

Every file is written under a temporary name and renamed into place, so a crash during a write
leaves the previous checkpoint whole. One process writes a run at a time (`keraseq.rundir`), and
`load_checkpoint` checks that the files belong together.
"""

import json
from pathlib import Path

import keras

from keraseq import files, models  # noqa: F401  (models: registers the classes to load)
from keraseq.data import CharTokenizer

MODEL_FILE = "model.keras"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.csv"
METRICS_COLUMNS = ("step", "train_loss", "val_loss", "tokens_per_second")
RUN_FILES = (CONFIG_FILE, TOKENIZER_FILE, MODEL_FILE, METRICS_FILE)


def start_metrics(directory):
    """Writes `DIR/metrics.csv` with its header only, for a new run."""
    files.write_text(Path(directory) / METRICS_FILE, ",".join(METRICS_COLUMNS) + "\n")


def append_metrics(directory, values):
    """Appends one row to `DIR/metrics.csv`: the text of each of `METRICS_COLUMNS`."""
    with open(Path(directory) / METRICS_FILE, "a", encoding="utf-8") as f:
        f.write(",".join(values) + "\n")


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
    path = Path(directory) / MODEL_FILE
    if not path.is_file():
        where = f"no {MODEL_FILE}"
        if Path(directory).is_file():
            where = "it is a file: give the run's directory"
        elif not Path(directory).exists():
            where = "directory does not exist"
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
    tokenizer = load_tokenizer(directory)
    check_belongs_together(directory, model, tokenizer)
    return model, tokenizer


def load_tokenizer(directory):
    path = Path(directory) / TOKENIZER_FILE
    if not path.is_file():
        raise OSError(f"checkpoint {directory} has no {TOKENIZER_FILE}")
    return CharTokenizer.load(path)


def check_belongs_together(directory, model, tokenizer):
    """Raises a one-line `ValueError` unless `model.keras`, `tokenizer.json` and (for a training
    run) `config.json` of `directory` describe one model: a keraseq language model (or a model
    built on one, as a reward model's `backbone`) whose embedding has a row per character of the
    tokenizer, of the kind, depth and width of the config.

    Files of different runs would otherwise fail later with an `IndexError`, NaN probabilities or
    an `AttributeError`, or silently train the wrong model on the wrong corpus.
    """
    language_model = getattr(model, "backbone", model)
    if not isinstance(language_model, (models.MiniGPT, models.RecurrentLM)):
        raise ValueError(
            f"{Path(directory) / MODEL_FILE} holds a {type(model).__name__}, not a keraseq "
            "language model (MiniGPT or RecurrentLM)"
        )
    rows = language_model.token_embedding.input_dim
    if rows != tokenizer.vocabulary_size():
        raise ValueError(
            f"{directory} mixes files of different runs: {TOKENIZER_FILE} has "
            f"{tokenizer.vocabulary_size()} characters, but the embedding of {MODEL_FILE} has "
            f"{rows} rows"
        )
    config_path = Path(directory) / CONFIG_FILE
    if language_model is not model or not config_path.is_file():
        return
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise ValueError(f"{config_path} is not valid JSON: {err}") from None
    if not isinstance(config, dict) or config.get("model") not in models.KINDS:
        return  # not a training run's config (post-training runs keep other settings)
    described = {
        "model": getattr(language_model, "kind", "transformer"),  # MiniGPT: the transformer kind
        "num_layers": language_model.num_layers,
        "hidden_dim": language_model.hidden_dim,
    }
    expected = {name: config.get(name) for name in described}
    if described != expected:
        raise ValueError(
            f"{directory} mixes files of different runs: {CONFIG_FILE} describes {expected}, "
            f"but {MODEL_FILE} holds {described}"
        )


def write_config(directory, config_json):
    files.write_text(Path(directory) / CONFIG_FILE, config_json)


def read_config(directory):
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise OSError(f"checkpoint {directory} has no {CONFIG_FILE}")
    return path.read_text(encoding="utf-8")
