"""The proof of each post-training stage: held-out exact match per task, and the cost on the corpus.

Public API (the RLHF stage adds its columns):

- `greedy_answers(model, tokenizer, prompts)`: the model's greedy answers, batched, KV-cached.
- `evaluate_tasks(model, tokenizer, tasks, count)` → `{task: {"exact_match", "score", "count",
  "samples"}}` on the first `count` held-out prompts of each task (`Task.examples("test", count)`).
- `corpus_loss(model, tokenizer, corpus)`: the validation loss on the pretraining corpus, measured
  as `keraseq train` measures it (its 20 validation batches of seed 0).
- `evaluate_checkpoint(directory, ...)` → `{"checkpoint", "parameters", "tasks", "val_loss"}`;
  `eval_table(results)` → `(header, rows)`: one row per checkpoint.
"""

import keras
import numpy as np

from keraseq import checkpoint
from keraseq.data import WindowBatches, load_corpus, train_validation_split
from keraseq.posttraining import chat
from keraseq.posttraining.tasks import get_tasks
from keraseq.training.config import LOSS

MAX_ANSWER_TOKENS = 32  # the longest answer (step-by-step addition) is 27 characters and the end
HELD_OUT = 200  # held-out prompts per task
VAL_BATCHES, VAL_BATCH_SIZE = 20, 12  # keraseq train's validation batches


def greedy_answers(model, tokenizer, prompts, max_new_tokens=MAX_ANSWER_TOKENS):
    """The greedy answer of `model` to each prompt (wrapped in the chat template), up to `END`.

    One batch for all prompts, whatever their lengths: the batch is read up to the shortest prompt
    at once, then one position per step; a row still inside its prompt is fed its prompt's next
    token (its logits are ignored), a row past it is fed its own argmax. This equals decoding each
    prompt alone (`keraseq.generate(..., temperature=0)`), with one cached step per position.

    Returns:
        One answer per prompt, the text before the end marker (all the text if none came).
    """
    ids = [tokenizer.tokenize(chat.format_prompt(p)) for p in prompts]
    lengths = np.array([len(i) for i in ids])
    padded = np.zeros((len(ids), lengths.max()), "int32")
    for row, row_ids in enumerate(ids):
        padded[row, : len(row_ids)] = row_ids
    end = tokenizer.token_to_id(chat.END)
    answers = [[] for _ in ids]
    done = np.zeros(len(ids), bool)
    logits, state = model.generate_start(padded[:, : lengths.min()])  # (B, vocab)
    for position in range(lengths.min(), lengths.max() + max_new_tokens):
        choice = np.argmax(keras.ops.convert_to_numpy(logits), axis=-1).astype("int32")  # (B,)
        answering = (position >= lengths) & ~done
        for row in np.flatnonzero(answering):
            answers[row].append(choice[row])
            done[row] = choice[row] == end or len(answers[row]) == max_new_tokens
        if done.all():
            break
        prompt_token = padded[:, min(position, padded.shape[1] - 1)]
        logits, state = model.generate_step(
            np.where(position < lengths, prompt_token, choice), state
        )
    return [chat.parse_answer(tokenizer.detokenize(a))[0] for a in answers]


def evaluate_tasks(model, tokenizer, tasks, count=HELD_OUT):
    """Exact match (the share of answers scoring 1) and mean score per task, held-out prompts."""
    results = {}
    for task in tasks:
        examples = task.examples("test", count)
        answers = greedy_answers(model, tokenizer, [e.prompt for e in examples])
        scores = [task.score(a, e.answer) for a, e in zip(answers, examples)]
        results[task.name] = {
            "exact_match": float(np.mean([s == 1.0 for s in scores])),
            "score": float(np.mean(scores)),
            "count": len(examples),
            "samples": [
                {"prompt": e.prompt, "reference": e.answer, "answer": a}
                for e, a in zip(examples[:5], answers[:5])
            ],
        }
    return results


def corpus_loss(model, tokenizer, corpus="python-docs"):
    """Mean next-token loss on the corpus's validation split (what fine-tuning cost)."""
    val_ids = train_validation_split(tokenizer.tokenize(load_corpus(corpus)))[1]
    context = getattr(model, "sequence_length", 64)
    batches = WindowBatches(val_ids, VAL_BATCH_SIZE, context, VAL_BATCHES, seed=0)
    model.compile(loss=LOSS)
    return float(model.evaluate(batches, verbose=0))


def evaluate_checkpoint(directory, tasks=None, count=HELD_OUT, corpus="python-docs"):
    """Every measure of one checkpoint: held-out tasks, corpus loss, parameters."""
    model, tokenizer = checkpoint.load_checkpoint(directory)
    tasks = get_tasks(tasks)
    return {
        "checkpoint": str(directory),
        "parameters": int(model.count_params()),
        "tasks": evaluate_tasks(model, tokenizer, tasks, count),
        "val_loss": corpus_loss(model, tokenizer, corpus),
    }


def eval_table(results):
    """`(header, rows)`: per checkpoint, exact match (%) per task, then the corpus loss."""
    names = list(dict.fromkeys(name for r in results for name in r["tasks"]))
    aligned = all("alignment" in r for r in results)
    header = ["checkpoint", *names, "val loss"]
    if aligned:
        header += ["gold", "reward", "KL to SFT", "gold win rate"]
    rows = []
    for r in results:
        cells = [r["tasks"].get(name) for name in names]
        rows.append(
            [r["checkpoint"]]
            + ["—" if c is None else f"{100 * c['exact_match']:.0f}%" for c in cells]
            + [f"{r['val_loss']:.4f}"]
            + (alignment_cells(r["alignment"]) if aligned else [])
        )
    return header, rows


def alignment_cells(measured):
    """Mean gold score, mean learned reward, KL to the fine-tuned model, gold win rate vs it."""
    reward = measured.get("reward")
    return [
        f"{measured['gold']:.3f}",
        "—" if reward is None else f"{reward:.3f}",
        f"{measured['kl']:.3f}",
        f"{100 * measured['win_rate']:.0f}%",
    ]
