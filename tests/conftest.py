"""Shared fixtures (the dataset, its split, one run of the study) and the slow tiers' markers.

Test tiers
----------
Three markers, registered in pyproject.toml, name what is slow; ``make test-fast`` runs
``pytest tests -m "not tensorflow and not notebooks and not browser"`` (under a minute),
``make test`` runs everything. When you add a test, mark it if it

- ``tensorflow``: trains in TensorFlow, or imports a module that loads it
  (``digits_helpers.keras_mlp``, ``beyond``, ``compare``, ``tf_runtime``);
- ``notebooks``: executes notebooks: the study's, the pipeline's stand-ins, or
  ``digits-book run`` (the notebooks/*.ipynb that nbval runs get it automatically);
- ``browser``: opens a page in a real browser (:mod:`find_browser`).

Mark a whole module with ``pytestmark = pytest.mark.tensorflow`` (a name or a list of
``pytest.mark.*``, at the top level): a module so marked that ``-m`` deselects is not even
imported, which keeps TensorFlow out of the fast tier. Mark single tests with
``@pytest.mark.notebooks``. Unregistered markers are errors (``--strict-markers``).
"""

from __future__ import annotations

import ast
import itertools
import os
import re
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

ROOT = Path(__file__).resolve().parents[1]
_NOT_MARKERS = {"and", "or", "not"}


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


def module_markers(path: Path) -> set[str]:
    """The markers of a test module's top-level ``pytestmark``, read without importing it.

    Parameters
    ----------
    path : pathlib.Path
        A test module.

    Returns
    -------
    set of str
        ``{"tensorflow"}`` for ``pytestmark = pytest.mark.tensorflow`` or
        ``pytestmark = [pytest.mark.tensorflow]``; empty without ``pytestmark``.
    """
    tree = ast.parse(path.read_bytes(), filename=str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
        ):
            value = node.value
            marks = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            for mark in marks:
                mark = mark.func if isinstance(mark, ast.Call) else mark
                if isinstance(mark, ast.Attribute):
                    names.add(mark.attr)
    return names


def deselects_module(markexpr: str, markers: set[str]) -> bool:
    """Whether ``-m markexpr`` deselects every test of a module carrying ``markers``.

    True only when the expression is false whatever other markers a test adds, so that
    ``-m tensorflow`` still collects an unmarked module with one ``tensorflow`` test.
    """
    from _pytest.mark.expression import Expression  # what -m itself evaluates with

    expression = Expression.compile(markexpr)
    others = sorted(set(re.findall(r"[\w.-]+", markexpr)) - _NOT_MARKERS - markers)
    if len(others) > 10:
        return False
    for n in range(len(others) + 1):
        for extra in itertools.combinations(others, n):
            present = markers | set(extra)
            if expression.evaluate(lambda name, /, **kwargs: name in present):  # noqa: B023
                return False
    return True


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip importing a module whose ``pytestmark`` the ``-m`` expression deselects."""
    markexpr = config.getoption("markexpr", "")
    if not markexpr or collection_path.suffix != ".py" or collection_path.parent != ROOT / "tests":
        return None
    markers = module_markers(collection_path)
    return True if markers and deselects_module(markexpr, markers) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """nbval's cells of notebooks/*.ipynb execute the study's notebooks: ``notebooks``."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
