"""Fine-tuning measured: from the pretrained python-docs MiniGPT to an instruction follower.

On the current backend (`KERAS_BACKEND`), from a pretrained checkpoint (`--base`, the 2000-step
`keraseq train` run of nanoGPT's recipe; or trained here with `--base-steps`):

1. full fine-tuning (SFT) on every task at once;
2. LoRA (`--lora-rank`) on the same tasks, batches and budget, with its own learning rate;
3. SFT with `--pretraining-mix` of each batch from the corpus (what it changes);
4. addition answered directly against step by step (a chain of thought), same budget, each
   evaluated every `--interval` steps (the run is resumed, which equals training straight through:
   tests/posttraining/test_finetune.py);
5. SFT on question answering alone (`qa`: 10,000 steps full size, peak learning rate 1e-3; 4,000
   until 2026-11-29 evening, which answered 50.5%): can the network learn the one task that SFT
   leaves near chance and the reward model ranks at chance?
6. `keraseq eval` of every checkpoint: greedy exact match on 200 held-out prompts per task and the
   validation loss on the corpus.

Targets (issue 10): the base at <= 5% exact match on every task; SFT at >= 80% on at least three
capability tasks; fine-tuning within 10 minutes of this CPU. Fine-tuning times are wall-clock (the
machine's load average is recorded at the start and end of each run: the CPU is shared).

Each part (`--part sft|lora|mix|cot`) can run in its own process; each writes
`benchmarks/results/finetune/SIZE-BACKEND-PART.json`, and `--report` gathers every part found into
`benchmarks/results/finetune.md`.

Usage:

    KERAS_BACKEND=jax python benchmarks/finetune.py --base runs/transformer --part sft   # full
    KERAS_BACKEND=torch python benchmarks/finetune.py --quick --part sft                # quick
    python benchmarks/finetune.py --report
"""

import argparse
import datetime
import json
import os
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("sft", "lora", "mix", "cot", "qa")
SIZES = {
    # base (trained here without --base), fine-tuning budget, chain-of-thought budget, prompts
    "full": dict(
        base_steps=2000,
        base={},
        steps=3000,
        batch_size=16,
        cot_steps=1000,
        interval=200,
        count=200,
        qa_steps=10000,
    ),
    "quick": dict(
        base_steps=300,
        base=dict(num_layers=2, hidden_dim=64),
        steps=150,
        batch_size=16,
        cot_steps=100,
        interval=50,
        count=50,
        qa_steps=300,
    ),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the quick size (all backends)")
    parser.add_argument("--part", choices=PARTS, help="which measurement to run")
    parser.add_argument("--report", action="store_true", help="gather the parts into finetune.md")
    parser.add_argument("--base", type=Path, help="a pretrained checkpoint (default: train one)")
    parser.add_argument("--runs", type=Path, default=Path("finetune-runs"), help="run directories")
    parser.add_argument(
        "--steps", type=int, help="fine-tuning steps (default: the size's, 3000 full, 150 quick)"
    )
    parser.add_argument("--learning-rate", type=float, default=5e-4, help="SFT peak (5e-4)")
    parser.add_argument("--lora-rank", type=int, default=8)
    parser.add_argument("--lora-learning-rate", type=float, default=3e-3, help="LoRA peak (3e-3)")
    parser.add_argument("--pretraining-mix", type=float, default=0.25)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def load():
    return round(os.getloadavg()[0], 1)


def timed_finetune(directory, base, **settings):
    """Fine-tunes; returns wall seconds, the load at start and end, trainable parameters."""
    import keras

    from keraseq.posttraining.finetune import finetune

    start, load_start = time.perf_counter(), load()
    model = finetune(directory, base=base, verbose=2, **settings)
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "load_average": [load_start, load()],
        "trainable_parameters": int(sum(int(keras.ops.size(w)) for w in model.trainable_weights)),
        "parameters": int(model.count_params()),
        "settings": settings,
    }


