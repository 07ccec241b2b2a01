"""Keras MLP trainer for the digits study, with a fast compiled training loop.

The reference study trains a ``Sequential`` MLP (``n_features``-112-112-``n_classes``,
Adam, sparse categorical cross-entropy) with ``model.fit`` for a handful of
configurations.  On this data set almost all of ``model.fit``'s time is Python
overhead per step and per epoch, so :func:`train_configuration` offers a
``"compiled"`` trainer that runs *all* epochs of a configuration inside one
``tf.function`` (a graph ``while`` loop over epochs and batches).  The graph is
traced once per architecture and reused for every configuration: the learning
rate, batch size, number of epochs, split point and shuffle seed are tensors,
and one working model plus its Adam optimizer are re-initialised before each run.

The compiled loop follows ``model.fit`` semantics: the validation rows are the
last ``validation_split`` fraction of the training rows (no shuffle before the
split), training rows are reshuffled every epoch, the last partial batch is
used, the reported training loss/accuracy are the sample-weighted means of the
per-batch values of the epoch, and the validation metrics are computed with the
weights at the end of each epoch.  ``trainer="fit"`` keeps the plain
``model.fit`` path as a baseline.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from digits_helpers.models.keras_config import KerasConfig
from digits_helpers.models.tf_runtime import keras, tf

__all__ = [
    "KerasRun",
    "build_mlp",
    "layer_seeds",
    "layer_table",
    "seed_keras",
    "train_configuration",
]

HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
Trainer = Literal["compiled", "fit"]
Augment = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------------------
# Configuration and results
# ---------------------------------------------------------------------------


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float | np.floating):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if float(value) != int(value):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


@dataclass
class KerasRun:
    """Result of training one configuration.

    Attributes
    ----------
    config : KerasConfig
        The configuration trained.
    history : dict[str, list[float]]
        Per-epoch ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``.
    test_loss, test_accuracy : float
        Metrics of the final model on the test rows.
    train_seconds : float
        Wall time of the training (includes graph tracing on first use of the
        compiled trainer).
    test_predictions : numpy.ndarray
        Predicted class of each test row.
    model : keras.Model
        The trained model.
    """

    config: KerasConfig
    history: dict[str, list[float]]
    test_loss: float
    test_accuracy: float
    train_seconds: float
    test_predictions: np.ndarray
    model: keras.Model


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------


def layer_seeds(seed: int) -> Iterator[int]:
    """The seeds of a model's random layers, one per draw, from ``seed`` alone.

    Keras draws the seed of every initializer and dropout layer built without one from
    Python's global ``random`` module, which ``keras.utils.set_random_seed`` seeds. In a
    Dask worker, other threads draw from that module too, at moments that depend on the
    load, and the weights then depend on the timing. These seeds come from a private
    ``random.Random(seed)`` instead: the same numbers Keras would draw after
    ``set_random_seed(seed)`` in a quiet process (``Random(seed)`` and ``random.seed(seed)``
    give the same stream), so the models are unchanged, wherever they are built.

    Parameters
    ----------
    seed : int
        The model's seed.

    Yields
    ------
    int
        The next layer's seed, as Keras draws one: from 1 to 10**9.
    """
    draws = random.Random(seed)
    while True:
        yield draws.randint(1, int(1e9))


def build_mlp(
    n_features: int,
    n_classes: int,
    hidden_units: Sequence[int] = (112, 112),
    *,
    seed: int | None = None,
) -> keras.Sequential:
    """Build the (uncompiled) MLP ``n_features``-hidden...-``n_classes``.

    Parameters
    ----------
    n_features : int
        Input size, >= 1.
    n_classes : int
        Number of output classes (softmax units), >= 2.
    hidden_units : Sequence[int]
        Sizes of the ReLU hidden layers, each >= 1.
    seed : int, optional
        Seed of the initial weights (:func:`layer_seeds`); by default Keras' global seed
        (see ``keras.utils.set_random_seed``).

    Returns
    -------
    keras.Sequential
        The uncompiled network.
    """
    if _as_int("n_features", n_features) < 1:
        raise ValueError(f"n_features must be an integer >= 1, got {n_features!r}")
    if _as_int("n_classes", n_classes) < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    units = [_as_int("hidden_units", u) for u in hidden_units]
    if any(u < 1 for u in units):
        raise ValueError(f"hidden_units must be integers >= 1, got {list(hidden_units)!r}")
    seeds = layer_seeds(seed) if seed is not None else None

    def kernel() -> keras.initializers.Initializer:
        return keras.initializers.GlorotUniform(seed=None if seeds is None else next(seeds))

    layers: list[keras.Layer] = [keras.Input(shape=(int(n_features),))]
    layers += [keras.layers.Dense(u, activation="relu", kernel_initializer=kernel()) for u in units]
    layers.append(
        keras.layers.Dense(int(n_classes), activation="softmax", kernel_initializer=kernel())
    )
    return keras.Sequential(layers)


def _compile(model: keras.Model, learning_rate: float) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


# ---------------------------------------------------------------------------
# Compiled trainer
# ---------------------------------------------------------------------------


class _CompiledTrainer:
    """One working model + Adam optimizer and the traced all-epochs training graph."""

    def __init__(self, n_features: int, n_classes: int, hidden_units: tuple[int, ...]):
        self.model = build_mlp(n_features, n_classes, hidden_units)
        self.optimizer = keras.optimizers.Adam()
        self.optimizer.build(self.model.trainable_variables)
        scalar = tf.TensorSpec([], tf.int32)
        self._fit = tf.function(
            self._fit_graph,
            input_signature=[
                tf.TensorSpec([None, n_features], tf.float32),  # X (train + validation rows)
                tf.TensorSpec([None], tf.int32),  # y
                scalar,  # n_train (split point)
                scalar,  # batch size
                scalar,  # epochs
                tf.TensorSpec([], tf.int64),  # shuffle seed
            ],
        )

    def _fit_graph(self, X, y, n_train, batch_size, epochs, seed):
        model, optimizer = self.model, self.optimizer
        weights = model.trainable_variables
        x_tr, y_tr = X[:n_train], y[:n_train]
        x_val, y_val = X[n_train:], y[n_train:]
        n_train_f = tf.cast(n_train, tf.float32)
        n_steps = (n_train + batch_size - 1) // batch_size
        loss_ta = tf.TensorArray(tf.float32, size=epochs)
        acc_ta = tf.TensorArray(tf.float32, size=epochs)
        val_loss_ta = tf.TensorArray(tf.float32, size=epochs)
        val_acc_ta = tf.TensorArray(tf.float32, size=epochs)
        for epoch in tf.range(epochs):
            perm = tf.random.experimental.stateless_shuffle(
                tf.range(n_train), seed=tf.stack([seed, tf.cast(epoch, tf.int64)])
            )
            loss_sum = tf.constant(0.0)
            correct = tf.constant(0.0)
            for step in tf.range(n_steps):
                idx = perm[step * batch_size : tf.minimum((step + 1) * batch_size, n_train)]
                xb = tf.gather(x_tr, idx)
                yb = tf.gather(y_tr, idx)
                with tf.GradientTape() as tape:
                    probs = model(xb, training=True)
                    loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(yb, probs))
                optimizer.apply(tape.gradient(loss, weights), weights)
                loss_sum += loss * tf.cast(tf.shape(idx)[0], tf.float32)
                correct += _n_correct(yb, probs)
            probs_val = model(x_val, training=False)
            loss_ta = loss_ta.write(epoch, loss_sum / n_train_f)
            acc_ta = acc_ta.write(epoch, correct / n_train_f)
            val_loss_ta = val_loss_ta.write(
                epoch,
                tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y_val, probs_val)),
            )
            val_acc_ta = val_acc_ta.write(
                epoch, _n_correct(y_val, probs_val) / tf.cast(tf.shape(y_val)[0], tf.float32)
            )
        return loss_ta.stack(), acc_ta.stack(), val_loss_ta.stack(), val_acc_ta.stack()

    def fit(
        self,
        initial_weights: list[np.ndarray],
        X: np.ndarray,
        y: np.ndarray,
        n_train: int,
        config: KerasConfig,
        seed: int,
    ) -> tuple[list[np.ndarray], dict[str, list[float]]]:
        """Train from ``initial_weights``; return trained weights and history."""
        self.model.set_weights(initial_weights)
        for variable in self.optimizer.variables:  # iterations, moments, learning rate
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
        self.optimizer.learning_rate = config.learning_rate
        outputs = self._fit(
            tf.constant(X, tf.float32),
            tf.constant(y, tf.int32),
            tf.constant(n_train, tf.int32),
            tf.constant(config.batch_size, tf.int32),
            tf.constant(config.epochs, tf.int32),
            tf.constant(seed, tf.int64),
        )
        history = {
            k: [float(v) for v in out.numpy()] for k, out in zip(HISTORY_KEYS, outputs, strict=True)
        }
        return self.model.get_weights(), history


def _n_correct(y, probs):
    predicted = tf.cast(tf.argmax(probs, axis=-1), y.dtype)
    return tf.reduce_sum(tf.cast(tf.equal(predicted, y), tf.float32))


_TRAINERS: dict[tuple[int, int, tuple[int, ...]], _CompiledTrainer] = {}
# Held by every training in this process, from its seeding to its predictions: the seeds
# are process-wide and the compiled trainers shared, so two threads (a Dask worker with
# several) must train one after the other to train what one thread alone trains.
TRAINING_LOCK = threading.RLock()
_DETERMINISM_ENABLED = False


def _enable_determinism() -> None:
    global _DETERMINISM_ENABLED
    if not _DETERMINISM_ENABLED:
        tf.config.experimental.enable_op_determinism()
        _DETERMINISM_ENABLED = True


def seed_keras(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic.

    The same seed then gives bit-identical weights and results on the same machine.

    Parameters
    ----------
    seed : int
        Passed to ``keras.utils.set_random_seed``.
    """
    _enable_determinism()
    keras.utils.set_random_seed(int(seed))


