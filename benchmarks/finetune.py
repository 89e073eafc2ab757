"""Fine-tuning measured: from the pretrained python-docs MiniGPT to an instruction follower.

On the current backend (`KERAS_BACKEND`), from a pretrained checkpoint (`--base`, the 2000-step
`keraseq train` run of nanoGPT's recipe; or trained here with `--base-steps`):

1. full fine-tuning (SFT) on every task at once;
2. LoRA (`--lora-rank`) on the same tasks, batches and budget, with its own learning rate;
3. SFT with `--pretraining-mix` of each batch from the corpus (what it changes);
4. addition answered directly against step by step (a chain of thought), same budget, each
   evaluated every `--interval` steps (the run is resumed, which equals training straight through:
   tests/posttraining/test_finetune.py);
5. `keraseq eval` of every checkpoint: greedy exact match on 200 held-out prompts per task and the
   validation loss on the corpus.

Targets (issue 10): the base at <= 5% exact match on every task; SFT at >= 80% on at least three
capability tasks; fine-tuning within 10 minutes of this CPU. Fine-tuning times are wall-clock (the
machine's load average is recorded at the start and end of each run: the CPU is shared).

Usage:

    KERAS_BACKEND=jax python benchmarks/finetune.py --base runs/transformer       # full size
    KERAS_BACKEND=torch python benchmarks/finetune.py --quick                      # quick size

Writes `benchmarks/results/finetune-SIZE-BACKEND.json` and `.md`.
"""

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import keras

from keraseq.experiments.tables import markdown_table
from keraseq.posttraining.evaluate import eval_table, evaluate_checkpoint, evaluate_tasks
from keraseq.posttraining.finetune import finetune, load_language_model
from keraseq.posttraining.tasks import get_tasks
from keraseq.training import train

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = {
    # base_steps, base model, SFT steps, batch, CoT steps, interval, held-out prompts per task
    "full": dict(
        base_steps=2000, base={}, steps=600, batch_size=16, cot_steps=400, interval=100, count=200
    ),
    "quick": dict(
        base_steps=300,
        base=dict(num_layers=2, hidden_dim=64),
        steps=150,
        batch_size=16,
        cot_steps=100,
        interval=50,
        count=50,
    ),
}
CAPABILITY_TASKS = "qa,acronym,numbers,code,addition_steps"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the quick size (all backends)")
    parser.add_argument("--base", type=Path, help="a pretrained checkpoint (default: train one)")
    parser.add_argument("--runs", type=Path, default=Path("finetune-runs"), help="run directories")
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="SFT peak (1e-3)")
    parser.add_argument("--lora-rank", type=int, default=8)
    parser.add_argument("--lora-learning-rate", type=float, default=3e-3, help="LoRA peak (3e-3)")
    parser.add_argument("--pretraining-mix", type=float, default=0.25)
    parser.add_argument("--skip", default="", help="comma-separated: lora,mix,cot")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def load():
    return round(os.getloadavg()[0], 1)


def timed_finetune(directory, base, **settings):
    """Fine-tunes, returning wall seconds, the load at start and end, trainable parameters."""
    start, load_start = time.perf_counter(), load()
    model = finetune(directory, base=base, verbose=2, **settings)
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "load_average": [load_start, load()],
        "trainable_parameters": int(sum(keras.ops.size(w) for w in model.trainable_weights)),
        "settings": settings,
    }


def chain_of_thought(runs, base, size, learning_rate):
    """Held-out exact match against steps, direct and step by step, same batches and budget."""
    curves = {}
    for name in ("addition", "addition_steps"):
        directory, curve = runs / f"cot-{name}", []
        settings = dict(
            tasks=name,
            batch_size=size["batch_size"],
            learning_rate=learning_rate,
            decay_steps=size["cot_steps"],
            eval_interval=size["interval"],
        )
        start = time.perf_counter()
        for step in range(size["interval"], size["cot_steps"] + 1, size["interval"]):
            if step == size["interval"]:
                finetune(directory, base=base, steps=step, verbose=0, **settings)
            else:
                finetune(directory, resume=True, steps=step, verbose=0)
            model, tokenizer = load_language_model(directory)
            result = evaluate_tasks(model, tokenizer, get_tasks(name), size["count"])[name]
            curve.append({"step": step, "exact_match": result["exact_match"]})
            print(f"{name} step {step}: {100 * result['exact_match']:.0f}%", flush=True)
        curves[name] = {"curve": curve, "seconds": round(time.perf_counter() - start, 1)}
    return curves


def markdown(result):
    lines = [
        f"# Fine-tuning the python-docs MiniGPT ({result['size']} size, {result['backend']})",
        "",
        f"{result['measured']}, {result['machine']}, cpu_count={result['cpu_count']}, "
        f"load average {result['load_average'][0]} at the start, {result['load_average'][1]} at "
        "the end (a shared CPU).",
        "",
        f"Base: `{result['base']}`. Greedy exact match on {result['count']} held-out prompts "
        "per task; val loss on the python-docs validation split.",
        "",
        markdown_table(*eval_table(result["eval"])),
        "",
        "| run | trainable parameters | steps × batch | wall time | load average |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, run in result["runs"].items():
        s = run["settings"]
        lines.append(
            f"| {name} | {run['trainable_parameters']:,} | {s['steps']} × {s['batch_size']} | "
            f"{run['seconds']:.0f} s | {run['load_average'][0]} → {run['load_average'][1]} |"
        )
    if result.get("chain_of_thought"):
        lines += [
            "",
            "| addition format | "
            + " | ".join(
                f"step {p['step']}" for p in result["chain_of_thought"]["addition"]["curve"]
            )
            + " |",
        ]
        lines.append("| --- |" + " --- |" * len(result["chain_of_thought"]["addition"]["curve"]))
        for name, cot in result["chain_of_thought"].items():
            cells = " | ".join(f"{100 * p['exact_match']:.0f}%" for p in cot["curve"])
            lines.append(f"| {name} | {cells} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    size_name = "quick" if args.quick else "full"
    size = SIZES[size_name]
    skip = set(filter(None, args.skip.split(",")))
    backend = keras.backend.backend()
    runs = args.runs / f"{size_name}-{backend}"
    runs.mkdir(parents=True, exist_ok=True)
    started = load()
    base = args.base
    if base is None:
        base = runs / "base"
        train(base, steps=size["base_steps"], verbose=2, **size["base"])
    common = dict(steps=size["steps"], batch_size=size["batch_size"])
    sft = dict(common, learning_rate=args.learning_rate)
    plan = {"sft": sft}
    if "lora" not in skip:
        plan["lora"] = dict(common, lora_rank=args.lora_rank, learning_rate=args.lora_learning_rate)
    if "mix" not in skip:
        plan["sft+mix"] = dict(sft, pretraining_mix=args.pretraining_mix)
    result_runs = {}
    for name, settings in plan.items():
        print(f"== {name}: {settings}", flush=True)
        result_runs[name] = timed_finetune(runs / name, base, **settings)
    evaluated = [base] + [runs / name for name in plan]
    result = {
        "size": size_name,
        "backend": backend,
        "base": str(base),
        "measured": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "machine": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "count": size["count"],
        "runs": result_runs,
        "eval": [evaluate_checkpoint(d, None, size["count"]) for d in evaluated],
    }
    if "cot" not in skip:
        result["chain_of_thought"] = chain_of_thought(runs, base, size, args.learning_rate)
    result["load_average"] = [started, load()]
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"finetune-{size_name}-{backend}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2))
    stem.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
