"""mkdocs hook: the Benchmarks page shows each `benchmarks/results/*.md` as the benchmarks wrote it.

The page `tutorials/benchmarks.md` marks the spot with the line `<!-- benchmark-results -->`; the
hook replaces it by each results file in name order, or by a note that none has been written yet.
"""

from pathlib import Path

PAGE = "benchmarks.md"
MARKER = "<!-- benchmark-results -->"


def results_markdown(root):
    files = sorted((root / "benchmarks" / "results").glob("*.md"))
    if not files:
        return "!!! note\n    No results yet: run the benchmarks (above) to write them.\n"
    return "\n\n".join(
        f"*From `{path.relative_to(root).as_posix()}`:*\n\n{path.read_text(encoding='utf-8')}"
        for path in files
    )


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"{PAGE} lost its {MARKER} line")
    return markdown.replace(MARKER, results_markdown(Path(config.config_file_path).parent))
