"""digits_helpers.data.mnist_files reads MNIST's IDX files and mnist.npz, and refuses bad ones.

Every file here is written by the tests in tmp_path: scikit-learn's 8x8 digits, scaled to
0..255 and enlarged to 28x28, stand in for MNIST. Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import io
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digits_helpers.data import mnist_files
from digits_helpers.data.mnist_files import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    MnistFileError,
    MnistFiles,
    check_mnist_files,
    describe,
    find_mnist_files,
    load_mnist,
    read_idx,
    write_idx,
)

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
DOTTED = {
    "train_images": "train-images.idx3-ubyte",
    "train_labels": "train-labels.idx1-ubyte",
    "test_images": "t10k-images.idx3-ubyte",
    "test_labels": "t10k-labels.idx1-ubyte",
}
NPZ_KEYS = {"train_images": "x_train", "train_labels": "y_train"}
NPZ_KEYS |= {"test_images": "x_test", "test_labels": "y_test"}


@pytest.fixture(scope="module")
def digits28() -> dict[str, np.ndarray]:
    """The 1,797 scikit-learn digits as 28x28 uint8 in 0..255, split 1500/297."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.rint(digits.images * (255 / 16)).astype(np.uint8)  # 0..16 -> 0..255
    images = np.kron(images, np.ones((1, 3, 3), dtype=np.uint8))  # 8x8 -> 24x24
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))  # centred in 28x28, like MNIST
    labels = digits.target.astype(np.uint8)
    assert images.shape == (1797, 28, 28) and images.max() == 255
    return {
        "train_images": images[:1500],
        "train_labels": labels[:1500],
        "test_images": images[1500:],
        "test_labels": labels[1500:],
    }


@pytest.fixture
def small(digits28) -> dict[str, np.ndarray]:
    """A few of the digits, for the tests that break files: 12 training, 5 test."""
    return {
        "train_images": digits28["train_images"][:12].copy(),
        "train_labels": digits28["train_labels"][:12].copy(),
        "test_images": digits28["test_images"][:5].copy(),
        "test_labels": digits28["test_labels"][:5].copy(),
    }


def write_set(
    folder: Path, arrays: dict[str, np.ndarray], *, gzipped: bool = False, dotted: bool = False
) -> dict[str, Path]:
    names = DOTTED if dotted else STEMS
    return {role: write_idx(folder / names[role], arrays[role], gzipped=gzipped) for role in ROLES}


def write_npz(folder: Path, arrays: dict[str, np.ndarray], compressed: bool = False) -> Path:
    path = folder / "mnist.npz"
    save = np.savez_compressed if compressed else np.savez
    save(path, **{NPZ_KEYS[role]: array for role, array in arrays.items()})
    return path


