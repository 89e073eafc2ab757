"""Translation: English number words to digits, 0 to 999."""

from keraseq.posttraining.tasks.base import Example, Task

UNITS = "zero one two three four five six seven eight nine".split()
TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n):
    """`342` → `"three hundred forty two"` (0 ≤ n < 1000, no "and", no hyphens)."""
    hundreds, rest = divmod(n, 100)
    words = [UNITS[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words += [TENS[rest // 10]] + ([UNITS[rest % 10]] if rest % 10 else [])
    elif rest >= 10:
        words.append(TEENS[rest - 10])
    elif rest or not hundreds:
        words.append(UNITS[rest])
    return " ".join(words)


class NumberWords(Task):
    """`"In digits: three hundred forty two"` → `"342"`."""

    name = "numbers"
    capability = "translation"
    description = "English number words to digits, 0 to 999"

    def draw(self, rng):
        return int(rng.integers(1000))

    def example(self, key):
        return Example(f"In digits: {number_words(key)}", str(key))

    def alphabet(self):
        return set("".join(UNITS + TEENS + TENS[2:]) + "hundred0123456789 In digits:")
