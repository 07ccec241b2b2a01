"""The reader: a model for reading forms, trained on digits from many writers.

The study's models learn from the 1,437 8x8 training digits of 13 writers. The reader
learns from those and from the real MNIST digits of ``data/mnist``'s training part (about
250 writers; :mod:`digits_helpers.reading.other_hands`), all brought to the optdigits 8x8
representation exactly as ``digits-book predict`` prepares a scan: each MNIST digit is
drawn as a scan and read back. Its network is the study's CNN (:func:`beyond.build_cnn`),
its training digits grown as the CNN's are (:func:`augment.augmented`).

Why 8x8: ``benchmarks/reader_choice.py`` trained candidates on the same digits and read
held-out digits from files. The 8x8 CNN with scan variants met the goals (98 % read right,
99.5 % right among the digits answered, 95 % answered) at a fifth of the training time of
a 28x28 CNN that met them too, and it also reads the study's own 8x8 digits
(``benchmarks/results/reader_choice.md``).

Which digits it answers: the last :data:`VALIDATION_SHARE` of each class of the training
part (in file order, as the held-out part was cut) is kept for validation. On them a
temperature is fitted to the reader's probabilities (:func:`fit_temperature`), then the
lowest probability threshold whose answered validation digits are read right as often as
required, with a margin for the few errors a thousand digits can show
(:func:`choose_threshold`). Nothing here looks at the held-out digits.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import optimize, stats

from digits_helpers.core.cluster import RunTasks, in_pieces
from digits_helpers.data import augment, scan
from digits_helpers.models.artifacts import scaled_by_temperature
from digits_helpers.models.beyond import fit_cnn
from digits_helpers.reading.other_hands import SCAN_SIZE, RealDigits

REPRESENTATION = "digits"  # the reader reads scans prepared as the 8x8 digits were made
VALIDATION_SHARE = 0.15
BATCH_SIZE = 64
LEARNING_RATE = 0.001
# The threshold must make the accuracy among the answered reach the requirement at the
# lower bound of a one-sided 80 % interval on the validation digits: on 1,150 answered
# digits and a 99.5 % requirement, it allows 4 errors where the share alone would allow 5.
CONFIDENCE = 0.8
# Thresholds of the coverage/error curve; the operating point is chosen among them.
THRESHOLDS = tuple(
    np.round(np.concatenate([np.arange(0.30, 0.95, 0.01), np.arange(0.95, 0.9995, 0.001)]), 3)
)


def prepared_as_scans(
    images: np.ndarray, *, size: int = SCAN_SIZE, run_tasks: RunTasks | None = None
) -> np.ndarray:
    """Real 28x28 digits as ``predict`` would read their scans: optdigits 8x8 features.

    Each digit is drawn as a scan of ``size`` pixels (:func:`scan.render_digit`) and
    prepared from its ink, in memory (a PNG file keeps the same grey bytes).

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n, 28, 28)``, ink in [0, 1].
    size : int, default=SCAN_SIZE
        Pixels of the drawn scan.
    run_tasks : callable, optional
        Where the digits are prepared, in pieces
        (:func:`~digits_helpers.core.cluster.in_pieces`); here by default. Each digit is
        prepared alone, so the features are the same either way.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 8, 8)``, float32 in [0, 1].
    """
    prepare = partial(scan.read_back, size=size, dataset=REPRESENTATION)
    return in_pieces(prepare, (images,), run_tasks=run_tasks, label="digits drawn and read")


def validation_rows(labels: np.ndarray, share: float = VALIDATION_SHARE) -> np.ndarray:
    """The last ``share`` of each class, in order: the rows kept for validation.

    Neighbouring digits in MNIST's files are more often by the same writer: a validation
    share cut from the end of each class, as the held-out part was, is closer to new
    writers than a random one.

    Parameters
    ----------
    labels : numpy.ndarray
        The labels of the training part, in file order.
    share : float, default=VALIDATION_SHARE
        Fraction of each class kept, in (0, 1).

    Returns
    -------
    numpy.ndarray
        Boolean, True for the validation rows.
    """
    if not 0 < share < 1:
        raise ValueError(f"share must be in (0, 1) (got {share!r})")
    keep = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        keep[rows[len(rows) - int(round(share * len(rows))) :]] = True
    return keep


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels``.

    Parameters
    ----------
    probabilities : numpy.ndarray
        The model's probabilities for validation digits, shape ``(n, n_classes)``.
    labels : numpy.ndarray
        Their true labels.

    Returns
    -------
    float
        Between 0.05 and 20.
    """
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        scaled = scaled_by_temperature(probabilities, float(np.exp(log_t)))
        return float(-np.log(np.clip(scaled[rows, labels], 1e-12, 1)).mean())

    found = optimize.minimize_scalar(nll, bounds=(np.log(0.05), np.log(20)), method="bounded")
    return float(np.exp(found.x))


def coverage_curve(
    probabilities: np.ndarray,
    labels: np.ndarray,
    thresholds: Sequence[float] = THRESHOLDS,
    *,
    readable: np.ndarray | None = None,
) -> pd.DataFrame:
    """For each threshold: the share of digits answered, and the error among them.

    Parameters
    ----------
    probabilities : numpy.ndarray
        Shape ``(n, n_classes)``.
    labels : numpy.ndarray
        True labels.
    thresholds : Sequence of float, default=THRESHOLDS
        Probabilities from which a digit is answered.
    readable : numpy.ndarray, optional
        Boolean per digit; an unreadable one is never answered (and counts in the total).

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold``, ``answered`` (share of all digits), ``error`` (share of
        the answered read wrong; nan when none is) and ``n_answered``.
    """
    readable = np.ones(len(labels), dtype=bool) if readable is None else readable
    best = probabilities.max(axis=1)
    wrong = probabilities.argmax(axis=1) != labels
    rows = []
    for threshold in thresholds:
        answered = readable & (best >= threshold)
        rows.append(
            {
                "threshold": float(threshold),
                "answered": float(answered.mean()),
                "error": float(wrong[answered].mean()) if answered.any() else float("nan"),
                "n_answered": int(answered.sum()),
            }
        )
    return pd.DataFrame(rows)


