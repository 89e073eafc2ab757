"""Issue 13's device check: what keraseq's speed benchmarks measured on one GPU, as one table.

`gpu_run.sh` ran on a lent machine with one GPU (jax and torch; that machine has no TensorFlow and
no package registry) and its results were copied into `benchmarks/results/gpu/`. This script
writes `benchmarks/results/gpu.md` from them: the card, the growth of one training step with
the sequence length and the time to a loss (`keraseq evolve --only speed`), and the tables the
benchmarks wrote themselves (training tokens/s against the plain-PyTorch twins, the recurrent
layer step).

Usage:

    python benchmarks/gpu_report.py
"""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
GPU = RESULTS / "gpu"
EVOLVE = {"jax": "evolve-speed-jax-full.json", "torch": "evolve-speed-torch-quick.json"}
TABLES = ("lm_train_step.md", "recurrent_train_step.md")
NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "transformer": "Transformer"}


def evolve_lines(backend, results):
    """The speed claim on one backend: step ms per length, growth, time to the target loss."""
    speed, mode = results["experiments"]["speed"], results["mode"]
    lengths = speed["length"]
    lines = [
        f"**{backend}**, `{results['command'].split(' --out')[0]}` ({mode} size), "
        f"{results['started']}:",
        "",
        "| model | "
        + " | ".join(f"step ms, T={t}" for t in lengths)
        + f" | step time × T={lengths[0]}→{lengths[-1]} | s to loss {speed['target_loss']} |",
        "| --- | " + " | ".join("---:" for _ in lengths) + " | ---: | ---: |",
    ]
    for kind, seconds in speed["step_seconds"].items():
        reached = speed["lm"][kind]["time_to_target"]
        lines.append(
            f"| {NAMES[kind]} | "
            + " | ".join(f"{1000 * s:.1f}" for s in seconds)
            + f" | {speed['growth'][kind]:.1f} | "
            + (f"{reached:.1f} |" if reached is not None else "not reached |")
        )
    return [*lines, "", finding(speed)]


def finding(speed):
    """What the step times say, in words chosen from them: does only the recurrent step grow?"""
    growth = speed["growth"]
    recurrent = [k for k in growth if k != "transformer"]
    least = min(growth[k] for k in recurrent)
    words = (
        f"From T={speed['length'][0]} to {speed['length'][-1]} the Transformer's step time grew "
        f"{growth['transformer']:.1f}×, the recurrent models' {least:.1f}× to "
        f"{max(growth[k] for k in recurrent):.1f}×: "
    )
    if growth["transformer"] < 1.5 <= least:
        return words + "the recurrent loop's T steps run one after another, attention's at once."
    return words + "on this machine the parallel and the sequential step grow alike."


def markdown():
    machine = json.loads((GPU / "machine.json").read_text())
    lines = [
        f"## On a GPU: one {machine['card']}, {machine['cpu_count']} CPUs ({machine['date']})",
        "",
        "Issue 13's device check (`benchmarks/gpu_run.sh`, jax and torch only: the machine had no "
        "TensorFlow). The same code as on the CPU; Keras places the work on the GPU, and the "
        "plain-PyTorch twins run there too. `keraseq evolve --only speed` times one training step "
        "of the recall classifiers against the sequence length (the recurrent loop runs T steps "
        "one after another; attention handles all positions at once) and trains the language "
        "models to a loss:",
        "",
    ]
    for backend, name in EVOLVE.items():
        lines += [*evolve_lines(backend, json.loads((GPU / name).read_text())), ""]
    for table in TABLES:
        lines += [f"*From `benchmarks/results/gpu/{table}`:*", "", (GPU / table).read_text()]
    return "\n".join(lines)


if __name__ == "__main__":
    (RESULTS / "gpu.md").write_text(markdown())
    print(markdown())
