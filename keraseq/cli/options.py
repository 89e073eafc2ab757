"""Flags and settings shared by the training commands: train, finetune, reward, dpo and rlhf."""

CONFIG_RESUME_HELP = "continue the checkpoint in --out (same step, learning rate, data)"


def add_out(parser):
    """`--out DIR`, the run's directory (required)."""
    parser.add_argument("--out", required=True, metavar="DIR", help="the run's directory")


def add_config_flags(parser, fields, to_flag):
    """The flags of a config dataclass, then `--out` and `--resume` (`keraseq train`, `finetune`).

    Every flag defaults to None: only the flags given are passed on (`given_settings`), so the
    defaults live in one place, the config dataclass.

    Args:
        parser: The command's `argparse` parser.
        fields: `(field, type, help)` triples of the config's fields.
        to_flag: The flag of a field, such as `keraseq.training.config.flag`.
    """
    for field, type_, text in fields:
        parser.add_argument(to_flag(field), dest=field, type=type_, default=None, help=text)
    add_out(parser)
    parser.add_argument("--resume", action="store_true", help=CONFIG_RESUME_HELP)


def given_settings(args, fields):
    """The settings of `fields` given on the command line: `{field: value}`, the Nones left out."""
    settings = {field: getattr(args, field) for field, _, _ in fields}
    return {field: value for field, value in settings.items() if value is not None}


def add_alignment_flags(parser, learning_rate):
    """`--learning-rate`, `--tasks`, `--seed` and `--resume`: the last flags of reward, dpo, rlhf.

    Args:
        parser: The command's `argparse` parser.
        learning_rate: The default learning rate as the help shows it, such as `"3e-5"`.
    """
    parser.add_argument(
        "--learning-rate", type=float, default=float(learning_rate), help=f"default {learning_rate}"
    )
    parser.add_argument("--tasks", default=None, help="comma-separated tasks (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue the checkpoint in --out")


def alignment_settings(args):
    """The keyword arguments of the flags of `add_alignment_flags`, for `train_reward` and co."""
    return dict(
        learning_rate=args.learning_rate, tasks=args.tasks, seed=args.seed, resume=args.resume
    )
