"""The CNN on MNIST-format files: built for 28x28 inputs from the split's image shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from mnist_samples import digits28, write_mnist

from digits_helpers.data import digits as data


@pytest.fixture
def mnist_dir(tmp_path) -> Path:
    write_mnist(tmp_path / "mnist", "idx.gz", digits28())
    return tmp_path / "mnist"


def test_the_cnn_is_built_for_the_datas_image_size(mnist_dir):
    from digits_helpers.models import beyond

    split = data.load_split("mnist", data_dir=mnist_dir)
    cnn = beyond.build_cnn(split.image_shape, split.n_classes)
    assert cnn.input_shape == (None, 28, 28, 1) and cnn.output_shape == (None, 10)
    probabilities = cnn.predict(split.test_images[:3, ..., None], verbose=0)
    assert probabilities.shape == (3, 10)
