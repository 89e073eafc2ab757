"""Run the whole test suite once per Keras backend, each in its own process, and print one summary.

    python tests/run_backends.py                 # jax, tensorflow, torch
    python tests/run_backends.py --backends jax -- -k lstm    # extra arguments go to pytest

First the style: `ruff check .` and `ruff format --check .` (config in pyproject.toml), so that
it holds by itself. `KERAS_BACKEND` is read when Keras is imported, so every backend needs a fresh
interpreter. The exit status is non-zero if ruff finds a problem, or if any backend has a failure or
an error, or ran no test at all.
"""

import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("jax", "tensorflow", "torch")


def counts(report):
    suites = ET.parse(report).getroot()
    suites = [suites] if suites.tag == "testsuite" else list(suites)
    total = {
        k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")
    }
    total["passed"] = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
    return total


def lint():
    """Runs ruff's linter and formatter check on the repository; returns the failed commands."""
    failed = []
    for command in (["check", "."], ["format", "--check", "."]):
        print(f"\n===== ruff {' '.join(command)} =====", flush=True)
        code = subprocess.call([sys.executable, "-m", "ruff", *command], cwd=ROOT)
        if code != 0:
            failed.append(f"ruff {' '.join(command)} (exit {code})")
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = parser.parse_args()

    reports = ROOT / ".test-reports"
    reports.mkdir(exist_ok=True)
    style = lint()
    rows, ok = [], not style
    for backend in args.backends:
        report = reports / f"{backend}.xml"
        report.unlink(missing_ok=True)
        print(f"\n===== KERAS_BACKEND={backend} =====", flush=True)
        env = {**os.environ, "KERAS_BACKEND": backend}
        start = time.monotonic()
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
                *args.pytest_args,
            ],
            cwd=ROOT,
            env=env,
        )
        seconds = time.monotonic() - start
        if not report.exists():
            rows.append((backend, None, seconds, code))
            ok = False
            continue
        c = counts(report)
        rows.append((backend, c, seconds, code))
        ok &= code == 0 and c["failures"] == 0 and c["errors"] == 0 and c["passed"] > 0

    print("\n===== summary: ruff, then one pytest process per backend =====")
    print(
        "ruff: "
        + (
            "FAILED: " + "; ".join(style) + ": run `ruff check --fix .` and `ruff format .`"
            if style
            else "check and format OK"
        )
    )
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for backend, c, seconds, code in rows:
        if c is None:
            print(f"{backend:>10}: pytest exited {code} without a report ({seconds:.0f} s)")
            continue
        failed = c["failures"] + c["errors"]
        total["passed"] += c["passed"]
        total["failed"] += failed
        total["skipped"] += c["skipped"]
        print(
            f"{backend:>10}: {c['passed']} passed, {failed} failed, {c['skipped']} skipped "
            f"({seconds:.0f} s, pytest exit {code})"
        )
    print(
        f"all backends: {total['passed']} passed, {total['failed']} failed, {total['skipped']} "
        "skipped"
    )
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
