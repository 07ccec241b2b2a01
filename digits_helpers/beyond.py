"""Beyond the reference's MLPs: shifted training digits, a small CNN and a tuned RBF SVC.

The first model keeps the Keras MLP and only changes its training data (each digit also
shown shifted by one pixel); the other two change the model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from sklearn import svm
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from digits_helpers import keras_sweep
from digits_helpers.data import Split
from digits_helpers.keras_mlp import seed_keras
from digits_helpers.registry import CNN, SHIFTED_MLP, SVC
from digits_helpers.tf_runtime import keras

SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))


@dataclass
class BeyondRun:
    """A trained model's test predictions and cost."""

    name: str
    test_accuracy: float
    train_seconds: float
    test_predictions: np.ndarray
    details: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary for ``results.json``."""
        return {
            "name": self.name,
            "test_accuracy": float(self.test_accuracy),
            "train_seconds": float(self.train_seconds),
            "details": self.details,
        }


def shift_augment(images: np.ndarray) -> np.ndarray:
    """The images plus four copies shifted by one pixel (up, down, left, right), zero-filled."""
    copies = [images]
    for dy, dx in SHIFTS:
        shifted = np.roll(images, (dy, dx), axis=(1, 2))
        if dy:
            shifted[:, 0 if dy > 0 else -1, :] = 0
        if dx:
            shifted[:, :, 0 if dx > 0 else -1] = 0
        copies.append(shifted)
    return np.concatenate(copies)


def shift_augment_rows(
    X: np.ndarray, y: np.ndarray, image_shape: tuple[int, int] = (8, 8)
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shift_augment` for flat pixel rows: five rows per digit, labels repeated."""
    images = X.reshape(len(X), *image_shape)
    shifted = shift_augment(images).reshape(-1, X.shape[1])
    return shifted, np.tile(y, len(SHIFTS) + 1)


def train_shifted_mlp(
    split: Split,
    configurations: Sequence[Mapping],
    *,
    hidden_units: Sequence[int] = (112, 112),
    seed: int = 42,
) -> BeyondRun:
    """The Keras MLP and configurations of the sweep, trained on shift-augmented digits.

    Each configuration splits off its validation digits first and trains on the rest
    plus their shifted copies; the configuration with the best validation accuracy is
    kept, as in the sweep. ``train_seconds`` is the cost of all configurations.
    """
    augment = partial(shift_augment_rows, image_shape=split.image_shape)
    sweep = keras_sweep.run_sweep(
        split.X_train,
        split.y_train,
        split.X_test,
        split.y_test,
        configurations,
        seed=seed,
        hidden_units=hidden_units,
        augment=augment,
    )
    best = sweep.best
    return BeyondRun(
        name=SHIFTED_MLP.name,
        test_accuracy=best.test_accuracy,
        train_seconds=sweep.train_seconds,
        test_predictions=best.test_predictions,
        details={
            "config": best.config.to_dict(),
            "configuration": sweep.best_index + 1,
            "n_configurations": len(sweep.runs),
            "hidden_units": [int(u) for u in hidden_units],
            "validation_accuracy": best.history["val_accuracy"][-1],
        },
    )


def build_cnn(
    image_shape: tuple[int, int], n_classes: int, filters: Sequence[int] = (16, 32)
) -> keras.Sequential:
    """Two 3x3 convolutions, one 2x2 pooling, dropout and a dense layer."""
    return keras.Sequential(
        [
            keras.Input((*image_shape, 1)),
            keras.layers.Conv2D(filters[0], 3, padding="same", activation="relu"),
            keras.layers.Conv2D(filters[1], 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(n_classes, activation="softmax"),
        ],
        name="cnn",
    )


def train_cnn(
    split: Split,
    *,
    epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float = 0.001,
    augment: bool = True,
    seed: int = 42,
) -> BeyondRun:
    """Train the CNN on the split's training images (optionally shift-augmented)."""
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1 (got {value!r})")
    images, labels = split.train_images, split.y_train
    if augment:
        images, labels = shift_augment(images), np.tile(labels, len(SHIFTS) + 1)
    seed_keras(seed)
    model = build_cnn(split.image_shape, split.n_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        # A whole epoch per call into TensorFlow: less Python per step, same arithmetic.
        steps_per_execution=math.ceil(len(labels) / batch_size),
    )
    start = time.perf_counter()
    model.fit(images[..., None], labels, batch_size=batch_size, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    probabilities = model.predict(split.test_images[..., None], verbose=0)
    predictions = probabilities.argmax(axis=1)
    return BeyondRun(
        name=CNN.name,
        test_accuracy=float((predictions == split.y_test).mean()),
        train_seconds=seconds,
        test_predictions=predictions,
        details={
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "augment": augment,
            "n_training_images": len(labels),
            "n_weights": int(model.count_params()),
        },
    )


def tune_svc(
    split: Split,
    *,
    C_values: Sequence[float] = (1, 3, 10, 30),  # noqa: N803 (scikit-learn's name)
    gamma_values: Sequence[float | str] = ("scale", 0.01, 0.03, 0.1),
    cv: int = 3,
    n_jobs: int | None = -1,
) -> BeyondRun:
    """Grid-search ``C`` and ``gamma`` of an RBF SVC by cross-validation, then test it."""
    search = GridSearchCV(
        svm.SVC(kernel="rbf"),
        {"C": list(C_values), "gamma": list(gamma_values)},
        cv=StratifiedKFold(cv),
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    search.fit(split.X_train, split.y_train)
    seconds = time.perf_counter() - start
    predictions = search.best_estimator_.predict(split.X_test)
    return BeyondRun(
        name=SVC.name,
        test_accuracy=float((predictions == split.y_test).mean()),
        train_seconds=seconds,
        test_predictions=predictions,
        details={"best_params": search.best_params_, "best_cv_score": float(search.best_score_)},
    )


def fit_svc(split: Split, *, C: float, gamma: float | str) -> np.ndarray:  # noqa: N803
    """Train an RBF SVC with fixed ``C`` and ``gamma``; return test predictions."""
    return (
        svm.SVC(kernel="rbf", C=C, gamma=gamma)
        .fit(split.X_train, split.y_train)
        .predict(split.X_test)
    )
