"""Retrain each study's chosen model on fresh splits, for the repeated-split comparison."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from digits_helpers.core.cluster import RunTasks, in_this_process
from digits_helpers.core.formatting import pct
from digits_helpers.core.registry import (
    CNN,
    KERAS_MLP,
    MODELS,
    READER,
    SHIFTED_MLP,
    SKLEARN_MLP,
    SVC,
)
from digits_helpers.data.augment import shift_augment_rows
from digits_helpers.data.digits import Dataset, Split
from digits_helpers.models import beyond, keras_mlp
from digits_helpers.models.keras_config import KerasConfig
from digits_helpers.models.search import base_estimator, params_from_record
from digits_helpers.study.evaluate import accuracy_interval, repeated_split_accuracies
from digits_helpers.study.results import StageResult

FitPredict = Callable[[Split], np.ndarray]


def mlp_fit_predict(best_params: Mapping, *, max_iter: int, seed: int) -> FitPredict:
    """The search's best ``MLPClassifier``, trained from scratch on a split.

    Parameters
    ----------
    best_params : Mapping
        The search's best arguments as stored in ``results.json`` (layer sizes as
        lists; turned back into tuples).
    max_iter : int
        Maximum number of epochs, as in the search.
    seed : int
        The network's ``random_state``.

    Returns
    -------
    callable
        ``fit_predict(split)``: trains on the split's training rows and returns the
        predicted label of each test row.
    """
    params = params_from_record(best_params)

    def fit_predict(split: Split) -> np.ndarray:
        model = base_estimator(max_iter=max_iter, random_state=seed).set_params(**params)
        return model.fit(split.X_train, split.y_train).predict(split.X_test)

    return fit_predict


def keras_fit_predict(
    config: Mapping, *, hidden_units: Sequence[int], seed: int, shifted: bool = False
) -> FitPredict:
    """The sweep's chosen Keras configuration, trained from scratch on a split.

    Parameters
    ----------
    config : Mapping
        ``validation_split``, ``learning_rate``, ``batch_size`` and ``epochs``.
    hidden_units : Sequence of int
        Sizes of the hidden layers.
    seed : int
        Seed of the initial weights and of the shuffles.
    shifted : bool, default=False
        Train on shift-augmented digits, as in the beyond-the-MLP chapter.

    Returns
    -------
    callable
        ``fit_predict(split)``: trains on the split's training rows (the last
        ``validation_split`` of them held out, unused for the prediction) and returns
        the predicted label of each test row.

    Raises
    ------
    ValueError
        When called, if ``config`` is not a valid configuration.
    """

    def fit_predict(split: Split) -> np.ndarray:
        augment = None
        if shifted:
            augment = partial(shift_augment_rows, image_shape=split.image_shape)
        run = keras_mlp.train_configuration(
            split.X_train,
            split.y_train,
            split.X_test,
            split.y_test,
            KerasConfig.from_dict(config),
            seed=seed,
            hidden_units=tuple(hidden_units),
            augment=augment,
        )
        return run.test_predictions

    return fit_predict


def cnn_fit_predict(details: Mapping, *, seed: int) -> FitPredict:
    """The CNN with the settings of the beyond-the-MLP chapter.

    Parameters
    ----------
    details : Mapping
        The CNN's ``details`` in the beyond-the-MLP record: ``epochs``,
        ``batch_size``, ``learning_rate`` and ``augmentation`` (the one chosen on
        validation, used as it is: no choice is made again).
    seed : int
        Seed of the initial weights.

    Returns
    -------
    callable
        ``fit_predict(split)``: trains on the split's training images and returns
        the predicted label of each test image.
    """

    def fit_predict(split: Split) -> np.ndarray:
        return beyond.train_cnn(
            split,
            epochs=details["epochs"],
            batch_size=details["batch_size"],
            learning_rate=details["learning_rate"],
            augmentations=(details["augmentation"],),
            seed=seed,
        ).test_predictions

    return fit_predict


def svc_fit_predict(best_params: Mapping) -> FitPredict:
    """The tuned SVC's ``C`` and ``gamma``, trained on a split.

    Parameters
    ----------
    best_params : Mapping
        ``C`` and ``gamma`` chosen by :func:`digits_helpers.models.beyond.tune_svc`.

    Returns
    -------
    callable
        ``fit_predict(split)``: trains on the split's training rows (no new search)
        and returns the predicted label of each test row.
    """
    return lambda split: beyond.fit_svc(split, C=best_params["C"], gamma=best_params["gamma"])


def _score(
    dataset: Dataset, task: tuple[FitPredict, int], *, test_size: float, stratify: bool
) -> float:
    """One model's test accuracy on one seed's split (a task of :func:`repeated_scores`)."""
    fit_predict, seed = task
    (score,) = repeated_split_accuracies(
        dataset, fit_predict, [seed], test_size=test_size, stratify=stratify
    )
    return score


def repeated_scores(
    dataset: Dataset,
    predictors: Mapping[str, FitPredict],
    seeds: Sequence[int],
    *,
    test_size: float,
    stratify: bool,
    run_tasks: RunTasks | None = None,
) -> dict[str, list[float]]:
    """Test accuracy of every model on every seed's split (same splits for all models).

    Every (model, seed) pair is an independent task, seeded by its arguments alone: the
    scores are the same whether the tasks run one after the other or spread over
    workers, in any order.

    Parameters
    ----------
    dataset : Dataset
        The rows to split.
    predictors : Mapping of str to callable
        Model name -> ``fit_predict(split)``, as made by :func:`chosen_predictors`.
    seeds : Sequence of int
        One split seed (``random_state``) per repetition.
    test_size : float
        Fraction of the rows held out in every split, strictly between 0 and 1.
    stratify : bool
        Keep each class's share equal in training and test rows.
    run_tasks : callable, optional
        ``run_tasks(function, items, label=...) -> [function(item) for item in items]``,
        such as :meth:`digits_helpers.core.cluster.Workers.map`; here, one after the other,
        by default.

    Returns
    -------
    dict of str to list of float
        Model name -> test accuracy (fraction in [0, 1]) on each seed's split, in the
        order of ``seeds``; models in the order of ``predictors``.
    """
    tasks = [(fit_predict, seed) for fit_predict in predictors.values() for seed in seeds]
    score = partial(_score, dataset, test_size=test_size, stratify=stratify)
    scores = (run_tasks or in_this_process)(score, tasks, label="repeated splits: trainings")
    per_model = iter(scores)
    return {name: [next(per_model) for _ in seeds] for name in predictors}


def check_same_split(split: Split, stages: Mapping[str, StageResult]) -> None:
    """Refuse to compare predictions made on another split than ``split``.

    Parameters
    ----------
    split : Split
        The common split, made from this notebook's parameters.
    stages : Mapping of str to StageResult
        The chapters' records; each holds the identity of the split it used.

    Raises
    ------
    ValueError
        Naming the stage whose split differs.
    """
    for name, record in stages.items():
        if record.split != split.identity():
            raise ValueError(
                f"the {name} results were computed on the split {record.split}, "
                f"not on {split.identity()}: execute the notebooks with the same "
                "dataset, test_size, random_state and stratify"
            )


def stage_predictions(stages: Mapping[str, StageResult]) -> dict[str, np.ndarray]:
    """Each chosen model's predictions on the common test split, in the registry's order.

    Parameters
    ----------
    stages : Mapping of str to StageResult
        The records of the chapters that chose the models.

    Returns
    -------
    dict
        Model name -> predicted digit of each test image.
    """
    return _in_registry_order({k: v for r in stages.values() for k, v in r.predictions().items()})


def stage_costs(stages: Mapping[str, StageResult]) -> dict[str, float]:
    """Wall seconds each model in ``stages`` cost to choose and train, by model name.

    Parameters
    ----------
    stages : Mapping of str to StageResult
        The records of the chapters that chose the models.

    Returns
    -------
    dict of str to float
        Model name -> wall-clock seconds, in the registry's order as
        :func:`stage_predictions`: the whole search for the scikit-learn MLP, every
        configuration for the Keras sweeps, the search for the SVC, the training
        for the CNN.
    """
    return _in_registry_order({k: v for r in stages.values() for k, v in r.costs().items()})


def _in_registry_order(by_name: Mapping[str, Any]) -> dict[str, Any]:
    return {m.name: by_name[m.name] for m in MODELS if m.name in by_name}


def accuracy_table(
    y_test: np.ndarray, predictions: Mapping[str, np.ndarray], costs: Mapping[str, float]
) -> pd.DataFrame:
    """Accuracy, 95 % Wilson interval and cost per model, indexed by model name.

    Parameters
    ----------
    y_test : numpy.ndarray
        True labels of the test rows.
    predictions : Mapping of str to numpy.ndarray
        Model name -> predicted label of each test row.
    costs : Mapping of str to float
        Model name -> wall-clock seconds, as :func:`stage_costs`; a model without
        one gets NaN.

    Returns
    -------
    pandas.DataFrame
        One row per model, in the order of ``predictions``, indexed by its name;
        columns ``model``, ``accuracy``, ``ci_low``, ``ci_high`` (fractions in
        [0, 1]), ``errors`` (wrong test rows) and ``seconds``.
    """
    rows = []
    for name, predicted in predictions.items():
        interval = accuracy_interval(y_test, predicted)
        rows.append(
            {
                "model": name,
                "accuracy": interval.accuracy,
                "ci_low": interval.low,
                "ci_high": interval.high,
                "errors": int((np.asarray(predicted) != y_test).sum()),
                "seconds": costs.get(name, float("nan")),
            }
        )
    return pd.DataFrame(rows).set_index("model", drop=False)


def format_accuracy_table(table: pd.DataFrame) -> pd.DataFrame:
    """The accuracy table with percentages for a reader.

    No timings (they vary run to run) and no error counts: every number in it is a
    percentage, which the regression tests compare within a measured tolerance.

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`accuracy_table`.

    Returns
    -------
    pandas.DataFrame
        Same rows and index; columns ``model``, ``test accuracy`` (``"98.33%"``) and
        the 95 % Wilson interval (``"96.1% to 99.2%"``), as text.
    """
    return pd.DataFrame(
        {
            "model": table["model"],
            "test accuracy": table["accuracy"].map(pct),
            "95% interval": [
                f"{pct(lo, 1)} to {pct(hi, 1)}"
                for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
        }
    )


def format_spread_table(spread: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Mean, standard deviation and range of repeated-split accuracies, as percentages.

    Parameters
    ----------
    spread : Mapping of str to Mapping
        Model name -> ``mean``, ``std``, ``min`` and ``max`` accuracies (fractions),
        as :func:`~digits_helpers.study.evaluate.mean_and_spread` returns them.

    Returns
    -------
    pandas.DataFrame
        One row per model, in the order of ``spread``; columns ``model``, ``mean``,
        ``sd``, ``min`` and ``max``, as text such as ``"98.33%"``.
    """
    return pd.DataFrame(
        {
            "model": list(spread),
            "mean": [pct(s["mean"]) for s in spread.values()],
            "sd": [pct(s["std"]) for s in spread.values()],
            "min": [pct(s["min"]) for s in spread.values()],
            "max": [pct(s["max"]) for s in spread.values()],
        }
    )