def idx_bytes(array: np.ndarray, dtype_code: int = 0x08) -> bytes:
    """An IDX file written here by hand from the format's description, not by write_idx."""
    header = bytes([0, 0, dtype_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def load_error(folder: Path, **kwargs) -> str:
    with pytest.raises(MnistFileError) as caught:
        load_mnist(folder, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


# Round trips


@pytest.mark.parametrize("dotted", [False, True], ids=["dashes", "dotted"])
@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzipped"])
def test_idx_files_read_back_what_was_written(tmp_path, digits28, gzipped, dotted):
    paths = write_set(tmp_path, digits28, gzipped=gzipped, dotted=dotted)
    files = load_mnist(tmp_path)
    for role in ROLES:
        array = getattr(files, role)
        assert array.dtype == np.uint8
        np.testing.assert_array_equal(array, digits28[role])
    assert files.source == tuple(paths[role].name for role in ROLES)
    assert files.source[0] == "train-images" + ("." if dotted else "-") + "idx3-ubyte" + (
        ".gz" if gzipped else ""
    )
    assert files.train_images.flags.writeable


@pytest.mark.parametrize("compressed", [False, True], ids=["savez", "savez_compressed"])
def test_npz_reads_back_what_was_written(tmp_path, digits28, compressed):
    write_npz(tmp_path, digits28, compressed)
    files = load_mnist(tmp_path)
    for role in ROLES:
        assert getattr(files, role).dtype == np.uint8
        np.testing.assert_array_equal(getattr(files, role), digits28[role])
    assert files.source == ("mnist.npz",)


def test_idx_files_are_preferred_to_npz(tmp_path, digits28):
    write_set(tmp_path, digits28, gzipped=True)
    reversed_digits = {role: array[::-1] for role, array in digits28.items()}
    write_npz(tmp_path, reversed_digits)
    location = find_mnist_files(tmp_path)
    assert location.form == "idx" and location.npz == tmp_path / "mnist.npz"
    files = load_mnist(tmp_path)
    np.testing.assert_array_equal(files.train_images, digits28["train_images"])
    assert "mnist.npz" not in files.source


def test_npz_is_read_when_the_idx_set_is_incomplete(tmp_path, small):
    paths = write_set(tmp_path, small)
    paths["test_labels"].unlink()
    write_npz(tmp_path, small)
    assert load_mnist(tmp_path).source == ("mnist.npz",)


def test_a_gz_name_holding_a_decompressed_file_is_read(tmp_path, small):
    # Browsers sometimes decompress a download and keep its .gz name.
    paths = write_set(tmp_path, small, gzipped=True)
    plain = gzip.decompress(paths["train_images"].read_bytes())
    paths["train_images"].write_bytes(plain)
    np.testing.assert_array_equal(load_mnist(tmp_path).train_images, small["train_images"])


def test_write_idx_writes_the_format_as_described(tmp_path, small):
    images, labels = small["train_images"], small["train_labels"]
    written = write_idx(tmp_path / "images", images)
    assert written.read_bytes()[:16] == struct.pack(">IIII", 2051, 12, 28, 28)
    assert written.read_bytes() == idx_bytes(images)
    gz = write_idx(tmp_path / "labels", labels, gzipped=True)
    assert gz == tmp_path / "labels.gz"
    assert gzip.decompress(gz.read_bytes()) == struct.pack(">II", 2049, 12) + labels.tobytes()
    assert write_idx(tmp_path / "again", labels, gzipped=True).read_bytes() == gz.read_bytes()


@pytest.mark.parametrize(
    ("array", "name", "problem"),
    [
        (np.zeros(3, dtype=np.int64), "x", "got dtype int64"),
        (np.uint8(3), "x", "got shape ()"),
        (np.zeros(3, dtype=np.uint8), "x.gz", "a .gz name for a file not gzipped"),
    ],
)
def test_write_idx_refuses_what_idx_cannot_hold(tmp_path, array, name, problem):
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        write_idx(tmp_path / name, array)


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    gzipped=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_read_idx_reads_what_write_idx_wrote(shape, gzipped, seed):
    array = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        path = write_idx(Path(folder) / "a", array, gzipped=gzipped)
        read = read_idx(path, expected_magic=0x0800 + len(shape), name="test")
    np.testing.assert_array_equal(read, array)
    assert read.dtype == np.uint8 and read.shape == tuple(shape)


def test_read_idx_refuses_a_magic_number_not_of_unsigned_bytes(tmp_path, small):
    path = write_idx(tmp_path / "labels", small["train_labels"])
    with pytest.raises(ValueError, match="not that of unsigned bytes"):
        read_idx(path, expected_magic=0x0D01, name="labels")


def test_describe_says_how_many_digits_of_what_size_from_which_files():
    def zeros(*shape):  # the real sizes, without allocating them
        return np.broadcast_to(np.zeros((), dtype=np.uint8), shape)

    names = tuple(f"{STEMS[role]}.gz" for role in ROLES)
    files = MnistFiles(
        zeros(60_000, 28, 28), zeros(60_000), zeros(10_000, 28, 28), zeros(10_000), names
    )
    assert describe(files) == (
        "60,000 training and 10,000 test digits of 28x28 pixels, from train-images-idx3-ubyte.gz,"
        " train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
    )
    npz = MnistFiles(zeros(3, 4, 5), zeros(3), zeros(1, 4, 5), zeros(1), ("mnist.npz",))
    assert describe(npz) == "3 training and 1 test digit of 4x5 pixels, from mnist.npz"


# The folder and its files


def test_a_missing_folder_is_named(tmp_path):
    message = load_error(tmp_path / "nowhere")
    assert f"{tmp_path / 'nowhere'}: no such folder" in message


def test_a_file_given_as_the_folder_is_named(tmp_path):
    (tmp_path / "mnist").write_text("")
    assert f"{tmp_path / 'mnist'}: is a file, expected the folder" in load_error(tmp_path / "mnist")


def test_missing_files_are_listed_with_the_npz_alternative(tmp_path, small):
    paths = write_set(tmp_path, small, gzipped=True)
    paths["test_images"].unlink()
    paths["test_labels"].unlink()
    message = load_error(tmp_path)
    assert str(tmp_path) in message
    assert "found train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz;" in message
    assert "missing t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]" in message
    assert "mnist.npz" in message


def test_an_empty_folder_says_none_were_found(tmp_path):
    message = load_error(tmp_path)
    assert "found none of the four" in message
    assert "missing train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]" in message


# Broken IDX files


@pytest.mark.parametrize(
    ("slot", "holds", "expected"),
    [
        ("train_labels", "train_images", "magic 2051 (images), expected 2049 (labels)"),
        ("test_images", "test_labels", "magic 2049 (labels), expected 2051 (images)"),
    ],
)
def test_images_and_labels_swapped_are_named(tmp_path, small, slot, holds, expected):
    paths = write_set(tmp_path, small, gzipped=True)
    write_idx(paths[slot], small[holds], gzipped=True)
    message = load_error(tmp_path)
    assert message.startswith(f"{paths[slot]} (")
    assert expected in message and "swapped" in message


def test_a_data_type_other_than_unsigned_bytes_is_named(tmp_path, small):
    paths = write_set(tmp_path, small)
    as_float = small["train_images"].astype(np.float32) / 255
    paths["train_images"].write_bytes(idx_bytes(as_float, dtype_code=0x0D))
    message = load_error(tmp_path)
    assert message.startswith(str(paths["train_images"]))
    assert "data type 0x0D (4-byte float), expected 0x08 (unsigned byte)" in message


def test_a_wrong_number_of_dimensions_is_named(tmp_path, small):
    paths = write_set(tmp_path, small)
    write_idx(paths["train_images"], small["train_images"].reshape(12, 28 * 28))
    message = load_error(tmp_path)
    assert message.startswith(str(paths["train_images"]))
    assert "magic 2050, expected 2051 (images): 2 dimensions, expected 3" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"<!DOCTYPE html><html>Not Found</html>", "starts with b'<!DO', expected an IDX header"),
        (b"", "is empty, expected an IDX file"),
        (b"\x00\x00\x08", "is 3 bytes, expected a 4-byte IDX magic number"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x0c\x00\x00", "is 10 bytes, expected a 16-byte header"),
    ],
    ids=["html", "empty", "short-magic", "short-header"],
)
def test_a_file_that_is_no_idx_file_is_named(tmp_path, small, content, expected):
    paths = write_set(tmp_path, small)
    paths["train_images"].write_bytes(content)
    message = load_error(tmp_path)
    assert message.startswith(f"{paths['train_images']} (training images): ")
    assert expected in message


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzipped"])
@pytest.mark.parametrize("change", [-1, -784, 3], ids=["short-1", "short-image", "trailing-3"])
def test_a_length_that_disagrees_with_the_header_is_named(tmp_path, small, gzipped, change):
    paths = write_set(tmp_path, small)
    data = paths["train_images"].read_bytes()
    total = 16 + 12 * 28 * 28
    assert len(data) == total
    data = data[:change] if change < 0 else data + b"\x00" * change
    target = paths["train_images"]
    if gzipped:
        target.unlink()
        target = target.with_name(target.name + ".gz")
        target.write_bytes(gzip.compress(data))
    else:
        target.write_bytes(data)
    message = load_error(tmp_path)
    assert message.startswith(str(target))
    verb = "decompresses to" if gzipped else "is"
    assert f"{verb} {total + change:,} bytes, expected {total:,} from its header" in message
    assert ("truncated" if change < 0 else "3 trailing bytes") in message


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:],  # the CRC
        lambda data: data[:-20],  # the stream cut short
        lambda data: data[:40] + b"\xff" * 40 + data[80:],  # the deflate data
    ],
    ids=["crc", "cut", "garbled"],
)
def test_a_corrupt_gzip_stream_is_named(tmp_path, small, damage):
    paths = write_set(tmp_path, small, gzipped=True)
    path = paths["train_images"]
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(MnistFileError) as caught:
        load_mnist(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path} (training images): corrupt gzip stream")
    assert "expected a complete gzip file" in message
    assert caught.value.path == path
    assert caught.value.__cause__ is not None  # the gzip error, for whoever debugs it


