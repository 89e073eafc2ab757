"""Summarization at its smallest: the acronym of a phrase of words from the Python docs."""

from keraseq.posttraining.tasks.base import Example, Task

# Words of CPython's reference text (the base model's corpus), 3 to 8 letters.
WORDS = tuple(
    """
    access add argument array attribute base binary block bound buffer byte call case class
    clause code compile context copy data default define delete dict error event except
    expression file float format frame function global hash import index instance integer
    iterator keyword lambda list local loop method module name number object operator order
    package parser pattern print process queue raise range read record return scope search
    sequence server set shell slice socket source stack start state string syntax system table
    target test thread token tuple type unicode value variable view write yield
    """.split()
)


class Acronym(Task):
    """`"Acronym of: read eval print loop"` → `"REPL"`: the first letter of each word, capitals."""

    name = "acronym"
    capability = "summarization"
    description = "the acronym of 2 to 4 words of the Python docs"

    def draw(self, rng):
        return tuple(int(i) for i in rng.choice(len(WORDS), int(rng.integers(2, 5)), replace=False))

    def example(self, key):
        words = [WORDS[i] for i in key]
        return Example(f"Acronym of: {' '.join(words)}", "".join(w[0].upper() for w in words))

    def alphabet(self):
        letters = set("".join(WORDS))
        return letters | {c.upper() for c in letters} | set("Acronym of: ")
