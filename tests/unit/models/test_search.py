"""The MLPClassifier search and its strategies, on small grids."""

from __future__ import annotations

import warnings

import pytest

from digits_helpers.models import search
from digits_helpers.models.search import HALVING_FACTOR

SMALL = {
    "hidden_layer_sizes": [[32]],
    "learning_rate_init": [0.01],
    "learning_rate": ["adaptive", "constant"],
    "alpha": [0.0001, 0.01],
}


def _run(split, strategy="grid", grid=SMALL):
    return search.run_search(
        split.X_train, split.y_train, grid, strategy=strategy, cv=3, n_jobs=1, max_iter=30
    )


def test_effective_grid_drops_what_adam_ignores():
    grid, ignored = search.effective_grid(search.grid_from_params(SMALL))
    assert "learning_rate" not in grid and ignored == {"learning_rate": ["adaptive", "constant"]}


def test_effective_grid_keeps_the_schedule_when_sgd_is_searched():
    grid, ignored = search.effective_grid(
        {"solver": ["sgd", "adam"], "learning_rate": ["constant"]}
    )
    assert "learning_rate" in grid and not ignored


def test_grid_search_fits_every_combination(split):
    result = _run(split)
    assert result.n_candidates == 4 and result.n_fits == 12


def test_effective_grid_finds_the_same_best_score_with_half_the_fits(split):
    full, effective = _run(split), _run(split, "effective-grid")
    assert effective.n_candidates == full.n_candidates // 2
    assert effective.best_cv_score == pytest.approx(full.best_cv_score)
    assert effective.best_params["learning_rate"] in ("adaptive", "constant")


def test_search_result_summary_is_json_ready(split):
    summary = _run(split).summary()
    assert summary["best_params"]["hidden_layer_sizes"] == [32]
    assert 0.8 < summary["best_cv_score"] <= 1.0


def test_search_does_not_warn_about_convergence(split):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _run(split)


def test_unknown_strategy_is_refused(split):
    with pytest.raises(ValueError, match="grid, effective-grid, halving"):
        _run(split, strategy="random")


def test_layer_sizes_from_yaml_become_tuples():
    grid = search.grid_from_params({"hidden_layer_sizes": [[112, 112], [100]]})
    assert grid["hidden_layer_sizes"] == [(112, 112), (100,)]


def test_n_combinations_multiplies_the_value_counts():
    assert search.n_combinations(SMALL) == 4


def test_varied_params_lists_only_the_ones_that_change(split):
    assert set(search.varied_params(_run(split).cv_results)) == {"learning_rate", "alpha"}


def test_halving_ends_on_every_training_row(split):
    grid = {
        "hidden_layer_sizes": [[16], [32]],
        "alpha": [0.0001, 0.01],
        "learning_rate_init": [0.01],
    }
    result = _run(split, "halving", grid)
    assert result.n_candidates >= 4 and 0.5 < result.best_cv_score <= 1.0
    last_round_rows = result.cv_results["n_resources"].max()
    assert len(split.y_train) - HALVING_FACTOR**2 < last_round_rows <= len(split.y_train)


@pytest.mark.parametrize(("n_candidates", "rows"), [(2, 1437), (4, 479), (288, 159)])
def test_halving_starts_small_enough_to_finish_on_all_rows(n_candidates, rows):
    assert search.halving_min_rows(1437, n_candidates) == rows


def test_fits_run_on_one_blas_thread_and_restore_the_pools(split):
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    inside = []

    class Probe(search.QuietMLPClassifier):
        def _fit_stochastic(self, *args, **kwargs):
            inside.extend(blas_threads())
            return super()._fit_stochastic(*args, **kwargs)

    before = blas_threads()
    Probe(hidden_layer_sizes=(5,), max_iter=2).fit(split.X_train[:100], split.y_train[:100])
    assert inside and set(inside) == {1}
    assert blas_threads() == before


@pytest.mark.parametrize("n_candidates", [1, 2, 5, 12, 36])
@pytest.mark.parametrize("min_rows", [60, 200])
def test_the_count_of_halving_fits_is_scikit_learns(n_candidates, min_rows):
    """The terminal's progress counts the fits successive halving will make: the same
    number as scikit-learn's own schedule (``n_candidates_`` of every round)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import HalvingGridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_digits(return_X_y=True)
    halving = HalvingGridSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": list(range(1, n_candidates + 1))},
        factor=HALVING_FACTOR,
        min_resources=min_rows,
        max_resources=1437,
        cv=3,
    ).fit(X[:1437], y[:1437])
    assert search.halving_fits(n_candidates, min_rows, 1437) == sum(halving.n_candidates_)
