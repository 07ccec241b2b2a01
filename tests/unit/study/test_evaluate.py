"""Accuracy intervals, McNemar's test and repeated splits."""

from __future__ import annotations

import numpy as np
import pytest

from digits_helpers.study import evaluate


def test_wilson_interval_contains_the_accuracy_and_stays_in_unit_range():
    y = np.zeros(100, dtype=int)
    interval = evaluate.accuracy_interval(y, y)
    assert interval.accuracy == 1.0 and interval.high == pytest.approx(1.0)
    assert 0.95 < interval.low < 1.0


def test_interval_narrows_with_more_test_digits():
    small = evaluate.accuracy_interval(np.r_[np.zeros(9), 1], np.zeros(10))
    large = evaluate.accuracy_interval(np.r_[np.zeros(900), np.ones(100)], np.zeros(1000))
    assert small.accuracy == large.accuracy == 0.9
    assert large.high - large.low < small.high - small.low


def test_mcnemar_counts_only_disagreements():
    y = np.array([0, 0, 0, 0, 1, 1])
    a = np.array([0, 0, 1, 1, 1, 1])
    b = np.array([0, 1, 0, 0, 1, 0])
    result = evaluate.mcnemar_exact(y, a, b)
    assert (result.only_a_correct, result.only_b_correct) == (2, 2)
    assert result.p_value == pytest.approx(1.0)


def test_mcnemar_is_significant_for_one_sided_disagreements():
    y = np.zeros(40, dtype=int)
    b = np.r_[np.ones(15, dtype=int), np.zeros(25, dtype=int)]
    assert evaluate.mcnemar_exact(y, y, b).p_value < 0.001


def test_mcnemar_of_identical_predictions_is_one():
    y = np.arange(5)
    assert evaluate.mcnemar_exact(y, y, y).p_value == 1.0


def test_repeated_splits_use_one_split_per_seed(digits):
    seen = []

    def majority(split):
        seen.append(split.random_state)
        return np.full(len(split.y_test), np.bincount(split.y_train).argmax())

    scores = evaluate.repeated_split_accuracies(digits, majority, [1, 2, 3])
    assert seen == [1, 2, 3] and len(scores) == 3 and all(s < 0.2 for s in scores)


def test_mean_and_spread():
    spread = evaluate.mean_and_spread([0.9, 1.0])
    assert spread["mean"] == pytest.approx(0.95) and spread["min"] == 0.9
    assert spread["std"] == pytest.approx(np.std([0.9, 1.0], ddof=1))


def test_wilson_interval_matches_the_textbook_value():
    interval = evaluate.accuracy_interval(np.r_[np.zeros(90), np.ones(10)], np.zeros(100))
    assert (interval.low, interval.high) == pytest.approx((0.8256, 0.9448), abs=1e-4)


def test_mcnemar_p_value_is_the_exact_binomial_one():
    y = np.zeros(15, dtype=int)
    assert evaluate.mcnemar_exact(y, np.ones(15, dtype=int), y).p_value == pytest.approx(
        2 * 0.5**15
    )


def test_corrected_t_test_detects_a_large_consistent_gap():
    a = [0.90, 0.91, 0.92, 0.93, 0.94]
    b = [x + 0.05 + 0.001 * i for i, x in enumerate(a)]
    assert evaluate.paired_t_test(a, b, test_fraction=0.2) < 0.01


def test_corrected_t_test_is_more_cautious_than_the_plain_one():
    from scipy import stats

    a = [0.95, 0.97, 0.96, 0.98, 0.96]
    b = [0.96, 0.97, 0.98, 0.98, 0.97]
    assert evaluate.paired_t_test(a, b, test_fraction=0.2) > stats.ttest_rel(a, b).pvalue


def test_t_test_of_identical_scores_is_one_and_of_a_constant_gap_undefined():
    a = [0.9, 0.95, 0.92]
    assert evaluate.paired_t_test(a, a, test_fraction=0.2) == 1.0
    assert np.isnan(evaluate.paired_t_test(a, [x + 0.01 for x in a], test_fraction=0.2))


def test_confusion_has_a_row_per_class_even_when_absent():
    cm = evaluate.confusion(np.array([0, 1]), np.array([0, 1]), n_classes=4)
    assert cm.shape == (4, 4) and cm.trace() == 2
