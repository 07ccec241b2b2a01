"""The committed notebooks agree with the parameter namespace and the smoke profile."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
import record_fixtures
from study import REPO as ROOT

from digits_helpers.core.registry import STAGES
from digits_helpers.run.params import SCHEMA, load_profile

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
def test_parameters_cell_holds_the_smoke_profile(path):
    smoke = load_profile("smoke")
    defaults = _defaults(path)
    declared = {name: value for name, value in defaults.items() if name != "run_dir"}
    assert set(declared) <= set(SCHEMA), "a notebook declares a name the schema does not know"
    assert {name: smoke[name] for name in declared} == declared


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


def _shows_code(cell) -> bool:
    tags = cell.metadata.get("tags", [])
    return cell.cell_type == "code" and not {"remove-cell", "remove-input", "parameters"} & set(
        tags
    )


def _draws_a_figure(cell) -> bool:
    return cell.cell_type == "code" and any(PLOTLY in o.get("data", {}) for o in cell.outputs)


def _says_what_to_see(cell) -> bool:
    """Prose after a figure: a sentence, or generated prose (a cell showing only Markdown)."""
    if cell.cell_type == "markdown":
        return not cell.source.lstrip().startswith("#")
    return "remove-input" in cell.metadata.get("tags", []) and "Markdown(" in cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_shown_code_cell_follows_a_sentence(path):
    cells = nbformat.read(path, as_version=4).cells
    bare = [
        i for i, c in enumerate(cells) if _shows_code(c) and cells[i - 1].cell_type != "markdown"
    ]
    assert not bare, f"code cells without a sentence before them: {bare}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_is_followed_by_what_to_see_in_it(path):
    cells = nbformat.read(path, as_version=4).cells
    silent = [
        i
        for i, c in enumerate(cells)
        if _draws_a_figure(c) and not (i + 1 < len(cells) and _says_what_to_see(cells[i + 1]))
    ]
    assert not silent, f"figures without a takeaway after them: {silent}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_table_is_printed_as_text(path):
    # A reader's table is a DataFrame (an HTML table in the book), not to_string() output.
    cells = nbformat.read(path, as_version=4).cells
    assert not [c.source for c in cells if "to_string(" in c.source]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_hidden_cells_leave_no_stray_output(path):
    # A removed cell's last value (a Path returned by a save) would be committed as noise.
    cells = nbformat.read(path, as_version=4).cells
    hidden = [c for c in cells if "remove-cell" in c.metadata.get("tags", [])]
    assert not [o for c in hidden for o in c.outputs if o.output_type == "execute_result"]


# {glue:text}`key` or {glue:text}`key:.2%` in a chapter's prose
_GLUE_ROLE = re.compile(r"\{glue:text\}`(?P<key>\w+)(?::[^`]*)?`")


def _glued_keys(source: str) -> set[str]:
    """Keys a code cell glues: glue("key", ...), glue(f"{x}_key", ...) as a pattern, and
    glue(name, ...) in a loop over a tuple of keys."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple | ast.List):
            names = [e.value for e in node.iter.elts if isinstance(e, ast.Constant)]
            if any("glue(" in ast.unparse(statement) for statement in node.body):
                keys |= {str(name) for name in names}
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant):
                keys.add(first.value)
            elif isinstance(first, ast.JoinedStr):
                keys.add(
                    "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in first.values)
                )
    return keys


def _record_glue_keys(source: str) -> set[str]:
    """Names a ``record.glue(...)`` call passes itself: its keywords, ``**{f"x_{k}": ...}``
    as a pattern, and ``**narrative.verdict_glue(...)``'s two sentences as patterns."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "glue"):
            continue
        for keyword in node.keywords:
            if keyword.arg is not None:
                keys.add(keyword.arg)
            elif isinstance(keyword.value, ast.DictComp) and isinstance(
                keyword.value.key, ast.JoinedStr
            ):
                parts = keyword.value.key.values
                keys.add("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in parts))
            elif "verdict_glue" in ast.unparse(keyword.value):
                keys |= {"{}_answer", "{}_evidence"}
    return keys


def _glued_names(path: Path, cells) -> set[str]:
    """What a chapter glues, from its code: its glue(...) calls, what it passes its stage's
    ``record.glue()``, and what the record glues itself (``StageResult.glued``, on a
    record of that stage from ``record_fixtures``)."""
    sources = [c.source for c in cells if c.cell_type == "code"]
    glued = set().union(*(_glued_keys(s) | _record_glue_keys(s) for s in sources))
    (stage,) = [s for s in STAGES if s.filename == path.name]
    if any("record.glue(" in s for s in sources):
        glued |= set(record_fixtures.records()[stage.key].glued())
    return glued


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_a_chapter_shows_is_glued_by_the_chapter(path):
    """A key the prose shows but the code never glues fails the strict build, late."""
    cells = nbformat.read(path, as_version=4).cells
    shown = {
        m["key"] for c in cells if c.cell_type == "markdown" for m in _GLUE_ROLE.finditer(c.source)
    }
    glued = _glued_names(path, cells)
    patterns = [re.compile("^" + k.replace("{}", r"\w+") + "$") for k in glued if "{}" in k]
    missing = {k for k in shown - glued if not any(p.match(k) for p in patterns)}
    assert missing == set()


# {glue:text}`chapters/05_comparison.ipynb::key:.1f` on a page of book/
_PAGE_GLUE = re.compile(
    r"\{glue:text\}`chapters/(?P<notebook>\w+)\.ipynb::(?P<key>\w+)(?::[^`]*)?`"
)
_PAGE_GLUE_FIGURE = re.compile(
    r"```\{glue:\} (?P<key>\w+)\n:doc: chapters/(?P<notebook>\w+)\.ipynb", re.MULTILINE
)


def test_every_number_a_page_takes_from_a_chapter_is_glued_by_that_chapter():
    """The conclusions and the introduction read chapters' keys: the same late failure."""
    pages = sorted((NOTEBOOKS[0].parents[1] / "book").glob("*.md"))
    assert pages
    missing = set()
    for page in pages:
        text = page.read_text()
        for match in [*_PAGE_GLUE.finditer(text), *_PAGE_GLUE_FIGURE.finditer(text)]:
            notebook = NOTEBOOKS[0].with_name(match["notebook"] + ".ipynb")
            cells = nbformat.read(notebook, as_version=4).cells
            glued = _glued_names(notebook, cells)
            patterns = [re.compile("^" + k.replace("{}", r"\w+") + "$") for k in glued if "{}" in k]
            if match["key"] not in glued and not any(p.match(match["key"]) for p in patterns):
                missing.add(f"{page.name}: {match['notebook']}::{match['key']}")
    assert missing == set()