def test_a_header_declaring_more_than_max_bytes_is_not_read(tmp_path, small):
    paths = write_set(tmp_path, small, gzipped=True)
    message = load_error(tmp_path, max_bytes=5_000)
    assert message.startswith(str(paths["train_images"]))
    assert (
        "header declares 12x28x28 = 9,408 bytes of data (9,424 in all), more than max_bytes=5,000"
        in message
    )


def test_a_gzip_bomb_is_read_no_further_than_max_bytes(tmp_path, small, monkeypatch):
    paths = write_set(tmp_path, small, gzipped=True)
    bomb = paths["test_labels"]
    with gzip.GzipFile(bomb, "wb") as stream:  # 5 labels, then 20 MB of zeros in 20 kB
        stream.write(idx_bytes(small["test_labels"]))
        for _ in range(20):
            stream.write(bytes(1_000_000))
    assert bomb.stat().st_size < 100_000
    read = []
    original = gzip.GzipFile.read

    def counting_read(self, size=-1):
        data = original(self, size)
        if self.name == str(bomb):
            read.append(len(data))
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    message = load_error(tmp_path, max_bytes=1_000_000)
    assert message.startswith(f"{bomb} (test labels): decompresses to more than")
    assert "max_bytes=1,000,000 bytes, expected 13 from its header" in message
    assert sum(read) < 1_000_100  # both passes: its header, then the data up to max_bytes + 1


