"""A run's machine-readable results: one typed record per stage, merged at the end.

Each notebook builds its stage's record (:class:`PreprocessingResult`,
:class:`SklearnResult`, :class:`KerasResult`, :class:`BeyondResult`,
:class:`ComparisonResult`) and saves it into its ``run_dir``; the comparison notebook
loads the others back (:func:`load_stages`); the pipeline merges the stage files into
``results.json`` (:func:`assemble`), whose sections keep the records' field names.
Files are written atomically, so an interrupted run never leaves a half-written result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from digits_helpers.core import files, registry
from digits_helpers.core.machine import described, machine, package_versions
from digits_helpers.core.registry import (
    CNN,
    KERAS_MLP,
    MODELS,
    SHIFTED_MLP,
    SKLEARN_MLP,
    STAGE_KEYS,
    SVC,
    Model,
    stage,
)
from digits_helpers.core.values import jsonable

RESULTS_FILE = "results.json"


def stage_path(run_dir: Path | str, key: str) -> Path:
    """Where a stage's results live inside a run directory.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    key : str
        A stage name of :data:`~digits_helpers.core.registry.STAGE_KEYS`.

    Returns
    -------
    Path
        ``<run_dir>/<key>.json``.

    Raises
    ------
    ValueError
        If ``key`` names no stage.
    """
    return Path(run_dir) / f"{stage(key).key}.json"


def save_stage(run_dir: Path | str, key: str, payload: Mapping[str, Any]) -> None:
    """Save one stage's results (atomically) into ``run_dir``.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder, created if missing.
    key : str
        The stage's name.
    payload : Mapping
        The stage's results, JSON-ready (or NumPy values).
    """
    files.write_json(stage_path(run_dir, key), payload)


def load_stage(run_dir: Path | str, key: str) -> dict:
    """Read one stage's results; say which notebook to run when they are missing.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder.
    key : str
        The stage's name.

    Returns
    -------
    dict
        The stage file's content.

    Raises
    ------
    FileNotFoundError
        If the stage has not saved its results in ``run_dir``, naming its notebook.
    """
    path = stage_path(run_dir, key)
    if not path.exists():
        raise FileNotFoundError(
            f"no {key} results in {Path(run_dir).resolve()}: execute notebook "
            f"{stage(key).notebook} with the same run_dir first (or use `digits-book run`)"
        )
    return json.loads(path.read_text())


@dataclass
class StageResult:
    """What one stage found; its fields are the keys of its section of ``results.json``."""

    stage: ClassVar[str]

    def to_json(self) -> dict:
        """The record as plain JSON values (arrays as lists).

        Returns
        -------
        dict
            Field name -> value.
        """
        return jsonable({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]):
        """The record from its JSON form.

        Parameters
        ----------
        data : Mapping
            A stage file's or a ``results.json`` section's content.

        Returns
        -------
        StageResult
            An instance of the class it is called on; extra keys are ignored.

        Raises
        ------
        ValueError
            If a field is missing, naming the stage and the fields.
        """
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"the {cls.stage} results lack {', '.join(missing)}")
        return cls(**{name: data[name] for name in names})

    def save(self, run_dir: Path | str) -> None:
        """Write the record to ``<run_dir>/<stage>.json``, atomically.

        Parameters
        ----------
        run_dir : Path or str
            The run's folder, created if missing.
        """
        save_stage(run_dir, self.stage, self.to_json())

    @classmethod
    def load(cls, run_dir: Path | str):
        """Read the record a notebook saved in ``run_dir``.

        Parameters
        ----------
        run_dir : Path or str
            The run's folder.

        Returns
        -------
        StageResult
            An instance of the class it is called on.

        Raises
        ------
        FileNotFoundError
            If the stage's file is missing.
        ValueError
            If the file lacks one of the record's fields.
        """
        return cls.from_json(load_stage(run_dir, cls.stage))

    def glued(self) -> dict[str, Any]:
        """The numbers of this stage that the book's prose cites, by glue name.

        Returns
        -------
        dict of str to Any
            Glue name -> value, read from the record's fields; empty by default.
        """
        return {}

    def glue(self, **more: Any) -> None:
        """Glue :meth:`glued` and ``more`` for the book's pages, displaying nothing.

        Parameters
        ----------
        **more : Any
            Values the stage's record does not hold (a parameter such as a target, or a
            sentence of :mod:`~digits_helpers.study.narrative`), by glue name.
        """
        from myst_nb import glue

        for name, value in {**self.glued(), **more}.items():
            glue(name, value, display=False)

    def predictions(self) -> dict[str, np.ndarray]:
        """Each model this stage chose: its predictions on the common test split.

        Returns
        -------
        dict of str to numpy.ndarray
            Model name -> predicted label of each test row; empty for a stage that
            chooses no model.
        """
        return {}

    def costs(self) -> dict[str, float]:
        """Each model this stage chose: the wall seconds of choosing and training it.

        Returns
        -------
        dict of str to float
            Model name -> wall-clock seconds; empty for a stage that chooses no model.
        """
        return {}


@dataclass
class PreprocessingResult(StageResult):
    """The dataset and its split (chapter 1).

    Attributes
    ----------
    dataset : dict
        The split's sizes, as :meth:`~digits_helpers.data.digits.Split.summary`: ``name``,
        ``n_samples``, ``n_features``, ``n_train``, ``n_test``, ``n_classes``,
        ``image_shape`` and ``split_digest``.
    class_counts : dict
        :func:`~digits_helpers.data.digits.count_table` by column: ``digit``, ``train``,
        ``test`` and ``total``, each a list with one entry per class.
    """

    stage: ClassVar[str] = "preprocessing"
    dataset: dict
    class_counts: dict

    def glued(self) -> dict[str, Any]:
        sizes = ("n_samples", "n_features", "n_train", "n_test", "n_classes")
        return {key: self.dataset[key] for key in sizes}


@dataclass
class _OneModelResult(StageResult):
    """A stage that chooses one model: its ``test_predictions`` and a field of seconds."""

    model: ClassVar[Model]
    seconds_field: ClassVar[str]

    def predictions(self) -> dict[str, np.ndarray]:
        return {self.model.name: np.asarray(self.test_predictions)}

    def costs(self) -> dict[str, float]:
        return {self.model.name: float(getattr(self, self.seconds_field))}


@dataclass
class SklearnResult(_OneModelResult):
    """The scikit-learn search and its refitted best model (chapter 2).

    Attributes
    ----------
    strategy : str
        The search strategy, one of :data:`~digits_helpers.core.registry.SEARCH_STRATEGIES`.
    best_params : dict
        The best candidate's ``MLPClassifier`` arguments (layer sizes as lists).
    best_cv_score : float
        Its mean cross-validated accuracy, a fraction in [0, 1].
    search_seconds : float
        Wall-clock seconds of the whole search, the refit of the best included.
    n_candidates : int
        Distinct candidates evaluated.
    n_fits : int
        Cross-validation fits, the refit not counted.
    ignored_params : dict
        Grid arguments the solver ignores, left out of the search, with their values.
    best_n_iter : int
        Epochs the refitted best model trained.
    grid_size : int
        Combinations in the full grid, ignored arguments included.
    split : dict
        The identity of the train/test split used (its parameters and the digests of its
        rows and labels), as :meth:`~digits_helpers.data.digits.Split.identity`.
    max_iter : int
        The cap on epochs of every fit.
    test_accuracy : float
        The refitted best model's accuracy on the test rows, a fraction.
    test_predictions : list of int
        Its predicted label of each test row.
    loss_curve : list of float
        Its training loss per epoch: the mean of the epoch's mini-batch losses
        (cross-entropy plus L2 penalty).
    """

    stage: ClassVar[str] = "sklearn"
    model: ClassVar[Model] = SKLEARN_MLP
    seconds_field: ClassVar[str] = "search_seconds"
    strategy: str
    best_params: dict
    best_cv_score: float
    search_seconds: float
    n_candidates: int
    n_fits: int
    ignored_params: dict
    best_n_iter: int
    grid_size: int
    split: dict
    max_iter: int
    test_accuracy: float
    test_predictions: list
    loss_curve: list

    def glued(self) -> dict[str, Any]:
        return {
            "sklearn_best_cv": self.best_cv_score,
            "sklearn_test_accuracy": self.test_accuracy,
            "sklearn_search_seconds": self.search_seconds,
            "sklearn_n_candidates": self.n_candidates,
            "sklearn_n_fits": self.n_fits,
            "sklearn_grid_size": self.grid_size,
        }


@dataclass
class KerasResult(_OneModelResult):
    """The Keras sweep and the configuration chosen on validation (chapter 3).

    Attributes
    ----------
    hidden_units : list of int
        Sizes of the MLP's hidden layers.
    split : dict
        The identity of the train/test split used (its parameters and the digests of its
        rows and labels), as :meth:`~digits_helpers.data.digits.Split.identity`.
    runs : list of dict
        One per configuration, in order
        (:meth:`~digits_helpers.models.keras_sweep.KerasSweep.summaries` with history):
        ``config``, ``test_accuracy``, ``test_loss``,
        ``train_seconds``, ``final_val_accuracy`` and per-epoch ``history``.
    best : dict
        The configuration chosen on validation: ``index`` (0-based), ``model``
        (1-based, as the book numbers it) and ``test_accuracy``.
    train_seconds : float
        Wall-clock seconds of training every configuration.
    test_predictions : list of int
        The chosen configuration's predicted label of each test row.
    """

    stage: ClassVar[str] = "keras"
    model: ClassVar[Model] = KERAS_MLP
    seconds_field: ClassVar[str] = "train_seconds"
    hidden_units: list
    split: dict
    runs: list
    best: dict
    train_seconds: float
    test_predictions: list

    @property
    def best_config(self) -> dict:
        """The chosen configuration's settings."""
        return self.runs[self.best["index"]]["config"]

    def glued(self) -> dict[str, Any]:
        accuracies = [run["test_accuracy"] for run in self.runs]
        return {
            "keras_best_model": self.best["model"],
            "keras_best_test_accuracy": self.best["test_accuracy"],
            "keras_min_test_accuracy": min(accuracies),
            "keras_max_test_accuracy": max(accuracies),
            "keras_train_seconds": self.train_seconds,
            "keras_n_models": len(self.runs),
        }


