"""The ``scheduler`` parameter: where the searches and the trainings run.

The real thing: ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, and
the quick profile run through their address, compared with the local run.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from digits_helpers import cluster

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
    from digits_helpers import progress

    state = tmp_path / "progress.json"
    monkeypatch.setenv(progress.ENV, str(state))
    with cluster.backend(scheduler, n_jobs=2) as workers:
        assert workers.map(_square, range(7), label="squares") == [0, 1, 4, 9, 16, 25, 36]
        if scheduler:
            assert len(workers.client.scheduler_info()["workers"]) == 2
    assert json.loads(state.read_text()) == {"label": "squares", "done": 7, "total": 7}
    assert cluster.here(_square, [3, 2]) == [9, 4]


# --- a real cluster: `dask scheduler` and two `dask worker` processes -----------------


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """The address of a scheduler with two single-threaded workers, all on 127.0.0.1."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = [open(folder / f"{name}.log", "w") for name in ("scheduler", "worker-1", "worker-2")]  # noqa: SIM115
    common = {"cwd": folder, "stderr": subprocess.STDOUT, "env": {**os.environ}}
    processes = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1]]
            + ["--dashboard-address", ":0"],  # its HTTP server always starts
            stdout=logs[0],
            **common,
        )
    ]
    try:
        for log in logs[1:]:
            processes.append(
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard"]
                    + ["--local-directory", str(folder), "--host", "127.0.0.1"],
                    stdout=log,
                    **common,
                )
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with Client(address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(2, timeout=max(deadline - time.monotonic(), 1))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


@pytest.mark.notebooks
def test_the_grid_search_on_the_cluster_is_scikit_learns_to_the_bit(dask_cluster):
    """joblib's Dask backend runs scikit-learn's GridSearchCV unchanged: every score and
    the best model's predictions equal those of local processes."""
    from digits_helpers import data, search

    split = data.load_split("digits", test_size=0.2, random_state=42)
    grid = {"hidden_layer_sizes": [[32]], "alpha": [0.01], "learning_rate_init": [0.001, 0.01]}
    found = {}
    for scheduler in ("", dask_cluster):
        with cluster.backend(scheduler, n_jobs=2):
            found[scheduler] = search.run_search(
                split.X_train, split.y_train, grid, strategy="grid", cv=3, max_iter=30
            )
    local, remote = found[""], found[dask_cluster]
    scores = [c for c in local.cv_results if c.endswith("_test_score") or c == "params"]
    assert local.cv_results[scores].equals(remote.cv_results[scores])
    assert local.best_params == remote.best_params
    np.testing.assert_array_equal(
        local.best_estimator.predict(split.X_test), remote.best_estimator.predict(split.X_test)
    )


# What may differ between two runs of the same parameters: the clock, the parameters'
# `scheduler` itself, and file digests of Keras models (their archives record a date).
_MAY_DIFFER = ("seconds", "timings", "sha256", "versions", "train_time")


def _same(local, remote, where="results.json") -> list[str]:
    if isinstance(local, dict) and isinstance(remote, dict):
        problems = [] if local.keys() == remote.keys() else [f"{where}: keys differ"]
        for key in local.keys() & remote.keys():
            if not any(word in key for word in _MAY_DIFFER):
                problems += _same(local[key], remote[key], f"{where}.{key}")
        return problems
    if isinstance(local, list) and isinstance(remote, list) and len(local) == len(remote):
        pairs = enumerate(zip(local, remote, strict=True))
        return [p for i, (a, b) in pairs for p in _same(a, b, f"{where}[{i}]")]
    if isinstance(local, float) and isinstance(remote, float) and math.isnan(local):
        return [] if math.isnan(remote) else [f"{where}: nan != {remote!r}"]
    return [] if local == remote else [f"{where}: {local!r} != {remote!r}"]


@pytest.mark.notebooks
@pytest.mark.tensorflow
def test_the_quick_study_through_a_cluster_equals_the_local_run(
    dask_cluster, study_project, quick_results
):
    """The issue's test: the quick profile through the scheduler's address gives the
    local run's results: same split, best parameters, scores, predictions and choices."""
    from study import assert_succeeded, digits_book

    completed = digits_book(
        study_project,
        "run",
        "--profile",
        "quick",
        "--name",
        "on-dask",
        "--set",
        f"scheduler={dask_cluster}",
    )
    assert_succeeded(completed)
    remote_log = completed.stderr
    remote = json.loads((study_project / "runs" / "on-dask" / "results.json").read_text())
    assert remote["parameters"]["scheduler"] == dask_cluster
    assert quick_results["parameters"]["scheduler"] == ""
    local_parameters = {**quick_results["parameters"], "scheduler": dask_cluster}
    assert remote["parameters"] == local_parameters
    differences = _same(
        {k: v for k, v in quick_results.items() if k != "parameters"},
        {k: v for k, v in remote.items() if k != "parameters"},
    )
    assert not differences, "\n".join(differences[:20])
    noise = [
        f"{notebook.name} cell {index}: {output.get('text', '')[:200]}"
        for notebook in sorted((study_project / "runs" / "on-dask").glob("*.ipynb"))
        for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells)
        for output in cell.get("outputs", [])
        if output.get("name") == "stderr" or output.get("output_type") == "error"
    ]
    assert not noise, "the book would show:\n" + "\n".join(noise)  # the book stays quiet
    assert "search: fits 6/6" in remote_log  # the terminal showed the work as it finished
