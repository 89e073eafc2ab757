"""The training recipe: one dataclass of settings, and the model and optimizer it describes.

The defaults are nanoGPT's CPU recipe for Tiny Shakespeare: a 4-layer, 4-head, 128-wide GPT on
windows of 64 characters, batches of 12, AdamW (learning rate 1e-3, beta2 0.99, weight decay 0.1 on
matrices only), 100 warm-up steps then a cosine decay to 1e-4 at step 2000, gradient clipping at 1.
"""

import dataclasses
import json
import math

import keras

from keraseq.checks import check_positive_integer
from keraseq.models import kinds

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

FLOAT_SETTINGS = (
    "dropout",
    "learning_rate",
    "min_learning_rate",
    "weight_decay",
    "beta_2",
    "global_clipnorm",
)

# The short flags of `keraseq train` whose field has a longer (Keras / keras-hub) name.
SHORT_FLAGS = {
    "sequence_length": "--context",
    "num_layers": "--layers",
    "num_heads": "--heads",
    "hidden_dim": "--dim",
    "learning_rate": "--lr",
    "min_learning_rate": "--min-lr",
}


def flag(field):
    """The `keraseq train` flag of a `TrainConfig` field."""
    return SHORT_FLAGS.get(field, "--" + field.replace("_", "-"))


def setting(field):
    """How messages name a setting: the Python name and the CLI flag, `` `num_heads` (--heads)``."""
    return f"`{field}` ({flag(field)})"


