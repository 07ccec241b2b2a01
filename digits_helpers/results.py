"""A run's machine-readable results: one JSON file per notebook, merged at the end.

Each notebook saves what it found with :func:`save_stage` into its ``run_dir``; the
comparison notebook reads the others back with :func:`load_stage`; the pipeline merges
them into ``results.json`` with :func:`assemble`. Files are written atomically, so an
interrupted run never leaves a half-written result behind.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

STAGES = {
    "preprocessing": "01_preprocessing",
    "sklearn": "02_sklearn_search",
    "keras": "03_keras_sweeps",
    "beyond": "04_beyond_the_mlp",
    "comparison": "05_comparison",
}
RESULTS_FILE = "results.json"
VERSIONED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "tensorflow-cpu",
    "keras",
    "plotly",
    "papermill",
    "jupyter-book",
    "digits-book",
)


def jsonable(value: Any) -> Any:
    """Numpy scalars and arrays, tuples and paths as plain JSON values, recursively."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write JSON next to ``path`` and rename it into place (all or nothing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(jsonable(data), handle, indent=2, sort_keys=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def stage_path(run_dir: Path | str, stage: str) -> Path:
    """Where a notebook's results live inside a run directory."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)} (got {stage!r})")
    return Path(run_dir) / f"{stage}.json"


def save_stage(run_dir: Path | str, stage: str, payload: Mapping[str, Any]) -> Path:
    """Save one notebook's results (atomically) into ``run_dir``."""
    return write_json_atomic(stage_path(run_dir, stage), payload)


def load_stage(run_dir: Path | str, stage: str) -> dict:
    """Read one notebook's results; say which notebook to run when they are missing."""
    path = stage_path(run_dir, stage)
    if not path.exists():
        raise FileNotFoundError(
            f"no {stage} results in {Path(run_dir).resolve()}: execute notebook "
            f"{STAGES[stage]} with the same run_dir first (or use `digits-book run`)"
        )
    return json.loads(path.read_text())


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that produce the numbers."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def assemble(
    run_dir: Path | str, parameters: Mapping[str, Any], timings: Mapping[str, Any]
) -> dict:
    """Merge the stage files of a finished run into the ``results.json`` document."""
    run_dir = Path(run_dir)
    document: dict[str, Any] = {"parameters": dict(parameters)}
    preprocessing = load_stage(run_dir, "preprocessing")
    document["dataset"] = preprocessing["dataset"]
    for stage in ("sklearn", "keras", "beyond", "comparison"):
        if stage_path(run_dir, stage).exists():
            document[stage] = load_stage(run_dir, stage)
    document["timings"] = dict(timings)
    document["versions"] = package_versions()
    return document


def load_results(run_dir: Path | str) -> dict:
    """Read ``results.json`` of a finished run."""
    path = Path(run_dir) / RESULTS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `digits-book run` first")
    return json.loads(path.read_text())
