"""Render an executed run into the Jupyter Book in ``_build/html``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from digits_helpers.pipeline import STEPS, find_root, latest_run
from digits_helpers.plotly_offline import copy_plotly_js

CHAPTERS_DIR = Path("book") / "chapters"


class BuildFailed(RuntimeError):
    """The strict book build reported warnings or errors."""


def stage_chapters(root: Path, run_name: str) -> Path:
    """Copy a run's executed notebooks to ``book/chapters/`` where ``_toc.yml`` finds them."""
    run_dir = root / "runs" / run_name
    if not (run_dir / "results.json").exists():
        raise FileNotFoundError(
            f"run {run_name!r} has no results.json in {run_dir}: execute `digits-book run "
            f"--name {run_name}` first"
        )
    chapters = root / CHAPTERS_DIR
    shutil.rmtree(chapters, ignore_errors=True)
    chapters.mkdir(parents=True)
    for step in STEPS:
        shutil.copy2(run_dir / step.filename, chapters / step.filename)
    return chapters


def build(run_name: str | None = None, *, root: Path | None = None) -> Path:
    """Strict Jupyter Book build of a run; returns ``_build/html``.

    Warnings fail the build (``-W -n --keep-going``): a missing figure, a broken
    glue reference or a notebook that failed are errors, not silent gaps.
    """
    root = find_root(root)
    run_name = run_name or latest_run(root)
    stage_chapters(root, run_name)
    copy_plotly_js(root / "_static")
    beside_python = Path(sys.executable).with_name("jupyter-book")
    jupyter_book = str(beside_python) if beside_python.exists() else shutil.which("jupyter-book")
    if jupyter_book is None:
        raise FileNotFoundError("the jupyter-book command is not installed")
    command = [
        jupyter_book,
        "build",
        str(root),
        "--all",
        "-W",
        "-n",
        "--keep-going",
    ]
    completed = subprocess.run(command, cwd=root, check=False)
    if completed.returncode != 0:
        raise BuildFailed(
            f"jupyter-book build failed (exit {completed.returncode}); see the warnings above"
        )
    return root / "_build" / "html"
