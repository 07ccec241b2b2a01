"""Where the study's parallel work runs: local processes, or a Dask cluster.

The ``scheduler`` parameter chooses:

- ``""`` (empty): local worker processes, joblib's default backend, as before;
- ``"local"``: a ``dask.distributed`` ``LocalCluster`` started for the notebook, one
  single-threaded worker process per core;
- ``"tcp://host:port"``: an existing Dask cluster's scheduler.

With Dask, the scikit-learn searches run through joblib's Dask backend, so
scikit-learn's own search code runs unchanged and gives the same numbers; the other
independent pieces of work (the repeated-split retraining) are submitted to the same
cluster as tasks by :meth:`Workers.map`. Every task is seeded by its arguments alone,
so the results do not depend on which worker, or which scheduler, ran it.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from digits_helpers.core import progress

LOCAL = "local"
# tcp://host:port, host a name or an IPv4 address (IPv6 in brackets).
ADDRESS = re.compile(r"tcp://(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})")
ACCEPTS = "'' (local processes), 'local' (a Dask LocalCluster) or a scheduler's 'tcp://host:port'"
# run_tasks(function, items, label=...) -> [function(item) for item in items], anywhere:
# Workers.map, or one after the other when a function takes no such argument.
RunTasks = Callable[..., list]
CONNECT_SECONDS = 10  # how long to wait for a scheduler before saying it cannot be reached


class ClusterUnreachable(ConnectionError):
    """The scheduler's address does not answer; the message names it and why."""


def check_scheduler(value: Any) -> str:
    """A valid ``scheduler`` value, or a ``ValueError`` saying what is accepted.

    Parameters
    ----------
    value : Any
        ``""``, ``"local"`` or ``"tcp://host:port"`` (port 1 to 65535).

    Returns
    -------
    str
        The value.

    Raises
    ------
    ValueError
        Anything else.
    """
    if value in ("", LOCAL):
        return value
    match = ADDRESS.fullmatch(value) if isinstance(value, str) else None
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise ValueError(f"must be {ACCEPTS}")
    return value