# ---------------------------------------------------------------------------
# Public training API
# ---------------------------------------------------------------------------


def _check_data(X_train, y_train, X_test, y_test):
    X_train = np.asarray(X_train, dtype=np.float32)
    X_test = np.asarray(X_test, dtype=np.float32)
    y_train = np.asarray(y_train)
    y_test = np.asarray(y_test)
    for name, X in (("X_train", X_train), ("X_test", X_test)):
        if X.ndim != 2 or X.shape[0] < 1:
            raise ValueError(f"{name} must be a non-empty 2-D array (n_rows, n_features)")
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_test must have the same number of features as X_train "
            f"({X_train.shape[1]}), got {X_test.shape[1]}"
        )
    for name, y, X in (("y_train", y_train, X_train), ("y_test", y_test, X_test)):
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(
                f"{name} must be a 1-D array with one label per row of X ({len(X)}), "
                f"got shape {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
            raise ValueError(f"{name} must hold integer class labels >= 0")
    n_classes = int(y_train.max()) + 1
    if n_classes < 2:
        raise ValueError("y_train must contain at least two classes (labels 0..n_classes-1)")
    if y_test.max() >= n_classes:
        raise ValueError(f"y_test labels must be in [0, {n_classes - 1}] (the classes of y_train)")
    return X_train, y_train.astype(np.int32), X_test, y_test.astype(np.int32), n_classes


def _split_index(n_rows: int, validation_split: float) -> int:
    split_at = int(math.floor(n_rows * (1.0 - validation_split)))  # as keras.Model.fit
    if split_at == 0 or split_at == n_rows:
        raise ValueError(
            f"validation_split={validation_split} leaves an empty training or validation "
            f"set for {n_rows} rows; choose a value in (0, 1) giving both sets >= 1 row"
        )
    return split_at


def train_configuration(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    config: KerasConfig | Mapping,
    *,
    seed: int = 42,
    hidden_units: Sequence[int] = (112, 112),
    trainer: Trainer = "compiled",
    augment: Augment | None = None,
) -> KerasRun:
    """Train the MLP for one configuration and evaluate it on the test rows.

    Parameters
    ----------
    X_train, y_train : numpy.ndarray
        Training features ``(n, n_features)`` and integer labels ``(n,)``; the last
        ``config.validation_split`` fraction of the rows is used for validation.
    X_test, y_test : numpy.ndarray
        Test features and labels (only used after training).
    config : KerasConfig or Mapping
        Hyper-parameters.
    seed : int
        Seed passed to ``keras.utils.set_random_seed`` before building the model
        (initial weights) and used for the per-epoch shuffles.
    hidden_units : Sequence[int]
        Sizes of the hidden layers.
    trainer : {"compiled", "fit"}
        ``"compiled"``: all epochs in one traced TensorFlow graph (fast);
        ``"fit"``: plain ``model.fit(..., verbose=0)`` (reference).
    augment : callable, optional
        ``augment(X, y) -> (X, y)`` applied to the training rows only, after the
        validation rows are split off (so no copy of a validation digit is trained
        on); e.g. :func:`digits_helpers.data.augment.shift_augment_rows`.

    Returns
    -------
    KerasRun
    """
    if not isinstance(config, KerasConfig):
        config = KerasConfig.from_dict(config)
    if trainer not in ("compiled", "fit"):
        raise ValueError(f"trainer must be 'compiled' or 'fit', got {trainer!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    X_train, y_train, X_test, y_test, n_classes = _check_data(X_train, y_train, X_test, y_test)
    n_train = _split_index(len(X_train), config.validation_split)
    if augment is not None:
        if trainer != "compiled":
            raise ValueError("augment needs trainer='compiled'")
        X_more, y_more = augment(X_train[:n_train], y_train[:n_train])
        X_train = np.concatenate([X_more, X_train[n_train:]]).astype(np.float32, copy=False)
        y_train = np.concatenate([y_more, y_train[n_train:]]).astype(np.int32, copy=False)
        n_train = len(X_more)
    hidden = tuple(int(u) for u in hidden_units)
    n_features = X_train.shape[1]
    with TRAINING_LOCK:  # seeds and the compiled trainers are the process's
        seed_keras(seed)
        model = build_mlp(n_features, n_classes, hidden, seed=seed)

        start = time.perf_counter()
        if trainer == "fit":
            _compile(model, config.learning_rate)
            fitted = model.fit(
                X_train,
                y_train,
                validation_split=config.validation_split,
                batch_size=config.batch_size,
                epochs=config.epochs,
                verbose=0,
            )
            history = {k: [float(v) for v in fitted.history[k]] for k in HISTORY_KEYS}
        else:
            key = (n_features, n_classes, hidden)
            if key not in _TRAINERS:
                _TRAINERS[key] = _CompiledTrainer(*key)
            weights, history = _TRAINERS[key].fit(
                model.get_weights(), X_train, y_train, n_train, config, int(seed)
            )
            model.set_weights(weights)
        train_seconds = time.perf_counter() - start

        probs = model(tf.constant(X_test), training=False)
        test_loss = float(
            tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y_test, probs)).numpy()
        )
        predictions = np.argmax(probs.numpy(), axis=1)
        return KerasRun(
            config=config,
            history=history,
            test_loss=test_loss,
            test_accuracy=float(np.mean(predictions == y_test)),
            train_seconds=train_seconds,
            test_predictions=predictions,
            model=model,
        )


def layer_table(model: keras.Model) -> pd.DataFrame:
    """One row per layer: its name, output width, activation and number of weights.

    Parameters
    ----------
    model : keras.Model
        A built model, such as :func:`build_mlp`'s.

    Returns
    -------
    pandas.DataFrame
        Columns ``layer`` (Keras' name), ``units`` (``""`` for a layer without
        units), ``activation`` (``""`` for a layer without one) and ``weights``
        (its number of parameters), then a ``total`` row with the model's.
    """
    rows = []
    for layer in model.layers:
        activation = getattr(layer, "activation", None)
        rows.append(
            {
                "layer": layer.name,
                "units": layer.units if hasattr(layer, "units") else "",
                "activation": activation.__name__ if activation is not None else "",
                "weights": layer.count_params(),
            }
        )
    rows.append({"layer": "total", "units": "", "activation": "", "weights": model.count_params()})
    return pd.DataFrame(rows)
