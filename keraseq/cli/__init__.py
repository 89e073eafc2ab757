"""The `keraseq` command line: `keraseq COMMAND ...` (also `python -m keraseq COMMAND ...`).

Each command is a module of this package with `add_parser(subparsers)` and `run(args)`. An error the
user can cause is printed as one line on stderr with a non-zero exit, never as a traceback
(set `KERASEQ_DEBUG=1` to see the traceback).
"""

import argparse
import importlib
import os
import sys

COMMANDS = [
    "info",
    "demo",
    "train",
    "generate",
    "finetune",
    "reward",
    "rlhf",
    "dpo",
    "eval",
    "chat",
    "evolve",
]


class UsageError(Exception):
    """A mistake in what the user asked for; the CLI prints it as one line and exits with 2."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keraseq",
        description="keraseq: sequence models from their equations, on Keras 3.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"keraseq.cli.{name}").add_parser(sub)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the command line as typed, for records such as evolve's results.json
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("keraseq: interrupted", file=sys.stderr)
        return 130
    except (UsageError, ValueError, OSError) as err:
        if os.environ.get("KERASEQ_DEBUG"):
            raise
        print(f"keraseq {args.command}: error: {err}", file=sys.stderr)
        return 2
