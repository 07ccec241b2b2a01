"""Level ``book``: the smoke run rendered by the strict build, read in a real browser,
published to a local bare remote.

Every test here is marked ``notebooks`` (it needs the session's run); those that drive
the browser are marked ``browser`` too, the second split's book also ``slow``.
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