def chosen_predictors(stages: Mapping[str, StageResult], *, seed: int) -> dict[str, FitPredict]:
    """Fit-and-predict functions for every model the chapters chose, as they chose it.

    Parameters
    ----------
    stages : Mapping of str to StageResult
        The records of the scikit-learn, Keras and beyond-the-MLP chapters.
    seed : int
        The models' seed (``model_seed``).

    Returns
    -------
    dict
        Model name -> a function that trains the model on a split's training rows
        and returns its predictions on the split's test rows.
    """
    sklearn, keras, beyond_stage = stages["sklearn"], stages["keras"], stages["beyond"]
    shifted = beyond_stage.model(SHIFTED_MLP.name)["details"]
    predictors = {
        SKLEARN_MLP.name: mlp_fit_predict(
            sklearn.best_params, max_iter=sklearn.max_iter, seed=seed
        ),
        KERAS_MLP.name: keras_fit_predict(
            keras.best_config, hidden_units=keras.hidden_units, seed=seed
        ),
        SHIFTED_MLP.name: keras_fit_predict(
            shifted["config"], hidden_units=shifted["hidden_units"], seed=seed, shifted=True
        ),
        CNN.name: cnn_fit_predict(beyond_stage.model(CNN.name)["details"], seed=seed),
        SVC.name: svc_fit_predict(beyond_stage.model(SVC.name)["details"]["best_params"]),
    }
    return {m.name: predictors[m.name] for m in MODELS}


