"""mkdocs hook: the home page's figure, the evolution at a glance, drawn at build time from the
measured run saved with the site, so that it always shows that run's numbers."""

import json
import tempfile
from pathlib import Path

from mkdocs.structure.files import File

from keraseq.experiments import overview

RESULTS = "measured/full-jax/results.json"  # in docs_dir, like the figure the home page links
FIGURE = "measured/evolution.png"


def on_files(files, config):
    results = json.loads(Path(config["docs_dir"], RESULTS).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "evolution.png"
        overview.plot(results, path)
        files.append(File.generated(config, FIGURE, content=path.read_bytes()))
    return files
