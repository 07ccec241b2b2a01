"""Load the digits, scale them to [0, 1], flatten them and split them.

Every notebook calls :func:`load_split` with the same parameters and so works on
the same rows: the split is a pure function of the dataset (``dataset``, ``data_dir``,
``max_images``), ``test_size``, ``random_state`` and ``stratify``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from digits_helpers.core.registry import DATASETS, DATASETS_FROM_FILES
from digits_helpers.data.mnist_files import load_mnist

MNIST_MAX_PIXEL = 255  # MNIST's grey levels are unsigned bytes


@dataclass(frozen=True)
class Dataset:
    """Images scaled to [0, 1] with their labels.

    Attributes
    ----------
    name : str
        The dataset's name (``"digits"``).
    images : numpy.ndarray
        Shape ``(n_samples, height, width)``, float32 in [0, 1].
    target : numpy.ndarray
        Shape ``(n_samples,)``, the integer label of each image.
    """

    name: str
    images: np.ndarray  # (n_samples, height, width), float32 in [0, 1]
    target: np.ndarray  # (n_samples,), int

    @property
    def X(self) -> np.ndarray:  # noqa: N802 (the conventional name)
        """Images flattened to one row of pixels each."""
        return self.images.reshape(len(self.images), -1)

    @property
    def image_shape(self) -> tuple[int, int]:
        """Height and width of one image."""
        return self.images.shape[1], self.images.shape[2]


@dataclass(frozen=True)
class Split:
    """A train/test split of one dataset; ``*_images`` keep the 2-D shape for plots.

    Attributes
    ----------
    dataset : str
        The dataset's name.
    X_train, X_test : numpy.ndarray
        Flat pixel rows, shape ``(n_train, n_features)`` and ``(n_test, n_features)``.
    y_train, y_test : numpy.ndarray
        Their labels.
    image_shape : tuple of int
        Height and width of one image.
    test_size : float
        Fraction of the rows held out for the test set.
    random_state : int
        Seed of the shuffle that made the split.
    stratify : bool
        Whether the class shares were kept equal in the two sets.
    train_indices, test_indices : numpy.ndarray
        Positions in the dataset of the training and test rows, in the split's order.
    """

    dataset: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    test_size: float
    random_state: int
    stratify: bool
    train_indices: np.ndarray
    test_indices: np.ndarray

    @property
    def train_images(self) -> np.ndarray:
        """Training rows reshaped to images, for plots and the CNN."""
        return self.X_train.reshape(-1, *self.image_shape)

    @property
    def test_images(self) -> np.ndarray:
        """Test rows reshaped to images, for plots and the CNN."""
        return self.X_test.reshape(-1, *self.image_shape)

    @property
    def n_classes(self) -> int:
        """Number of classes: the largest label plus one."""
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def identity(self) -> dict:
        """What defines this split; equal identities mean equal rows.

        Returns
        -------
        dict
            ``dataset``, ``test_size``, ``random_state`` and ``stratify``, and the
            :meth:`digest` of the rows in each set and of their labels: chapters run on
            other files (``data_dir``) or fewer of them (``max_images``) differ there.
        """
        labels = hashlib.sha256()
        for y in (self.y_train, self.y_test):
            labels.update(np.asarray(y, dtype="<i8").tobytes())
            labels.update(b"|")
        return {
            "dataset": self.dataset,
            "test_size": self.test_size,
            "random_state": self.random_state,
            "stratify": self.stratify,
            "split_digest": self.digest(),
            "labels_digest": labels.hexdigest()[:16],
        }

    def digest(self) -> str:
        """A short SHA-256 of which rows went to training and which to the test, in order.

        Integers only: it is the same on every machine, so a regression test can check
        it exactly. Another seed, test size or stratification gives another digest.

        Returns
        -------
        str
            The first 16 hexadecimal digits of the SHA-256 of the row indices.
        """
        sha = hashlib.sha256()
        for indices in (self.train_indices, self.test_indices):
            sha.update(np.asarray(indices, dtype="<i8").tobytes())
            sha.update(b"|")
        return sha.hexdigest()[:16]

    def summary(self) -> dict:
        """Sizes of the split, as stored in ``results.json``.

        Returns
        -------
        dict
            ``name``, ``n_samples``, ``n_features``, ``n_train``, ``n_test``,
            ``n_classes``, ``image_shape`` (a list) and ``split_digest``
            (:meth:`digest`).
        """
        return {
            "name": self.dataset,
            "n_samples": len(self.y_train) + len(self.y_test),
            "n_features": int(self.X_train.shape[1]),
            "n_train": len(self.y_train),
            "n_test": len(self.y_test),
            "n_classes": self.n_classes,
            "image_shape": list(self.image_shape),
            "split_digest": self.digest(),
        }


def load_dataset(
    name: str = "digits", *, data_dir: str | Path = "", max_images: int = 0
) -> Dataset:
    """Load a dataset by name, pixels divided by the largest pixel value.

    Parameters
    ----------
    name : {"digits", "mnist"}, default="digits"
        ``"digits"``: scikit-learn's 1,797 8x8 digits, shipped with the package
        (no download). ``"mnist"``: MNIST's digits read from the files in ``data_dir``
        (:func:`digits_helpers.data.mnist_files.load_mnist`; nothing is downloaded), the
        training and test files pooled (70,000 digits of 28x28 in the real files), so
        that :func:`split_dataset` splits them like the digits. This is not MNIST's
        official 60,000/10,000 split.
    data_dir : str or pathlib.Path, default=""
        The folder of the MNIST files; must be empty for ``"digits"``.
    max_images : int, default=0
        Keep only the first ``max_images`` digits (in the files' order, training file
        first), to keep a run on MNIST tractable; 0 keeps them all.

    Returns
    -------
    Dataset
        ``images`` of shape ``(n_samples, height, width)``, float32 in [0, 1]
        (``(1797, 8, 8)`` for the digits, ``(70000, 28, 28)`` for MNIST), and
        ``target``, the int64 label of each.

    Raises
    ------
    ValueError
        If ``name`` is not a known dataset, ``data_dir`` is given for the digits or
        missing for MNIST, or ``max_images`` is negative.
    digits_helpers.data.mnist_files.MnistFileError
        If an MNIST file is missing or corrupt (a ``ValueError`` naming the file).
    """
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(map(repr, DATASETS))} (got {name!r})")
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 0:
        raise ValueError(f"max_images must be an integer >= 0 (got {max_images!r})")
    from_files = name in DATASETS_FROM_FILES
    if from_files and not str(data_dir):
        raise ValueError(f"dataset {name!r} is read from files: data_dir must name their folder")
    if not from_files and str(data_dir):
        raise ValueError(f"dataset {name!r} ships with scikit-learn: data_dir must be empty")
    if name == "mnist":
        files = load_mnist(data_dir)
        pixels = np.concatenate([files.train_images, files.test_images])
        labels = np.concatenate([files.train_labels, files.test_labels])
        scale = MNIST_MAX_PIXEL
    else:
        bunch = load_digits()
        pixels, labels = bunch.images, bunch.target
        scale = pixels.max()
    if max_images:
        pixels, labels = pixels[:max_images], labels[:max_images]
    images = pixels.astype(np.float32)
    images /= scale
    return Dataset(name=name, images=images, target=labels.astype(np.int64))


def split_dataset(
    dataset: Dataset, *, test_size: float = 0.2, random_state: int = 42, stratify: bool = False
) -> Split:
    """Split rows into train and test sets (80/20, seed 42, unstratified by default).

    Parameters
    ----------
    dataset : Dataset
        The images and labels to split.
    test_size : float, default=0.2
        Fraction of the rows held out for the test set, strictly between 0 and 1.
    random_state : int, default=42
        Seed of the shuffle that assigns rows to the two sets.
    stratify : bool, default=False
        Keep each class's share equal in the two sets.

    Returns
    -------
    Split
        Flat pixel rows and labels of both sets, the indices of their rows in
        ``dataset``, and the parameters that made them.

    Raises
    ------
    ValueError
        If ``test_size`` is not strictly between 0 and 1.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be strictly between 0 and 1 (got {test_size!r})")
    X_train, X_test, y_train, y_test, train_indices, test_indices = train_test_split(
        dataset.X,
        dataset.target,
        np.arange(len(dataset.target)),
        test_size=test_size,
        random_state=random_state,
        stratify=dataset.target if stratify else None,
    )
    return Split(
        dataset=dataset.name,
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        image_shape=dataset.image_shape,
        test_size=test_size,
        random_state=random_state,
        stratify=stratify,
        train_indices=train_indices,
        test_indices=test_indices,
    )


