"""What every task shares: the `Example` pair, the train/test split of inputs, the sampling."""

import zlib
from typing import NamedTuple

import numpy as np

SPLITS = ("train", "test")
TEST_FRACTION = 5  # one input in 5 is held out


class Example(NamedTuple):
    """One instruction: the user's `prompt` and the reference `answer` (no template)."""

    prompt: str
    answer: str


def split_of(family, key):
    """`"test"` or `"train"`: a stable hash of the input decides, so the splits share no input.

    Tasks of one `family` (the two addition formats) hash the same inputs alike, so a pair of
    numbers held out in one format is held out in the other.
    """
    return "test" if zlib.crc32(f"{family}:{key!r}".encode()) % TEST_FRACTION == 0 else "train"


class Task:
    """A generator of (prompt, answer) pairs from random inputs, and a checker of answers.

    Subclasses set `name`, `capability`, `family` (defaults to `name`) and `description`, and
    define `draw(rng)` (a random input, hashable), `example(key)` and `alphabet()`; they may
    override `score` for partial credit.
    """

    name = capability = description = ""
    family = None

    def draw(self, rng):
        raise NotImplementedError

    def example(self, key):
        raise NotImplementedError

    def alphabet(self):
        """Every character a prompt or answer of this task can hold."""
        raise NotImplementedError

    def score(self, answer, reference):
        """Credit in [0, 1] for a generated `answer` against the `reference`; 1 is correct."""
        return float(answer.strip() == reference)

    def split_of(self, key):
        return split_of(self.family or self.name, key)

    def sample(self, rng, split="train"):
        """One random `Example` whose input belongs to `split` (rejection sampling)."""
        while True:
            key = self.draw(rng)
            if self.split_of(key) == split:
                return self.example(key)

    def examples(self, split, count, seed=0):
        """Up to `count` examples of distinct inputs from `split`, the same for the same seed.

        Tasks of one family draw the same inputs: both addition formats ask the same sums. Fewer
        come back when the split has fewer inputs (the number words: 1000 in all).
        """
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
        family = (self.family or self.name).encode()
        rng = np.random.default_rng([seed, zlib.crc32(family)])
        keys = {}
        for _ in range(100 * count):
            key = self.draw(rng)
            if key not in keys and self.split_of(key) == split:
                keys[key] = None
                if len(keys) == count:
                    break
        return [self.example(key) for key in keys]
