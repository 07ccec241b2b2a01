"""What every level of the tests shares: the dataset, its split, and the runs of the study.

The tests are laid out by what they cost (``tests/README.md``):

- ``unit/``: functions and commands in-process, no TensorFlow, notebook or browser;
- ``training/``: small TensorFlow trainings in-process (marked ``tensorflow``);
- ``study/``: the notebooks executed, through ``digits-book run``, papermill, nbval or
  JupyterLab (marked ``notebooks``);
- ``book/``: the strict build, the pages in a real browser, ``publish``.

Each level's ``conftest.py`` marks its tests, and ``-m`` leaves a level out without
importing it (:mod:`tiers`). The slow tier (``make test-all`` after ``make test``) is
marked ``slow``: whole-study work beyond the smoke run. The session fixtures below run each
study once per pytest session, in one copy of the project: a test that changes notebooks,
runs or git state works on a copy of its own.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# A shell without job control starts its background commands with Ctrl-C (SIGINT)
# ignored, and every process they start inherits that: the tests that press Ctrl-C in a
# child process (test_lean_mlp, test_run_faults, test_kernel_noise) would then wait for
# nothing. With Python's own handler here, children start with SIGINT delivered again.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def digits():
    from digits_helpers.data import load_dataset

    return load_dataset("digits")


@pytest.fixture(scope="session")
def split(digits):
    from digits_helpers.data import split_dataset

    return split_dataset(digits, test_size=0.2, random_state=42)


@pytest.fixture(scope="session")
def study_project(tmp_path_factory) -> Path:
    """A copy of the project's sources, where the session's runs are made and built.

    Tests read it; one that changes notebooks, runs or git state copies what it needs
    (``tests/book/test_publish.py``).
    """
    from study import copy_sources

    return copy_sources(tmp_path_factory.mktemp("study") / "digits-book")


@pytest.fixture(scope="session")
def smoke_results(study_project) -> dict:
    """results.json of the smoke profile with its default parameters, run once a session.

    ``runs/smoke``: every chapter's code path, about a minute on two cores.
    """
    from study import run_study

    return run_study(study_project, "smoke", profile="smoke")


@pytest.fixture(scope="session")
def quick_results(study_project) -> dict:
    """results.json of the quick profile, run once a session (slow tier)."""
    from study import run_study

    return run_study(study_project, "quick", profile="quick")


@pytest.fixture(scope="session")
def seed7(study_project, smoke_results) -> tuple[dict, str]:
    """results.json of the smoke profile on another split, and runs/LATEST just after it.

    Run after ``smoke`` (slow tier). ``LATEST`` is read here, as the run left it: other
    tests run and build in the same project afterwards.
    """
    import json

    from study import SEED7_SETTINGS, run_study

    settings = [f"{name}={json.dumps(value)}" for name, value in SEED7_SETTINGS.items()]
    results = run_study(study_project, "seed7", *settings, profile="smoke")
    return results, (study_project / "runs" / "LATEST").read_text().strip()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """nbval's cells of notebooks/*.ipynb execute the study's notebooks: ``notebooks``."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
