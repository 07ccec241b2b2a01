"""nbval holds on other CPUs and still fails when the study changes.

Both tests run the real nbval in a subprocess, as a user runs it: once over the
committed notebooks with OpenBLAS and oneDNN forced onto other kernels (their
documented switches), and once over copies whose parameters cell was edited.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat
import pytest
from study import REPO as ROOT

pytestmark = pytest.mark.slow  # nbval twice more: under other CPU kernels, and on edited copies

# Other kernels than this machine's: OpenBLAS's Sandy Bridge (AVX, no FMA) kernels for
# numpy and scipy (so for MLPClassifier), oneDNN's AVX-only code paths in TensorFlow.
OTHER_KERNELS = {"OPENBLAS_CORETYPE": "SandyBridge", "ONEDNN_MAX_CPU_ISA": "AVX"}


def _nbval(paths, *, env=None, cwd=ROOT) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(cwd),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rf",
        *map(str, paths),
    ]
    # The tolerance plugin lives in tests/, which pyproject's pythonpath names relative
    # to the rootdir; a copy elsewhere needs it on PYTHONPATH.
    paths_before = os.environ.get("PYTHONPATH", "")
    python_path = os.pathsep.join(p for p in (str(ROOT / "tests"), paths_before) if p)
    environment = {**os.environ, **(env or {}), "PYTHONPATH": python_path}
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)


def test_committed_notebooks_pass_nbval_under_other_cpu_kernels():
    done = _nbval([ROOT / "notebooks"], env=OTHER_KERNELS)
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(r"\d+ passed", done.stdout)


def _edit_parameter(source: str, name: str, old: str, new: str) -> str:
    assert old in source, f"{name}: {old!r} is not in the parameters cell"
    return source.replace(old, new, 1)


# (copy's name, notebook, parameter, text in the parameters cell, replacement)
EDITS = [
    ("random_state", "01_preprocessing", "random_state = 42", "random_state = 7"),
    ("test_size", "01_preprocessing", "test_size = 0.2", "test_size = 0.25"),
    (
        "param_grid",
        "02_sklearn_search",
        '"learning_rate_init": [0.01]',
        '"learning_rate_init": [0.003]',
    ),
    (
        "keras_configurations",
        "03_keras_sweeps",
        '"batch_size": 64, "epochs": 4}',
        '"batch_size": 64, "epochs": 6}',
    ),
]


@pytest.fixture(scope="module")
def edited_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("edited")
    for label, notebook, old, new in EDITS:
        nb = nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4)
        (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        cell.source = _edit_parameter(cell.source, label, old, new)
        nbformat.write(nb, work / f"{notebook}-{label}.ipynb")
    return _nbval(sorted(work.glob("*.ipynb")), cwd=work)


@pytest.mark.parametrize("label", [edit[0] for edit in EDITS])
def test_nbval_fails_when_a_parameter_changes(edited_run, label):
    failed = re.findall(r"FAILED (\S+?)::Cell", edited_run.stdout)
    assert any(label in path for path in failed), edited_run.stdout[-4000:]
