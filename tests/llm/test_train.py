"""`keraseq train`: resuming equals training straight through; checkpoints survive a crash."""

import csv
import json

import keras
import numpy as np
import pytest
from conftest import max_abs_diff

from keraseq import checkpoint, files, rundir
from keraseq.training import TrainConfig, train
from keraseq.training.log import TrainingLog

# A tiny GPT and LSTM on CPython's docs: a few steps each.
TINY = dict(
    steps=6,
    decay_steps=6,
    warmup_steps=2,
    batch_size=4,
    sequence_length=16,
    num_layers=1,
    hidden_dim=16,
    num_heads=2,
    eval_interval=2,
    eval_batches=2,
)


def metrics(directory):
    with open(directory / checkpoint.METRICS_FILE) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


@pytest.mark.parametrize("model", ["transformer", "lstm"])
def test_resume_equals_training_straight_through(model, tmp_path):
    straight = train(tmp_path / "straight", model=model, verbose=0, **TINY)
    train(tmp_path / "halves", model=model, verbose=0, **{**TINY, "steps": 4})
    resumed = train(tmp_path / "halves", resume=True, verbose=0, steps=6)

    assert max_abs_diff(resumed.get_weights(), straight.get_weights()) <= 1e-5
    a, b = metrics(tmp_path / "straight"), metrics(tmp_path / "halves")
    assert [row["step"] for row in a] == [row["step"] for row in b] == [2, 4, 6]
    for row_a, row_b in zip(a, b):
        assert row_a["train_loss"] == pytest.approx(row_b["train_loss"], abs=1e-5)
        assert row_a["val_loss"] == pytest.approx(row_b["val_loss"], abs=1e-5)
    schedule = resumed.optimizer.learning_rate  # same step, so same learning rate
    assert float(keras.ops.convert_to_numpy(schedule)) == pytest.approx(1e-4)
    assert int(keras.ops.convert_to_numpy(resumed.optimizer.iterations)) == 6


def test_a_crash_while_writing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = train(tmp_path, model="gru", verbose=0, **{**TINY, "steps": 2})
    before = (tmp_path / checkpoint.MODEL_FILE).read_bytes()

    def crash(self, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"half a zip")  # then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(type(model), "save", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_model(model, tmp_path)
    assert (tmp_path / checkpoint.MODEL_FILE).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            rundir.LOCK_FILE,
            checkpoint.MODEL_FILE,
            checkpoint.TOKENIZER_FILE,
            checkpoint.CONFIG_FILE,
            checkpoint.METRICS_FILE,
        ]
    )  # no temporary file left behind
    monkeypatch.undo()
    loaded, tokenizer = checkpoint.load_checkpoint(tmp_path)
    assert max_abs_diff(loaded.get_weights(), model.get_weights()) == 0.0


def test_atomic_write_text(tmp_path):
    files.write_text(tmp_path / "a.json", "[1]")
    files.write_text(tmp_path / "a.json", "[2]")
    assert (tmp_path / "a.json").read_text() == "[2]"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_metrics_rows_and_losses_fall(tmp_path):
    train(
        tmp_path,
        model="transformer",
        verbose=0,
        **{**TINY, "steps": 40, "decay_steps": 40, "eval_interval": 20, "learning_rate": 1e-2},
    )
    rows = metrics(tmp_path)
    assert [row["step"] for row in rows] == [20, 40]
    assert rows[1]["train_loss"] < rows[0]["train_loss"]
    assert rows[1]["val_loss"] < np.log(103)  # below guessing uniformly among 103 characters
    assert all(row["tokens_per_second"] > 0 for row in rows)


def test_config_json_round_trip_and_unknown_keys():
    config = TrainConfig(model="lstm", num_layers=1, hidden_dim=16).resolved()
    assert TrainConfig.from_json(config.to_json()) == config
    old = {**json.loads(config.to_json()), "dim": 16, "lr": 1e-3}  # keys of an older keraseq
    with pytest.raises(
        ValueError, match=r"unknown training setting\(s\) dim, lr: expected .*hidden_dim"
    ):
        TrainConfig.from_json(json.dumps(old))


@pytest.mark.parametrize(
    "field", ["learning_rate", "min_learning_rate", "weight_decay", "beta_2", "global_clipnorm"]
)
@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_non_finite_settings_are_refused(field, value):
    """`--lr inf` or `--weight-decay nan` trained to NaN and saved a NaN checkpoint."""
    with pytest.raises(ValueError, match=rf"`{field}` \(--[a-z0-9-]+\) must be a finite number"):
        TrainConfig(**{field: value}).resolved()


def test_a_diverging_run_stops_without_saving_anything(tmp_path):
    with pytest.raises(ValueError, match=r"training diverged: the loss became .* by step 2"):
        train(
            tmp_path, model="rnn", verbose=0, **{**TINY, "learning_rate": 1e30, "warmup_steps": 0}
        )
    assert [p.name for p in tmp_path.iterdir()] == [rundir.LOCK_FILE]  # a new run: cleaned up


def test_a_nan_loss_never_replaces_a_good_checkpoint(tmp_path):
    model = train(tmp_path, model="rnn", verbose=0, **{**TINY, "steps": 2})
    saved = {name: (tmp_path / name).read_bytes() for name in checkpoint.RUN_FILES}
    log = TrainingLog(tmp_path, interval=2, tokens_per_step=64)
    log.set_model(model)
    log.on_epoch_begin(1)
    log.on_train_batch_end(1, {"loss": float("nan")})
    with pytest.raises(ValueError, match="training diverged: the loss became nan .* by step 4"):
        log.on_epoch_end(1, {"loss": float("nan"), "val_loss": 2.0})
    assert {name: (tmp_path / name).read_bytes() for name in checkpoint.RUN_FILES} == saved


def test_resume_to_a_step_off_the_eval_interval_takes_a_new_interval(tmp_path):
    train(tmp_path, model="rnn", verbose=0, **{**TINY, "steps": 4})  # checkpoints at 2 and 4
    with pytest.raises(ValueError, match=r"--steps 5 is not a multiple .* add --eval-interval N"):
        train(tmp_path, resume=True, verbose=0, steps=5)
    with pytest.raises(ValueError, match=r"`eval_interval` \(--eval-interval\) 3 must divide"):
        train(tmp_path, resume=True, verbose=0, steps=6, eval_interval=3)
    model = train(tmp_path, resume=True, verbose=0, steps=5, eval_interval=1)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 5
    assert [row["step"] for row in metrics(tmp_path)] == [2, 4, 5]


def test_a_corpus_of_one_character_is_refused_before_writing(tmp_path):
    corpus = tmp_path / "a.txt"
    corpus.write_text("a" * 5000)
    with pytest.raises(ValueError, match="has a single distinct character"):
        train(tmp_path / "run", corpus=str(corpus), verbose=0, **TINY)
    assert not (tmp_path / "run").exists()


def test_resume_checks_the_files_belong_together(tmp_path):
    train(tmp_path / "lstm", model="lstm", verbose=0, **{**TINY, "steps": 2})
    train(tmp_path / "gru", model="gru", verbose=0, **{**TINY, "steps": 2})
    (tmp_path / "lstm" / checkpoint.MODEL_FILE).write_bytes(
        (tmp_path / "gru" / checkpoint.MODEL_FILE).read_bytes()
    )
    with pytest.raises(ValueError, match=r"mixes files of different runs: config.json describes"):
        train(tmp_path / "lstm", resume=True, verbose=0, steps=4)
