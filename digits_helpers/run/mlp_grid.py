"""What a ``param_grid`` may hold: scikit-learn 1.9's rules for ``MLPClassifier``, written out.

The rules are those of ``MLPClassifier._parameter_constraints`` (scikit-learn 1.9),
with the same accepted sets: an ``Interval`` of ``numbers.Real`` takes a bool and
any int, and refuses NaN; ``"boolean"`` is a ``bool`` or ``numpy.bool_``. Writing
them here lets the parameters be checked without importing scikit-learn;
``tests/unit/run/test_mlp_grid.py`` holds them against scikit-learn's own.
"""

import math
import sys
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any


@dataclass(frozen=True)
class Interval:
    """Numbers of a type between two bounds, as scikit-learn's ``Interval`` judges them.

    Parameters
    ----------
    kind : type
        ``numbers.Integral`` or ``numbers.Real``.
    low, high : float or None
        The bounds; None for none.
    closed : str
        Which bounds belong: ``"left"``, ``"right"``, ``"both"`` or ``"neither"``.
    """

    kind: type
    low: float | None
    high: float | None
    closed: str

    def holds(self, value: Any) -> bool:
        """Whether ``value`` is of the type and within the bounds (NaN never is)."""
        if not isinstance(value, self.kind):
            return False
        if not isinstance(value, Integral) and math.isnan(value):
            return False
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        above = value >= low if self.closed in ("left", "both") else value > low
        below = value <= high if self.closed in ("right", "both") else value < high
        return above and below

    def __str__(self) -> str:
        whole = self.kind is Integral
        low = "-inf" if self.low is None else self.low if whole else float(self.low)
        high = "inf" if self.high is None else self.high if whole else float(self.high)
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        return f"{'an int' if whole else 'a float'} in the range {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Options:
    """Values of a type among a few, as scikit-learn's ``Options`` and ``StrOptions``."""

    kind: type
    values: tuple

    def holds(self, value: Any) -> bool:
        """Whether ``value`` is of the type and one of the values."""
        return isinstance(value, self.kind) and value in self.values

    def __str__(self) -> str:
        kind = "a str" if self.kind is str else "a float"
        return f"{kind} among {{{', '.join(repr(v) for v in sorted(self.values))}}}"


@dataclass(frozen=True)
class Boolean:
    """A ``bool`` or a ``numpy.bool_``: scikit-learn's ``"boolean"``."""

    def holds(self, value: Any) -> bool:
        """Whether ``value`` is a boolean."""
        np = sys.modules.get("numpy")  # not loaded: no value can be a numpy.bool_
        return isinstance(value, bool) or (np is not None and isinstance(value, np.bool_))

    def __str__(self) -> str:
        return "an instance of 'bool' or an instance of 'numpy.bool'"


@dataclass(frozen=True)
class Rule:
    """What one ``MLPClassifier`` argument accepts: any of its constraints.

    Called on a value, returns it unchanged or raises :class:`ValueError` saying what
    is accepted (a pydantic validator).
    """

    constraints: tuple

    def __call__(self, value: Any) -> Any:
        if not any(c.holds(value) for c in self.constraints):
            raise ValueError(str(self))
        return value

    def __str__(self) -> str:
        texts = [str(c) for c in self.constraints]
        return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} or {texts[-1]}"


def _rule(*constraints: Interval | Options | Boolean) -> Rule:
    return Rule(constraints)


def _strings(*values: str) -> Options:
    return Options(str, values)


# MLPClassifier arguments a grid may vary (the ones that shape the network or its
# training), but hidden_layer_sizes, which the schema checks as lists of sizes.
RULES: dict[str, Rule] = {
    "activation": _rule(_strings("identity", "logistic", "tanh", "relu")),
    "solver": _rule(_strings("lbfgs", "sgd", "adam")),
    "alpha": _rule(Interval(Real, 0, None, "left")),
    "batch_size": _rule(_strings("auto"), Interval(Integral, 1, None, "left")),
    "learning_rate": _rule(_strings("constant", "invscaling", "adaptive")),
    "learning_rate_init": _rule(Interval(Real, 0, None, "neither")),
    "power_t": _rule(Interval(Real, 0, None, "left")),
    "momentum": _rule(Interval(Real, 0, 1, "both")),
    "nesterovs_momentum": _rule(Boolean()),
    "early_stopping": _rule(Boolean()),
    "validation_fraction": _rule(Interval(Real, 0, 1, "left")),
    "beta_1": _rule(Interval(Real, 0, 1, "left")),
    "beta_2": _rule(Interval(Real, 0, 1, "left")),
    "epsilon": _rule(Interval(Real, 0, None, "neither")),
    "n_iter_no_change": _rule(Interval(Integral, 1, None, "left"), Options(Real, (math.inf,))),
    "tol": _rule(Interval(Real, 0, None, "left")),
}
