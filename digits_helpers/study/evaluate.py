"""Honest numbers for a classifier: accuracy with an interval, paired tests, repeated splits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.metrics import confusion_matrix

from digits_helpers.data.digits import Dataset, Split, split_dataset


@dataclass(frozen=True)
class Interval:
    """An accuracy and its confidence interval.

    Attributes
    ----------
    accuracy : float
        Fraction of the rows classified correctly, in [0, 1].
    low, high : float
        Bounds of the interval, fractions in [0, 1].
    n : int
        Number of rows.
    """

    accuracy: float
    low: float
    high: float
    n: int


def accuracy_interval(y_true: np.ndarray, y_pred: np.ndarray, confidence: float = 0.95) -> Interval:
    """Test accuracy with a Wilson score interval (sound near 100 %, unlike the normal one).

    Parameters
    ----------
    y_true, y_pred : numpy.ndarray
        True and predicted labels of the test rows, 1-D, same non-zero length.
    confidence : float, default=0.95
        Confidence level of the interval, in (0, 1).

    Returns
    -------
    Interval
        ``accuracy`` (fraction correct), ``low`` and ``high`` (the interval's bounds,
        fractions in [0, 1]) and ``n`` (number of test rows).

    Raises
    ------
    ValueError
        If the arrays are empty, not 1-D or of different lengths.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError("y_true and y_pred must be non-empty 1-D arrays of the same length")
    n = len(y_true)
    correct = int((y_true == y_pred).sum())
    ci = stats.binomtest(correct, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Interval(accuracy=correct / n, low=float(ci.low), high=float(ci.high), n=n)


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test: do two classifiers err on the same test rows at the same rate?

    Attributes
    ----------
    only_a_correct, only_b_correct : int
        Test rows only the first (second) classifier got right.
    p_value : float
        Two-sided exact p-value.
    """

    only_a_correct: int
    only_b_correct: int
    p_value: float


def mcnemar_exact(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> McNemar:
    """Two-sided exact binomial test on the rows where exactly one classifier is right.

    Parameters
    ----------
    y_true : numpy.ndarray
        True labels of the test rows.
    pred_a, pred_b : numpy.ndarray
        The two classifiers' predictions for the same rows, same shape as ``y_true``.

    Returns
    -------
    McNemar
        ``only_a_correct`` and ``only_b_correct`` (counts of rows) and ``p_value``,
        which is 1.0 when no row has exactly one classifier right.

    Raises
    ------
    ValueError
        If the three arrays differ in shape.
    """
    y_true, pred_a, pred_b = (np.asarray(a) for a in (y_true, pred_a, pred_b))
    if not y_true.shape == pred_a.shape == pred_b.shape:
        raise ValueError("y_true, pred_a and pred_b must have the same shape")
    a_right, b_right = pred_a == y_true, pred_b == y_true
    only_a = int((a_right & ~b_right).sum())
    only_b = int((b_right & ~a_right).sum())
    n = only_a + only_b
    p_value = 1.0 if n == 0 else float(stats.binomtest(only_a, n, 0.5).pvalue)
    return McNemar(only_a_correct=only_a, only_b_correct=only_b, p_value=p_value)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix with a row and a column for every class.

    Parameters
    ----------
    y_true, y_pred : numpy.ndarray
        True and predicted labels of the test rows.
    n_classes : int
        Number of classes; labels are ``0`` to ``n_classes - 1``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_classes, n_classes)``: entry ``[i, j]`` counts the rows of true
        class ``i`` predicted as ``j``, even for a class that never occurs.
    """
    return confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))


def repeated_split_accuracies(
    dataset: Dataset,
    fit_predict: Callable[[Split], np.ndarray],
    seeds: Sequence[int],
    *,
    test_size: float = 0.2,
    stratify: bool = False,
) -> list[float]:
    """Test accuracy of ``fit_predict`` on one fresh split per seed.

    Parameters
    ----------
    dataset : Dataset
        The rows to split.
    fit_predict : callable
        ``fit_predict(split)`` trains on ``split.X_train`` and returns predictions
        for ``split.X_test``; its own seed stays fixed, only the split changes.
    seeds : Sequence of int
        One ``random_state`` of :func:`~digits_helpers.data.digits.split_dataset` per split.
    test_size : float, default=0.2
        Fraction of the rows held out in every split.
    stratify : bool, default=False
        Keep each class's share equal in training and test rows.

    Returns
    -------
    list of float
        Test accuracy (fraction in [0, 1]) on each seed's split, in the order of
        ``seeds``.
    """
    scores = []
    for seed in seeds:
        split = split_dataset(dataset, test_size=test_size, random_state=seed, stratify=stratify)
        predictions = fit_predict(split)
        scores.append(float((predictions == split.y_test).mean()))
    return scores


def mean_and_spread(scores: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation, minimum and maximum of repeated scores.

    Parameters
    ----------
    scores : Sequence of float
        At least one score, such as the accuracies of :func:`repeated_split_accuracies`.

    Returns
    -------
    dict of str to float
        ``mean``, ``std`` (with ``ddof=1``; 0.0 for a single score), ``min`` and
        ``max``, in the scores' units.
    """
    values = np.asarray(scores, dtype=float)
    return {
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "min": float(values.min()),
        "max": float(values.max()),
    }


def paired_t_test(
    scores_a: Sequence[float], scores_b: Sequence[float], *, test_fraction: float
) -> float:
    """Two-sided p-value of the corrected resampled t-test (Nadeau and Bengio, 2003).

    Repeated random splits share most of their training rows, so the per-split
    differences are correlated and a plain paired t-test is far too optimistic. The
    correction inflates the variance by ``n_test / n_train``.

    Parameters
    ----------
    scores_a, scores_b : Sequence of float
        The two models' scores on the same splits, in the same order; at least two.
    test_fraction : float
        Fraction of the rows each split held out for testing (``n_test / n``),
        strictly between 0 and 1.

    Returns
    -------
    float
        The p-value; 1.0 when the two models score the same on every split, NaN when
        they differ by the same nonzero amount on every split (the test is undefined).

    Raises
    ------
    ValueError
        If the score lists differ in length or hold fewer than two splits, or if
        ``test_fraction`` is out of range.
    """
    a, b = np.asarray(scores_a, dtype=float), np.asarray(scores_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError("paired scores need the same length, at least two splits")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be strictly between 0 and 1 (got {test_fraction})")
    differences = a - b
    if np.allclose(differences, 0):
        return 1.0
    variance = differences.var(ddof=1)
    if variance == 0:
        return float("nan")
    k = len(differences)
    corrected = (1 / k + test_fraction / (1 - test_fraction)) * variance
    t = differences.mean() / np.sqrt(corrected)
    return float(2 * stats.t.sf(abs(t), df=k - 1))
