"""Stage files, results.json and atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digits_helpers.core import files
from digits_helpers.study import results


def test_stage_round_trip_converts_numpy(tmp_path):
    results.save_stage(tmp_path, "sklearn", {"p": np.arange(3), "s": np.float32(0.5), "t": (1, 2)})
    assert results.load_stage(tmp_path, "sklearn") == {"p": [0, 1, 2], "s": 0.5, "t": [1, 2]}


def test_missing_stage_names_the_notebook_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="02_sklearn_search"):
        results.load_stage(tmp_path, "sklearn")


def test_unknown_stage_is_refused(tmp_path):
    with pytest.raises(ValueError, match="preprocessing"):
        results.save_stage(tmp_path, "tensorflow", {})


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "r.json"
    files.write_json(path, {"good": 1})
    with pytest.raises(TypeError):
        files.write_json(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"good": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_assemble_merges_stages_parameters_timings_and_versions(tmp_path):
    results.save_stage(tmp_path, "preprocessing", {"dataset": {"name": "digits"}})
    results.save_stage(tmp_path, "keras", {"best": {"index": 0}})
    document = results.assemble(tmp_path, {"cv": 3}, {"total_seconds": 1.0})
    assert document["dataset"] == {"name": "digits"} and document["parameters"] == {"cv": 3}
    assert document["keras"]["best"]["index"] == 0 and "sklearn" not in document
    assert "scikit-learn" in document["versions"] and document["timings"]["total_seconds"] == 1.0


def _reading(model: str) -> results.ReadingResult:
    rows = [
        {"model": "CNN", "accuracy": 0.61, "answered_accuracy": 0.70, "varied": 0.93},
        {"model": "RBF SVC", "accuracy": 0.52, "answered_accuracy": 0.54, "varied": 0.90},
    ]
    return results.ReadingResult(
        model=model,
        threshold=0.8,
        agreement=[{"agreement": 0.99, "files": 360}, {"agreement": 0.95, "files": 720}],
        strip={"truth": "123", "read": "128", "gaps": [3, 4]},
        variants=[{"model": r["model"], "varied": r["varied"]} for r in rows],
        strangers={"n_digits": 1996, "scan_size": 64, "models": rows},
    )


@pytest.mark.parametrize(
    ("model", "accuracy", "varied"), [("CNN", 0.61, 0.93), ("RBF SVC", 0.52, 0.90)]
)
def test_the_reading_record_glues_the_numbers_of_the_model_it_read_with(model, accuracy, varied):
    glued = _reading(model).glued()
    assert glued["best_strangers_accuracy"] == accuracy and glued["best_varied_accuracy"] == varied
    assert glued["reading_min_agreement"] == 0.95 and glued["reading_files"] == 1080
    assert (glued["strip_truth"], glued["strip_read"], glued["reading_model"]) == (
        "123",
        "128",
        model,
    )


def test_the_comparison_record_glues_each_models_spread_and_library_ratio():
    from digits_helpers.core.registry import MODELS

    record = results.ComparisonResult(
        repeat_seeds=[0, 1, 2],
        accuracies={},
        spread={m.name: {"mean": 0.9 + i / 100, "std": i / 1000} for i, m in enumerate(MODELS)},
        mcnemar_p=0.5,
        mcnemar={},
        paired_t_p=0.25,
        default_split=[],
        library_paths=[
            {
                "model": "Keras MLP",
                "training s, plain": 6.0,
                "training s, this project": 1.5,
                "test predictions alike": 357,
                "test digits": 360,
            }
        ],
    )
    glued = record.glued()
    assert glued["keras_plain_training_ratio"] == 4.0
    assert glued["keras_plain_alike"] == "357 of the 360 test digits"
    assert glued["cnn_repeated_mean"] == 0.93 and glued["svc_repeated_std"] == 0.004
    assert (glued["paired_p"], glued["n_repeat_seeds"]) == (0.25, 3)
