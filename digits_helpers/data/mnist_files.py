"""Read the 70,000 MNIST digits from files the user already has; nothing is downloaded.

Two forms of the standard files are read from one folder, ``data_dir``:

- the four IDX files, each gzipped (``.gz``) or not: ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, or
  their variants with a dot (``train-images.idx3-ubyte``, ...);
- ``mnist.npz`` as Keras distributes it, with the arrays ``x_train``, ``y_train``, ``x_test``
  and ``y_test``, read without pickle.

When both are present the IDX files are read. Every problem found in the files is a
:class:`MnistFileError` whose one-line message names the file and says what was expected and
what was found; headers are checked before the pixels are read, and no file is read past
``max_bytes``, so a gzip bomb cannot fill the memory.

IDX format: big-endian; a magic number of two zero bytes, a type byte (0x08, unsigned byte)
and the number of dimensions; one 4-byte size per dimension; then the data. Images have magic
2051 (0x00000803) and sizes ``(n, rows, cols)``, labels magic 2049 (0x00000801) and ``(n,)``.

This module is in the bottom layer: it imports only numpy and the standard library.
"""

from __future__ import annotations

import gzip
import math
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

__all__ = [
    "DEFAULT_MAX_BYTES",
    "IDX_STEMS",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "NPZ_ARRAYS",
    "NPZ_NAME",
    "MnistFileError",
    "MnistFiles",
    "MnistLocation",
    "MnistSummary",
    "check_mnist_files",
    "describe",
    "find_mnist_files",
    "idx_file_names",
    "load_mnist",
    "read_idx",
    "write_idx",
]

IMAGES_MAGIC = 0x00000803  # 2051: unsigned bytes in 3 dimensions (n, rows, cols)
LABELS_MAGIC = 0x00000801  # 2049: unsigned bytes in 1 dimension (n,)
UNSIGNED_BYTE = 0x08
DEFAULT_MAX_BYTES = 200_000_000  # the real training images are 47,040,016 bytes
NPZ_NAME = "mnist.npz"

# The four roles, in the order MnistFiles lists them: the IDX file's standard name...
IDX_STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# ... the array of mnist.npz that holds it ...
NPZ_ARRAYS = {
    "x_train": "train_images",
    "y_train": "train_labels",
    "x_test": "test_images",
    "y_test": "test_labels",
}
# ... and what the messages call it.
_ROLE_NAMES = {
    "train_images": "training images",
    "train_labels": "training labels",
    "test_images": "test images",
    "test_labels": "test labels",
}
_MAGIC = {role: IMAGES_MAGIC if role.endswith("images") else LABELS_MAGIC for role in IDX_STEMS}
_MAGIC_NAMES = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}
_IDX_TYPES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "2-byte integer",
    0x0C: "4-byte integer",
    0x0D: "4-byte float",
    0x0E: "8-byte float",
}
_GZIP_MAGIC = b"\x1f\x8b"
_NPY_MAGIC = b"\x93NUMPY"
_CHUNK = 1 << 20
_CORRUPT_GZIP = (gzip.BadGzipFile, EOFError, zlib.error)
_CORRUPT_ZIP = (zipfile.BadZipFile, EOFError, zlib.error)


class MnistFileError(ValueError):
    """A missing, corrupt or inconsistent MNIST file; the message names it and the expectation.

    Parameters
    ----------
    message : str
        One line: the file's path, what was expected and what was found.
    path : pathlib.Path, optional
        The file (or folder) the message is about.

    Attributes
    ----------
    path : pathlib.Path or None
        The file (or folder) the message is about.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True, eq=False)
class MnistFiles:
    """The MNIST digits as read from local files.

    Attributes
    ----------
    train_images : numpy.ndarray
        Shape ``(n_train, rows, cols)``, uint8 in 0..255 (28x28 in the real files).
    train_labels : numpy.ndarray
        Shape ``(n_train,)``, uint8 in 0..9.
    test_images : numpy.ndarray
        Shape ``(n_test, rows, cols)``, uint8, the same ``rows`` and ``cols``.
    test_labels : numpy.ndarray
        Shape ``(n_test,)``, uint8 in 0..9.
    source : tuple of str
        The names of the files read (without their folder), for the book to cite.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: tuple[str, ...]


