"""The tolerant comparison of trained scores: within the band equal, outside it not."""

from __future__ import annotations

from nbval_tolerance import PERCENT_POINTS, align_percentages


def test_a_percentage_inside_the_band_is_written_as_committed():
    committed = "CNN test accuracy: 98.89 %"
    assert align_percentages("CNN test accuracy: 98.33 %", committed) == committed


def test_a_percentage_outside_the_band_is_kept_so_the_diff_shows_it():
    moved = f"CNN test accuracy: {98.89 - PERCENT_POINTS - 0.01:.2f} %"
    assert align_percentages(moved, "CNN test accuracy: 98.89 %") == moved


def test_the_band_is_inclusive_at_its_edge():
    edge = f"mean {97.31 + PERCENT_POINTS:.2f} %"
    assert align_percentages(edge, "mean 97.31 %") == "mean 97.31 %"


def test_numbers_that_are_not_percentages_are_left_to_the_exact_comparison():
    committed = "training images: 7185\nCNN: 98.89 %"
    text = align_percentages("training images: 7190\nCNN: 98.61 %", committed)
    assert text == "training images: 7190\nCNN: 98.89 %"


def test_every_percentage_of_a_table_row_is_compared_on_its_own():
    committed = "scikit-learn MLP 98.61 % 96.8 % to 99.4 %"
    assert align_percentages("scikit-learn MLP 97.50 % 95.4 % to 98.7 %", committed) == committed
    far = "scikit-learn MLP 97.50 % 90.1 % to 98.7 %"
    assert align_percentages(far, committed) == "scikit-learn MLP 98.61 % 90.1 % to 99.4 %"


def test_a_different_number_of_percentages_is_left_unchanged():
    assert align_percentages("a 98.00 % b 97.00 %", "a 98.00 %") == "a 98.00 % b 97.00 %"


def test_a_whole_percentage_such_as_a_confidence_level_stays_exact():
    changed = "model test accuracy 93 % interval"
    assert align_percentages(changed, "model test accuracy 95 % interval") == changed
