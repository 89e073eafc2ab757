"""`keraseq chat DIR`: talk to a fine-tuned model, each turn wrapped in the chat template."""

import sys

from keraseq.checkpoint import load_checkpoint
from keraseq.generation import check_sampling, stream
from keraseq.posttraining import chat


def add_parser(sub):
    parser = sub.add_parser(
        "chat",
        help="ask a fine-tuned model questions (interactive, or one --prompt)",
        description="Wraps each line you type in the chat template (Q: ... A:) and streams the "
        "model's answer up to its end. Each turn is answered on its own: a 64-character context "
        "holds one exchange. Ctrl-D ends the session.",
    )
    parser.add_argument("checkpoint", metavar="DIR", help="a keraseq finetune (or train) run")
    parser.add_argument("--prompt", help="answer this one prompt and exit")
    parser.add_argument("--max-new-tokens", type=int, default=32, help="default 32")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 is greedy (default)")
    parser.add_argument("--top-k", type=int, default=None, help="sample among the k likeliest")
    parser.add_argument("--seed", type=int, default=None, help="seed of the sampling")
    parser.set_defaults(run=run)


def answer(model, tokenizer, prompt, args):
    """Streams the answer to one prompt onto stdout, up to the end marker."""
    chat.check_prompt(prompt, tokenizer)
    text = chat.format_prompt(prompt)
    sys.stdout.write(chat.ASSISTANT.lstrip("\n"))
    for piece in stream(
        model, tokenizer, text, args.max_new_tokens, args.temperature, args.top_k, seed=args.seed
    ):
        if piece == chat.END:
            break
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")


def run(args):
    check_sampling(args.max_new_tokens, args.temperature, args.top_k, None)
    model, tokenizer = load_checkpoint(args.checkpoint)
    if args.prompt is not None:
        answer(model, tokenizer, args.prompt, args)
        return 0
    while True:
        try:
            prompt = input(chat.USER)
        except EOFError:
            print()
            return 0
        try:
            answer(model, tokenizer, prompt, args)
        except ValueError as err:  # a bad line: say why, keep the session
            print(f"keraseq chat: {err}", file=sys.stderr)
