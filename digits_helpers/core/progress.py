"""Progress of long work inside a notebook, shown in the terminal of ``digits-book run``.

A notebook runs in a Jupyter kernel whose output goes into the notebook, and from there
into the book, which stays quiet. So the kernel does not print its progress: it writes
it to a small file, and the ``digits-book run`` process, which waits for the notebook,
draws it on its own standard error (:class:`Watcher`):

- the kernel side calls :func:`report` (or counts with :func:`counting` and
  :func:`joblib_fits`); it writes only when the environment variable :data:`ENV` names
  the file, which ``digits-book run`` sets for its kernels. Run by plain papermill or in
  JupyterLab, a notebook reports nothing.
- on a terminal the line is redrawn in place (``fits 12/24 [#####.....] 00:30<00:30``,
  tqdm's meter: the count, the bar, the time spent and the time left); in a log (standard
  error not a terminal) a line is written at each quarter of the work.

The counts are of work finished in the kernel's view, whichever scheduler ran it: joblib
(and through it Dask) calls back in the kernel when a batch of fits ends, and
:meth:`digits_helpers.core.cluster.Workers.map` counts its tasks as their results arrive.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from digits_helpers.core import files

ENV = "DIGITS_BOOK_PROGRESS"
BAR_WIDTH = 20
# tqdm's meter, narrowed to what a line of `digits-book run` needs: the count, a bar of
# BAR_WIDTH characters ("." to do, "#" done), the time spent and the time left.
METER = "{desc} {n_fmt}/{total_fmt} [{bar:" + str(BAR_WIDTH) + "}] {elapsed}<{remaining}"
POLL_SECONDS = 0.25
LOG_STEPS = 4  # a line at each quarter of the work when standard error is a log


def report(label: str, done: int, total: int) -> None:
    """Say that ``done`` of ``total`` pieces of ``label`` are finished.

    Parameters
    ----------
    label : str
        What is counted, e.g. ``"search: fits"``.
    done, total : int
        Pieces finished, and all of them (``total`` >= 1).

    Notes
    -----
    Writes ``{"label", "done", "total"}`` to the file named by :data:`ENV`, through a
    temporary file renamed over it, so a reader never sees half a line; does nothing when
    :data:`ENV` is unset.
    """
    path = os.environ.get(ENV)
    if not path:
        return
    with contextlib.suppress(OSError):  # progress is never worth failing a notebook
        files.write_text(path, json.dumps({"label": label, "done": done, "total": total}))


def counting(label: str, total: int) -> Callable[[int], None]:
    """A counter for ``total`` pieces of ``label``: call it with how many just finished.

    Parameters
    ----------
    label : str
        What is counted.
    total : int
        How many pieces there are.

    Returns
    -------
    callable
        ``advance(n=1)``: adds ``n`` to the count and reports it. Thread-safe.
    """
    lock = threading.Lock()
    done = 0
    report(label, 0, total)

    def advance(n: int = 1) -> None:
        nonlocal done
        with lock:
            done += n
            report(label, done, total)

    return advance


@contextlib.contextmanager
def joblib_fits(label: str, total: int) -> Iterator[None]:
    """Count the tasks joblib finishes inside the block, such as a search's fits.

    scikit-learn's search code runs unchanged: joblib calls ``Parallel.print_progress``
    in this process each time a batch of tasks ends, with any backend (local processes
    or Dask); for the duration of the block it also reports the count.

    Parameters
    ----------
    label : str
        What is counted.
    total : int
        How many tasks the block runs (for a grid search: candidates x folds).

    Yields
    ------
    None
    """
    if not os.environ.get(ENV):
        yield
        return
    from joblib import Parallel

    original = Parallel.print_progress
    report(label, 0, total)
    # A search may call Parallel several times (successive halving: once a round), and
    # each call counts from 0: the calls' counts are added up. The Parallel objects are
    # kept, so that no id is reused within the block, and read again at its end: joblib
    # may call print_progress from its callback thread before the last count is in.
    finished: dict[tuple[int, str], int] = {}
    seen: dict[int, Parallel] = {}

    def print_progress(self: Parallel) -> None:
        original(self)
        seen[id(self)] = self
        finished[id(self), getattr(self, "_call_id", "")] = self.n_completed_tasks
        report(label, min(sum(finished.values()), total), total)

    Parallel.print_progress = print_progress
    try:
        yield
    finally:
        Parallel.print_progress = original
    for key, parallel in seen.items():  # each object's last call has returned: its count is final
        finished[key, getattr(parallel, "_call_id", "")] = parallel.n_completed_tasks
    report(label, min(sum(finished.values()), total), total)


def meter(what: str, done: int, total: int, elapsed: float) -> str:
    """One progress line, as tqdm formats it.

    Parameters
    ----------
    what : str
        Put first, e.g. ``"[2/7] 02_sklearn_search: search: fits"``.
    done, total : int
        Pieces finished, and all of them.
    elapsed : float
        Seconds since the first report of this work.

    Returns
    -------
    str
        ``"<what> 3/6 [##########..........] 00:10<00:10"``.
    """
    from tqdm import tqdm  # ~50 ms: only a drawn line needs it, not every command's start

    return tqdm.format_meter(
        done, max(total, 1), elapsed, prefix=what, ascii=".#", bar_format=METER
    )


class Watcher:
    """Draws the progress a kernel reports on a stream, while a notebook runs.

    Parameters
    ----------
    path : Path
        The file the kernel writes (:data:`ENV` names it in the kernel's environment).
    prefix : str
        Put before every line, e.g. ``"[2/6] 02_sklearn_search"``.
    stream : TextIO, optional
        Where to draw; standard error by default.
    clock : callable, default=time.monotonic
        Seconds, for the time spent and left.
    """

    def __init__(
        self,
        path: Path,
        prefix: str,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.clock = clock
        self._started: dict[str, float] = {}
        self.prefix = prefix
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._shown: tuple[str, int, int] | None = None
        self._logged_step: dict[str, int] = {}
        self._drawn = False

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._draw()  # the last count the kernel wrote
        if self._drawn:  # leave the terminal's line clean for the next message
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._draw()

    def _read(self) -> tuple[str, int, int] | None:
        try:
            state = json.loads(self.path.read_text())
            return str(state["label"]), int(state["done"]), int(state["total"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # not written yet, or being replaced

    def _draw(self) -> None:
        state = self._read()
        if state is None or state == self._shown:
            return
        self._shown = state
        label, done, total = state
        if label not in self._started:
            self._started[label] = self.clock()
        text = meter(f"{self.prefix}: {label}", done, total, self.clock() - self._started[label])
        if self.live:
            self.stream.write("\r\033[K" + text)
            self._drawn = True
        else:
            step = LOG_STEPS * done // max(total, 1)
            if step <= self._logged_step.get(label, -1):
                return
            self._logged_step[label] = step
            self.stream.write(text + "\n")
        self.stream.flush()


@contextlib.contextmanager
def to_terminal(
    prefix: str, stream: TextIO | None = None, folder: Path | None = None
) -> Iterator[None]:
    """Show, while the block runs, the progress reported by kernels it starts.

    Parameters
    ----------
    prefix : str
        Put before every line.
    stream : TextIO, optional
        Where to draw; standard error by default.
    folder : Path, optional
        Where the file goes (the system's temporary folder by default). A run gives its
        staging folder, so that a run killed with SIGKILL leaves the file where the next
        run clears what killed runs left, not in ``/tmp``.

    Yields
    ------
    None
        Inside, :data:`ENV` names a fresh temporary file, inherited by the kernels the
        block starts; the file is removed and :data:`ENV` restored at the end.
    """
    import tempfile

    handle, name = tempfile.mkstemp(prefix=".digits-book-progress-", suffix=".json", dir=folder)
    os.close(handle)
    path = Path(name)
    saved = os.environ.get(ENV)
    os.environ[ENV] = name
    try:
        with Watcher(path, prefix, stream):
            yield
    finally:
        if saved is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = saved
        path.unlink(missing_ok=True)
        for leftover in path.parent.glob(f".{path.name}.*.tmp"):
            leftover.unlink(missing_ok=True)
