"""The command line: `keraseq info` and the demo (the README's main job), and its error handling."""

import re
import subprocess
import sys

from conftest import BACKEND, ROOT


def keraseq(*args, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "keraseq", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


# TensorFlow's C++ runtime logs at import, before Python's logging exists; not keraseq's output.
TF_START_UP = re.compile(
    r"^(WARNING: All log messages before absl|[IWE]\d{4} \S+ +\d+ \S+\.cc:\d+\]|To enable the "
    r"following)"
)


def own_lines(stderr):
    return [line for line in stderr.strip().splitlines() if not TF_START_UP.match(line)]


def test_info_reports_backend_versions_devices_threads():
    result = keraseq("info")
    assert result.returncode == 0, result.stderr
    assert f"backend:  {BACKEND}" in result.stdout
    assert f"from {ROOT / 'keraseq'}\n" in result.stdout  # the tests run the checkout
    assert "keras 3." in result.stdout
    assert "devices:  " in result.stdout and "cpu" in result.stdout.lower()
    assert "threads:  cpu_count=" in result.stdout


def test_demo_trains_and_equals_keras_lstm():
    result = keraseq("demo", "--epochs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "equal at 1e-5" in result.stdout
    accuracy = float(result.stdout.split("test accuracy of keraseq's LSTM: ")[1].split()[0])
    assert accuracy > 0.6  # well above chance after two epochs


def test_bad_argument_is_one_line_without_traceback():
    result = keraseq("demo", "--epochs", "0")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert own_lines(result.stderr) == [
        "keraseq demo: error: --epochs and --timesteps must be positive integers"
    ]


# What a learner cannot act on: TensorFlow's retracing warnings, Python warnings, logging warnings.
NOISE = ("retracing", "UserWarning", "DeprecationWarning", "WARNING:")


def test_train_generate_finetune_print_no_framework_noise(tmp_path):
    """Each command in its own process, as a user runs it, on this process's KERAS_BACKEND.

    TensorFlow's C++ start-up lines (`TF_START_UP`) are left out: TensorFlow logs them when it is
    imported, before keraseq runs, and Keras imports it on every backend where it is installed
    (`keras.utils.set_random_seed` seeds TensorFlow too); a `keraseq[jax]` or `[torch]` install
    has no TensorFlow to print them.
    """
    base, sft = tmp_path / "base", tmp_path / "sft"
    tiny = ["--batch-size", "2", "--eval-batches", "1"]
    model = ["--layers", "1", "--dim", "16", "--heads", "2"]
    commands = [
        ["train", "--steps", "3", *model, *tiny, "--out", str(base)],
        ["generate", str(base), "--prompt", "The", "--max-new-tokens", "5", "--seed", "0"],
        ["finetune", str(base), "--tasks", "numbers", "--steps", "2", *tiny, "--out", str(sft)],
    ]
    for command in commands:
        result = keraseq(*command)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        noise = [line for line in own_lines(output) if any(word in line for word in NOISE)]
        assert noise == [], f"keraseq {command[0]} on {BACKEND}:\n" + "\n".join(noise)
    assert (sft / "model.keras").is_file()
