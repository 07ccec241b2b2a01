"""Chapter 6's checks: files written under each condition and read back by a saved model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from digits_helpers.core import cluster
from digits_helpers.core.registry import SKLEARN_MLP
from digits_helpers.models import artifacts, search
from digits_helpers.reading import checks, predict

# A noisy condition (its generator carried from digit to digit) and a lossy format.
CONDITIONS = (checks.Condition(16, noise=0.1), checks.Condition(64, blur=0.02, suffix=".jpg"))


@pytest.fixture(scope="module")
def small_split(split):
    """The first 40 test digits: enough to read every condition, quick to write."""
    return dataclasses.replace(split, X_test=split.X_test[:40], y_test=split.y_test[:40])


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, split):
    folder = tmp_path_factory.mktemp("run")
    mlp = search.base_estimator(max_iter=30, random_state=0).fit(split.X_train, split.y_train)
    artifacts.save_model(folder, SKLEARN_MLP, mlp, split=split, parameters={})
    return artifacts.load_model(folder, SKLEARN_MLP)


def test_each_condition_reads_as_files_written_and_read_one_after_the_other(
    small_split, loaded, tmp_path
):
    table = checks.agreement_table(loaded, small_split, CONDITIONS, seed=5)
    for number, condition in enumerate(CONDITIONS):
        # What the chapter did before the conditions became tasks: one folder each, the
        # noise's generator seeded afresh for each condition.
        paths = checks.write_scans(
            small_split.test_images, tmp_path / str(number), condition, seed=5
        )
        readings = predict.read_files(
            paths, loaded, form=False, threshold=predict.DEFAULT_THRESHOLD
        )
        read = np.array([r.digits[0].digit if r.error is None else -1 for r in readings])
        row = table.iloc[number]
        assert row["condition"] == condition.label and row["files"] == 40
        assert row["accuracy"] == float((read == small_split.y_test).mean())
        assert row["unsure"] == float(
            np.mean([r.error is None and r.digits[0].unsure for r in readings])
        )


def test_the_conditions_spread_over_worker_processes_give_the_same_table(small_split, loaded):
    alone = checks.agreement_table(loaded, small_split, CONDITIONS, seed=5)
    with cluster.backend("", n_jobs=2) as workers:
        spread = checks.agreement_table(
            loaded, small_split, CONDITIONS, seed=5, run_tasks=workers.map
        )
    assert spread.equals(alone)


def test_files_prepared_for_one_dataset_are_refused_to_a_model_of_another(loaded, tmp_path):
    paths = checks.write_scans(loaded_digits(), tmp_path, checks.Condition(28))
    prepared = predict.prepare_files(paths, dataset="mnist", form=False)
    assert prepared.features.shape == (2, 28, 28)
    with pytest.raises(ValueError, match="prepared for the 'mnist' models, read by a 'digits'"):
        predict.read_prepared(prepared, loaded, threshold=0.5)


def test_a_file_that_cannot_be_prepared_is_kept_with_its_reason(loaded, tmp_path):
    blank = tmp_path / "blank.png"
    checks.write_scans(np.zeros((1, 8, 8)), tmp_path / "b", checks.Condition(16))[0].rename(blank)
    good = checks.write_scans(loaded_digits(), tmp_path / "g", checks.Condition(16))
    prepared = predict.prepare_files([blank, *good], dataset="digits", form=False)
    assert prepared.errors[0] is not None and prepared.errors[1:] == [None, None]
    assert prepared.features.shape == (2, 8, 8)
    readings = predict.read_prepared(prepared, loaded, threshold=0.5)
    assert readings[0].error == prepared.errors[0] and readings[0].digits == []
    assert [len(r.digits) for r in readings[1:]] == [1, 1]


def loaded_digits() -> np.ndarray:
    """Two 8x8 digits: a bar and a block of ink."""
    images = np.zeros((2, 8, 8))
    images[0, 1:7, 3:5] = 1.0
    images[1, 2:6, 2:6] = 0.75
    return images
