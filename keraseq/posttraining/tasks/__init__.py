"""Instruction tasks, one per capability of an assistant, each with held-out prompts and a checker.

Public API (the fine-tuning, evaluation and RLHF stages build on it):

- `TASKS`: the registry, `{name: Task}`, in the order of `keraseq eval`'s columns:
  `qa` (question answering), `acronym` (summarization), `numbers` (translation), `code` (code
  generation), `addition` and `addition_steps` (reasoning, direct and step by step).
- `get_tasks("qa,code")` or `get_tasks(["qa", "code"])`: the `Task` objects; an unknown name
  raises `ValueError` naming the known ones. `get_tasks(None)`: every task.
- `check_alphabet(tasks, tokenizer)`: raises `ValueError` naming the task and the characters
  the tokenizer lacks.
- A `Task` has `name`, `capability`, `description`;
  `examples(split, count, seed=0)` → list of `Example(prompt, answer)` with distinct inputs, the
  same for the same seed (`split` is `"train"` or `"test"`: the held-out inputs, never trained on);
  `sample(rng, split="train")` → one random `Example`;
  `score(answer, reference)` → credit in [0, 1], 1 meaning correct (exact match, or for `code`
  the fraction of test inputs where the generated expression, run safely, gives the reference's
  value; for `addition_steps` the result after the steps).
- `arithmetic.evaluate(expression, x)`: the safe evaluator the `code` task scores with.

Example:

```python
from keraseq.posttraining.tasks import get_tasks

(task,) = get_tasks("numbers")
task.examples("test", 2)    # [Example(prompt='In digits: ...', answer='...'), ...]
task.score("342", "342")    # 1.0
```
"""

from keraseq.posttraining.tasks import arithmetic
from keraseq.posttraining.tasks.acronym import Acronym
from keraseq.posttraining.tasks.addition import Addition, AdditionSteps
from keraseq.posttraining.tasks.base import SPLITS, Example, Task
from keraseq.posttraining.tasks.code import Code
from keraseq.posttraining.tasks.numbers import NumberWords
from keraseq.posttraining.tasks.qa import QuestionAnswering

TASKS = {
    task.name: task
    for task in (QuestionAnswering(), Acronym(), NumberWords(), Code(), Addition(), AdditionSteps())
}


def get_tasks(names=None):
    """The tasks named in `names` (a comma-separated string or a list); all of them for `None`."""
    if names is None:
        return list(TASKS.values())
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",") if name.strip()]
    if not names:
        raise ValueError(f"no task named: choose among {', '.join(TASKS)}")
    unknown = [name for name in names if name not in TASKS]
    if unknown:
        raise ValueError(f"unknown task {unknown[0]!r}: expected one of {', '.join(TASKS)}")
    return [TASKS[name] for name in dict.fromkeys(names)]


def check_alphabet(tasks, tokenizer, extra=""):
    """Raises `ValueError` if a task (or `extra`, the chat template) uses a character that
    `tokenizer` lacks, naming the task and the characters."""
    known = set(tokenizer.get_vocabulary())
    for name, characters in [("the chat template", set(extra))] + [
        (f"task {task.name!r}", task.alphabet()) for task in tasks
    ]:
        missing = sorted(characters - known)
        if missing:
            raise ValueError(
                f"{name} uses characters the base model's vocabulary lacks: "
                f"{', '.join(repr(c) for c in missing[:20])}"
            )


__all__ = [
    "TASKS",
    "SPLITS",
    "Example",
    "Task",
    "arithmetic",
    "get_tasks",
    "check_alphabet",
]
