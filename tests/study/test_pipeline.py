"""The papermill pipeline on a miniature project: all-or-nothing runs and the cache.

The notebooks here are tiny stand-ins with the study's names, so that these tests
exercise the real papermill execution, staging, publishing and caching in seconds. The
tiny project is run once per module (``ran``) and copied for each test that starts from a
finished run. The study's own notebooks run in ``test_study_run.py``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from study import tiny_project
from study import write_tiny_notebook as _write_notebook

from digits_helpers.core.registry import STAGES
from digits_helpers.run import pipeline
from digits_helpers.run.params import resolve
from digits_helpers.study import results


@pytest.fixture
def project(tmp_path):
    return tiny_project(tmp_path / "project")


def _run(project, **overrides):
    parameters = resolve("quick", assignments=[f"{k}={v}" for k, v in overrides.items()])
    return pipeline.run(parameters, name="trial", root=project, log=lambda message: None)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The tiny project after one run of ``trial``, and that run's report."""
    project = tiny_project(tmp_path_factory.mktemp("tiny") / "project")
    return project, _run(project)


@pytest.fixture
def ran(first_run, tmp_path):
    """A copy of the tiny project with its run and cache (times kept), for one test."""
    project, _ = first_run
    return Path(shutil.copytree(project, tmp_path / "project", symlinks=True))


def test_run_publishes_notebooks_and_results(first_run):
    project, report = first_run
    run_dir = project / "runs" / "trial"
    assert report.run_dir == run_dir
    assert sorted(p.name for p in run_dir.glob("*.ipynb")) == [s.filename for s in STAGES]
    document = json.loads((run_dir / results.RESULTS_FILE).read_text())
    assert document["parameters"]["cv"] == 3 and document["dataset"]["name"] == "digits"
    assert set(document["timings"]["notebooks"]) == {s.notebook for s in STAGES}
    assert (project / "runs" / "LATEST").read_text().strip() == "trial"


def test_each_notebook_receives_only_the_parameters_it_declares(project):
    _run(project, cv=4)
    stage = json.loads((project / "runs" / "trial" / "sklearn.json").read_text())
    assert stage == {"dataset": {"name": "digits"}, "cv": 4}
    nb = nbformat.read(project / "runs" / "trial" / "02_sklearn_search.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "cv = 4" in injected[0].source and "random_state" not in injected[0].source


def test_injected_parameters_are_folded_and_defaults_removed_for_the_book(ran):
    project = ran
    nb = nbformat.read(project / "runs" / "trial" / "01_preprocessing.ipynb", as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert "remove-cell" in tags[0] and "hide-input" in tags[1]
    assert nb.cells[1].metadata["mystnb"]["code_prompt_show"] == "Show the parameters of this run"


def test_unchanged_notebooks_are_reused_from_the_cache(ran):
    project = ran
    run_dir = project / "runs" / "trial"
    executed = {step.filename: (run_dir / step.filename).read_bytes() for step in STAGES}
    recorded = json.loads((run_dir / results.RESULTS_FILE).read_text())
    report = _run(project)
    assert all(step.cached for step in report.steps)
    # Byte for byte what the execution published (papermill's per-cell metadata included
    # or left out alike), so that the book built from the first run is still current.
    assert {name: (run_dir / name).read_bytes() for name in executed} == executed
    reused = json.loads((run_dir / results.RESULTS_FILE).read_text())
    assert reused["timings"]["cached"] == [step.notebook for step in STAGES]
    assert {k: v for k, v in reused.items() if k != "timings"} == {
        k: v for k, v in recorded.items() if k != "timings"
    }


def test_changing_one_parameter_reexecutes_only_the_notebooks_that_read_it(ran):
    project = ran
    report = _run(project, cv=5)
    executed = [s.name for s in report.steps if not s.cached]
    # The comparison and the reading chapters read what 02 saved.
    assert executed == [
        "02_sklearn_search",
        "05_comparison",
        "06_reading_a_form",
        "07_a_reader_for_other_hands",
    ]


def test_editing_a_notebook_reexecutes_it(ran):
    project = ran
    _write_notebook(
        project / "notebooks" / "03_keras_sweeps.ipynb", "keras", ("model_seed",), "x = 1"
    )
    report = _run(project)
    executed = [s.name for s in report.steps if not s.cached]
    assert executed == [
        "03_keras_sweeps",
        "05_comparison",
        "06_reading_a_form",
        "07_a_reader_for_other_hands",
    ]


def test_failed_run_names_the_notebook_and_keeps_the_earlier_run(ran):
    project = ran
    good = (project / "runs" / "trial" / "results.json").read_text()
    _write_notebook(
        project / "notebooks" / "04_beyond_the_mlp.ipynb",
        "beyond",
        ("cnn_epochs",),
        "raise RuntimeError('boom')",
    )
    with pytest.raises(pipeline.RunFailed, match=r"04_beyond_the_mlp\.ipynb failed in cell .*boom"):
        _run(project, cv=5)
    assert (project / "runs" / "trial" / "results.json").read_text() == good
    assert (project / "runs" / ".failed-trial" / "04_beyond_the_mlp.ipynb").exists()


def test_invalid_parameter_executes_nothing(project):
    parameters = resolve("quick")
    parameters["test_size"] = 1.5
    with pytest.raises(ValueError, match="test_size"):
        pipeline.run(parameters, name="trial", root=project, log=lambda message: None)
    assert not (project / "runs").exists()


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "../up"])
def test_run_name_must_be_a_plain_folder_name(project, name):
    with pytest.raises(ValueError, match="--name"):
        pipeline.run(resolve("quick"), name=name, root=project, log=lambda message: None)


