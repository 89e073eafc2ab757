"""`keraseq evolve`: the whole tour, RNN → LSTM → Transformer → LLM, measured on this backend."""

import shlex
import time

DEFAULT_OUT = "evolve-results"


def add_parser(sub):
    parser = sub.add_parser(
        "evolve",
        help="measure every step of the evolution RNN → LSTM → Transformer (the main job)",
        description="Runs one experiment per claim (vanishing and exploding gradients, memory, the "
        "LSTM highway, training speed, long range, scaling) on the current backend and the "
        "offline python-docs corpus. Prints a table per model and the RNN/LSTM vs Transformer "
        "comparison; writes DIR/results.json and one PNG per experiment.",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="the docs' sizes (long); default: a quick tour of a few minutes",
    )
    parser.add_argument(
        "--only",
        metavar="EXP[,EXP]",
        help="run only these: vanishing,exploding,memory,highway,speed,range,scaling",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=DEFAULT_OUT,
        help=f"where results.json and the figures go (default ./{DEFAULT_OUT})",
    )
    parser.add_argument(
        "--width",
        type=int,
        help="width of every model but the scaling sweep's (default 32 quick, 64 full)",
    )
    parser.add_argument("--steps", type=int, help="training steps of every run (default per mode)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args):
    import keras

    from keraseq.experiments import comparison_table, format_table, model_table, run_tour, settings
    from keraseq.experiments.tour import parse_only, prepare_out

    only = None if args.only is None else parse_only(args.only)  # check everything before working
    settings(args.full, args.width, args.steps)
    prepare_out(args.out)
    mode = "full" if args.full else "quick"
    print(f"keraseq evolve ({mode}) on backend {keras.backend.backend()}, results in {args.out}/")
    start = time.perf_counter()
    command = shlex.join(["keraseq", *args.argv])  # recorded in results.json with the backend
    results = run_tour(
        only,
        args.full,
        args.width,
        args.steps,
        args.out,
        verbose=0 if args.quiet else 1,
        command=command,
    )
    print("\nModels (language models on python-docs; recall on the memory task):")
    print(format_table(*model_table(results)))
    print("\nRNN/LSTM against the Transformer, measured:")
    print(format_table(*comparison_table(results)))
    for line in results["experiments"].get("scaling", {}).get("findings", []):
        print(f"  {line}")
    print(
        f"\n{time.perf_counter() - start:.0f} s; wrote {args.out}/results.json and "
        f"{len(results['figures'])} figures"
    )
    return 0