@dataclass(frozen=True)
class MnistLocation:
    """Which MNIST files a folder holds, as found by :func:`find_mnist_files`.

    Attributes
    ----------
    data_dir : pathlib.Path
        The folder searched.
    idx : dict of str to pathlib.Path or None
        The four IDX files by role (``train_images``, ``train_labels``, ``test_images``,
        ``test_labels``) when all four are present, else None.
    npz : pathlib.Path or None
        ``mnist.npz`` when present, else None.
    """

    data_dir: Path
    idx: dict[str, Path] | None
    npz: Path | None

    @property
    def form(self) -> str:
        """``"idx"`` when the four IDX files are there (they are preferred), else ``"npz"``."""
        return "idx" if self.idx is not None else "npz"

    @property
    def paths(self) -> tuple[Path, ...]:
        """The files :func:`load_mnist` reads, in the order of :class:`MnistFiles`."""
        if self.idx is not None:
            return tuple(self.idx[role] for role in IDX_STEMS)
        assert self.npz is not None
        return (self.npz,)


def idx_file_names(stem: str) -> tuple[str, ...]:
    """The names an IDX file is accepted under, in the order they are looked for.

    Parameters
    ----------
    stem : str
        The standard name, e.g. ``"train-images-idx3-ubyte"``.

    Returns
    -------
    tuple of str
        The name, then gzipped, then the variant with a dot, then that gzipped:
        ``train-images-idx3-ubyte``, ``train-images-idx3-ubyte.gz``,
        ``train-images.idx3-ubyte``, ``train-images.idx3-ubyte.gz``.
    """
    dotted = stem.replace("-idx", ".idx")
    return (stem, f"{stem}.gz", dotted, f"{dotted}.gz")


def find_mnist_files(data_dir: Path | str) -> MnistLocation:
    """Find the four IDX files or ``mnist.npz`` in a folder, without reading them.

    An IDX file may be gzipped or not, under its standard name or the variant with a dot;
    when a folder holds more than one of these for the same file, the first of
    :func:`idx_file_names` is taken. The IDX files are preferred to ``mnist.npz`` when all
    four are present.

    Parameters
    ----------
    data_dir : pathlib.Path or str
        The folder holding the files (``~`` is expanded).

    Returns
    -------
    MnistLocation
        The complete set of IDX files, ``mnist.npz``, or both.

    Raises
    ------
    MnistFileError
        If ``data_dir`` is missing or not a folder, or holds neither all four IDX files nor
        ``mnist.npz``; the message lists which of the four were found and which are missing.
    """
    folder = Path(data_dir).expanduser()
    if not folder.exists():
        raise MnistFileError(
            f"{folder}: no such folder, expected the folder of the MNIST files", folder
        )
    if not folder.is_dir():
        raise MnistFileError(
            f"{folder}: is a file, expected the folder that holds the MNIST files", folder
        )
    found: dict[str, Path] = {}
    for role, stem in IDX_STEMS.items():
        for name in idx_file_names(stem):
            if (folder / name).is_file():
                found[role] = folder / name
                break
    npz = folder / NPZ_NAME
    location = MnistLocation(
        data_dir=folder,
        idx=found if len(found) == len(IDX_STEMS) else None,
        npz=npz if npz.is_file() else None,
    )
    if location.idx is None and location.npz is None:
        present = ", ".join(path.name for path in found.values()) or "none of the four"
        missing = ", ".join(f"{stem}[.gz]" for role, stem in IDX_STEMS.items() if role not in found)
        raise MnistFileError(
            f"{folder}: no complete set of MNIST files: found {present}; missing {missing}"
            f" (or the variant with a dot, e.g. train-images.idx3-ubyte); nor is there {NPZ_NAME},"
            " the alternative (one file with x_train, y_train, x_test, y_test)",
            folder,
        )
    return location


