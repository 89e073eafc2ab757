"""Atomic writes: a file is written under a temporary name, then renamed over its target.

`os.replace` is atomic on POSIX and Windows, so a crash (or Ctrl-C) in the middle of a write leaves
the previous version of the file intact, never a half-written one.
"""

import contextlib
import os
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path` (same suffix); on success it replaces `path`.

    Example:

    ```python
    with atomic_path("out/model.keras") as tmp:
        model.save(tmp)          # out/model.keras is untouched until this succeeded
    ```
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
