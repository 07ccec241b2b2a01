"""LeanMLPClassifier must fit exactly the networks that scikit-learn's MLPClassifier fits."""

from __future__ import annotations

import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._multilayer_perceptron import BaseMultilayerPerceptron
from threadpoolctl import threadpool_limits

from digits_helpers.models.lean_mlp import LeanMLPClassifier

# Every activation, depth, batch size and stopping rule of the study's grid, plus the
# edge cases: a last batch shorter than the others, "auto" batches, a run cut by max_iter.
CASES = [
    dict(hidden_layer_sizes=(112, 112), activation="relu", batch_size=32, alpha=0.01),
    dict(hidden_layer_sizes=(100,), activation="tanh", batch_size=64, early_stopping=True),
    dict(hidden_layer_sizes=(104, 100, 104), batch_size=128, learning_rate_init=0.01),
    dict(hidden_layer_sizes=(128,), activation="tanh", batch_size=50, alpha=0.001),
    dict(hidden_layer_sizes=(40,), activation="logistic", batch_size="auto"),
    dict(hidden_layer_sizes=(40,), activation="identity", batch_size=45, early_stopping=True),
    dict(hidden_layer_sizes=(64,), batch_size=32, max_iter=7, early_stopping=True),
]


def _fit_both(X, y, **params):
    params = {"max_iter": 40, "random_state": 3, **params}
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        reference = MLPClassifier(**params).fit(X, y)
        lean = LeanMLPClassifier(**params).fit(X, y)
    return reference, lean


def _assert_same_fit(reference, lean, X):
    assert lean.n_iter_ == reference.n_iter_
    assert lean.t_ == reference.t_
    assert lean.loss_curve_ == reference.loss_curve_
    assert lean.validation_scores_ == reference.validation_scores_
    for mine, theirs in zip(
        lean.coefs_ + lean.intercepts_, reference.coefs_ + reference.intercepts_, strict=True
    ):
        assert mine.dtype == theirs.dtype
        # The bytes, not only the values: -0.0 == 0.0 would pass a value comparison.
        np.testing.assert_array_equal(mine.view(np.uint8), theirs.view(np.uint8))
    np.testing.assert_array_equal(lean.predict_proba(X), reference.predict_proba(X))
    assert lean.best_loss_ == reference.best_loss_
    assert lean.best_validation_score_ == reference.best_validation_score_
    assert lean._no_improvement_count == reference._no_improvement_count
    assert lean._optimizer.t == reference._optimizer.t
    assert lean._optimizer.learning_rate == reference._optimizer.learning_rate
    moments = zip(
        lean._optimizer.ms + lean._optimizer.vs,
        reference._optimizer.ms + reference._optimizer.vs,
        strict=True,
    )
    for mine, theirs in moments:
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("params", CASES, ids=lambda p: "-".join(map(str, p.values())))
def test_lean_fit_equals_scikit_learn(split, params):
    X, y = split.X_train[:600], split.y_train[:600]
    reference, lean = _fit_both(X, y, **params)
    _assert_same_fit(reference, lean, split.X_test)


def test_lean_fit_equals_scikit_learn_in_float64(split):
    X, y = split.X_train[:400].astype(np.float64), split.y_train[:400]
    reference, lean = _fit_both(X, y, hidden_layer_sizes=(30,), batch_size=32)
    assert lean.coefs_[0].dtype == np.float64
    _assert_same_fit(reference, lean, split.X_test)


