"""Faults injected into real runs of a tiny project: kills, Ctrl-C, a full disk, damage.

Each test starts from the module's good run ``runs/trial`` and, after its fault,
checks what a user relies on: the earlier run is byte for byte intact, the
command says what happened in one message with the documented exit status, and a
rerun succeeds and leaves nothing behind (no staging folder, lock or temporary
cache entry, no kernel still running). The processes, signals and files are real:
``digits-book`` runs as a subprocess, is killed with ``os.kill``, and the disk is a
tmpfs filled up for the ENOSPC case. The study's own notebooks get the same
treatment (a kill in the middle of the Keras notebook) in ``test_study_faults.py``.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from study import (
    COMMAND_TIMEOUT,
    TINY_DECLARES,
    assert_no_debris,
    assert_succeeded,
    digits_book,
    kernels_under,
    snapshot,
    start,
    tiny_project,
    wait_for,
    write_tiny_notebook,
)

from digits_helpers.core.registry import STAGES

pytestmark = pytest.mark.notebooks

NAME = "trial"
SLOW = "03_keras_sweeps"  # the notebook made to hang while a fault is injected


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    """A 64 MB tmpfs when this process may mount one (root), else a plain folder."""
    where = tmp_path_factory.mktemp("disk")
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(where)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    yield where, mounted
    if mounted:
        subprocess.run(["umount", "--lazy", str(where)], check=False)


@pytest.fixture(scope="module")
def project(disk):
    root = tiny_project(disk[0] / "project")
    assert_succeeded(digits_book(root, "run", "--name", NAME))
    return root


@pytest.fixture
def earlier(project):
    """The good run before the fault, as {relative path: bytes}; checked after the test."""
    before = snapshot(project / "runs" / NAME)
    yield before
    _restore_notebooks(project)
    rerun = digits_book(project, "run", "--name", NAME)
    assert_succeeded(rerun)
    assert_no_debris(project)


def _restore_notebooks(project: Path) -> None:
    for step in STAGES:
        path = project / "notebooks" / step.filename
        write_tiny_notebook(path, step.key, TINY_DECLARES[step.notebook])


def start_with_slow_notebook(project: Path, mark: Path) -> subprocess.Popen:
    """``digits-book run`` whose Keras stand-in writes its pid to ``mark`` and hangs."""
    body = f"import os, pathlib, time\npathlib.Path({str(mark)!r}).write_text(str(os.getpid()))\n"
    write_tiny_notebook(
        project / "notebooks" / f"{SLOW}.ipynb",
        "keras",
        TINY_DECLARES[SLOW],
        body + "time.sleep(600)",
    )
    process = start(project, "run", "--name", NAME)
    wait_for(mark.exists, what=f"{SLOW} to start executing")
    return process


def _last_lines(stderr: str, n: int) -> list[str]:
    return stderr.strip().splitlines()[-n:]


def test_sigkill_keeps_the_earlier_run_and_the_next_run_clears_what_it_left(
    project, earlier, tmp_path
):
    mark = tmp_path / "kernel-pid"
    process = start_with_slow_notebook(project, mark)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    runs = project / "runs"
    assert snapshot(runs / NAME) == earlier
    assert (runs / f".staging-{NAME}-{process.pid}").is_dir()
    assert (runs / f".lock-{NAME}").exists()
    # The orphaned kernel notices its parent is gone and exits (ipykernel's parent poller).
    wait_for(lambda: kernels_under(runs) == [], timeout=30, what="the orphaned kernel to exit")
    _restore_notebooks(project)
    rerun = digits_book(project, "run", "--name", NAME)
    assert_succeeded(rerun)
    assert f"process {process.pid} is no longer running" in rerun.stderr
    assert f"removed what killed runs left behind: runs/.staging-{NAME}-{process.pid}" in (
        rerun.stderr
    )
    assert_no_debris(project)


def test_ctrl_c_exits_130_with_one_line_and_keeps_the_partial_run(project, earlier, tmp_path):
    mark = tmp_path / "kernel-pid"
    process = start_with_slow_notebook(project, mark)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    _, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    runs = project / "runs"
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert _last_lines(stderr, 2) == [
        f"[3/{len(STAGES)}] {SLOW}: executing",
        f"digits-book run: interrupted (Ctrl-C) during notebook {SLOW}.ipynb; the partial run "
        f"is kept in {runs / f'.failed-{NAME}'}; runs/{NAME}/ is unchanged",
    ]
    assert snapshot(runs / NAME) == earlier
    assert (runs / f".failed-{NAME}" / "preprocessing.json").exists()
    assert kernels_under(runs) == [], "the interrupted notebook's kernel was killed"
    assert_no_debris(project)


def test_a_second_run_of_the_same_name_is_refused_naming_the_first(project, earlier, tmp_path):
    first = start_with_slow_notebook(project, tmp_path / "kernel-pid")
    try:
        second = digits_book(project, "run", "--name", NAME, "--set", "cv=4")
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=COMMAND_TIMEOUT)
    assert second.returncode == 2
    assert second.stderr.startswith(
        f"digits-book run: error: run {NAME!r} is already being executed by process "
        f"{first.pid}, started "
    )
    assert second.stderr.endswith(": wait for it to finish, or choose another --name\n")
    assert len(second.stderr.splitlines()) == 1
    assert snapshot(project / "runs" / NAME) == earlier


def test_a_notebook_that_raises_exits_1_naming_it_and_where_its_output_is(project, earlier):
    write_tiny_notebook(
        project / "notebooks" / "04_beyond_the_mlp.ipynb",
        "beyond",
        TINY_DECLARES["04_beyond_the_mlp"],
        "raise RuntimeError('boom')",
    )
    failed = digits_book(project, "run", "--name", NAME)
    runs = project / "runs"
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert _last_lines(failed.stderr, 2) == [
        "digits-book run: notebook 04_beyond_the_mlp.ipynb failed in cell 2 (execution count "
        "3): RuntimeError: boom",
        f"the failed run is kept in {runs / f'.failed-{NAME}'}; runs/{NAME}/ is unchanged",
    ]
    assert snapshot(runs / NAME) == earlier
    assert (runs / f".failed-{NAME}" / "04_beyond_the_mlp.ipynb").exists()


def _fill(folder: Path) -> Path:
    """Write a file until the filesystem is full (a real ENOSPC)."""
    filler = folder / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    for size in (1 << 16, 1 << 12, 1):  # the last partial pages too
        with filler.open("ab", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_disk_fails_the_run_in_one_message_and_keeps_the_earlier_run(project, earlier, disk):
    if not disk[1]:
        pytest.skip("a full disk needs a tmpfs, which only root can mount here")
    filler = _fill(disk[0])
    try:
        failed = digits_book(project, "run", "--name", NAME, "--set", "cv=5")
    finally:
        filler.unlink()
    runs = project / "runs"
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr
    message = _last_lines(failed.stderr, 2)
    assert message[0].startswith("digits-book run: ") and "No space left on device" in message[0]
    assert message[1].startswith("the run is kept in ") or message[1].startswith(
        "the failed run is kept in "
    )
    assert message[1].endswith(f"; runs/{NAME}/ is unchanged")
    assert snapshot(runs / NAME) == earlier


def test_a_corrupt_cache_entry_is_executed_again_and_said_so(project, earlier):
    entries = [p for p in (project / "runs" / ".cache").glob("*/sklearn.json")]
    assert entries
    for stage_file in entries:
        text = stage_file.read_text()
        stage_file.write_text(text[: len(text) // 2])  # truncated, as by a crash or a full disk
    rerun = digits_book(project, "run", "--name", NAME)
    assert_succeeded(rerun)
    second = f"[2/{len(STAGES)}]"
    line = next(x for x in rerun.stderr.splitlines() if x.startswith(second))
    assert line.startswith(f"{second} 02_sklearn_search: cached copy in ")
    assert line.endswith(
        " does not verify (sklearn.json does not match its SHA-256); executing again"
    )
    after = snapshot(project / "runs" / NAME)
    assert after["sklearn.json"] == earlier["sklearn.json"]


def test_a_truncated_results_json_is_refused_by_build_in_one_line(project, earlier):
    damaged = project / "runs" / "damaged"
    shutil.copytree(project / "runs" / NAME, damaged)
    text = (damaged / "results.json").read_text()
    (damaged / "results.json").write_text(text[: len(text) // 3])
    built = digits_book(project, "build", "--run", "damaged")
    assert built.returncode == 2
    assert built.stderr.startswith(
        f"digits-book build: error: {damaged / 'results.json'} is damaged ("
    )
    assert built.stderr.endswith("): execute `digits-book run --name damaged` again\n")
    assert len(built.stderr.splitlines()) == 1
    assert not (project / "book" / "chapters").exists(), "nothing was staged for a build"
    shutil.rmtree(damaged)