def load_split(
    dataset: str = "digits",
    *,
    data_dir: str | Path = "",
    max_images: int = 0,
    test_size: float = 0.2,
    random_state: int = 42,
    stratify: bool = False,
) -> Split:
    """The one function every notebook uses to get its data.

    :func:`load_dataset` followed by :func:`split_dataset`: the same parameters give
    the same rows.

    Parameters
    ----------
    dataset : {"digits", "mnist"}, default="digits"
        The dataset's name.
    data_dir : str or pathlib.Path, default=""
        The folder of the MNIST files (empty for the digits).
    max_images : int, default=0
        Keep only the first ``max_images`` digits before splitting; 0 keeps them all.
    test_size : float, default=0.2
        Fraction of the rows held out for the test set, strictly between 0 and 1.
    random_state : int, default=42
        Seed of the shuffle that assigns rows to the two sets.
    stratify : bool, default=False
        Keep each class's share equal in the two sets.

    Returns
    -------
    Split
        The train and test rows of the dataset.

    Raises
    ------
    ValueError
        If ``dataset`` is unknown, its files are missing or corrupt, or ``test_size``
        is out of range.
    """
    return split_dataset(
        load_dataset(dataset, data_dir=data_dir, max_images=max_images),
        test_size=test_size,
        random_state=random_state,
        stratify=stratify,
    )


def class_counts(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """How many rows each class has.

    Parameters
    ----------
    labels : numpy.ndarray
        Non-negative integer labels, shape ``(n_rows,)``.
    n_classes : int
        Minimum length of the result, so that a class absent from ``labels`` counts 0.

    Returns
    -------
    numpy.ndarray
        Count of label ``k`` at index ``k``; ``max(n_classes, labels.max() + 1)``
        entries.
    """
    return np.bincount(labels, minlength=n_classes)


def count_table(split: Split) -> pd.DataFrame:
    """Digits per class in the training and test sets.

    Parameters
    ----------
    split : Split
        The train/test split to count.

    Returns
    -------
    pandas.DataFrame
        One row per class, ``0`` to ``n_classes - 1``; columns ``digit``, ``train``,
        ``test`` and ``total`` (counts of rows).
    """
    train = class_counts(split.y_train, split.n_classes)
    test = class_counts(split.y_test, split.n_classes)
    return pd.DataFrame(
        {"digit": range(split.n_classes), "train": train, "test": test, "total": train + test}
    )