def test_cases_it_does_not_cover_fall_back_to_scikit_learn(split):
    """Sample weights, SGD and binary targets take scikit-learn's own loop, same result."""
    X, y = split.X_train[:300], split.y_train[:300]
    weights = np.linspace(0.5, 1.5, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        params = dict(hidden_layer_sizes=(20,), max_iter=15, random_state=0)
        ref = MLPClassifier(**params).fit(X, y, sample_weight=weights)
        lean = LeanMLPClassifier(**params).fit(X, y, sample_weight=weights)
        _assert_same_fit(ref, lean, split.X_test)
        ref = MLPClassifier(solver="sgd", **params).fit(X, y)
        lean = LeanMLPClassifier(solver="sgd", **params).fit(X, y)
        np.testing.assert_array_equal(lean.coefs_[0], ref.coefs_[0])
        binary = y % 2
        ref = MLPClassifier(**params).fit(X, binary)
        lean = LeanMLPClassifier(**params).fit(X, binary)
        _assert_same_fit(ref, lean, split.X_test)


def test_partial_fit_and_warm_start_continue_like_scikit_learn(split):
    X, y = split.X_train[:300], split.y_train[:300]
    params = dict(hidden_layer_sizes=(20,), max_iter=5, random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        ref = MLPClassifier(**params).fit(X, y).fit(X, y)
        lean = LeanMLPClassifier(**params).fit(X, y).fit(X, y)
        _assert_same_fit(ref, lean, split.X_test)
        ref.partial_fit(X, y)
        lean.partial_fit(X, y)
        _assert_same_fit(ref, lean, split.X_test)


def test_warm_start_after_early_stopping_matches_scikit_learn(split):
    """scikit-learn's second fit also moves the aliased "best" weights; so must ours."""
    X, y = split.X_train[:300], split.y_train[:300]
    params = dict(
        hidden_layer_sizes=(20,), max_iter=30, random_state=0, warm_start=True, early_stopping=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        ref = MLPClassifier(**params).fit(X, y)
        lean = LeanMLPClassifier(**params).fit(X, y)
        _assert_same_fit(ref, lean, split.X_test)
        # A step so large that validation never beats the first fit's best.
        ref.set_params(learning_rate_init=0.5, max_iter=5).fit(X, y)
        lean.set_params(learning_rate_init=0.5, max_iter=5).fit(X, y)
        assert ref.best_validation_score_ > max(ref.validation_scores_[-5:])
        _assert_same_fit(ref, lean, split.X_test)


def test_sparse_input_falls_back_to_scikit_learn(split):
    from scipy.sparse import csr_matrix

    X, y = csr_matrix(split.X_train[:200]), split.y_train[:200]
    reference, lean = _fit_both(X, y, hidden_layer_sizes=(20,), max_iter=5)
    _assert_same_fit(reference, lean, split.X_test)


def test_verbose_output_matches_scikit_learn(split, capsys):
    X, y = split.X_train[:200], split.y_train[:200]
    for early_stopping in (False, True):
        params = dict(
            hidden_layer_sizes=(20,), verbose=True, early_stopping=early_stopping, tol=0.01
        )
        MLPClassifier(**params, max_iter=200, random_state=0).fit(X, y)
        theirs = capsys.readouterr().out
        LeanMLPClassifier(**params, max_iter=200, random_state=0).fit(X, y)
        assert capsys.readouterr().out == theirs
        assert "Stopping." in theirs


def test_fitted_weights_do_not_share_memory(split):
    """After a fit the estimator owns ordinary arrays, as scikit-learn's would."""
    lean = LeanMLPClassifier(hidden_layer_sizes=(20, 20), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        lean.fit(split.X_train[:200], split.y_train[:200])
    arrays = lean.coefs_ + lean.intercepts_
    assert all(a.base is None for a in arrays)


@pytest.mark.parametrize("params", CASES, ids=lambda p: "-".join(map(str, p.values())))
def test_fits_the_lean_loop_covers_never_reach_scikit_learns_loop(split, params, monkeypatch):
    """The equality tests above would pass just as well if everything fell back."""

    def fallback(self, *args, **kwargs):
        raise AssertionError("scikit-learn's own _fit_stochastic ran")

    monkeypatch.setattr(BaseMultilayerPerceptron, "_fit_stochastic", fallback)
    params = {"max_iter": 3, "random_state": 3, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        LeanMLPClassifier(**params).fit(split.X_train[:300], split.y_train[:300])
        with pytest.raises(AssertionError, match="own _fit_stochastic ran"):  # the spy works
            LeanMLPClassifier(**params, solver="sgd").fit(split.X_train[:300], split.y_train[:300])


INTERRUPTED_FIT = """
import sys
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from digits_helpers.models.lean_mlp import LeanMLPClassifier

X, y = load_digits(return_X_y=True)
model = LeanMLPClassifier(
    hidden_layer_sizes=(128, 128), solver=sys.argv[1], max_iter=100_000, tol=0,
    n_iter_no_change=100_000, verbose=True, random_state=0,
)
try:
    model.fit(X, y)
except KeyboardInterrupt:
    try:
        model.predict(X[:1])
    except NotFittedError:
        print("RESULT: interrupted, the model is unfitted")
    else:
        print("RESULT: interrupted, a half-trained model predicts")
else:
    print("RESULT: fit returned")
"""


@pytest.mark.parametrize("solver", ["adam", "sgd"], ids=["lean loop", "scikit-learn's loop"])
def test_ctrl_c_during_a_fit_propagates_and_leaves_no_half_trained_model(solver):
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", INTERRUPTED_FIT, solver],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in process.stdout:  # training has started once it reports an epoch
        lines.append(line)
        if line.startswith("Iteration 3,"):
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=120)
    assert lines and lines[-1].startswith("Iteration 3,"), err
    assert out.splitlines()[-1] == "RESULT: interrupted, the model is unfitted", err
    assert "Training interrupted by user" not in err