def decision_table(
    spread: Mapping[str, Mapping[str, float]],
    costs: Mapping[str, float],
    strangers: Sequence[Mapping[str, float]],
    reader: Mapping[str, float],
) -> pd.DataFrame:
    """What a team choosing a model needs side by side: accuracy, people, time.

    Parameters
    ----------
    spread : Mapping
        Model name -> repeated-split ``min`` and ``max`` accuracy (the comparison's).
    costs : Mapping of str to float
        Model name -> seconds to choose and train it (:func:`stage_costs`).
    strangers : Sequence of Mapping
        Chapter 6's rows for the study's models on real digits of strangers:
        ``model``, ``accuracy``, ``answered``, ``answered_accuracy``, ``ms_per_digit``.
    reader : Mapping
        The reader's row: the same keys, and ``train_seconds``.

    Returns
    -------
    pandas.DataFrame
        One row per model, the reader last, indexed by model; as text: the accuracy range
        over the repeated splits (the reader is not retrained on them: ``-``), the share
        of strangers' digits read right, the share sent to a person (``?``), the share
        wrong among those answered, the training seconds and milliseconds per digit.
    """
    rows = []
    for row in [*strangers, {**reader, "model": READER.name}]:
        name = row["model"]
        over_splits = (
            f"{pct(spread[name]['min'], 1)} to {pct(spread[name]['max'], 1)}"
            if name in spread
            else "-"
        )
        seconds = reader["train_seconds"] if name == READER.name else costs.get(name)
        wrong = 1 - row["answered_accuracy"] if row["answered"] > 0 else float("nan")
        rows.append(
            {
                "model": name,
                "own writers, over the splits": over_splits,
                "strangers read right": pct(row["accuracy"], 1),
                "sent to a person (?)": pct(1 - row["answered"], 1),
                "wrong among answered": "-" if math.isnan(wrong) else pct(wrong, 1),
                "training (s)": "-" if seconds is None else f"{seconds:,.0f}",
                "ms per digit": f"{row['ms_per_digit']:.2f}",
            }
        )
    return pd.DataFrame(rows).set_index("model")
