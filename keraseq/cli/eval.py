"""`keraseq eval DIR [DIR ...]`: per checkpoint, held-out exact match per task and corpus loss."""

import json


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
    parser.set_defaults(run=run)


def run(args):
    from keraseq import files
    from keraseq.experiments.tables import format_table
    from keraseq.posttraining.evaluate import eval_table, evaluate_checkpoint
    from keraseq.posttraining.tasks import get_tasks

    if args.count <= 0:
        raise ValueError(f"--count must be a positive integer, got {args.count}")
    tasks = [task.name for task in get_tasks(args.tasks)]  # a bad name fails before any work
    results = [evaluate_checkpoint(d, tasks, args.count, args.corpus) for d in args.checkpoints]
    print(format_table(*eval_table(results)))
    if args.json:
        files.write_text(args.json, json.dumps(results, indent=2))
    return 0
