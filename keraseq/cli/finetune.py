"""`keraseq finetune BASE --out DIR`: supervised fine-tuning of a pretrained model on the tasks."""

from keraseq.cli.options import add_config_flags, given_settings
from keraseq.posttraining.finetune import finetune, finetune_flag
from keraseq.posttraining.tasks import TASKS

# FinetuneConfig field, type, help. As in `keraseq train`, every flag defaults to None: only the
# flags given are passed on, so the defaults live in FinetuneConfig.
FIELDS = [
    ("tasks", str, f"comma-separated tasks (default all: {','.join(TASKS)})"),
    ("steps", int, "fine-tune up to this step (default 3000)"),
    ("batch_size", int, "examples per batch (default 16)"),
    ("learning_rate", float, "peak learning rate of AdamW (default 5e-4)"),
    ("min_learning_rate", float, "learning rate at the end of the cosine decay (default 1e-4)"),
    ("warmup_steps", int, "linear warm-up (default min(100, decay steps / 20))"),
    ("decay_steps", int, "length of warm-up + cosine decay (default --steps)"),
    ("weight_decay", float, "AdamW weight decay of the matrices (default 0.1)"),
    ("lora_rank", int, "train LoRA adapters of this rank only, the base frozen (Transformer)"),
    ("pretraining_mix", float, "share of each batch taken from the base's corpus (default 0)"),
    ("eval_interval", int, "steps between validation and checkpoints (default: as train)"),
    ("eval_batches", int, "held-out batches of the validation loss (default 4)"),
    ("seed", int, "seed of the batches and of LoRA's adapters (default 0)"),
]


def add_parser(sub):
    parser = sub.add_parser(
        "finetune",
        help="fine-tune a `keraseq train` model to follow instructions (SFT, optionally LoRA)",
        description="Supervised fine-tuning on the instruction tasks, the loss on the answer "
        "tokens only. Writes DIR/model.keras (read by keraseq generate, eval and chat), "
        "DIR/tokenizer.json, DIR/config.json and DIR/metrics.csv (val_loss: held-out answers).",
    )
    parser.add_argument("base", metavar="BASE_DIR", help="the --out directory of keraseq train")
    add_config_flags(parser, FIELDS, finetune_flag)
    parser.set_defaults(run=run)


def run(args):
    settings = given_settings(args, FIELDS)
    model = finetune(args.out, base=args.base, resume=args.resume, **settings)
    print(
        f"checkpoint: {args.out}/model.keras ({model.count_params():,} parameters); "
        f"try: keraseq eval {args.base} {args.out}, or keraseq chat {args.out}"
    )
    return 0
