"""The slow tiers' markers: how conftest reads them, and that the fast tier stays fast.

A test module that imports TensorFlow (through ``digits_helpers``) must be marked
``tensorflow``, or ``make test-fast`` would load it: checked here on the sources.
"""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT, deselects_module, module_markers

FAST = "not tensorflow and not notebooks and not browser"  # the Makefile's FAST
PACKAGE = ROOT / "digits_helpers"
PREFIX = "digits_helpers."


def _imported_modules(tree: ast.AST, top_level_only: bool) -> set[str]:
    """digits_helpers modules a module imports (``from digits_helpers import x`` -> x)."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module == "digits_helpers":
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PREFIX):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith(PREFIX)}
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
    trees = {path.stem: ast.parse(path.read_bytes()) for path in PACKAGE.glob("*.py")}
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
    assert {"tf_runtime", "keras_mlp", "beyond", "compare"} <= tensorflow_modules()
    assert not {"data", "search", "plots", "pipeline", "params"} & tensorflow_modules()


@pytest.mark.parametrize(
    "path", sorted((ROOT / "tests").glob("test_*.py")), ids=lambda path: path.stem
)
def test_a_module_that_imports_tensorflow_is_marked_tensorflow(path):
    imported = _imported_modules(ast.parse(path.read_bytes()), top_level_only=True)
    if imported & tensorflow_modules():
        assert "tensorflow" in module_markers(path), (
            f"{path.name} imports TensorFlow: add pytestmark = pytest.mark.tensorflow"
        )


def test_module_markers_are_read_without_importing(tmp_path):
    module = tmp_path / "test_x.py"
    module.write_text("import pytest\npytestmark = pytest.mark.tensorflow\n")
    assert module_markers(module) == {"tensorflow"}
    module.write_text(
        "import pytest\npytestmark = [pytest.mark.notebooks, pytest.mark.skipif(True, reason='')]"
    )
    assert module_markers(module) == {"notebooks", "skipif"}
    module.write_text("def f():\n    pytestmark = 1\n")
    assert module_markers(module) == set()


@pytest.mark.parametrize(
    ("markexpr", "markers", "deselected"),
    [
        (FAST, {"tensorflow"}, True),
        (FAST, {"notebooks"}, True),
        (FAST, {"skipif"}, False),
        ("not browser", {"notebooks"}, False),  # some of its tests may not be browser
        ("tensorflow", {"notebooks"}, False),  # one of its tests may be tensorflow too
        ("not notebooks or browser", {"notebooks"}, False),
        ("not notebooks", {"notebooks"}, True),
    ],
)
def test_a_module_is_skipped_only_when_none_of_its_tests_can_be_selected(
    markexpr, markers, deselected
):
    assert deselects_module(markexpr, markers) is deselected


def test_test_study_run_and_the_tensorflow_modules_are_out_of_the_fast_tier():
    tests = ROOT / "tests"
    out = {p.stem for p in tests.glob("test_*.py") if deselects_module(FAST, module_markers(p))}
    slow = {"test_keras_mlp", "test_beyond", "test_compare", "test_study_run", "test_lab"}
    assert slow <= out
    assert "test_tiers" not in out and "test_params" not in out
