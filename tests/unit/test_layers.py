"""Imports point one way: each module uses only its own layer and the layers below."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "digits_helpers"
# From the bottom up: names, formats and reading an image; data, records and saved models;
# training; the study's comparison, prose and reading files with a model; running,
# building and publishing it.
LAYERS = (
    {
        "registry",
        "formatting",
        "values",
        "tf_runtime",
        "files",
        "lean_mlp",
        "ipkernel",
        "progress",
        "cluster",
    }
    | {"segment", "scan", "mnist_files", "mnist_package", "project"},
    {"data", "results", "keras_config", "plots", "plotly_offline", "augment", "artifacts"},
    {"keras_mlp", "keras_sweep", "search", "beyond", "evaluate"},
    {"compare", "library_costs", "narrative", "predict", "reading", "other_hands", "reader"},
    {"params", "kernel", "parameter_page", "pipeline", "book", "publish", "cli", "__main__"},
)


def _layer(module: str) -> int:
    (found,) = [i for i, layer in enumerate(LAYERS) if module in layer]
    return found


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "digits_helpers":
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("digits_helpers."):
            names.add(node.module.split(".")[1])
    return names


MODULES = sorted(p for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def test_every_module_has_a_layer():
    assert {p.stem for p in MODULES} == set().union(*LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_a_module_imports_only_its_layer_and_below(path):
    upward = {name for name in _imports(path) if _layer(name) > _layer(path.stem)}
    assert not upward, f"{path.stem} imports {sorted(upward)} from a layer above it"


def test_the_parameter_schema_loads_no_training_code():
    # `digits-book params` and a notebook's parameter check stay light.
    code = (
        "import sys, digits_helpers.params\n"
        "heavy = [m for m in ('tensorflow', 'sklearn.neural_network', 'digits_helpers.search',"
        " 'digits_helpers.lean_mlp', 'digits_helpers.narrative') if m in sys.modules]\n"
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
