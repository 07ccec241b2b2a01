"""The real study in a copy of the project: the ``digits-book`` command and its checks.

Shared by the study and book levels through the session fixtures of ``conftest.py``: each
profile's run is made once per session (the smoke profile in ``make test``, the quick
profile and a second split in the slow tier).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
DIGITS_BOOK = Path(sys.executable).with_name("digits-book")
# The second split of the slow tier (conftest.seed7): the smoke profile, another split seed.
SEED7_SETTINGS = {"random_state": 7}
COMMAND_TIMEOUT = 1800  # seconds; the quick profile takes over three minutes on two cores


def digits_book(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the ``digits-book`` command in ``root``."""
    assert DIGITS_BOOK.exists(), f"{DIGITS_BOOK} is missing: install the project into the venv"
    return subprocess.run(
        [str(DIGITS_BOOK), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=False,
    )


def assert_succeeded(completed: subprocess.CompletedProcess) -> None:
    """Fail with the end of the command's output unless it exited 0."""
    assert completed.returncode == 0, (
        f"`{' '.join(completed.args[1:])}` exited {completed.returncode}\n"
        f"--- stdout (end)\n{completed.stdout[-3000:]}\n"
        f"--- stderr (end)\n{completed.stderr[-5000:]}"
    )


def copy_sources(root: Path) -> Path:
    """Copy the project's sources into ``root``: no .venv, runs, _build or generated pages."""
    root.mkdir(parents=True)
    junk = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=junk)
    shutil.copytree(
        REPO / "book",
        root / "book",
        ignore=lambda folder, names: [
            *junk(folder, names),
            *(["chapters", "parameters.md"] if Path(folder) == REPO / "book" else []),
        ],
    )
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(REPO / name, root / name)
    (root / "_static").mkdir()
    for stylesheet in (REPO / "_static").glob("*.css"):  # the book's own; plotly.js is made
        shutil.copy2(stylesheet, root / "_static" / stylesheet.name)
    real_digits = REPO / "data" / "mnist"  # make data: chapters 6 and 7 read them
    assert (real_digits / "PROVENANCE.json").is_file(), f"{real_digits}: run `make data` first"
    shutil.copytree(real_digits, root / "data" / "mnist")
    return root


def run_study(project: Path, name: str, *settings: str, profile: str = "smoke") -> dict:
    """``digits-book run --profile PROFILE --name NAME [--set ...]``; its results.json."""
    assignments = [arg for setting in settings for arg in ("--set", setting)]
    assert_succeeded(
        digits_book(project, "run", "--profile", profile, "--name", name, *assignments)
    )
    return json.loads((project / "runs" / name / "results.json").read_text())


# The parameters each stand-in notebook of a tiny project declares.
TINY_DECLARES = {
    "01_preprocessing": ("random_state",),
    "02_sklearn_search": ("cv",),
    "03_keras_sweeps": ("model_seed",),
    "04_beyond_the_mlp": ("cnn_epochs",),
    "05_comparison": ("repeat_seeds",),
    "06_reading_a_form": ("model_seed",),
    "07_a_reader_for_other_hands": ("reader_epochs",),
}


def write_tiny_notebook(path: Path, stage: str, names: tuple[str, ...], body: str = "") -> None:
    """A stand-in notebook: a ``parameters`` cell, then ``body`` and its stage file."""
    defaults = "\n".join(f"{n} = None" for n in names) + '\nrun_dir = "."'
    parameters = new_code_cell(defaults, metadata={"tags": ["parameters"]})
    payload = "{'dataset': {'name': 'digits'}, " + ", ".join(f"'{n}': {n}" for n in names) + "}"
    work = new_code_cell(
        f"{body}\nfrom digits_helpers.study import results\n"
        f"results.save_stage(run_dir, {stage!r}, {payload})\n"
        f"print('saved the {stage} stage')"
    )
    nb = new_notebook(cells=[parameters, work])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def tiny_project(root: Path) -> Path:
    """A project whose notebooks are tiny stand-ins with the study's names (seconds to run)."""
    from digits_helpers.core.registry import STAGES

    (root / "notebooks").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    for step in STAGES:
        path = root / "notebooks" / step.filename
        write_tiny_notebook(path, step.key, TINY_DECLARES[step.notebook])
    return root


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def assert_no_debris(project: Path) -> None:
    """No staging, swap, lock, lock holder or temporary file in runs/, no half-written cache
    entry."""
    runs = project / "runs"
    debris = (".staging", ".previous", ".lock", ".holder", "..holder")
    left = [p.name for p in runs.iterdir() if p.name.startswith(debris)]
    left += [p.name for p in runs.glob(".LATEST.*.tmp")]
    left += [p.name for p in (runs / ".cache").glob("*.tmp-*")]
    left += [str(p.relative_to(runs)) for p in runs.glob("*/.digits-book-progress-*")]
    assert left == []
    assert kernels_under(runs) == []


def kernels_under(folder: Path) -> list[int]:
    """Live processes whose working directory is inside ``folder`` (notebook kernels)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (cwd == str(folder) or cwd.startswith(f"{folder}/")):
            found.append(int(proc.name))
    return found


def wait_for(condition, timeout: float = 120.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def start(project: Path, *args: str) -> subprocess.Popen:
    """``digits-book`` in its own session, as a terminal's foreground job would be."""
    return subprocess.Popen(
        [str(DIGITS_BOOK), *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
