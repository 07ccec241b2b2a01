"""The CNN and the SVC of the beyond-the-MLP chapter."""

from __future__ import annotations

import numpy as np
import pytest

from digits_helpers.data import augment
from digits_helpers.models import beyond

pytestmark = pytest.mark.tensorflow  # beyond imports TensorFlow


def test_shift_augment_adds_four_one_pixel_shifts_with_zero_fill():
    image = np.zeros((1, 3, 3), dtype=np.float32)
    image[0, 1, 1] = 1.0
    shifted = augment.shift_augment(image)
    assert shifted.shape == (5, 3, 3)
    positions = {tuple(np.argwhere(s)[0]) for s in shifted}
    assert positions == {(1, 1), (1, 2), (1, 0), (2, 1), (0, 1)}


def test_shift_does_not_wrap_around_the_edge():
    image = np.zeros((1, 3, 3), dtype=np.float32)
    image[0, 0, 2] = 1.0
    shifted = augment.shift_augment(image)
    assert shifted[1].sum() == 0.0  # shifted right, off the image


def test_cnn_takes_images_and_outputs_one_probability_per_class():
    model = beyond.build_cnn((8, 8), 10)
    assert model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 10)


def test_cnn_learns_the_digits_in_one_epoch(split):
    run = beyond.train_cnn(split, epochs=1, augmentations=["none"], seed=0)
    assert run.test_accuracy > 0.7 and run.test_predictions.shape == split.y_test.shape
    assert run.summary()["details"]["n_training_images"] == len(split.y_train)


def test_cnn_is_reproducible_for_the_same_seed(split):
    a = beyond.train_cnn(split, epochs=1, augmentations=["none"], seed=3)
    b = beyond.train_cnn(split, epochs=1, augmentations=["none"], seed=3)
    np.testing.assert_array_equal(a.test_predictions, b.test_predictions)


def test_shifts_multiply_the_training_images_by_five(split):
    run = beyond.train_cnn(split, epochs=1, augmentations=["shifts"], seed=0)
    assert run.details["n_training_images"] == 5 * len(split.y_train)
    assert run.details["validation"] == {}  # one candidate: no choice to make


def test_the_augmentation_is_chosen_on_validation_digits_and_scans(split):
    run = beyond.train_cnn(split, epochs=1, augmentations=["none", "scan"], seed=0)
    scores = run.details["validation"]
    assert set(scores) == {"none", "scan"}
    for score in scores.values():
        assert score["score"] == pytest.approx((score["digits"] + score["variants"]) / 2)
    best = max(["none", "scan"], key=lambda name: scores[name]["score"])
    assert run.details["augmentation"] == best
    grown = {"none": 1, "scan": 2 + len(augment.SHIFTS) + augment.SCAN_COPIES}[best]
    assert run.details["n_training_images"] == grown * len(split.y_train)
    table = beyond.augmentation_table(run.details)
    assert list(table.index) == ["none", "scan"] and table.loc[best, "chosen"] == "yes"


def test_an_unknown_augmentation_is_refused(split):
    with pytest.raises(ValueError, match="augmentations must be"):
        beyond.train_cnn(split, epochs=1, augmentations=["rotate"])


@pytest.mark.parametrize("epochs", [0, -1, 1.5])
def test_invalid_epochs_are_refused(split, epochs):
    with pytest.raises(ValueError, match="epochs"):
        beyond.train_cnn(split, epochs=epochs)


def test_svc_search_picks_from_the_grid_and_beats_97_percent(split):
    run = beyond.tune_svc(split, C_values=[1, 10], gamma_values=["scale"], n_jobs=1)
    assert run.details["best_params"]["C"] in (1, 10) and run.test_accuracy > 0.97


def test_shift_augment_rows_matches_the_image_shifts(split):
    X, y = split.X_train[:5], split.y_train[:5]
    rows, labels = augment.shift_augment_rows(X, y, image_shape=split.image_shape)
    images = augment.shift_augment(split.train_images[:5])
    np.testing.assert_array_equal(rows, images.reshape(len(images), -1))
    np.testing.assert_array_equal(labels, np.tile(y, 5))


def test_shifted_mlp_trains_the_configurations_and_keeps_the_validation_choice(split):
    configurations = [
        {"validation_split": 0.2, "learning_rate": 0.01, "batch_size": 128, "epochs": 2},
        {"validation_split": 0.1, "learning_rate": 0.01, "batch_size": 128, "epochs": 3},
    ]
    run = beyond.train_shifted_mlp(split, configurations, hidden_units=(32,), seed=0)
    assert run.name == "MLP + shifts"
    assert run.details["config"] == configurations[run.details["configuration"] - 1]
    assert run.details["n_configurations"] == 2 and run.details["hidden_units"] == [32]
    assert len(run.test_predictions) == len(split.y_test)
    assert run.test_accuracy == np.mean(run.test_predictions == split.y_test)


def test_a_seeded_cnn_ignores_other_draws_from_pythons_random():
    """As for the MLP (test_keras_mlp): the CNN's weights and dropout seed come from its
    own seed, equal to what Keras draws after ``set_random_seed`` in a quiet process."""
    import random

    from digits_helpers.models.keras_mlp import seed_keras

    seed_keras(3)
    quiet = beyond.build_cnn((8, 8), 10)
    seed_keras(3)
    random.random()  # another thread's draw, as in a Dask worker
    seeded = beyond.build_cnn((8, 8), 10, seed=3)
    for a, b in zip(quiet.get_weights(), seeded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    dropout = {type(layer).__name__: layer for layer in quiet.layers}["Dropout"]
    seeded_dropout = {type(layer).__name__: layer for layer in seeded.layers}["Dropout"]
    np.testing.assert_array_equal(
        np.asarray(dropout.seed_generator.state), np.asarray(seeded_dropout.seed_generator.state)
    )
