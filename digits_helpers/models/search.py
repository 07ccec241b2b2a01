"""Hyperparameter search for scikit-learn's ``MLPClassifier``.

Three strategies search the same space:

``grid``
    ``GridSearchCV`` over every combination, as the reference study did.
``effective-grid``
    The same grid with the arguments that cannot change the fitted model removed
    first (with ``solver='adam'``, ``learning_rate``, ``power_t``, ``momentum`` and
    ``nesterovs_momentum`` are ignored by scikit-learn). Identical scores, fewer fits.
``halving``
    ``HalvingGridSearchCV`` (successive halving on the number of training rows)
    over the effective grid: weak candidates are dropped after cheap fits. Measured
    on the full grid it is faster but picks weaker models (the best candidates need
    the whole training set to show it), so the full profile does not use it.

Every strategy fits :class:`QuietMLPClassifier`, whose training loop
(:mod:`digits_helpers.models.lean_mlp`) computes exactly what ``MLPClassifier`` computes, in
less time per mini-batch.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401 (enables the import)
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from threadpoolctl import ThreadpoolController

from digits_helpers.core import progress
from digits_helpers.core.formatting import parameter_value
from digits_helpers.core.registry import SEARCH_STRATEGIES
from digits_helpers.core.values import jsonable
from digits_helpers.models.lean_mlp import LeanMLPClassifier

HALVING_FACTOR = 3
HALVING_ROUNDS = 3

# Arguments that MLPClassifier reads only for some solvers (scikit-learn's documentation:
# "learning_rate ... Only used when solver='sgd'", likewise power_t, momentum,
# nesterovs_momentum; beta_1, beta_2, epsilon only for 'adam').
_USED_ONLY_BY = {
    "learning_rate": {"sgd"},
    "power_t": {"sgd"},
    "momentum": {"sgd"},
    "nesterovs_momentum": {"sgd"},
    "beta_1": {"adam"},
    "beta_2": {"adam"},
    "epsilon": {"adam"},
}


@dataclass
class SearchResult:
    """What a search found and what it cost.

    Attributes
    ----------
    strategy : str
        One of :data:`digits_helpers.core.registry.SEARCH_STRATEGIES`.
    best_params : dict
        The best candidate's arguments; an argument the solver ignores is set to the
        first value the grid listed for it.
    best_cv_score : float
        The best candidate's mean cross-validated accuracy, a fraction in [0, 1]
        (with ``halving``, in the last round it reached).
    best_estimator : MLPClassifier
        The best candidate refitted on all training rows.
    cv_results : pandas.DataFrame
        The search's ``cv_results_`` (with ``halving``, one row per candidate and
        round).
    search_seconds : float
        Wall-clock seconds of the whole search, the final refit included.
    n_candidates : int
        Distinct candidates evaluated.
    n_fits : int
        Cross-validation fits (rows of ``cv_results`` times folds), the refit not
        counted.
    ignored_params : dict
        Arguments left out of the search because the solver ignores them, with the
        values the grid listed; empty for the ``grid`` strategy.
    """

    strategy: str
    best_params: dict
    best_cv_score: float
    best_estimator: MLPClassifier
    cv_results: pd.DataFrame
    search_seconds: float
    n_candidates: int
    n_fits: int
    ignored_params: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary for ``results.json``.

        Returns
        -------
        dict
            The attributes other than ``best_estimator`` and ``cv_results``, plus
            ``best_n_iter``: the epochs of the refitted best model.
        """
        return {
            "strategy": self.strategy,
            "best_params": jsonable(self.best_params),
            "best_cv_score": float(self.best_cv_score),
            "search_seconds": float(self.search_seconds),
            "n_candidates": int(self.n_candidates),
            "n_fits": int(self.n_fits),
            "ignored_params": jsonable(self.ignored_params),
            "best_n_iter": int(self.best_estimator.n_iter_),
        }


