"""Every tutorial page runs, as a plain script in quick mode, on the current backend.

Under jax the pages are not run here a second time: the browser test builds the site, which executes
every notebook in quick mode and fails on any error.

The pages are jupytext percent files (`# %%` cells), so each is also a valid Python script; the
notebook cells assert their own checks (e.g. keraseq equals Keras), so a failing check fails here.
"""

import os
import subprocess
import sys

import keras
import pytest
from site_build import ROOT, nav_pages

TUTORIALS = sorted(p.name for p in (ROOT / "tutorials").glob("*.py"))


def test_every_page_is_in_the_nav():
    pages = sorted(p.name for p in (ROOT / "tutorials").iterdir() if p.suffix in (".md", ".py"))
    assert pages == sorted(nav_pages())
    assert {"rnn.py", "lstm.py"} <= set(TUTORIALS)


@pytest.mark.parametrize("page", sorted(nav_pages()))
def test_page_source_has_no_control_characters(page):
    # e.g. "\beta" written through a Python string becomes a backspace and "eta": KaTeX fails.
    text = (ROOT / "tutorials" / page).read_text(encoding="utf-8")
    found = sorted({f"U+{ord(c):04X}" for c in text if ord(c) < 32 and c not in "\n\t"})
    assert found == [], f"control characters in tutorials/{page}"


@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="under jax the site build of test_site.py executes every page (allow_errors: false)",
)
@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs(name):
    env = {
        **os.environ,
        "KERASEQ_QUICK": "1",
        "MPLBACKEND": "Agg",
        "KERAS_BACKEND": keras.backend.backend(),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "tutorials" / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"backend {keras.backend.backend()}," in result.stdout
