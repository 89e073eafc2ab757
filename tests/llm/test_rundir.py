"""Run directories: one writer at a time, stale temporaries removed, no user file overwritten."""

import os
import subprocess
import sys

import pytest

from keraseq import files, rundir

RUN_FILES = ("config.json", "model.keras")


def test_a_second_writer_gets_a_clear_error_and_the_lock_is_released_after(tmp_path):
    with rundir.writing(tmp_path, RUN_FILES):
        # Another open file description, as another process would have: the lock is held.
        with pytest.raises(
            OSError, match=rf"is being written by another keraseq process \(pid {os.getpid()}\)"
        ):
            with rundir.writing(tmp_path, RUN_FILES):
                pass
    with rundir.writing(tmp_path, RUN_FILES):  # released at the end of the block
        pass


def test_a_killed_writer_does_not_block_the_next(tmp_path):
    """`kill -9` gives no chance to clean up: the kernel releases an flock with its process."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(tmp_path / rundir.LOCK_FILE)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "os.write(fd, str(os.getpid()).encode())\n"
            "print('locked', flush=True)\n"
            "time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OSError, match=rf"another keraseq process \(pid {holder.pid}\)"):
            with rundir.writing(tmp_path, RUN_FILES):
                pass
    finally:
        holder.kill()  # SIGKILL
        holder.wait(timeout=30)
    with rundir.writing(tmp_path, RUN_FILES):
        pass


def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid


def test_temporaries_of_dead_writers_are_removed_others_kept(tmp_path):
    stale = tmp_path / f".model.tmp-{dead_pid()}.keras"
    live = tmp_path / f".config.tmp-{os.getppid()}.json"  # a process that is running
    user = tmp_path / ".notes.tmp-x.txt"  # not a name of atomic_path's
    for path in (stale, live, user):
        path.write_text("x")
    with rundir.writing(tmp_path, RUN_FILES):
        assert not stale.exists() and live.exists() and user.exists()
    with files.atomic_path(tmp_path / "model.keras") as tmp:  # the pattern is atomic_path's own
        assert files.TEMPORARY.match(tmp.name)
        tmp.write_text("x")


def test_a_new_run_refuses_a_directory_holding_a_runs_files(tmp_path):
    (tmp_path / "config.json").write_text("the user's")
    with pytest.raises(OSError, match=r"already holds config.json \(no checkpoint\)"):
        with rundir.writing(tmp_path, RUN_FILES, new=True, checkpoint_file="model.keras"):
            pass
    assert (tmp_path / "config.json").read_text() == "the user's"
    (tmp_path / "model.keras").write_text("a checkpoint")
    with pytest.raises(OSError, match="already holds a checkpoint: add --resume"):
        with rundir.writing(tmp_path, RUN_FILES, new=True, checkpoint_file="model.keras"):
            pass
    with rundir.writing(tmp_path, RUN_FILES):  # resuming writes there
        pass


def test_a_new_run_that_fails_before_its_checkpoint_leaves_nothing(tmp_path):
    (tmp_path / "mine.txt").write_text("the user's")
    with pytest.raises(RuntimeError):
        with rundir.writing(tmp_path, RUN_FILES, new=True, checkpoint_file="model.keras"):
            (tmp_path / "config.json").write_text("{}")
            raise RuntimeError("diverged")
    assert sorted(p.name for p in tmp_path.iterdir()) == [rundir.LOCK_FILE, "mine.txt"]
    with pytest.raises(RuntimeError):  # after its first checkpoint, a failed run keeps its files
        with rundir.writing(tmp_path, RUN_FILES, new=True, checkpoint_file="model.keras"):
            (tmp_path / "config.json").write_text("{}")
            (tmp_path / "model.keras").write_text("step 2")
            raise RuntimeError("diverged at step 4")
    assert (tmp_path / "config.json").exists() and (tmp_path / "model.keras").exists()
