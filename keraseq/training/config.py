"""The training recipe: one dataclass of settings, and the model and optimizer it describes.

The defaults are nanoGPT's CPU recipe for Tiny Shakespeare: a 4-layer, 4-head, 128-wide GPT on
windows of 64 characters, batches of 12, AdamW (learning rate 1e-3, beta2 0.99, weight decay 0.1 on
matrices only), 100 warm-up steps then a cosine decay to 1e-4 at step 2000, gradient clipping at 1.
"""

import dataclasses
import json

import keras

MODELS = ("gpt", "lstm", "gru", "rnn")
DEFAULT_SIZES = {"gpt": (4, 128), "recurrent": (2, 256)}  # (layers, width)
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@dataclasses.dataclass
class TrainConfig:
    """The settings of a training run (the flags of `keraseq train`).

    `None` means "the default for this model or run length", filled in by `resolved()`: 4 layers of
    width 128 for `gpt`, 2 of width 256 for the recurrent models; `decay_steps = steps`;
    `warmup_steps = min(100, decay_steps // 20)`; `eval_interval` = the largest divisor of `steps`
    up to 250.
    """

    model: str = "gpt"
    corpus: str = "python-docs"
    steps: int = 2000
    batch_size: int = 12
    context: int = 64
    layers: int | None = None
    heads: int = 4
    dim: int | None = None
    dropout: float = 0.0
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int | None = None
    decay_steps: int | None = None
    weight_decay: float = 0.1
    beta2: float = 0.99
    clip_norm: float = 1.0
    seed: int = 0
    eval_interval: int | None = None
    eval_batches: int = 20
    distribute: str | None = None

    def resolved(self):
        """A copy with every default filled in; raises `ValueError` naming a bad setting."""
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}: expected one of {', '.join(MODELS)}")
        for name in ("steps", "batch_size", "context", "heads", "eval_batches"):
            _check_positive(name, getattr(self, name))
        layers, dim = DEFAULT_SIZES["gpt" if self.model == "gpt" else "recurrent"]
        c = dataclasses.replace(
            self,
            layers=layers if self.layers is None else self.layers,
            dim=dim if self.dim is None else self.dim,
            decay_steps=self.steps if self.decay_steps is None else self.decay_steps,
        )
        _check_positive("layers", c.layers)
        _check_positive("dim", c.dim)
        _check_positive("decay_steps", c.decay_steps)
        if c.warmup_steps is None:
            c.warmup_steps = min(100, c.decay_steps // 20)
        if not 0 <= c.warmup_steps < c.decay_steps:
            raise ValueError(
                f"--warmup-steps must be in [0, decay steps = {c.decay_steps}), got {c.warmup_steps}"
            )
        if c.eval_interval is None:
            c.eval_interval = max(d for d in range(1, min(250, c.steps) + 1) if c.steps % d == 0)
        _check_positive("eval_interval", c.eval_interval)
        if c.steps % c.eval_interval:
            raise ValueError(f"--eval-interval {c.eval_interval} must divide --steps {c.steps}")
        if c.model == "gpt" and c.dim % c.heads:
            raise ValueError(f"--heads {c.heads} must divide --dim {c.dim}")
        if not c.lr > 0 or not 0 <= c.min_lr <= c.lr:
            raise ValueError(f"need --lr > 0 and 0 <= --min-lr <= --lr, got {c.lr} and {c.min_lr}")
        if not 0 <= c.dropout < 1:
            raise ValueError(f"--dropout must be in [0, 1), got {c.dropout}")
        if c.distribute not in (None, "data-parallel"):
            raise ValueError(
                f"unknown --distribute {c.distribute!r}: the only strategy is data-parallel"
            )
        return c

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text):
        return cls(**json.loads(text))


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")


def build_model(config, vocabulary_size):
    """The model a (resolved) config describes, built for windows of `config.context` tokens."""
    from keraseq.models import MiniGPT, RecurrentLM

    if config.model == "gpt":
        model = MiniGPT(
            vocabulary_size,
            sequence_length=config.context,
            num_layers=config.layers,
            num_heads=config.heads,
            hidden_dim=config.dim,
            intermediate_dim=4 * config.dim,
            dropout=config.dropout,
        )
    else:
        model = RecurrentLM(config.model, vocabulary_size, config.dim, config.layers)
    model.build((None, config.context))
    return model


def learning_rate_schedule(config):
    """Linear warm-up from 0 to `lr`, then a cosine decay to `min_lr` at `decay_steps`."""
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        warmup_target=config.lr,
        warmup_steps=config.warmup_steps,
        decay_steps=config.decay_steps - config.warmup_steps,
        alpha=config.min_lr / config.lr,
    )


def build_optimizer(config, model):
    """AdamW on the schedule, clipping the global gradient norm; no weight decay on vectors.

    As in nanoGPT, only the matrices (and embeddings) decay, not the biases and layer-norm scales.
    """
    optimizer = keras.optimizers.AdamW(
        learning_rate=learning_rate_schedule(config),
        weight_decay=config.weight_decay,
        beta_1=0.9,
        beta_2=config.beta2,
        epsilon=1e-8,
        global_clipnorm=config.clip_norm,
    )
    optimizer.exclude_from_weight_decay(
        var_list=[v for v in model.trainable_variables if len(v.shape) < 2]
    )
    return optimizer
