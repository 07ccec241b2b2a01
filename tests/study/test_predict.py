"""``digits-book predict`` on real image files, with the models the smoke study saved.

The smoke run of ``conftest.py`` saves every model; its reading chapter writes the held-out
test digits to PNG, JPEG and TIFF files under twelve conditions and reads them back, and a
strip of a form. These tests check what it measured, and run the command itself on files
written here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from study import copy_sources, digits_book

from digits_helpers import cli
from digits_helpers.core.files import sha256
from digits_helpers.core.registry import MODELS, READER
from digits_helpers.data import scan
from digits_helpers.models import artifacts
from digits_helpers.reading import checks as reading

# The bar: files read as the digit in memory is, over every condition.
MIN_AGREEMENT = 0.97


@pytest.fixture(scope="module")
def run_dir(study_project, smoke_results) -> Path:
    return study_project / "runs" / "smoke"


def test_every_model_is_saved_with_a_card_and_the_best_is_named(smoke_results, run_dir):
    models = smoke_results["models"]
    assert set(models["saved"]) == {model.key for model in MODELS}
    spread = smoke_results["comparison"]["spread"]
    assert models["best"] == artifacts.best_model(spread).key
    for model in MODELS:
        card = artifacts.read_card(run_dir, model)
        assert card["repeated_split"] == spread[model.name]
        assert card["sha256"] == sha256(run_dir / models["saved"][model.key]["path"])
        assert card["test_accuracy"] > 0.9, model.name


def test_the_reader_is_saved_with_the_threshold_chosen_on_validation(smoke_results, run_dir):
    saved = smoke_results["models"]["reader"]
    card = artifacts.read_card(run_dir, READER)
    assert card["threshold"] == saved["threshold"] == smoke_results["reader"]["threshold"]
    assert card["temperature"] == smoke_results["reader"]["temperature"]
    assert card["sha256"] == sha256(run_dir / saved["path"])
    assert card["dataset"] == "digits" and card["trained_on"]["n_mnist"] > 5000
    held_out = smoke_results["reader"]["held_out"]  # an unreadable file counts as wrong there
    assert abs(card["test_accuracy"] - held_out["accuracy"]) <= held_out["unreadable"] / 1996


# What the chapter reads is checked for every file; how well the best model reads them, on
# the quick profile's models (slow tier): the smoke run's are trained too briefly for it.
WELL_TRAINED = pytest.param("quick", marks=pytest.mark.slow)


def test_test_digits_written_to_files_are_all_read(smoke_results):
    agreement = smoke_results["reading"]["agreement"]
    assert [row["condition"] for row in agreement] == [c.label for c in reading.CONDITIONS]
    files = sum(row["files"] for row in agreement)
    assert files == len(reading.CONDITIONS) * smoke_results["dataset"]["n_test"]
    assert all(row["unreadable"] == 0 for row in agreement)


@pytest.mark.parametrize("profile", [WELL_TRAINED])
def test_test_digits_written_to_files_read_as_in_memory(request, profile):
    results = request.getfixturevalue(f"{profile}_results")
    agreement = results["reading"]["agreement"]
    files = sum(row["files"] for row in agreement)
    agreed = sum(row["agreement"] * row["files"] for row in agreement) / files
    assert agreed >= MIN_AGREEMENT, agreement


@pytest.mark.parametrize("profile", [WELL_TRAINED])
def test_the_chapters_strip_is_read_back_correctly(request, profile):
    strip = request.getfixturevalue(f"{profile}_results")["reading"]["strip"]
    assert any(gap < 0 for gap in strip["gaps"])  # one pair touches
    assert strip["read"] == strip["truth"]


def _write(path: Path, grey: np.ndarray) -> Path:
    Image.fromarray(grey).save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory, split) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scans")
    written = {}
    for index in range(3):
        digit = split.test_images[index]
        written[f"digit{index}"] = _write(
            folder / f"digit{index}.png", scan.render_digit(digit, 80)
        )
    written["not-an-image"] = folder / "notes.png"
    written["not-an-image"].write_text("hello")
    blank = np.full((60, 60), 240, dtype=np.uint8)
    written["blank"] = _write(folder / "blank.png", blank)
    strip = reading.compose_form(
        split.test_images[10:15], split.y_test[10:15], gaps=[10, -2, 18, 7]
    )
    written["strip"] = _write(folder / "strip.png", strip.grey)
    written["strip-truth"] = strip.truth
    return written


def test_predict_prints_one_line_per_digit_and_goes_on_after_a_bad_file(
    study_project, run_dir, files, split
):
    names = ["digit0", "not-an-image", "digit1", "blank", "strip", "digit2"]
    done = digits_book(study_project, "predict", "--run", "smoke", *(str(files[n]) for n in names))
    assert done.returncode == 1  # some files were not read
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [str(files[f"digit{i}"]) for i in range(3)]
    for line in lines:
        assert "top 3:" in line and "(p=" in line
    errors = done.stderr.splitlines()
    assert len(errors) == 3 and "Traceback" not in done.stderr
    assert f"{files['not-an-image']}: error: not a PNG, JPEG or TIFF image" in errors[0]
    assert f"{files['blank']}: error: blank image" in errors[1]
    # Five digits, two of them touching: four pieces of ink.
    assert f"{files['strip']}: error: 4 separate pieces of ink side by side" in errors[2]
    assert "use --form" in errors[2]


def _predict_here(project: Path, monkeypatch, capsys, *arguments: str):
    """``digits-book predict`` in this process (TensorFlow loaded once): status, out, err.

    The command's own process is tested by the tests that call :func:`digits_book`.
    """
    monkeypatch.chdir(project)
    status = cli.main(["predict", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("choice", [[], ["--model", "best"]], ids=["default-reader", "best"])
def test_predict_reads_the_digits_as_the_model_does_in_memory(
    study_project, run_dir, files, split, choice, monkeypatch, capsys
):
    status, out, err = _predict_here(
        study_project,
        monkeypatch,
        capsys,
        "--json",
        *choice,
        *(str(files[f"digit{i}"]) for i in range(3)),
    )
    assert status == 0, err
    read = [json.loads(line) for line in out.splitlines()]
    model = artifacts.best_model(_spread(run_dir)) if choice else READER
    loaded = artifacts.load_model(run_dir, model)
    expected = reading.in_memory_predictions(loaded, split.test_images[:3])
    assert [r["digits"][0]["digit"] for r in read] == expected.tolist()
    for r in read:
        assert r["model"] == loaded.model.key and len(r["digits"][0]["top"]) == 3
        assert r["digits"][0]["probability"] == r["digits"][0]["top"][0][1]


def _spread(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())["comparison"]["spread"]


@pytest.mark.parametrize("profile", [WELL_TRAINED])
def test_predict_form_reads_a_strip_with_a_touching_pair(request, study_project, files, profile):
    request.getfixturevalue(f"{profile}_results")
    read = {}
    for model in ("best", "reader"):
        done = digits_book(
            study_project,
            "predict",
            "--run",
            profile,
            "--model",
            model,
            "--form",
            "--json",
            str(files["strip"]),
        )
        assert done.returncode == 0, done.stderr
        (read[model],) = [json.loads(line) for line in done.stdout.splitlines()]
        assert [d["cut"] for d in read[model]["digits"]] == [False, True, True, False, False]
    # the best model at 0.8 prints the strip; the reader's threshold is set for strangers'
    # digits and may send a digit to a person, but its first choices are the digits written
    assert read["best"]["text"] == files["strip-truth"]
    first_choices = "".join(str(d["digit"]) for d in read["reader"]["digits"])
    assert first_choices == files["strip-truth"]


def test_an_unsure_digit_is_flagged_not_guessed(study_project, files, monkeypatch, capsys):
    status, out, err = _predict_here(
        study_project,
        monkeypatch,
        capsys,
        "--threshold",
        "0.9999999",
        "--form",
        str(files["strip"]),
    )
    assert status == 0, err
    text = out.split(": ", 1)[1].split(" ")[0]
    assert "?" in text  # no model is that sure of every digit of a strip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--model", "forest"], "--model must be one of best, sklearn, keras, shifted_mlp"),
        (["--threshold", "1.5"], "--threshold must be between 0 and 1 (got 1.5)"),
        (["--run", "nope"], "no finished run 'nope'"),
    ],
)
def test_bad_arguments_are_refused_with_status_2(study_project, files, arguments, message):
    done = digits_book(study_project, "predict", *arguments, str(files["digit0"]))
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_every_saved_model_can_be_chosen(study_project, files, monkeypatch, capsys):
    for model in (*MODELS, READER):
        status, out, err = _predict_here(
            study_project,
            monkeypatch,
            capsys,
            "--run",
            "smoke",
            "--model",
            model.key,
            str(files["digit0"]),
        )
        assert status == 0, (model.key, err)
        assert out.startswith(f"{files['digit0']}: "), (model.key, out)


@pytest.fixture
def copied_run(run_dir, tmp_path):
    """The smoke run copied as ``tampered`` into a project of its own, for one test to damage."""
    project = copy_sources(tmp_path / "digits-book")
    shutil.copytree(run_dir, project / "runs" / "tampered")
    return project, "tampered", project / "runs" / "tampered"


def test_a_tampered_model_file_is_refused(files, copied_run):
    project, name, copy = copied_run
    path = copy / "models" / "cnn" / "model.keras"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    done = digits_book(project, "predict", "--run", name, "--model", "cnn", str(files["digit0"]))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{path}: SHA-256" in done.stderr and "differs from its card" in done.stderr


def test_a_model_from_another_dataset_is_refused(files, copied_run):
    project, name, copy = copied_run
    card_path = copy / "models" / "svc" / "model.json"
    card = json.loads(card_path.read_text())
    card["dataset"], card["image_shape"] = "emnist", [28, 28]
    card_path.write_text(json.dumps(card))
    done = digits_book(project, "predict", "--run", name, "--model", "svc", str(files["digit0"]))
    assert done.returncode == 2
    assert "scans are prepared for models of 'digits', 'mnist' only (got 'emnist')" in (done.stderr)


def test_a_card_that_misstates_the_models_input_is_refused(files, copied_run):
    # The card says MNIST, so the scan is prepared as 28x28; the file reads 64 inputs.
    project, name, copy = copied_run
    card_path = copy / "models" / "svc" / "model.json"
    card = json.loads(card_path.read_text())
    card["dataset"], card["image_shape"] = "mnist", [28, 28]
    card_path.write_text(json.dumps(card))
    done = digits_book(project, "predict", "--run", name, "--model", "svc", str(files["digit0"]))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the model reads inputs of shape (64,), its card (784,)" in done.stderr
