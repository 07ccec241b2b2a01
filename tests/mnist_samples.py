"""MNIST-format files written by the tests: the shipped digits as 28x28 MNIST stand-ins.

No real MNIST file is on the machine and nothing is downloaded. scikit-learn's 1,797 8x8
digits' 32x32 drawings are prepared as MNIST's digits were (a 20x20 box in anti-aliased
grey, centred by its centre of mass in 28x28: :func:`digits_helpers.data.scan.mnist_features`)
and written in MNIST's formats with :func:`digits_helpers.data.mnist_files.write_idx`
or as ``mnist.npz``: the first 1,497 as the training files, the last 300 as the test files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digits_helpers.data.mnist_files import IDX_STEMS, NPZ_ARRAYS, write_idx
from digits_helpers.data.scan import Ink, bitmap_from_features, mnist_features

N_TRAIN = 1497
N_TEST = 300
FORMS = ("idx", "idx.gz", "npz")
NPZ_KEYS = {role: array for array, role in NPZ_ARRAYS.items()}  # role -> the npz's name


def digits28() -> dict[str, np.ndarray]:
    """The shipped digits as 28x28 uint8 in 0..255, split into training and test arrays.

    Returns
    -------
    dict of str to numpy.ndarray
        ``train_images`` (1497, 28, 28), ``train_labels`` (1497,), ``test_images``
        (300, 28, 28), ``test_labels`` (300,); uint8.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    drawn = []
    for image in digits.images / 16:
        bitmap = bitmap_from_features(image)  # the 32x32 drawing the 8x8 digit was made from
        grey = mnist_features(Ink(mask=bitmap, level=bitmap.astype(np.float32)))
        drawn.append(np.rint(grey * 255).astype(np.uint8))
    images = np.stack(drawn)
    labels = digits.target.astype(np.uint8)
    assert images.shape == (N_TRAIN + N_TEST, 28, 28) and images.dtype == np.uint8
    return {
        "train_images": images[:N_TRAIN],
        "train_labels": labels[:N_TRAIN],
        "test_images": images[N_TRAIN:],
        "test_labels": labels[N_TRAIN:],
    }


def write_mnist(folder: Path, form: str = "idx.gz", arrays: dict | None = None) -> dict[str, Path]:
    """Write MNIST-format files into ``folder`` (created if needed).

    Parameters
    ----------
    folder : pathlib.Path
        Where to write.
    form : {"idx", "idx.gz", "npz"}
        The four IDX files plain or gzipped, or ``mnist.npz``.
    arrays : dict, optional
        The four arrays (default: :func:`digits28`).

    Returns
    -------
    dict of str to pathlib.Path
        The file written for each role (all ``mnist.npz`` for the npz form).
    """
    arrays = digits28() if arrays is None else arrays
    folder.mkdir(parents=True, exist_ok=True)
    if form == "npz":
        path = folder / "mnist.npz"
        np.savez(path, **{NPZ_KEYS[role]: array for role, array in arrays.items()})
        return dict.fromkeys(arrays, path)
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS} (got {form!r})")
    return {
        role: write_idx(folder / stem, arrays[role], gzipped=form == "idx.gz")
        for role, stem in IDX_STEMS.items()
    }
