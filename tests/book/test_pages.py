"""The smoke run's book: the strict build, every page in a real browser, its glued numbers.

``digits-book build --run smoke`` renders the session's smoke run (``conftest.smoke_results``)
in the shared project; the book is copied out of ``_build/html`` and served on 127.0.0.1 to a
Chromium-family browser (the one ``tests/find_browser.py`` finds), which opens every page.
Full-page screenshots of the smoke book are kept in ``_build/browser-test/`` of this
repository for a person to look at. The slow tier builds the book of a second split too
(``seed7``) and checks that each book shows its own run's numbers.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from browser import chromium, serve, visit
from find_browser import BrowserNotFound, find_chromium
from study import REPO, assert_succeeded, digits_book

from digits_helpers.core.registry import (
    CNN,
    KERAS_MLP,
    MODELS,
    READER,
    READER_GOALS,
    SHIFTED_MLP,
    SKLEARN_MLP,
    STAGES,
    SVC,
)
from digits_helpers.reading.reader import VALIDATION_SHARE
from digits_helpers.run.params import SCHEMA
from digits_helpers.study import narrative

SCREENSHOTS = REPO / "_build" / "browser-test"

CHAPTERS = tuple(step.notebook for step in STAGES)
# Every page of the book: name -> path under _build/html.
PAGES = {
    "intro": "book/intro.html",
    "methods": "book/methods.html",
    **{name: f"book/chapters/{name}.html" for name in CHAPTERS},
    "conclusions": "book/conclusions.html",
    "reproduce": "book/reproduce.html",
    "parameters": "book/parameters.html",
    "glossary": "book/glossary.html",
}
PAGES_WITH_GLUED_NUMBERS = ("intro", "01_preprocessing", "conclusions")
PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"


def _beyond(results: dict, name: str) -> dict:
    (model,) = [m for m in results["beyond"]["models"] if m["name"] == name]
    return model


# Where the number behind each glue key of the book is in results.json.
GLUED_IN_RESULTS = {
    "n_samples": lambda r: r["dataset"]["n_samples"],
    "n_features": lambda r: r["dataset"]["n_features"],
    "n_train": lambda r: r["dataset"]["n_train"],
    "n_test": lambda r: r["dataset"]["n_test"],
    "n_classes": lambda r: r["dataset"]["n_classes"],
    "sklearn_best_cv": lambda r: r["sklearn"]["best_cv_score"],
    "sklearn_test_accuracy": lambda r: r["sklearn"]["test_accuracy"],
    "sklearn_search_seconds": lambda r: r["sklearn"]["search_seconds"],
    "sklearn_n_candidates": lambda r: r["sklearn"]["n_candidates"],
    "sklearn_n_fits": lambda r: r["sklearn"]["n_fits"],
    "sklearn_grid_size": lambda r: r["sklearn"]["grid_size"],
    "keras_best_model": lambda r: r["keras"]["best"]["index"] + 1,
    "keras_best_test_accuracy": lambda r: r["keras"]["best"]["test_accuracy"],
    "keras_min_test_accuracy": lambda r: min(run["test_accuracy"] for run in r["keras"]["runs"]),
    "keras_max_test_accuracy": lambda r: max(run["test_accuracy"] for run in r["keras"]["runs"]),
    "keras_train_seconds": lambda r: r["keras"]["train_seconds"],
    "keras_n_models": lambda r: len(r["keras"]["runs"]),
    "shifted_mlp_test_accuracy": lambda r: _beyond(r, SHIFTED_MLP.name)["test_accuracy"],
    "cnn_test_accuracy": lambda r: _beyond(r, CNN.name)["test_accuracy"],
    "svc_test_accuracy": lambda r: _beyond(r, SVC.name)["test_accuracy"],
    "target_accuracy": lambda r: r["parameters"]["target_accuracy"],
    "mlp_target": lambda r: r["parameters"]["mlp_target"],
    "beyond_target": lambda r: r["parameters"]["beyond_target"],
    "mcnemar_p": lambda r: r["comparison"]["mcnemar_p"],
    "paired_p": lambda r: r["comparison"]["paired_t_p"],
    "n_repeat_seeds": lambda r: len(r["comparison"]["repeat_seeds"]),
    **{
        f"{model.key}_repeated_{stat}": (
            lambda r, name=model.name, stat=stat: r["comparison"]["spread"][name][stat]
        )
        for model in MODELS
        for stat in ("mean", "std")
    },
}


def _reading(results: dict) -> dict:
    return results["reading"]


def _best_varied(results: dict) -> float:
    reading = _reading(results)
    (row,) = [row for row in reading["variants"] if row["model"] == reading["model"]]
    return row["varied"]


GLUED_IN_RESULTS |= {
    "reading_model": lambda r: _reading(r)["model"],
    "reading_threshold": lambda r: _reading(r)["threshold"],
    "reading_files": lambda r: sum(row["files"] for row in _reading(r)["agreement"]),
    "reading_min_agreement": lambda r: min(row["agreement"] for row in _reading(r)["agreement"]),
    "strip_truth": lambda r: _reading(r)["strip"]["truth"],
    "strip_read": lambda r: _reading(r)["strip"]["read"],
    "best_varied_accuracy": _best_varied,
}


def _library_paths(r: dict, model) -> dict:
    (row,) = [row for row in r["comparison"]["library_paths"] if row["model"] == model.name]
    return row


def _plain_training_ratio(r: dict, model) -> float:
    row = _library_paths(r, model)
    return row["training s, plain"] / row["training s, this project"]


GLUED_IN_RESULTS |= {
    **{
        f"{model.key}_plain_training_ratio": partial(_plain_training_ratio, model=model)
        for model in (SKLEARN_MLP, KERAS_MLP)
    },
    **{
        f"{model.key}_plain_alike": (
            lambda r, model=model: narrative.alike_test_digits(_library_paths(r, model))
        )
        for model in (SKLEARN_MLP, KERAS_MLP)
    },
}


def _strangers_verdict(r: dict) -> narrative.Verdict:
    reading, best = r["reading"], r["reading"]["model"]
    return narrative.strangers_verdict(
        {row["model"]: row for row in reading["strangers"]["models"]},
        best=best,
        own_accuracy=r["comparison"]["spread"][best]["mean"],
        threshold=reading["threshold"],
    )


def _best_strangers(r: dict) -> dict:
    (row,) = [m for m in r["reading"]["strangers"]["models"] if m["model"] == r["reading"]["model"]]
    return row


def _reader_verdict(r: dict) -> narrative.Verdict:
    reader, study = r["reader"], {row["model"]: row for row in r["reading"]["strangers"]["models"]}
    return narrative.reader_verdict(
        reader["held_out"],
        reader["strips"],
        goals={**READER_GOALS, "answered_accuracy": r["parameters"]["sure_accuracy"]},
        study_best=r["reading"]["model"],
        study_best_accuracy=study[r["reading"]["model"]]["accuracy"],
    )


# Chapters 6 and 7: strangers' digits and the reader.
GLUED_IN_RESULTS |= {
    "strangers_n": lambda r: r["reading"]["strangers"]["n_digits"],
    "strangers_scan_size": lambda r: r["reading"]["strangers"]["scan_size"],
    "strangers_answer": lambda r: narrative.plain(_strangers_verdict(r).answer),
    "best_strangers_accuracy": lambda r: _best_strangers(r)["accuracy"],
    "best_strangers_answered_accuracy": lambda r: _best_strangers(r)["answered_accuracy"],
    **{f"goal_{key}": (lambda r, key=key: READER_GOALS[key]) for key in READER_GOALS},
    "goal_answered_accuracy": lambda r: r["parameters"]["sure_accuracy"],
    "sure_accuracy": lambda r: r["parameters"]["sure_accuracy"],
    "validation_share": lambda r: VALIDATION_SHARE,
    "reader_accuracy": lambda r: r["reader"]["held_out"]["accuracy"],
    "reader_answered": lambda r: r["reader"]["held_out"]["answered"],
    "reader_answered_accuracy": lambda r: r["reader"]["held_out"]["answered_accuracy"],
    "reader_threshold": lambda r: r["reader"]["threshold"],
    "reader_strips_exact": lambda r: r["reader"]["strips"]["exact"],
    "reader_answer": lambda r: narrative.plain(_reader_verdict(r).answer),
    "reader_evidence": lambda r: narrative.plain(_reader_verdict(r).evidence),
    "reader_seconds_per_form": lambda r: r["reader"]["strips"]["seconds_per_strip"],
    "machine": lambda r: f"{r['machine']['cpu']}, {r['machine']['cores']} cores",
}
# The verdicts glued into the conclusions, as the run's numbers imply them.
MLP_ACCURACY = {
    SKLEARN_MLP.name: lambda r: r["sklearn"]["test_accuracy"],
    KERAS_MLP.name: lambda r: r["keras"]["best"]["test_accuracy"],
}
VERDICTS = {
    "target": lambda r: narrative.target_verdict(
        {name: get(r) for name, get in MLP_ACCURACY.items()},
        target=r["parameters"]["target_accuracy"],
        n_test=r["dataset"]["n_test"],
    ),
    "beyond": lambda r: narrative.beyond_verdict(
        r["comparison"]["spread"],
        scores=r["comparison"]["accuracies"],
        test_fraction=r["parameters"]["test_size"],
    ),
    "mlp": lambda r: narrative.comparison_verdict(
        sklearn_accuracy=r["sklearn"]["test_accuracy"],
        keras_accuracy=r["keras"]["best"]["test_accuracy"],
        mcnemar_p=r["comparison"]["mcnemar_p"],
        sklearn_repeated=r["comparison"]["spread"][SKLEARN_MLP.name],
        keras_repeated=r["comparison"]["spread"][KERAS_MLP.name],
        paired_p=r["comparison"]["paired_t_p"],
        n_seeds=len(r["comparison"]["repeat_seeds"]),
        n_test=r["dataset"]["n_test"],
        discordant=sum(r["comparison"]["mcnemar"].values()),
        sklearn_scores=r["comparison"]["accuracies"][SKLEARN_MLP.name],
        keras_scores=r["comparison"]["accuracies"][KERAS_MLP.name],
    ),
}
GLUED_IN_RESULTS |= {
    f"{question}_{part}": (
        lambda r, verdict=verdict, part=part: narrative.plain(getattr(verdict(r), part))
    )
    for question, verdict in VERDICTS.items()
    for part in ("answer", "evidence")
}
# {glue:text}`chapters/02_sklearn_search.ipynb::sklearn_best_cv:.2%` or {glue:text}`n_train`
GLUE_ROLE = re.compile(r"\{glue:text\}`(?:[^`:]+::)?(?P<key>\w+)(?::(?P<spec>[^`]*))?`")


@dataclass(frozen=True)
class Book:
    """A run rendered into html, kept apart from the copy's _build/html."""

    run: str
    html: Path
    results: dict
    root: Path


