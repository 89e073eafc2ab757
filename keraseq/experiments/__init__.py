"""The evolution, measured: one experiment per claim of the RNN → LSTM → Transformer story.

Each experiment module has `run(...)`, returning plain JSON-serialisable data, and
`plot(result, path)`, writing a PNG. `run_tour` runs them in order (`keraseq evolve`), and
`model_table`/`comparison_table` rebuild the summary tables from its results (`backend_table`
sets several runs side by side).

| name | module | claim |
| --- | --- | --- |
| `vanishing` | `vanishing` | the RNN's gradient vanishes with the distance |
| `exploding` | `exploding` | spectral radius > 1 explodes it; clipping bounds the update |
| `memory` | `memory` | recall after a delay: recurrent memory is short |
| `highway` | `highway` | the LSTM's cell state carries the gradient |
| `speed` | `speed` | attention trains in parallel: step time, time to a target loss |
| `range` | `long_range` | accuracy against the cue distance at a fixed length |
| `scaling` | `scaling` | validation loss against parameters, LSTM LM vs MiniGPT |
"""

from keraseq.experiments.tables import (
    backend_table,
    comparison_table,
    format_table,
    markdown_table,
    model_table,
)
from keraseq.experiments.tour import EXPERIMENTS, FULL, QUICK, load_results, run_tour, settings

__all__ = [
    "EXPERIMENTS",
    "QUICK",
    "FULL",
    "run_tour",
    "settings",
    "load_results",
    "model_table",
    "comparison_table",
    "backend_table",
    "format_table",
    "markdown_table",
]
