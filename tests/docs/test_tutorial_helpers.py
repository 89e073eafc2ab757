"""keraseq.tutorial: the quick-mode switch and the start of every page."""

import numpy as np

from keraseq import tutorial


def test_quick_reads_the_environment(monkeypatch):
    monkeypatch.setenv("KERASEQ_QUICK", "1")
    assert tutorial.quick()
    monkeypatch.setenv("KERASEQ_QUICK", "0")
    assert not tutorial.quick()
    monkeypatch.delenv("KERASEQ_QUICK")
    assert not tutorial.quick()


def test_start_seeds_and_prints(monkeypatch, capsys):
    monkeypatch.setenv("KERASEQ_QUICK", "1")
    quick, rng = tutorial.start(seed=3)
    assert quick is True
    assert rng.normal() == np.random.default_rng(3).normal()
    assert "quick mode True" in capsys.readouterr().out
