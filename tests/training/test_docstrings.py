"""Every package function a chapter calls is documented the numpydoc way."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect

import nbformat
import pytest
from study import REPO as ROOT

from digits_helpers.core.registry import STAGES

pytestmark = pytest.mark.tensorflow  # imports every module the chapters use


def _is_module(dotted: str) -> bool:
    """Whether ``digits_helpers.models.artifacts`` (say) names a module, not a function."""
    try:
        return importlib.util.find_spec(dotted) is not None
    except ModuleNotFoundError:  # its parent is a module, not a package
        return False


def _called_functions() -> set[tuple[str, str]]:
    """(module, function) for every ``module.function(...)`` the notebooks call."""
    calls = set()
    for stage in STAGES:
        nb = nbformat.read(ROOT / "notebooks" / stage.filename, as_version=4)
        modules: dict[str, str] = {}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            tree = ast.parse(cell.source)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "digits_helpers"
                ):
                    for alias in node.names:
                        dotted = f"{node.module}.{alias.name}"
                        if _is_module(dotted):
                            modules[alias.asname or alias.name] = dotted
                        else:
                            calls.add((node.module, alias.name))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in modules
                ):
                    calls.add((modules[node.func.value.id], node.func.attr))
    return calls


CALLED = sorted(_called_functions())


def test_the_chapters_call_the_package():
    assert len(CALLED) > 20


@pytest.mark.parametrize(("module", "name"), CALLED, ids=[f"{m[15:]}.{n}" for m, n in CALLED])
def test_called_function_has_numpydoc_parameters_and_returns(module, name):
    function = getattr(importlib.import_module(module), name)
    if inspect.isclass(function):  # a record: its fields are its parameters
        doc = inspect.getdoc(function) or ""
        fields = [p for p in inspect.signature(function).parameters]
        assert not fields or "Attributes\n----------" in doc or "Parameters\n----------" in doc
        return
    doc = inspect.getdoc(function) or ""
    signature = inspect.signature(function)
    takes = [p for p in signature.parameters if p not in ("self", "cls")]
    if takes:
        assert "Parameters\n----------" in doc, f"{module}.{name} documents no Parameters"
    if signature.return_annotation not in (None, "None", inspect.Signature.empty):
        # A generator, or a context manager made of one, documents what it yields.
        generator = inspect.isgeneratorfunction(getattr(function, "__wrapped__", function))
        section = "Yields\n------" if generator else "Returns\n-------"
        assert section in doc, f"{module}.{name} documents no {section.split()[0]}"
