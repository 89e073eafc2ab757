"""keraseq.tutorial: the quick-mode switch, the start of every page, the sources it shows and the
prose rule's helpers."""

import inspect

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from keraseq import tutorial  # noqa: E402


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


def test_claim_picks_the_sentence_the_result_makes_true():
    assert tutorial.claim(2 > 1, "wins", "loses") == "wins"
    assert tutorial.claim(1 > 2, "wins", "loses") == "loses"


def test_check_fails_the_page_when_its_statement_is_false(monkeypatch):
    monkeypatch.delenv("KERASEQ_QUICK", raising=False)
    tutorial.check(True, "it holds")
    with pytest.raises(AssertionError, match="the LSTM wins"):
        tutorial.check(False, "the LSTM wins")
    with pytest.raises(AssertionError):
        tutorial.check(False, "only in full runs", full_only=True)
    monkeypatch.setenv("KERASEQ_QUICK", "1")
    tutorial.check(False, "only in full runs", full_only=True)  # not promised in quick mode
    with pytest.raises(AssertionError):
        tutorial.check(False, "in every mode")


def test_say_prints_outside_a_notebook(capsys):
    tutorial.say("The loss fell", "to 1.2.")
    assert capsys.readouterr().out == "The loss fell to 1.2.\n"


def test_show_accepts_a_figure_or_a_png(tmp_path):
    figure = plt.figure()
    path = tmp_path / "figure.png"
    figure.savefig(path)
    tutorial.show(figure, "a figure")
    assert not plt.get_fignums()  # shown once, then closed
    tutorial.show(path, "a saved figure")


def documented(x):
    """Twice x.

    A docstring long enough to push the code down.
    """
    y = x + x  # marker: start
    z = y * 1
    return z  # marker: end


def test_source_drops_the_docstring():
    assert tutorial.source(documented).splitlines() == [
        "def documented(x):",
        "    y = x + x  # marker: start",
        "    z = y * 1",
        "    return z  # marker: end",
    ]
    assert '"""Twice x.' in tutorial.source(documented, docstring=True)


def test_source_of_the_installed_package_is_its_file():
    from keraseq.layers import SimpleRNNCell

    shown = tutorial.source(SimpleRNNCell.step)
    assert shown.startswith("def step(")
    assert inspect.getdoc(SimpleRNNCell.step).splitlines()[0] not in shown
    lines = shown.splitlines()
    assert all(line.strip() in inspect.getsource(SimpleRNNCell.step) for line in lines)


def test_source_between_markers():
    assert tutorial.source(documented, start="y = ", end="return") == (
        "y = x + x  # marker: start\nz = y * 1\nreturn z  # marker: end"
    )
    assert tutorial.source(documented, start="z = ") == "z = y * 1\nreturn z  # marker: end"
    assert (
        tutorial.source(documented, end="y = ")
        == "def documented(x):\n    y = x + x  # marker: start"
    )


def test_source_names_a_missing_marker():
    with pytest.raises(ValueError, match="documented contains 'w = '"):
        tutorial.source(documented, start="w = ")
    with pytest.raises(ValueError, match="contains 'y = '"):  # `end` is searched after `start`
        tutorial.source(documented, start="z = ", end="y = ")


def test_show_source_prints_outside_a_notebook(capsys):
    tutorial.show_source(documented, start="z = ")
    assert capsys.readouterr().out == "z = y * 1\nreturn z  # marker: end\n"


def fenced():
    return "```"


def test_show_source_displays_a_python_fence_in_a_notebook(monkeypatch):
    IPython = pytest.importorskip("IPython")
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", shown.append)
    tutorial.show_source(documented, start="z = ")
    tutorial.show_source(fenced)  # backticks in the code: a longer fence
    assert [markdown.data for markdown in shown] == [
        "```python\nz = y * 1\nreturn z  # marker: end\n```",
        '````python\ndef fenced():\n    return "```"\n````',
    ]