def chain_of_thought(runs, base, size, learning_rate):
    """Held-out exact match against steps, direct and step by step, same batches and budget.

    Each run stops every `interval` steps to be evaluated, then resumes (resuming equals training
    straight through, as tests/posttraining/test_finetune.py checks).
    """
    from keraseq.checkpoint import load_checkpoint
    from keraseq.posttraining.evaluate import evaluate_tasks
    from keraseq.posttraining.finetune import finetune
    from keraseq.posttraining.tasks import get_tasks

    curves = {}
    for name in ("addition", "addition_steps"):
        directory, curve, seconds = runs / f"cot-{name}", [], 0.0
        settings = dict(
            tasks=name,
            batch_size=size["batch_size"],
            learning_rate=learning_rate,
            decay_steps=size["cot_steps"],
            eval_interval=size["interval"],
        )
        for step in range(size["interval"], size["cot_steps"] + 1, size["interval"]):
            start = time.perf_counter()
            if step == size["interval"]:
                finetune(directory, base=base, steps=step, verbose=0, **settings)
            else:
                finetune(directory, resume=True, steps=step, verbose=0)
            seconds += time.perf_counter() - start
            model, tokenizer = load_checkpoint(directory)
            result = evaluate_tasks(model, tokenizer, get_tasks(name), size["count"])[name]
            curve.append({"step": step, "exact_match": result["exact_match"]})
            print(f"{name} step {step}: {100 * result['exact_match']:.0f}%", flush=True)
        curves[name] = {"curve": curve, "seconds": round(seconds, 1), "settings": settings}
    return curves


def run_part(args):
    import keras

    from keraseq import machine
    from keraseq.posttraining.evaluate import evaluate_checkpoint
    from keraseq.training import train

    size_name = "quick" if args.quick else "full"
    size = SIZES[size_name]
    backend = keras.backend.backend()
    runs = args.runs / f"{size_name}-{backend}"
    runs.mkdir(parents=True, exist_ok=True)
    result = {
        "size": size_name,
        "backend": backend,
        "part": args.part,
        "measured": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "machine": machine.processor(),
        "cpu_count": machine.thread_settings()["cpu_count"],
        "count": size["count"],
        "load_average": [load()],
    }
    base = args.base
    if base is None:
        base = runs / "base"
        if not (base / "model.keras").is_file():
            train(base, steps=size["base_steps"], verbose=2, **size["base"])
    result["base"] = str(base)
    common = dict(steps=args.steps or size["steps"], batch_size=size["batch_size"])
    plans = {
        "sft": dict(common, learning_rate=args.learning_rate),
        "lora": dict(common, lora_rank=args.lora_rank, learning_rate=args.lora_learning_rate),
        "mix": dict(common, learning_rate=args.learning_rate, pretraining_mix=args.pretraining_mix),
        "qa": dict(common, tasks="qa", steps=size["qa_steps"], learning_rate=1e-3),
    }
    if args.part == "cot":
        result["chain_of_thought"] = chain_of_thought(runs, base, size, args.learning_rate)
    else:
        directory = runs / args.part
        result["run"] = timed_finetune(directory, base, **plans[args.part])
        evaluated = ([base] if args.part == "sft" else []) + [directory]
        result["eval"] = [evaluate_checkpoint(d, None, size["count"]) for d in evaluated]
    result["load_average"].append(load())
    out = args.out / "finetune" / f"{size_name}-{backend}-{args.part}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


def percent(value):
    return f"{100 * value:.0f}%"


