"""MNIST-format files: loading, refusals before anything runs, 28x28 throughout.

The tests write the shipped 8x8 digits, enlarged to 28x28, in MNIST's formats
(:mod:`mnist_samples`), valid and corrupt: small, and any content will do. The study on
the real MNIST digits runs in ``tests/study/test_mnist_study.py`` (slow tier).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest
from mnist_samples import FORMS, N_TEST, N_TRAIN, digits28, write_mnist
from PIL import Image
from scipy import ndimage

from digits_helpers import cli
from digits_helpers.core.registry import (
    MNIST_CNN_REFERENCE,
    MNIST_MLP_REFERENCE,
)
from digits_helpers.data import augment, scan
from digits_helpers.data import digits as data
from digits_helpers.data.mnist_files import write_idx
from digits_helpers.reading import predict
from digits_helpers.run import params, pipeline
from digits_helpers.run.params import ParameterError
from digits_helpers.study import plots

MNIST = ["dataset=mnist", "cnn_augmentations=[shifts]"]  # scan: ten times the digits


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    return digits28()


@pytest.fixture
def mnist_dir(tmp_path, arrays) -> Path:
    """A folder with the four gzipped IDX files."""
    write_mnist(tmp_path / "mnist", "idx.gz", arrays)
    return tmp_path / "mnist"


# Loading


@pytest.mark.parametrize("form", FORMS)
def test_mnist_pools_training_and_test_files_scaled_to_unit_range(tmp_path, arrays, form):
    write_mnist(tmp_path, form, arrays)
    dataset = data.load_dataset("mnist", data_dir=tmp_path)
    assert dataset.name == "mnist"
    assert dataset.images.shape == (N_TRAIN + N_TEST, 28, 28)
    assert dataset.images.dtype == np.float32
    assert dataset.image_shape == (28, 28)
    expected = np.concatenate([arrays["train_images"], arrays["test_images"]]) / 255
    np.testing.assert_allclose(dataset.images, expected, atol=1e-6)
    labels = np.concatenate([arrays["train_labels"], arrays["test_labels"]])
    np.testing.assert_array_equal(dataset.target, labels)


def test_max_images_keeps_the_first_digits_in_file_order(mnist_dir, arrays):
    dataset = data.load_dataset("mnist", data_dir=mnist_dir, max_images=200)
    assert dataset.images.shape == (200, 28, 28)
    np.testing.assert_array_equal(dataset.target, arrays["train_labels"][:200])


def test_max_images_limits_the_digits_too():
    assert data.load_dataset("digits", max_images=150).images.shape == (150, 8, 8)


def test_the_default_digits_are_unchanged(digits):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    assert digits.images.dtype == np.float32
    np.testing.assert_array_equal(digits.images, (bunch.images / 16).astype(np.float32))


def test_mnist_splits_like_the_digits(mnist_dir):
    split = data.load_split("mnist", data_dir=mnist_dir, test_size=0.2, random_state=42)
    summary = split.summary()
    assert summary["name"] == "mnist" and summary["image_shape"] == [28, 28]
    assert summary["n_features"] == 784
    assert (summary["n_train"], summary["n_test"]) == (1437, 360)
    assert split.train_images.shape == (1437, 28, 28)
    again = data.load_split("mnist", data_dir=mnist_dir, test_size=0.2, random_state=42)
    assert again.digest() == split.digest()
    other = data.load_split("mnist", data_dir=mnist_dir, test_size=0.2, random_state=7)
    assert other.digest() != split.digest()


@pytest.mark.parametrize(
    ("name", "data_dir", "problem"),
    [
        ("mnist", "", "data_dir must name their folder"),
        ("digits", "/somewhere", "data_dir must be empty"),
        ("emnist", "", "dataset must be one of 'digits', 'mnist'"),
    ],
)
def test_load_dataset_refuses_a_folder_that_does_not_fit_the_dataset(name, data_dir, problem):
    with pytest.raises(ValueError, match=problem):
        data.load_dataset(name, data_dir=data_dir)


# Parameters: refused before anything runs, the file named


def test_mnist_parameters_are_accepted_and_the_folder_made_absolute(mnist_dir, monkeypatch):
    monkeypatch.chdir(mnist_dir.parent)
    values = params.resolve("quick", assignments=[*MNIST, "data_dir=mnist", "max_images=500"])
    assert values["dataset"] == "mnist" and values["max_images"] == 500
    assert values["data_dir"] == str(mnist_dir)


def test_the_mnist_profile_is_valid_with_a_folder(mnist_dir):
    values = params.resolve("mnist", assignments=[f"data_dir={mnist_dir}"])
    assert values["dataset"] == "mnist" and "scan" not in values["cnn_augmentations"]
    assert values["target_accuracy"] == pytest.approx(MNIST_MLP_REFERENCE)
    assert values["beyond_target"] == pytest.approx(MNIST_CNN_REFERENCE)


def test_files_of_another_image_size_are_refused(tmp_path, arrays):
    """MNIST-format files of 16x16 digits would reach chapters and models built for 28x28."""
    small = {k: (v[:, :16, :16] if v.ndim == 3 else v) for k, v in arrays.items()}
    write_mnist(tmp_path / "small", "idx", small)
    with pytest.raises(ParameterError, match="are 16x16; MNIST's are 28x28"):
        params.resolve("quick", assignments=[*MNIST, f"data_dir={tmp_path / 'small'}"])


@pytest.mark.parametrize(
    ("values", "numbers"),
    [
        ({"max_images": 100, "test_size": 0.05, "cv": 3}, "100 digits give 5 to test and 95"),
        ({"max_images": 200, "test_size": 0.2, "cv": 20}, "200 digits give 40 to test and 160"),
    ],
)
def test_too_few_digits_for_the_split_are_refused_before_anything_runs(values, numbers):
    """Else scikit-learn would stop chapter 1 or the search with a traceback."""
    problem = f"parameter 'max_images' is too small.*{numbers}"
    with pytest.raises(ParameterError, match=problem):
        params.resolve("quick", assignments=[f"{k}={v}" for k, v in values.items()])
    with pytest.raises(ParameterError, match=problem):
        params.check_notebook_parameters(values)
    params.check_notebook_parameters({**values, "max_images": 0})  # all 1,797: enough


def test_the_mnist_profile_reads_the_projects_real_digits_by_default(tmp_path, monkeypatch):
    # data/mnist of the project above the current folder, which `make data` sets up.
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").touch()
    monkeypatch.chdir(tmp_path / "notebooks")
    with pytest.raises(ParameterError, match=f"parameter 'data_dir': .*{tmp_path}/data/mnist"):
        params.resolve("mnist")


def test_an_empty_data_dir_is_refused_for_mnist():
    with pytest.raises(ParameterError, match="parameter 'data_dir' must name the folder"):
        params.resolve("mnist", assignments=["data_dir=''"])


def _break(folder: Path, how: str, arrays: dict) -> str:
    """Damage a folder of plain IDX files; the name of the file the message must give."""
    if how == "no folder":
        return str(folder / "absent")
    if how == "no files":
        for path in folder.iterdir():
            path.unlink()
        return str(folder)
    if how == "a file missing":
        (folder / "t10k-labels-idx1-ubyte").unlink()
        return "t10k-labels-idx1-ubyte"
    if how == "labels as images":
        path = folder / "train-images-idx3-ubyte"
        path.write_bytes((folder / "train-labels-idx1-ubyte").read_bytes())
        return "train-images-idx3-ubyte"
    if how == "not an IDX file":
        (folder / "t10k-images-idx3-ubyte").write_bytes(b"<html>not found</html>")
        return "t10k-images-idx3-ubyte"
    if how == "a count that differs":
        write_idx(folder / "train-labels-idx1-ubyte", arrays["train_labels"][:-1])
        return "train-labels-idx1-ubyte"
    if how == "truncated":
        path = folder / "train-images-idx3-ubyte"
        path.write_bytes(path.read_bytes()[:-100])
        return "train-images-idx3-ubyte"
    if how == "a label out of range":
        labels = arrays["test_labels"].copy()
        labels[3] = 12
        write_idx(folder / "t10k-labels-idx1-ubyte", labels)
        return "t10k-labels-idx1-ubyte"
    if how == "corrupt npz":
        for path in folder.iterdir():
            path.unlink()
        (folder / "mnist.npz").write_bytes(b"PK\x03\x04 broken")
        return "mnist.npz"
    raise AssertionError(how)


BREAKS = (
    "no folder",
    "no files",
    "a file missing",
    "labels as images",
    "not an IDX file",
    "a count that differs",
    "truncated",
    "a label out of range",
    "corrupt npz",
)


@pytest.mark.parametrize("how", BREAKS)
def test_bad_mnist_files_are_refused_naming_the_file(tmp_path, arrays, how, capsys, monkeypatch):
    folder = tmp_path / "mnist"
    write_mnist(folder, "idx", arrays)
    named = _break(folder, how, arrays)
    data_dir = str(folder / "absent") if how == "no folder" else str(folder)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)  # were it accepted, nothing could run here
    assert cli.main(["run", "--set", "dataset=mnist", "--set", f"data_dir={data_dir}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("digits-book run: error: parameter 'data_dir': ")
    assert err.count("\n") == 1 and named in err
    assert list(project.iterdir()) == []


def test_a_corrupt_gzip_stream_past_the_header_is_named_when_loading(tmp_path, arrays):
    write_mnist(tmp_path, "idx.gz", arrays)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    packed = bytearray(path.read_bytes())
    packed[len(packed) // 2 :] = bytes(len(packed) - len(packed) // 2)  # zeros: bad stream
    path.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz"):
        data.load_dataset("mnist", data_dir=tmp_path)


def test_the_check_reads_headers_and_labels_not_pixels(mnist_dir):
    # A gzipped image file whose pixels are cut short still passes the pre-run check (its
    # header is sound); loading it is what finds the truncation, naming the file.
    path = mnist_dir / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-1000], mtime=0))
    params.check_data_source({"dataset": "mnist", "data_dir": str(mnist_dir)})
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz.*truncated"):
        data.load_dataset("mnist", data_dir=mnist_dir)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"dataset": "mnist", "data_dir": ""}, "parameter 'data_dir' must name the folder"),
        ({"dataset": "digits", "data_dir": "/data"}, "parameter 'data_dir' must be ''"),
    ],
)
def test_the_notebooks_parameter_check_covers_the_data_source(values, problem):
    with pytest.raises(ParameterError, match=problem):
        params.check_notebook_parameters(values)


def test_a_notebook_checks_the_files_too(tmp_path):
    with pytest.raises(ParameterError, match="no complete set of MNIST files"):
        params.check_notebook_parameters({"dataset": "mnist", "data_dir": str(tmp_path)})


@pytest.mark.parametrize("value", [-1, 1, 99, 2.5, "all", True])
def test_max_images_must_be_zero_or_at_least_100(value):
    with pytest.raises(ParameterError, match="parameter 'max_images' must be 0"):
        params.resolve("quick", assignments=[f"max_images={json.dumps(value)}"])


def test_the_command_refuses_in_one_line_without_a_traceback(tmp_path):
    from study import REPO, digits_book

    completed = digits_book(
        REPO, "run", "--check", "--set", "dataset=mnist", "--set", f"data_dir={tmp_path}"
    )
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr
    assert str(tmp_path) in completed.stderr and "train-images-idx3-ubyte" in completed.stderr


# 28x28 through the study


def test_shift_augmentation_takes_the_shape_from_the_data(mnist_dir):
    split = data.load_split("mnist", data_dir=mnist_dir)
    X, y = augment.shift_augment_rows(split.X_train, split.y_train, split.image_shape)
    assert X.shape == (5 * len(split.X_train), 784) and len(y) == len(X)
    images, labels = augment.augmented(split.train_images, split.y_train, "shifts", seed=0)
    assert images.shape == (5 * len(split.X_train), 28, 28) and len(labels) == len(images)
    # A one-pixel shift to the right moves the ink one column, within the 28 columns.
    right = images[len(split.X_train) :].reshape(4, -1, 28, 28)
    assert any(np.array_equal(r[:, :, 1:], split.train_images[:, :, :-1]) for r in right)


def test_the_scan_variants_of_28x28_digits_are_prepared_as_mnist(mnist_dir):
    split = data.load_split("mnist", data_dir=mnist_dir)
    images = split.train_images[:20]
    grown, labels = augment.augmented(images, split.y_train[:20], "scan", seed=0)
    assert grown.shape == (10 * 20, 28, 28) and len(labels) == len(grown)
    varied = augment.scan_variants(images, 1, rng=np.random.default_rng(1))
    again = augment.scan_variants(images, 1, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(varied, again)
    assert not np.array_equal(varied, augment.rescanned(images))
    for digit in varied:  # each in MNIST's 20-pixel box, centred by its mass
        centre = np.array(ndimage.center_of_mass(digit))
        assert np.all(np.abs(centre - 13.5) <= 0.5)


def test_sample_digits_draws_28x28_images(mnist_dir):
    dataset = data.load_dataset("mnist", data_dir=mnist_dir, max_images=100)
    figure = plots.sample_digits(dataset.images[:4], dataset.target[:4], title="MNIST")
    heatmaps = [trace for trace in figure.data if trace.type == "heatmap"]
    assert heatmaps and all(np.asarray(trace.z).shape == (28, 28) for trace in heatmaps)


# The pipeline


def test_replaced_data_files_change_every_cache_key(mnist_dir, arrays):
    values = {"dataset": "mnist", "data_dir": str(mnist_dir)}
    before = pipeline.data_files_digest(values)
    (labels,) = [p for p in mnist_dir.iterdir() if p.name.startswith("t10k-labels")]
    kept = labels.stat()
    reversed_labels = arrays["test_labels"][::-1].copy()
    write_idx(labels, reversed_labels, gzipped=labels.suffix == ".gz")
    os.utime(labels, ns=(kept.st_atime_ns, kept.st_mtime_ns))  # as `cp -p` or `rsync -a`
    assert pipeline.data_files_digest(values) != before
    assert pipeline.data_files_digest({"dataset": "digits", "data_dir": ""}) == ""


# A scan prepared as MNIST's digits were made


@pytest.mark.parametrize(("size", "dark_ink"), [(28, True), (100, False), (300, True)])
def test_a_scan_is_prepared_in_a_20_pixel_box_centred_by_its_mass(arrays, size, dark_ink):
    for image in arrays["test_images"][:20] / 255:
        grey = scan.render_digit(image.astype(np.float32), size, dark_ink=dark_ink)
        prepared = scan.mnist_features(scan.find_ink(grey.astype(np.float32) / 255))
        assert prepared.shape == (28, 28) and prepared.dtype == np.float32
        assert 0 <= prepared.min() and prepared.max() <= 1
        rows = np.flatnonzero(prepared.max(axis=1) > 0)
        cols = np.flatnonzero(prepared.max(axis=0) > 0)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == 20
        centre = np.array(ndimage.center_of_mass(prepared))
        assert np.all(np.abs(centre - 13.5) <= 0.5)


def test_the_preparation_follows_the_models_dataset(tmp_path, arrays):
    path = tmp_path / "digit.png"
    grey = scan.render_digit(arrays["test_images"][0].astype(np.float32) / 255, 80)
    Image.fromarray(grey).save(path)
    assert predict.file_features(path, dataset="mnist").shape == (1, 28, 28)
    assert predict.file_features(path).shape == (1, 8, 8)
    assert scan.preparation("mnist").image_shape == (28, 28)
    with pytest.raises(ValueError, match="'digits', 'mnist' only"):
        scan.preparation("emnist")