@dataclass
class BeyondResult(StageResult):
    """The models beyond the MLP: one summary each, in registry order (chapter 4).

    Attributes
    ----------
    models : list of dict
        One :meth:`~digits_helpers.models.beyond.BeyondRun.summary` per model: ``name``,
        ``test_accuracy`` (a fraction), ``train_seconds`` (wall-clock) and
        ``details`` (the trainer's settings and choices).
    split : dict
        The identity of the train/test split used (its parameters and the digests of its
        rows and labels), as :meth:`~digits_helpers.data.digits.Split.identity`.
    test_predictions : dict
        Model name -> predicted label of each test row.
    """

    stage: ClassVar[str] = "beyond"
    models: list
    split: dict
    test_predictions: dict

    def model(self, name: str) -> dict:
        """The summary of the model called ``name``.

        Parameters
        ----------
        name : str
            A model's name, such as ``"CNN"``.

        Returns
        -------
        dict
            Its entry of :attr:`models`.

        Raises
        ------
        ValueError
            If no model, or more than one, has that name.
        """
        (found,) = [m for m in self.models if m["name"] == name]
        return found

    def predictions(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(values) for name, values in self.test_predictions.items()}

    def costs(self) -> dict[str, float]:
        return {m["name"]: float(m["train_seconds"]) for m in self.models}

    def glued(self) -> dict[str, Any]:
        cnn, svc = self.model(CNN.name), self.model(SVC.name)
        return {
            "shifted_mlp_test_accuracy": self.model(SHIFTED_MLP.name)["test_accuracy"],
            "cnn_test_accuracy": cnn["test_accuracy"],
            "cnn_train_seconds": cnn["train_seconds"],
            "svc_test_accuracy": svc["test_accuracy"],
            "svc_train_seconds": svc["train_seconds"],
        }


