"""One registry of stages and models; one typed record per stage."""

from __future__ import annotations

import numpy as np
import pytest

from digits_helpers.core import registry
from digits_helpers.study import results


def test_every_stage_has_one_record_class_in_order():
    assert tuple(results.STAGE_RESULTS) == registry.STAGE_KEYS
    assert all(results.STAGE_RESULTS[k].stage == k for k in registry.STAGE_KEYS)


def test_every_model_belongs_to_a_stage_whose_record_reports_it():
    for model in registry.MODELS:
        assert model.stage in registry.STAGE_KEYS
    assert {m.stage for m in registry.MODELS} == {"sklearn", "keras", "beyond"}


def test_names_and_keys_are_unique():
    assert len({m.name for m in registry.MODELS}) == len(registry.MODELS)
    assert len({m.key for m in registry.MODELS}) == len(registry.MODELS)


def test_unknown_stage_or_model_lists_the_known_ones():
    with pytest.raises(ValueError, match="preprocessing, sklearn"):
        registry.stage("tensorflow")
    with pytest.raises(ValueError, match="scikit-learn MLP"):
        registry.model("GPT")


def test_a_record_round_trips_through_its_json_file(tmp_path):
    record = results.KerasResult(
        hidden_units=[112, 112],
        split={"dataset": "digits", "test_size": 0.2, "random_state": 42, "stratify": False},
        runs=[{"config": {"epochs": 1}, "test_accuracy": 0.9}],
        best={"index": 0, "model": 1, "test_accuracy": 0.9},
        train_seconds=1.5,
        test_predictions=np.array([3, 1, 4]),
    )
    record.save(tmp_path)
    loaded = results.KerasResult.load(tmp_path)
    assert loaded.to_json() == record.to_json()
    assert loaded.test_predictions == [3, 1, 4] and loaded.best_config == {"epochs": 1}


def test_a_record_missing_a_field_names_it(tmp_path):
    results.save_stage(tmp_path, "keras", {"hidden_units": [1], "split": {}})
    with pytest.raises(ValueError, match="keras results lack runs, best"):
        results.KerasResult.load(tmp_path)


def test_every_dataset_has_a_way_to_prepare_scans():
    """A dataset added to the registry must say how predict prepares a scan for its models."""
    from digits_helpers.core.registry import DATASETS
    from digits_helpers.data.scan import PREPARATIONS

    assert set(PREPARATIONS) == set(DATASETS)
