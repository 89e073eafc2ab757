"""The summary tables, built from a results dict only: every cell is a measured number or "—".

* `model_table`: one row per model (parameters, step time, longest delay recalled, validation loss,
  a generated sample).
* `comparison_table`: the textbook comparison of RNN/LSTM against the Transformer, one row per
  aspect, with this run's numbers and whether the textbook claim held in them.
* `backend_table`: the same measures side by side for several runs (one per backend).
"""

from keraseq.experiments.claims.scaling import top_slope
from keraseq.models.kinds import KINDS, RECURRENT_KINDS

NONE = "—"


def lookup(results, *keys):
    """`results["experiments"][k0][k1]...`, or None where anything is missing."""
    value = results.get("experiments", {})
    for key in keys:
        if not isinstance(value, dict) or value.get(key) is None:
            return None
        value = value[key]
    return value


def number(value, spec):
    return NONE if value is None else format(value, spec)


def model_table(results):
    """`(header, rows)`: one row per model."""
    header = [
        "model",
        "LM parameters",
        "LM step (ms)",
        "longest delay recalled",
        "val loss",
        "sample",
    ]
    rows = []
    for kind in KINDS:
        lm = lookup(results, "speed", "lm", kind) or {}
        step = lm.get("step_time")
        recalled = lookup(results, "memory", "longest_recalled", kind)
        ran = lookup(results, "memory", "accuracy", kind) is not None
        sample = lm.get("sample")
        rows.append(
            [
                KINDS[kind].label
                + ("" if kind in RECURRENT_KINDS else f" ({KINDS[kind].language_model_label})"),
                number(lm.get("parameters"), ","),
                number(None if step is None else 1000 * step, ".1f"),
                NONE if not ran else (f"{recalled}" if recalled is not None else "none tested"),
                number(lm.get("val_loss"), ".3f"),
                NONE if sample is None else repr(sample[:40]),
            ]
        )
    return header, rows


def comparison_rows(results):
    """Per aspect: name, textbook claim, measure, number format, which way is better, and the values
    of the models that ran (None: a delay never recalled, a target loss never reached)."""
    speed, memory = lookup(results, "speed") or {}, lookup(results, "memory") or {}
    lengths, lm = speed.get("length") or [None], speed.get("lm") or {}
    points = lookup(results, "scaling", "points") or {}
    slopes = {kind: top_slope(p) for kind, p in points.items()}  # still gaining at the top?
    return [
        (
            "parallelization",
            "sequential vs fully parallel",
            f"step time ×, T={lengths[0]}→{lengths[-1]}",
            ".1f",
            "lower",
            speed.get("growth", {}),
        ),
        (
            "long-range dependencies",
            "difficult vs easy",
            "longest delay recalled",
            "d",
            "higher",
            memory.get("longest_recalled", {}),
        ),
        (
            "training speed",
            "slow vs fast",
            f"s to loss {speed.get('target_loss')}",
            ".1f",
            "lower",
            {k: lm[k]["time_to_target"] for k in KINDS if k in lm},
        ),
        (
            "scalability",
            "limited vs scales well",
            "val loss per 10× params, two largest sizes",
            "+.3f",
            "lower",
            slopes,
        ),
    ]


def verdict(values, better):
    """ "held" if the Transformer beats every recurrent model measured, else "did not hold here"."""
    worst = float("inf") if better == "lower" else float("-inf")
    scored = {k: worst if v is None else v for k, v in values.items()}
    recurrent = [scored[k] for k in RECURRENT_KINDS if k in scored]
    if "transformer" not in scored or not recurrent:
        return NONE
    ours = scored["transformer"]
    wins = ours < min(recurrent) if better == "lower" else ours > max(recurrent)
    return "held" if wins else "did not hold here"


def comparison_table(results):
    """`(header, rows)`: the RNN/LSTM vs Transformer comparison, rebuilt from measurements."""
    header = ["aspect", "RNN/LSTM vs Transformer", "measure", *(k.label for k in KINDS.values())]
    header.append("claim")
    rows = []
    for aspect, claim, measure, spec, better, values in comparison_rows(results):
        rows.append([aspect, claim, measure, *aspect_cells(values, spec), verdict(values, better)])
    return header, rows


def aspect_cells(values, spec):
    """One cell per model: its number, "not reached" (None) or "—" (the model did not run)."""
    return [
        NONE if k not in values else "not reached" if values[k] is None else number(values[k], spec)
        for k in KINDS
    ]


def backend_table(runs):
    """`(header, rows)`: one row per run (e.g. the quick tour on each backend), one column per
    measure; each cell reads RNN / LSTM / GRU / Transformer, then the claim's verdict."""
    header = ["backend", "mode", "seconds", "gradient < floor from distance"]
    rows = []
    for results in runs:
        vanished = lookup(results, "vanishing", "vanished_at") or {}
        row = [
            results.get("backend", NONE),
            results.get("mode", NONE),
            number(sum(results.get("seconds", {}).values()) or None, ".0f"),
            " / ".join(
                NONE if k not in vanished else "never" if vanished[k] is None else str(vanished[k])
                for k in KINDS
            ),
        ]
        for aspect, _, measure, spec, better, values in comparison_rows(results):
            if not rows:  # the first run names the columns
                header.append(f"{aspect}: {measure}")
            row.append(" / ".join(aspect_cells(values, spec)) + f" ({verdict(values, better)})")
        rows.append(row)
    return header, rows


def format_table(header, rows):
    """Plain-text columns for the terminal."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(header, rows):
    """A Markdown table, for the docs."""
    escape = lambda c: str(c).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = ["| " + " | ".join(map(escape, header)) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(map(escape, r)) + " |" for r in rows])
