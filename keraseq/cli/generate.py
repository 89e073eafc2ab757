"""`keraseq generate DIR`: continue a prompt with a trained model, streaming the text."""

import sys

from keraseq.checkpoint import load_checkpoint
from keraseq.generation import check_sampling, generate


def add_parser(sub):
    parser = sub.add_parser("generate", help="continue a prompt with a model from `keraseq train`")
    parser.add_argument("checkpoint", metavar="DIR", help="the --out directory of keraseq train")
    parser.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    parser.add_argument("--max-new-tokens", type=int, default=500, help="default 500")
    parser.add_argument("--temperature", type=float, default=1.0, help="0 is greedy (default 1)")
    parser.add_argument("--top-k", type=int, default=None, help="sample among the k likeliest")
    parser.add_argument("--top-p", type=float, default=None, help="nucleus sampling, in (0, 1]")
    parser.add_argument("--seed", type=int, default=None, help="seed of the sampling")
    parser.set_defaults(run=run)


def run(args):
    check_sampling(args.max_new_tokens, args.temperature, args.top_k, args.top_p)
    model, tokenizer = load_checkpoint(args.checkpoint)
    if not hasattr(model, "generate_start"):
        raise ValueError(
            f"{args.checkpoint} holds a {type(model).__name__}, not a language model: it scores "
            "answers, it does not write them"
        )
    tokenizer.tokenize(args.prompt)  # unknown characters: fail before printing anything

    def show(piece):
        sys.stdout.write(piece)
        sys.stdout.flush()

    show(args.prompt)
    generate(
        model,
        tokenizer,
        args.prompt,
        args.max_new_tokens,
        args.temperature,
        args.top_k,
        args.top_p,
        args.seed,
        on_token=show,
    )
    show("\n")
    return 0