@dataclass
class ComparisonResult(StageResult):
    """The models side by side: one split, repeated splits and the tests (chapter 5).

    Attributes
    ----------
    repeat_seeds : list of int
        The split seeds of the repeated-split comparison.
    accuracies : dict
        Model name -> test accuracy (a fraction) on each seed's split, in the order
        of ``repeat_seeds``.
    spread : dict
        Model name -> ``mean``, ``std``, ``min`` and ``max`` of those accuracies.
    mcnemar_p : float
        Exact McNemar p-value of the scikit-learn MLP against the Keras MLP on the
        default split.
    mcnemar : dict
        ``only_sklearn_correct`` and ``only_keras_correct``: test rows only that
        model classifies correctly.
    paired_t_p : float
        Corrected resampled t-test p-value of the two MLPs over the repeated splits;
        NaN when undefined.
    default_split : list of dict
        :func:`~digits_helpers.study.compare.accuracy_table`'s rows: ``model``,
        ``accuracy``, ``ci_low``, ``ci_high`` (fractions), ``errors`` and
        ``seconds``.
    library_paths : list of dict
        :func:`~digits_helpers.study.library_costs.plain_beside_ours`'s rows: each library
        MLP's chosen settings trained and read by the plain library and by this
        project's path (seconds, milliseconds per digit, test digits labelled alike).
    """

    stage: ClassVar[str] = "comparison"
    repeat_seeds: list
    accuracies: dict
    spread: dict
    mcnemar_p: float
    mcnemar: dict
    paired_t_p: float
    default_split: list
    library_paths: list

    def glued(self) -> dict[str, Any]:
        from digits_helpers.study.narrative import alike_test_digits  # scipy: not for a load

        values = {
            "mcnemar_p": self.mcnemar_p,
            "paired_p": self.paired_t_p,
            "n_repeat_seeds": len(self.repeat_seeds),
        }
        for model in MODELS:
            values[f"{model.key}_repeated_mean"] = self.spread[model.name]["mean"]
            values[f"{model.key}_repeated_std"] = self.spread[model.name]["std"]
        for row in self.library_paths:
            key = registry.model(row["model"]).key
            ratio = row["training s, plain"] / row["training s, this project"]
            values[f"{key}_plain_training_ratio"] = ratio
            values[f"{key}_plain_alike"] = alike_test_digits(row)
        return values


