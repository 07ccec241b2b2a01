"""What makes a built book stale: the inputs ``digits-book build`` digests."""

from __future__ import annotations

import json
import shutil

import pytest
from study import REPO

from digits_helpers.book.build import build_inputs_digest
from digits_helpers.core.registry import STAGES
from digits_helpers.study.results import RESULTS_FILE


@pytest.fixture
def project(tmp_path):
    """A run of the committed notebooks and the book's own files, as a build reads them."""
    run_dir = tmp_path / "runs" / "r"
    run_dir.mkdir(parents=True)
    for step in STAGES:
        shutil.copy2(REPO / "notebooks" / step.filename, run_dir / step.filename)
    record = {"parameters": {"cv": 3}, "timings": {"total_seconds": 501.2, "cached": []}}
    (run_dir / RESULTS_FILE).write_text(json.dumps(record))
    shutil.copytree(REPO / "book", tmp_path / "book", ignore=shutil.ignore_patterns("chapters"))
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(REPO / name, tmp_path / name)
    (tmp_path / "_static").mkdir()
    return tmp_path


def rewrite_record(project, change) -> None:
    path = project / "runs" / "r" / RESULTS_FILE
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


def test_a_run_that_only_took_another_time_leaves_the_book_current(project):
    before = build_inputs_digest(project, "r", None)
    # What a second run that reuses every notebook records: its own wall time.
    rewrite_record(project, lambda r: r["timings"].update(total_seconds=0.7, cached=["all"]))
    assert build_inputs_digest(project, "r", None) == before


def test_a_changed_result_or_notebook_makes_the_book_stale(project):
    before = build_inputs_digest(project, "r", None)
    rewrite_record(project, lambda r: r["parameters"].update(cv=4))
    after_result = build_inputs_digest(project, "r", None)
    assert after_result != before
    notebook = project / "runs" / "r" / STAGES[0].filename
    notebook.write_bytes(notebook.read_bytes().replace(b'"cell_type"', b'"cell_type" ', 1))
    assert build_inputs_digest(project, "r", None) != after_result
