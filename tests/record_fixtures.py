"""One small record of each stage, as a chapter builds it: for the tests of what it glues."""

from __future__ import annotations

from digits_helpers.core.registry import MODELS
from digits_helpers.study import results

_SPLIT = {"test_size": 0.2}
_STRANGERS = [
    {"model": "CNN", "accuracy": 0.61, "answered_accuracy": 0.70},
    {"model": "RBF SVC", "accuracy": 0.52, "answered_accuracy": 0.54},
]


def records() -> dict[str, results.StageResult]:
    """Stage key -> a record of that stage with every field a chapter fills."""
    sizes = {"n_samples": 1797, "n_features": 64, "n_train": 1437, "n_test": 360}
    return {
        "preprocessing": results.PreprocessingResult(
            dataset={"name": "digits", **sizes, "n_classes": 10}, class_counts={}
        ),
        "sklearn": results.SklearnResult(
            strategy="grid",
            best_params={"alpha": 0.01},
            best_cv_score=0.97,
            search_seconds=1.5,
            n_candidates=2,
            n_fits=6,
            ignored_params={},
            best_n_iter=40,
            grid_size=2,
            split=_SPLIT,
            max_iter=40,
            test_accuracy=0.95,
            test_predictions=[1, 2],
            loss_curve=[0.5],
        ),
        "keras": results.KerasResult(
            hidden_units=[112, 112],
            split=_SPLIT,
            runs=[{"test_accuracy": 0.95, "config": {}}, {"test_accuracy": 0.96, "config": {}}],
            best={"index": 1, "model": 2, "test_accuracy": 0.96},
            train_seconds=1.0,
            test_predictions=[1, 2],
        ),
        "beyond": results.BeyondResult(
            models=[
                {"name": name, "test_accuracy": 0.98, "train_seconds": 2.0, "details": {}}
                for name in ("MLP + shifts", "CNN", "RBF SVC")
            ],
            split=_SPLIT,
            test_predictions={},
        ),
        "comparison": results.ComparisonResult(
            repeat_seeds=[0, 1],
            accuracies={},
            spread={model.name: {"mean": 0.97, "std": 0.01} for model in MODELS},
            mcnemar_p=0.5,
            mcnemar={},
            paired_t_p=0.3,
            default_split=[],
            library_paths=[
                {
                    "model": model,
                    "training s, plain": 2.0,
                    "training s, this project": 1.0,
                    "test predictions alike": 360,
                    "test digits": 360,
                }
                for model in ("scikit-learn MLP", "Keras MLP")
            ],
        ),
        "reading": results.ReadingResult(
            model="CNN",
            threshold=0.8,
            agreement=[{"agreement": 0.99, "files": 360}],
            strip={"truth": "123", "read": "123", "gaps": [3, 4]},
            variants=[{"model": row["model"], "varied": 0.9} for row in _STRANGERS],
            strangers={"n_digits": 1996, "scan_size": 64, "models": _STRANGERS},
        ),
        "reader": results.ReaderResult(
            training={},
            train_seconds=80.0,
            temperature=1.2,
            threshold=0.98,
            validation={},
            held_out={"accuracy": 0.95, "answered": 0.9, "answered_accuracy": 0.995},
            curve=[],
            digits8={},
            strips={"exact": 0.5, "seconds_per_strip": 0.01},
        ),
    }