def default_warmup_steps(decay_steps):
    """nanoGPT's 100 warm-up steps, or a 20th of a shorter decay."""
    return min(100, decay_steps // 20)


def default_eval_interval(steps):
    """The largest divisor of `steps` up to 250, so that the last step is a checkpoint."""
    return max(d for d in range(1, min(250, steps) + 1) if steps % d == 0)


@dataclasses.dataclass
class TrainConfig:
    """The settings of a training run (the flags of `keraseq train`; `SHORT_FLAGS` maps the
    argument names, Keras's and keras-hub's, to the shorter flags).

    `None` means "the default for this model or run length", filled in by `resolved()`: the
    kind's default size (`keraseq.models.kinds`: 4 layers of width 128 for `transformer`, 2 of
    width 256 for the recurrent models); `decay_steps = steps`;
    `warmup_steps = min(100, decay_steps // 20)`; `eval_interval` = the largest divisor of `steps`
    up to 250.

    Example:

    ```python
    config = TrainConfig(model="lstm", num_layers=1, hidden_dim=64).resolved()
    ```
    """

    model: str = "transformer"
    corpus: str = "python-docs"
    steps: int = 2000
    batch_size: int = 12
    sequence_length: int = 64
    num_layers: int | None = None
    num_heads: int = 4
    hidden_dim: int | None = None
    dropout: float = 0.0
    learning_rate: float = 1e-3
    min_learning_rate: float = 1e-4
    warmup_steps: int | None = None
    decay_steps: int | None = None
    weight_decay: float = 0.1
    beta_2: float = 0.99
    global_clipnorm: float = 1.0
    seed: int = 0
    eval_interval: int | None = None
    eval_batches: int = 20
    distribute: str | None = None

    def resolved(self):
        """A copy with every default filled in; raises `ValueError` naming a bad setting."""
        kind = kinds.KINDS[kinds.check_kind(self.model)]
        for name in ("steps", "batch_size", "sequence_length", "num_heads", "eval_batches"):
            _check_positive(name, getattr(self, name))
        c = dataclasses.replace(
            self,
            num_layers=kind.num_layers if self.num_layers is None else self.num_layers,
            hidden_dim=kind.hidden_dim if self.hidden_dim is None else self.hidden_dim,
            decay_steps=self.steps if self.decay_steps is None else self.decay_steps,
        )
        _check_positive("num_layers", c.num_layers)
        _check_positive("hidden_dim", c.hidden_dim)
        _check_positive("decay_steps", c.decay_steps)
        if c.warmup_steps is None:
            c.warmup_steps = default_warmup_steps(c.decay_steps)
        if not 0 <= c.warmup_steps < c.decay_steps:
            raise ValueError(
                f"{setting('warmup_steps')} must be in [0, decay steps = {c.decay_steps}), "
                f"got {c.warmup_steps}"
            )
        if c.eval_interval is None:
            c.eval_interval = default_eval_interval(c.steps)
        _check_positive("eval_interval", c.eval_interval)
        if c.steps % c.eval_interval:
            raise ValueError(
                f"{setting('eval_interval')} {c.eval_interval} must divide "
                f"{setting('steps')} {c.steps}"
            )
        if kind.recurrent_layer is None and c.hidden_dim % c.num_heads:
            raise ValueError(
                f"{setting('num_heads')} {c.num_heads} must divide "
                f"{setting('hidden_dim')} {c.hidden_dim}"
            )
        for name in FLOAT_SETTINGS:  # NaN and infinity would train to NaN, or fail later
            value = getattr(c, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{setting(name)} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{setting(name)} must be a finite number, got {value}")
        if c.weight_decay < 0 or not 0 <= c.beta_2 < 1 or c.global_clipnorm <= 0:
            raise ValueError(
                f"need {setting('weight_decay')} >= 0, 0 <= {setting('beta_2')} < 1 and "
                f"{setting('global_clipnorm')} > 0, got {c.weight_decay}, {c.beta_2} and "
                f"{c.global_clipnorm}"
            )
        if not c.learning_rate > 0 or not 0 <= c.min_learning_rate <= c.learning_rate:
            raise ValueError(
                f"need {setting('learning_rate')} > 0 and 0 <= {setting('min_learning_rate')} <= "
                f"{flag('learning_rate')}, got {c.learning_rate} and {c.min_learning_rate}"
            )
        if not 0 <= c.dropout < 1:
            raise ValueError(f"{setting('dropout')} must be in [0, 1), got {c.dropout}")
        if c.distribute not in (None, "data-parallel"):
            raise ValueError(
                f"unknown {setting('distribute')} {c.distribute!r}: the only strategy is "
                "data-parallel"
            )
        return c

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text):
        """The config that `to_json` wrote; `ValueError` naming any key that is not a setting."""
        values = json.loads(text)
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ValueError(
                f"unknown training setting(s) {', '.join(unknown)}: expected some of "
                f"{', '.join(fields)}"
            )
        return cls(**values)


def _check_positive(name, value):
    check_positive_integer(setting(name), value)


def build_model(config, vocabulary_size):
    """The model a (resolved) config describes, built for windows of `config.sequence_length`."""
    return kinds.language_model(
        config.model,
        vocabulary_size,
        config.sequence_length,
        num_layers=config.num_layers,
        hidden_dim=config.hidden_dim,
        num_heads=config.num_heads,
        dropout=config.dropout,
    )


def learning_rate_schedule(config):
    """Linear warm-up from 0 to `learning_rate`, then a cosine decay to `min_learning_rate` at
    `decay_steps`."""
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        warmup_target=config.learning_rate,
        warmup_steps=config.warmup_steps,
        decay_steps=config.decay_steps - config.warmup_steps,
        alpha=config.min_learning_rate / config.learning_rate,
    )


def build_optimizer(config, model):
    """AdamW on the schedule, clipping the global gradient norm; no weight decay on vectors.

    As in nanoGPT, only the matrices (and embeddings) decay, not the biases and layer-norm scales.
    """
    optimizer = keras.optimizers.AdamW(
        learning_rate=learning_rate_schedule(config),
        weight_decay=config.weight_decay,
        beta_1=0.9,
        beta_2=config.beta_2,
        epsilon=1e-8,
        global_clipnorm=config.global_clipnorm,
    )
    optimizer.exclude_from_weight_decay(
        var_list=[v for v in model.trainable_variables if len(v.shape) < 2]
    )
    return optimizer