def check_reachable(scheduler: str, *, timeout: float = CONNECT_SECONDS) -> None:
    """Fail fast when a ``tcp://`` scheduler does not answer; nothing to check otherwise.

    Parameters
    ----------
    scheduler : str
        A valid ``scheduler`` value.
    timeout : float, default=CONNECT_SECONDS
        Seconds to wait for the scheduler.

    Raises
    ------
    ClusterUnreachable
        The scheduler cannot be reached, or answers with no worker.
    """
    if not scheduler.startswith("tcp://"):
        return
    match = ADDRESS.fullmatch(scheduler)
    host = match["host"].strip("[]")
    try:  # a refused or unroutable address answers at once, before Dask's retries
        with socket.create_connection((host, int(match["port"])), timeout=timeout) as probe:
            # A Dask scheduler speaks first (its handshake); Dask's own client would wait
            # for it without end on a port that accepts and stays silent.
            if not probe.recv(1):
                raise ConnectionResetError("it closed the connection without answering")
    except TimeoutError:
        raise ClusterUnreachable(
            f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s: the port"
            " answers nothing (is a Dask scheduler listening there, `dask scheduler --port"
            " PORT`, or another service?)"
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ClusterUnreachable(
            f"cannot reach the Dask scheduler at {scheduler}: {reason}"
        ) from None
    with _client(scheduler, timeout) as client:
        if not client.scheduler_info().get("workers"):
            raise ClusterUnreachable(f"the Dask scheduler at {scheduler} has no worker")


@contextlib.contextmanager
def _client(address: str, timeout: float, *, set_as_default: bool = False) -> Iterator[Any]:
    from distributed import Client

    try:
        client = Client(address, timeout=timeout, set_as_default=set_as_default)
    except (OSError, TimeoutError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterUnreachable(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {reason}"
        ) from None
    try:
        yield client
    finally:
        client.close()


def _call(function: Callable[[Any], Any], item: Any) -> Any:
    return function(item)


def in_this_process(
    function: Callable[[Any], Any], items: Sequence[Any], *, label: str = "tasks"
) -> list:
    """``[function(item) for item in items]`` in this process, one after the other.

    The default ``run_tasks`` of the training functions; the count is shown in the
    terminal as for :meth:`Workers.map`.

    Parameters
    ----------
    function : callable
        A function of one argument.
    items : Sequence
        One call per item.
    label : str, default="tasks"
        What the calls are, for the progress shown in the terminal.

    Returns
    -------
    list
        The results, in the order of ``items``.
    """
    items = list(items)
    advance = progress.counting(label, len(items))
    results = []
    for item in items:
        results.append(function(item))
        advance()
    return results


PIECES = 8  # consecutive pieces of an array's rows: enough for two to eight workers


def in_pieces(
    function: Callable[[tuple], Any],
    arrays: tuple,
    *,
    run_tasks: RunTasks | None = None,
    label: str = "pieces",
    pieces: int = PIECES,
) -> Any:
    """``function(arrays)``, computed row-wise in consecutive pieces where ``run_tasks`` says.

    For work done row by row with nothing carried from one row to the next (the random
    draws made beforehand): the pieces' results, concatenated in order, are what one
    call on all the rows gives, wherever the pieces run.

    Parameters
    ----------
    function : callable
        Takes a tuple of arrays with the same number of rows and returns an array with a
        row for each; it must pickle (a module-level function, or a partial of one).
    arrays : tuple of numpy.ndarray
        Cut along their first axis at the same places.
    run_tasks : callable, optional
        :meth:`Workers.map`, for instance; without it, one call on all the rows here.
    label : str, default="pieces"
        What the pieces are, for the progress shown in the terminal.
    pieces : int, default=PIECES
        How many pieces (fewer with fewer rows).

    Returns
    -------
    numpy.ndarray
        ``function``'s rows for all the rows, in order.
    """
    import numpy as np

    n_rows = len(arrays[0])
    if run_tasks is None or n_rows < 2:
        return function(arrays)
    bounds = np.linspace(0, n_rows, min(pieces, n_rows) + 1).astype(int)
    cut = [tuple(a[start:stop] for a in arrays) for start, stop in itertools.pairwise(bounds)]
    return np.concatenate(run_tasks(function, cut, label=label))


@dataclass
class Workers:
    """Runs independent tasks where the ``scheduler`` parameter says.

    Attributes
    ----------
    scheduler : str
        The parameter's value.
    client : distributed.Client or None
        The Dask client, or None for local processes.
    n_jobs : int
        Local worker processes (joblib's convention: -1 for every core).
    """

    scheduler: str
    client: Any = None
    n_jobs: int = -1

    @property
    def where(self) -> str:
        """A short description: ``2 local processes`` or ``Dask at tcp://...``."""
        if self.client is None:
            return f"local processes (n_jobs={self.n_jobs})"
        workers = len(self.client.scheduler_info().get("workers", {}))
        place = "a LocalCluster" if self.scheduler == LOCAL else self.scheduler
        return f"Dask ({place}, {workers} workers)"

    @property
    def keras_map(self) -> RunTasks:
        """:meth:`map` on a Dask cluster; :func:`in_this_process` without one.

        For work that gains little from local processes: a few Keras trainings, which
        the notebook's warm TensorFlow runs at once, where a new local process would
        first spend seconds importing it.
        """
        return self.map if self.client is not None else in_this_process

    def map(
        self, function: Callable[[Any], Any], items: Sequence[Any], *, label: str = "tasks"
    ) -> list:
        """``[function(item) for item in items]``, the calls spread over the workers.

        Parameters
        ----------
        function : callable
            A function of one argument; it and the items must pickle (cloudpickle
            for Dask), and it must not depend on the worker it runs in.
        items : Sequence
            One task per item.
        label : str, default="tasks"
            What the tasks are, for the progress shown in the terminal
            (:mod:`digits_helpers.core.progress`).

        Returns
        -------
        list
            The results, in the order of ``items``.
        """
        items = list(items)
        advance = progress.counting(label, len(items))
        if self.client is not None:
            from distributed import as_completed

            # The function carries the data (a partial over the training set): sent to
            # every worker once, not once per task. The items go as data too, not inside
            # the task graph (pieces of images would make a graph of megabytes, which
            # distributed warns about in the notebook).
            [shared] = self.client.scatter([function], broadcast=True, hash=False)
            sent = self.client.scatter(items, hash=False)
            futures = self.client.map(_call, [shared] * len(items), sent, pure=False)
            for _ in as_completed(futures):
                advance()
            return self.client.gather(futures)
        from joblib import Parallel, delayed

        results = []
        calls = (delayed(function)(item) for item in items)
        for result in Parallel(n_jobs=self.n_jobs, return_as="generator")(calls):
            results.append(result)
            advance()
        return results


@contextlib.contextmanager
def backend(scheduler: str, *, n_jobs: int = -1) -> Iterator[Workers]:
    """Run the enclosed work where ``scheduler`` says; joblib follows inside.

    Parameters
    ----------
    scheduler : str
        ``""``, ``"local"`` or ``"tcp://host:port"`` (:func:`check_scheduler`).
    n_jobs : int, default=-1
        Local processes when ``scheduler`` is empty; the LocalCluster's workers when it
        is ``"local"`` (-1: one per core).

    Yields
    ------
    Workers
        Its :meth:`Workers.map` submits independent tasks to the same place.

    Raises
    ------
    ClusterUnreachable
        A ``tcp://`` scheduler that does not answer.
    """
    check_scheduler(scheduler)
    if not scheduler:
        yield Workers(scheduler, None, n_jobs)
        return
    import joblib
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler == LOCAL:
            cores = os.cpu_count() or 1  # joblib's convention: -1 every core, -2 all but one
            workers = max(cores + 1 + n_jobs, 1) if n_jobs < 0 else n_jobs
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # its HTTP server always starts: any free port
                    silence_logs=50,  # logging.CRITICAL: the book stays quiet
                )
            )
            client = stack.enter_context(Client(cluster, set_as_default=True))
        else:
            client = stack.enter_context(_client(scheduler, CONNECT_SECONDS, set_as_default=True))
        stack.enter_context(joblib.parallel_config(backend="dask"))
        yield Workers(scheduler, client, n_jobs)


_chapter_workers = contextlib.ExitStack()
atexit.register(_chapter_workers.close)


def workers(scheduler: str, *, n_jobs: int = -1) -> Workers:
    """The workers of a chapter: chosen once, used by every cell, closed when the kernel ends.

    A notebook calls this once, after its parameters are checked, and passes the result's
    :meth:`Workers.map`, :attr:`Workers.keras_map` and :attr:`Workers.n_jobs` to the
    trainers; with Dask, joblib (so scikit-learn's searches) uses the cluster until the
    kernel exits. A second call (a cell run again in JupyterLab) closes the first's.

    Parameters
    ----------
    scheduler : str
        ``""``, ``"local"`` or ``"tcp://host:port"`` (:func:`check_scheduler`).
    n_jobs : int, default=-1
        As for :func:`backend`.

    Returns
    -------
    Workers
        Open until the interpreter exits or the next call.

    Raises
    ------
    ClusterUnreachable
        A ``tcp://`` scheduler that does not answer.
    """
    _chapter_workers.close()
    return _chapter_workers.enter_context(backend(scheduler, n_jobs=n_jobs))