def _build(project: Path, run: str, results: dict, keep: Path) -> Book:
    """``digits-book build --run RUN``, the book copied out of _build/html before the next."""
    assert_succeeded(digits_book(project, "build", "--run", run))
    html = keep / run
    shutil.copytree(project / "_build" / "html", html)
    return Book(run=run, html=html, results=results, root=project)


@pytest.fixture(scope="module")
def smoke_book(study_project, smoke_results, tmp_path_factory) -> Book:
    return _build(study_project, "smoke", smoke_results, tmp_path_factory.mktemp("books"))


@pytest.fixture(scope="module")
def seed7_book(study_project, seed7, tmp_path_factory) -> Book:
    """The second split's book (slow tier), built after the smoke book."""
    results, _ = seed7
    return _build(study_project, "seed7", results, tmp_path_factory.mktemp("books"))


BOOKS = ["smoke", pytest.param("seed7", marks=pytest.mark.slow)]


@pytest.fixture(scope="module", params=BOOKS)
def book(request) -> Book:
    return request.getfixturevalue(f"{request.param}_book")


# --- the rendered books in Chromium -----------------------------------------------------


def _expected_figures(book: Book, page: str) -> int:
    if page not in CHAPTERS:
        return 0
    notebook = nbformat.read(book.root / "runs" / book.run / f"{page}.ipynb", as_version=4)
    return sum(
        PLOTLY_MIMETYPE in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def _glue_roles(book: Book, page: str) -> list[tuple[str, str | None]]:
    """(key, format spec) of each {glue:text} role of a page, in reading order."""
    if page in CHAPTERS:
        notebook = nbformat.read(book.root / "runs" / book.run / f"{page}.ipynb", as_version=4)
        source = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    else:
        source = (book.root / "book" / f"{page}.md").read_text()
    return [(m["key"], m["spec"]) for m in GLUE_ROLE.finditer(source)]


def _as_glued(value, spec: str | None) -> str:
    """How myst-nb's glue:text shows a value: format(value, spec), or its text."""
    return format(value, spec) if spec else str(value)


@pytest.fixture(scope="module")
def browser_executable() -> Path:
    """The browser to drive; asked for before the books, so that its absence fails fast."""
    try:
        return find_chromium()
    except BrowserNotFound as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def browser(browser_executable, tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile"), browser_executable) as context:
        yield context


@pytest.fixture(scope="module")
def rendered(browser_executable, book, browser):
    """Every page of one book as Chromium showed it; screenshots of the smoke book."""
    if book.run == "smoke":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve(book.html) as base:
        visits = {
            page: visit(
                browser,
                f"{base}/{path}",
                screenshot=SCREENSHOTS / f"{page}.png" if book.run == "smoke" else None,
            )
            for page, path in PAGES.items()
        }
        index = visit(browser, f"{base}/index.html")
    return book, base, visits, index


every_page = pytest.mark.parametrize("page", list(PAGES))


def test_the_book_has_exactly_the_expected_pages(book):
    built = {p.relative_to(book.html).as_posix() for p in (book.html / "book").rglob("*.html")}
    assert built == set(PAGES.values())


@pytest.mark.browser
def test_index_opens_the_introduction(rendered):
    book, base, visits, index = rendered
    assert index.url == f"{base}/book/intro.html"


@pytest.mark.browser
@every_page
def test_every_figure_on_every_page_has_drawn(rendered, page):
    book, _, visits, _ = rendered
    shown = visits[page]
    assert all(shown.figures_drawn), f"blank figures on {page}: {shown.figures_drawn}"
    expected = _expected_figures(book, page)
    assert shown.n_drawn >= expected
    if page in CHAPTERS:
        assert expected >= 1, f"{page} should have at least one figure"


@pytest.mark.browser
@every_page
def test_pages_request_nothing_outside_the_book(rendered, page):
    _, base, visits, _ = rendered
    outside = [
        url
        for url in visits[page].requests
        if not (url.startswith(f"{base}/") or urlsplit(url).scheme in ("data", "blob"))
    ]
    assert outside == []


@pytest.mark.browser
@every_page
def test_every_resource_a_page_loads_exists(rendered, page):
    _, _, visits, _ = rendered
    assert visits[page].failed_requests == []


# jupyter-book 1 with sphinx-thebe 0.3.1 puts sphinx-thebe's inline configuration script
# (`const THEBE_JS_URL = ...`) twice in every page; the second copy throws. Harmless (thebe
# is off and the first copy has defined the names) and not ours: tolerated, nothing else.
KNOWN_SCRIPT_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)


@pytest.mark.browser
@every_page
def test_pages_run_without_script_errors(rendered, page):
    _, _, visits, _ = rendered
    errors = [e for e in visits[page].script_errors if e not in KNOWN_SCRIPT_ERRORS]
    assert errors == []


@pytest.mark.browser
@every_page
def test_pages_show_no_raw_glue_syntax_errors_or_stderr(rendered, page):
    _, _, visits, _ = rendered
    shown = visits[page]
    assert "{glue" not in shown.text and "glue:text" not in shown.text
    assert ".ipynb::" not in shown.text
    assert "Traceback" not in shown.text
    assert shown.stderr_outputs == 0
    assert shown.error_outputs == 0


@pytest.mark.browser
@every_page
def test_glued_numbers_match_results_json(rendered, page):
    book, _, visits, _ = rendered
    roles = _glue_roles(book, page)
    unknown = sorted({key for key, _ in roles} - set(GLUED_IN_RESULTS))
    assert unknown == [], f"glue keys with no results.json counterpart here: {unknown}"
    expected = [_as_glued(GLUED_IN_RESULTS[key](book.results), spec) for key, spec in roles]
    assert visits[page].glued == expected
    if page in PAGES_WITH_GLUED_NUMBERS:
        assert expected, f"{page} should show numbers glued from the run"


@pytest.mark.browser
def test_the_parameters_page_shows_every_parameter_of_the_schema(rendered):
    _, _, visits, _ = rendered
    text = visits["parameters"].text
    assert [name for name in SCHEMA if name not in text] == []


@pytest.mark.slow
def test_each_book_shows_the_numbers_of_its_own_run(smoke_book, seed7_book):
    """The accuracies glued into the introduction change with the split seed."""
    accuracies = {}
    for run, book in (("smoke", smoke_book), ("seed7", seed7_book)):
        html = (book.html / PAGES["intro"]).read_text()
        glued = re.findall(r'<span class="pasted-text">([^<]*)</span>', html)
        accuracies[run] = [text for text in glued if text.endswith("%")]
        assert accuracies[run], "the introduction shows no glued accuracy"
    assert accuracies["smoke"] != accuracies["seed7"]


@pytest.mark.browser
def test_the_conclusions_give_the_decision_table_the_limitations_and_the_next_steps(rendered):
    _, _, visits, _ = rendered
    text = visits["conclusions"].text
    for heading in ("The choice, side by side", "Limitations", "Next steps"):
        assert heading in text
    for column in ("strangers read right", "sent to a person (?)", "ms per digit"):
        assert column in text
    for model in (*MODELS, READER):
        assert model.name in text


@pytest.mark.browser
@every_page
def test_percentages_are_written_one_way(rendered, page):
    """98.33%, never 98.33 %: one number format through the book."""
    _, _, visits, _ = rendered
    assert re.findall(r"\d %", visits[page].text) == []


def test_the_methods_page_links_the_sources_of_its_facts(smoke_book):
    """The number of writers and the literature's figures, with references to follow."""
    html = (smoke_book.html / PAGES["methods"]).read_text()
    for address in (
        "https://doi.org/10.24432/C50P49",  # UCI optdigits: 13 writers in the test set
        "http://yann.lecun.com/exdb/mnist/",  # the MNIST page's table
        "https://doi.org/10.1109/ICDAR.2003.1227801",  # Simard et al. 2003: 1.6% errors
        "https://doi.org/10.1109/5.726791",  # LeCun et al. 1998: LeNet-5, 0.95% errors
    ):
        assert f'href="{address}"' in html
    assert "13\npeople" in html or "13 people" in html
