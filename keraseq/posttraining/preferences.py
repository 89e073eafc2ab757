"""Preference pairs from the fine-tuned model's own samples, labelled by the gold judge."""

import dataclasses
import itertools
import json
import shutil
from pathlib import Path

import numpy as np

from keraseq import files
from keraseq.posttraining import chat
from keraseq.posttraining.rollout import sample_answers


@dataclasses.dataclass(frozen=True)
class Prompt:
    """A task's example in the chat format: what the model reads, and how the judge grades it."""

    task: object
    example: object

    @property
    def text(self):
        return chat.format_prompt(self.example.prompt)


@dataclasses.dataclass(frozen=True)
class Pair:
    """Two answers to one prompt (as the model wrote them, the end marker included when finished),
    the labeler's choice first, with their gold scores."""

    task: str
    prompt: str
    chosen: str
    rejected: str
    chosen_gold: float
    rejected_gold: float


def task_prompts(tasks, split, per_task, seed=0):
    """`per_task` prompts of each task from `split`, interleaved task by task."""
    lists = [[Prompt(t, e) for e in t.examples(split, per_task, seed=seed)] for t in tasks]
    return [p for group in itertools.zip_longest(*lists) for p in group if p is not None]


def grade_rollout(judge, prompts, rollout, samples_per_prompt):
    """Gold scores `(N,)` of a rollout's rows (`samples_per_prompt` rows per prompt)."""
    return np.array(
        [
            judge.grade(p.task, rollout.answers[row], rollout.finished[row], p.example.answer)
            for row, p in enumerate(p for p in prompts for _ in range(samples_per_prompt))
        ]
    )


def emitted(rollout, row):
    """The answer of a rollout row as the model wrote it: with the end marker if it finished."""
    return rollout.answers[row] + (chat.END if rollout.finished[row] else "")


def sample_pairs(model, tokenizer, prompts, judge, budget, samples_per_prompt, seed, batch=16):
    """Up to `budget` labelled pairs: the model's answers at temperature 1, compared two by two.

    As in InstructGPT and the DPO paper, the pairs come from the model being aligned: for each
    prompt `samples_per_prompt` answers are sampled, every two different texts with different gold
    scores make a pair (ties are dropped; a text sampled twice is paired once, so that a prompt the
    model answers the same way every time does not fill the budget with copies of one pair), and
    the judge's noisy label orders it.

    Args:
        model, tokenizer: The fine-tuned model.
        prompts: `Prompt`s to answer, used in order until the budget is met.
        judge: The `GoldJudge`.
        budget: The number of pairs wanted, positive.
        samples_per_prompt: Answers per prompt, ≥ 2.
        seed: Seed of the sampling and the labels.
        batch: Prompts sampled together.

    Returns:
        The list of `Pair`s (fewer than `budget` if the prompts run out).
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"the pairs budget must be a positive integer, got {budget!r}")
    rng = np.random.default_rng(seed)
    pairs = []
    for start in range(0, len(prompts), batch):
        chunk = prompts[start : start + batch]
        rollout = sample_answers(
            model,
            tokenizer,
            [p.text for p in chunk],
            samples_per_prompt,
            None,  # each answer may fill the context after its own prompt
            chat.END,
            1.0,
            rng,
        )
        gold = grade_rollout(judge, chunk, rollout, samples_per_prompt)
        for i, prompt in enumerate(chunk):
            rows = range(i * samples_per_prompt, (i + 1) * samples_per_prompt)
            distinct = {emitted(rollout, row): row for row in reversed(rows)}.values()
            for a, b in itertools.combinations(sorted(distinct), 2):  # each two texts once
                if gold[a] == gold[b]:
                    continue  # a tie says nothing
                if not judge.prefers_first(gold[a], gold[b], rng):
                    a, b = b, a
                pairs.append(
                    Pair(
                        prompt.task.name,
                        prompt.text,
                        emitted(rollout, a),
                        emitted(rollout, b),
                        float(gold[a]),
                        float(gold[b]),
                    )
                )
                if len(pairs) == budget:
                    return pairs
    return pairs


def save_pairs(pairs, path):
    """Writes the pairs as JSON lines, atomically."""
    files.write_text(path, "".join(json.dumps(dataclasses.asdict(p)) + "\n" for p in pairs))


def load_pairs(path):
    """The pairs written by `save_pairs`."""
    with open(path, encoding="utf-8") as f:
        return [Pair(**json.loads(line)) for line in f if line.strip()]


PAIRS_FILE, HELDOUT_PAIRS_FILE = "pairs.jsonl", "heldout_pairs.jsonl"


def run_pairs(
    model, tokenizer, tasks, judge, budget, heldout, samples_per_prompt, seed, out, source=None
):
    """The training and held-out pairs of a run in `out`: read back if there, else copied from
    the run directory `source`, else sampled (training prompts, then held-out prompts) and saved.

    Returns:
        `(train_pairs, heldout_pairs)`.
    """
    out = Path(out)
    for name in (PAIRS_FILE, HELDOUT_PAIRS_FILE):
        if not (out / name).is_file() and source is not None:
            if not (Path(source) / name).is_file():
                raise ValueError(f"{source} has no {name}: give a `keraseq reward --out` directory")
            shutil.copyfile(Path(source) / name, out / name)
    if not all((out / name).is_file() for name in (PAIRS_FILE, HELDOUT_PAIRS_FILE)):
        for name, split, count, offset in (
            (PAIRS_FILE, "train", budget, 0),
            (HELDOUT_PAIRS_FILE, "test", heldout, 1),
        ):
            prompts = task_prompts(tasks, split, count, seed)
            pairs = sample_pairs(
                model, tokenizer, prompts, judge, count, samples_per_prompt, seed + offset
            )
            save_pairs(pairs, out / name)
    return load_pairs(out / PAIRS_FILE), load_pairs(out / HELDOUT_PAIRS_FILE)
