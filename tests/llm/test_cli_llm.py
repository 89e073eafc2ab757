"""`keraseq train` and `keraseq generate` from the command line; every user error is one line."""

import json
import subprocess
import sys

import keras
import pytest
from conftest import BACKEND, ROOT

import keraseq
from keraseq import checkpoint, rundir
from keraseq.cli import main

TINY = [
    "--steps",
    "2",
    "--batch-size",
    "2",
    "--context",
    "8",
    "--layers",
    "1",
    "--dim",
    "8",
    "--heads",
    "2",
    "--eval-batches",
    "1",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("run")
    assert main(["train", "--model", "rnn", *TINY, "--out", str(directory)]) == 0
    return directory


def one_line_error(capsys, argv, command):
    """Runs the CLI, which must fail with one line `keraseq COMMAND: error: ...`; returns it."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"keraseq {command}: error: "), err
    return err


def test_train_then_generate_streams_the_models_greedy_text(run_dir, capsys):
    capsys.readouterr()
    assert (
        main(
            [
                "generate",
                str(run_dir),
                "--prompt",
                "The",
                "--max-new-tokens",
                "12",
                "--temperature",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    model, tokenizer = keraseq.load_checkpoint(run_dir)
    assert out == "The" + keraseq.generate(model, tokenizer, "The", 12, temperature=0) + "\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "gpt"], "unknown model 'gpt': expected one of rnn, lstm, gru, transformer"),
        (["--corpus", "wikipedia"], "unknown corpus 'wikipedia'"),
        (["--steps", "0"], "`steps` (--steps) must be a positive integer, got 0"),
        (["--batch-size", "-1"], "`batch_size` (--batch-size) must be a positive integer, got -1"),
        (["--context", "0"], "`sequence_length` (--context) must be a positive integer, got 0"),
        (["--resume"], "--resume: no checkpoint in"),
    ],
)
def test_train_errors(argv, message, tmp_path, capsys):
    err = one_line_error(capsys, ["train", *argv, "--out", str(tmp_path / "run")], "train")
    assert message in err


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        ("naïve".encode("latin-1"), "is not UTF-8 text"),
        (b"short text " * 20, "too short for `sequence_length` (--context) 64"),
    ],
)
def test_corpus_errors(content, message, tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(content)
    err = one_line_error(
        capsys, ["train", "--corpus", str(corpus), "--out", str(tmp_path / "r")], "train"
    )
    assert message in err


def test_train_refuses_to_overwrite_a_run(run_dir, capsys):
    err = one_line_error(capsys, ["train", *TINY, "--out", str(run_dir)], "train")
    assert "already holds a checkpoint: add --resume" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--temperature", "-1"], "temperature must be a finite number >= 0"),
        (
            ["--temperature", "nan"],
            "temperature must be a finite number >= 0 (0 is greedy), got nan",
        ),
        (["--temperature", "inf"], "temperature must be a finite number >= 0"),
        (["--top-p", "0"], r"top_p must be in (0, 1]"),
        (["--top-p", "1.5"], r"top_p must be in (0, 1]"),
        (["--prompt", "Ωmega"], "unknown character 'Ω'"),
    ],
)
def test_generate_errors(argv, message, run_dir, capsys):
    err = one_line_error(capsys, ["generate", str(run_dir), *argv], "generate")
    assert message in err
    assert capsys.readouterr().out == ""  # before printing the prompt


def test_a_denormal_temperature_is_greedy_decoding(run_dir, capsys):
    """It overflowed to NaN probabilities after printing the prompt."""
    texts = []
    for temperature in ("5e-324", "0"):
        argv = ["--prompt", "The", "--max-new-tokens", "8", "--temperature", temperature]
        assert main(["generate", str(run_dir), *argv]) == 0
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1]


def copy_run(run_dir, tmp_path, name="copy"):
    copy = tmp_path / name
    copy.mkdir()
    for path in run_dir.iterdir():
        if path.name in checkpoint.RUN_FILES:
            (copy / path.name).write_bytes(path.read_bytes())
    return copy


def test_a_second_writer_gets_one_line_and_changes_nothing(run_dir, tmp_path, capsys):
    run = copy_run(run_dir, tmp_path)
    before = {path.name: path.read_bytes() for path in run.iterdir()}
    with rundir.writing(run, checkpoint.RUN_FILES):  # another `keraseq train` holds it
        err = one_line_error(
            capsys, ["train", "--resume", "--steps", "4", "--out", str(run)], "train"
        )
    assert "is being written by another keraseq process" in err
    assert {path.name: path.read_bytes() for path in run.iterdir() if path.name in before} == before


def test_train_refuses_a_directory_holding_a_users_files(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "metrics.csv").write_text("my numbers")
    err = one_line_error(capsys, ["train", *TINY, "--out", str(tmp_path)], "train")
    assert "already holds config.json, metrics.csv (no checkpoint)" in err
    assert (tmp_path / "metrics.csv").read_text() == "my numbers"


def test_files_of_different_runs_are_refused_on_load(run_dir, tmp_path, capsys):
    """A tokenizer of another corpus gave an IndexError (or NaN probabilities); another model
    an AttributeError; another kind trained the wrong model on --resume."""
    run = copy_run(run_dir, tmp_path)
    (run / "tokenizer.json").write_text(json.dumps({"vocabulary": list("abc")}))
    err = one_line_error(capsys, ["generate", str(run)], "generate")
    assert "mixes files of different runs: tokenizer.json has 3 characters" in err

    run = copy_run(run_dir, tmp_path, "config")
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "model": "gru"}))
    err = one_line_error(capsys, ["generate", str(run)], "generate")
    assert "mixes files of different runs: config.json describes {'model': 'gru'" in err

    run = copy_run(run_dir, tmp_path, "foreign")
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(run / "model.keras")
    err = one_line_error(capsys, ["generate", str(run)], "generate")
    assert "holds a Sequential, not a keraseq language model" in err


def test_generate_on_a_file_says_it_is_a_file(run_dir, capsys):
    err = one_line_error(capsys, ["generate", str(run_dir / "model.keras")], "generate")
    assert "it is a file: give the run's directory" in err


def test_missing_and_corrupt_checkpoints(run_dir, tmp_path, capsys):
    err = one_line_error(capsys, ["generate", str(tmp_path / "nowhere")], "generate")
    assert "no checkpoint in" in err and "directory does not exist" in err
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "model.keras").write_bytes((run_dir / "model.keras").read_bytes()[:500])
    (corrupt / "tokenizer.json").write_bytes((run_dir / "tokenizer.json").read_bytes())
    err = one_line_error(capsys, ["generate", str(corrupt)], "generate")
    assert "is corrupt or not a keraseq model" in err


@pytest.mark.skipif(BACKEND == "jax", reason="data-parallel runs on JAX (see test_distribute.py)")
def test_data_parallel_needs_jax(tmp_path, capsys):
    err = one_line_error(
        capsys, ["train", *TINY, "--distribute", "data-parallel", "--out", str(tmp_path)], "train"
    )
    assert (
        f"needs KERAS_BACKEND=jax (keras.distribution runs on JAX only); the backend is {BACKEND}"
        in err
    )


def test_a_real_process_exits_non_zero_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "keraseq", "generate", str(tmp_path), "--max-new-tokens", "5"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]  # (TensorFlow may log C++ start-up lines first)
    assert last.startswith("keraseq generate: error: no checkpoint in")
