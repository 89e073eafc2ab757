"""Reasoning: three-digit addition, answered directly or step by step (a chain of thought)."""

from keraseq.posttraining.tasks.base import Example, Task

RESULT = ";"  # in the step-by-step answer, the result follows the last ";"


def steps(a, b):
    """`352, 479` → `"2+9=11,5+7+1=13,3+4+1=8;831"`: digit by digit from the right, with carries.

    Each step adds a column's digits and the carry of the column before (written only when it is
    1); the result's digits are the last digits of the column sums, read from the left.
    """
    columns, carry = [], 0
    for x, y in zip(reversed(str(a)), reversed(str(b))):
        total = int(x) + int(y) + carry
        columns.append(f"{x}+{y}" + ("+1" if carry else "") + f"={total}")
        carry = total // 10
    return ",".join(columns) + RESULT + str(a + b)


class Addition(Task):
    """`"Add 352+479"` → `"831"`: the sum of two three-digit numbers, at once."""

    name = "addition"
    family = "addition"
    capability = "reasoning"
    description = "the sum of two three-digit numbers, answered directly"
    prompt_prefix = "Add "

    def draw(self, rng):
        a, b = rng.integers(100, 1000, size=2)
        return int(a), int(b)

    def example(self, key):
        a, b = key
        return Example(f"{self.prompt_prefix}{a}+{b}", str(a + b))

    def alphabet(self):
        return set(self.prompt_prefix + "0123456789+=,;")

    def score(self, answer, reference):
        """Only the result counts (the text after the last `;`, if the answer has steps)."""
        return float(answer.strip().rsplit(RESULT, 1)[-1] == reference.rsplit(RESULT, 1)[-1])


class AdditionSteps(Addition):
    """`"Add step by step: 352+479"` → `"2+9=11,5+7+1=13,3+4+1=8;831"` (Lee et al. 2023's
    scratchpad, digit by digit with the carries); scored on the result after the `;`."""

    name = "addition_steps"
    description = "the same sums, answered column by column with the carries, then the result"
    prompt_prefix = "Add step by step: "

    def example(self, key):
        a, b = key
        return Example(f"{self.prompt_prefix}{a}+{b}", steps(a, b))
