"""Read handwritten digits from image files with a run's saved model.

One file holds one digit (:func:`read_digit`), or with ``form`` a strip of a form with
several digits side by side (:func:`read_form`). A digit whose most probable class is
less likely than the threshold is flagged (shown as ``?``), never silently guessed. A
file that cannot be read gives a :class:`Reading` with an ``error``; the other files of
the same call are still read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits_helpers.core.registry import READER, SAVED_MODELS, UNSURE_BELOW, Model
from digits_helpers.data import scan, segment
from digits_helpers.models.artifacts import (
    CARD_FILE,
    LoadedModel,
    ModelRefused,
    load_model,
    model_dir,
    read_card,
)

# Below this probability a digit is flagged as unsure.
DEFAULT_THRESHOLD = UNSURE_BELOW
UNSURE = "?"
TOP = 3


@dataclass(frozen=True)
class Digit:
    """One digit read.

    Attributes
    ----------
    digit : int
        The most probable class.
    probability : float
        Its probability.
    top : list of tuple
        The :data:`TOP` most probable ``(digit, probability)``, most probable first.
    unsure : bool
        Whether ``probability`` is below the threshold.
    cut : bool
        Whether it was cut out of touching digits (form strips only).
    """

    digit: int
    probability: float
    top: list
    unsure: bool
    cut: bool = False

    @property
    def shown(self) -> str:
        """The digit, or ``?`` when unsure."""
        return UNSURE if self.unsure else str(self.digit)

    def to_json(self) -> dict:
        """JSON-ready form.

        Returns
        -------
        dict
            ``digit``, ``probability``, ``top`` (pairs), ``unsure`` and ``cut``.
        """
        return {
            "digit": self.digit,
            "probability": round(self.probability, 6),
            "top": [[d, round(p, 6)] for d, p in self.top],
            "unsure": self.unsure,
            "cut": self.cut,
        }


@dataclass
class Reading:
    """What was read from one file, or why it could not be.

    Attributes
    ----------
    path : str
        The file as given.
    digits : list of Digit
        The digits, left to right (one for a single digit); empty on error.
    error : str or None
        Why the file could not be read.
    """

    path: str
    digits: list[Digit] = field(default_factory=list)
    error: str | None = None

    @property
    def text(self) -> str:
        """The digits as a string, ``?`` for an unsure one."""
        return "".join(d.shown for d in self.digits)

    def line(self, form: bool, *, name_only: bool = False) -> str:
        """One line for the terminal.

        Parameters
        ----------
        form : bool
            Whether the file was read as a form strip.
        name_only : bool, default=False
            Name the file without its folder (a page shows no scratch folder's path).

        Returns
        -------
        str
            ``path: 7 (p=0.998; top 3: 7 0.998, 1 0.001, 9 0.000)`` for a digit,
            ``path: 12?45 [1 0.99, 2 0.98, ? 0.52 (7|1), ...]`` for a strip, or
            ``path: error: ...``.
        """
        path = Path(self.path).name if name_only else self.path
        if self.error is not None:
            return f"{path}: error: {self.error}"
        if not form:
            (digit,) = self.digits
            top = ", ".join(f"{d} {p:.3f}" for d, p in digit.top)
            flag = ", unsure" if digit.unsure else ""
            return f"{path}: {digit.shown} (p={digit.probability:.3f}{flag}; top {TOP}: {top})"
        parts = []
        for digit in self.digits:
            alternatives = f" ({digit.top[0][0]}|{digit.top[1][0]})" if digit.unsure else ""
            parts.append(f"{digit.shown} {digit.probability:.2f}{alternatives}")
        return f"{path}: {self.text} [{', '.join(parts)}]"

    def to_json(self, model: Model) -> str:
        """One JSON line.

        Parameters
        ----------
        model : Model
            The model that read it.

        Returns
        -------
        str
            ``{"file", "model", "text", "digits"}`` or ``{"file", "error"}``.
        """
        if self.error is not None:
            return json.dumps({"file": self.path, "error": self.error})
        return json.dumps(
            {
                "file": self.path,
                "model": model.key,
                "text": self.text,
                "digits": [d.to_json() for d in self.digits],
            }
        )


DEFAULT_MODEL = "reader"  # what `digits-book predict` reads with unless --model says


def model_named(name: str, run_dir: Path) -> Model:
    """The registry model that ``name`` designates; ``best`` is the run's best.

    Parameters
    ----------
    name : str
        ``reader`` (the model for reading forms, chapter 7), ``best`` (the study's best
        over the repeated splits), a model key (``cnn``) or a model's name
        (``"RBF SVC"``), any case.
    run_dir : Path
        The run's folder; its ``results.json`` names the best model.

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        Unknown name, or a run that names no best model.
    """
    wanted = name.strip().lower()
    if wanted == "best":
        try:
            best = json.loads((run_dir / "results.json").read_text())["models"]["best"]
        except (OSError, ValueError, KeyError, TypeError):
            best = None
        if best is None:
            raise ValueError(f"run {run_dir.name!r} names no best model in its results.json")
        wanted = best
    for model in SAVED_MODELS:
        if wanted in (model.key, model.name.lower()):
            return model
    accepted = ", ".join(["best", *(m.key for m in SAVED_MODELS)])
    raise ValueError(f"--model must be one of {accepted} (got {name!r})")


def default_model(run_dir: Path) -> str:
    """What ``predict`` reads with unless told: the run's reader, or its best model.

    Parameters
    ----------
    run_dir : Path
        The run's folder (a run made before the reader existed has none).

    Returns
    -------
    str
        ``"reader"`` or ``"best"``.
    """
    return DEFAULT_MODEL if (model_dir(run_dir, READER) / CARD_FILE).is_file() else "best"


def default_threshold(loaded: LoadedModel) -> float:
    """The threshold ``predict`` uses unless told: the model's card's, or :data:`UNSURE_BELOW`.

    Parameters
    ----------
    loaded : LoadedModel
        The model; the reader's card carries the threshold chosen on validation digits.

    Returns
    -------
    float
    """
    return UNSURE_BELOW if loaded.threshold is None else float(loaded.threshold)


def open_model(run_dir: Path, name: str) -> LoadedModel:
    """Load the model ``name`` of a run, checked against its card (see ``load_model``).

    Parameters
    ----------
    run_dir : Path
        The run's folder.
    name : str
        As :func:`model_named` accepts.

    Returns
    -------
    LoadedModel
        Ready to read digits prepared as its dataset's were (8x8 or 28x28).

    Raises
    ------
    ValueError
        An unknown name (see :func:`model_named`).
    digits_helpers.models.artifacts.ModelRefused
        The model's files do not match its card, or it reads other inputs.
    """
    model = model_named(name, run_dir)
    dataset = read_card(run_dir, model)["dataset"]
    try:
        prepared = scan.preparation(dataset)
    except ValueError as exc:
        raise ModelRefused(f"{model.name}: {exc}") from None
    return load_model(run_dir, model, dataset=dataset, image_shape=prepared.image_shape)


def _digits(features: np.ndarray, loaded: LoadedModel, threshold: float) -> list[Digit]:
    probabilities = loaded.probabilities(features)
    digits = []
    for row in probabilities:
        order = np.argsort(-row, kind="stable")[:TOP]
        top = [(int(d), float(row[d])) for d in order]
        digits.append(Digit(top[0][0], top[0][1], top, unsure=top[0][1] < threshold))
    return digits


def file_features(path: Path | str, *, dataset: str = "digits") -> np.ndarray:
    """The digit a file holds, prepared as the training digits were.

    Parameters
    ----------
    path : Path or str
        A PNG, JPEG or TIFF file holding one digit.
    dataset : str, default="digits"
        The dataset the model was trained on: its digits' preparation
        (:func:`digits_helpers.data.scan.preparation`).

    Returns
    -------
    numpy.ndarray
        Shape ``(1, 8, 8)`` for the digits, ``(1, 28, 28)`` for MNIST.

    Raises
    ------
    digits_helpers.data.scan.ScanError
        Not an image, blank, too large, or several digits side by side.
    """
    ink = scan.find_ink(scan.read_grey(path), name=str(path))
    pieces = segment.segment_strip(ink.mask, split_touching=False)
    if len(pieces) > 1:
        raise scan.ScanError(
            f"{path}: {len(pieces)} separate pieces of ink side by side, not one digit: "
            "to read a strip of a form, use --form"
        )
    return scan.preparation(dataset).prepare(ink)[None]


def form_features(path: Path | str, *, dataset: str = "digits") -> tuple[np.ndarray, list[bool]]:
    """The digits of a strip of a form, left to right, prepared as the training digits were.

    Parameters
    ----------
    path : Path or str
        A PNG, JPEG or TIFF file.
    dataset : str, default="digits"
        The dataset the model was trained on (see :func:`file_features`).

    Returns
    -------
    features : numpy.ndarray
        Shape ``(n_digits, 8, 8)`` for the digits, ``(n_digits, 28, 28)`` for MNIST.
    cut : list of bool
        For each digit, whether it was cut out of touching digits.

    Raises
    ------
    digits_helpers.data.scan.ScanError
        Not an image, blank or too large.
    """
    ink = scan.find_ink(scan.read_grey(path), name=str(path))
    pieces = segment.segment_strip(ink.mask)
    prepare = scan.preparation(dataset).prepare
    features = np.stack([prepare(ink.only(_placed(p, ink.mask))) for p in pieces])
    return features, [p.split for p in pieces]


def read_digit(path: Path | str, loaded: LoadedModel, *, threshold: float) -> Reading:
    """Read one handwritten digit from an image file.

    Parameters
    ----------
    path : Path or str
        A PNG, JPEG or TIFF file holding one digit.
    loaded : LoadedModel
        The model that reads it.
    threshold : float
        Probability below which the digit is flagged unsure.

    Returns
    -------
    Reading
        One digit, or an ``error`` (not an image, blank, too large, several digits).
    """
    return read_files([path], loaded, form=False, threshold=threshold)[0]


def read_form(path: Path | str, loaded: LoadedModel, *, threshold: float) -> Reading:
    """Read a strip of a form: several digits side by side, left to right.

    Parameters
    ----------
    path : Path or str
        A PNG, JPEG or TIFF file.
    loaded : LoadedModel
        The model that reads each digit.
    threshold : float
        Probability below which a digit is flagged unsure.

    Returns
    -------
    Reading
        The digits, or an ``error``.
    """
    return read_files([path], loaded, form=True, threshold=threshold)[0]


def _placed(piece: segment.Piece, like: np.ndarray) -> np.ndarray:
    """The piece's mask at its place in a mask shaped like ``like``."""
    full = np.zeros(like.shape, dtype=bool)
    full[piece.top : piece.bottom, piece.left : piece.right] = piece.mask
    return full


def _reason(exc: scan.ScanError, path: Path | str) -> str:
    """The error without the file name it starts with (the reading names the file)."""
    message = str(exc)
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


@dataclass(frozen=True)
class PreparedFiles:
    """Image files made ready for a model, before any model reads them.

    Preparing (:func:`prepare_files`) needs no model, so it can run in worker processes;
    a model then reads the digits of all the files in one call (:func:`read_prepared`).

    Attributes
    ----------
    dataset : str
        Whose preparation the digits had: the dataset of the models that can read them.
    paths : list of str
        The files, in order.
    errors : list of str or None
        For each file, why it could not be read, or None.
    features : numpy.ndarray
        The digits of the readable files, file after file, left to right.
    cuts : list of list of bool
        For each readable file, whether each of its digits was cut out of touching digits.
    """

    dataset: str
    paths: list[str]
    errors: list[str | None]
    features: np.ndarray
    cuts: list[list[bool]]


def prepare_files(paths: Sequence[Path | str], *, dataset: str, form: bool) -> PreparedFiles:
    """Prepare every file's digits as the training digits were; a failure stops no other.

    Parameters
    ----------
    paths : Sequence of Path or str
        The image files.
    dataset : str
        The dataset of the model that will read them (:func:`file_features`).
    form : bool
        Each file is a strip of several digits.

    Returns
    -------
    PreparedFiles
        The digits of the files that could be read, and why the others could not.
    """
    errors, batches, cuts = [], [], []
    for path in paths:
        try:
            features, cut = (
                form_features(path, dataset=dataset)
                if form
                else (file_features(path, dataset=dataset), [False])
            )
        except scan.ScanError as exc:
            errors.append(_reason(exc, path))
            continue
        errors.append(None)
        batches.append(features)
        cuts.append(cut)
    features = (
        np.concatenate(batches)
        if batches
        else np.zeros((0, *scan.preparation(dataset).image_shape), dtype=np.float32)
    )
    return PreparedFiles(dataset, [str(p) for p in paths], errors, features, cuts)


def read_prepared(
    prepared: PreparedFiles, loaded: LoadedModel, *, threshold: float
) -> list[Reading]:
    """What a model reads in files already prepared (:func:`prepare_files`).

    Parameters
    ----------
    prepared : PreparedFiles
        Prepared for the dataset the model was trained on.
    loaded : LoadedModel
        The model.
    threshold : float
        Probability below which a digit is flagged unsure.

    Returns
    -------
    list of Reading
        One per file, in order.

    Raises
    ------
    ValueError
        If the files were prepared for another dataset than the model's.
    """
    if prepared.dataset != loaded.card["dataset"]:
        raise ValueError(
            f"files prepared for the {prepared.dataset!r} models, "
            f"read by a {loaded.card['dataset']!r} model"
        )
    readings = [
        Reading(path, error=error)
        for path, error in zip(prepared.paths, prepared.errors, strict=True)
    ]
    if len(prepared.features):
        digits = iter(_digits(prepared.features, loaded, threshold))
        read = (r for r in readings if r.error is None)
        for reading, cut in zip(read, prepared.cuts, strict=True):
            for was_cut in cut:  # this file's digits, in order
                digit = next(digits)
                reading.digits.append(
                    Digit(digit.digit, digit.probability, digit.top, digit.unsure, cut=was_cut)
                )
    return readings


def read_files(
    paths: Sequence[Path | str], loaded: LoadedModel, *, form: bool, threshold: float
) -> list[Reading]:
    """Read every file; a file that fails does not stop the others.

    Every file is prepared first (:func:`prepare_files`), then the model reads all their
    digits in one call (:func:`read_prepared`).

    Parameters
    ----------
    paths : Sequence of Path or str
        The image files.
    loaded : LoadedModel
        The model.
    form : bool
        Read each file as a strip of several digits.
    threshold : float
        Probability below which a digit is flagged unsure.

    Returns
    -------
    list of Reading
        One per file, in order.
    """
    prepared = prepare_files(paths, dataset=loaded.card["dataset"], form=form)
    return read_prepared(prepared, loaded, threshold=threshold)