def test_editing_only_prose_reuses_the_execution_and_shows_the_new_prose(ran):
    project = ran
    path = project / "notebooks" / "02_sklearn_search.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# A new title"))
    nbformat.write(nb, path)
    report = _run(project)
    assert all(step.cached for step in report.steps)
    published = nbformat.read(project / "runs" / "trial" / "02_sklearn_search.ipynb", 4)
    assert published.cells[0].source == "# A new title"
    tags = [c.metadata.get("tags", []) for c in published.cells]
    assert "injected-parameters" in tags[2] and "parameters" in tags[1]
    assert published.cells[3].outputs, "the executed outputs come along with the new prose"


def test_editing_only_tags_reuses_the_execution_with_the_new_tags(ran):
    project = ran
    path = project / "notebooks" / "03_keras_sweeps.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["tags"] = ["remove-input"]
    nbformat.write(nb, path)
    report = _run(project)
    assert all(step.cached for step in report.steps)
    published = nbformat.read(project / "runs" / "trial" / "03_keras_sweeps.ipynb", 4)
    assert published.cells[-1].metadata["tags"] == ["remove-input"]


def test_run_name_latest_is_reserved(project):
    with pytest.raises(ValueError, match="LATEST"):
        pipeline.run(resolve("quick"), name="LATEST", root=project, log=lambda message: None)


def test_incomplete_cache_entry_is_executed_again(ran):
    project = ran
    for meta in (project / "runs" / ".cache").glob("*/meta.json"):
        meta.unlink()
    report = _run(project)
    assert not any(step.cached for step in report.steps)


def _cache_entry(cache: Path, name: str, mtime: float) -> Path:
    entry = cache / name
    entry.mkdir(parents=True)
    (entry / "meta.json").write_text("{}")
    os.utime(entry, (mtime, mtime))
    return entry


def test_prune_cache_keeps_the_most_recently_used_and_the_protected(tmp_path):
    cache = tmp_path / ".cache"
    keys = [f"{i:064x}" for i in range(6)]
    for age, key in enumerate(keys):  # keys[0] newest ... keys[5] oldest
        _cache_entry(cache, key, mtime=1_000_000 - age)
    writing = cache / (keys[0] + ".tmp-123")
    writing.mkdir()
    removed = pipeline.prune_cache(cache, keep=3, protect=[keys[5]])
    assert sorted(p.name for p in removed) == sorted(keys[2:5])
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [keys[0], keys[1], keys[5], writing.name]
    )


