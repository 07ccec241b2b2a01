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
from typing import Any

import numpy as np
import pandas as pd
from sklearn import svm
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from digits_helpers.core import progress
from digits_helpers.core.cluster import RunTasks, in_this_process
from digits_helpers.core.formatting import pct
from digits_helpers.core.registry import CNN, CNN_AUGMENTATIONS, SHIFTED_MLP, SVC
from digits_helpers.data import augment
from digits_helpers.data.digits import Split
from digits_helpers.models import keras_sweep
from digits_helpers.models.keras_mlp import TRAINING_LOCK, layer_seeds, seed_keras
from digits_helpers.models.tf_runtime import keras


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
    model : object
        The trained model, to be saved with the run
        (:func:`digits_helpers.models.artifacts.save_model`).
    """

    name: str
    test_accuracy: float
    train_seconds: float
    test_predictions: np.ndarray
    details: dict = field(default_factory=dict)
    model: Any = None

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


def train_shifted_mlp(
    split: Split,
    configurations: Sequence[Mapping],
    *,
    hidden_units: Sequence[int] = (112, 112),
    seed: int = 42,
    run_tasks: RunTasks | None = None,
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
    run_tasks : callable, optional
        Where the configurations train, as independent tasks
        (:meth:`digits_helpers.core.cluster.Workers.map`); here, one after the other, by
        default. The results are the same.

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
    grow = partial(augment.shift_augment_rows, image_shape=split.image_shape)
    sweep = keras_sweep.run_sweep(
        split.X_train,
        split.y_train,
        split.X_test,
        split.y_test,
        configurations,
        seed=seed,
        hidden_units=hidden_units,
        augment=grow,
        run_tasks=run_tasks,
        label="MLP + shifts configurations",
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
        model=best.model,
    )


def build_cnn(
    image_shape: tuple[int, int],
    n_classes: int,
    filters: Sequence[int] = (16, 32),
    *,
    seed: int | None = None,
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
    seed : int, optional
        Seed of the initial weights and of the dropout
        (:func:`~digits_helpers.models.keras_mlp.layer_seeds`); by default Keras' global seed.

    Returns
    -------
    keras.Sequential
        The uncompiled network, input shape ``(height, width, 1)``.
    """
    seeds = layer_seeds(seed) if seed is not None else None

    def drawn() -> int | None:  # in the order Keras draws: each layer as it is built
        return None if seeds is None else next(seeds)

    def kernel() -> keras.initializers.Initializer:
        return keras.initializers.GlorotUniform(seed=drawn())

    return keras.Sequential(
        [
            keras.Input((*image_shape, 1)),
            keras.layers.Conv2D(
                filters[0], 3, padding="same", activation="relu", kernel_initializer=kernel()
            ),
            keras.layers.Conv2D(
                filters[1], 3, padding="same", activation="relu", kernel_initializer=kernel()
            ),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3, seed=drawn()),
            keras.layers.Dense(128, activation="relu", kernel_initializer=kernel()),
            keras.layers.Dense(n_classes, activation="softmax", kernel_initializer=kernel()),
        ],
        name="cnn",
    )


def fit_cnn(
    images: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> tuple[keras.Sequential, float]:
    """A CNN (:func:`build_cnn`) trained on ``images``; the model and the seconds ``fit`` took.

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n, height, width)``, values in [0, 1].
    labels : numpy.ndarray
        Their labels.
    n_classes : int
        Softmax outputs.
    epochs, batch_size : int
        Passes over the images and mini-batch size, >= 1.
    learning_rate : float
        Adam's learning rate.
    seed : int
        Seed of the weights, the dropout and the shuffles.

    Returns
    -------
    model : keras.Sequential
        The trained network.
    seconds : float
        Wall-clock time of ``fit``.
    """
    with TRAINING_LOCK:  # one training at a time in a process (keras_mlp)
        seed_keras(seed)
        model = build_cnn(images.shape[1:3], n_classes, seed=seed)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            # A whole epoch per call into TensorFlow: less Python per step, same arithmetic.
            steps_per_execution=math.ceil(len(labels) / batch_size),
        )
        start = time.perf_counter()
        model.fit(images[..., None], labels, batch_size=batch_size, epochs=epochs, verbose=0)
        return model, time.perf_counter() - start


