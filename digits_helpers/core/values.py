"""What counts as an integer or a number in a parameter, and how a value is quoted.

A bottom module (it imports nothing from the package), shared by the parameter
schema and the Keras configurations so that both judge and quote values alike. It does
not import NumPy: a NumPy value can only exist once NumPy is loaded, so the checks look
for it in ``sys.modules``, and a command that only checks parameters starts faster.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MAX_SHOWN = 60  # characters of a refused value quoted in a message
_LARGEST_FLOAT = int(sys.float_info.max)  # an int beyond it overflows float()


def _numpy() -> Any:
    """NumPy if it is loaded (and so a value may be one of its types), else None."""
    return sys.modules.get("numpy")


def is_int(value: Any) -> bool:
    """An integer (NumPy's included), not a bool."""
    np = _numpy()
    if np is not None and isinstance(value, np.integer):
        return True
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite float, or an int that converts to one (a huge int would overflow)."""
    np = _numpy()
    if isinstance(value, float) or (np is not None and isinstance(value, np.floating)):
        return math.isfinite(value)
    return is_int(value) and abs(int(value)) <= _LARGEST_FLOAT


def quoted(value: Any) -> str:
    """``repr(value)`` cut to about :data:`MAX_SHOWN` characters for a one-line message.

    Parameters
    ----------
    value : Any
        The refused value, as given.

    Returns
    -------
    str
        Its ``repr``; when longer than :data:`MAX_SHOWN`, its start and end around
        ``...`` with the full length; for a huge integer, its number of digits.
    """
    if is_int(value) and int(value).bit_length() > 4 * MAX_SHOWN:
        # repr of a huge int is slow, and refused beyond sys.get_int_max_str_digits()
        digits = int(int(value).bit_length() * math.log10(2)) + 1
        return f"an integer of about {digits} digits"
    try:
        text = repr(value)
    except ValueError:  # a container holding an int too long to convert to text
        return f"a {type(value).__name__} too long to show"
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[: MAX_SHOWN - 20]}...{text[-10:]} ({len(text)} characters)"


def jsonable(value: Any) -> Any:
    """Numpy scalars and arrays, tuples and paths as plain JSON values, recursively."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    np = _numpy()
    if np is not None and isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if np is not None and isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
