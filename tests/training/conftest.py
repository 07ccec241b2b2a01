"""Level ``training``: small TensorFlow trainings and the modules that load TensorFlow.

Every test here is marked ``tensorflow``; ``-m "not tensorflow"`` does not import them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tiers import deselected, mark_level

HERE = Path(__file__).parent
MARKERS = ("tensorflow",)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return deselected(config, MARKERS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_level(items, HERE, MARKERS)