@dataclass
class ReadingResult(StageResult):
    """The best model reading image files: scans, a form strip, varied digits (chapter 6).

    Attributes
    ----------
    model : str
        The name of the model that read them (the best over the repeated splits).
    threshold : float
        The probability below which a digit was flagged unsure.
    agreement : list of dict
        :func:`~digits_helpers.reading.checks.agreement_table`'s rows: ``condition``, ``files``,
        ``unreadable``, ``agreement``, ``accuracy`` and ``unsure`` (fractions).
    strip : dict
        ``truth`` (the digits written), ``read`` (the text read, ``?`` for unsure),
        ``gaps`` (pixels between neighbours, negative where they touch).
    variants : list of dict
        :func:`~digits_helpers.reading.checks.variant_accuracy_table`'s rows: ``model``,
        ``digits``, ``rescanned`` and ``varied`` accuracies.
    strangers : dict
        Real digits of other hands read from files (:mod:`digits_helpers.reading.other_hands`):
        ``n_digits``, ``scan_size`` and ``models``, the rows of
        :func:`~digits_helpers.reading.other_hands.strangers_table` (``model``, ``accuracy``,
        ``answered``, ``answered_accuracy``).
    """

    stage: ClassVar[str] = "reading"
    model: str
    threshold: float
    agreement: list
    strip: dict
    variants: list
    strangers: dict

    def glued(self) -> dict[str, Any]:
        strangers = {row["model"]: row for row in self.strangers["models"]}[self.model]
        varied = {row["model"]: row for row in self.variants}[self.model]["varied"]
        return {
            "reading_model": self.model,
            "reading_threshold": self.threshold,
            "reading_min_agreement": float(min(row["agreement"] for row in self.agreement)),
            "reading_files": int(sum(row["files"] for row in self.agreement)),
            "strip_truth": self.strip["truth"],
            "strip_read": self.strip["read"],
            "best_varied_accuracy": float(varied),
            "strangers_n": self.strangers["n_digits"],
            "strangers_scan_size": self.strangers["scan_size"],
            "best_strangers_accuracy": float(strangers["accuracy"]),
            "best_strangers_answered_accuracy": float(strangers["answered_accuracy"]),
        }


