"""The two library MLPs trained once by the plain library and once by this project's path.

The study trains the scikit-learn MLP with
:class:`~digits_helpers.models.lean_mlp.LeanMLPClassifier` (scikit-learn's arithmetic with less
bookkeeping per mini-batch) and the Keras MLP with
a compiled loop over all epochs (:func:`digits_helpers.models.keras_mlp.train_configuration`).
Here each chosen setting is trained both ways on the same digits, one after the other in
one process, so that a reader sees what the plain library would cost and whether the
faster path changes any answer. The CNN, the SVC and the reader train with their
libraries' own ``fit``: their times in the book are the plain library's.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from digits_helpers.core.registry import KERAS_MLP, SKLEARN_MLP
from digits_helpers.data.digits import Split
from digits_helpers.models import keras_mlp
from digits_helpers.models.keras_config import KerasConfig
from digits_helpers.models.search import base_estimator, params_from_record
from digits_helpers.models.tf_runtime import tf


def _timed(work: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    done = work()
    return done, time.perf_counter() - start


def _row(
    name: str,
    plain: tuple[str, str],
    seconds: tuple[float, float],
    reading: tuple[float, float],
    predictions: tuple[np.ndarray, np.ndarray],
) -> dict:
    n_test = len(predictions[0])
    return {
        "model": name,
        "plain training": plain[0],
        "plain reading": plain[1],
        "training s, plain": seconds[0],
        "training s, this project": seconds[1],
        "reading ms per digit, plain": 1000 * reading[0] / n_test,
        "reading ms per digit, this project": 1000 * reading[1] / n_test,
        "test predictions alike": int(np.sum(predictions[0] == predictions[1])),
        "test digits": n_test,
    }


def sklearn_side_by_side(split: Split, best_params: Mapping, *, max_iter: int, seed: int) -> dict:
    """The search's best settings trained by ``MLPClassifier`` and by the lean loop.

    Both fit on one BLAS thread (the search's workers do), so their arithmetic is the
    same and every test digit should be labelled alike; the times differ by the loop.

    Parameters
    ----------
    split : Split
        The common split: both train on its training rows and read its test rows.
    best_params : Mapping
        The search's best arguments as stored in ``results.json``.
    max_iter : int
        Maximum number of epochs, as in the search.
    seed : int
        The networks' ``random_state``.

    Returns
    -------
    dict
        One row of :func:`plain_beside_ours`.
    """
    params = params_from_record(best_params)
    plain = MLPClassifier(solver="adam", max_iter=max_iter, random_state=seed, **params)
    ours = base_estimator(max_iter=max_iter, random_state=seed).set_params(**params)
    # Ours fits on one BLAS thread, as the search's workers do; the plain library does the
    # same here, so that both sum in the same order and only the loop around them differs.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        _, plain_seconds = _timed(lambda: plain.fit(split.X_train, split.y_train))
    _, our_seconds = _timed(lambda: ours.fit(split.X_train, split.y_train))
    # The lean classifier reads with MLPClassifier.predict itself: one path, timed once.
    plain_predictions = plain.predict(split.X_test)
    our_predictions, reading = _timed(lambda: ours.predict(split.X_test))
    return _row(
        SKLEARN_MLP.name,
        ("MLPClassifier.fit", "MLPClassifier.predict (the same)"),
        (plain_seconds, our_seconds),
        (reading, reading),
        (plain_predictions, our_predictions),
    )


def keras_side_by_side(
    split: Split, config: Mapping, *, hidden_units: tuple[int, ...], seed: int
) -> dict:
    """The sweep's chosen configuration trained by ``model.fit`` and by the compiled loop.

    Parameters
    ----------
    split : Split
        The common split.
    config : Mapping
        The chosen configuration (``validation_split``, ``learning_rate``,
        ``batch_size``, ``epochs``).
    hidden_units : tuple of int
        Sizes of the hidden layers.
    seed : int
        Seed of the initial weights and of the shuffles.

    Returns
    -------
    dict
        One row of :func:`plain_beside_ours`; reading is ``model.predict`` (plain)
        against one call of the model on the test digits (this project's).
    """
    config = KerasConfig.from_dict(dict(config))
    runs = {
        trainer: keras_mlp.train_configuration(
            split.X_train,
            split.y_train,
            split.X_test,
            split.y_test,
            config,
            seed=seed,
            hidden_units=hidden_units,
            trainer=trainer,
        )
        for trainer in ("fit", "compiled")
    }
    model = runs["compiled"].model
    test_digits = np.asarray(split.X_test, dtype=np.float32)
    plain_probabilities, plain_reading = _timed(lambda: model.predict(test_digits, verbose=0))
    our_probabilities, our_reading = _timed(
        lambda: model(tf.constant(test_digits), training=False).numpy()
    )
    if not np.array_equal(plain_probabilities.argmax(axis=1), our_probabilities.argmax(axis=1)):
        raise RuntimeError("model.predict and a call of the model read the digits differently")
    return _row(
        KERAS_MLP.name,
        ("Model.fit", "Model.predict"),
        (runs["fit"].train_seconds, runs["compiled"].train_seconds),
        (plain_reading, our_reading),
        (runs["fit"].test_predictions, runs["compiled"].test_predictions),
    )


def plain_beside_ours(split: Split, stages: Mapping, *, seed: int) -> pd.DataFrame:
    """Both library MLPs' chosen settings, each trained by the plain library and by ours.

    Parameters
    ----------
    split : Split
        The common split.
    stages : Mapping
        The chapters' records; ``"sklearn"`` and ``"keras"`` are read.
    seed : int
        The models' seed (``model_seed``).

    Returns
    -------
    pandas.DataFrame
        One row per library MLP, indexed by model: the plain library's calls, the
        training seconds and the reading milliseconds per test digit of each path, and
        how many test digits the two trained models label alike (all of them for
        scikit-learn, whose lean loop repeats its arithmetic exactly; the Keras loop
        shuffles and rounds differently, so its two networks differ slightly).
    """
    sklearn, keras = stages["sklearn"], stages["keras"]
    rows = [
        sklearn_side_by_side(split, sklearn.best_params, max_iter=sklearn.max_iter, seed=seed),
        keras_side_by_side(
            split, keras.best_config, hidden_units=tuple(keras.hidden_units), seed=seed
        ),
    ]
    return pd.DataFrame(rows).set_index("model")


def format_side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`plain_beside_ours` as the book shows it: seconds, milliseconds, counts.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`plain_beside_ours`'s table.

    Returns
    -------
    pandas.DataFrame
        The same rows, as text: the speed-up of each path over the plain library and
        ``k of n`` test digits labelled alike.
    """
    shown = pd.DataFrame(index=table.index)
    shown["plain training"] = table["plain training"]
    shown["plain reading"] = table["plain reading"]
    for what, unit, digits in (("training", "s", 2), ("reading", "ms per digit", 3)):
        plain, ours = table[f"{what} {unit}, plain"], table[f"{what} {unit}, this project"]
        shown[f"{what} {unit}, plain"] = plain.map(lambda v, d=digits: f"{v:,.{d}f}")
        shown[f"{what} {unit}, this project"] = ours.map(lambda v, d=digits: f"{v:,.{d}f}")
        shown[f"{what}, times faster"] = (plain / ours).map(lambda v: f"{v:,.1f}")
    shown["test predictions alike"] = [
        f"{alike:,} of {n:,}"
        for alike, n in zip(table["test predictions alike"], table["test digits"], strict=True)
    ]
    return shown
