"""`keraseq train`: pretrain a GPT or a recurrent language model on a corpus, with checkpoints."""

# Flag -> TrainConfig field, type, help. Every flag defaults to None: only the flags given are
# passed on, so the recipe's defaults live in one place (keraseq.training.TrainConfig).
FLAGS = [
    ("--model", "model", str, "gpt, lstm, gru or rnn (default gpt)"),
    ("--corpus", "corpus", str, "python-docs (default, offline), shakespeare or a UTF-8 file"),
    ("--steps", "steps", int, "train up to this step (default 2000)"),
    ("--batch-size", "batch_size", int, "windows per batch (default 12)"),
    ("--context", "context", int, "tokens per window, the GPT's sequence length (default 64)"),
    ("--layers", "layers", int, "blocks or recurrent layers (default 4 for gpt, 2 otherwise)"),
    ("--heads", "heads", int, "attention heads (default 4)"),
    ("--dim", "dim", int, "width (default 128 for gpt, 256 otherwise)"),
    ("--dropout", "dropout", float, "dropout rate of the GPT (default 0)"),
    ("--lr", "lr", float, "peak learning rate of AdamW (default 1e-3)"),
    ("--min-lr", "min_lr", float, "learning rate at the end of the cosine decay (default 1e-4)"),
    ("--warmup-steps", "warmup_steps", int, "linear warm-up (default min(100, decay steps / 20))"),
    ("--decay-steps", "decay_steps", int, "length of warm-up + cosine decay (default --steps)"),
    ("--weight-decay", "weight_decay", float, "AdamW weight decay of the matrices (default 0.1)"),
    (
        "--eval-interval",
        "eval_interval",
        int,
        "steps between validation and checkpoints (default: largest divisor of --steps up to 250)",
    ),
    ("--eval-batches", "eval_batches", int, "validation batches (default 20)"),
    ("--seed", "seed", int, "seed of the weights and the batches (default 0)"),
    ("--distribute", "distribute", str, "data-parallel: shard batches over all devices (JAX)"),
]


def add_parser(sub):
    parser = sub.add_parser(
        "train",
        help="pretrain a language model (GPT, LSTM, GRU, RNN) with checkpoints and metrics",
        description="Pretrain a character language model. Writes DIR/model.keras (the checkpoint, "
        "atomically), DIR/tokenizer.json, DIR/config.json and DIR/metrics.csv.",
    )
    for flag, dest, kind, text in FLAGS:
        parser.add_argument(flag, dest=dest, type=kind, default=None, help=text)
    parser.add_argument("--out", required=True, metavar="DIR", help="the run's directory")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the checkpoint in --out (same step, learning rate, data)",
    )
    parser.set_defaults(run=run)


def run(args):
    from keraseq.training import train

    settings = {
        dest: getattr(args, dest) for _, dest, _, _ in FLAGS if getattr(args, dest) is not None
    }
    model = train(args.out, resume=args.resume, **settings)
    print(
        f"checkpoint: {args.out}/model.keras ({model.count_params():,} parameters); "
        f"try: keraseq generate {args.out} --prompt TEXT"
    )
    return 0
