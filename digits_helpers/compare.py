"""Retrain each study's chosen model on fresh splits, for the repeated-split comparison."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd

from digits_helpers import beyond, keras_mlp
from digits_helpers.data import Dataset, Split
from digits_helpers.evaluate import accuracy_interval, repeated_split_accuracies
from digits_helpers.search import base_estimator, grid_from_params

FitPredict = Callable[[Split], np.ndarray]


def mlp_fit_predict(best_params: Mapping, *, max_iter: int, seed: int) -> FitPredict:
    """The search's best ``MLPClassifier``, trained from scratch on a split."""
    params = {
        k: v[0] for k, v in grid_from_params({k: [v] for k, v in best_params.items()}).items()
    }

    def fit_predict(split: Split) -> np.ndarray:
        model = base_estimator(max_iter=max_iter, random_state=seed).set_params(**params)
        return model.fit(split.X_train, split.y_train).predict(split.X_test)

    return fit_predict


def keras_fit_predict(
    config: Mapping, *, hidden_units: Sequence[int], seed: int, shifted: bool = False
) -> FitPredict:
    """The sweep's chosen Keras configuration, trained from scratch on a split.

    With ``shifted``, trained on shift-augmented digits as in the beyond-the-MLP chapter.
    """

    def fit_predict(split: Split) -> np.ndarray:
        augment = None
        if shifted:
            augment = partial(beyond.shift_augment_rows, image_shape=split.image_shape)
        run = keras_mlp.train_configuration(
            split.X_train,
            split.y_train,
            split.X_test,
            split.y_test,
            keras_mlp.KerasConfig.from_dict(config),
            seed=seed,
            hidden_units=tuple(hidden_units),
            augment=augment,
        )
        return run.test_predictions

    return fit_predict


def cnn_fit_predict(details: Mapping, *, seed: int) -> FitPredict:
    """The CNN with the settings of the beyond-the-MLP chapter."""

    def fit_predict(split: Split) -> np.ndarray:
        return beyond.train_cnn(
            split,
            epochs=details["epochs"],
            batch_size=details["batch_size"],
            learning_rate=details["learning_rate"],
            augment=details["augment"],
            seed=seed,
        ).test_predictions

    return fit_predict


def svc_fit_predict(best_params: Mapping) -> FitPredict:
    """The tuned SVC's ``C`` and ``gamma``, trained on a split."""
    return lambda split: beyond.fit_svc(split, C=best_params["C"], gamma=best_params["gamma"])


def repeated_scores(
    dataset: Dataset,
    predictors: Mapping[str, FitPredict],
    seeds: Sequence[int],
    *,
    test_size: float,
    stratify: bool,
) -> dict[str, list[float]]:
    """Test accuracy of every model on every seed's split (same splits for all models)."""
    return {
        name: repeated_split_accuracies(
            dataset, fit_predict, seeds, test_size=test_size, stratify=stratify
        )
        for name, fit_predict in predictors.items()
    }


def check_same_split(split: Split, stages: Mapping[str, Mapping]) -> None:
    """Refuse to compare predictions made on another split than ``split``."""
    for name, stage in stages.items():
        if stage.get("split") != split.identity():
            raise ValueError(
                f"the {name} results were computed on the split {stage.get('split')}, "
                f"not on {split.identity()}: execute the notebooks with the same "
                "dataset, test_size, random_state and stratify"
            )


def stage_predictions(
    sklearn: Mapping, keras: Mapping, beyond_stage: Mapping
) -> dict[str, np.ndarray]:
    """Each chosen model's predictions on the default test split, from the stage results."""
    predictions = {
        "sklearn MLP": np.asarray(sklearn["test_predictions"]),
        "Keras MLP": np.asarray(keras["test_predictions"]),
    }
    for name, values in beyond_stage["test_predictions"].items():
        predictions[name] = np.asarray(values)
    return predictions


def stage_costs(sklearn: Mapping, keras: Mapping, beyond_stage: Mapping) -> dict[str, float]:
    """Wall seconds each model family cost to choose and train."""
    costs = {
        "sklearn MLP": float(sklearn["search_seconds"]),
        "Keras MLP": float(keras["train_seconds"]),
    }
    for model in beyond_stage["models"]:
        costs[model["name"]] = float(model["train_seconds"])
    return costs


def accuracy_table(
    y_test: np.ndarray, predictions: Mapping[str, np.ndarray], costs: Mapping[str, float]
) -> pd.DataFrame:
    """Accuracy, 95 % Wilson interval and cost per model, indexed by model name."""
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
    """
    return pd.DataFrame(
        {
            "model": table["model"],
            "test accuracy": table["accuracy"].map(lambda v: f"{100 * v:.2f} %"),
            "95 % interval": [
                f"{100 * lo:.1f} % to {100 * hi:.1f} %"
                for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
        }
    )


def format_spread_table(spread: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Mean, standard deviation and range of repeated-split accuracies, as percentages."""
    return pd.DataFrame(
        {
            "model": list(spread),
            "mean": [f"{100 * s['mean']:.2f} %" for s in spread.values()],
            "sd": [f"{100 * s['std']:.2f} %" for s in spread.values()],
            "min": [f"{100 * s['min']:.2f} %" for s in spread.values()],
            "max": [f"{100 * s['max']:.2f} %" for s in spread.values()],
        }
    )


def beyond_predictors(beyond_stage: Mapping, *, seed: int) -> dict[str, FitPredict]:
    """Fit-and-predict functions for the models of the beyond-the-MLP chapter."""
    models = {m["name"]: m for m in beyond_stage["models"]}
    shifted = models[beyond.SHIFTED_MLP]["details"]
    return {
        beyond.SHIFTED_MLP: keras_fit_predict(
            shifted["config"], hidden_units=shifted["hidden_units"], seed=seed, shifted=True
        ),
        "CNN": cnn_fit_predict(models["CNN"]["details"], seed=seed),
        "RBF SVC": svc_fit_predict(models["RBF SVC"]["details"]["best_params"]),
    }
