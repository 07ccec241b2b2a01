"""Retraining the chosen models on fresh splits and tabulating them."""

from __future__ import annotations

import numpy as np
import pytest

from digits_helpers.study import compare, results

pytestmark = pytest.mark.tensorflow  # compare imports TensorFlow


def test_mlp_fit_predict_retrains_the_best_params_on_any_split(split):
    fit_predict = compare.mlp_fit_predict(
        {"hidden_layer_sizes": [32], "alpha": 0.01, "learning_rate_init": 0.01},
        max_iter=50,
        seed=0,
    )
    predictions = fit_predict(split)
    assert predictions.shape == split.y_test.shape and (predictions == split.y_test).mean() > 0.9


def test_keras_fit_predict_trains_the_chosen_configuration(split):
    config = {"validation_split": 0.2, "learning_rate": 0.01, "batch_size": 64, "epochs": 3}
    predictions = compare.keras_fit_predict(config, hidden_units=[32], seed=0)(split)
    assert (predictions == split.y_test).mean() > 0.8


def test_repeated_scores_give_one_accuracy_per_model_and_seed(digits):
    def constant(split):
        return np.zeros(len(split.y_test), dtype=int)

    scores = compare.repeated_scores(
        digits, {"a": constant, "b": constant}, [0, 1], test_size=0.2, stratify=False
    )
    assert set(scores) == {"a", "b"} and all(len(v) == 2 for v in scores.values())
    assert scores["a"] == scores["b"]


def test_accuracy_table_has_interval_errors_and_cost():
    y = np.array([0, 1, 1, 0])
    table = compare.accuracy_table(y, {"m": np.array([0, 1, 0, 0])}, {"m": 2.0})
    row = table.loc["m"]
    assert row["accuracy"] == 0.75 and row["errors"] == 1 and row["seconds"] == 2.0
    assert row["ci_low"] < 0.75 < row["ci_high"]


def test_formatted_tables_show_percentages_without_timings():
    y = np.array([0, 1])
    table = compare.accuracy_table(y, {"m": y}, {"m": 1.0})
    shown = compare.format_accuracy_table(table)
    assert list(shown.columns) == ["model", "test accuracy", "95% interval"]
    assert shown.iloc[0]["test accuracy"] == "100.00%"
    spread = compare.format_spread_table({"m": {"mean": 0.9, "std": 0.01, "min": 0.8, "max": 1}})
    assert spread.iloc[0]["mean"] == "90.00%"


def test_stage_predictions_and_costs_read_every_model_in_registry_order(tmp_path):
    beyond = results.BeyondResult(
        models=[
            {"name": "RBF SVC", "train_seconds": 0.5},
            {"name": "CNN", "train_seconds": 5.0},
        ],
        split={},
        test_predictions={"RBF SVC": [4], "CNN": [3]},
    )
    keras = results.KerasResult(
        hidden_units=[1], split={}, runs=[], best={}, train_seconds=1.0, test_predictions=[2]
    )
    stages = {"beyond": beyond, "keras": keras}
    assert list(compare.stage_predictions(stages)) == ["Keras MLP", "CNN", "RBF SVC"]
    assert compare.stage_predictions(stages)["CNN"].tolist() == [3]
    assert compare.stage_costs(stages) == {"Keras MLP": 1.0, "CNN": 5.0, "RBF SVC": 0.5}


def test_the_decision_table_sets_every_model_beside_the_reader():
    spread = {"CNN": {"min": 0.975, "max": 0.99}, "RBF SVC": {"min": 0.98, "max": 0.991}}
    strangers = [
        {
            "model": "CNN",
            "accuracy": 0.79,
            "answered": 0.8,
            "answered_accuracy": 0.874,
            "ms_per_digit": 0.05,
        },
        {
            "model": "RBF SVC",
            "accuracy": 0.7,
            "answered": 0.0,
            "answered_accuracy": float("nan"),
            "ms_per_digit": 0.4,
        },
    ]
    reader = {
        "accuracy": 0.983,
        "answered": 0.96,
        "answered_accuracy": 0.996,
        "ms_per_digit": 0.02,
        "train_seconds": 101.4,
    }
    table = compare.decision_table(spread, {"CNN": 30.0, "RBF SVC": 2.0}, strangers, reader)
    assert list(table.index) == ["CNN", "RBF SVC", "Reader"]
    cnn, svc, read = (table.loc[name] for name in table.index)
    assert cnn["own writers, over the splits"] == "97.5% to 99.0%"
    assert (cnn["strangers read right"], cnn["sent to a person (?)"]) == ("79.0%", "20.0%")
    assert cnn["wrong among answered"] == "12.6%" and cnn["training (s)"] == "30"
    assert svc["wrong among answered"] == "-"  # it answered nothing
    assert read["own writers, over the splits"] == "-" and read["training (s)"] == "101"
    assert read["ms per digit"] == "0.02"


def test_plain_libraries_and_this_projects_paths_are_timed_on_the_same_digits(split):
    import pandas as pd

    from digits_helpers.study import library_costs

    sklearn_row = library_costs.sklearn_side_by_side(
        split,
        {"hidden_layer_sizes": [32], "alpha": 0.01, "learning_rate_init": 0.01},
        max_iter=30,
        seed=0,
    )
    # The lean loop repeats scikit-learn's arithmetic: every test digit labelled alike.
    assert sklearn_row["test predictions alike"] == sklearn_row["test digits"] == len(split.y_test)
    assert sklearn_row["training s, plain"] > 0 and sklearn_row["training s, this project"] > 0
    keras_row = library_costs.keras_side_by_side(
        split,
        {"validation_split": 0.2, "learning_rate": 0.01, "batch_size": 64, "epochs": 3},
        hidden_units=(32,),
        seed=0,
    )
    # Different shuffles: most, not necessarily all, test digits alike.
    assert 0.8 * len(split.y_test) <= keras_row["test predictions alike"] <= len(split.y_test)
    shown = library_costs.format_side_by_side(
        pd.DataFrame([sklearn_row, keras_row]).set_index("model")
    )
    n = len(split.y_test)
    assert shown.loc["scikit-learn MLP", "test predictions alike"] == f"{n:,} of {n:,}"
    assert list(shown.index) == ["scikit-learn MLP", "Keras MLP"]
