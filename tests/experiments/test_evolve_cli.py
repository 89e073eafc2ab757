"""`keraseq evolve`: a tiny tour writes results.json and its figures, with no framework noise; bad
input is one line, exit 2.

One real `keraseq evolve` process runs the tiny tour (the CLI end to end); the bad-input cases go
through the same `keraseq.cli.main` in this process, since they must fail before any Keras work.
"""

import json
import subprocess
import sys

import pytest
from conftest import BACKEND, ROOT

from keraseq.cli import main


def test_tiny_tour_writes_results_figures_and_tables_and_no_noise(tmp_path):
    # memory trains and measures eight models in a row: on TensorFlow, calling `predict` on each
    # made "triggered tf.function retracing" warnings.
    out = tmp_path / "results"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keraseq",
            "evolve",
            "--only",
            "exploding,memory",
            "--width",
            "8",
            "--steps",
            "4",
            "--quiet",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=1500,  # minutes on a loaded 2-core machine: eight recall models in a row
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "retracing" not in result.stdout + result.stderr
    assert f"on backend {BACKEND}, results in {out}/" in result.stdout
    assert "RNN/LSTM against the Transformer, measured:" in result.stdout
    assert f"wrote {out}/results.json and 2 figures" in result.stdout
    data = json.loads((out / "results.json").read_text())
    assert data["backend"] == BACKEND and data["mode"] == "quick"
    assert set(data["experiments"]) == set(data["seconds"]) == {"exploding", "memory"}
    assert data["settings"]["budget"]["steps"] == 4 and data["settings"]["exploding"]["width"] == 8
    assert data["experiments"]["memory"]["budget"]["width"] == 8
    assert len(data["experiments"]["exploding"]["training"]["clipped"]["loss"]) == 4  # --steps
    assert {"model_table", "comparison_table", "keras"} <= set(data)
    assert (
        data["command"]
        == f"keraseq evolve --only exploding,memory --width 8 --steps 4 --quiet --out {out}"
    )
    assert data["machine"]["cpu_count"] >= 1 and data["started"].endswith(" UTC")
    assert sorted(p.name for p in out.iterdir()) == ["exploding.png", "memory.png", "results.json"]
    assert (out / "exploding.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "memory.png").read_bytes()[:4] == b"\x89PNG"


def evolve_error(capsys, *args):
    """Runs `keraseq evolve ARGS` in this process; returns (exit status, stdout, stderr lines)."""
    status = main(["evolve", *args])
    captured = capsys.readouterr()
    return status, captured.out, [line for line in captured.err.splitlines() if line.strip()]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--only", "vanishing,teleport"], "unknown experiment teleport"),
        (["--only", ","], "unknown experiment"),
        (["--width", "0"], "--width must be a positive integer"),
        (["--width", "6"], "--width must be a multiple of 4"),
        (["--steps", "-3"], "--steps must be a positive integer"),
    ],
)
def test_bad_input_is_one_line_and_nothing_runs(tmp_path, capsys, args, words):
    status, out, errors = evolve_error(capsys, *args, "--out", str(tmp_path / "never"))
    assert status == 2 and out == ""
    assert (
        len(errors) == 1 and errors[0].startswith("keraseq evolve: error: ") and words in errors[0]
    )
    assert not (tmp_path / "never").exists()


def test_unwritable_out_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    for out in (blocker, blocker / "sub"):
        status, stdout, errors = evolve_error(capsys, "--only", "vanishing", "--out", str(out))
        assert status == 2 and stdout == ""
        assert len(errors) == 1 and "--out" in errors[0]
    assert blocker.read_text() == "not a directory"
