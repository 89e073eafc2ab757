"""`keraseq finetune`, `eval` and `chat`: resuming, LoRA, reference answers, every user error."""

import csv
import json

import keras
import numpy as np
import pytest
from conftest import max_abs_diff

import keraseq
from keraseq import checkpoint
from keraseq.cli import main
from keraseq.posttraining import chat
from keraseq.posttraining.finetune import finetune
from keraseq.posttraining.tasks import get_tasks
from keraseq.training import train

TINY_BASE = dict(
    steps=2,
    batch_size=2,
    num_layers=1,
    hidden_dim=16,
    num_heads=2,
    eval_batches=1,
    verbose=0,
)
TINY_SFT = dict(
    tasks="numbers,code",
    steps=4,
    decay_steps=4,  # so that a run stopped at step 2 has the same schedule
    batch_size=4,
    warmup_steps=1,
    eval_interval=2,
    eval_batches=1,
    verbose=0,
)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    directory = tmp_path_factory.mktemp("base")
    train(directory, **TINY_BASE)
    return directory


@pytest.fixture(scope="module")
def sft(base, tmp_path_factory):
    directory = tmp_path_factory.mktemp("sft")
    finetune(directory, base=base, **TINY_SFT)
    return directory


def one_line_error(capsys, argv, command):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"keraseq {command}: error: "), err
    return err


def test_resume_equals_fine_tuning_straight_through(base, sft, tmp_path):
    finetune(tmp_path, base=base, **{**TINY_SFT, "steps": 2})
    resumed = finetune(tmp_path, resume=True, steps=4, verbose=0)
    straight, _ = keraseq.load_checkpoint(sft)
    assert max_abs_diff(resumed.get_weights(), straight.get_weights()) <= 1e-5
    with open(tmp_path / checkpoint.METRICS_FILE) as f:
        assert [int(row["step"]) for row in csv.DictReader(f)] == [2, 4]
    config = json.loads((tmp_path / checkpoint.CONFIG_FILE).read_text())
    assert config["stage"] == "finetune" and config["base"] == str(base)


def test_fine_tuning_changes_the_model_and_generate_reads_it(base, sft, capsys):
    before, _ = keraseq.load_checkpoint(base)
    after, _ = keraseq.load_checkpoint(sft)
    assert max_abs_diff(before.get_weights()[0], after.get_weights()[0]) > 0
    assert main(["generate", str(sft), "--prompt", "Q: ", "--max-new-tokens", "3"]) == 0


def test_lora_trains_the_adapters_only_and_saves_merged(base, tmp_path):
    model = finetune(tmp_path, base=base, lora_rank=2, **TINY_SFT)
    adapters = [w for w in model.trainable_weights if "lora" in w.path]
    assert adapters and len(adapters) == len(model.trainable_weights)
    before, _ = keraseq.load_checkpoint(base)
    frozen = [w for w in model.weights if "lora" not in w.path and "kernel" not in w.path]
    assert len(frozen) == len(before.weights) - sum("kernel" in w.path for w in before.weights)
    by_path = {w.path: w for w in before.weights}
    assert max_abs_diff([by_path[w.path] for w in frozen], frozen) == 0.0  # embeddings, norms
    loaded, tokenizer = keraseq.load_checkpoint(tmp_path)  # merged kernels: the same function
    x = np.arange(12, dtype="int32").reshape(2, 6)
    assert max_abs_diff(loaded(x), model(x)) <= 1e-5


