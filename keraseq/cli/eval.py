"""`keraseq eval DIR [DIR ...]`: per checkpoint, held-out exact match per task and corpus loss."""

import json

from keraseq import files
from keraseq.experiments.tables import format_table
from keraseq.posttraining.alignment import add_alignment
from keraseq.posttraining.evaluate import eval_table, evaluate_checkpoint
from keraseq.posttraining.tasks import get_tasks


def add_parser(sub):
    parser = sub.add_parser(
        "eval",
        help="held-out exact match per task and pretraining-corpus loss, one row per checkpoint",
        description="Greedy answers to the held-out prompts of each task (exact match, %%) and the "
        "validation loss on the pretraining corpus (what fine-tuning cost), for each checkpoint.",
    )
    parser.add_argument("checkpoints", nargs="+", metavar="DIR", help="run directories")
    parser.add_argument("--tasks", help="comma-separated tasks (default all)")
    parser.add_argument("--count", type=int, default=200, help="held-out prompts per task (200)")
    parser.add_argument("--corpus", default="python-docs", help="corpus of the validation loss")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--reference",
        metavar="SFT_DIR",
        help="add the alignment columns against this fine-tuned model: mean gold score, KL to "
        "it, gold win rate against it",
    )
    parser.add_argument(
        "--reward", metavar="RM_DIR", help="with --reference: add the mean learned reward"
    )
    parser.set_defaults(run=run)


def run(args):
    if args.count <= 0:
        raise ValueError(f"--count must be a positive integer, got {args.count}")
    tasks = [task.name for task in get_tasks(args.tasks)]  # a bad name fails before any work
    if args.reward and not args.reference:
        raise ValueError("--reward needs --reference (the fine-tuned model)")
    results = [evaluate_checkpoint(d, tasks, args.count, args.corpus) for d in args.checkpoints]
    if args.reference:
        add_alignment(results, args.checkpoints, args.reference, args.reward, tasks, args.count)
    print(format_table(*eval_table(results)))
    if args.json:
        files.write_text(args.json, json.dumps(results, indent=2))
    return 0
