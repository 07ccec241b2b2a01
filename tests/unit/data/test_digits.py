"""Loading, scaling and splitting the digits."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from digits_helpers.data import digits as data


def test_pixels_are_scaled_to_unit_interval(digits):
    assert digits.images.min() == 0.0 and digits.images.max() == 1.0
    assert digits.images.dtype == np.float32


def test_images_are_flattened_to_one_row_each(digits):
    assert digits.X.shape == (1797, 64)
    np.testing.assert_array_equal(digits.X[5], digits.images[5].ravel())


def test_default_split_is_80_20_like_the_reference(split):
    assert (len(split.y_train), len(split.y_test)) == (1437, 360)


def test_split_is_reproducible_for_same_seed(digits):
    a = data.split_dataset(digits, random_state=3)
    b = data.split_dataset(digits, random_state=3)
    np.testing.assert_array_equal(a.X_test, b.X_test)


def test_split_changes_with_the_seed(digits):
    a = data.split_dataset(digits, random_state=3)
    b = data.split_dataset(digits, random_state=4)
    assert not np.array_equal(a.y_test, b.y_test)


def test_stratified_split_keeps_class_proportions(digits):
    s = data.split_dataset(digits, test_size=0.2, random_state=0, stratify=True)
    share = data.class_counts(s.y_test, 10) / data.class_counts(digits.target, 10)
    assert np.all(np.abs(share - 0.2) < 0.02)


def test_summary_reports_sizes(split):
    summary = split.summary()
    assert summary["n_samples"] == 1797 and summary["n_features"] == 64
    assert summary["n_train"] + summary["n_test"] == 1797


def test_count_table_adds_up(split):
    table = data.count_table(split)
    assert table["total"].sum() == 1797 and list(table["digit"]) == list(range(10))


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.1])
def test_invalid_test_size_is_refused(digits, test_size):
    with pytest.raises(ValueError, match="test_size"):
        data.split_dataset(digits, test_size=test_size)


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="'digits', 'mnist'"):
        data.load_dataset("emnist")


def test_mnist_without_its_folder_is_refused():
    with pytest.raises(ValueError, match="data_dir must name their folder"):
        data.load_dataset("mnist")


def test_fewer_digits_or_other_labels_give_another_split_identity():
    """The comparison refuses chapters run on other rows: the identity must tell them
    apart even when the split's parameters are the same."""
    whole = data.load_split("digits")
    fewer = data.load_split("digits", max_images=500)
    assert whole.identity() != fewer.identity()
    assert whole.identity() == data.load_split("digits").identity()
    relabelled = dataclasses.replace(whole, y_test=(whole.y_test + 1) % 10)
    assert relabelled.identity()["split_digest"] == whole.identity()["split_digest"]
    assert relabelled.identity() != whole.identity()
