"""The `keraseq` command line with the qa task's question moved before its facts.

The qa task writes the facts first: `"Ada is in Oslo, Bob in Rome. Where is Bob?"`. A causal model
reads left to right, so when it reaches the question it must look back, find the fact about the
person asked and copy its place: the key at each place has to carry its owner's name, a two-step
lookup. With the question first, `"Where is Bob? Ada is in Oslo, Bob in Rome."`, each fact is read
already knowing who is asked. This script runs any `keraseq` command with that order, to measure
how the order changes how soon the network learns qa (`tutorials/benchmarks.md`, "Why qa stays
near chance"):

    keraseq train --steps 1 --eval-interval 1 --eval-batches 1 --out runs/init   # an untrained net
    keraseq finetune runs/init --tasks qa --steps 10000 --lr 1e-3 --out runs/qa-facts-first
    python benchmarks/qa_question_first.py finetune runs/init --tasks qa --steps 10000 \\
        --lr 1e-3 --out runs/qa-question-first
    keraseq eval runs/qa-facts-first --tasks qa
    python benchmarks/qa_question_first.py eval runs/qa-question-first --tasks qa
"""

import sys

from keraseq.posttraining.tasks import qa

FACTS_FIRST = qa.QuestionAnswering.example


def question_first(self, key):
    """`QuestionAnswering.example` with its question moved before its two facts."""
    example = FACTS_FIRST(self, key)
    facts, question = example.prompt.split(". ")  # "Ada is in Oslo, Bob in Rome", "Where is Bob?"
    return qa.Example(f"{question} {facts}.", example.answer)


if __name__ == "__main__":
    qa.QuestionAnswering.example = question_first
    from keraseq.cli import main

    sys.exit(main(sys.argv[1:]))
