"""`keraseq evolve`: a tiny tour writes results.json and its figures; bad input is one line, exit 2."""

import json
import subprocess
import sys

import pytest

from conftest import BACKEND, ROOT


def evolve(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "keraseq", "evolve", *args],
                          capture_output=True, text=True, timeout=600, cwd=cwd)


def error_lines(stderr):
    """stderr without TensorFlow's C++ start-up logs (absl prints them before any flag applies)."""
    logs = ("WARNING: All log messages before absl", "I0000 ", "W0000 ", "E0000 ")
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith(logs)]


def test_tiny_tour_writes_results_and_figures(tmp_path):
    out = tmp_path / "results"
    result = evolve("--only", "exploding,highway", "--width", "8", "--steps", "4", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RNN/LSTM against the Transformer, measured:" in result.stdout
    data = json.loads((out / "results.json").read_text())
    assert data["backend"] == BACKEND and data["mode"] == "quick"
    assert set(data["experiments"]) == {"exploding", "highway"}
    assert data["settings"]["budget"]["steps"] == 4 and data["settings"]["exploding"]["width"] == 8
    assert data["experiments"]["highway"]["budget"]["width"] == 8
    assert {"model_table", "comparison_table", "seconds", "keras"} <= set(data)
    assert sorted(p.name for p in out.iterdir()) == ["exploding.png", "highway.png", "results.json"]
    assert (out / "exploding.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, words", [
    (["--only", "vanishing,teleport"], "unknown experiment teleport"),
    (["--only", ","], "unknown experiment"),
    (["--width", "0"], "--width must be a positive integer"),
    (["--width", "6"], "--width must be a multiple of 4"),
    (["--steps", "-3"], "--steps must be a positive integer"),
])
def test_bad_input_is_one_line_and_nothing_runs(tmp_path, args, words):
    result = evolve(*args, "--out", str(tmp_path / "never"))
    assert result.returncode == 2
    assert len(error_lines(result.stderr)) == 1 and "Traceback" not in result.stderr
    assert words in error_lines(result.stderr)[0]
    assert not (tmp_path / "never").exists()


def test_unwritable_out_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    for out in (blocker, blocker / "sub"):
        result = evolve("--only", "vanishing", "--out", str(out))
        assert result.returncode == 2, result.stdout
        assert len(error_lines(result.stderr)) == 1 and "--out" in error_lines(result.stderr)[0]
    assert blocker.read_text() == "not a directory"
