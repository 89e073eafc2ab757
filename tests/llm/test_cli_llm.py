"""`keraseq train` and `keraseq generate` from the command line, and every user error as one line."""

import subprocess
import sys

import pytest
from conftest import BACKEND, ROOT

import keraseq
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
        (["--temperature", "-1"], "temperature must be >= 0"),
        (["--top-p", "0"], r"top_p must be in (0, 1]"),
        (["--top-p", "1.5"], r"top_p must be in (0, 1]"),
        (["--prompt", "Ωmega"], "unknown character 'Ω'"),
    ],
)
def test_generate_errors(argv, message, run_dir, capsys):
    err = one_line_error(capsys, ["generate", str(run_dir), *argv], "generate")
    assert message in err


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
