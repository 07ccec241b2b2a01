"""The committed notebooks agree with the parameter namespace and the quick profile."""

from __future__ import annotations

import ast

import nbformat
import pytest
from conftest import ROOT

from digits_helpers.params import SCHEMA, load_profile
from digits_helpers.registry import STAGES

NOTEBOOKS = [ROOT / "notebooks" / step.filename for step in STAGES]
PLOTLY = "application/vnd.plotly.v1+json"


def _defaults(path):
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    tree = ast.parse(cell.source)
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_holds_the_quick_profile(path):
    quick = load_profile("quick")
    defaults = _defaults(path)
    declared = {name: value for name, value in defaults.items() if name != "run_dir"}
    assert set(declared) <= set(SCHEMA), "a notebook declares a name the schema does not know"
    assert {name: quick[name] for name in declared} == declared


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_plotly_output_also_carries_html_for_the_book(path):
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    plotly = [o for o in outputs if PLOTLY in o.get("data", {})]
    assert all("text/html" in o["data"] for o in plotly)


def test_every_schema_parameter_is_read_by_some_notebook():
    declared = set().union(*(_defaults(path) for path in NOTEBOOKS))
    assert set(SCHEMA) <= declared


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_checked_right_after_the_parameters_cell(path):
    # papermill inserts its injected cell right after the parameters cell, so the next
    # committed cell sees the values a user passed with -p.
    cells = nbformat.read(path, as_version=4).cells
    (index,) = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    assert "params.check_notebook_parameters(globals())" in cells[index + 1].source
