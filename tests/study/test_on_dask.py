"""The study on a real Dask cluster: ``dask scheduler`` and two ``dask worker`` processes.

They run on 127.0.0.1; scikit-learn's grid search through joblib's Dask backend must equal
local processes to the bit, and the smoke profile run through the scheduler's address must
give the local smoke run's results. The ``scheduler`` parameter's own checks are unit tests
(``tests/unit/core/test_cluster.py``). Slow tier: ``make test-all``.
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

from digits_helpers.core import cluster

pytestmark = pytest.mark.slow

DASK = Path(sys.executable).with_name("dask")
START_SECONDS = 60  # a scheduler and two workers start in a few seconds on two cores


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def test_the_grid_search_on_the_cluster_is_scikit_learns_to_the_bit(dask_cluster):
    """joblib's Dask backend runs scikit-learn's GridSearchCV unchanged: every score and
    the best model's predictions equal those of local processes."""
    from digits_helpers.data import digits as data
    from digits_helpers.models import search

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


# What may differ between two runs of the same parameters: the clock (timings, a model's
# milliseconds per digit), the parameters' `scheduler` itself, and file digests of Keras
# models (their archives record a date).
# Wall-clock measurements, which differ between any two runs: keys holding these words.
_MAY_DIFFER = (
    "seconds",
    "timings",
    "sha256",
    "versions",
    "train_time",
    "ms_per_digit",
    "training s,",  # chapter 5's plain libraries beside this project's path
    "ms per digit",
)


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


def test_the_smoke_study_through_a_cluster_equals_the_local_run(
    dask_cluster, study_project, smoke_results
):
    """The smoke profile through the scheduler's address gives the
    local run's results: same split, best parameters, scores, predictions and choices."""
    from study import assert_succeeded, digits_book

    completed = digits_book(
        study_project,
        "run",
        "--profile",
        "smoke",
        "--name",
        "on-dask",
        "--set",
        f"scheduler={dask_cluster}",
    )
    assert_succeeded(completed)
    remote_log = completed.stderr
    remote = json.loads((study_project / "runs" / "on-dask" / "results.json").read_text())
    assert remote["parameters"]["scheduler"] == dask_cluster
    assert smoke_results["parameters"]["scheduler"] == ""
    local_parameters = {**smoke_results["parameters"], "scheduler": dask_cluster}
    assert remote["parameters"] == local_parameters
    differences = _same(
        {k: v for k, v in smoke_results.items() if k != "parameters"},
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
    assert "search: fits 3/3" in remote_log  # the terminal showed the work as it finished