def test_a_plain_file_is_measured_before_it_is_read(tmp_path, small):
    # Its size on disk gives the exact count of trailing bytes, even past max_bytes,
    # which a gzipped file's could not without decompressing them.
    paths = write_set(tmp_path, small)
    path = paths["test_labels"]
    path.write_bytes(idx_bytes(small["test_labels"]) + bytes(2_000_000))
    message = load_error(tmp_path, max_bytes=1_000_000)
    assert message.startswith(f"{path} (test labels): is 2,000,013 bytes, expected 13")
    assert message.endswith(": 2,000,000 trailing bytes")


def test_labels_outside_0_to_9_are_named(tmp_path, small):
    small["test_labels"][[1, 3]] = [12, 255]
    paths = write_set(tmp_path, small, gzipped=True)
    message = load_error(tmp_path)
    assert message.startswith(str(paths["test_labels"]))
    assert "label 12 at position 1 and 1 more, expected digits 0..9" in message


def test_more_labels_than_images_are_named(tmp_path, small):
    small["train_labels"] = np.append(small["train_labels"], np.uint8(3))
    paths = write_set(tmp_path, small)
    message = load_error(tmp_path)
    assert message.startswith(str(paths["train_labels"]))
    assert (
        f"13 labels, expected one for each of the 12 images of {paths['train_images']}" in message
    )


def test_test_images_of_another_size_are_named(tmp_path, small):
    small["test_images"] = small["test_images"][:, :, 1:]
    paths = write_set(tmp_path, small)
    message = load_error(tmp_path)
    assert message.startswith(str(paths["test_images"]))
    assert "28x27 pixels, expected 28x28 like the training images" in message


# Broken mnist.npz


