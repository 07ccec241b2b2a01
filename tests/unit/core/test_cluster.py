"""The ``scheduler`` parameter: where the searches and the trainings run.

Its checks, and tasks on local processes or a LocalCluster. The real thing (``dask
scheduler`` and two ``dask worker`` processes, the study through their address) is in
``tests/study/test_on_dask.py``.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from digits_helpers.core import cluster

DASK = Path(sys.executable).with_name("dask")
START_SECONDS = 60  # a scheduler and two workers start in a few seconds on two cores


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("value", ["", "local", "tcp://127.0.0.1:8786", "tcp://node-3.lan:1"])
def test_accepted_schedulers(value):
    assert cluster.check_scheduler(value) == value


@pytest.mark.parametrize(
    "value", ["dask", "tcp://127.0.0.1", "tcp://127.0.0.1:0", "tcp://h:70000", "127.0.0.1:8786", 3]
)
def test_refused_schedulers(value):
    with pytest.raises(ValueError, match="'local' \\(a Dask LocalCluster\\)"):
        cluster.check_scheduler(value)


def test_an_address_nobody_listens_on_is_refused_before_anything_runs(tmp_path):
    """`digits-book run` exits 2 with one line naming the address, and runs nothing."""
    from study import digits_book

    address = f"tcp://127.0.0.1:{_free_port()}"
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").touch()
    completed = digits_book(tmp_path, "run", "--check", "--set", f"scheduler={address}")
    assert completed.returncode == 2
    assert f"cannot reach the Dask scheduler at {address}" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "runs").exists()


def test_a_bad_scheduler_value_names_the_parameter(tmp_path):
    from study import digits_book

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").touch()
    completed = digits_book(tmp_path, "run", "--check", "--set", "scheduler=dask://x")
    assert completed.returncode == 2
    assert "scheduler" in completed.stderr and "'dask://x'" in completed.stderr
    assert "Traceback" not in completed.stderr


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("scheduler", ["", "local"])
def test_tasks_come_back_in_order_and_counted_from_processes_or_a_local_cluster(
    scheduler, tmp_path, monkeypatch
):
    from digits_helpers.core import progress

    state = tmp_path / "progress.json"
    monkeypatch.setenv(progress.ENV, str(state))
    with cluster.backend(scheduler, n_jobs=2) as workers:
        assert workers.map(_square, range(7), label="squares") == [0, 1, 4, 9, 16, 25, 36]
        if scheduler:
            assert len(workers.client.scheduler_info()["workers"]) == 2
    assert json.loads(state.read_text()) == {"label": "squares", "done": 7, "total": 7}
    assert cluster.in_this_process(_square, [3, 2]) == [9, 4]


def test_an_address_that_accepts_and_stays_silent_is_refused_in_one_line():
    """A port that accepts the connection but never speaks Dask (a firewall, another
    service): refused as unreachable within the timeout, not a bare TimeoutError."""
    import threading

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        accepted = []
        threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
        with pytest.raises(cluster.ClusterUnreachable) as refused:
            cluster.check_reachable(address, timeout=2)
    message = str(refused.value)
    assert message.startswith(f"cannot reach the Dask scheduler at {address} within 2 s")
    assert "answers nothing" in message
    assert "\n" not in message


def test_a_chapters_workers_stay_open_for_joblib_until_the_next_are_chosen():
    from joblib.parallel import get_active_backend

    chosen = cluster.workers("local", n_jobs=2)
    try:
        assert chosen.map(_square, [1, 2, 3]) == [1, 4, 9]
        assert type(get_active_backend()[0]).__name__ == "DaskDistributedBackend"
        assert chosen.keras_map == chosen.map
    finally:
        again = cluster.workers("", n_jobs=1)  # a notebook's cell run again
    assert chosen.client.status == "closed"
    assert type(get_active_backend()[0]).__name__ != "DaskDistributedBackend"
    assert again.keras_map is cluster.in_this_process and again.n_jobs == 1


def _rows_times_ten(arrays):
    (rows,) = arrays
    return rows * 10


def test_in_pieces_cuts_consecutive_rows_and_puts_the_results_back_in_order():
    import numpy as np

    seen = []

    def run_tasks(function, items, *, label):
        seen.extend(len(piece[0]) for piece in items)
        return [function(piece) for piece in reversed(items)][::-1]  # computed out of order

    rows = np.arange(21)
    together = cluster.in_pieces(_rows_times_ten, (rows,), run_tasks=run_tasks, pieces=4)
    np.testing.assert_array_equal(together, rows * 10)
    assert seen == [5, 5, 5, 6]
    assert cluster.in_pieces(_rows_times_ten, (rows[:3],), run_tasks=run_tasks).shape == (3,)
    assert seen[4:] == [1, 1, 1]  # never an empty piece


def test_without_workers_in_pieces_is_one_call():
    import numpy as np

    calls = []

    def function(arrays):
        calls.append(len(arrays[0]))
        return arrays[0]

    cluster.in_pieces(function, (np.arange(9),))
    assert calls == [9]


def test_pieces_of_a_large_array_reach_a_local_cluster_as_data_not_in_the_graph():
    """distributed warns in the notebook ("Sending large graph of size ...") when the
    items travel inside the task graph; chapter 7's pieces of images did, under Dask."""
    import warnings

    import numpy as np

    rows = np.arange(2_000_000, dtype=np.float64).reshape(-1, 8)  # 16 MB
    with (
        cluster.backend("local", n_jobs=2) as workers,
        warnings.catch_warnings(record=True) as seen,
    ):
        warnings.simplefilter("always")
        together = cluster.in_pieces(_rows_times_ten, (rows,), run_tasks=workers.map)
    np.testing.assert_array_equal(together, rows * 10)
    assert not [w for w in seen if "large graph" in str(w.message)]
