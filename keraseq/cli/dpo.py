"""`keraseq dpo SFT_DIR --out DIR [--beta BETA]`: the policy trained on the pairs directly."""

from keraseq.cli.options import add_alignment_flags, add_out, alignment_settings
from keraseq.posttraining.dpo import train_dpo


def add_parser(sub):
    parser = sub.add_parser(
        "dpo",
        help="align the fine-tuned model with DPO on preference pairs (no reward model)",
        description="Direct preference optimisation of the fine-tuned model on pairs of its own "
        "answers, labelled by the gold judge (or the pairs of a `keraseq reward` run, "
        "--pairs-from). Writes DIR/model.keras (a language model) and DIR/metrics.csv.",
    )
    parser.add_argument("sft", metavar="SFT_DIR", help="the fine-tuned model's directory")
    add_out(parser)
    parser.add_argument("--beta", type=float, default=0.1, help="DPO's β, >= 0 (default 0.1)")
    parser.add_argument("--pairs", type=int, default=1500, help="training pairs (default 1500)")
    parser.add_argument("--pairs-from", metavar="RM_DIR", help="use a reward run's pairs")
    parser.add_argument("--steps", type=int, default=300, help="default 300")
    parser.add_argument("--batch-size", type=int, default=32, help="pairs per step (default 32)")
    add_alignment_flags(parser, learning_rate="3e-5")
    parser.set_defaults(run=run)


def run(args):
    train_dpo(
        args.sft,
        args.out,
        beta=args.beta,
        pairs=args.pairs,
        pairs_from=args.pairs_from,
        steps=args.steps,
        batch_size=args.batch_size,
        **alignment_settings(args),
    )
    print(f"DPO policy: {args.out}/model.keras; try: keraseq generate {args.out}")
    return 0
