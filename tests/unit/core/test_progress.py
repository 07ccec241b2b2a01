"""Progress of a notebook's long work: reported by the kernel, drawn by ``digits-book run``."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

from digits_helpers.core import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_written_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    advance = progress.counting("fits", 3)
    advance()
    with progress.joblib_fits("fits", 3):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_counter_reports_every_step(tmp_path, monkeypatch):
    state = tmp_path / "progress.json"
    monkeypatch.setenv(progress.ENV, str(state))
    advance = progress.counting("configurations", 3)
    assert json.loads(state.read_text()) == {"label": "configurations", "done": 0, "total": 3}
    advance()
    advance(2)
    assert json.loads(state.read_text())["done"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]  # no temporary left


@pytest.mark.parametrize("halving", [False, True])
def test_a_search_counts_its_fits_whoever_runs_them(tmp_path, monkeypatch, halving):
    """scikit-learn's own searches, in two local worker processes: every fit counted,
    over all the rounds of successive halving too (one Parallel call per round)."""
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV

    from digits_helpers.models.search import HALVING_FACTOR, halving_fits

    state = tmp_path / "progress.json"
    monkeypatch.setenv(progress.ENV, str(state))
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 3)), np.repeat([0, 1], 150)
    grid = {"max_depth": list(range(1, 10))}
    tree = DecisionTreeClassifier(random_state=0)
    if halving:
        search = HalvingGridSearchCV(
            tree, grid, factor=HALVING_FACTOR, min_resources=30, max_resources=300, cv=3
        )
        total = halving_fits(9, 30, 300) * 3
    else:
        search, total = GridSearchCV(tree, grid, cv=3), 27
    search.set_params(n_jobs=2)
    with progress.joblib_fits("search: fits", total):
        search.fit(X, y)
    if halving:
        assert total == sum(search.n_candidates_) * 3 > 27  # several rounds
    assert json.loads(state.read_text()) == {"label": "search: fits", "done": total, "total": total}
    from joblib import Parallel

    assert Parallel.print_progress.__qualname__ == "Parallel.print_progress"  # restored


def _reported(path, label, done, total):
    path.write_text(json.dumps({"label": label, "done": done, "total": total}))


def test_a_log_gets_a_line_at_each_quarter_with_the_time_spent_and_left(tmp_path):
    state, log = tmp_path / "progress.json", io.StringIO()
    seconds = iter(range(0, 1000, 5))  # each reading of the clock is 5 s later
    watcher = progress.Watcher(state, "[2/6] 02_sklearn_search", log, clock=lambda: next(seconds))
    for done in range(9):
        _reported(state, "search: fits", done, 8)
        watcher._draw()
    assert log.getvalue().splitlines() == [
        "[2/6] 02_sklearn_search: search: fits 0/8 [....................] 00:05<?",
        "[2/6] 02_sklearn_search: search: fits 2/8 [#####...............] 00:15<00:45",
        "[2/6] 02_sklearn_search: search: fits 4/8 [##########..........] 00:25<00:25",
        "[2/6] 02_sklearn_search: search: fits 6/8 [###############.....] 00:35<00:11",
        "[2/6] 02_sklearn_search: search: fits 8/8 [####################] 00:45<00:00",
    ]


def test_a_terminal_line_is_redrawn_in_place_and_cleared(tmp_path):
    state, terminal = tmp_path / "progress.json", Terminal()
    with progress.Watcher(state, "[3/6] 03_keras_sweeps", terminal) as watcher:
        _reported(state, "Keras configurations", 1, 5)
        watcher._draw()
        _reported(state, "Keras configurations", 5, 5)
    drawn = terminal.getvalue()
    assert drawn.startswith("\r\033[K[3/6] 03_keras_sweeps: Keras configurations 1/5 [####")
    assert "5/5 [" + "#" * progress.BAR_WIDTH + "] " in drawn  # the last count, at exit
    assert drawn.endswith("\r\033[K") and "\n" not in drawn


def test_to_terminal_names_a_file_for_the_kernels_and_removes_it(monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    log = io.StringIO()
    with progress.to_terminal("[1/6] 01_preprocessing", log):
        path = os.environ[progress.ENV]
        progress.counting("digits", 4)(4)
    assert progress.ENV not in os.environ
    assert not os.path.exists(path)
    assert log.getvalue().splitlines()[-1].startswith("[1/6] 01_preprocessing: digits 4/4")


def test_to_terminal_puts_the_file_in_the_folder_given(monkeypatch, tmp_path):
    monkeypatch.delenv(progress.ENV, raising=False)
    with progress.to_terminal("[1/6] 01_preprocessing", io.StringIO(), folder=tmp_path):
        path = os.environ[progress.ENV]
        assert os.path.dirname(path) == str(tmp_path)
        progress.counting("digits", 4)(2)
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_report_is_skipped(tmp_path):
    state, log = tmp_path / "progress.json", io.StringIO()
    state.write_text('{"label": "fi')  # as if caught half-written
    progress.Watcher(state, "x", log)._draw()
    assert log.getvalue() == ""


@pytest.mark.parametrize("done, filled", [(0, 0), (1, 5), (3, 15), (4, 20)])
def test_the_bar_fills_in_proportion(done, filled):
    line = progress.meter("fits", done, 4, 10.0)
    assert line.startswith(f"fits {done}/4 [" + "#" * filled + "." * (20 - filled) + "] 00:10<")