def load_mnist(data_dir: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> MnistFiles:
    """Read the MNIST training and test digits from the files in a folder.

    The four IDX files are read when they are all there, else ``mnist.npz``
    (see :func:`find_mnist_files`); a corrupt IDX file is an error even when ``mnist.npz``
    is also there. All headers are checked, and against each other, before any pixels are
    read. The counts are not required to be the real 60,000 and 10,000, nor the size 28x28,
    so that small test sets can be read.

    Parameters
    ----------
    data_dir : pathlib.Path or str
        The folder holding the files.
    max_bytes : int, optional
        The most bytes one IDX file may hold once decompressed, header included, or one
        array of ``mnist.npz``: a larger file, or one whose header declares more, is refused
        without being read. The default, 200 MB, is four times the real training images.

    Returns
    -------
    MnistFiles
        The images (uint8, ``(n, rows, cols)``), labels (uint8 in 0..9) and file names.

    Raises
    ------
    MnistFileError
        If a file is missing, corrupt (bad magic number, data type, number of dimensions,
        length, gzip or zip stream; arrays of Python objects) or inconsistent (labels outside
        0..9, counts of images and labels that differ, training and test images of
        different sizes).
    """
    location = find_mnist_files(data_dir)
    _, arrays = _read_mnist(location, tuple(IDX_STEMS), max_bytes)
    return MnistFiles(**arrays, source=tuple(path.name for path in location.paths))


@dataclass(frozen=True)
class MnistSummary:
    """What :func:`check_mnist_files` found in a folder, without reading the pixels.

    Attributes
    ----------
    form : str
        ``"idx"`` (the four IDX files) or ``"npz"`` (``mnist.npz``).
    n_train, n_test : int
        How many training and test digits the files hold.
    image_shape : tuple of int
        Rows and columns of one image (28x28 in the real files).
    source : tuple of str
        The names of the files that would be read.
    """

    form: str
    n_train: int
    n_test: int
    image_shape: tuple[int, int]
    source: tuple[str, ...]


def check_mnist_files(data_dir: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> MnistSummary:
    """Check a folder's MNIST files as :func:`load_mnist` would, but read no pixels.

    Cheap enough to run before any notebook: the headers (magic numbers, data type,
    sizes, and for an uncompressed IDX file its length) are checked and against each
    other, and the labels (70 KB in the real files) are read and checked to be 0..9. What
    only reading the images can reveal (a gzip stream corrupt past its header, a
    truncated gzipped file) is left to :func:`load_mnist`, which raises the same errors.

    Parameters
    ----------
    data_dir : pathlib.Path or str
        The folder holding the files.
    max_bytes : int, optional
        As for :func:`load_mnist`.

    Returns
    -------
    MnistSummary
        The form of the files, the counts and the image size.

    Raises
    ------
    MnistFileError
        If a file is missing, has a wrong header, the wrong length (uncompressed IDX
        files), labels outside 0..9, or counts or sizes that disagree; the message names
        the file.
    """
    location = find_mnist_files(data_dir)
    shapes, _ = _read_mnist(location, ("train_labels", "test_labels"), max_bytes)
    return MnistSummary(
        form=location.form,
        n_train=shapes["train_images"][0],
        n_test=shapes["test_images"][0],
        image_shape=(shapes["train_images"][1], shapes["train_images"][2]),
        source=tuple(path.name for path in location.paths),
    )


def read_idx(
    path: Path | str, *, expected_magic: int, name: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> np.ndarray:
    """Read one IDX file of unsigned bytes, gzipped or not, checking its header and length.

    Whether the file is gzipped is told from its first bytes, not its name, so a ``.gz``
    file that a browser has already decompressed is still read.

    Parameters
    ----------
    path : pathlib.Path or str
        The file.
    expected_magic : int
        Its magic number: :data:`IMAGES_MAGIC` (2051), :data:`LABELS_MAGIC` (2049), or
        ``0x0800 + ndim`` for unsigned bytes in ``ndim`` dimensions.
    name : str
        What the file holds, for the messages (e.g. ``"training labels"``).
    max_bytes : int, optional
        The most bytes the file may hold once decompressed, header included.

    Returns
    -------
    numpy.ndarray
        uint8, of the shape the header declares (a new, writable array).

    Raises
    ------
    MnistFileError
        If the file is not an IDX file of unsigned bytes with ``expected_magic``, is longer or
        shorter than its header declares, declares or decompresses to more than
        ``max_bytes``, or is a corrupt gzip stream.
    ValueError
        If ``expected_magic`` is not that of unsigned bytes in 1 to 255 dimensions.
    """
    if expected_magic >> 8 != UNSIGNED_BYTE or not 1 <= expected_magic & 0xFF:
        raise ValueError(
            f"expected_magic {expected_magic:#010x} is not that of unsigned bytes"
            " (0x00000801 to 0x000008ff)"
        )
    _, array = _read_idx(Path(path), name, expected_magic, max_bytes)
    assert array is not None
    return array


def write_idx(path: Path | str, array: np.ndarray, *, gzipped: bool = False) -> Path:
    """Write an array of unsigned bytes as an IDX file, e.g. a small test set.

    Parameters
    ----------
    path : pathlib.Path or str
        The file to write; with ``gzipped``, ``.gz`` is appended to its name unless it is
        there already.
    array : numpy.ndarray
        uint8, in 1 to 255 dimensions (``(n, rows, cols)`` images, ``(n,)`` labels).
    gzipped : bool, optional
        Whether to gzip the file (reproducibly: no time stamp in its header).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If ``array`` is not uint8, has no dimensions, more than 255 or a size of 2**32 or
        more; or if a file not gzipped is given a ``.gz`` name.
    """
    path = Path(path)
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(
            f"write_idx writes unsigned bytes, got dtype {array.dtype}: check the range and"
            " convert with array.astype(np.uint8)"
        )
    if not 1 <= array.ndim <= 255 or any(size >= 2**32 for size in array.shape):
        raise ValueError(f"an IDX file holds 1 to 255 sizes under 2**32, got shape {array.shape}")
    if gzipped and path.suffix != ".gz":
        path = path.with_name(path.name + ".gz")
    elif not gzipped and path.suffix == ".gz":
        raise ValueError(f"{path}: a .gz name for a file not gzipped; pass gzipped=True")
    header = bytes([0, 0, UNSIGNED_BYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + np.ascontiguousarray(array).tobytes()
    if gzipped:
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def describe(files: MnistFiles) -> str:
    """Say in a few words how many digits were read, of what size, and from which files.

    Parameters
    ----------
    files : MnistFiles
        What :func:`load_mnist` returned.

    Returns
    -------
    str
        E.g. ``"60,000 training and 10,000 test digits of 28x28 pixels, from
        train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz
        and t10k-labels-idx1-ubyte.gz"``.
    """
    n_train, rows, cols = files.train_images.shape
    n_test = len(files.test_images)
    digits = "digit" if n_test == 1 else "digits"
    names = list(files.source)
    sources = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    return (
        f"{n_train:,} training and {n_test:,} test {digits} of {rows}x{cols} pixels, from {sources}"
    )


# The one path of check_mnist_files and load_mnist


def _read_mnist(
    location: MnistLocation, roles: tuple[str, ...], max_bytes: int
) -> tuple[dict[str, tuple[int, ...]], dict[str, np.ndarray]]:
    """Every shape from its checked header, the shapes checked against each other, then the
    arrays of ``roles`` (the labels among them, always) read and the labels checked."""
    if location.idx is not None:
        paths = location.idx
        where = {role: str(path) for role, path in paths.items()}
        shapes = {
            role: _read_idx(path, _ROLE_NAMES[role], _MAGIC[role], max_bytes, header_only=True)[0]
            for role, path in paths.items()
        }
        _check_shapes(shapes, where, paths)
        arrays = {}
        for role in roles:
            _, arrays[role] = _read_idx(paths[role], _ROLE_NAMES[role], _MAGIC[role], max_bytes)
    else:
        assert location.npz is not None
        path = location.npz
        where = {role: f"{path} [{array}]" for array, role in NPZ_ARRAYS.items()}
        paths = dict.fromkeys(NPZ_ARRAYS.values(), path)
        with _npz_errors(path), zipfile.ZipFile(path) as archive:
            shapes = _npz_shapes(archive, path, max_bytes)
            _check_shapes(shapes, where, paths)
            arrays = {
                role: _read_npy(archive, array)
                for array, role in NPZ_ARRAYS.items()
                if role in roles
            }
    _check_labels(arrays, where, paths)
    return shapes, arrays


# IDX files


def _fail(path: Path, name: str, problem: str) -> MnistFileError:
    return MnistFileError(f"{path} ({name}): {problem}", path)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(size) for size in shape)


def _magic_text(magic: int) -> str:
    return f"{magic} ({_MAGIC_NAMES[magic]})" if magic in _MAGIC_NAMES else str(magic)


def _read_idx(
    path: Path, name: str, expected_magic: int, max_bytes: int, *, header_only: bool = False
) -> tuple[tuple[int, ...], np.ndarray | None]:
    """The one reader of IDX files: the shape from the checked header, and unless
    ``header_only`` the array, read to the end of the file.

    The header only is enough to check a file's length when it is not gzipped (from its
    size on disk, exactly even past ``max_bytes``); a gzipped one is measured by reading it,
    which also checks its CRC, never past ``max_bytes``.
    """
    with path.open("rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
    verb = "decompresses to" if gzipped else "is"
    try:
        with gzip.open(path) if gzipped else path.open("rb") as stream:
            shape = _idx_header(stream, path, name, verb, expected_magic, max_bytes)
            if not gzipped:
                _check_length(path, name, verb, path.stat().st_size, shape)
            if header_only:
                return shape, None
            buffer = bytearray(math.prod(shape))
            size = 4 + 4 * len(shape) + stream.readinto(buffer)
            while size <= max_bytes and (part := stream.read(min(_CHUNK, max_bytes + 1 - size))):
                size += len(part)
    except _CORRUPT_GZIP as error:
        raise _fail(
            path,
            name,
            f"corrupt gzip stream ({type(error).__name__}: {error}), expected a complete"
            " gzip file: copy or download it again",
        ) from error
    if size > max_bytes:
        raise _fail(
            path,
            name,
            f"{verb} more than max_bytes={max_bytes:,} bytes, {_expected_length(shape)}:"
            " not read further",
        )
    _check_length(path, name, verb, size, shape)
    return shape, np.frombuffer(buffer, dtype=np.uint8).reshape(shape)


def _idx_header(
    stream: IO[bytes], path: Path, name: str, verb: str, expected_magic: int, max_bytes: int
) -> tuple[int, ...]:
    """The sizes an IDX header declares, once its magic number, type and sizes are checked."""
    head = stream.read(4)
    if not head:
        raise _fail(path, name, f"{verb} empty, expected an IDX file")
    if any(head[:2]):
        raise _fail(
            path,
            name,
            f"starts with {head!r}, expected an IDX header (00 00 08 and the number of"
            " dimensions): not an IDX file",
        )
    if len(head) < 4:
        raise _fail(path, name, f"{verb} {len(head)} bytes, expected a 4-byte IDX magic number")
    magic, dtype, ndim = int.from_bytes(head, "big"), head[2], head[3]
    if dtype != UNSIGNED_BYTE:
        found = _IDX_TYPES.get(dtype, "unknown")
        raise _fail(path, name, f"data type 0x{dtype:02X} ({found}), expected 0x08 (unsigned byte)")
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise _fail(
            path,
            name,
            f"{verb} {4 + len(sizes)} bytes, expected a {4 + 4 * ndim}-byte header"
            f" (magic number and {ndim} sizes): truncated",
        )
    if magic != expected_magic:
        problem = f"magic {_magic_text(magic)}, expected {_magic_text(expected_magic)}"
        if magic in _MAGIC_NAMES and expected_magic in _MAGIC_NAMES:
            problem += ": are the images and labels files swapped or misnamed?"
        else:
            problem += f": {ndim} dimensions, expected {expected_magic & 0xFF}"
        raise _fail(path, name, problem)
    shape = struct.unpack(f">{ndim}I", sizes)
    payload = math.prod(shape)
    if 4 + 4 * ndim + payload > max_bytes:
        raise _fail(
            path,
            name,
            f"header declares {_shape_text(shape)} = {payload:,} bytes of data"
            f" ({4 + 4 * ndim + payload:,} in all), more than max_bytes={max_bytes:,}: not read",
        )
    if payload == 0:
        raise _fail(path, name, f"header declares {_shape_text(shape)}: no data")
    return shape


def _expected_length(shape: tuple[int, ...]) -> str:
    header = 4 + 4 * len(shape)
    return (
        f"expected {header + math.prod(shape):,} from its header ({header}-byte header and"
        f" {_shape_text(shape)} bytes of data)"
    )


def _check_length(path: Path, name: str, verb: str, size: int, shape: tuple[int, ...]) -> None:
    total = 4 + 4 * len(shape) + math.prod(shape)
    if size != total:
        which = "truncated" if size < total else f"{size - total:,} trailing bytes"
        raise _fail(path, name, f"{verb} {size:,} bytes, {_expected_length(shape)}: {which}")


# Checks shared by the two forms


def _check_shapes(
    shapes: dict[str, tuple[int, ...]], where: dict[str, str], paths: dict[str, Path]
) -> None:
    """One label per image, and training and test images of one size."""
    for split in ("train", "test"):
        images, labels = f"{split}_images", f"{split}_labels"
        n_images, n_labels = shapes[images][0], shapes[labels][0]
        if n_images != n_labels:
            raise MnistFileError(
                f"{where[labels]} ({_ROLE_NAMES[labels]}): {n_labels:,} labels, expected one"
                f" for each of the {n_images:,} images of {where[images]}",
                paths[labels],
            )
    train, test = shapes["train_images"][1:], shapes["test_images"][1:]
    if train != test:
        raise MnistFileError(
            f"{where['test_images']} (test images): {_shape_text(test)} pixels, expected"
            f" {_shape_text(train)} like the training images of {where['train_images']}",
            paths["test_images"],
        )


def _check_labels(
    arrays: dict[str, np.ndarray], where: dict[str, str], paths: dict[str, Path]
) -> None:
    for role in ("train_labels", "test_labels"):
        bad = np.flatnonzero(arrays[role] > 9)
        if len(bad):
            more = f" and {len(bad) - 1:,} more" if len(bad) > 1 else ""
            raise MnistFileError(
                f"{where[role]} ({_ROLE_NAMES[role]}): label {arrays[role][bad[0]]} at position"
                f" {bad[0]:,}{more}, expected digits 0..9",
                paths[role],
            )


# mnist.npz


@contextmanager
def _npz_errors(path: Path) -> Iterator[None]:
    """Refuse a file that is no zip archive, and turn a corrupt one's errors into a
    :class:`MnistFileError`."""
    expected = f"expected an .npz archive with {', '.join(NPZ_ARRAYS)}"
    if not zipfile.is_zipfile(path):
        with path.open("rb") as file:
            head = file.read(len(_NPY_MAGIC))
        found = "a single .npy array" if head == _NPY_MAGIC else "not a zip archive (truncated?)"
        raise MnistFileError(f"{path}: {found}, {expected}", path)
    try:
        yield
    except MnistFileError:
        raise
    except _CORRUPT_ZIP as error:
        raise MnistFileError(
            f"{path}: corrupt zip archive ({type(error).__name__}: {error}), {expected}:"
            " copy or download it again",
            path,
        ) from error
    except ValueError as error:
        raise MnistFileError(
            f"{path}: cannot be read ({error}), {expected} of uint8", path
        ) from error


def _npz_shapes(archive: zipfile.ZipFile, path: Path, max_bytes: int) -> dict[str, tuple[int, ...]]:
    """Each array's shape from its .npy header, after checking its dtype, ndim and size."""
    members = {name.removesuffix(".npy") for name in archive.namelist()}
    missing = [array for array in NPZ_ARRAYS if array not in members]
    if missing:
        raise MnistFileError(
            f"{path}: has no {', '.join(missing)}, expected the arrays"
            f" {', '.join(NPZ_ARRAYS)} (found {', '.join(sorted(members)) or 'none'})",
            path,
        )
    shapes = {}
    for array, role in NPZ_ARRAYS.items():
        where = f"{path} [{array}]"
        info = archive.getinfo(f"{array}.npy")
        if info.file_size > max_bytes:
            raise MnistFileError(
                f"{where}: {info.file_size:,} bytes, more than max_bytes={max_bytes:,}: not read",
                path,
            )
        with archive.open(info) as member:
            try:
                version = np.lib.format.read_magic(member)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, _, dtype = read_header(member)
            except ValueError as error:
                raise MnistFileError(
                    f"{where}: not a NumPy array ({error}), expected a .npy member", path
                ) from error
            header_bytes = member.tell()
        ndim = 3 if role.endswith("images") else 1
        if dtype.hasobject:
            raise MnistFileError(
                f"{where}: holds Python objects (dtype {dtype}), which are not read"
                " (allow_pickle=False); expected uint8",
                path,
            )
        if dtype != np.uint8:
            raise MnistFileError(
                f"{where}: dtype {dtype}, expected uint8 (as in Keras's mnist.npz)", path
            )
        if len(shape) != ndim:
            raise MnistFileError(
                f"{where}: shape {shape} ({len(shape)} dimensions), expected {ndim}"
                f", {'(n, rows, cols)' if ndim == 3 else '(n,)'}",
                path,
            )
        if math.prod(shape) == 0:
            raise MnistFileError(f"{where}: shape {shape}, no data", path)
        if info.file_size != header_bytes + math.prod(shape):
            raise MnistFileError(
                f"{where}: {info.file_size:,} bytes, expected"
                f" {header_bytes + math.prod(shape):,} from its .npy header",
                path,
            )
        shapes[role] = tuple(shape)
    return shapes


def _read_npy(archive: zipfile.ZipFile, array: str) -> np.ndarray:
    """One array of the archive, its header already checked, read to its end (and CRC)."""
    with archive.open(f"{array}.npy") as member:
        return np.ascontiguousarray(np.lib.format.read_array(member, allow_pickle=False))
