"""The run lock and run names (digits_helpers.run.lock), without executing a notebook.

The holder is a real second process: the lock is filelock's ``flock``, which a process
holds against others, not against itself. ``tests/study/test_run_faults.py`` checks the
same through ``digits-book run`` with notebooks, a SIGKILL included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from digits_helpers.core import files
from digits_helpers.run.lock import RunRefused, check_run_name, run_lock

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from digits_helpers.run.lock import run_lock

    with run_lock(Path(sys.argv[1]), "trial", print):
        print("held", flush=True)
        time.sleep(120)
    """
)


@pytest.fixture
def holder(tmp_path):
    """A process holding the lock of run ``trial`` in ``tmp_path``, until the test ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline() == "held\n"
        yield process
    finally:
        process.kill()
        process.communicate()


def _lines():
    lines: list[str] = []
    return lines, lines.append


def test_a_second_holder_is_refused_naming_the_first(tmp_path, holder):
    with pytest.raises(RunRefused) as refused, run_lock(tmp_path, "trial", print):
        pytest.fail("two processes held the lock of one run")
    message = str(refused.value)
    assert message.startswith(
        f"run 'trial' is already being executed by process {holder.pid}, started "
    )
    assert message.endswith(": wait for it to finish, or choose another --name")


def test_another_name_is_not_refused(tmp_path, holder):
    lines, log = _lines()
    with run_lock(tmp_path, "other", log):
        assert (tmp_path / ".lock-other").exists()
    assert lines == []


def test_a_killed_holder_blocks_nothing_and_its_lock_is_said_cleared(tmp_path, holder):
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (tmp_path / ".lock-trial").exists() and (tmp_path / ".holder-trial").exists()
    lines, log = _lines()
    with run_lock(tmp_path, "trial", log):
        assert (tmp_path / ".holder-trial").read_text().split()[0] == str(os.getpid())
    assert lines == [
        f"cleared the stale lock of run 'trial': process {holder.pid} is no longer running"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_lock_and_its_holder_file_are_removed_when_the_run_ends(tmp_path):
    lines, log = _lines()
    with pytest.raises(RuntimeError, match="a failing run"), run_lock(tmp_path, "trial", log):
        assert sorted(p.name for p in tmp_path.iterdir()) == [".holder-trial", ".lock-trial"]
        raise RuntimeError("a failing run")
    assert list(tmp_path.iterdir()) == []
    with run_lock(tmp_path, "trial", log):  # and it can be taken again at once
        pass
    assert lines == [] and list(tmp_path.iterdir()) == []


def _half_written(path):
    """The temporary file files.write_text leaves when its writer is killed mid-write."""
    with pytest.raises(KeyboardInterrupt), files.replacing(path) as temporary:
        kept = temporary.with_name(temporary.name + ".kept")
        temporary.write_text("12")
        temporary.rename(kept)  # what the kill leaves: replacing's cleanup never ran
        raise KeyboardInterrupt
    left = kept.with_name(kept.name.removesuffix(".kept"))
    kept.rename(left)
    return left


def test_a_holder_file_half_written_by_a_killed_run_is_removed(tmp_path):
    _half_written(tmp_path / ".holder-trial")
    others = _half_written(tmp_path / ".holder-trial.x")  # run 'trial.x' writing its own
    with run_lock(tmp_path, "trial", print):
        pass
    assert [p.name for p in tmp_path.iterdir()] == [others.name]


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "a\\b", " padded", "LATEST"])
def test_a_name_that_is_not_one_plain_folder_is_refused(name):
    with pytest.raises(RunRefused, match="--name must be a plain folder name"):
        check_run_name(name)


@pytest.mark.parametrize("name", ["quick", "trial.x", "run 2", "LATEST-1"])
def test_a_plain_folder_name_is_accepted(name):
    check_run_name(name)
