"""The claims of the evolution, one module each, in the order the tour runs them.

| name | module | claim |
| --- | --- | --- |
| `vanishing` | `vanishing` | the RNN's gradient vanishes with the distance |
| `exploding` | `exploding` | spectral radius > 1 explodes it; clipping bounds the update |
| `memory` | `memory` | recall after a delay: recurrent memory is short |
| `highway` | `highway` | the LSTM's cell state carries the gradient |
| `speed` | `speed` | attention trains in parallel: step time, time to a target loss |
| `range` | `long_range` | accuracy against the cue distance at a fixed length |
| `scaling` | `scaling` | validation loss against parameters, LSTM LM vs MiniGPT |
| `finetuning` | `finetuning` | fine-tuning teaches capabilities: base vs SFT on held-out tasks |
| `rlhf` | `rlhf` | RLHF aligns the model to preferences: SFT vs RLHF and DPO, gold score and KL |

Adding a claim is one module here plus one entry in `CLAIMS`. The module's docstring starts with
"Claim N: ..." (the tour prints that line) and it defines:

* `run(..., verbose=1)`: measures, returns JSON-serialisable data (plain dicts, lists, numbers);
* `plot(result, path)`: writes a PNG of that data (`keraseq.experiments.support.plotting.figure`);
* `QUICK` and `FULL`: the keyword arguments of `run` in the quick tour and in `--full`;
* `WIDTH` and `STEPS`: the argument of `run` that `keraseq evolve --width` / `--steps` sets, or
  None;
* `USES`: what the tour passes in, among `"budget"` (the shared `RecallBudget`, as `budget=`),
  `"data"` (the language-model corpus, as `data=`) and `"finetuned"` (the shared
  `FinetunedRuns`, as `finetuned=`).

Shared code (encoders, the recall task, language-model runs, figures) is in
`keraseq.experiments.support`.
"""

from keraseq.experiments.claims import (
    exploding,
    finetuning,
    highway,
    long_range,
    memory,
    rlhf,
    scaling,
    speed,
    vanishing,
)

CLAIMS = {
    "vanishing": vanishing,
    "exploding": exploding,
    "memory": memory,
    "highway": highway,
    "speed": speed,
    "range": long_range,
    "scaling": scaling,
    "finetuning": finetuning,
    "rlhf": rlhf,
}

__all__ = ["CLAIMS"]
