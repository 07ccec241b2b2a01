"""How ``make test`` shares the tests between its workers (pytest-xdist, ``--dist loadscope``).

Loaded for the whole session (``-p worker_groups`` in pyproject.toml), so that it sees the
committed notebooks' cells too, which no ``conftest.py`` of ``tests/`` covers:

- every test belongs to a group, the unit a worker takes whole: the committed notebooks
  together (each reads what the one before saved, and nbval runs a notebook's cells in one
  kernel), else the test's module (its module fixtures run once). xdist's own
  ``xdist_group`` marker does nothing under pytest 9.2 (xdist 3.8 renames ``item._nodeid``,
  which pytest 9.2 no longer reads), so the groups are given to xdist's scope scheduler
  through its documented hook, :func:`pytest_xdist_make_scheduler`;
- the tests are sorted, stably: the module that makes the session's smoke run first, then
  the notebooks under nbval, then what needs no run of the study, then the rest of what
  reads the run. With ``--no-loadscope-reorder`` the workers take the groups in that
  order, so one of them makes the smoke run while the other works on what does not need it.
"""

from __future__ import annotations

import pytest

# Fixtures that make or read the session's runs of the study (tests/conftest.py).
RUN_FIXTURES = frozenset({"study_project", "smoke_results", "quick_results", "seed7"})
# The module whose tests make the smoke run first.
FIRST_RUN_MODULE = "test_study_run.py"
NOTEBOOKS_GROUP = "nbval"


def group(nodeid: str) -> str:
    """The unit of work a worker takes whole: ``nbval``, or the test's module."""
    path = nodeid.split("::", 1)[0]
    return NOTEBOOKS_GROUP if path.endswith(".ipynb") else path


def order(item: pytest.Item) -> int:
    """Where a test's group goes in the queue (see the module's docstring)."""
    if item.path.name == FIRST_RUN_MODULE:
        return 0
    if item.path.suffix == ".ipynb":
        return 1
    if RUN_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
        return 2
    return 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark nbval's cells ``notebooks`` and sort the tests by :func:`order`."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
    items.sort(key=order)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With ``--dist loadscope``: xdist's scope scheduler, its scopes being :func:`group`."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid)

    return GroupScheduling(config, log)
