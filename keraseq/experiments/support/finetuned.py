"""The pretrained and fine-tuned MiniGPTs the post-training claims start from, made once per tour.

Claims 8 (fine-tuning) and 9 (RLHF) both pretrain a MiniGPT (`keraseq train`) and fine-tune it
(`keraseq finetune`); where their recipes match, as in the quick tour, the tour hands both the same
`FinetunedRuns` and the pair is trained once.
"""

import contextlib
import tempfile
from pathlib import Path

from keraseq.posttraining.finetune import finetune
from keraseq.training import train


class FinetunedRuns:
    """`(base_dir, sft_dir)` per recipe, each trained on first use, in a temporary directory that
    `close()` (or leaving the `with` block) removes.

    Example:

    ```python
    with FinetunedRuns() as runs:
        base, sft = runs.get(("qa", "numbers"), hidden_dim=64, num_layers=2, pretrain_steps=200,
                             steps=150, learning_rate=1e-3)
    ```
    """

    def __init__(self):
        self._directory = tempfile.TemporaryDirectory(prefix="keraseq-finetuned-")
        self._made = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._directory.cleanup()

    def get(
        self,
        tasks,
        hidden_dim,
        num_layers,
        pretrain_steps,
        steps,
        learning_rate,
        batch_size=16,
        seed=0,
    ):
        """The base and fine-tuned run directories of this recipe; `tasks` are task names."""
        recipe = (
            tuple(tasks),
            hidden_dim,
            num_layers,
            pretrain_steps,
            steps,
            learning_rate,
            batch_size,
            seed,
        )
        if recipe not in self._made:
            root = Path(self._directory.name) / f"recipe-{len(self._made)}"
            base, sft = root / "base", root / "sft"
            train(
                base,
                steps=pretrain_steps,
                num_layers=num_layers,
                hidden_dim=hidden_dim,
                seed=seed,
                verbose=0,
            )
            finetune(
                sft,
                base=base,
                tasks=",".join(tasks),
                steps=steps,
                learning_rate=learning_rate,
                batch_size=batch_size,
                seed=seed,
                verbose=0,
            )
            self._made[recipe] = base, sft
        return self._made[recipe]


def given_or_new(finetuned):
    """A context for a claim's `finetuned=` argument: the tour's `FinetunedRuns`, left open (the
    tour closes it), or, for a claim run alone, a new one closed when the claim ends."""
    return contextlib.nullcontext(finetuned) if finetuned is not None else FinetunedRuns()
