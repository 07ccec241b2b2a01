"""How well a saved model reads digits from image files: the checks of "Reading a form".

Held-out test digits are drawn as scans (:func:`~digits_helpers.data.scan.render_digit`) under
several conditions, written to PNG, JPEG and TIFF files, and read back with
:mod:`digits_helpers.reading.predict`, as ``digits-book predict`` reads them; what the model says
of the file is compared with what it says of the digit in memory. A strip of a form is
composed from test digits and read back with ``form``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from digits_helpers.core.cluster import RunTasks, in_this_process
from digits_helpers.core.formatting import pct
from digits_helpers.core.registry import MODELS
from digits_helpers.data import augment, scan, segment
from digits_helpers.data.digits import Split
from digits_helpers.models.artifacts import LoadedModel, load_model
from digits_helpers.reading import predict


@dataclass(frozen=True)
class Condition:
    """How the test digits are drawn and saved.

    Attributes
    ----------
    size : int
        Width and height in pixels.
    dark_ink : bool
        Dark ink on white paper, or light ink on black.
    blur : float
        Gaussian blur, as a fraction of ``size``.
    noise : float
        Gaussian pixel noise, in grey levels of [0, 1].
    suffix : str
        The file format: ``.png``, ``.jpg`` or ``.tif``.
    """

    size: int
    dark_ink: bool = True
    blur: float = 0.0
    noise: float = 0.0
    suffix: str = ".png"

    @property
    def label(self) -> str:
        """A short description: ``64 px, light on dark, blur 2%, .jpg``."""
        parts = [f"{self.size} px", "dark on light" if self.dark_ink else "light on dark"]
        if self.blur:
            parts.append(f"blur {self.blur:.0%}")
        if self.noise:
            parts.append(f"noise {self.noise:.2f}")
        return ", ".join([*parts, self.suffix])


# Small, medium and large scans; both polarities; a blurred and a noisy one per size;
# every format predict reads.
CONDITIONS: tuple[Condition, ...] = tuple(
    condition
    for size, suffix in ((16, ".png"), (64, ".jpg"), (300, ".tif"))
    for condition in (
        Condition(size, suffix=suffix),
        Condition(size, dark_ink=False, suffix=suffix),
        Condition(size, blur=0.02, suffix=suffix),
        Condition(size, noise=0.1, suffix=suffix),
    )
)


def write_scans(
    images: np.ndarray, folder: Path, condition: Condition, *, seed: int = 0
) -> list[Path]:
    """Draw each digit under ``condition`` and save it as an image file.

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n_images, height, width)``, values in [0, 1].
    folder : Path
        Where the files go (created if missing).
    condition : Condition
        Size, polarity, blur, noise and format.
    seed : int, default=0
        Seed of the noise.

    Returns
    -------
    list of Path
        One file per digit, in order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index, image in enumerate(images):
        grey = scan.render_digit(
            image,
            condition.size,
            dark_ink=condition.dark_ink,
            blur=condition.blur,
            noise=condition.noise,
            rng=rng,
        )
        path = folder / f"digit-{index:04d}{condition.suffix}"
        Image.fromarray(grey).save(path, **({"quality": 90} if condition.suffix == ".jpg" else {}))
        paths.append(path)
    return paths


def in_memory_predictions(loaded: LoadedModel, images: np.ndarray) -> np.ndarray:
    """The class of highest probability for each digit, given to the model directly.

    Parameters
    ----------
    loaded : LoadedModel
        The model.
    images : numpy.ndarray
        Shape ``(n_images, height, width)``.

    Returns
    -------
    numpy.ndarray
        One predicted label per image.
    """
    return loaded.probabilities(images).argmax(axis=1)


def agreement_table(
    loaded: LoadedModel,
    split: Split,
    conditions: Sequence[Condition] = CONDITIONS,
    *,
    seed: int = 0,
    run_tasks: RunTasks | None = None,
) -> pd.DataFrame:
    """Read the test digits back from files under each condition; compare with memory.

    Each condition's files are written and prepared in a task of their own (its noise
    has its own generator, seeded by ``seed``), in a temporary folder removed after; the
    model then reads every condition's digits here.

    Parameters
    ----------
    loaded : LoadedModel
        The model that reads them.
    split : Split
        Its test digits are drawn.
    conditions : Sequence of Condition, default=CONDITIONS
        How the digits are drawn.
    seed : int, default=0
        Seed of the noise.
    run_tasks : callable, optional
        Where the conditions' files are written and prepared
        (:meth:`digits_helpers.core.cluster.Workers.map`); here by default.

    Returns
    -------
    pandas.DataFrame
        One row per condition: ``condition``, ``files``, ``unreadable`` (files that gave
        an error), ``agreement`` (share of files read as the digit in memory is) and
        ``accuracy`` (share read as their true label) and ``unsure`` (share flagged
        below :data:`~digits_helpers.reading.predict.DEFAULT_THRESHOLD`), fractions of ``files``.
    """
    remembered = in_memory_predictions(loaded, split.test_images)
    tasks = [
        (split.test_images, condition, seed, loaded.card["dataset"]) for condition in conditions
    ]
    prepared = (run_tasks or in_this_process)(_written_and_prepared, tasks, label="scan conditions")
    rows = []
    for condition, files in zip(conditions, prepared, strict=True):
        readings = predict.read_prepared(files, loaded, threshold=predict.DEFAULT_THRESHOLD)
        read = np.array([r.digits[0].digit if r.error is None else -1 for r in readings])
        unsure = [r.error is None and r.digits[0].unsure for r in readings]
        rows.append(
            {
                "condition": condition.label,
                "files": len(readings),
                "unreadable": int((read < 0).sum()),
                "agreement": float((read == remembered).mean()),
                "accuracy": float((read == split.y_test).mean()),
                "unsure": float(np.mean(unsure)),
            }
        )
    return pd.DataFrame(rows)


