"""Training digits grown by shifts and by scan-like variants."""

from __future__ import annotations

import numpy as np
import pytest

from digits_helpers.data import augment, scan


def test_the_same_seed_gives_the_same_variants_and_another_seed_others(digits):
    images = digits.images[:20]
    a = augment.scan_variants(images, 2, rng=np.random.default_rng(5))
    b = augment.scan_variants(images, 2, rng=np.random.default_rng(5))
    c = augment.scan_variants(images, 2, rng=np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_variants_are_digits_of_the_dataset_kind(digits):
    variants = augment.scan_variants(digits.images[:50], 3, rng=np.random.default_rng(0))
    assert variants.shape == (150, 8, 8) and variants.dtype == np.float32
    assert variants.min() == 0 and variants.max() <= 1
    np.testing.assert_array_equal(variants * 16, np.rint(variants * 16))  # block counts
    assert (variants.max(axis=(1, 2)) > 0).all()  # none erased
    # Each variant is read back as a scan: its ink fills the height of the bitmap.
    assert (variants[:, 0, :].max(axis=1) > 0).mean() > 0.9


def test_variants_differ_from_their_digit_but_stay_close(digits):
    images = digits.images[:100]
    variants = augment.scan_variants(images, 1, rng=np.random.default_rng(1))
    difference = np.abs(variants - augment.rescanned(images)).mean(axis=(1, 2))
    assert (difference > 0).mean() > 0.9
    assert difference.mean() < 0.2


def test_no_variation_leaves_the_bitmap_as_it_was():
    bitmap = np.zeros((32, 32), dtype=bool)
    bitmap[4:28, 12:20] = True
    same = augment.vary_bitmap(bitmap, rotation_degrees=0, slant=0, aspect=1, thickness=0)
    ink = scan.Ink(mask=same, level=same.astype(np.float32))
    np.testing.assert_array_equal(
        scan.digit_bitmap(ink),
        scan.digit_bitmap(scan.Ink(mask=bitmap, level=bitmap.astype(np.float32))),
    )


def test_thicker_and_thinner_pens_change_the_ink():
    bitmap = np.zeros((32, 32), dtype=bool)
    bitmap[4:28, 12:20] = True
    ink = {
        step: augment.vary_bitmap(bitmap, rotation_degrees=0, slant=0, aspect=1, thickness=step)
        for step in (-1, 0, 1)
    }
    assert ink[-1].sum() < ink[0].sum() < ink[1].sum()


@pytest.mark.parametrize(("name", "factor"), [("none", 1), ("shifts", 5), ("scan", 10)])
def test_each_augmentation_grows_the_training_set_by_its_factor(digits, name, factor):
    images, labels = digits.images[:30], digits.target[:30]
    grown, grown_labels = augment.augmented(images, labels, name, seed=0)
    assert len(grown) == len(grown_labels) == factor * len(images)
    np.testing.assert_array_equal(grown[: len(images)], images)  # the digits themselves first
    np.testing.assert_array_equal(grown_labels, np.tile(labels, factor))


def test_an_unknown_augmentation_is_refused(digits):
    with pytest.raises(ValueError, match="augmentation must be one of none, shifts, scan"):
        augment.augmented(digits.images[:2], digits.target[:2], "rotate", seed=0)


def test_variants_made_in_pieces_by_worker_processes_are_those_of_one_call(digits):
    from digits_helpers.core import cluster

    images = digits.images[:40]
    alone = augment.scan_variants(images, 2, rng=np.random.default_rng(9))
    with cluster.backend("", n_jobs=2) as workers:
        spread = augment.scan_variants(
            images, 2, rng=np.random.default_rng(9), run_tasks=workers.map
        )
    np.testing.assert_array_equal(spread, alone)


def test_each_variant_is_its_digit_varied_by_the_draws_made_in_order(digits):
    images = digits.images[:3]
    variants = augment.scan_variants(images, 2, rng=np.random.default_rng(4))
    rng = np.random.default_rng(4)  # copy by copy, digit by digit: rotation, slant, aspect, pen
    for position in range(6):
        ranges = augment.SCAN_RANGES
        varied = augment.vary_bitmap(
            scan.bitmap_from_features(images[position % 3]),
            rotation_degrees=rng.uniform(-1, 1) * ranges["rotation_degrees"],
            slant=rng.uniform(-1, 1) * ranges["slant"],
            aspect=1 + rng.uniform(-1, 1) * ranges["aspect"],
            thickness=int(rng.choice(augment.THICKNESS_STEPS)),
        )
        expected = scan.optdigits_features(scan.Ink(mask=varied, level=varied.astype(np.float32)))
        np.testing.assert_array_equal(variants[position], expected)
