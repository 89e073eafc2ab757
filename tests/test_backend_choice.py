"""The backend keraseq settles before Keras is imported (keraseq/backend_choice.py).

The rule is checked here as a function of what is asked, configured and installed; a real venv with
one backend alone (tests/install/test_wheel.py) checks it where a backend is missing.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import BACKEND, ROOT
from test_cli import own_lines

from keraseq.backend_choice import BACKENDS, BackendError, choose_backend, keras_json_backend


@pytest.mark.parametrize("asked", BACKENDS)
def test_an_installed_backend_asked_for_is_used_whatever_keras_json_says(asked):
    for configured in BACKENDS:
        assert choose_backend(asked, configured, BACKENDS) == asked


def test_keras_json_is_followed_when_its_backend_is_installed():
    assert choose_backend(None, "torch", BACKENDS) == "torch"
    # KERAS_BACKEND="" is unset, to Keras as here
    assert choose_backend("", "jax", ["jax", "torch"]) == "jax"


@pytest.mark.parametrize("configured", ["tensorflow", "numpy", "openvino", "nonsense"])
def test_a_configured_backend_not_installed_gives_way_to_the_first_installed(configured):
    assert choose_backend(None, configured, ["torch"]) == "torch"
    assert choose_backend(None, configured, ["jax", "torch"]) == "jax"


def test_a_backend_asked_for_but_not_installed_says_how_to_install_it_or_what_to_choose():
    with pytest.raises(BackendError) as err:
        choose_backend("tensorflow", "tensorflow", ["jax", "torch"])
    assert str(err.value) == (
        "KERAS_BACKEND=tensorflow, but tensorflow is not installed: "
        'pip install "keraseq[tensorflow]", or choose an installed one: KERAS_BACKEND=jax|torch'
    )


def test_a_backend_keraseq_does_not_run_on_is_refused():
    with pytest.raises(
        BackendError, match=r"^KERAS_BACKEND=numpy: keraseq runs on jax, tensorflow"
    ):
        choose_backend("numpy", "tensorflow", BACKENDS)


def test_no_backend_installed_says_what_to_install():
    for asked in (None, ""):
        with pytest.raises(BackendError, match=r'no backend for Keras is installed: pip install "'):
            choose_backend(asked, "tensorflow", [])


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, "tensorflow"),  # no keras.json: Keras's default
        ('{"backend": "torch", "floatx": "float32"}', "torch"),
        ('{"floatx": "float32"}', "tensorflow"),
        ("{not json", "tensorflow"),
        ('["torch"]', "tensorflow"),
        ('{"backend": 3}', "tensorflow"),
    ],
)
def test_keras_json_is_read_where_keras_reads_it(tmp_path, text, expected):
    if text is not None:
        (tmp_path / "keras.json").write_text(text)
    assert keras_json_backend({"KERAS_HOME": str(tmp_path)}) == expected


def test_keras_json_in_the_home_folder(tmp_path, monkeypatch):
    (tmp_path / ".keras").mkdir()
    (tmp_path / ".keras" / "keras.json").write_text(json.dumps({"backend": "jax"}))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert keras_json_backend({}) == "jax"


def python(*args, backend):
    env = {**os.environ, "KERAS_BACKEND": backend}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )


def test_the_command_refuses_an_unknown_backend_in_one_line():
    result = python("-m", "keraseq", "info", backend="mxnet")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert own_lines(result.stderr) == [
        "keraseq: error: KERAS_BACKEND=mxnet: keraseq runs on jax, tensorflow or torch "
        "(installed here: jax, tensorflow, torch)"
    ]


def test_importing_the_library_with_an_unknown_backend_raises_import_error():
    result = python("-c", "import keraseq", backend="mxnet")
    assert result.returncode == 1
    assert (
        "keraseq.backend_choice.BackendError: KERAS_BACKEND=mxnet: keraseq runs on" in result.stderr
    )


def test_the_backend_asked_for_is_the_one_keras_runs_on():
    result = python("-c", "import keraseq, keras; print(keras.backend.backend())", backend=BACKEND)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [BACKEND]
