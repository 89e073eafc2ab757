"""The docs site's mkdocs hooks (docs_hooks/), on small inputs."""

import sys

from site_build import ROOT

sys.path.insert(0, str(ROOT / "docs_hooks"))
import benchmark_results  # noqa: E402
import home_figure  # noqa: E402
import tensorflow_logs  # noqa: E402


def stderr_block(text):
    return (
        '<div class="jp-OutputArea-child">\n<div class="jp-OutputPrompt '
        'jp-OutputArea-prompt"></div>\n'
        '<div class="jp-RenderedText jp-OutputArea-output" '
        'data-mime-type="application/vnd.jupyter.stderr"'
        f' tabindex="0">\n<pre>{text}</pre>\n</div>\n</div>\n'
    )


def test_only_blocks_of_tensorflow_logs_are_dropped():
    logs = stderr_block(
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795595093.631922   18829 port.cc:153] oneDNN custom operations are on.\n"
    )
    tqdm = stderr_block(
        "/home/me/.venv/lib/python3.11/site-packages/tqdm/auto.py:21: TqdmWarning: IProgress not "
        "found. Please update jupyter and ipywidgets.\n"
        "  from .autonotebook import tqdm as notebook_tqdm\n"
    )
    warning = stderr_block("UserWarning: something the reader should see\n")
    mixed = stderr_block("I0000 00:00:1.5   1 port.cc:1] oneDNN\nUserWarning: keep me\n")
    html = f"<p>before</p>{logs}{tqdm}{warning}{mixed}<p>after</p>"
    assert (
        tensorflow_logs.strip_tensorflow_logs(html) == f"<p>before</p>{warning}{mixed}<p>after</p>"
    )


def test_benchmark_results_are_included_in_name_order(tmp_path):
    assert "No results yet" in benchmark_results.results_markdown(tmp_path)
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    (results / "b.md").write_text("| table b |\n")
    (results / "a.md").write_text("| table a |\n")
    (results / "notes.txt").write_text("not markdown")
    text = benchmark_results.results_markdown(tmp_path)
    assert text.index("table a") < text.index("table b")
    assert "benchmarks/results/a.md" in text and "not markdown" not in text


def test_home_figure_is_added_to_the_site_files(tmp_path):
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

    config = MkDocsConfig()
    config.load_dict(
        {
            "site_name": "test",
            "docs_dir": str(ROOT / "tutorials"),
            "site_dir": str(tmp_path),
            "hooks": [str(ROOT / "docs_hooks" / "home_figure.py")],
        }
    )
    assert config.validate() == ([], [])
    files = config.plugins.run_event("files", Files([]), config=config)
    figure = files.get_file_from_path(home_figure.FIGURE)
    assert figure.content_bytes[:4] == b"\x89PNG"
    assert f"]({home_figure.FIGURE})" in (ROOT / "tutorials" / "index.md").read_text()


def test_the_gpu_table_is_computed_from_its_results():
    """`benchmarks/results/gpu.md` is what `gpu_report.py` writes from the device run's files, so
    its numbers cannot drift from them."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import gpu_report

    assert gpu_report.markdown() == (ROOT / "benchmarks" / "results" / "gpu.md").read_text()
