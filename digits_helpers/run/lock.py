"""One run of a name at a time, and what a run name may be.

While a run of ``name`` executes it holds ``runs/.lock-<name>``, a
:class:`filelock.FileLock` (an ``flock`` on Unix): the system releases it when its
process dies, so a killed run leaves no lock that blocks the next one. The holder's pid
and start time are kept beside it in ``runs/.holder-<name>``, for the message that
refuses a second run and the one that notes a killed run's lock; the lock file itself
is filelock's (its version 3, which pyproject.toml allows, truncates it when it opens it).

Light on purpose: the standard library and :mod:`digits_helpers.core.files` at import,
filelock only when a lock is taken, so that ``digits-book run --check`` and every
refusal before a run answer without loading the pipeline.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from digits_helpers.core import files
from digits_helpers.core.project import find_root

LATEST_FILE = "LATEST"  # runs/LATEST names the latest successful run: no run may be named so
LOCK_PREFIX = ".lock-"
HOLDER_PREFIX = ".holder-"
# How long a second run waits for the lock before it is refused: long enough to ride over
# the moment a finishing run removes its lock file, short enough to answer at once.
WAIT_SECONDS = 0.5


class RunRefused(ValueError):
    """A run refused before anything executes: a bad name, or one already running."""


def check_run_name(name: str) -> None:
    """Refuse a run name that is not one plain folder name.

    Parameters
    ----------
    name : str
        The run name (``--name``), the folder of the run in ``runs/``.

    Raises
    ------
    RunRefused
        The name is empty, starts with ``.``, holds a ``/`` or ``\\``, has leading or
        trailing spaces, or is ``LATEST``; the message says what is accepted.
    """
    if (
        not name
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or name != name.strip()
        or name == LATEST_FILE
    ):
        raise RunRefused(
            "--name must be a plain folder name without '/' or a leading '.', "
            f"other than {LATEST_FILE!r} (got {name!r})"
        )


@contextlib.contextmanager
def run_lock(runs: Path, name: str, log: Callable[[str], None]) -> Iterator[None]:
    """Hold ``runs/.lock-<name>`` while a run of ``name`` executes.

    The holder's pid and start time go to ``runs/.holder-<name>``. A holder file left
    by a killed run names a process that no longer holds the lock: it is replaced, and
    ``log`` says so. Both files are removed when the block ends, the lock file while
    the lock is still held (filelock makes a waiter that opened the removed file try
    again on a new one).

    Parameters
    ----------
    runs : Path
        The project's ``runs/`` folder.
    name : str
        The run name.
    log : callable
        Receives one line when the lock of a killed run is taken over.

    Yields
    ------
    None
        While the lock is held.

    Raises
    ------
    RunRefused
        Another live process holds the lock; the message names it and when it started.
    """
    from filelock import FileLock, Timeout  # ~50 ms: only a run takes the lock, not --check

    path = runs / f"{LOCK_PREFIX}{name}"
    holder = runs / f"{HOLDER_PREFIX}{name}"
    lock = FileLock(path, timeout=WAIT_SECONDS)
    try:
        lock.acquire()
    except Timeout:
        raise RunRefused(
            f"run {name!r} is already being executed by {_who(holder)}: wait for it to "
            "finish, or choose another --name"
        ) from None
    try:
        stale = _read_holder(holder)
        if stale and stale[0] != str(os.getpid()):
            log(f"cleared the stale lock of run {name!r}: process {stale[0]} is no longer running")
        _remove_unfinished_writes(holder)
        with contextlib.suppress(OSError):  # a full disk: the lock holds all the same
            files.write_text(holder, f"{os.getpid()} {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        yield
    finally:
        try:
            holder.unlink(missing_ok=True)
            path.unlink(missing_ok=True)  # while still holding it: no run can hold it now
        finally:
            lock.release()


def _read_holder(holder: Path) -> list[str]:
    """The words of a holder file: ``[pid, date, time]``, or ``[]`` when it is unreadable."""
    try:
        words = holder.read_text(errors="replace").split()
    except OSError:
        return []
    return words if words and words[0].isdigit() else []


def _who(holder: Path) -> str:
    """``process 123, started 2024-05-01 10:00:00``, or ``another process``."""
    words = _read_holder(holder)
    if not words:  # its holder has not written it yet
        return "another process"
    since = f", started {' '.join(words[1:3])}" if len(words) >= 3 else ""
    return f"process {words[0]}{since}"


def _remove_unfinished_writes(holder: Path) -> None:
    """Remove temporary files of holder files whose writer was killed mid-write.

    :func:`digits_helpers.core.files.write_text` writes ``.<name>.<pid>.<random>.tmp``
    beside the file; only the lock's holder writes this one, so any such file is left over.
    """
    written = re.compile(re.escape(f".{holder.name}.") + r"\d+\.[a-z0-9_]{8}\.tmp")  # mkstemp's
    for temporary in holder.parent.glob(f".{holder.name}.*.tmp"):
        if written.fullmatch(temporary.name):  # not the holder file of a run named <name>.x
            temporary.unlink(missing_ok=True)


def latest_run(root: Path | None = None) -> str:
    """The name of the most recent successful run (``runs/LATEST``).

    Parameters
    ----------
    root : Path, optional
        The project directory; found from the working directory by default.

    Returns
    -------
    str
        A run's name.

    Raises
    ------
    FileNotFoundError
        No run has succeeded yet.
    """
    path = find_root(root) / "runs" / LATEST_FILE
    if not path.exists():
        raise FileNotFoundError("no successful run yet: execute `digits-book run` first")
    return path.read_text().strip()
