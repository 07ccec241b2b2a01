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
    """A trained model's test predictions and cost.

    Attributes
    ----------
    name : str
        The model's name in the registry (``"CNN"``).
    test_accuracy : float
        Fraction of the test rows classified correctly, in [0, 1].
    train_seconds : float
        Wall-clock seconds of choosing and training the model (see each trainer).
    test_predictions : numpy.ndarray
        Predicted label of each test row.
    details : dict
        The trainer's settings and choices, JSON-ready.
    """

    name: str
    test_accuracy: float
    train_seconds: float
    test_predictions: np.ndarray
    details: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary for ``results.json``.

        Returns
        -------
        dict
            ``name``, ``test_accuracy``, ``train_seconds`` and ``details``; no
            predictions.
        """
        return {
            "name": self.name,
            "test_accuracy": float(self.test_accuracy),
            "train_seconds": float(self.train_seconds),
            "details": self.details,
        }


def shift_augment(images: np.ndarray) -> np.ndarray:
    """The images plus four copies shifted by one pixel (up, down, left, right), zero-filled.

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n_images, height, width)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(5 * n_images, height, width)``: the images, then all of them shifted
        right, left, down and up, each block in the input's order; the row or column
        shifted in is zero, none wraps around.
    """
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
    """:func:`shift_augment` for flat pixel rows: five rows per digit, labels repeated.

    Parameters
    ----------
    X : numpy.ndarray
        Flat pixel rows, shape ``(n_rows, height * width)``.
    y : numpy.ndarray
        Label of each row, shape ``(n_rows,)``.
    image_shape : tuple of int, default=(8, 8)
        Height and width of one image.

    Returns
    -------
    X_augmented : numpy.ndarray
        Shape ``(5 * n_rows, height * width)``, in :func:`shift_augment`'s order.
    y_augmented : numpy.ndarray
        ``y`` repeated five times, matching ``X_augmented``.
    """
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
    kept, as in the sweep.

    Parameters
    ----------
    split : Split
        The train/test split; the test rows are only predicted.
    configurations : Sequence of Mapping or KerasConfig
        The sweep's configurations (``validation_split``, ``learning_rate``,
        ``batch_size``, ``epochs``), at least one.
    hidden_units : Sequence of int, default=(112, 112)
        Sizes of the hidden layers.
    seed : int, default=42
        Seed of the initial weights and of the shuffles, the same for every
        configuration.

    Returns
    -------
    BeyondRun
        The chosen configuration's test accuracy and predictions; ``train_seconds``
        is the wall-clock cost of training all configurations. ``details`` holds
        ``config`` (the chosen settings), ``configuration`` (its 1-based number),
        ``n_configurations``, ``hidden_units`` and ``validation_accuracy`` (its
        last epoch's, a fraction).

    Raises
    ------
    ValueError
        If ``configurations`` is empty or holds an invalid configuration.
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
    """Two 3x3 convolutions, one 2x2 pooling, dropout and a dense layer.

    Parameters
    ----------
    image_shape : tuple of int
        Height and width of the input images (one channel).
    n_classes : int
        Number of softmax outputs.
    filters : Sequence of int, default=(16, 32)
        Number of filters of the first and the second convolution.

    Returns
    -------
    keras.Sequential
        The uncompiled network, input shape ``(height, width, 1)``; its weights
        come from Keras' global seed.
    """
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
    """Train the CNN on the split's training images (optionally shift-augmented).

    Parameters
    ----------
    split : Split
        The train/test split.
    epochs : int, default=10
        Passes over the training images, >= 1.
    batch_size : int, default=64
        Mini-batch size, >= 1.
    learning_rate : float, default=0.001
        Adam's learning rate.
    augment : bool, default=True
        Also train on every image shifted by one pixel in each direction
        (:func:`shift_augment`): five times the images.
    seed : int, default=42
        Seed of the initial weights, the dropout and the shuffles.

    Returns
    -------
    BeyondRun
        ``train_seconds`` is the wall-clock time of ``model.fit`` alone. ``details``
        holds the four settings, ``n_training_images`` (after augmentation) and
        ``n_weights`` (the network's number of parameters).

    Raises
    ------
    ValueError
        If ``epochs`` or ``batch_size`` is not an integer >= 1.
    """
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
    """Grid-search ``C`` and ``gamma`` of an RBF SVC by cross-validation, then test it.

    Parameters
    ----------
    split : Split
        The train/test split; the search sees only the training rows.
    C_values : Sequence of float, default=(1, 3, 10, 30)
        Regularisation strengths to try, > 0.
    gamma_values : Sequence of float or str, default=("scale", 0.01, 0.03, 0.1)
        Kernel widths to try: numbers > 0, or ``"scale"`` or ``"auto"`` as in
        scikit-learn's ``SVC``.
    cv : int, default=3
        Number of stratified folds (unshuffled).
    n_jobs : int or None, default=-1
        Parallel fits: -1 for every core, None for one.

    Returns
    -------
    BeyondRun
        The best candidate, refitted on all training rows, and its test accuracy;
        ``train_seconds`` is the wall-clock time of the whole search, refit
        included. ``details`` holds ``best_params`` (``C`` and ``gamma``) and
        ``best_cv_score`` (mean cross-validated accuracy, a fraction).
    """
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
    """Train an RBF SVC with fixed ``C`` and ``gamma``; return test predictions.

    Parameters
    ----------
    split : Split
        The train/test split.
    C : float
        Regularisation strength, > 0.
    gamma : float or str
        Kernel width, > 0, or ``"scale"`` or ``"auto"``.

    Returns
    -------
    numpy.ndarray
        Predicted label of each test row.
    """
    return (
        svm.SVC(kernel="rbf", C=C, gamma=gamma)
        .fit(split.X_train, split.y_train)
        .predict(split.X_test)
    )