@dataclass
class ReaderResult(StageResult):
    """The reader trained on many writers, and what it reads (chapter 7).

    Attributes
    ----------
    training : dict
        What it learned from and how: ``representation``, ``epochs``, ``augmentation``,
        ``n_mnist``, ``n_digits8``, ``n_validation``, ``n_training_images``,
        ``required``, ``seed``.
    train_seconds : float
        Wall-clock seconds of its training.
    temperature, threshold : float
        Chosen on the validation digits.
    validation : dict
        ``n``, ``accuracy``, ``answered``, ``answered_accuracy`` at the threshold.
    held_out : dict
        The held-out real digits read from files: ``n_digits``, ``unreadable``,
        ``accuracy``, ``answered``, ``answered_accuracy`` at the threshold, and
        ``by_size`` (scan size in pixels -> accuracy).
    curve : list of dict
        The coverage/error curve on the held-out digits: ``threshold``, ``answered``,
        ``error``, ``n_answered``.
    digits8 : dict
        The study's own test digits as scans: ``n_digits`` and ``accuracy``.
    strips : dict
        Strips of held-out digits read with ``predict --form``: ``n_strips``,
        ``exact`` (share read exactly), ``segmented`` (share cut into as many pieces as
        digits), ``unsure`` (share with a ``?``), ``misread`` (share with a wrong digit
        printed), and ``examples`` (a few ``truth``/``read`` pairs).
    """

    stage: ClassVar[str] = "reader"
    training: dict
    train_seconds: float
    temperature: float
    threshold: float
    validation: dict
    held_out: dict
    curve: list
    digits8: dict
    strips: dict

    def glued(self) -> dict[str, Any]:
        return {
            "reader_accuracy": self.held_out["accuracy"],
            "reader_answered": self.held_out["answered"],
            "reader_answered_accuracy": self.held_out["answered_accuracy"],
            "reader_threshold": self.threshold,
            "reader_strips_exact": self.strips["exact"],
            "reader_seconds_per_form": self.strips["seconds_per_strip"],
            "machine": described(),
        }


STAGE_RESULTS: dict[str, type[StageResult]] = {
    cls.stage: cls
    for cls in (
        PreprocessingResult,
        SklearnResult,
        KerasResult,
        BeyondResult,
        ComparisonResult,
        ReadingResult,
        ReaderResult,
    )
}


def load_stages(run_dir: Path | str, keys: tuple[str, ...]) -> dict[str, StageResult]:
    """The records of the stages ``keys``, read from ``run_dir``.

    Parameters
    ----------
    run_dir : Path or str
        The folder the notebooks save into.
    keys : tuple of str
        Stage names, such as the comparison stage's ``reads``.

    Returns
    -------
    dict
        Stage name -> its record.
    """
    return {key: STAGE_RESULTS[key].load(run_dir) for key in keys}


def assemble(
    run_dir: Path | str, parameters: Mapping[str, Any], timings: Mapping[str, Any]
) -> dict:
    """Merge the stage files of a finished run into the ``results.json`` document.

    Parameters
    ----------
    run_dir : Path or str
        The run's folder, holding the stage files.
    parameters : Mapping
        The parameters the run was made with.
    timings : Mapping
        The run's wall-clock timings (the pipeline's: seconds per notebook, which
        came from its cache, total seconds), stored as given.

    Returns
    -------
    dict
        ``parameters``, ``dataset`` (the preprocessing stage's), a section per
        later stage whose file exists, ``timings``, ``machine`` and ``versions``.

    Raises
    ------
    FileNotFoundError
        If the preprocessing stage's file is missing.
    """
    run_dir = Path(run_dir)
    document: dict[str, Any] = {"parameters": dict(parameters)}
    preprocessing = load_stage(run_dir, "preprocessing")
    document["dataset"] = preprocessing["dataset"]
    for key in STAGE_KEYS[1:]:
        if stage_path(run_dir, key).exists():
            document[key] = load_stage(run_dir, key)
    document["timings"] = dict(timings)
    document["machine"] = machine()
    document["versions"] = package_versions()
    return document
