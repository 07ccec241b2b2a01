"""Level ``study``: the notebooks executed, as users execute them.

Through ``digits-book run`` (the session's smoke run, ``conftest.smoke_results``, and
tiny stand-in projects for the pipeline's faults), plain papermill, nbval and JupyterLab.
Every test here is marked ``notebooks``; the whole-study work beyond the smoke run
(the quick profile, a Dask cluster, MNIST, other CPU kernels) is also marked ``slow``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tiers import deselected, mark_level

HERE = Path(__file__).parent
MARKERS = ("notebooks",)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return deselected(config, MARKERS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_level(items, HERE, MARKERS)
