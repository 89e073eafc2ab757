"""Atomic writes: a file is written under a temporary name, then renamed over its target.

`os.replace` is atomic on POSIX and Windows, so a crash (or Ctrl-C) in the middle of a write leaves
the previous version of the file intact, never a half-written one.
"""

import contextlib
import os
import re
from pathlib import Path

# `.NAME.tmp-PID.SUFFIX`, the temporary name of `atomic_path`.
TEMPORARY = re.compile(r"^\..+\.tmp-(\d+)(\.[^.]*)?$")


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


def remove_stale_temporaries(directory):
    """Removes the temporary files of `atomic_path` in `directory` whose process is gone.

    A process killed in the middle of a write (`kill -9`, a power cut) cannot remove its own; the
    file it was replacing is intact, so the temporary one is only wasted space.

    Returns:
        The paths removed.
    """
    removed = []
    for path in Path(directory).iterdir():
        match = TEMPORARY.match(path.name)
        if match and path.is_file() and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return True