def report(args):
    """`finetune.md`: the eval table, the runs, the chain of thought, for every size and backend."""
    parts = [json.loads(p.read_text()) for p in sorted((args.out / "finetune").glob("*.json"))]
    lines = ["# Fine-tuning the python-docs MiniGPT (benchmarks/finetune.py)", ""]
    for size_name in SIZES:
        for backend in sorted({p["backend"] for p in parts if p["size"] == size_name}):
            found = {
                p["part"]: p for p in parts if (p["size"], p["backend"]) == (size_name, backend)
            }
            lines += [f"## {size_name} size, {backend}", ""]
            evals, runs = [], {}
            for name in ("sft", "lora", "mix", "qa"):
                if name in found:
                    part = found[name]
                    names = (["base"] if name == "sft" else []) + [name]
                    evals += [dict(e, checkpoint=n) for n, e in zip(names, part["eval"])]
                    runs[name] = part
            if evals:
                tasks = list(evals[0]["tasks"])
                lines += [
                    f"Base `{found.get('sft', next(iter(found.values())))['base']}`. Greedy exact "
                    f"match on {evals[0]['tasks'][tasks[0]]['count']} held-out prompts per task; "
                    "val loss: the python-docs validation split.",
                    "",
                    "| checkpoint | " + " | ".join(tasks) + " | val loss | trainable | "
                    "steps × batch | wall time | load average |",
                    "| --- |" + " --- |" * (len(tasks) + 5),
                ]
                for e in evals:
                    run = runs.get(e["checkpoint"], {}).get("run")
                    cells = [percent(e["tasks"][t]["exact_match"]) for t in tasks]
                    extra = ["—"] * 4
                    if run:
                        s = run["settings"]
                        extra = [
                            f"{run['trainable_parameters']:,}",
                            f"{s['steps']} × {s['batch_size']}",
                            f"{run['seconds']:.0f} s",
                            f"{run['load_average'][0]} → {run['load_average'][1]}",
                        ]
                    lines.append(
                        f"| {e['checkpoint']} | "
                        + " | ".join(cells)
                        + f" | {e['val_loss']:.3f} | "
                        + " | ".join(extra)
                        + " |"
                    )
                lines.append("")
                if "sft" in found:
                    base_eval, sft_eval = found["sft"]["eval"]
                    worst = max(r["exact_match"] for r in base_eval["tasks"].values())
                    passed = [t for t, r in sft_eval["tasks"].items() if r["exact_match"] >= 0.8]
                    seconds = found["sft"]["run"]["seconds"]
                    lines += [
                        "Targets: base <= 5% on every task: "
                        f"{percent(worst)}, {'met' if worst <= 0.05 else 'MISSED'}; SFT >= 80% on "
                        f"at least 3 capability tasks: {len(passed)}, "
                        f"{'met' if len(passed) >= 3 else 'MISSED'}; fine-tuning <= 600 s: "
                        f"{seconds:.0f} s, {'met' if seconds <= 600 else 'MISSED'}.",
                        "",
                    ]
                if "qa" in found:
                    qa = found["qa"]
                    lines += [
                        "The qa row: fine-tuned on qa alone, peak learning rate "
                        f"{qa['run']['settings']['learning_rate']:g} (measured {qa['measured']}).",
                        "",
                    ]
                notes = {p.get("note") for p in found.values()} - {None}
                lines += [f"Note: {n}" for n in sorted(notes)] + ([""] if notes else [])
            if "cot" in found:
                cot = found["cot"]["chain_of_thought"]
                steps = [p["step"] for p in cot["addition"]["curve"]]
                lines += [
                    "Addition, held-out exact match against fine-tuning steps (same batches, "
                    f"batch {cot['addition']['settings']['batch_size']}):",
                    "",
                    "| answer format | " + " | ".join(f"step {s}" for s in steps) + " | time |",
                    "| --- |" + " --- |" * (len(steps) + 1),
                ]
                for name, c in cot.items():
                    cells = " | ".join(percent(p["exact_match"]) for p in c["curve"])
                    lines.append(f"| {name} | {cells} | {c['seconds']:.0f} s |")
                lines.append("")
            machine = next(iter(found.values()))
            lines.append(
                f"Measured {machine['measured']} on {machine['machine']}, "
                f"cpu_count={machine['cpu_count']}; load averages (1 min) per part: "
                + ", ".join(
                    f"{k} {v['load_average'][0]}→{v['load_average'][1]}" for k, v in found.items()
                )
                + " (a CPU shared with other jobs: wall times are not a quiet machine's)."
            )
            lines.append("")
    (args.out / "finetune.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        report(args)
    elif args.part:
        run_part(args)
    else:
        raise SystemExit("give --part PART (sft, lora, mix, cot) or --report")


if __name__ == "__main__":
    main()
