"""How the book writes numbers and values: one format for each kind, used everywhere.

A bottom module: it imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Mapping


def pct(value: float, digits: int = 2) -> str:
    """A fraction as a percentage, as the book writes every accuracy.

    Parameters
    ----------
    value : float
        A fraction, such as an accuracy (``0.98333``).
    digits : int, default=2
        Decimals after the point.

    Returns
    -------
    str
        ``"98.33%"``: the same form as the pages' glued ``{glue:text}`...:.2%```.
    """
    return f"{100 * value:.{digits}f}%"


def points(difference: float) -> str:
    """A difference of two accuracies: ``0.0306`` -> ``'3.06 percentage points'``."""
    return f"{100 * difference:.2f} percentage points"


def parameter_value(value) -> str:
    """A hyperparameter value for a reader: sequences as ``(112, 112)``."""
    if isinstance(value, list | tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def describe_params(params: Mapping) -> str:
    """Best parameters as an inline list: ``activation = relu, alpha = 0.01, ...``."""
    return ", ".join(f"`{key}` = {parameter_value(value)}" for key, value in sorted(params.items()))
