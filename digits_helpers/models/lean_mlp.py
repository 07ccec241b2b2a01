"""A leaner training loop for scikit-learn's ``MLPClassifier`` with the Adam solver.

On the digits, a fit of ``MLPClassifier`` spends most of its time outside the
arithmetic: each mini-batch step goes through input validation helpers, array-API
dispatch and list-building in the optimiser: about 0.5 ms a step, a quarter of it in the
matrix products. :class:`LeanMLPClassifier` replaces only the loop of
``_fit_stochastic`` for the common case (``solver='adam'``, shuffling, no sample
weights, not ``partial_fit``) with one that performs **the same floating-point
operations in the same order** on preallocated buffers. Its fits are bit-for-bit those
of ``MLPClassifier`` (same random draws, weights, loss curve, stopping epoch and
predictions); ``tests/unit/models/test_lean_mlp.py`` checks that against scikit-learn itself for
every activation, batch size, depth and early-stopping setting of the study's grid.
Anything else falls back to scikit-learn's own loop. Where a step's time goes now (the
matrix products, Adam's update, the rest): ``benchmarks/results/search_floor.md``.

One deliberate difference: scikit-learn catches ``KeyboardInterrupt`` inside ``fit`` and
returns the half-trained network with a warning. Here the interrupt propagates, so an
interrupted search or notebook stops instead of carrying on with a model it never
finished training, and the estimator is left as it was before ``fit`` (unfitted, or
the previous fit of a warm start): no half-trained model is left behind either.
This holds in the fallback to scikit-learn's loop too.

The loop mirrors scikit-learn 1.9's ``BaseMultilayerPerceptron._fit_stochastic``,
``_backprop`` and ``AdamOptimizer`` (``pyproject.toml`` pins scikit-learn 1.9.x); when
an upgrade changes them, the equality tests fail rather than the numbers drifting
silently.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable

import numpy as np
from scipy.sparse import issparse
from scipy.special import expit, xlogy
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer

# What scikit-learn's own loop warns when it swallows a KeyboardInterrupt.
_SKLEARN_INTERRUPTED = "Training interrupted by user."


def _batches(n_samples: int, batch_size: int) -> list[slice]:
    """Consecutive slices of ``batch_size`` rows, the last one shorter (``gen_batches``)."""
    starts = range(0, n_samples, batch_size)
    return [slice(start, min(start + batch_size, n_samples)) for start in starts]


class _FlatParameters:
    """Weights, gradients and Adam's moments, each one contiguous buffer.

    ``coefs``/``intercepts`` (and ``coef_grads``/``intercept_grads``) are views into the
    buffers, in scikit-learn's shapes, so that Adam's element-wise update is a handful of
    NumPy calls on one array instead of a handful per layer. Element-wise arithmetic does
    not depend on how the elements are laid out, so the numbers are unchanged.
    """

    def __init__(
        self, coefs: list[np.ndarray], intercepts: list[np.ndarray], optimizer: AdamOptimizer
    ):
        arrays = coefs + intercepts
        dtype = coefs[0].dtype
        bounds = np.cumsum([0, *(a.size for a in arrays)])
        self.values = np.concatenate([a.ravel() for a in arrays])
        self.grads = np.empty_like(self.values)
        self.m = np.zeros_like(self.values)
        self.v = np.zeros_like(self.values)
        self.scratch = np.empty_like(self.values)
        # scikit-learn's step is a float64 scalar times a float32 array: a float64 update.
        self.update = np.empty(self.values.shape, dtype=np.result_type(np.float64, dtype))
        n = len(coefs)

        def views(buffer):
            spans = zip(bounds[:-1], bounds[1:], arrays, strict=True)
            parts = [buffer[lo:hi].reshape(a.shape) for lo, hi, a in spans]
            return parts[:n], parts[n:]

        self.coefs, self.intercepts = views(self.values)
        self.coef_grads, self.intercept_grads = views(self.grads)
        # The weight matrices come first: all of them are one slice of each buffer.
        n_coef_values = bounds[n]
        self.coef_values = self.values[:n_coef_values]
        self.coef_grad_values = self.grads[:n_coef_values]
        self.coef_scratch = self.scratch[:n_coef_values]
        self.m_parts = views(self.m)
        self.v_parts = views(self.v)
        self.optimizer = optimizer

    def adam_step(self) -> None:
        """One ``AdamOptimizer.update_params`` with the gradients in ``self.grads``."""
        opt = self.optimizer
        opt.t += 1
        beta_1, beta_2, epsilon = opt.beta_1, opt.beta_2, opt.epsilon
        t = opt.t
        opt.learning_rate = opt.learning_rate_init * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        grad, m, v, scratch, update = self.grads, self.m, self.v, self.scratch, self.update
        # m = beta_1 * m + (1 - beta_1) * grad
        np.multiply(grad, 1 - beta_1, out=scratch)
        m *= beta_1
        m += scratch
        # v = beta_2 * v + (1 - beta_2) * grad**2
        np.square(grad, out=scratch)
        scratch *= 1 - beta_2
        v *= beta_2
        v += scratch
        # param += -learning_rate * m / (np.sqrt(v) + epsilon)
        np.sqrt(v, out=scratch)
        scratch += epsilon
        np.multiply(-opt.learning_rate, m, out=update)
        update /= scratch
        self.values += update

    def hand_back(self, estimator: MLPClassifier) -> None:
        """Give the estimator (and its optimiser) separate arrays again, as scikit-learn has."""
        estimator.coefs_ = [c.copy() for c in self.coefs]
        estimator.intercepts_ = [b.copy() for b in self.intercepts]
        self.optimizer.ms = [a.copy() for a in self.m_parts[0] + self.m_parts[1]]
        self.optimizer.vs = [a.copy() for a in self.v_parts[0] + self.v_parts[1]]


class LeanMLPClassifier(MLPClassifier):
    """``MLPClassifier`` whose Adam training loop does less bookkeeping per step.

    Same parameters, same fitted model, bit for bit; see the module docstring.
    """

    def _fit(self, X, y, sample_weight=None, incremental=False):
        before = copy.deepcopy(vars(self))  # parameters, or a warm start's previous fit
        try:
            return super()._fit(X, y, sample_weight=sample_weight, incremental=incremental)
        except KeyboardInterrupt:
            vars(self).clear()
            vars(self).update(before)
            raise

    def _lean_loop_applies(self, X, sample_weight, incremental: bool) -> bool:
        """Whether this fit is one the lean loop reproduces exactly."""
        return (
            self.solver == "adam"
            and self.shuffle
            and sample_weight is None
            and not incremental
            and not issparse(X)
            and self.loss == "log_loss"
            and self.out_activation_ == "softmax"
            # A warm start after an early-stopped fit: scikit-learn's coefs_ *are* its
            # _best_coefs then, so its training also moves the "best" weights. Only its
            # own loop reproduces that.
            and not any(c is b for c, b in zip(self.coefs_, self._best_coefs, strict=True))
        )

    def _fit_stochastic(
        self,
        X,
        y,
        sample_weight,
        activations,
        deltas,
        coef_grads,
        intercept_grads,
        layer_units,
        incremental,
    ):
        if not self._lean_loop_applies(X, sample_weight, incremental):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                arrays = (X, y, sample_weight, activations, deltas, coef_grads, intercept_grads)
                super()._fit_stochastic(*arrays, layer_units, incremental)
            for warning in caught:
                if str(warning.message) == _SKLEARN_INTERRUPTED:
                    raise KeyboardInterrupt  # scikit-learn caught it; let it stop the caller
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
            return
        self._optimizer = AdamOptimizer(
            self.coefs_ + self.intercepts_,
            self.learning_rate_init,
            self.beta_1,
            self.beta_2,
            self.epsilon,
        )
        flat = _FlatParameters(self.coefs_, self.intercepts_, self._optimizer)
        # Training updates the flat buffer; the estimator sees it through views (the
        # early-stopping check predicts with, and copies, coefs_ and intercepts_).
        self.coefs_, self.intercepts_ = flat.coefs, flat.intercepts
        if self.early_stopping:
            X_train, X_val, y_train, y_val = train_test_split(
                X,
                y,
                random_state=self._random_state,
                test_size=self.validation_fraction,
                # As scikit-learn: stratified only for a single output column, which a
                # multiclass target (one-hot, one column per class) never is.
                stratify=y if self.n_outputs_ == 1 else None,
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            y_val = self._label_binarizer.inverse_transform(y_val)
        else:
            X_train, y_train, X_val, y_val = X, y, None, None
        n_samples = X_train.shape[0]
        sample_idx = np.arange(n_samples, dtype=int)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped",
                    stacklevel=3,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        batches = _batches(n_samples, batch_size)
        train_step = self._make_train_step(flat, X.dtype)

        self.n_iter_ = 0
        for _ in range(self.max_iter):
            # sklearn.utils.shuffle: permute arange(n) with the estimator's generator.
            order = np.arange(n_samples)
            self._random_state.shuffle(order)
            sample_idx = sample_idx[order]
            accumulated_loss = 0.0
            for batch in batches:
                batch_idx = sample_idx[batch]
                batch_loss = train_step(X_train.take(batch_idx, axis=0), y_train[batch_idx])
                accumulated_loss += batch_loss * (batch.stop - batch.start)
                flat.adam_step()

            self.n_iter_ += 1
            self.loss_ = accumulated_loss / X_train.shape[0]
            self.t_ += n_samples
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            self._update_no_improvement_count(self.early_stopping, X_val, y_val, None)
            if self._no_improvement_count > self.n_iter_no_change:
                # Adam stops here: AdamOptimizer.trigger_stopping is always True.
                if self.verbose:
                    watched = "Validation score" if self.early_stopping else "Training loss"
                    print(
                        f"{watched} did not improve more than tol={self.tol:f} for "
                        f"{self.n_iter_no_change} consecutive epochs. Stopping."
                    )
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=3,
                )

        flat.hand_back(self)
        if self.early_stopping:
            self.coefs_ = self._best_coefs
            self.intercepts_ = self._best_intercepts

    def _make_train_step(
        self, flat: _FlatParameters, dtype: np.dtype
    ) -> Callable[[np.ndarray, np.ndarray], float]:
        """A function computing one batch's loss and gradients (``_backprop``'s arithmetic).

        The gradients are written into ``flat.grads``; the function returns the loss.
        """
        coefs, intercepts = flat.coefs, flat.intercepts
        coef_grads, intercept_grads = flat.coef_grads, flat.intercept_grads
        grads, coef_values = flat.grads, flat.coef_values
        coef_grad_values, coef_scratch = flat.coef_grad_values, flat.coef_scratch
        n_weights = len(coefs)
        last = n_weights - 1
        alpha = self.alpha
        half_alpha = 0.5 * alpha
        eps = np.finfo(dtype).eps
        hidden_activation = _HIDDEN[self.activation]
        derivative = _DERIVATIVE[self.activation]
        flat_coefs = [c.ravel() for c in coefs]

        def train_step(X_batch, y_batch):
            n = X_batch.shape[0]
            # Forward pass.
            acts = [X_batch]
            for i in range(n_weights):
                a = acts[i] @ coefs[i]
                a += intercepts[i]
                if i != last:
                    hidden_activation(a)
                acts.append(a)
            out = acts[-1]
            # The ufuncs' reductions that ndarray.max, .sum and .mean call, without their
            # Python wrappers (.mean is the sum divided by the count): the same arithmetic.
            tmp = out - _max(out, axis=1)[:, np.newaxis]
            np.exp(tmp, out=out)
            out /= _sum(out, axis=1)[:, np.newaxis]
            # log_loss, then the L2 penalty.
            prob = np.clip(out, eps, 1 - eps)
            loss = -_sum(_sum(xlogy(y_batch, prob), axis=0) / n)  # np.average without weights
            values = 0
            for s in flat_coefs:
                values += np.dot(s, s)
            loss += half_alpha * values / n
            # Backward pass.
            delta = out - y_batch
            for i in range(last, -1, -1):
                np.matmul(acts[i].T, delta, out=coef_grads[i])
                _sum(delta, axis=0, out=intercept_grads[i])
                if i:
                    delta = delta @ coefs[i].T
                    derivative(acts[i], delta)
            # scikit-learn adds alpha * coefs to each layer's gradient, then divides both
            # gradients by n, layer by layer; element-wise, so done here on all layers at
            # once (no layer's gradient is read before then): the same numbers.
            np.multiply(coef_values, alpha, out=coef_scratch)
            np.add(coef_grad_values, coef_scratch, out=coef_grad_values)
            np.divide(grads, n, out=grads)
            return loss

        return train_step


_sum = np.add.reduce
_max = np.maximum.reduce


def _relu(a):
    np.maximum(a, 0, out=a)


def _tanh(a):
    np.tanh(a, out=a)


def _logistic(a):
    expit(a, out=a)


def _identity(a):
    pass


def _relu_derivative(z, delta):
    np.putmask(delta, z == 0, 0)


def _tanh_derivative(z, delta):
    delta *= 1 - z**2


def _logistic_derivative(z, delta):
    delta *= z
    delta *= 1 - z


def _identity_derivative(z, delta):
    pass


_HIDDEN = {"relu": _relu, "tanh": _tanh, "logistic": _logistic, "identity": _identity}
_DERIVATIVE = {
    "relu": _relu_derivative,
    "tanh": _tanh_derivative,
    "logistic": _logistic_derivative,
    "identity": _identity_derivative,
}