def test_npz_missing_arrays_are_named(tmp_path, small):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=small["train_images"], y_train=small["train_labels"], extra=np.zeros(1))
    message = load_error(tmp_path)
    assert message.startswith(f"{path}: has no x_test, y_test")
    assert (
        "expected the arrays x_train, y_train, x_test, y_test (found extra, x_train, y_train)"
        in (message)
    )


@pytest.mark.parametrize(
    ("role", "change", "expected"),
    [
        (
            "train_images",
            lambda a: a.astype(np.float32),
            "[x_train]: dtype float32, expected uint8",
        ),
        ("train_labels", lambda a: a.astype(np.int64), "[y_train]: dtype int64, expected uint8"),
        ("test_images", lambda a: a.reshape(len(a), -1), "(2 dimensions), expected 3"),
        ("test_labels", lambda a: a[:, None], "[y_test]: shape (5, 1) (2 dimensions), expected 1"),
    ],
    ids=["float-images", "int64-labels", "flat-images", "column-labels"],
)
def test_npz_wrong_dtypes_and_shapes_are_named(tmp_path, small, role, change, expected):
    small[role] = change(small[role])
    path = write_npz(tmp_path, small)
    message = load_error(tmp_path)
    assert message.startswith(str(path))
    assert expected in message


def test_npz_object_arrays_are_refused(tmp_path, small):
    small["train_labels"] = np.array([{"label": 3}] * 12, dtype=object)
    path = write_npz(tmp_path, small)  # np.savez pickles object arrays
    message = load_error(tmp_path)
    assert message.startswith(f"{path} [y_train]: holds Python objects")
    assert "which are not read (allow_pickle=False)" in message


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda path, arrays: path.write_text("x_train,y_train\n"), "not a zip archive"),
        (
            lambda path, arrays: path.write_bytes(npy_bytes(arrays["train_images"])),
            "a single .npy array, expected an .npz archive with x_train, y_train, x_test, y_test",
        ),
        (
            lambda path, arrays: path.write_bytes(
                write_npz(path.parent, arrays).read_bytes()[:-30]
            ),
            "not a zip archive (truncated?)",
        ),
    ],
    ids=["text", "npy", "truncated"],
)
def test_npz_that_is_no_npz_is_named(tmp_path, small, write, expected):
    path = tmp_path / "mnist.npz"
    write(path, small)
    message = load_error(tmp_path)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_npz_with_a_corrupt_member_is_named(tmp_path, small):
    path = write_npz(tmp_path, small)  # stored, not compressed: the bytes are there as written
    data = bytearray(path.read_bytes())
    at = data.find(small["test_labels"].tobytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    message = load_error(tmp_path)
    assert message.startswith(f"{path}: corrupt zip archive (BadZipFile: Bad CRC-32")


def test_npz_labels_outside_0_to_9_are_named(tmp_path, small):
    small["train_labels"][0] = 10
    path = write_npz(tmp_path, small)
    message = load_error(tmp_path)
    assert message.startswith(f"{path} [y_train]")
    assert "label 10 at position 0, expected digits 0..9" in message


def test_npz_counts_that_differ_are_named(tmp_path, small):
    small["test_labels"] = small["test_labels"][:4]
    path = write_npz(tmp_path, small)
    message = load_error(tmp_path)
    assert message.startswith(f"{path} [y_test]")
    assert f"4 labels, expected one for each of the 5 images of {path} [x_test]" in message


def test_npz_arrays_larger_than_max_bytes_are_not_read(tmp_path, small):
    path = write_npz(tmp_path, small, compressed=True)
    message = load_error(tmp_path, max_bytes=5_000)
    assert message.startswith(f"{path} [x_train]: ")
    assert "more than max_bytes=5,000: not read" in message


# The quick check and the load: one path


def _swap_magic(folder, arrays):
    write_set(folder, arrays)
    write_idx(folder / STEMS["train_labels"], arrays["train_images"])


def _float_images(folder, arrays):
    paths = write_set(folder, arrays, gzipped=True)
    as_float = arrays["test_images"].astype(np.float32)
    paths["test_images"].write_bytes(gzip.compress(idx_bytes(as_float, dtype_code=0x0D)))


def _plain_truncated(folder, arrays):
    paths = write_set(folder, arrays)
    paths["test_images"].write_bytes(paths["test_images"].read_bytes()[:-5])


def _idx_count(folder, arrays):
    write_set(folder, {**arrays, "test_labels": arrays["test_labels"][:4]}, gzipped=True)


def _idx_label(folder, arrays):
    labels = arrays["train_labels"].copy()
    labels[2] = 10
    write_set(folder, {**arrays, "train_labels": labels}, gzipped=True)


def _npz_missing(folder, arrays):
    np.savez(folder / "mnist.npz", x_train=arrays["train_images"], y_train=arrays["train_labels"])


def _npz_dtype(folder, arrays):
    write_npz(folder, {**arrays, "test_labels": arrays["test_labels"].astype(np.int16)})


def _npz_label(folder, arrays):
    labels = arrays["test_labels"].copy()
    labels[-1] = 99
    write_npz(folder, {**arrays, "test_labels": labels}, compressed=True)


def _npz_not_zip(folder, arrays):
    (folder / "mnist.npz").write_bytes(npy_bytes(arrays["train_labels"]))


@pytest.mark.parametrize(
    "damage",
    [
        _swap_magic,
        _float_images,
        _plain_truncated,
        _idx_count,
        _idx_label,
        _npz_missing,
        _npz_dtype,
        _npz_label,
        _npz_not_zip,
    ],
)
def test_the_check_refuses_what_the_load_refuses_in_the_same_words(tmp_path, small, damage):
    damage(tmp_path, small)
    message = load_error(tmp_path)
    with pytest.raises(MnistFileError) as caught:
        check_mnist_files(tmp_path)
    assert str(caught.value) == message


@pytest.mark.parametrize("form", ["plain", "gzipped", "npz", "npz_compressed"])
def test_the_check_reads_no_pixels(tmp_path, digits28, form, monkeypatch):
    if form.startswith("npz"):
        write_npz(tmp_path, digits28, compressed=form == "npz_compressed")
    else:
        write_set(tmp_path, digits28, gzipped=form == "gzipped")
    image_bytes = 0
    original_open = Path.open

    def counting_open(self, mode="r", *args, **kwargs):
        stream = original_open(self, mode, *args, **kwargs)
        return stream if "images" not in self.name else _Counting(stream)

    class _Counting:
        def __init__(self, stream):
            self.stream = stream

        def read(self, size=-1):
            nonlocal image_bytes
            data = self.stream.read(size)
            image_bytes += len(data)
            return data

        def readinto(self, buffer):
            nonlocal image_bytes
            n = self.stream.readinto(buffer)
            image_bytes += n
            return n

        def __getattr__(self, name):
            return getattr(self.stream, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

    original_member = zipfile.ZipFile.open

    def counting_member(self, name, *args, **kwargs):
        member = original_member(self, name, *args, **kwargs)
        member_name = name if isinstance(name, str) else name.filename
        return _Counting(member) if member_name.startswith("x_") else member

    original_gzip_read = gzip.GzipFile.read

    def counting_gzip_read(self, size=-1):
        nonlocal image_bytes
        data = original_gzip_read(self, size)
        image_bytes += len(data) if "images" in self.name else 0
        return data

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setattr(gzip.GzipFile, "read", counting_gzip_read)
    monkeypatch.setattr(zipfile.ZipFile, "open", counting_member)
    summary = check_mnist_files(tmp_path)
    assert (summary.n_train, summary.n_test, summary.image_shape) == (1500, 297, (28, 28))
    assert image_bytes < 1_000  # their headers, not their 1,797 x 784 pixels
    monkeypatch.undo()
    assert load_mnist(tmp_path).train_images.shape == (1500, 28, 28)


def test_module_constants_match_the_format():
    assert (IMAGES_MAGIC, LABELS_MAGIC) == (2051, 2049)
    assert mnist_files.idx_file_names("train-images-idx3-ubyte") == (
        "train-images-idx3-ubyte",
        "train-images-idx3-ubyte.gz",
        "train-images.idx3-ubyte",
        "train-images.idx3-ubyte.gz",
    )
