"""`keraseq train`: resuming equals training straight through; checkpoints survive a crash."""

import csv
import json

import keras
import numpy as np
import pytest
from conftest import max_abs_diff

from keraseq import checkpoint, files
from keraseq.training import TrainConfig, train

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
