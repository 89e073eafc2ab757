"""`benchmarks/qa_question_first.py` asks the qa task's own question, only in another order."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from qa_question_first import question_first  # noqa: E402

from keraseq.posttraining.tasks import get_tasks  # noqa: E402


def test_question_first_moves_the_question_and_keeps_facts_and_answer():
    task = get_tasks("qa")[0]
    rng = np.random.default_rng(0)
    for _ in range(50):
        key = task.draw(rng)
        facts_first, moved = task.example(key), question_first(task, key)
        facts, question = facts_first.prompt.split(". ")
        assert moved.prompt == f"{question} {facts}."
        assert moved.answer == facts_first.answer
        assert set(moved.prompt) <= task.alphabet()
