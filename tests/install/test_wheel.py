"""The package as a user gets it: built as the release builds it, installed from the wheel outside
the checkout into a fresh virtual environment with one backend extra, run from another folder.

Runs once, in the jax process of tests/run_backends.py (each backend gets its own environment here,
so the process's backend does not matter). `python -m build` makes the sdist and, from it, the
wheel, and `twine check --strict` checks both, as .github/workflows/release.yml does. Then, for each
of `[jax]`, `[tensorflow]` and `[torch]` alone: `pip install -c constraints.txt WHEEL[BACKEND]` into
a new venv, and `keraseq info`, a tiny `keraseq evolve --only vanishing`, a 3-step `keraseq train`
and `keraseq generate`, each of which must exit 0 with no traceback. `keraseq info` also runs with
no backend chosen (it must take the one installed) and with one not installed (refused, one line).
"""

import json
import os
import shutil
import subprocess
import sys
import time

import keras
import pytest
import yaml
from conftest import ROOT

import keraseq
from keraseq.backend_choice import BACKENDS

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="the wheel is built and installed once, in the jax process (each backend gets a venv)",
)

TINY_TRANSFORMER = ["--model", "transformer", "--steps", "3", "--batch-size", "2", "--context", "8"]
TINY_TRANSFORMER += ["--layers", "1", "--dim", "8", "--heads", "2", "--eval-batches", "1"]


def run(argv, cwd, env=None, timeout=900):
    """Runs `argv`; it must exit 0 and print no traceback. Returns its stdout."""
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, (
        f"{' '.join(map(str, argv))} exited {result.returncode}:\n{output}"
    )
    assert "Traceback" not in output, output
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dist")
    start = time.monotonic()
    run([sys.executable, "-m", "build", "--outdir", str(folder), str(ROOT)], cwd=folder)
    print(f"\nsdist and wheel built in {time.monotonic() - start:.0f} s")
    return folder


def test_release_files_are_named_by_the_version_and_pass_twine(dist):
    version = keraseq.__version__
    names = sorted(p.name for p in dist.iterdir())
    assert names == [f"keraseq-{version}-py3-none-any.whl", f"keraseq-{version}.tar.gz"]
    run([sys.executable, "-m", "twine", "check", "--strict", *names], cwd=dist)


@pytest.mark.parametrize("backend", BACKENDS)
def test_installed_wheel_runs_the_main_job(dist, backend, tmp_path):
    wheel = next(dist.glob("*.whl"))
    venv = tmp_path / "venv"
    work = tmp_path / "work"  # not the checkout: only the installed package can be imported
    work.mkdir()
    # Nothing of this process's environment leaks in (PYTHONPATH could point at the checkout).
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["KERAS_BACKEND"] = backend
    env["OMP_NUM_THREADS"] = "1"  # torch's threads wait for each other on a small, busy CPU
    start = time.monotonic()
    run([sys.executable, "-m", "venv", str(venv)], work, env)
    # Each venv holds a whole backend (measured: 0.75 GiB jax, 2.1 tensorflow, 1.0 torch). It goes
    # when its test ends, so the three never fill a small CI disk together, as they once did.
    try:
        run_main_job(venv, wheel, backend, work, env)
    finally:
        shutil.rmtree(venv, ignore_errors=True)
    print(f"\n[{backend}] install and commands {time.monotonic() - start:.0f} s")


def run_main_job(venv, wheel, backend, work, env):
    """Installs `wheel[backend]` into `venv` and runs the CLI's main commands from `work`."""
    python, keraseq_cli = str(venv / "bin" / "python"), str(venv / "bin" / "keraseq")
    constraints = str(ROOT / "constraints.txt")
    run([python, "-m", "pip", "install", "-q", "-c", constraints, f"{wheel}[{backend}]"], work, env)
    print(f"\n[{backend}] venv with the wheel: {disk_usage(venv) / 2**20:.0f} MiB")

    info = run([keraseq_cli, "info"], work, env)
    assert f"keraseq {keraseq.__version__} " in info and f"backend:  {backend} " in info
    assert f"from {venv}/lib/" in info, "not the installed package"

    # A first run: no KERAS_BACKEND, no keras.json. Keras alone would take tensorflow; keraseq takes
    # the backend installed. One asked for but not installed is refused in one line.
    first_run = {k: v for k, v in env.items() if k != "KERAS_BACKEND"}
    first_run["KERAS_HOME"] = str(work / "keras-home")
    assert f"backend:  {backend} " in run([keraseq_cli, "info"], work, first_run)
    for other in set(BACKENDS) - {backend}:
        refused = subprocess.run(
            [keraseq_cli, "info"],
            cwd=work,
            env={**env, "KERAS_BACKEND": other},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert f'but {other} is not installed: pip install "keraseq[{other}]"' in refused.stderr

    out = work / "evolve"
    evolve = [keraseq_cli, "evolve", "--only", "vanishing", "--width", "8", "--quiet"]
    run([*evolve, "--out", str(out)], work, env)
    assert json.loads((out / "results.json").read_text())["backend"] == backend
    assert (out / "vanishing.png").read_bytes()[:4] == b"\x89PNG"

    run([keraseq_cli, "train", *TINY_TRANSFORMER, "--out", "run"], work, env)
    text = run(
        [keraseq_cli, "generate", "run", "--prompt", "The", "--max-new-tokens", "12"], work, env
    )
    assert text.startswith("The") and len(text) > len("The")


def disk_usage(folder):
    """Bytes of the files under `folder`."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def test_release_workflow_builds_checks_and_publishes_as_tested_here():
    workflow = yaml.load(
        (ROOT / ".github" / "workflows" / "release.yml").read_text(), Loader=yaml.BaseLoader
    )
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    build = "\n".join(step.get("run", "") for step in workflow["jobs"]["build"]["steps"])
    assert "python -m build\n" in build and "python -m twine check --strict dist/*" in build
    # The tag check looks for the wheel name test_release_files_... asserts.
    assert "dist/keraseq-${GITHUB_REF_NAME#v}-py3-none-any.whl" in build
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build" and publish["permissions"] == {"id-token": "write"}
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
