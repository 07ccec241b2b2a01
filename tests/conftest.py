"""What every level of the tests shares: the dataset, its split, and the runs of the study.

The tests are laid out by what they cost (``tests/README.md``):

- ``unit/``: functions and commands in-process, no TensorFlow, notebook or browser;
- ``training/``: small TensorFlow trainings in-process (marked ``tensorflow``);
- ``study/``: the notebooks executed, through ``digits-book run``, papermill, nbval or
  JupyterLab (marked ``notebooks``);
- ``book/``: the strict build, the pages in a real browser, ``publish``.

Each level's ``conftest.py`` marks its tests, and ``-m`` leaves a level out without
importing it (:mod:`tiers`). The slow tier (``make test-all`` after ``make test``) is
marked ``slow``: whole-study work beyond the smoke run.

One study per session. ``make test`` runs on both cores (pytest-xdist, one worker per
core); the runs below are made once per session whichever worker asks first, in one copy
of the project shared by the workers (a file lock orders them), and the others read the
result. A test that changes notebooks, runs or git state works on a copy of its own. How
the tests are grouped and ordered for the workers: :mod:`worker_groups`.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from filelock import FileLock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# A shell without job control starts its background commands with Ctrl-C (SIGINT)
# ignored, and every process they start inherits that: the tests that press Ctrl-C in a
# child process (test_lean_mlp, test_run_faults, test_kernel_noise) would then wait for
# nothing. With Python's own handler here, children start with SIGINT delivered again.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def digits():
    from digits_helpers.data.digits import load_dataset

    return load_dataset("digits")


@pytest.fixture(scope="session")
def split(digits):
    from digits_helpers.data.digits import split_dataset

    return split_dataset(digits, test_size=0.2, random_state=42)


def _session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this session sees: under xdist, the workers' common parent."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def study_project(tmp_path_factory) -> Path:
    """A copy of the project's sources, where the session's runs are made and built.

    Tests read it; one that changes notebooks, runs or git state copies what it needs
    (``tests/book/test_publish.py``, ``tests/study/test_study_faults.py``).
    """
    from study import copy_sources

    shared = _session_folder(tmp_path_factory)
    project = shared / "study" / "digits-book"
    with FileLock(shared / "study.lock"):
        if not (project / "_toc.yml").exists():
            copy_sources(project)
    return project


def _run_once(project: Path, name: str, *settings: str, profile: str) -> dict:
    """``run_study`` once per session: the first worker runs, the others read its record.

    Returns ``results.json`` plus, under ``"LATEST"``, what ``runs/LATEST`` said right
    after the run (later runs move it). A run that failed is not tried again by the next
    worker: it fails with the first one's message.
    """
    from study import run_study

    record = project.parent / f"{name}.json"
    with FileLock(project.parent / f"{name}.lock"):
        if record.exists():
            done = json.loads(record.read_text())
            if "failed" in done:
                pytest.fail(f"the {name} run failed in another worker:\n{done['failed']}")
            return done
        try:
            results = run_study(project, name, *settings, profile=profile)
        except BaseException as exc:
            record.write_text(json.dumps({"failed": str(exc)}))
            raise
        latest = (project / "runs" / "LATEST").read_text().strip()
        record.write_text(json.dumps({**results, "LATEST": latest}))
        return {**results, "LATEST": latest}


def _results(done: dict) -> dict:
    return {key: value for key, value in done.items() if key != "LATEST"}


@pytest.fixture(scope="session")
def smoke_results(study_project) -> dict:
    """results.json of the smoke profile with its default parameters, run once a session.

    ``runs/smoke``: every chapter's code path, in a few minutes on two cores.
    """
    return _results(_run_once(study_project, "smoke", profile="smoke"))


@pytest.fixture(scope="session")
def quick_results(study_project) -> dict:
    """results.json of the quick profile, run once a session (slow tier)."""
    return _results(_run_once(study_project, "quick", profile="quick"))


@pytest.fixture(scope="session")
def seed7(study_project, smoke_results) -> tuple[dict, str]:
    """results.json of the smoke profile on another split, and runs/LATEST just after it.

    Run after ``smoke`` (slow tier).
    """
    from study import SEED7_SETTINGS

    settings = [f"{name}={json.dumps(value)}" for name, value in SEED7_SETTINGS.items()]
    done = _run_once(study_project, "seed7", *settings, profile="smoke")
    return _results(done), done["LATEST"]
