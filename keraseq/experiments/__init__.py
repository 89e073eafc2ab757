"""The evolution, measured: one experiment per claim of the RNN → LSTM → Transformer story.

The folder shows which is which:

* `claims/`: the claims, one module each (`run` measures, `plot` draws), registered in
  `claims.CLAIMS`; its docstring says how to add one.
* `support/`: what the claims share (encoders, the recall task, language-model runs, figures).
* `tour.py`: `plan` checks a tour, `run_tour` / `run_plan` run it (`keraseq evolve`).
* `tables.py`: `model_table` / `comparison_table` rebuild the summary tables from the results
  (`backend_table` sets several runs side by side).
"""

from keraseq.experiments.claims import CLAIMS
from keraseq.experiments.tables import (
    backend_table,
    comparison_table,
    format_table,
    markdown_table,
    model_table,
)
from keraseq.experiments.tour import Plan, load_results, plan, run_plan, run_tour, settings

__all__ = [
    "CLAIMS",
    "Plan",
    "plan",
    "run_plan",
    "run_tour",
    "settings",
    "load_results",
    "model_table",
    "comparison_table",
    "backend_table",
    "format_table",
    "markdown_table",
]
