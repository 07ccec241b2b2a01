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
import io
import math
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class _IdxHeader:
    magic: int
    shape: tuple[int, ...]
    gzipped: bool

    @property
    def header_bytes(self) -> int:
        return 4 + 4 * len(self.shape)

    @property
    def payload(self) -> int:
        return math.prod(self.shape)

    @property
    def total(self) -> int:
        return self.header_bytes + self.payload


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
    if location.idx is not None:
        return _load_idx(location.idx, max_bytes)
    assert location.npz is not None
    return _load_npz(location.npz, max_bytes)


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
    if location.idx is not None:
        paths = location.idx
        shapes = {}
        for role, path in paths.items():
            with _open_idx(path, _ROLE_NAMES[role]) as (_, header):
                _check_header(path, _ROLE_NAMES[role], header, _MAGIC[role], max_bytes)
                if not header.gzipped and path.stat().st_size != header.total:
                    size = path.stat().st_size
                    which = (
                        "truncated"
                        if size < header.total
                        else f"{size - header.total:,} trailing bytes"
                    )
                    raise _fail(
                        path,
                        _ROLE_NAMES[role],
                        f"is {size:,} bytes, expected {header.total:,} from its header"
                        f" ({header.header_bytes}-byte header and {_shape_text(header.shape)}"
                        f" bytes of data): {which}",
                    )
            shapes[role] = header.shape
        where = {role: str(path) for role, path in paths.items()}
        _check_shapes(shapes, where, paths)
        labels = {
            role: read_idx(path, expected_magic=LABELS_MAGIC, name=_ROLE_NAMES[role])
            for role, path in paths.items()
            if role.endswith("labels")
        }
        _check_labels(labels, where, paths)
        source = tuple(path.name for path in paths.values())
    else:
        path = location.npz
        assert path is not None
        if not zipfile.is_zipfile(path):
            _load_npz(path, max_bytes)  # raises its message for a file that is not an archive
        where = {role: f"{path} [{array}]" for array, role in NPZ_ARRAYS.items()}
        paths = dict.fromkeys(NPZ_ARRAYS.values(), path)
        try:
            shapes = _npz_shapes(path, max_bytes)
            _check_shapes(shapes, where, paths)
            with np.load(path, allow_pickle=False) as npz:
                labels = {role: npz[array] for array, role in NPZ_ARRAYS.items() if array[0] == "y"}
        except _CORRUPT_ZIP as error:
            raise MnistFileError(
                f"{path}: corrupt zip archive ({type(error).__name__}: {error}), expected an"
                f" .npz archive with {', '.join(NPZ_ARRAYS)}: copy or download it again",
                path,
            ) from error
        _check_labels(labels, where, paths)
        source = (path.name,)
    return MnistSummary(
        form=location.form,
        n_train=shapes["train_images"][0],
        n_test=shapes["test_images"][0],
        image_shape=(shapes["train_images"][1], shapes["train_images"][2]),
        source=source,
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
    path = Path(path)
    _check_magic_argument(expected_magic)
    with _open_idx(path, name) as (stream, header):
        _check_header(path, name, header, expected_magic, max_bytes)
        return _read_payload(path, name, stream, header, max_bytes)


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


# IDX files


def _check_magic_argument(expected_magic: int) -> None:
    if expected_magic >> 8 != UNSIGNED_BYTE or not 1 <= expected_magic & 0xFF:
        raise ValueError(
            f"expected_magic {expected_magic:#010x} is not that of unsigned bytes"
            " (0x00000801 to 0x000008ff)"
        )


def _fail(path: Path, name: str, problem: str) -> MnistFileError:
    return MnistFileError(f"{path} ({name}): {problem}", path)


@contextmanager
def _gzip_errors(path: Path, name: str, gzipped: bool) -> Iterator[None]:
    """Turn a corrupt gzip stream's EOFError, BadGzipFile or zlib.error into a MnistFileError."""
    try:
        yield
    except _CORRUPT_GZIP as error:
        if not gzipped:
            raise
        raise _fail(
            path,
            name,
            f"corrupt gzip stream ({type(error).__name__}: {error}), expected a complete"
            " gzip file: copy or download it again",
        ) from error


@contextmanager
def _open_idx(path: Path, name: str) -> Iterator[tuple[io.BufferedIOBase, _IdxHeader]]:
    """Open an IDX file, gzipped or not, and read its header (unchecked but for its length)."""
    with path.open("rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
    stream: io.BufferedIOBase = gzip.GzipFile(path, "rb") if gzipped else path.open("rb")
    decompressed = "decompresses to" if gzipped else "is"
    with stream, _gzip_errors(path, name, gzipped):
        head = _read_upto(stream, 4)
        if not head:
            raise _fail(path, name, f"{decompressed} empty, expected an IDX file")
        if any(head[:2]):
            raise _fail(
                path,
                name,
                f"starts with {head!r}, expected an IDX header (00 00 08 and the number of"
                " dimensions): not an IDX file",
            )
        if len(head) < 4:
            raise _fail(
                path, name, f"{decompressed} {len(head)} bytes, expected a 4-byte IDX magic number"
            )
        ndim = head[3]
        sizes = _read_upto(stream, 4 * ndim)
        header = _IdxHeader(int.from_bytes(head, "big"), (), gzipped)
        if head[2] == UNSIGNED_BYTE and len(sizes) < 4 * ndim:
            raise _fail(
                path,
                name,
                f"{decompressed} {4 + len(sizes)} bytes, expected a {4 + 4 * ndim}-byte header"
                f" (magic number and {ndim} sizes): truncated",
            )
        if head[2] == UNSIGNED_BYTE:
            header = _IdxHeader(header.magic, struct.unpack(f">{ndim}I", sizes), gzipped)
        yield stream, header


def _magic_text(magic: int) -> str:
    return f"{magic} ({_MAGIC_NAMES[magic]})" if magic in _MAGIC_NAMES else str(magic)


def _check_header(
    path: Path, name: str, header: _IdxHeader, expected_magic: int, max_bytes: int
) -> None:
    dtype = (header.magic >> 8) & 0xFF
    if dtype != UNSIGNED_BYTE:
        found = _IDX_TYPES.get(dtype, "unknown")
        raise _fail(path, name, f"data type 0x{dtype:02X} ({found}), expected 0x08 (unsigned byte)")
    if header.magic != expected_magic:
        problem = f"magic {_magic_text(header.magic)}, expected {_magic_text(expected_magic)}"
        if header.magic in _MAGIC_NAMES and expected_magic in _MAGIC_NAMES:
            problem += ": are the images and labels files swapped or misnamed?"
        else:
            problem += f": {len(header.shape)} dimensions, expected {expected_magic & 0xFF}"
        raise _fail(path, name, problem)
    if header.total > max_bytes:
        raise _fail(
            path,
            name,
            f"header declares {_shape_text(header.shape)} = {header.payload:,} bytes of data"
            f" ({header.total:,} in all), more than max_bytes={max_bytes:,}: not read",
        )
    if header.payload == 0:
        raise _fail(path, name, f"header declares {_shape_text(header.shape)}: no data")


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(size) for size in shape)


def _read_upto(stream: io.BufferedIOBase, n: int) -> bytes:
    """Up to ``n`` bytes: fewer only at the end of the stream."""
    parts = []
    while n > 0:
        part = stream.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def _read_payload(
    path: Path, name: str, stream: io.BufferedIOBase, header: _IdxHeader, max_bytes: int
) -> np.ndarray:
    expected = (
        f"expected {header.total:,} from its header ({header.header_bytes}-byte header and"
        f" {_shape_text(header.shape)} bytes of data)"
    )
    if not header.gzipped:  # the length is known before reading
        size = path.stat().st_size
        if size != header.total:
            which = (
                "truncated" if size < header.total else f"{size - header.total:,} trailing bytes"
            )
            raise _fail(path, name, f"is {size:,} bytes, {expected}: {which}")
    buffer = bytearray(header.payload)
    view = memoryview(buffer)
    got = 0
    with _gzip_errors(path, name, header.gzipped):
        while got < header.payload:
            n = stream.readinto(view[got:])
            if not n:
                break
            got += n
        decompressed = header.header_bytes + got
        if got < header.payload:
            verb = "decompresses to" if header.gzipped else "is"
            raise _fail(path, name, f"{verb} {decompressed:,} bytes, {expected}: truncated")
        # Read on to the end: a gzip stream's CRC is checked there, and trailing bytes are
        # counted, but never more than max_bytes in all.
        while decompressed <= max_bytes:
            part = stream.read(min(_CHUNK, max_bytes + 1 - decompressed))
            if not part:
                break
            decompressed += len(part)
    verb = "decompresses to" if header.gzipped else "is"
    if decompressed > max_bytes:
        raise _fail(
            path,
            name,
            f"{verb} more than max_bytes={max_bytes:,} bytes, {expected}: not read further",
        )
    if decompressed != header.total:
        raise _fail(
            path,
            name,
            f"{verb} {decompressed:,} bytes, {expected}:"
            f" {decompressed - header.total:,} trailing bytes",
        )
    return np.frombuffer(buffer, dtype=np.uint8).reshape(header.shape)


def _load_idx(paths: dict[str, Path], max_bytes: int) -> MnistFiles:
    shapes = {}
    for role, path in paths.items():
        with _open_idx(path, _ROLE_NAMES[role]) as (_, header):
            _check_header(path, _ROLE_NAMES[role], header, _MAGIC[role], max_bytes)
        shapes[role] = header.shape
    where = {role: str(path) for role, path in paths.items()}
    _check_shapes(shapes, where, paths)
    arrays = {
        role: read_idx(
            path, expected_magic=_MAGIC[role], name=_ROLE_NAMES[role], max_bytes=max_bytes
        )
        for role, path in paths.items()
    }
    _check_labels(arrays, where, paths)
    return MnistFiles(**arrays, source=tuple(path.name for path in paths.values()))


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


def _load_npz(path: Path, max_bytes: int) -> MnistFiles:
    expected = f"expected an .npz archive with {', '.join(NPZ_ARRAYS)}"
    if not zipfile.is_zipfile(path):
        with path.open("rb") as file:
            head = file.read(len(_NPY_MAGIC))
        found = "a single .npy array" if head == _NPY_MAGIC else "not a zip archive (truncated?)"
        raise MnistFileError(f"{path}: {found}, {expected}", path)
    where = {role: f"{path} [{array}]" for array, role in NPZ_ARRAYS.items()}
    paths = dict.fromkeys(NPZ_ARRAYS.values(), path)
    try:
        shapes = _npz_shapes(path, max_bytes)
        _check_shapes(shapes, where, paths)
        with np.load(path, allow_pickle=False) as npz:
            arrays = {role: np.ascontiguousarray(npz[array]) for array, role in NPZ_ARRAYS.items()}
    except MnistFileError:
        raise
    except _CORRUPT_ZIP as error:
        raise MnistFileError(
            f"{path}: corrupt zip archive ({type(error).__name__}: {error}), {expected}:"
            " copy or download it again",
            path,
        ) from error
    except ValueError as error:
        if "allow_pickle" in str(error):
            found = "holds Python objects, which are not read (allow_pickle=False)"
        else:
            found = f"cannot be read ({error})"
        raise MnistFileError(f"{path}: {found}, {expected} of uint8", path) from error
    _check_labels(arrays, where, paths)
    return MnistFiles(**arrays, source=(path.name,))


def _npz_shapes(path: Path, max_bytes: int) -> dict[str, tuple[int, ...]]:
    """Each array's shape, from its .npy header, after checking its dtype, ndim and size."""
    shapes = {}
    with zipfile.ZipFile(path) as archive:
        members = {name.removesuffix(".npy") for name in archive.namelist()}
        missing = [array for array in NPZ_ARRAYS if array not in members]
        if missing:
            raise MnistFileError(
                f"{path}: has no {', '.join(missing)}, expected the arrays"
                f" {', '.join(NPZ_ARRAYS)} (found {', '.join(sorted(members)) or 'none'})",
                path,
            )
        for array, role in NPZ_ARRAYS.items():
            where = f"{path} [{array}]"
            info = archive.getinfo(f"{array}.npy")
            if info.file_size > max_bytes:
                raise MnistFileError(
                    f"{where}: {info.file_size:,} bytes, more than max_bytes={max_bytes:,}:"
                    " not read",
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
