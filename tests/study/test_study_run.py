"""End to end: the real study through ``digits-book run``, its results and its refusals.

The session's smoke run (``conftest.smoke_results``) executes every notebook once in a copy
of the project; the tests read its ``results.json`` and try invalid parameters. The slow
tier checks the quick profile's run the same way, and a second split (``seed7``). The
book of the run is tested in ``tests/book/test_pages.py``.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

import pytest
from study import SEED7_SETTINGS, digits_book

from digits_helpers.core.registry import CNN, MODELS, SHIFTED_MLP, STAGES, SVC
from digits_helpers.core.values import jsonable
from digits_helpers.run.params import resolve

CHAPTERS = tuple(step.notebook for step in STAGES)


def snapshot(directory: Path) -> dict[str, int]:
    """Every path under ``directory`` (itself included) with its modification time."""
    return {
        path.relative_to(directory).as_posix(): path.stat().st_mtime_ns
        for path in (directory, *directory.rglob("*"))
    }


@pytest.fixture(scope="module")
def project(study_project) -> Path:
    """The project's sources, without .venv, runs, _build or staged chapters."""
    return study_project


@pytest.fixture(scope="module", params=["smoke", pytest.param("quick", marks=pytest.mark.slow)])
def profile_run(request) -> tuple[str, dict]:
    """A profile and results.json of its run with the default parameters."""
    return request.param, request.getfixturevalue(f"{request.param}_results")


# --- results.json of each profile's run----------------------------------------------------


def test_results_json_has_every_section(profile_run):
    _, results = profile_run
    assert set(results) >= {
        "parameters",
        "dataset",
        "sklearn",
        "keras",
        "beyond",
        "comparison",
        "reading",
        "reader",
        "models",
        "timings",
        "machine",
        "versions",
    }


def test_results_json_records_the_profiles_parameters(profile_run):
    profile, results = profile_run
    assert results["parameters"] == json.loads(json.dumps(jsonable(resolve(profile))))


def test_results_json_describes_the_digits_and_their_split(profile_run):
    _, results = profile_run
    dataset = results["dataset"]
    assert dataset["name"] == "digits"
    assert (dataset["n_samples"], dataset["n_features"]) == (1797, 64)
    assert (dataset["n_train"], dataset["n_test"]) == (1437, 360)


def test_scikit_learn_search_reports_its_best_model(profile_run):
    _, results = profile_run
    sklearn = results["sklearn"]
    grid = results["parameters"]["param_grid"]
    assert set(sklearn["best_params"]) == set(grid)
    for name, value in sklearn["best_params"].items():
        assert value in grid[name], name
    assert 0.90 < sklearn["best_cv_score"] <= 1
    assert 0.90 < sklearn["test_accuracy"] <= 1
    assert sklearn["search_seconds"] > 0
    assert len(sklearn["test_predictions"]) == results["dataset"]["n_test"]


def test_keras_sweep_reports_one_run_per_configuration(profile_run):
    _, results = profile_run
    keras = results["keras"]
    configurations = results["parameters"]["keras_configurations"]
    assert [run["config"] for run in keras["runs"]] == configurations
    for run in keras["runs"]:
        assert 0 < run["test_accuracy"] <= 1
        assert run["test_loss"] > 0
        assert run["train_seconds"] > 0
    best = keras["best"]
    assert 0 <= best["index"] < len(configurations)
    assert best["test_accuracy"] == keras["runs"][best["index"]]["test_accuracy"]
    assert best["test_accuracy"] > 0.90


def test_models_beyond_the_mlp_are_reported(profile_run):
    _, results = profile_run
    models = results["beyond"]["models"]
    assert [model["name"] for model in models] == [SHIFTED_MLP.name, CNN.name, SVC.name]
    for model in models:
        assert model["test_accuracy"] > 0.90, model["name"]
        assert model["train_seconds"] > 0, model["name"]
    shifted = models[0]["details"]
    assert shifted["config"] in results["parameters"]["keras_configurations"]
    assert shifted["hidden_units"] == results["parameters"]["keras_hidden_units"]


def test_comparison_reports_repeated_splits_and_mcnemar(profile_run):
    _, results = profile_run
    comparison = results["comparison"]
    assert comparison["repeat_seeds"] == results["parameters"]["repeat_seeds"]
    assert set(comparison["accuracies"]) == {model.name for model in MODELS}
    for name, scores in comparison["accuracies"].items():
        assert len(scores) == len(comparison["repeat_seeds"]), name
        assert all(0.90 < score <= 1 for score in scores), (name, scores)
    assert 0 <= comparison["mcnemar_p"] <= 1


def test_a_fresh_project_executes_every_notebook(profile_run, project):
    profile, results = profile_run
    timings = results["timings"]
    assert list(timings["notebooks"]) == list(CHAPTERS)
    assert timings["cached"] == []
    assert timings["total_seconds"] > 0
    run_dir = project / "runs" / profile
    assert sorted(p.stem for p in run_dir.glob("*.ipynb")) == sorted(CHAPTERS)


def test_results_json_records_the_package_versions_that_ran(profile_run):
    _, results = profile_run
    versions = results["versions"]
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    for package in ("numpy", "scikit-learn", "tensorflow-cpu", "plotly", "jupyter-book"):
        assert versions[package] == metadata.version(package), package


# --- the command line refuses bad parameters ------------------------------------------------


@pytest.mark.parametrize(
    ("assignment", "names", "accepts"),
    [
        ("test_size=1.5", "test_size", "from 0.05 to 0.5"),
        ("tset_size=0.3", "tset_size", "did you mean 'test_size'?"),
    ],
    ids=["invalid-value", "unknown-name"],
)
def test_invalid_parameter_is_refused_before_anything_runs(
    project, smoke_results, assignment, names, accepts
):
    before = snapshot(project / "runs")
    refused = digits_book(project, "run", "--profile", "smoke", "--set", assignment)
    assert refused.returncode == 2, refused.stderr
    assert names in refused.stderr
    assert accepts in refused.stderr
    if names == "tset_size":
        assert "test_size" in refused.stderr  # the list of known names points to the fix
    assert snapshot(project / "runs") == before


# --- another split seed (slow tier) -----------------------------------------------------


@pytest.mark.slow
def test_another_split_seed_changes_the_test_predictions(smoke_results, seed7):
    results, _ = seed7
    assert results["parameters"] == {**smoke_results["parameters"], **SEED7_SETTINGS}
    assert results["dataset"]["n_test"] == smoke_results["dataset"]["n_test"]
    for stage in ("sklearn", "keras", "beyond"):
        assert results[stage]["test_predictions"] != smoke_results[stage]["test_predictions"]


@pytest.mark.slow
def test_both_runs_are_kept_and_latest_names_the_last(project, smoke_results, seed7):
    _, latest_after_seed7 = seed7
    assert (project / "runs" / "smoke" / "results.json").exists()
    assert (project / "runs" / "seed7" / "results.json").exists()
    assert latest_after_seed7 == "seed7"
