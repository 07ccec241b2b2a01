"""Import TensorFlow and Keras once, without their start-up chatter.

TensorFlow's C++ runtime writes lines such as "oneDNN custom operations are on" to
the process's standard error when it loads, whatever ``TF_CPP_MIN_LOG_LEVEL`` says.
In a notebook those lines land in the output of the import cell and then in the book.
This module silences file descriptor 2 while TensorFlow loads, and only then.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _stderr_silenced():
    import keras
    import tensorflow as tf

__all__ = ["keras", "tf"]
