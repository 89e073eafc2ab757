"""A run directory has one writer at a time, and its files belong to one run.

`keraseq train` (and any command that checkpoints into a `--out DIR`) writes in `writing(DIR)`:

* an exclusive lock on `DIR/.lock` (`fcntl.flock`), so a second process writing into the same
  directory stops at once with one clear line instead of interleaving its files with the first's.
  The kernel releases the lock when its process ends, however it ends (`kill -9` included), so a
  dead run never blocks the next one;
* under the lock, the temporary files that a killed writer left (`files.remove_stale_temporaries`)
  are removed;
* a new run (`new=True`) refuses a directory that already holds a run's files, instead of writing
  over the user's `config.json` or `metrics.csv`; if it fails before its first checkpoint, it
  removes the files it wrote, so the same command can simply be run again.

POSIX only: where `fcntl` is missing (Windows) no lock is taken.
"""

import contextlib
import os
from pathlib import Path

from keraseq import files

LOCK_FILE = ".lock"


@contextlib.contextmanager
def writing(directory, run_files, new=False, checkpoint_file=None):
    """Holds `directory`'s writer lock (creating the directory) while the block runs.

    Args:
        directory: The run's directory.
        run_files: The names of the files a run writes there (e.g. `config.json`, `model.keras`).
        new: A new run: refuse if any of `run_files` exists; remove those written by the block if
            it raises before `checkpoint_file` exists.
        checkpoint_file: The file whose existence means the run has a checkpoint to keep.

    Raises:
        OSError: Another process holds the lock, or `new` and the directory holds a run's files.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _lock(fd, directory)
        files.remove_stale_temporaries(directory)
        if new:
            present = [name for name in run_files if (directory / name).exists()]
            if checkpoint_file in present:
                raise OSError(
                    f"{directory} already holds a checkpoint: add --resume to continue it, or "
                    "choose another --out"
                )
            if present:
                raise OSError(
                    f"{directory} already holds {', '.join(present)} (no checkpoint): choose "
                    "another --out, or remove them"
                )
        try:
            yield directory
        except BaseException:
            if new and not (directory / checkpoint_file).exists():
                for name in run_files:  # nothing worth keeping: let the same command run again
                    (directory / name).unlink(missing_ok=True)
            raise
    finally:
        os.close(fd)  # releases the lock


def _lock(fd, directory):
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks of this kind
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.pread(fd, 20, 0).decode("ascii", "replace").strip() or "unknown"
        raise OSError(
            f"{directory} is being written by another keraseq process (pid {owner}): wait for "
            "it to finish, or choose another --out"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)  # who holds it, for the message above
