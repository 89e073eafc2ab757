"""The tour: every experiment in order, on the current backend, with its settings, results and plots.

`QUICK` aims at under 5 minutes on a 2-core CPU on every backend; `FULL` makes the docs' figures.
`settings(...)` applies `width` (every model's width) and `steps` (every training budget) on top
of a mode.
"""

import datetime
import json
import math
import os
import platform
import time
from pathlib import Path

import keras

from keraseq import files
from keraseq.experiments import (
    exploding,
    highway,
    language,
    long_range,
    memory,
    scaling,
    speed,
    tables,
    vanishing,
)
from keraseq.experiments.recall import RecallBudget

EXPERIMENTS = {
    "vanishing": vanishing,
    "exploding": exploding,
    "memory": memory,
    "highway": highway,
    "speed": speed,
    "range": long_range,
    "scaling": scaling,
}
RESULTS_FILE = "results.json"

# Quick mode is bounded by the number of training steps (about 2,000 in all): eager PyTorch spent
# 70-100 ms of CPU per step of even the smallest recall model (measured on a loaded 2-core machine).
QUICK = {
    "budget": dict(width=32, steps=100),
    "vanishing": dict(length=48),
    "exploding": dict(length=24, train_steps=30),
    "memory": dict(delays=(5, 40)),
    "highway": dict(delay=12),
    "speed": dict(lengths=(16, 128), repeats=3, lm_dim=64, lm_steps=100, target_loss=3.05),
    "range": dict(length=32, distances=(1, 8, 31)),
    "scaling": dict(dims=(16, 48), steps=80),
}
FULL = {
    "budget": dict(width=64, steps=1500),
    "vanishing": dict(length=100),
    "exploding": dict(length=40, train_steps=200),
    "memory": dict(delays=(5, 10, 20, 40, 60, 100)),
    "highway": dict(delay=20),  # the longest delay the LSTM recalls in `memory` at this budget: the
    # gates of a model that did not learn the task say nothing about memory (at 40 it stayed at chance)
    "speed": dict(
        lengths=(16, 32, 64, 128, 256, 512), repeats=7, lm_dim=128, lm_steps=1500, target_loss=1.8
    ),
    "range": dict(length=100, distances=(1, 5, 10, 20, 40, 60, 80, 99)),
    "scaling": dict(dims=(16, 32, 64, 128, 192), steps=1500),
}
WIDTH_KEYS = {"vanishing": "width", "exploding": "width", "speed": "lm_dim"}
STEP_KEYS = {"exploding": "train_steps", "speed": "lm_steps", "scaling": "steps"}
USES_BUDGET = ("memory", "highway", "speed", "range")


def parse_only(text):
    """`"memory,speed"` to `["memory", "speed"]` in tour order; a clear error for unknown names."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown or not names:
        raise ValueError(
            f"unknown experiment {', '.join(unknown) or repr(text)}: expected one or "
            f"more of {','.join(EXPERIMENTS)}, comma-separated"
        )
    return [n for n in EXPERIMENTS if n in names]


def settings(full=False, width=None, steps=None):
    """Every experiment's keyword arguments: the mode's, with `width` and `steps` applied."""
    chosen = {name: dict(kwargs) for name, kwargs in (FULL if full else QUICK).items()}
    for name, value in (("width", width), ("steps", steps)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"--{name} must be a positive integer, got {value!r}")
    if width is not None:
        if width % 4:
            raise ValueError(
                f"--width must be a multiple of 4 (the Transformer's heads), got {width}"
            )
        chosen["budget"]["width"] = width
        for name, key in WIDTH_KEYS.items():
            chosen[name][key] = width
    if steps is not None:
        chosen["budget"]["steps"] = steps
        for name, key in STEP_KEYS.items():
            chosen[name][key] = steps
    return chosen


def run_tour(only=None, full=False, width=None, steps=None, out=None, verbose=1, command=None):
    """Runs the experiments (all, or the names in `only`) and returns the results dict.

    With `out`, writes `out/results.json` (atomically, after every experiment, so it always holds
    the experiments finished so far) and one PNG per experiment.

    Returns:
        `{"backend", "keras", "mode", "settings", "command", "started", "machine", "seconds":
        {name: s}, "experiments": {name: result}, "model_table": [header, rows],
        "comparison_table": [header, rows], "figures": {name: file}}`: `command` is the
        `keraseq evolve` line that made it (`None` from Python), `started` the UTC start time and
        `machine` the CPU count, threads and platform, so published numbers say where they came from.
    """
    names = list(EXPERIMENTS) if only is None else parse_only(",".join(only))
    chosen = settings(full, width, steps)
    out = None if out is None else prepare_out(out)
    results = {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "mode": "full" if full else "quick",
        "settings": chosen,
        "command": command,
        "started": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "machine": machine(),
        "seconds": {},
        "experiments": {},
        "figures": {},
    }
    data = None
    for name in names:
        kwargs = dict(chosen[name], verbose=verbose)
        if name in USES_BUDGET:
            kwargs["budget"] = RecallBudget(**chosen["budget"])
        if name in ("speed", "scaling"):
            data = data or language.load_lm_data()
            kwargs["data"] = data
        if verbose:
            print(f"\n== {name}: {EXPERIMENTS[name].__doc__.splitlines()[0]}")
        start = time.perf_counter()
        results["experiments"][name] = EXPERIMENTS[name].run(**kwargs)
        results["seconds"][name] = time.perf_counter() - start
        results["model_table"] = tables.model_table(results)
        results["comparison_table"] = tables.comparison_table(results)
        if out is not None:
            EXPERIMENTS[name].plot(results["experiments"][name], out / f"{name}.png")
            results["figures"][name] = f"{name}.png"
            write_results(results, out)
    return results


def machine():
    """Where the numbers were measured: platform, CPU count and the thread settings in force."""
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "XLA_FLAGS") if k in os.environ}
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "threads": threads or "default",
    }


def prepare_out(out):
    """Creates `out` if needed and checks it is a writable directory (a clear `OSError` if not)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OSError(f"--out {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".keraseq-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise OSError(f"--out {out} is not writable: {err.strerror or err}") from None
    return out


def write_results(results, out):
    """`out/results.json`, strict JSON (a NaN or infinite loss is written as null), atomically."""
    files.write_text(
        Path(out) / RESULTS_FILE, json.dumps(strict_json(results), indent=1, allow_nan=False)
    )


def strict_json(value):
    """`value` with tuples as lists and non-finite floats as None."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def load_results(path):
    """A `results.json` written by `run_tour` (a path to the file or its directory)."""
    path = Path(path)
    path = path / RESULTS_FILE if path.is_dir() else path
    return json.loads(path.read_text(encoding="utf-8"))
