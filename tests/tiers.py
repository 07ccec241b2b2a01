"""How a level of the tests (a folder: ``training/``, ``study/``, ``book/``) is marked.

Each level's ``conftest.py`` names the markers of its tests and calls the two functions
here from its hooks: :func:`mark_level` puts the markers on every test collected under the
folder, :func:`deselected` tells pytest not even to import the folder's modules when the
``-m`` expression leaves them all out (``make test-fast`` never loads TensorFlow).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

_NOT_MARKERS = {"and", "or", "not"}


def deselects(markexpr: str, markers: set[str] | tuple[str, ...]) -> bool:
    """Whether ``-m markexpr`` deselects every test that carries ``markers``.

    True only when the expression is false whatever other markers a test adds, so that
    ``-m slow`` still collects a level whose tests are not all slow.

    Parameters
    ----------
    markexpr : str
        The ``-m`` expression (empty: everything is selected).
    markers : set or tuple of str
        The markers every test of the level carries.

    Returns
    -------
    bool
    """
    if not markexpr:
        return False
    from _pytest.mark.expression import Expression  # what -m itself evaluates with

    markers = set(markers)
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


def deselected(config: pytest.Config, markers: tuple[str, ...]) -> bool | None:
    """``pytest_ignore_collect``'s answer for a level's paths: True when ``-m`` drops them."""
    return True if deselects(config.getoption("markexpr", ""), markers) else None


def mark_level(items: list[pytest.Item], folder: Path, markers: tuple[str, ...]) -> None:
    """Add ``markers`` to every collected test under ``folder``."""
    for item in items:
        if folder in item.path.parents:
            for marker in markers:
                item.add_marker(getattr(pytest.mark, marker))
