"""The reference study's computations, written out as it ran them: the baseline.

``reference_grid_search`` is its ``GridSearchCV`` over the raw 576-combination grid
(``cv=3``, ``n_jobs=-1``); ``reference_keras`` trains its Sequential 64-112-112-10
network with a plain ``model.fit`` per configuration. The only change: Keras is
seeded, so that the reference and the project can be compared seed for seed
(``verbose=0`` also spares the reference the cost of printing progress bars).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier

from digits_helpers.models.tf_runtime import keras

REFERENCE_GRID = {
    "hidden_layer_sizes": [(100,), (112, 112), (128,), (104, 100, 104)],
    "activation": ["relu", "tanh"],
    "alpha": [0.0001, 0.001, 0.01],
    "batch_size": [32, 64, 128],
    "learning_rate": ["adaptive", "constant"],
    "learning_rate_init": [0.001, 0.01],
    "early_stopping": [True, False],
}


def reference_grid_search(X_train, y_train, param_grid: Mapping = REFERENCE_GRID) -> dict:
    """GridSearchCV exactly as the reference study called it."""
    mlp = MLPClassifier(solver="adam", max_iter=200, random_state=42)
    search = GridSearchCV(estimator=mlp, param_grid=dict(param_grid), cv=3, n_jobs=-1, verbose=0)
    start = time.perf_counter()
    search.fit(X_train, y_train)
    return {
        "seconds": time.perf_counter() - start,
        "best_params": search.best_params_,
        "best_cv_score": float(search.best_score_),
        "estimator": search.best_estimator_,
        "n_fits": len(search.cv_results_["params"]) * 3,
    }


def reference_keras(
    X_train, y_train, X_test, y_test, configurations: Sequence[Mapping], *, seed: int
) -> dict:
    """The reference's build-and-fit loop, one model per configuration."""
    accuracies = []
    start = time.perf_counter()
    for config in configurations:
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [
                keras.Input(shape=(X_train.shape[1],)),
                keras.layers.Dense(112, activation="relu"),
                keras.layers.Dense(112, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config["learning_rate"]),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(
            X_train,
            y_train,
            validation_split=config["validation_split"],
            batch_size=config["batch_size"],
            epochs=config["epochs"],
            verbose=0,
        )
        _, accuracy = model.evaluate(X_test, y_test, verbose=0)
        accuracies.append(float(accuracy))
    return {"seconds": time.perf_counter() - start, "test_accuracies": accuracies}


def test_accuracy(estimator, X_test, y_test) -> float:
    """Accuracy of a fitted scikit-learn estimator on the test rows."""
    return float(np.mean(estimator.predict(X_test) == y_test))
