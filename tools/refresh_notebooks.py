"""Re-execute the committed notebooks in place with their default (smoke) parameters.

The committed outputs are what the nbval tests compare against, so run this after a
change that is meant to move a result (``make notebooks``), and review the diff.
Timings and papermill metadata are stripped to keep diffs readable. Execution counts
stay: they are 1, 2, 3... for a top-to-bottom run, and nbval treats a cell without one
as never executed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

from digits_helpers.run.pipeline import KERNEL_NAME, LocalKernelManager

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NOISE_KEYS = ("execution", "papermill")


def strip_noise(path: Path) -> None:
    """Remove timings and papermill bookkeeping from a notebook."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        for key in NOISE_KEYS:
            cell.metadata.pop(key, None)
    nbformat.write(nb, path)


def main() -> int:
    run_dir = NOTEBOOKS / "runs" / "interactive"
    shutil.rmtree(run_dir, ignore_errors=True)
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        print(f"executing {notebook.name}", file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp) / notebook.name
            papermill.execute_notebook(
                str(notebook),
                str(output),
                kernel_name=KERNEL_NAME,
                cwd=str(NOTEBOOKS),
                progress_bar=sys.stderr.isatty(),
                kernel_manager_class=LocalKernelManager,
            )
            strip_noise(output)
            shutil.copy2(output, notebook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
