"""Where the project is: the folder of ``notebooks/`` and ``_toc.yml``.

In the bottom layer, with nothing but the standard library, so that a command that only
needs the project's folder (``digits-book data``) starts without loading the pipeline.
"""

from __future__ import annotations

from pathlib import Path


def find_root(start: Path | None = None) -> Path:
    """The project directory: the nearest parent holding ``notebooks/`` and ``_toc.yml``.

    Parameters
    ----------
    start : pathlib.Path, optional
        Where to start looking; the current folder by default.

    Returns
    -------
    pathlib.Path
        The project's folder, resolved.

    Raises
    ------
    FileNotFoundError
        If neither ``start`` nor any of its parents is a project folder.
    """
    start = Path(start or Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if (candidate / "notebooks").is_dir() and (candidate / "_toc.yml").exists():
            return candidate
    raise FileNotFoundError(
        f"no digits-book project (a folder with notebooks/ and _toc.yml) at or above {start}"
    )