def test_a_run_keeps_its_own_entries_and_prunes_old_ones(project, monkeypatch):
    cache = project / "runs" / ".cache"
    stale = [_cache_entry(cache, f"{i:064x}", mtime=1_000 + i) for i in range(3)]
    monkeypatch.setattr(pipeline, "CACHE_KEEP", len(STAGES) + 1)
    _run(project)
    left = {p.name for p in cache.iterdir()}
    assert stale[2].name in left and not {stale[0].name, stale[1].name} & left
    assert len(left) == len(STAGES) + 1
    assert all(step.cached for step in _run(project).steps)


def test_results_record_notebook_digests_and_no_absolute_path(ran):
    project = ran
    _run(project, cv=4)  # 02 executes again, the others come from the cache
    recorded = json.loads((project / "runs" / "trial" / "results.json").read_text())["notebooks"]
    assert set(recorded) == {step.filename for step in STAGES}
    for step in STAGES:
        digest = pipeline.notebook_digest(project / "notebooks" / step.filename)
        assert recorded[step.filename] == digest
        text = (project / "runs" / "trial" / step.filename).read_text()
        assert str(project) not in text, step.filename
        papermill = json.loads(text)["metadata"]["papermill"]
        assert papermill["input_path"] == f"notebooks/{step.filename}"
        assert papermill["output_path"] == f"runs/trial/{step.filename}"


def test_notebook_digest_tells_code_from_prose(project):
    path = project / "notebooks" / "01_preprocessing.ipynb"
    before = pipeline.notebook_digest(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("More prose."))
    nbformat.write(nb, path)
    prose_edit = pipeline.notebook_digest(path)
    assert prose_edit["code"] == before["code"] and prose_edit["prose"] != before["prose"]
    nb.cells[1].source += "\npass"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="ignored")]
    nbformat.write(nb, path)
    assert pipeline.notebook_digest(path)["code"] != before["code"]


def _saves_a_model(project: Path) -> None:
    """The stand-in beyond notebook also leaves a model file in the run, as the real one."""
    _write_notebook(
        project / "notebooks" / "04_beyond_the_mlp.ipynb",
        "beyond",
        ("cnn_epochs",),
        "from pathlib import Path\n"
        "folder = Path('models/cnn')\n"
        "folder.mkdir(parents=True, exist_ok=True)\n"
        "(folder / 'model.keras').write_bytes(b'weights')\n"
        "import json\n"
        "card = dict(key='cnn', file='model.keras', format='keras', sha256='', dataset='digits',"
        " image_shape=[8, 8], input='images', n_classes=10, test_accuracy=0.9)\n"
        "(folder / 'model.json').write_text(json.dumps(card))",
    )


def test_a_stages_model_files_are_cached_and_restored_with_it(project):
    _saves_a_model(project)
    _run(project)
    report = _run(project)
    assert all(step.cached for step in report.steps)
    model = project / "runs" / "trial" / "models" / "cnn" / "model.keras"
    assert model.read_bytes() == b"weights"


def test_a_tampered_cached_model_file_executes_the_stage_again(project):
    _saves_a_model(project)
    _run(project)
    (cached,) = (project / "runs" / ".cache").glob("*/models/cnn/model.keras")
    cached.write_bytes(b"tampered")
    report = _run(project)
    assert [s.name for s in report.steps if not s.cached] == ["04_beyond_the_mlp"]
    model = project / "runs" / "trial" / "models" / "cnn" / "model.keras"
    assert model.read_bytes() == b"weights"


def test_stage_files_lists_the_notebook_its_results_and_its_models(tmp_path):
    beyond = next(step for step in STAGES if step.key == "beyond")
    (tmp_path / "models" / "cnn").mkdir(parents=True)
    (tmp_path / "models" / "cnn" / "model.keras").write_bytes(b"")
    (tmp_path / "models" / "sklearn").mkdir()  # another stage's model
    (tmp_path / "models" / "sklearn" / "model.skops").write_bytes(b"")
    assert pipeline.stage_files(beyond, tmp_path) == [
        "04_beyond_the_mlp.ipynb",
        "beyond.json",
        "models/cnn/model.keras",
    ]
