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
