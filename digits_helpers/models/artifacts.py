"""A run's trained models as files, each with a model card, and loading them back safely.

Every model a run trains is saved in ``<run>/models/<key>/``: scikit-learn models as
``model.skops`` (skops refuses to create any type it was not told to trust, unlike a
pickle), Keras models as ``model.keras`` (loaded with ``safe_mode=True``, which refuses
code in a file). Beside each, ``model.json`` is its card: what it was trained on, how its
input is prepared, its parameters, its accuracy, the package versions that made it and the
SHA-256 of the model file. :func:`load_model` checks the file's hash, the dataset and the
input shape against the card, and the card against what the caller needs, before the
file is deserialised; then it checks the model's own input shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from digits_helpers.core import files
from digits_helpers.core.files import write_json
from digits_helpers.core.machine import package_versions
from digits_helpers.core.registry import MODELS, READER, Model

if TYPE_CHECKING:  # the command line imports this module: scikit-learn and SciPy stay out
    from digits_helpers.data.digits import Split

MODELS_DIR = "models"
CARD_FILE = "model.json"
# How each kind of model reads a digit: flat rows of pixels, or images with one channel.
# Types skops does not trust by default that the saved models hold: scikit-learn's own
# helpers of the calibrated SVC. Nothing else is created from a file.
TRUSTED_TYPES = (
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)
INPUT_ROWS = "rows"
INPUT_IMAGES = "images"


class ModelRefused(ValueError):
    """A model file or card that does not match; the message names the file and what differs."""


@dataclass(frozen=True)
class LoadedModel:
    """A model loaded from a run, with its card.

    Attributes
    ----------
    model : Model
        Its entry in the registry.
    card : dict
        Its ``model.json``.
    estimator : object
        The scikit-learn estimator or the Keras model.
    """

    model: Model
    card: dict
    estimator: Any

    @property
    def image_shape(self) -> tuple[int, int]:
        """Height and width of the images the model reads."""
        return tuple(self.card["image_shape"])

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """The probability of each class for each image.

        Parameters
        ----------
        images : numpy.ndarray
            Shape ``(n_images, height, width)``, prepared as the card says.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_images, n_classes)``; each row sums to 1.
        """
        images = np.asarray(images, dtype=np.float32)
        if images.shape[1:] != self.image_shape:
            raise ValueError(f"images must be {self.image_shape} (got {images.shape[1:]})")
        if self.card["input"] == INPUT_IMAGES:
            raw = np.asarray(self.estimator(images[..., None], training=False))
        elif self.card["format"] == "keras":
            raw = np.asarray(self.estimator(images.reshape(len(images), -1), training=False))
        else:
            raw = np.asarray(self.estimator.predict_proba(images.reshape(len(images), -1)))
        temperature = self.card.get("temperature")
        return raw if temperature is None else scaled_by_temperature(raw, temperature)

    @property
    def threshold(self) -> float | None:
        """The probability below which its card says to answer ``?`` (the reader's), or None."""
        return self.card.get("threshold")


def model_dir(run_dir: Path | str, model: Model) -> Path:
    """The folder of ``model``'s files in a run.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    model : Model
        A model of the registry.

    Returns
    -------
    Path
        ``<run_dir>/models/<model.key>``.
    """
    return Path(run_dir) / MODELS_DIR / model.key


def _plain_estimator(estimator: Any) -> Any:
    """The estimator as the scikit-learn class it extends, without training state.

    The study trains ``MLPClassifier`` through a subclass with a leaner loop
    (:class:`~digits_helpers.models.search.QuietMLPClassifier`); the fitted network is the same,
    and saving it as scikit-learn's own class keeps the file loadable with only trusted
    scikit-learn types. Adam's moments are only needed to continue training.
    """
    from sklearn.neural_network import MLPClassifier

    if isinstance(estimator, MLPClassifier) and type(estimator) is not MLPClassifier:
        plain = MLPClassifier(**estimator.get_params())
        plain.__dict__.update(estimator.__dict__)
        estimator = plain
    if isinstance(estimator, MLPClassifier):
        estimator.__dict__.pop("_optimizer", None)
    return estimator


def save_model(
    run_dir: Path | str,
    model: Model,
    estimator: Any,
    *,
    split: Split,
    parameters: Mapping[str, Any],
) -> None:
    """Save a trained model and its card into ``<run_dir>/models/<key>/``.

    The model file is written first, under a temporary name, and renamed into place;
    the card, written last, records its SHA-256. An interrupted save leaves no card,
    and :func:`load_model` refuses a model without one.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    model : Model
        The registry's entry for it.
    estimator : object
        A fitted scikit-learn classifier with ``predict_proba``, or a Keras model whose
        output is a softmax.
    split : Split
        The split it was trained on; the card records its identity, and the saved
        model's own accuracy on its test rows (the class of highest probability).
    parameters : Mapping
        Its settings and choices (JSON-ready), as the chapter reports them.

    Nothing is returned, so that a notebook's last line ``save_model(...)`` shows
    nothing in the book.
    """
    folder, stored = _write_model_file(run_dir, model, estimator)
    card = {
        **stored,
        "dataset": split.dataset,
        "split": split.identity(),
        "image_shape": [int(s) for s in split.image_shape],
        "n_classes": int(split.n_classes),
        # How a scan is prepared for it: as its dataset's digits were made.
        "preprocessing": _preparation(split.dataset).description,
        "parameters": dict(parameters),
        "test_accuracy": None,
        "repeated_split": None,
        "versions": package_versions(),
    }
    saved = LoadedModel(model=model, card=card, estimator=estimator)
    predicted = saved.probabilities(split.test_images).argmax(axis=1)
    card["test_accuracy"] = float((predicted == split.y_test).mean())
    write_json(folder / CARD_FILE, card)


def save_reader(
    run_dir: Path | str,
    estimator: Any,
    *,
    dataset: str,
    trained_on: Mapping[str, Any],
    temperature: float,
    threshold: float,
    parameters: Mapping[str, Any],
    held_out: tuple[np.ndarray, np.ndarray],
) -> None:
    """Save the reader (chapter 7) and its card into ``<run_dir>/models/reader/``.

    As :func:`save_model`, with what makes the reader's card different: it was not trained
    on the study's split, and it carries the ``temperature`` applied to its probabilities
    and the ``threshold`` below which ``predict`` answers ``?``.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    estimator : keras.Sequential
        The trained network (softmax output, before the temperature).
    dataset : str
        Whose preparation it reads (``"digits"``: scans prepared as the 8x8 digits).
    trained_on : Mapping
        What it learned from (counts and sources), as the chapter reports it.
    temperature, threshold : float
        Chosen on validation digits.
    parameters : Mapping
        Its settings.
    held_out : tuple of numpy.ndarray
        Prepared held-out digits and their labels: the card records its accuracy on them.
    """
    folder, stored = _write_model_file(run_dir, READER, estimator)
    images, labels = held_out
    prepared = _preparation(dataset)
    card = {
        **stored,
        "dataset": dataset,
        "trained_on": dict(trained_on),
        "image_shape": [int(s) for s in prepared.image_shape],
        "n_classes": 10,
        "preprocessing": prepared.description,
        "temperature": float(temperature),
        "threshold": float(threshold),
        "parameters": dict(parameters),
        "test_accuracy": None,
        "versions": package_versions(),
    }
    saved = LoadedModel(model=READER, card=card, estimator=estimator)
    predicted = saved.probabilities(images).argmax(axis=1)
    card["test_accuracy"] = float((predicted == labels).mean())
    write_json(folder / CARD_FILE, card)


def _write_model_file(run_dir: Path | str, model: Model, estimator: Any) -> tuple[Path, dict]:
    """Write the model file atomically; its folder, and the card's fields about the file."""
    folder = model_dir(run_dir, model)
    folder.mkdir(parents=True, exist_ok=True)
    keras_model = hasattr(estimator, "save") and hasattr(estimator, "input_shape")
    if keras_model:
        filename, fmt = "model.keras", "keras"
        kind = INPUT_IMAGES if len(estimator.input_shape) == 4 else INPUT_ROWS
    else:
        filename, fmt, kind = "model.skops", "skops", INPUT_ROWS
    path = folder / filename
    # The writers want their extension on the file they write: ".keras" or ".skops".
    with files.replacing(path, suffix=path.suffix) as temporary:
        if keras_model:
            estimator.save(str(temporary))
        else:
            import skops.io

            skops.io.dump(_plain_estimator(estimator), str(temporary))
    stored = {
        "model": model.name,
        "key": model.key,
        "file": filename,
        "format": fmt,
        "sha256": files.sha256(path),
        "input": kind,
    }
    return folder, stored


def read_card(run_dir: Path | str, model: Model) -> dict:
    """The card of ``model`` in a run.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    model : Model
        A model of the registry.

    Returns
    -------
    dict
        Its ``model.json``.

    Raises
    ------
    ModelRefused
        The card is missing or is not a card of that model.
    """
    path = model_dir(run_dir, model) / CARD_FILE
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelRefused(f"{path}: no model card (the run saved no {model.name})") from None
    except (OSError, ValueError) as exc:
        raise ModelRefused(f"{path}: unreadable model card ({exc})") from None
    needed = ("key", "file", "format", "sha256", "dataset", "image_shape", "input", "n_classes")
    missing = [key for key in needed if key not in card]
    if missing or card["key"] != model.key:
        what = f"lacks {', '.join(missing)}" if missing else f"is the card of {card['key']!r}"
        raise ModelRefused(f"{path}: not a card of {model.name}: it {what}")
    return card


def scaled_by_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax probabilities as they would be with the logits divided by ``temperature``.

    Parameters
    ----------
    probabilities : numpy.ndarray
        Shape ``(n, n_classes)``, rows summing to 1.
    temperature : float
        > 0; above 1 flattens the probabilities, below 1 sharpens them.

    Returns
    -------
    numpy.ndarray
        The same shape: ``p ** (1 / T)``, each row normalised.
    """
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / float(temperature)
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def load_model(
    run_dir: Path | str,
    model: Model,
    *,
    dataset: str = "digits",
    image_shape: tuple[int, int] = (8, 8),
) -> LoadedModel:
    """Load a run's model after checking its file against its card and the caller's needs.

    In order: the card names the expected ``dataset`` and ``image_shape``; the model
    file's SHA-256 is the card's; only then is the file deserialised (skops with no type
    beyond scikit-learn's trusted ones, Keras with ``safe_mode=True``), and the model's
    own input shape is checked against the card's. skops creates only scikit-learn's
    trusted types and :data:`TRUSTED_TYPES`.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    model : Model
        Which model of the registry.
    dataset : str, default="digits"
        The dataset the caller's inputs are prepared for.
    image_shape : tuple of int, default=(8, 8)
        The height and width of the caller's images.

    Returns
    -------
    LoadedModel
        The model and its card.

    Raises
    ------
    ModelRefused
        The card or the file is missing, the file's hash differs from the card's, the
        model was trained on another dataset or reads other shapes, or the file cannot
        be loaded safely. The message names the file and what differs.
    """
    card = read_card(run_dir, model)
    folder = model_dir(run_dir, model)
    path = folder / card["file"]
    if card["dataset"] != dataset:
        raise ModelRefused(
            f"{folder / CARD_FILE}: trained on dataset {card['dataset']!r}, "
            f"but the input is prepared as {dataset!r}"
        )
    if tuple(card["image_shape"]) != tuple(image_shape):
        raise ModelRefused(
            f"{folder / CARD_FILE}: reads {_shape(card['image_shape'])} images, "
            f"but the input is prepared as {_shape(image_shape)}"
        )
    if not path.is_file():
        raise ModelRefused(f"{path}: missing (its card is {folder / CARD_FILE})")
    actual = files.sha256(path)
    if actual != card["sha256"]:
        raise ModelRefused(
            f"{path}: SHA-256 {actual[:12]}... differs from its card's "
            f"{card['sha256'][:12]}...: the file was changed after the run saved it"
        )
    estimator = _deserialise(path, card["format"])
    expected = _expected_input(card)
    found = _input_shape(estimator)
    if found != expected:
        raise ModelRefused(f"{path}: the model reads inputs of shape {found}, its card {expected}")
    return LoadedModel(model=model, card=card, estimator=estimator)


def _shape(shape) -> str:
    return "x".join(str(int(s)) for s in shape)


def _expected_input(card: Mapping) -> tuple[int, ...]:
    height, width = card["image_shape"]
    return (height, width, 1) if card["input"] == INPUT_IMAGES else (height * width,)


def _input_shape(estimator: Any) -> tuple[int, ...]:
    if hasattr(estimator, "input_shape"):
        return tuple(int(s) for s in estimator.input_shape[1:])
    return (int(getattr(estimator, "n_features_in_", -1)),)


def _deserialise(path: Path, fmt: str) -> Any:
    try:
        if fmt == "keras":
            from digits_helpers.models.tf_runtime import keras

            return keras.models.load_model(path, safe_mode=True, compile=False)
        if fmt == "skops":
            import skops.io

            return skops.io.load(path, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # an untrusted type, a damaged archive...
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelRefused(f"{path}: cannot be loaded safely: {message}") from None
    raise ModelRefused(f"{path}: unknown model format {fmt!r}")


def record_repeated_splits(run_dir: Path | str, spread: Mapping[str, Mapping]) -> None:
    """Write each model's repeated-split accuracy into its card (``repeated_split``).

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    spread : Mapping
        Model name -> ``mean``, ``std``, ``min``, ``max`` (the comparison stage's).
    """
    for model in MODELS:
        path = model_dir(run_dir, model) / CARD_FILE
        if path.exists() and model.name in spread:
            card = json.loads(path.read_text())
            card["repeated_split"] = dict(spread[model.name])
            write_json(path, card)


def best_model(spread: Mapping[str, Mapping]) -> Model:
    """The model with the highest mean accuracy over the repeated splits.

    Parameters
    ----------
    spread : Mapping
        Model name -> at least ``mean`` (the comparison stage's ``spread``).

    Returns
    -------
    Model
        The first in registry order among those with the highest mean.

    Raises
    ------
    ValueError
        If ``spread`` names no model of the registry.
    """
    candidates = [m for m in MODELS if m.name in spread]
    if not candidates:
        raise ValueError("the comparison scored no model of the registry")
    return max(candidates, key=lambda m: spread[m.name]["mean"])


def models_section(run_dir: Path | str, spread: Mapping[str, Mapping]) -> dict:
    """The ``models`` section of ``results.json``: every saved model, and the best.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    spread : Mapping
        Model name -> repeated-split ``mean`` etc.; may be empty.

    Returns
    -------
    dict
        ``saved``: model key -> ``name``, ``path`` (relative to the run), ``sha256``,
        ``test_accuracy``, ``repeated_mean``, for the study's models; ``best``: the key
        of :func:`best_model` among them, or None; ``reader``: the reader's ``path``,
        ``sha256``, ``test_accuracy`` (on the held-out real digits), ``temperature`` and
        ``threshold``, or None when the run has no reader.

    Raises
    ------
    ModelRefused
        A card that is not a card of its model.
    """
    saved = {}
    for model in MODELS:
        if not (model_dir(run_dir, model) / CARD_FILE).exists():
            continue
        card = read_card(run_dir, model)
        saved[model.key] = {
            "name": model.name,
            "path": f"{MODELS_DIR}/{model.key}/{card['file']}",
            "sha256": card["sha256"],
            "test_accuracy": card["test_accuracy"],
            "repeated_mean": spread.get(model.name, {}).get("mean"),
        }
    names = {entry["name"] for entry in saved.values()}
    scored = {name: stats for name, stats in spread.items() if name in names}
    reader = None
    if (model_dir(run_dir, READER) / CARD_FILE).exists():
        card = read_card(run_dir, READER)
        reader = {
            "path": f"{MODELS_DIR}/{READER.key}/{card['file']}",
            "sha256": card["sha256"],
            "test_accuracy": card["test_accuracy"],
            "temperature": card["temperature"],
            "threshold": card["threshold"],
        }
    return {
        "saved": saved,
        "best": best_model(scored).key if scored else None,
        "reader": reader,
    }


def _preparation(dataset: str):
    """:func:`digits_helpers.data.scan.preparation`, imported when a model is saved or loaded."""
    from digits_helpers.data.scan import preparation

    return preparation(dataset)
