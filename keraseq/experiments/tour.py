"""The tour: every claim in order, on the current backend, with its settings, results and plots.

The quick tour (each claim's `QUICK` arguments) aims at under 5 minutes on a 2-core CPU on every
backend; `full` (each claim's `FULL`) makes the docs' figures. `plan(...)` checks and resolves
everything a tour will do before any work: the claims, and their arguments with `width` (every
model's width) and `steps` (every training budget) applied on top of the mode. `run_plan` runs a
plan; `run_tour` is both in one call.
"""

import dataclasses
import datetime
import json
import math
import time
from pathlib import Path

import keras

from keraseq import files, machine
from keraseq.experiments import tables
from keraseq.experiments.claims import CLAIMS
from keraseq.experiments.support import language
from keraseq.experiments.support.finetuned import FinetunedRuns
from keraseq.experiments.support.recall import RecallBudget

RESULTS_FILE = "results.json"

# The recall budget every claim that trains a recall classifier shares (`RecallBudget`). Quick mode
# is bounded by the number of training steps (about 2,000 in all): eager PyTorch spent 70-100 ms of
# CPU per step of even the smallest recall model (measured on a loaded 2-core machine).
BUDGET = {"quick": dict(width=32, steps=100), "full": dict(width=64, steps=1500)}


@dataclasses.dataclass(frozen=True)
class Plan:
    """A checked tour: which claims run, in which mode, with which arguments.

    `settings` maps `"budget"` to the `RecallBudget` arguments and each claim to the keyword
    arguments of its `run`; `results.json` records it as it is.
    """

    names: tuple
    mode: str
    settings: dict


def parse_only(names):
    """Claim names (a list, or one comma-separated string) in tour order; `ValueError` naming the
    unknown ones."""
    text = names if isinstance(names, str) else ",".join(names)
    chosen = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in CLAIMS]
    if unknown or not chosen:
        raise ValueError(
            f"unknown experiment {', '.join(unknown) or repr(text)}: expected one or "
            f"more of {','.join(CLAIMS)}, comma-separated"
        )
    return [n for n in CLAIMS if n in chosen]


def settings(full=False, width=None, steps=None):
    """Every claim's keyword arguments: the mode's, with `width` and `steps` applied."""
    for name, value in (("width", width), ("steps", steps)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"--{name} must be a positive integer, got {value!r}")
    if width is not None and width % 4:
        raise ValueError(f"--width must be a multiple of 4 (the Transformer's heads), got {width}")
    chosen = {"budget": dict(BUDGET["full" if full else "quick"])}
    chosen.update(
        {name: dict(claim.FULL if full else claim.QUICK) for name, claim in CLAIMS.items()}
    )
    for name, value, key in (("width", width, "WIDTH"), ("steps", steps, "STEPS")):
        if value is None:
            continue
        chosen["budget"][name] = value
        for claim_name, claim in CLAIMS.items():
            if getattr(claim, key) is not None:
                chosen[claim_name][getattr(claim, key)] = value
    return chosen


def plan(only=None, full=False, width=None, steps=None):
    """The checked `Plan` of a tour: all claims, or those in `only`; `ValueError` for bad input."""
    names = list(CLAIMS) if only is None else parse_only(only)
    return Plan(tuple(names), "full" if full else "quick", settings(full, width, steps))


def run_tour(only=None, full=False, width=None, steps=None, out=None, verbose=1, command=None):
    """Runs the claims' experiments (all, or the names in `only`) and returns the results dict.

    With `out`, writes `out/results.json` (atomically, after every experiment, so it always holds
    the experiments finished so far) and one PNG per experiment.

    Returns:
        `{"backend", "keras", "mode", "settings", "command", "started", "machine", "seconds":
        {name: s}, "experiments": {name: result}, "model_table": [header, rows],
        "comparison_table": [header, rows], "figures": {name: file}}`: `command` is the
        `keraseq evolve` line that made it (`None` from Python), `started` the UTC start time and
        `machine` the platform, CPU count and threads, so published numbers say where they came
        from.

    Example:

    ```python
    results = keraseq.experiments.run_tour(only=["vanishing", "memory"], out="evolve-results")
    ```
    """
    tour = plan(only, full, width, steps)
    return run_plan(tour, None if out is None else prepare_out(out), verbose, command)


def run_plan(tour, out=None, verbose=1, command=None):
    """Runs a `Plan`; `out` is a directory that `prepare_out` checked, or None. See `run_tour`."""
    results = {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "mode": tour.mode,
        "settings": tour.settings,
        "command": command,
        "started": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "machine": machine.record(),
        "seconds": {},
        "experiments": {},
        "figures": {},
    }
    data = None  # the corpus, loaded once, by the first claim that uses it
    with FinetunedRuns() as finetuned:  # trained once per recipe, by the first claim that asks
        for name in tour.names:
            claim = CLAIMS[name]
            kwargs = dict(tour.settings[name], verbose=verbose)
            if "budget" in claim.USES:
                kwargs["budget"] = RecallBudget(**tour.settings["budget"])
            if "data" in claim.USES:
                data = data or language.load_lm_data()
                kwargs["data"] = data
            if "finetuned" in claim.USES:
                kwargs["finetuned"] = finetuned
            if verbose:
                print(f"\n== {name}: {claim.__doc__.splitlines()[0]}")
            start = time.perf_counter()
            results["experiments"][name] = claim.run(**kwargs)
            results["seconds"][name] = time.perf_counter() - start
            results["model_table"] = tables.model_table(results)
            results["comparison_table"] = tables.comparison_table(results)
            if out is not None:
                claim.plot(results["experiments"][name], Path(out) / f"{name}.png")
                results["figures"][name] = f"{name}.png"
                write_results(results, out)
    return results


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
