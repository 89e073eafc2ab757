"""`keraseq train`: pretrain a Transformer or a recurrent language model, with checkpoints."""

from keraseq.cli.options import add_config_flags, given_settings
from keraseq.models.kinds import KINDS
from keraseq.training import train
from keraseq.training.config import flag

# TrainConfig field, type, help; the flag is `keraseq.training.config.flag(field)`. Every flag
# defaults to None: only the flags given are passed on, so the recipe's defaults live in one place
# (keraseq.training.TrainConfig).
FIELDS = [
    ("model", str, f"{', '.join(KINDS)} (default transformer: MiniGPT)"),
    ("corpus", str, "python-docs (default, offline), shakespeare or a UTF-8 file"),
    ("steps", int, "train up to this step (default 2000)"),
    ("batch_size", int, "windows per batch (default 12)"),
    ("sequence_length", int, "tokens per window, the Transformer's context (default 64)"),
    ("num_layers", int, "blocks or recurrent layers (default 4 for transformer, 2 otherwise)"),
    ("num_heads", int, "attention heads (default 4)"),
    ("hidden_dim", int, "width (default 128 for transformer, 256 otherwise)"),
    ("dropout", float, "dropout rate of the Transformer (default 0)"),
    ("learning_rate", float, "peak learning rate of AdamW (default 1e-3)"),
    ("min_learning_rate", float, "learning rate at the end of the cosine decay (default 1e-4)"),
    ("warmup_steps", int, "linear warm-up (default min(100, decay steps / 20))"),
    ("decay_steps", int, "length of warm-up + cosine decay (default --steps)"),
    ("weight_decay", float, "AdamW weight decay of the matrices (default 0.1)"),
    (
        "eval_interval",
        int,
        "steps between validation and checkpoints (default: largest divisor of --steps up to 250)",
    ),
    ("eval_batches", int, "validation batches (default 20)"),
    ("seed", int, "seed of the weights and the batches (default 0)"),
    ("distribute", str, "data-parallel: shard batches over all devices (JAX)"),
]


def add_parser(sub):
    parser = sub.add_parser(
        "train",
        help="pretrain a language model (Transformer, LSTM, GRU, RNN) with checkpoints and metrics",
        description="Pretrain a character language model. Writes DIR/model.keras (the checkpoint, "
        "atomically), DIR/tokenizer.json, DIR/config.json and DIR/metrics.csv.",
    )
    add_config_flags(parser, FIELDS, flag)
    parser.set_defaults(run=run)


def run(args):
    model = train(args.out, resume=args.resume, **given_settings(args, FIELDS))
    print(
        f"checkpoint: {args.out}/model.keras ({model.count_params():,} parameters); "
        f"try: keraseq generate {args.out} --prompt TEXT"
    )
    return 0