def _predict(model: keras.Sequential, images: np.ndarray) -> np.ndarray:
    """The class of highest probability for each image (a plain call: no traced predict
    function, which Keras would warn about retracing for every new model)."""
    return np.asarray(model(images[..., None], training=False)).argmax(axis=1)


def _accuracy(model: keras.Sequential, images: np.ndarray, labels: np.ndarray) -> float:
    return float((_predict(model, images) == labels).mean())


def _try_augmentation(
    fit_images: np.ndarray,
    fit_labels: np.ndarray,
    held: tuple[np.ndarray, np.ndarray, np.ndarray],
    candidate: str,
    *,
    n_classes: int,
    seed: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
) -> tuple[dict[str, float], float]:
    """One candidate augmentation of :func:`train_cnn`: its validation scores and cost."""
    held_images, variants, held_labels = held
    images, labels = augment.augmented(fit_images, fit_labels, candidate, seed=seed)
    model, spent = fit_cnn(
        images,
        labels,
        n_classes,
        seed=seed,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
    )
    digits = _accuracy(model, held_images, held_labels)
    varied = _accuracy(model, variants, held_labels)
    return {"digits": digits, "variants": varied, "score": (digits + varied) / 2}, spent


def train_cnn(
    split: Split,
    *,
    epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float = 0.001,
    augmentations: Sequence[str] = ("shifts",),
    validation_fraction: float = 0.2,
    seed: int = 42,
    run_tasks: RunTasks | None = None,
) -> BeyondRun:
    """Train the CNN, its training digits grown by the augmentation chosen on validation.

    With one augmentation, it is used. With several, each trains a CNN on the first
    ``1 - validation_fraction`` of the training rows, and is scored on the rest: the
    validation digits as they are, and one scan variant of each
    (:func:`~digits_helpers.data.augment.scan_variants`), half the score each, since the
    model is meant for scans. The first of the best is kept, and the CNN is trained
    again on all training rows with it. The test rows are only predicted.

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
    augmentations : Sequence of str, default=("shifts",)
        Candidates among :data:`~digits_helpers.core.registry.CNN_AUGMENTATIONS`
        (:func:`~digits_helpers.data.augment.augmented`), the simplest first.
    validation_fraction : float, default=0.2
        Share of the training rows held out to choose among several augmentations.
    seed : int, default=42
        Seed of the initial weights, the dropout, the shuffles and the variants.
    run_tasks : callable, optional
        Where the candidates train, as independent tasks
        (:meth:`digits_helpers.core.cluster.Workers.map`); here, one after the other, by
        default. The final CNN is trained here.

    Returns
    -------
    BeyondRun
        ``train_seconds`` is the wall-clock time of every ``model.fit`` (the choice
        included). ``details`` holds the settings, ``augmentation`` (the chosen one),
        ``validation`` (each candidate's ``digits``, ``variants`` and ``score``
        accuracies; empty with one candidate), ``n_training_images`` (after
        augmentation) and ``n_weights``; ``model`` is the trained network.

    Raises
    ------
    ValueError
        If ``epochs`` or ``batch_size`` is not an integer >= 1, or ``augmentations``
        is empty or names an unknown augmentation.
    """
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1 (got {value!r})")
    candidates = list(augmentations)
    if not candidates or any(a not in CNN_AUGMENTATIONS for a in candidates):
        accepted = ", ".join(CNN_AUGMENTATIONS)
        raise ValueError(f"augmentations must be a non-empty list of {accepted} (got {candidates})")
    settings = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate}
    seconds = 0.0
    validation: dict[str, dict[str, float]] = {}
    chosen = candidates[0]
    if len(candidates) > 1:
        n_fit = int(len(split.y_train) * (1 - validation_fraction))
        held_images, held_labels = split.train_images[n_fit:], split.y_train[n_fit:]
        variants = augment.scan_variants(held_images, 1, rng=np.random.default_rng(seed + 1))
        trial = partial(
            _try_augmentation,
            split.train_images[:n_fit],
            split.y_train[:n_fit],
            (held_images, variants, held_labels),
            n_classes=split.n_classes,
            seed=seed,
            **settings,
        )
        tried = (run_tasks or in_this_process)(trial, candidates, label="CNN candidates")
        for candidate, (scores, spent) in zip(candidates, tried, strict=True):
            validation[candidate] = scores
            seconds += spent
        chosen = max(candidates, key=lambda c: validation[c]["score"])
    images, labels = augment.augmented(split.train_images, split.y_train, chosen, seed=seed)
    model, spent = fit_cnn(images, labels, split.n_classes, seed=seed, **settings)
    seconds += spent
    predictions = _predict(model, split.test_images)
    return BeyondRun(
        name=CNN.name,
        test_accuracy=float((predictions == split.y_test).mean()),
        train_seconds=seconds,
        test_predictions=predictions,
        details={
            **settings,
            "augmentation": chosen,
            "validation": validation,
            "n_training_images": len(labels),
            "n_weights": int(model.count_params()),
        },
        model=model,
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
        ``best_cv_score`` (mean cross-validated accuracy, a fraction). ``model`` is
        the best candidate with probabilities: the same SVC, its scores mapped to
        probabilities by a sigmoid fitted on ``cv`` folds of the training rows
        (``CalibratedClassifierCV(ensemble=False)``), trained after the timing.
    """
    search = GridSearchCV(
        svm.SVC(kernel="rbf"),
        {"C": list(C_values), "gamma": list(gamma_values)},
        cv=StratifiedKFold(cv),
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    with progress.joblib_fits("SVC search: fits", len(C_values) * len(gamma_values) * cv):
        search.fit(split.X_train, split.y_train)
    seconds = time.perf_counter() - start
    predictions = search.best_estimator_.predict(split.X_test)
    with_probabilities = CalibratedClassifierCV(
        svm.SVC(kernel="rbf", **search.best_params_), cv=cv, ensemble=False
    ).fit(split.X_train, split.y_train)
    return BeyondRun(
        name=SVC.name,
        test_accuracy=float((predictions == split.y_test).mean()),
        train_seconds=seconds,
        test_predictions=predictions,
        details={"best_params": search.best_params_, "best_cv_score": float(search.best_score_)},
        model=with_probabilities,
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


def augmentation_table(details: Mapping) -> pd.DataFrame:
    """How each candidate way of growing the CNN's training digits did on validation.

    Parameters
    ----------
    details : Mapping
        The CNN's ``details`` (:func:`train_cnn`): ``augmentation`` and ``validation``.

    Returns
    -------
    pandas.DataFrame
        Indexed by augmentation: ``validation digits``, ``validation variants`` and
        ``score`` (their mean) as ``98.61%``, and ``chosen`` (``yes`` for the one
        trained with). With a single candidate, its one row has no scores (``-``).
    """
    validation = details["validation"]
    rows = []
    for name in validation or [details["augmentation"]]:
        scores = validation.get(name)
        rows.append(
            {
                "augmentation": name,
                "validation digits": pct(scores["digits"]) if scores else "-",
                "validation variants": pct(scores["variants"]) if scores else "-",
                "score": pct(scores["score"]) if scores else "-",
                "chosen": "yes" if name == details["augmentation"] else "",
            }
        )
    return pd.DataFrame(rows).set_index("augmentation")
