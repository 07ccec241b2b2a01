"""Stage files, results.json and atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digits_helpers.core import files
from digits_helpers.study import results


def test_stage_round_trip_converts_numpy(tmp_path):
    results.save_stage(tmp_path, "sklearn", {"p": np.arange(3), "s": np.float32(0.5), "t": (1, 2)})
    assert results.load_stage(tmp_path, "sklearn") == {"p": [0, 1, 2], "s": 0.5, "t": [1, 2]}


def test_missing_stage_names_the_notebook_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="02_sklearn_search"):
        results.load_stage(tmp_path, "sklearn")


def test_unknown_stage_is_refused(tmp_path):
    with pytest.raises(ValueError, match="preprocessing"):
        results.save_stage(tmp_path, "tensorflow", {})


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "r.json"
    files.write_json(path, {"good": 1})
    with pytest.raises(TypeError):
        files.write_json(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"good": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_assemble_merges_stages_parameters_timings_and_versions(tmp_path):
    results.save_stage(tmp_path, "preprocessing", {"dataset": {"name": "digits"}})
    results.save_stage(tmp_path, "keras", {"best": {"index": 0}})
    document = results.assemble(tmp_path, {"cv": 3}, {"total_seconds": 1.0})
    assert document["dataset"] == {"name": "digits"} and document["parameters"] == {"cv": 3}
    assert document["keras"]["best"]["index"] == 0 and "sklearn" not in document
    assert "scikit-learn" in document["versions"] and document["timings"]["total_seconds"] == 1.0
