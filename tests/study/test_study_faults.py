"""SIGKILL in the middle of the study's own Keras notebook.

In a copy of the shared study project that carries its cache of executed notebooks: the
run ``faults`` first reuses the session's smoke run from the cache (seconds);
a second run of the same name with another Keras architecture then reuses
01 and 02, starts executing 03_keras_sweeps, and is killed once its kernel works.
The earlier ``runs/faults/`` must be intact byte for byte, its book must still
build, and the next run must succeed and clear what the killed one left behind.
The other faults run on a tiny project in ``test_run_faults.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from study import (
    assert_no_debris,
    assert_succeeded,
    copy_sources,
    digits_book,
    kernels_under,
    snapshot,
    start,
    wait_for,
)

from digits_helpers.core.registry import STAGES

NAME = "faults"


@pytest.fixture
def project(study_project, smoke_results, tmp_path) -> Path:
    """The sources and the session's cache of executed notebooks, in a folder of its own."""
    copy = copy_sources(tmp_path / "digits-book")
    shutil.copytree(study_project / "runs" / ".cache", copy / "runs" / ".cache")
    return copy


def test_sigkill_in_the_keras_notebook_keeps_the_earlier_run_which_still_builds(project):
    runs = project / "runs"
    assert_succeeded(digits_book(project, "run", "--profile", "smoke", "--name", NAME))
    earlier = snapshot(runs / NAME)

    killed = start(
        project, "run", "--profile", "smoke", "--name", NAME, "--set", "keras_hidden_units=[48]"
    )
    staging = runs / f".staging-{NAME}-{killed.pid}"
    # 01 and 02 come from the cache; a kernel working in the staging folder is 03's.
    wait_for(lambda: kernels_under(staging) != [], timeout=600, what="the Keras notebook")
    time.sleep(5)  # into its imports and training
    os.kill(killed.pid, signal.SIGKILL)
    _, stderr = killed.communicate(timeout=60)
    # The orphaned kernel shares the pipe and may say that its parent died; the run's own
    # lines end with the Keras notebook starting, then at most its progress (it may have
    # reached its training in the 5 s), never its end.
    own = [line for line in stderr.splitlines() if not line.startswith("[IPKernelApp]")]
    keras = f"[3/{len(STAGES)}] 03_keras_sweeps"
    after = own[own.index(f"{keras}: executing") :]
    assert all(line.startswith(f"{keras}: ") for line in after), after
    assert not any(" done in " in line for line in after), after
    assert snapshot(runs / NAME) == earlier
    assert staging.is_dir()
    assert list(staging.glob(".digits-book-progress-*.json"))  # in staging, not in /tmp
    wait_for(lambda: kernels_under(runs) == [], timeout=60, what="the orphaned kernel to exit")

    assert_succeeded(digits_book(project, "build", "--run", NAME))
    rerun = digits_book(project, "run", "--profile", "smoke", "--name", NAME)
    assert_succeeded(rerun)
    assert f"removed what killed runs left behind: runs/{staging.name}" in rerun.stderr
    assert_no_debris(project)
