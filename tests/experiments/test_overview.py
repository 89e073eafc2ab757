"""The evolution at a glance (the docs' home figure), from the measured run saved with the docs."""

import json

import pytest
from conftest import ROOT

from keraseq.experiments import overview

MEASURED = ROOT / "tutorials" / "measured" / "full-jax" / "results.json"


def test_four_panels_from_the_saved_run(tmp_path):
    overview.plot(json.loads(MEASURED.read_text()), tmp_path / "overview.png")
    assert (tmp_path / "overview.png").read_bytes()[:4] == b"\x89PNG"


def test_results_without_a_panel_s_experiment_are_refused(tmp_path):
    results = json.loads(MEASURED.read_text())
    del results["experiments"]["speed"], results["experiments"]["range"]
    with pytest.raises(ValueError, match="these results lack range, speed"):
        overview.plot(results, tmp_path / "overview.png")
    assert not (tmp_path / "overview.png").exists()