def grid_from_params(param_grid: Mapping[str, list]) -> dict[str, list]:
    """Turn a grid read from YAML into estimator arguments (layer lists become tuples).

    Parameters
    ----------
    param_grid : Mapping of str to list
        ``MLPClassifier`` argument -> values to try. Each ``hidden_layer_sizes``
        value is a list of layer sizes or a single size.

    Returns
    -------
    dict of str to list
        The same keys and values, with each ``hidden_layer_sizes`` value a tuple
        (``[112, 112]`` -> ``(112, 112)``, ``64`` -> ``(64,)``).
    """
    grid = {}
    for key, values in param_grid.items():
        if key == "hidden_layer_sizes":
            values = [tuple(v) if isinstance(v, list | tuple) else (v,) for v in values]
        grid[key] = list(values)
    return grid


def params_from_record(best_params: Mapping) -> dict:
    """A search's best arguments as ``results.json`` stores them, as estimator arguments.

    Parameters
    ----------
    best_params : Mapping
        Argument -> the one value chosen (layer sizes as lists).

    Returns
    -------
    dict
        The same arguments, layer sizes as tuples (:func:`grid_from_params`).
    """
    grid = grid_from_params({key: [value] for key, value in best_params.items()})
    return {key: values[0] for key, values in grid.items()}


def n_combinations(param_grid: Mapping[str, list]) -> int:
    """How many candidates the full grid holds.

    Parameters
    ----------
    param_grid : Mapping of str to list
        Argument -> values to try.

    Returns
    -------
    int
        The product of the numbers of values (1 for an empty grid).
    """
    return int(np.prod([len(v) for v in param_grid.values()]))


def effective_grid(
    param_grid: Mapping[str, list], solver: str = "adam"
) -> tuple[dict[str, list], dict[str, list]]:
    """Split a grid into the arguments that change the model and those ignored by the solver.

    An argument is ignored when none of the grid's solvers reads it (``learning_rate``,
    ``power_t``, ``momentum`` and ``nesterovs_momentum`` are read only by ``sgd``;
    ``beta_1``, ``beta_2`` and ``epsilon`` only by ``adam``).

    Parameters
    ----------
    param_grid : Mapping of str to list
        Argument -> values to try.
    solver : str, default="adam"
        The solver assumed when the grid does not list ``solver``.

    Returns
    -------
    grid : dict of str to list
        The grid without the ignored arguments, in the input's order.
    ignored : dict of str to list
        The ignored arguments with their values.
    """
    solvers = set(param_grid.get("solver", [solver]))
    grid, ignored = {}, {}
    for key, values in param_grid.items():
        if key in _USED_ONLY_BY and not solvers & _USED_ONLY_BY[key]:
            ignored[key] = list(values)
        else:
            grid[key] = list(values)
    return grid, ignored


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """This process's thread pools, inspected once (``threadpool_limits`` rescans them
    every time, about 2 ms: as much as a short fit)."""
    return ThreadpoolController()