def _written_and_prepared(task: tuple) -> predict.PreparedFiles:
    """One condition's digits written to files and prepared (a task of :func:`agreement_table`)."""
    images, condition, seed, dataset = task
    with tempfile.TemporaryDirectory(prefix="digits-book-scans-") as folder:
        paths = write_scans(images, Path(folder), condition, seed=seed)
        return predict.prepare_files(paths, dataset=dataset, form=False)


@dataclass(frozen=True)
class Strip:
    """A synthetic strip of a form and what it says.

    Attributes
    ----------
    grey : numpy.ndarray
        The strip's grey levels, uint8, dark ink on white.
    truth : str
        Its digits, left to right.
    gaps : list of int
        Pixels between neighbours; negative where two touch.
    """

    grey: np.ndarray
    truth: str
    gaps: list


def compose_form(
    images: np.ndarray, labels: np.ndarray, gaps: Sequence[int], *, digit_size: int = 48
) -> Strip:
    """Draw test digits side by side as a strip of a form.

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n_digits, height, width)``.
    labels : numpy.ndarray
        Their labels.
    gaps : Sequence of int
        ``n_digits - 1`` gaps in pixels; a negative gap makes neighbours touch.
    digit_size : int, default=48
        Height of each digit in pixels.

    Returns
    -------
    Strip
        The strip and its true text.
    """
    digits = []
    for image in images:
        drawn = 1 - scan.render_digit(image, digit_size, margin=0.0) / 255.0
        columns = np.flatnonzero(drawn.max(axis=0) > 0.05)
        digits.append(drawn[:, columns[0] : columns[-1] + 1])
    ink = segment.compose_strip(digits, list(gaps), margin=digit_size // 4)
    grey = np.round((1 - ink) * 255).astype(np.uint8)
    return Strip(grey=grey, truth="".join(str(int(label)) for label in labels), gaps=list(gaps))


def variant_accuracy_table(run_dir: Path | str, split: Split, *, seed: int) -> pd.DataFrame:
    """Each saved model's accuracy on the test digits, as scans, and varied as other hands.

    Parameters
    ----------
    run_dir : Path or str
        The run whose models are read.
    split : Split
        The common split; only its test digits are used.
    seed : int
        Seed of the variants (one per test digit,
        :func:`~digits_helpers.data.augment.scan_variants`).

    Returns
    -------
    pandas.DataFrame
        One row per saved model (registry order): ``model``, ``digits`` (the test
        digits as they are), ``rescanned`` (centred by bounding box, as a scan is) and
        ``varied`` (slanted, rotated, stretched, thicker or thinner), accuracies.
    """
    rescanned = augment.rescanned(split.test_images)
    varied = augment.scan_variants(split.test_images, 1, rng=np.random.default_rng(seed))
    rows = []
    for model in MODELS:
        loaded = load_model(run_dir, model, dataset=split.dataset, image_shape=split.image_shape)
        row = {"model": model.name}
        for column, images in (
            ("digits", split.test_images),
            ("rescanned", rescanned),
            ("varied", varied),
        ):
            row[column] = float((in_memory_predictions(loaded, images) == split.y_test).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def gallery(
    image: np.ndarray,
    conditions: Sequence[Condition] = CONDITIONS,
    *,
    size: int = 64,
    seed: int = 0,
) -> np.ndarray:
    """One digit drawn under each condition, resized to ``size`` pixels for display.

    Parameters
    ----------
    image : numpy.ndarray
        Shape ``(height, width)``, values in [0, 1] (8x8 or 28x28).
    conditions : Sequence of Condition, default=CONDITIONS
        How it is drawn.
    size : int, default=64
        Side of each displayed image.
    seed : int, default=0
        Seed of the noise.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(conditions), size, size)``, darkness in [0, 1] (1 = black), as
        :func:`~digits_helpers.study.plots.sample_digits` shows it.
    """
    rng = np.random.default_rng(seed)
    shown = []
    for condition in conditions:
        grey = scan.render_digit(
            image,
            condition.size,
            dark_ink=condition.dark_ink,
            blur=condition.blur,
            noise=condition.noise,
            rng=rng,
        )
        resized = Image.fromarray(grey).resize((size, size), Image.Resampling.BILINEAR)
        shown.append(1 - np.asarray(resized, dtype=np.float32) / 255)
    return np.stack(shown)


def least_certain(loaded: LoadedModel, images: np.ndarray) -> int:
    """The image the model is least sure of: the lowest top probability.

    Parameters
    ----------
    loaded : LoadedModel
        The model.
    images : numpy.ndarray
        Shape ``(n_images, height, width)``.

    Returns
    -------
    int
        Its index.
    """
    return int(loaded.probabilities(images).max(axis=1).argmin())


def format_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`agreement_table` for the book: percentages with two decimals.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`agreement_table`'s result.

    Returns
    -------
    pandas.DataFrame
        Indexed by condition; ``files`` and ``unreadable`` as counts, the shares as
        ``98.61%``.
    """
    return _percentages(table, "condition", ("agreement", "accuracy", "unsure"))


def format_variants(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`variant_accuracy_table` for the book: percentages with two decimals.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`variant_accuracy_table`'s result.

    Returns
    -------
    pandas.DataFrame
        Indexed by model, accuracies as ``98.61%``.
    """
    return _percentages(table, "model", ("digits", "rescanned", "varied"))


def _percentages(table: pd.DataFrame, index: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """``table`` indexed by ``index``, its ``columns`` (fractions) written as ``98.61%``."""
    shown = table.set_index(index)
    return shown.assign(**{column: shown[column].map(pct) for column in columns})


def form_table(form: predict.Reading) -> pd.DataFrame:
    """The digits read from a strip, one row each.

    Parameters
    ----------
    form : predict.Reading
        :func:`~digits_helpers.reading.predict.read_form`'s result, without error.

    Returns
    -------
    pandas.DataFrame
        Indexed by position (1, 2, ...): ``read`` (the digit, or ``?``), ``probability``
        (as ``98.61%``), ``second choice`` and ``cut`` (``yes`` when it was cut out of
        touching digits).
    """
    rows = [
        {
            "position": position,
            "read": digit.shown,
            "probability": pct(digit.probability),
            "second choice": digit.top[1][0],
            "cut": "yes" if digit.cut else "",
        }
        for position, digit in enumerate(form.digits, start=1)
    ]
    return pd.DataFrame(rows).set_index("position")


def describe_unsure(single: predict.Reading, threshold: float) -> str:
    """One sentence on how a single digit was read and whether it was flagged.

    Parameters
    ----------
    single : predict.Reading
        :func:`~digits_helpers.reading.predict.read_digit`'s result, without error.
    threshold : float
        The probability below which a digit is flagged.

    Returns
    -------
    str
        Markdown.
    """
    (digit,) = single.digits
    (first, p_first), (second, p_second) = digit.top[:2]
    if digit.unsure:
        return (
            f"The model gives it {pct(p_first)} for a {first} and {pct(p_second)} for a "
            f"{second}: below the {pct(threshold)} threshold, so `predict` prints `?` with "
            f"its best guesses instead of a digit, and a person looks at the form."
        )
    return (
        f"The model gives it {pct(p_first)} for a {first}, above the {pct(threshold)} "
        f"threshold, so even this digit is read as a {first}; the second choice, a {second}, "
        f"gets {pct(p_second)}."
    )


def describe_variants(table: pd.DataFrame, best: str) -> str:
    """What the variant table says, in one paragraph of Markdown, from its numbers.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`variant_accuracy_table`'s result.
    best : str
        The name of the model ``predict`` uses by default.

    Returns
    -------
    str
        Markdown: the best model's loss from the digits to their variants, the other
        models' range of losses, and which model reads the variants best.
    """
    rows = table.set_index("model")
    loss = (rows["digits"] - rows["varied"]) * 100
    others = loss.drop(best)
    leader = rows["varied"].idxmax()
    text = (
        f"On the varied digits the {best} reads {pct(rows.loc[best, 'varied'])}, "
        f"{loss[best]:.1f} points below the digits as they are"
    )
    if len(others):
        text += f"; the other models lose between {others.min():.1f} and {others.max():.1f} points"
    text += "."
    if leader == best:
        return text + f" The {best}, the model `predict` uses by default, reads them best."
    return text + (
        f" The {leader} reads them best ({pct(rows.loc[leader, 'varied'])}): for forms "
        f"written very differently from these digits it may be the better choice "
        f"(`--model {leader}`)."
    )
