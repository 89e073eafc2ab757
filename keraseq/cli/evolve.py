"""`keraseq evolve`: the whole tour, RNN → LSTM → Transformer → LLM, measured on this backend."""

import shlex
import time

import keras

from keraseq.experiments import comparison_table, format_table, model_table, plan, run_plan
from keraseq.experiments.claims import CLAIMS
from keraseq.experiments.tour import prepare_out

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
        help=f"run only these: {','.join(CLAIMS)}",
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
    # Everything is checked before any work: the plan (claims, sizes) and the output folder.
    only = None if args.only is None else args.only.split(",")
    tour = plan(only, args.full, args.width, args.steps)
    out = prepare_out(args.out)
    print(f"keraseq evolve ({tour.mode}) on backend {keras.backend.backend()}, results in {out}/")
    start = time.perf_counter()
    command = shlex.join(["keraseq", *args.argv])  # recorded in results.json with the backend
    results = run_plan(tour, out, verbose=0 if args.quiet else 1, command=command)
    print("\nModels (language models on python-docs; recall on the memory task):")
    print(format_table(*model_table(results)))
    print("\nRNN/LSTM against the Transformer, measured:")
    print(format_table(*comparison_table(results)))
    for line in results["experiments"].get("scaling", {}).get("findings", []):
        print(f"  {line}")
    print(
        f"\n{time.perf_counter() - start:.0f} s; wrote {out}/results.json and "
        f"{len(results['figures'])} figures"
    )
    return 0
