"""Build the docs site in quick mode and serve it on localhost, for the browser test."""

import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def nav_pages():
    """The source files in mkdocs.yml's nav, in order (e.g. `index.md`, `rnn.py`)."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return [next(iter(entry.values())) for entry in config["nav"]]


def build(site_dir):
    """`mkdocs build --strict` with KERASEQ_QUICK=1 into `site_dir`; returns the seconds it took."""
    env = {**os.environ, "KERASEQ_QUICK": "1"}
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - start
    if result.returncode != 0:
        # mkdocs's own complaints first: under --strict a single WARNING line aborts the build.
        reasons = [
            line
            for line in result.stderr.splitlines()
            if line.startswith(("WARNING -", "ERROR -", "Aborted"))
        ]
        raise AssertionError(
            "mkdocs build failed:\n" + "\n".join(reasons) + "\n...\n" + result.stderr[-3000:]
        )
    return seconds


@contextmanager
def serve(folder):
    """Serve `folder` over HTTP on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the browser test checks the requests itself
        pass
