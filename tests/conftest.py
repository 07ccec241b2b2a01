"""Shared fixtures: the real dataset and its default split, and one run of the study."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]


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
    """A copy of the project's sources, shared by the end-to-end modules.

    ``test_study_run.py`` runs and builds in it; a module that changes notebooks,
    runs or git state works on its own copy (see ``test_publish.py``).
    """
    from study import copy_sources

    return copy_sources(tmp_path_factory.mktemp("study") / "digits-book")


@pytest.fixture(scope="session")
def quick_results(study_project) -> dict:
    """results.json of the quick profile with its default parameters, run once a session."""
    from study import run_study

    return run_study(study_project, "quick")
