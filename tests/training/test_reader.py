"""The reader: its validation digits, calibration, threshold, training and saved card."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mnist_samples import digits28, write_mnist

from digits_helpers.core.registry import READER
from digits_helpers.models import artifacts
from digits_helpers.reading import other_hands, predict, reader


def test_validation_rows_are_the_last_share_of_each_class_in_order():
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 2])
    keep = reader.validation_rows(labels, share=0.4)
    assert np.flatnonzero(keep & (labels == 0)).tolist() == [6, 8]
    assert np.flatnonzero(keep & (labels == 1)).tolist() == [7, 9]
    assert np.flatnonzero(keep & (labels == 2)).tolist() == [11]
    with pytest.raises(ValueError, match="share"):
        reader.validation_rows(labels, share=1.0)


def test_a_temperature_above_one_flattens_and_keeps_the_order():
    probabilities = np.array([[0.7, 0.2, 0.1]])
    flatter = artifacts.scaled_by_temperature(probabilities, 2.0)
    assert flatter[0, 0] < 0.7 and flatter.sum() == pytest.approx(1)
    assert np.argsort(flatter[0]).tolist() == np.argsort(probabilities[0]).tolist()
    np.testing.assert_allclose(artifacts.scaled_by_temperature(probabilities, 1.0), probabilities)


def test_the_fitted_temperature_undoes_an_overconfident_model():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1.5, (4000, 10))
    calibrated = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(10, p=row) for row in calibrated])  # drawn as they say
    overconfident = artifacts.scaled_by_temperature(calibrated, 1 / 3)  # logits times 3
    assert reader.fit_temperature(overconfident, labels) == pytest.approx(3.0, rel=0.15)
    assert reader.fit_temperature(calibrated, labels) == pytest.approx(1.0, rel=0.15)


def test_the_threshold_is_the_lowest_that_reaches_the_required_accuracy():
    probabilities = np.array([[0.99, 0.01], [0.95, 0.05], [0.7, 0.3], [0.6, 0.4]])
    labels = np.array([0, 0, 1, 0])  # the digit at 0.7 is wrong
    curve = reader.coverage_curve(probabilities, labels, thresholds=(0.5, 0.65, 0.8, 0.96))
    assert curve["answered"].tolist() == [1.0, 0.75, 0.5, 0.25]
    assert curve["error"].tolist() == pytest.approx([0.25, 1 / 3, 0.0, 0.0])
    # two right answers out of two bound the accuracy above 0.6 at 80 %, one of one not
    assert reader.choose_threshold(curve, required=0.6) == 0.8
    # none reaches it: the highest threshold
    assert reader.choose_threshold(curve, required=0.99) == 0.96


def test_the_threshold_asks_for_a_margin_over_the_measured_share():
    # 1,000 answered at each threshold: 996 right at 0.9 (99.6 %), 999 right at 0.95
    curve = pd.DataFrame(
        {
            "threshold": [0.9, 0.95],
            "answered": [1.0, 1.0],
            "error": [0.004, 0.001],
            "n_answered": [1000, 1000],
        }
    )
    assert reader.choose_threshold(curve, required=0.995, confidence=0.5 + 1e-9) == 0.9
    assert reader.choose_threshold(curve, required=0.995) == 0.95


def test_an_unreadable_digit_is_never_answered():
    curve = reader.coverage_curve(
        np.array([[0.99, 0.01], [0.99, 0.01]]),
        np.array([0, 0]),
        thresholds=(0.5,),
        readable=np.array([True, False]),
    )
    assert curve.loc[0, "answered"] == 0.5 and curve.loc[0, "error"] == 0.0


@pytest.fixture(scope="module")
def trained(tmp_path_factory, split):
    folder = tmp_path_factory.mktemp("mnist")
    write_mnist(folder, "idx", digits28())
    training, held_out = other_hands.load_real_digits(folder)
    fitted = reader.train_reader(
        training,
        (split.train_images[:300], split.y_train[:300]),
        epochs=1,
        augmentation="none",
        required=0.99,
        seed=3,
    )
    return fitted, held_out


def test_the_reader_learns_from_both_sources_and_keeps_its_validation_apart(trained):
    fitted, _ = trained
    details = fitted.details
    assert details["n_digits8"] == 300 and details["representation"] == "digits"
    assert details["n_training_images"] == details["n_mnist"] + 300
    assert fitted.validation["n"] == details["n_validation"] > 0
    assert 0.05 <= fitted.temperature <= 20
    assert fitted.threshold in reader.THRESHOLDS


def test_the_saved_reader_carries_its_calibration_and_predict_reads_with_it(trained, tmp_path):
    fitted, held_out = trained
    features = reader.prepared_as_scans(held_out.images[:20])
    artifacts.save_reader(
        tmp_path,
        fitted.model,
        dataset="digits",
        trained_on=fitted.details,
        temperature=fitted.temperature,
        threshold=fitted.threshold,
        parameters={"epochs": 1},
        held_out=(features, held_out.labels[:20]),
    )
    loaded = artifacts.load_model(tmp_path, READER, dataset="digits", image_shape=(8, 8))
    assert loaded.card["temperature"] == pytest.approx(fitted.temperature)
    assert loaded.threshold == pytest.approx(fitted.threshold)
    np.testing.assert_allclose(
        loaded.probabilities(features), fitted.probabilities(features), rtol=1e-5, atol=1e-6
    )
    assert predict.default_threshold(loaded) == pytest.approx(fitted.threshold)
    assert predict.default_model(tmp_path) == "reader"
    section = artifacts.models_section(tmp_path, {})
    assert section["reader"]["threshold"] == pytest.approx(fitted.threshold)
    assert section["saved"] == {} and section["best"] is None


def test_a_run_without_a_reader_reads_with_its_best_model(tmp_path):
    assert predict.default_model(tmp_path) == "best"


def test_epochs_must_be_a_positive_integer(split):
    with pytest.raises(ValueError, match="epochs"):
        reader.train_reader(
            other_hands.RealDigits(np.zeros((10, 28, 28), np.float32), np.arange(10)),
            (split.train_images[:5], split.y_train[:5]),
            epochs=0,
            augmentation="none",
            required=0.99,
            seed=0,
        )