def test_eval_equals_greedy_generation_scored_by_hand(base, sft, capsys, tmp_path):
    capsys.readouterr()
    out = tmp_path / "eval.json"
    argv = ["eval", str(base), str(sft), "--tasks", "numbers,qa", "--count", "3"]
    assert main([*argv, "--json", str(out)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["checkpoint", "numbers", "qa", "val", "loss"]
    results = json.loads(out.read_text())
    for result in results:
        model, tokenizer = keraseq.load_checkpoint(result["checkpoint"])
        for task in get_tasks("numbers,qa"):
            scores = []
            for prompt, reference in task.examples("test", 3):
                text = chat.format_prompt(prompt)
                answer = chat.parse_answer(keraseq.generate(model, tokenizer, text, 32, 0))[0]
                scores.append(task.score(answer, reference) == 1)
            assert result["tasks"][task.name]["exact_match"] == pytest.approx(np.mean(scores))
        assert 0 < result["val_loss"] < np.log(tokenizer.vocabulary_size()) + 1


def test_chat_streams_the_greedy_answer(sft, capsys):
    capsys.readouterr()
    assert main(["chat", str(sft), "--prompt", "In digits: seven"]) == 0
    model, tokenizer = keraseq.load_checkpoint(sft)
    text = keraseq.generate(model, tokenizer, chat.format_prompt("In digits: seven"), 32, 0)
    assert capsys.readouterr().out == f"A: {chat.parse_answer(text)[0]}\n"


def test_chat_interactive_keeps_going_after_a_bad_line(sft, capsys, monkeypatch):
    lines = iter(["Add 1+2", "Add Ω", "Add 3+4"])

    def fake_input(prompt):
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    capsys.readouterr()
    assert main(["chat", str(sft)]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("A: ") == 2 and "unknown character 'Ω'" in captured.err


@pytest.fixture(scope="module")
def no_digits_base(tmp_path_factory):
    directory = tmp_path_factory.mktemp("letters")
    corpus = directory / "letters.txt"
    corpus.write_text("Q: what is in a name?\nA: a rose, by any other name. " * 40)
    train(directory / "run", corpus=str(corpus), **TINY_BASE)
    return directory / "run"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--tasks", "qa,poetry"], "unknown task 'poetry': expected one of qa, acronym"),
        (["--lora", "0"], "--lora must be a positive integer, got 0"),
        (["--lora", "-2"], "--lora must be a positive integer, got -2"),
        (["--steps", "0"], "--steps must be a positive integer, got 0"),
        (["--pretraining-mix", "1"], "--pretraining-mix must be in [0, 1), got 1.0"),
    ],
)
def test_finetune_setting_errors(base, argv, message, tmp_path, capsys):
    err = one_line_error(capsys, ["finetune", str(base), *argv, "--out", str(tmp_path)], "finetune")
    assert message in err
    assert not (tmp_path / checkpoint.MODEL_FILE).exists()


def test_finetune_base_errors(no_digits_base, sft, tmp_path, capsys):
    out = ["--out", str(tmp_path / "out")]
    argv = ["finetune", str(no_digits_base), "--tasks", "numbers", *out]
    err = one_line_error(capsys, argv, "finetune")
    assert "task 'numbers' uses characters the base model's vocabulary lacks: '0', '1'" in err
    err = one_line_error(capsys, ["finetune", str(tmp_path / "none"), *out], "finetune")
    assert "no checkpoint in" in err
    not_lm = tmp_path / "classifier"
    not_lm.mkdir()
    classifier = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    classifier.save(not_lm / checkpoint.MODEL_FILE)
    (not_lm / checkpoint.TOKENIZER_FILE).write_text((sft / checkpoint.TOKENIZER_FILE).read_text())
    err = one_line_error(capsys, ["finetune", str(not_lm), *out], "finetune")
    assert "holds a Sequential, not a keraseq language model" in err


def test_finetune_refuses_to_overwrite_a_run(base, sft, capsys):
    before = (sft / checkpoint.MODEL_FILE).read_bytes()
    err = one_line_error(capsys, ["finetune", str(base), "--out", str(sft)], "finetune")
    assert "already holds a checkpoint: add --resume" in err
    err = one_line_error(
        capsys, ["finetune", str(base), "--out", str(sft), "--resume", "--lr", "0.1"], "finetune"
    )
    assert "--lr 0.1 differs from the checkpoint's 0.0005" in err
    assert (sft / checkpoint.MODEL_FILE).read_bytes() == before


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--prompt", "In digits: Ω"], "unknown character 'Ω'"),
        (["--prompt", ""], "the prompt is empty"),
        (["--temperature", "-1"], "temperature must be a finite number >= 0"),
    ],
)
def test_chat_errors(sft, argv, message, capsys):
    assert message in one_line_error(capsys, ["chat", str(sft), *argv], "chat")


def test_eval_errors(sft, capsys):
    err = one_line_error(capsys, ["eval", str(sft), "--tasks", "poetry"], "eval")
    assert "unknown task 'poetry'" in err
    err = one_line_error(capsys, ["eval", str(sft), "--count", "0"], "eval")
    assert "--count must be a positive integer, got 0" in err


def test_the_evolve_claim_measures_base_against_fine_tuned(tmp_path):
    from keraseq.experiments.claims import CLAIMS

    claim = CLAIMS["finetuning"]
    result = claim.run(
        tasks=("numbers",),
        hidden_dim=16,
        num_layers=1,
        pretrain_steps=2,
        steps=2,
        count=3,
        verbose=0,
    )
    exact = result["exact_match"]["numbers"]
    assert set(exact) == {"base", "sft"} and all(0 <= v <= 1 for v in exact.values())
    assert result["holds"] == (exact["sft"] > exact["base"])
    assert [s["prompt"] for s in result["samples"]["numbers"]] == [
        e.prompt for e in get_tasks("numbers")[0].examples("test", 2)
    ]
    claim.plot(result, tmp_path / "finetuning.png")
    assert (tmp_path / "finetuning.png").read_bytes()[:4] == b"\x89PNG"


def test_finetuned_runs_trains_each_recipe_once_and_removes_them_on_close():
    # The tour hands claims 8 and 9 one FinetunedRuns: the same recipe must not train twice.
    from keraseq.experiments.support.finetuned import FinetunedRuns

    recipe = dict(
        tasks=("numbers",),
        hidden_dim=16,
        num_layers=1,
        pretrain_steps=2,
        steps=2,
        learning_rate=1e-3,
    )
    with FinetunedRuns() as shared:
        base, sft = shared.get(**recipe)
        written = {p: p.stat().st_mtime_ns for p in (base / "model.keras", sft / "model.keras")}
        assert shared.get(**recipe) == (base, sft)
        assert {p: p.stat().st_mtime_ns for p in written} == written
        other_base, other_sft = shared.get(**{**recipe, "steps": 3})
        assert other_sft != sft and other_base != base
        assert json.loads(checkpoint.read_config(other_sft))["steps"] == 3
    assert not base.exists() and not other_sft.exists()