class QuietMLPClassifier(LeanMLPClassifier):
    """``MLPClassifier`` that fits on one BLAS thread and does not warn at ``max_iter``.

    It trains with :class:`~digits_helpers.models.lean_mlp.LeanMLPClassifier`'s loop: the same
    networks as scikit-learn's, with less bookkeeping per mini-batch.

    The network's matrices are tiny (a batch of 32-128 digits times a 64x112 layer): a
    second BLAS thread only adds synchronisation, and was measured to make a fit several
    times slower when the other core is busy. A fit that stops at ``max_iter`` is an
    expected outcome of a grid, not a problem to print hundreds of times into a
    notebook; the search's fits run in worker processes, where the caller's warning
    filters do not apply, so the filter lives here.
    """

    def fit(self, X, y):  # noqa: D102 (same as MLPClassifier.fit)
        with _blas_controller().limit(limits=1, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            return super().fit(X, y)


def halving_min_rows(n_rows: int, n_candidates: int) -> int:
    """Rows of the first halving round, so that the last round uses (nearly) all rows.

    At most :data:`HALVING_ROUNDS` rounds, each keeping a third of the candidates; the
    last round trains on ``n_rows`` less the rounding (``n_rows // 9 * 9`` rows).
    Starting on fewer rows ranked the candidates by noise in our measurements.

    Parameters
    ----------
    n_rows : int
        Training rows available to the search.
    n_candidates : int
        Candidates in the grid.

    Returns
    -------
    int
        ``n_rows // 3 ** (rounds - 1)``, where ``rounds`` is
        ``1 + floor(log3(n_candidates - 1))`` kept between 1 and 3.
    """
    needed = 1 + math.floor(math.log(max(n_candidates - 1, 1), HALVING_FACTOR))
    rounds = max(1, min(HALVING_ROUNDS, needed))
    return n_rows // HALVING_FACTOR ** (rounds - 1)


def halving_fits(n_candidates: int, min_rows: int, max_rows: int) -> int:
    """How many candidates successive halving trains, over all its rounds.

    The schedule of ``HalvingGridSearchCV`` with ``factor=HALVING_FACTOR``: as many rounds
    as the candidates need to come down to one and the rows allow, each keeping
    ``ceil(n_candidates / factor**round)`` candidates.

    Parameters
    ----------
    n_candidates : int
        Candidates of the first round.
    min_rows, max_rows : int
        Training rows of the first and at most the last round.

    Returns
    -------
    int
        Candidates trained over all rounds (multiply by the folds for the fits).
    """
    needed = 1 + math.floor(math.log(n_candidates, HALVING_FACTOR)) if n_candidates > 1 else 1
    possible = 1 + math.floor(math.log(max(max_rows // min_rows, 1), HALVING_FACTOR))
    rounds = min(needed, possible)
    return sum(math.ceil(n_candidates / HALVING_FACTOR**r) for r in range(rounds))


def base_estimator(*, max_iter: int = 200, random_state: int = 42) -> MLPClassifier:
    """The reference study's base model: Adam, 200 epochs at most, a fixed seed.

    Parameters
    ----------
    max_iter : int, default=200
        Maximum number of epochs.
    random_state : int, default=42
        Seed of the initial weights and of the mini-batch shuffles.

    Returns
    -------
    QuietMLPClassifier
        Unfitted; other arguments at scikit-learn's defaults.
    """
    return QuietMLPClassifier(solver="adam", max_iter=max_iter, random_state=random_state)


def run_search(
    X_train: np.ndarray,
    y_train: np.ndarray,
    param_grid: Mapping[str, list],
    *,
    strategy: str = "grid",
    cv: int = 3,
    n_jobs: int | None = -1,
    max_iter: int = 200,
    random_state: int = 42,
    verbose: int = 0,
) -> SearchResult:
    """Search ``param_grid`` for the best ``MLPClassifier`` by cross-validated accuracy.

    Parameters
    ----------
    X_train : numpy.ndarray
        Training rows, shape ``(n_rows, n_features)``.
    y_train : numpy.ndarray
        Their labels, shape ``(n_rows,)``.
    param_grid : Mapping of str to list
        Mapping from ``MLPClassifier`` arguments to lists of values, as read from
        YAML (see :func:`grid_from_params`).
    strategy : str, default="grid"
        One of :data:`digits_helpers.core.registry.SEARCH_STRATEGIES`.
    cv : int, default=3
        Number of stratified folds (the same folds as ``GridSearchCV(cv=cv)`` uses).
    n_jobs : int or None, default=-1
        Parallel fits: -1 for every core, None for one.
    max_iter : int, default=200
        Maximum number of epochs of every ``MLPClassifier``.
    random_state : int, default=42
        Seed of every ``MLPClassifier`` and of successive halving's subsamples.
    verbose : int, default=0
        The search's verbosity, as in scikit-learn.

    Returns
    -------
    SearchResult
        The best candidate (refitted on all training rows), its score and the
        search's cost.

    Raises
    ------
    ValueError
        If ``strategy`` is not a known strategy.
    """
    if strategy not in SEARCH_STRATEGIES:
        accepted = ", ".join(SEARCH_STRATEGIES)
        raise ValueError(f"strategy must be one of {accepted} (got {strategy!r})")
    grid = grid_from_params(param_grid)
    ignored: dict[str, list] = {}
    if strategy != "grid":
        grid, ignored = effective_grid(grid)
    estimator = base_estimator(max_iter=max_iter, random_state=random_state)
    folds = StratifiedKFold(n_splits=cv)
    n_fits = n_combinations(grid) * cv
    if strategy == "halving":
        min_rows = halving_min_rows(len(y_train), n_combinations(grid))
        n_fits = halving_fits(n_combinations(grid), min_rows, len(y_train)) * cv
        search = HalvingGridSearchCV(
            estimator,
            grid,
            cv=folds,
            factor=HALVING_FACTOR,
            resource="n_samples",
            min_resources=min_rows,
            max_resources=len(y_train),
            n_jobs=n_jobs,
            random_state=random_state,
            verbose=verbose,
        )
    else:
        search = GridSearchCV(estimator, grid, cv=folds, n_jobs=n_jobs, verbose=verbose)
    start = time.perf_counter()
    with progress.joblib_fits("search: fits", n_fits):
        search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    cv_results = pd.DataFrame(search.cv_results_)
    best_params = dict(search.best_params_)
    for key, values in ignored.items():
        best_params[key] = values[0]
    return SearchResult(
        strategy=strategy,
        best_params=best_params,
        best_cv_score=float(search.best_score_),
        best_estimator=search.best_estimator_,
        cv_results=cv_results,
        search_seconds=seconds,
        # Halving scores candidates in several rounds: one row of cv_results per round.
        n_candidates=search.n_candidates_[0] if strategy == "halving" else len(cv_results),
        n_fits=len(cv_results) * cv,
        ignored_params=ignored,
    )


def grid_table(grid: Mapping[str, list], ignored: Mapping[str, list]) -> pd.DataFrame:
    """One row per hyperparameter: its values, and whether the solver reads it.

    Parameters
    ----------
    grid : Mapping of str to list
        The full grid, as from :func:`grid_from_params`.
    ignored : Mapping of str to list
        The arguments the solver ignores, as from :func:`effective_grid`.

    Returns
    -------
    pandas.DataFrame
        Columns ``hyperparameter``, ``values`` (comma-separated text, layer sizes as
        ``(112, 112)``) and ``used by adam`` (``"yes"`` or ``"no"``), in the grid's
        order.
    """
    return pd.DataFrame(
        {
            "hyperparameter": list(grid),
            "values": [", ".join(parameter_value(v) for v in values) for values in grid.values()],
            "used by adam": ["no" if key in ignored else "yes" for key in grid],
        }
    )


def best_table(result: SearchResult) -> pd.DataFrame:
    """The best candidate's hyperparameters as a two-column table.

    Parameters
    ----------
    result : SearchResult
        A finished search.

    Returns
    -------
    pandas.DataFrame
        Columns ``hyperparameter`` and ``best value`` (as text), one row per
        argument of ``result.best_params``.
    """
    return pd.DataFrame(
        {
            "hyperparameter": list(result.best_params),
            "best value": [parameter_value(v) for v in result.best_params.values()],
        }
    )


def varied_params(cv_results: pd.DataFrame) -> list[str]:
    """Hyperparameters that take more than one value in a search's results.

    Parameters
    ----------
    cv_results : pandas.DataFrame
        A search's ``cv_results_``, with one ``param_<name>`` column per argument.

    Returns
    -------
    list of str
        The argument names (without ``param_``), in column order, whose values
        differ (compared as text) between rows.
    """
    names = [c.removeprefix("param_") for c in cv_results.columns if c.startswith("param_")]
    return [n for n in names if cv_results[f"param_{n}"].astype(str).nunique() > 1]
