"""Saved scikit-learn models and their cards: what loading checks before trusting a file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import skops.io
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import SVC

from digits_helpers.core import files
from digits_helpers.core.registry import SKLEARN_MLP
from digits_helpers.core.registry import SVC as SVC_MODEL
from digits_helpers.models import artifacts, search


@pytest.fixture(scope="module")
def mlp(split):
    return search.base_estimator(max_iter=30, random_state=0).fit(split.X_train, split.y_train)


@pytest.fixture
def saved(tmp_path, split, mlp):
    artifacts.save_model(tmp_path, SKLEARN_MLP, mlp, split=split, parameters={"alpha": 0.0001})
    return tmp_path


def test_a_saved_model_loads_back_and_predicts_as_before(saved, split, mlp):
    loaded = artifacts.load_model(saved, SKLEARN_MLP)
    assert type(loaded.estimator).__name__ == "MLPClassifier"  # scikit-learn's own class
    np.testing.assert_array_equal(
        loaded.probabilities(split.test_images), mlp.predict_proba(split.X_test)
    )


def test_the_card_says_what_the_model_is(saved, split, mlp):
    card = json.loads((saved / "models" / "sklearn" / "model.json").read_text())
    assert card["model"] == "scikit-learn MLP" and card["file"] == "model.skops"
    assert card["dataset"] == "digits" and card["image_shape"] == [8, 8]
    assert card["split"] == split.identity() and card["n_classes"] == 10
    assert card["test_accuracy"] == float((mlp.predict(split.X_test) == split.y_test).mean())
    assert card["parameters"] == {"alpha": 0.0001} and card["repeated_split"] is None
    assert card["sha256"] == files.sha256(saved / "models" / "sklearn" / "model.skops")
    assert {"scikit-learn", "numpy", "python"} <= set(card["versions"])
    assert "optdigits" in card["preprocessing"]
    assert sorted(p.name for p in (saved / "models" / "sklearn").iterdir()) == [
        "model.json",
        "model.skops",
    ]  # no temporary file left


def test_a_tampered_model_file_is_refused_before_it_is_loaded(saved):
    path = saved / "models" / "sklearn" / "model.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(artifacts.ModelRefused, match=r"model\.skops: SHA-256 .* differs from its"):
        artifacts.load_model(saved, SKLEARN_MLP)


def test_a_model_of_another_dataset_is_refused(saved):
    card_path = saved / "models" / "sklearn" / "model.json"
    card = json.loads(card_path.read_text())
    card["dataset"] = "mnist"
    card_path.write_text(json.dumps(card))
    with pytest.raises(artifacts.ModelRefused, match="trained on dataset 'mnist'.*'digits'"):
        artifacts.load_model(saved, SKLEARN_MLP)


def test_a_model_reading_other_shapes_is_refused(saved):
    with pytest.raises(artifacts.ModelRefused, match="reads 8x8 images.*prepared as 28x28"):
        artifacts.load_model(saved, SKLEARN_MLP, image_shape=(28, 28))


def test_a_card_that_lies_about_the_shape_is_caught_by_the_model_itself(saved):
    card_path = saved / "models" / "sklearn" / "model.json"
    card = json.loads(card_path.read_text())
    card["image_shape"] = [4, 4]
    card_path.write_text(json.dumps(card))
    with pytest.raises(artifacts.ModelRefused, match=r"reads inputs of shape \(64,\), its card"):
        artifacts.load_model(saved, SKLEARN_MLP, image_shape=(4, 4))


def test_a_missing_card_or_file_is_refused(saved):
    (saved / "models" / "sklearn" / "model.skops").unlink()
    with pytest.raises(artifacts.ModelRefused, match=r"model\.skops: missing"):
        artifacts.load_model(saved, SKLEARN_MLP)
    with pytest.raises(artifacts.ModelRefused, match="no model card"):
        artifacts.load_model(saved, SVC_MODEL)


def test_a_file_holding_an_untrusted_type_is_refused(saved):
    # A file re-made with a type outside scikit-learn's, its card updated to match:
    # the hash passes, skops refuses to create the type.
    folder = saved / "models" / "sklearn"
    skops.io.dump({"payload": artifacts.LoadedModel}, folder / "model.skops")
    card = json.loads((folder / "model.json").read_text())
    card["sha256"] = files.sha256(folder / "model.skops")
    (folder / "model.json").write_text(json.dumps(card))
    with pytest.raises(artifacts.ModelRefused, match="cannot be loaded safely"):
        artifacts.load_model(saved, SKLEARN_MLP)


def test_the_svc_with_probabilities_round_trips(tmp_path, split):
    svc = CalibratedClassifierCV(SVC(C=10), cv=3, ensemble=False).fit(split.X_train, split.y_train)
    artifacts.save_model(tmp_path, SVC_MODEL, svc, split=split, parameters={"C": 10})
    loaded = artifacts.load_model(tmp_path, SVC_MODEL)
    np.testing.assert_allclose(
        loaded.probabilities(split.test_images), svc.predict_proba(split.X_test)
    )
    assert artifacts.read_card(tmp_path, SVC_MODEL)["test_accuracy"] > 0.97


def test_the_best_model_is_the_highest_repeated_mean_and_the_first_on_a_tie():
    spread = {"CNN": {"mean": 0.99}, "RBF SVC": {"mean": 0.99}, "scikit-learn MLP": {"mean": 0.97}}
    assert artifacts.best_model(spread).key == "cnn"
    with pytest.raises(ValueError, match="scored no model"):
        artifacts.best_model({"other": {"mean": 1.0}})


def test_results_list_the_saved_models_and_cards_get_the_repeated_splits(saved):
    spread = {"scikit-learn MLP": {"mean": 0.97, "std": 0.01, "min": 0.96, "max": 0.98}}
    artifacts.record_repeated_splits(saved, spread)
    assert artifacts.read_card(saved, SKLEARN_MLP)["repeated_split"] == spread["scikit-learn MLP"]
    section = artifacts.models_section(saved, {**spread, "CNN": {"mean": 0.99}})
    assert section["best"] == "sklearn"  # the CNN was not saved in this run
    assert section["saved"]["sklearn"]["path"] == "models/sklearn/model.skops"
    assert section["saved"]["sklearn"]["repeated_mean"] == 0.97
