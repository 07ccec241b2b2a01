"""The test levels and tiers: what each folder may load, and how ``-m`` selects them.

A test module of ``unit/`` must not import TensorFlow (through ``digits_helpers``), or
``make test-fast`` would load it; the modules that do live in ``training/`` and deeper
levels, whose ``conftest.py`` marks them. Checked here on the sources.
"""

from __future__ import annotations

import ast
import re

import pytest
from study import REPO as ROOT
from tiers import deselects

PACKAGE = ROOT / "digits_helpers"
TESTS = ROOT / "tests"
PREFIX = "digits_helpers."
# What each level's conftest.py puts on every test under it.
LEVEL_MARKERS = {
    "unit": set(),
    "training": {"tensorflow"},
    "study": {"notebooks"},
    "book": {"notebooks"},
}


def _module_names() -> set[str]:
    """The package's modules, dotted below it: ``models.keras_mlp``."""
    return {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
        if path.stem != "__init__"
    }


def _imported_modules(tree: ast.AST, top_level_only: bool) -> set[str]:
    """digits_helpers modules a module imports, dotted below the package.

    ``from digits_helpers.models import keras_mlp`` and
    ``from digits_helpers.models.keras_mlp import train`` both give ``models.keras_mlp``.
    """
    modules = _module_names()
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PREFIX):
            base = node.module.removeprefix(PREFIX)
            for alias in node.names:
                names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        elif isinstance(node, ast.Import):
            names |= {a.name.removeprefix(PREFIX) for a in node.names if a.name.startswith(PREFIX)}
    return names


def _loads_tensorflow(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] in ("tensorflow", "keras") for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "tensorflow",
            "keras",
        ):
            return True
    return False


def tensorflow_modules() -> set[str]:
    """digits_helpers modules whose import loads TensorFlow, from their sources."""
    trees = {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts): ast.parse(path.read_bytes())
        for path in PACKAGE.rglob("*.py")
    }
    loading = {name for name, tree in trees.items() if _loads_tensorflow(tree)}
    while True:
        more = {
            name
            for name, tree in trees.items()
            if name not in loading and _imported_modules(tree, True) & loading
        }
        if not more:
            return loading
        loading |= more


def test_the_tensorflow_modules_are_found():
    found = tensorflow_modules()
    assert {"models.tf_runtime", "models.keras_mlp", "models.beyond", "study.compare"} <= found
    assert not {"data.digits", "models.search", "study.plots", "run.pipeline", "run.params"} & found


@pytest.mark.parametrize(
    "path",
    sorted((TESTS / "unit").rglob("test_*.py")),
    ids=lambda path: path.relative_to(TESTS / "unit").with_suffix("").as_posix(),
)
def test_a_unit_test_module_does_not_import_tensorflow(path):
    tree = ast.parse(path.read_bytes())
    imported = _imported_modules(tree, top_level_only=False)
    assert not imported & tensorflow_modules(), f"{path.name}: move it to tests/training/"
    assert not _loads_tensorflow(tree), f"{path.name}: move it to tests/training/"


def test_every_test_module_is_in_a_level():
    loose = sorted(p.name for p in TESTS.glob("test_*.py"))
    assert loose == [], "put each test module in unit/, training/, study/ or book/"
    levels = {p.name for p in TESTS.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert levels == set(LEVEL_MARKERS)


@pytest.mark.parametrize("level", sorted(LEVEL_MARKERS))
def test_each_level_conftest_marks_its_tests_as_documented(level):
    conftest = TESTS / level / "conftest.py"
    source = conftest.read_text()
    match = re.search(r"^MARKERS = \(([^)]*)\)", source, re.MULTILINE)
    declared = set(re.findall(r'"(\w+)"', match.group(1))) if match else set()
    assert declared == LEVEL_MARKERS[level]


FAST = "not tensorflow and not notebooks and not browser"


@pytest.mark.parametrize(
    ("markexpr", "markers", "deselected"),
    [
        (FAST, {"tensorflow"}, True),
        (FAST, {"notebooks"}, True),
        (FAST, set(), False),
        ("not slow", {"notebooks"}, False),  # some of the level's tests are not slow
        ("slow", {"notebooks"}, False),  # some of them are
        ("slow", {"tensorflow"}, False),  # a slow test may sit in any level
        ("not browser", {"notebooks"}, False),
        ("tensorflow", {"notebooks"}, False),
        ("not notebooks or browser", {"notebooks"}, False),
        ("not notebooks", {"notebooks"}, True),
        ("", {"notebooks"}, False),
    ],
)
def test_a_level_is_skipped_only_when_none_of_its_tests_can_be_selected(
    markexpr, markers, deselected
):
    assert deselects(markexpr, markers) is deselected


def test_the_committed_notebooks_are_one_group_and_other_tests_group_by_module():
    from worker_groups import group

    assert group("notebooks/05_comparison.ipynb::Cell 3") == "nbval"
    assert group("notebooks/01_preprocessing.ipynb::Cell 0") == "nbval"
    assert group("tests/unit/test_data.py::test_x[1-2]") == "tests/unit/test_data.py"
    assert group("tests/book/test_pages.py::test_y[smoke-intro]") == "tests/book/test_pages.py"
