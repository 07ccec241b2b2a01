"""Files written all or nothing, and their digests: one definition of each.

A run's records, its saved models, the progress a kernel reports and the book's copy of
plotly.js are each written to a temporary file beside the target and renamed over it,
so a reader (or a run interrupted halfway) never sees half a file and a failed write
leaves no debris.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from digits_helpers.core.values import jsonable


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replacing(path: Path | str, *, suffix: str = ".tmp", mode: int | None = None) -> Iterator[Path]:
    """A temporary file beside ``path`` that becomes ``path`` when the block succeeds.

    Parameters
    ----------
    path : Path or str
        The file to write; missing parent folders are created.
    suffix : str, default=".tmp"
        The temporary file's suffix (a writer that insists on an extension, such as
        Keras' ``.keras``, gets it).
    mode : int, optional
        Permissions of the finished file; by default those of a new file under the
        process's umask (``mkstemp`` alone would leave it readable by its owner only).

    Yields
    ------
    Path
        The temporary file (it exists, empty) for the block to write.

    Notes
    -----
    When the block raises (Ctrl-C included) the temporary file is removed and ``path``
    is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name: a run's cleanup knows a dead writer's file.
    handle, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=suffix
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask() if mode is None else mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` all or nothing (:func:`replacing`).

    Parameters
    ----------
    path : Path or str
        The file.
    text : str
        Its new content.

    Returns
    -------
    Path
        ``path``.
    """
    with replacing(path) as temporary:
        temporary.write_text(text)
    return Path(path)


def sha256(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits.

    Parameters
    ----------
    path : Path or str
        The file.

    Returns
    -------
    str
        The digest, as :func:`hashlib.file_digest` reads it.
    """
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON, all or nothing (:func:`write_text`).

    Parameters
    ----------
    path : Path
        The file to write; missing parent folders are created.
    data : Any
        The content; NumPy values, tuples and paths are converted to plain JSON.

    Returns
    -------
    Path
        ``path``.
    """
    return write_text(path, json.dumps(jsonable(data), indent=2) + "\n")


_scratch_folders: list[tempfile.TemporaryDirectory] = []


def scratch_folder(prefix: str) -> Path:
    """A new temporary folder that is removed, with its files, when the interpreter exits.

    For a chapter that writes image files only to read them back: nothing to clean up
    in a cell of its own, and nothing left behind by a kernel that ends.

    Parameters
    ----------
    prefix : str
        The start of the folder's name, such as ``"digits-book-scans-"``.

    Returns
    -------
    Path
        The folder, empty.
    """
    folder = tempfile.TemporaryDirectory(prefix=prefix)
    _scratch_folders.append(folder)  # kept alive: removed by its finalizer at exit
    return Path(folder.name)