def choose_threshold(
    curve: pd.DataFrame, *, required: float, confidence: float = CONFIDENCE
) -> float:
    """The lowest threshold at which the answered digits are surely right often enough.

    On a thousand validation digits the accuracy among the answered is measured to a few
    errors: the rule asks that the lower bound of its one-sided Wilson interval at
    ``confidence``, not the measured share alone, reach ``required``.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`coverage_curve` on validation digits.
    required : float
        The accuracy required among the answered, in (0, 1).
    confidence : float, default=CONFIDENCE
        One-sided confidence of the lower bound, in (0.5, 1).

    Returns
    -------
    float
        That threshold; the highest one of the curve when none reaches ``required``.
    """
    answered = curve["n_answered"].to_numpy()
    right = np.rint((1 - curve["error"].fillna(1).to_numpy()) * answered).astype(int)
    lower = np.array(
        [
            stats.binomtest(k, n).proportion_ci(2 * confidence - 1, method="wilson").low
            if n
            else 0.0
            for k, n in zip(right, answered, strict=True)
        ]
    )
    meets = curve[lower >= required]
    if meets.empty:
        return float(curve["threshold"].max())
    return float(meets["threshold"].min())


@dataclass
class Reader:
    """The trained reader and how it was chosen.

    Attributes
    ----------
    model : keras.Sequential
        The network (softmax output, before the temperature).
    temperature : float
        Fitted on the validation digits.
    threshold : float
        Below it (after the temperature) the reader answers ``?``.
    validation : dict
        ``n``, ``accuracy``, ``answered`` and ``answered_accuracy`` at the threshold.
    details : dict
        The settings: ``epochs``, ``augmentation``, ``n_mnist``, ``n_digits8``,
        ``n_training_images``, ``required``, ``representation``, ``seed``.
    train_seconds : float
        Wall-clock seconds of ``fit``.
    """

    model: object
    temperature: float
    threshold: float
    validation: dict
    details: dict
    train_seconds: float

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for prepared digits, shape ``(n, 8, 8)``."""
        raw = np.asarray(self.model(np.asarray(features, np.float32)[..., None], training=False))
        return scaled_by_temperature(raw, self.temperature)


def train_reader(
    training: RealDigits,
    digits8: tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    augmentation: str,
    required: float,
    seed: int,
    run_tasks: RunTasks | None = None,
) -> Reader:
    """Train the reader on real MNIST digits and the 8x8 training digits, and calibrate it.

    Parameters
    ----------
    training : RealDigits
        The training part of the real digits (never the held-out part).
    digits8 : tuple of numpy.ndarray
        The 8x8 training digits ``(images, labels)`` of the study's split.
    epochs : int
        Passes over the training images, >= 1.
    augmentation : str
        How the training digits are grown (:func:`augment.augmented`).
    required : float
        Accuracy required among the digits the reader answers, on validation.
    seed : int
        Seed of the weights, the shuffles and the variants.
    run_tasks : callable, optional
        Where the training digits are prepared and grown, in pieces
        (:meth:`digits_helpers.core.cluster.Workers.map`); here by default. The digits
        are the same either way; the network trains here.

    Returns
    -------
    Reader
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1 (got {epochs!r})")
    held = validation_rows(training.labels)
    prepared = prepared_as_scans(training.images, run_tasks=run_tasks)
    fit_mnist, val_images = prepared[~held], prepared[held]
    val_labels = training.labels[held]
    images8, labels8 = digits8
    images = np.concatenate([fit_mnist, np.asarray(images8, np.float32)])
    labels = np.concatenate([training.labels[~held], np.asarray(labels8, np.int64)])
    grown, grown_labels = augment.augmented(
        images, labels, augmentation, seed=seed, run_tasks=run_tasks
    )
    start = time.perf_counter()
    model, _ = fit_cnn(
        grown,
        grown_labels,
        10,
        epochs=epochs,
        batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE,
        seed=seed,
    )
    seconds = time.perf_counter() - start
    raw = np.asarray(model(val_images[..., None], training=False))
    temperature = fit_temperature(raw, val_labels)
    calibrated = scaled_by_temperature(raw, temperature)
    threshold = choose_threshold(coverage_curve(calibrated, val_labels), required=required)
    answered = calibrated.max(axis=1) >= threshold
    right = calibrated.argmax(axis=1) == val_labels
    return Reader(
        model=model,
        temperature=temperature,
        threshold=threshold,
        validation={
            "n": int(len(val_labels)),
            "accuracy": float(right.mean()),
            "answered": float(answered.mean()),
            "answered_accuracy": float(right[answered].mean()) if answered.any() else None,
        },
        details={
            "representation": REPRESENTATION,
            "epochs": epochs,
            "augmentation": augmentation,
            "n_mnist": int((~held).sum()),
            "n_digits8": int(len(labels8)),
            "n_validation": int(held.sum()),
            "n_training_images": int(len(grown_labels)),
            "required": float(required),
            "seed": int(seed),
        },
        train_seconds=seconds,
    )
