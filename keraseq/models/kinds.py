"""The model kinds, one name each: `rnn`, `lstm`, `gru`, `transformer`.

The one registry that the CLI (`keraseq train --model`), `TrainConfig`, the experiments, the tables
and the docs read. A kind names a sequence model: the recurrent kinds stack keraseq's recurrent
layer of that name, `transformer` stacks Transformer blocks. Its language model is a `RecurrentLM`
or a `MiniGPT`, built by `language_model`.
"""

import dataclasses

from keraseq.layers import GRU, LSTM, SimpleRNN


@dataclasses.dataclass(frozen=True)
class Kind:
    """One model kind.

    Attributes:
        label: How tables and plots name it.
        language_model_label: How they name its language model.
        recurrent_layer: The keraseq recurrent layer class, or None (the Transformer).
        num_layers: Default depth of its language model (`keraseq train --layers`).
        hidden_dim: Default width of its language model (`keraseq train --dim`).
    """

    label: str
    language_model_label: str
    recurrent_layer: type | None
    num_layers: int
    hidden_dim: int


# Default sizes: nanoGPT's CPU recipe for the Transformer, 2 x 256 for the recurrent models.
KINDS = {
    "rnn": Kind("RNN", "the RNN LM", SimpleRNN, 2, 256),
    "lstm": Kind("LSTM", "the LSTM LM", LSTM, 2, 256),
    "gru": Kind("GRU", "the GRU LM", GRU, 2, 256),
    "transformer": Kind("Transformer", "MiniGPT", None, 4, 128),
}
RECURRENT_KINDS = tuple(name for name, kind in KINDS.items() if kind.recurrent_layer is not None)


def check_kind(name):
    """`name` if it is a kind; otherwise a `ValueError` listing the kinds."""
    if name not in KINDS:
        raise ValueError(f"unknown model {name!r}: expected one of {', '.join(KINDS)}")
    return name


def check_kinds(names):
    """`names` as a non-empty list of kinds; otherwise a `ValueError` listing the kinds."""
    names = list(names)
    unknown = [name for name in names if name not in KINDS]
    if unknown or not names:
        raise ValueError(f"unknown model(s) {unknown}: expected some of {', '.join(KINDS)}")
    return names


def label(name):
    """The display name of a kind (a name that is not a kind is returned as it is)."""
    return KINDS[name].label if name in KINDS else name


def recurrent_layer(name):
    """The keraseq recurrent layer class of a recurrent kind; `ValueError` for any other name."""
    if name not in RECURRENT_KINDS:
        raise ValueError(
            f"unknown recurrent model {name!r}: expected one of {', '.join(RECURRENT_KINDS)}"
        )
    return KINDS[name].recurrent_layer


def language_model(
    name,
    vocabulary_size,
    sequence_length,
    num_layers=None,
    hidden_dim=None,
    num_heads=4,
    dropout=0.0,
):
    """The language model of kind `name`: a `MiniGPT` or a `RecurrentLM`, built for windows of
    `sequence_length` tokens.

    Args:
        name: A kind (`KINDS`).
        vocabulary_size: Number of token ids.
        sequence_length: Tokens per window (the `MiniGPT`'s context).
        num_layers: Blocks or recurrent layers; None: the kind's default.
        hidden_dim: Width; None: the kind's default.
        num_heads: Attention heads (`transformer` only).
        dropout: Dropout rate (`transformer` only).

    Example:

    ```python
    model = keraseq.models.kinds.language_model("lstm", vocabulary_size=65, sequence_length=64)
    ```
    """
    # The models read this registry, so they are imported here, after it is defined.
    from keraseq.models.minigpt import MiniGPT
    from keraseq.models.recurrent_lm import RecurrentLM

    kind = KINDS[check_kind(name)]
    num_layers = kind.num_layers if num_layers is None else num_layers
    hidden_dim = kind.hidden_dim if hidden_dim is None else hidden_dim
    if kind.recurrent_layer is None:
        model = MiniGPT(
            vocabulary_size,
            sequence_length=sequence_length,
            num_layers=num_layers,
            num_heads=num_heads,
            hidden_dim=hidden_dim,
            intermediate_dim=4 * hidden_dim,
            dropout=dropout,
        )
    else:
        model = RecurrentLM(vocabulary_size, name, hidden_dim=hidden_dim, num_layers=num_layers)
    model.build((None, sequence_length))
    return model
