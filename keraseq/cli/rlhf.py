"""`keraseq rlhf SFT_DIR --reward RM_DIR --out DIR [--kl BETA]`: RL against a learned reward."""

from keraseq.cli.options import add_alignment_flags, add_out, alignment_settings
from keraseq.posttraining.rlhf import train_rlhf


def add_parser(sub):
    parser = sub.add_parser(
        "rlhf",
        help="optimise the fine-tuned model against a reward model under a KL leash",
        description="RLHF: the policy (a copy of the fine-tuned model) samples answers to the "
        "tasks' training prompts, the reward model scores them, and PPO-clipped updates with a "
        "group baseline (RLOO or GRPO) maximise the reward minus beta times the exact KL to the "
        "fine-tuned model. Writes DIR/model.keras (a language model) and DIR/metrics.csv.",
    )
    parser.add_argument("sft", metavar="SFT_DIR", help="the fine-tuned model's directory")
    parser.add_argument("--reward", required=True, metavar="RM_DIR", help="keraseq reward --out")
    add_out(parser)
    parser.add_argument("--kl", type=float, default=0.05, help="β of the KL penalty (default 0.05)")
    parser.add_argument("--steps", type=int, default=200, help="PPO updates (default 200)")
    parser.add_argument("--prompts", type=int, default=8, help="prompts per iteration (default 8)")
    parser.add_argument("--group", type=int, default=4, help="answers per prompt (default 4)")
    parser.add_argument("--baseline", default="rloo", help="rloo (default) or grpo")
    add_alignment_flags(parser, learning_rate="3e-5")
    parser.set_defaults(run=run)


def run(args):
    train_rlhf(
        args.sft,
        args.reward,
        args.out,
        beta=args.kl,
        steps=args.steps,
        prompts_per_step=args.prompts,
        group_size=args.group,
        baseline=args.baseline,
        **alignment_settings(args),
    )
    print(f"RLHF policy: {args.out}/model.keras; try: keraseq generate {args.out}")
    return 0
