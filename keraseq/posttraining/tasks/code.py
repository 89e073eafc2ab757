"""Code generation: a Python expression for a described computation, checked by running it."""

from keraseq.posttraining.tasks import arithmetic
from keraseq.posttraining.tasks.base import Example, Task

# (words, operator text, precedence of the result): x is an atom (4), ** binds tighter than *, +.
STEPS = (
    [(f"add {k}", f"+{k}", 1) for k in range(1, 10)]
    + [(f"subtract {k}", f"-{k}", 1) for k in range(1, 10)]
    + [(f"times {k}", f"*{k}", 2) for k in range(2, 10)]
    + [("square", "**2", 3)]
)
TEST_INPUTS = tuple(range(-3, 5))


def expression(steps):
    """The shortest Python expression applying `steps` to `x` in order: `(x+3)*4`."""
    text, precedence = "x", 4
    for i in steps:
        _, operator, result = STEPS[i]
        needs = 4 if result == 3 else result  # ** wants an atom on its left; + and * chain
        if precedence < needs:
            text = f"({text})"
        text, precedence = text + operator, result
    return text


class Code(Task):
    """`"Code: x, add 3, times 4"` → `"(x+3)*4"`; any expression equal on the test inputs scores.

    The answer is run by `arithmetic.evaluate` (parsed with `ast`, arithmetic only) at
    `x = -3..4`; the score is the fraction of inputs where it equals the reference: 1 is correct.
    """

    name = "code"
    capability = "code generation"
    description = "a Python expression for 2 or 3 steps applied to x, run on 8 inputs"

    def draw(self, rng):
        return tuple(int(i) for i in rng.integers(len(STEPS), size=int(rng.integers(2, 4))))

    def example(self, key):
        words = ", ".join(STEPS[i][0] for i in key)
        return Example(f"Code: x, {words}", expression(key))

    def alphabet(self):
        return set("".join(w + o for w, o, _ in STEPS) + "Code: x,()")

    def score(self, answer, reference):
        try:
            values = [arithmetic.evaluate(answer.strip(), x) for x in TEST_INPUTS]
        except ValueError:
            return 0.0
        expected = [arithmetic.evaluate(reference, x) for x in TEST_INPUTS]
        return sum(a == b for a, b in zip(values, expected)) / len(TEST_INPUTS)
