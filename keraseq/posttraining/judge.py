"""The gold judge: keraseq's stand-in for human labelers, who score answers and compare pairs."""

import dataclasses
import difflib

import numpy as np

CORRECT_WEIGHT, FINISHED_WEIGHT, CONCISE_WEIGHT = 0.7, 0.15, 0.15
BEST_SCORE = CORRECT_WEIGHT + FINISHED_WEIGHT + CONCISE_WEIGHT  # g = 1: correct, ended, concise


@dataclasses.dataclass(frozen=True)
class GoldJudge:
    """Scores an answer in [0, 1] and labels pairs with human-like noise.

    The gold score of an answer with credit $c \\in [0, 1]$ (the task checker's; a wrong answer
    gets half its character similarity to the reference, so a near miss beats nonsense),
    finished with the end marker ($f \\in \\{0, 1\\}$), of $n$ characters where a good answer has
    $n^\\ast$:

    $$g = 0.7\\,c + 0.15\\,f + 0.15\\,\\min\\Big(1, \\frac{2n^\\ast + 2}{n}\\Big).$$

    The last term is 1 unless the answer rambles past twice the reference's length. A labeler
    prefers the first of two answers with probability (the Bradley–Terry model of the labels)

    $$P(1 \\succ 2) = \\sigma\\Big(\\frac{g_1 - g_2}{\\tau}\\Big).$$

    Args:
        tau: Label noise $\\tau$: 0.1 flips about 27% of pairs whose scores differ by 0.1.
    """

    tau: float = 0.1

    def __post_init__(self):
        if not self.tau > 0:
            raise ValueError(f"the judge's noise tau must be > 0, got {self.tau}")

    def score(self, credit, finished, length, reference_length):
        """The gold score $g$ of one answer (NumPy-broadcastable arguments)."""
        credit = np.clip(np.asarray(credit, "float64"), 0.0, 1.0)
        concise = np.minimum(
            1.0, (2.0 * np.asarray(reference_length) + 2.0) / np.maximum(length, 1)
        )
        return (
            CORRECT_WEIGHT * credit
            + FINISHED_WEIGHT * np.asarray(finished, "float64")
            + CONCISE_WEIGHT * concise
        )  # g = 0.7 c + 0.15 f + 0.15 min(1, (2n* + 2) / n)

    def preference_probability(self, first, second):
        """$P(1 \\succ 2) = \\sigma((g_1 - g_2)/\\tau)$ for gold scores `first`, `second`."""
        return 1.0 / (1.0 + np.exp(-(np.asarray(first) - np.asarray(second)) / self.tau))

    def prefers_first(self, first, second, rng):
        """A noisy label: True where the labeler prefers the first answer."""
        p = self.preference_probability(first, second)
        return rng.random(np.shape(p)) < p

    def grade(self, task, answer, finished, reference):
        """The gold score of one generated `answer` (without the end marker) to a task."""
        credit = task.score(answer, reference)
        if credit < 1:
            similarity = difflib.SequenceMatcher(None, answer, reference).ratio()
            credit = max(credit, 0.5 * similarity)  # partial credit for a near miss
        return float(self.score(credit, finished, len(answer), len(reference)))
