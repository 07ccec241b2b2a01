"""Render an executed run into the Jupyter Book in ``_build/html``.

A successful build writes a stamp, ``_build/digits-book-build.json``, naming the run
and a digest of everything the html was made from (:func:`build_inputs_digest`);
:func:`current_build` reads it back, so that ``digits-book publish`` knows whether
``_build/html`` is the book of the run it publishes. The stamp is outside
``_build/html``: it is not part of the published site.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import yaml

from digits_helpers.book.parameter_page import PAGE as PARAMETER_PAGE
from digits_helpers.book.parameter_page import page_text, write_parameter_page
from digits_helpers.book.plotly_offline import copy_plotly_js
from digits_helpers.core.project import find_root
from digits_helpers.core.registry import STAGES
from digits_helpers.run.lock import latest_run
from digits_helpers.study.results import RESULTS_FILE

CHAPTERS_DIR = Path("book") / "chapters"
HTML_DIR = Path("_build") / "html"
STAMP_FILE = Path("_build") / "digits-book-build.json"
# The packages that turn a run into pages: another version of one, another site.
BOOK_PACKAGES = ("jupyter-book", "sphinx", "myst-nb", "myst-parser", "sphinx-book-theme", "plotly")
BUILD_LOG = Path("_build") / "build.log"  # jupyter-book's whole output, for the curious
DOCTREES = Path("_build") / ".doctrees"  # Sphinx's record of what it has read
# The lines of the build's output worth a reader's eye: its warnings and errors.
_PROBLEM = re.compile(
    r"WARNING|ERROR|CRITICAL|Warning, treated as error|build finished with problems"
    r"|Traceback|Exception|There was an error"
)
_TAIL = 20  # lines of the log shown when a failed build printed none of the above
# A page of book/ that shows a chapter's numbers: {glue:text}`chapters/05_x.ipynb::key`
# or a glued figure with ":doc: chapters/05_x.ipynb".
_CITES_CHAPTER = re.compile(r"chapters/(\w+\.ipynb)")
# _config.yml with the repository buttons set for this clone; passed to --config.
GENERATED_CONFIG = Path("_build") / "digits-book-config.yml"
# user@host:path, git's scp-like syntax for ssh (no scheme, a colon before any slash)
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>(?!/).+)$")


class BuildFailed(RuntimeError):
    """The strict book build reported warnings or errors."""


class BuildRefused(ValueError):
    """The run to build is damaged: nothing is built, the previous book stays."""


def check_run_files(root: Path, run_name: str) -> None:
    """Refuse a run whose ``results.json`` or notebooks are missing or unreadable.

    Parameters
    ----------
    root : Path
        The project directory.
    run_name : str
        A run in ``runs/``.

    Raises
    ------
    FileNotFoundError
        No ``results.json`` (the run never finished).
    BuildRefused
        ``results.json`` is not a JSON object, or a notebook is missing or not a
        notebook: the files were damaged after the run.
    """
    run_dir = root / "runs" / run_name
    again = f"execute `digits-book run --name {run_name}` again"
    path = run_dir / RESULTS_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"run {run_name!r} has no results.json in {run_dir}: execute `digits-book run "
            f"--name {run_name}` first"
        )
    try:
        document = json.loads(path.read_text())
    except (ValueError, OSError) as exc:
        raise BuildRefused(f"{path} is damaged ({exc}): {again}") from None
    if not isinstance(document, dict) or "parameters" not in document:
        raise BuildRefused(f"{path} is not the results of a run: {again}")
    for step in STAGES:
        try:
            nbformat.read(run_dir / step.filename, as_version=4)
        except FileNotFoundError:
            raise BuildRefused(f"{run_dir / step.filename} is missing: {again}") from None
        except Exception as exc:  # nbformat raises JSON, validation and reader errors
            raise BuildRefused(
                f"{run_dir / step.filename} is damaged ({type(exc).__name__}): {again}"
            ) from None


def stage_chapters(root: Path, run_name: str) -> list[str]:
    """Copy a run's executed notebooks to ``book/chapters/`` where ``_toc.yml`` finds them.

    Only the notebooks that differ from the staged ones are copied, so that Sphinx reads
    again only what changed; the pages of ``book/`` that show a changed chapter's numbers
    are marked changed too (their time set to now). Also writes the generated
    ``book/parameters.md`` (:func:`digits_helpers.book.parameter_page.write_parameter_page`)
    from the parameter schema, the profiles and the staged chapters' ``parameters``
    cells, when its text changed. Like the chapters, it is ignored by git and cannot fall
    behind the schema.

    Parameters
    ----------
    root : Path
        The project directory.
    run_name : str
        A run in ``runs/``.

    Returns
    -------
    list of str
        The chapters' file names that were copied (all of them the first time).
    """
    run_dir = root / "runs" / run_name
    check_run_files(root, run_name)
    chapters = root / CHAPTERS_DIR
    chapters.mkdir(parents=True, exist_ok=True)
    wanted = {step.filename for step in STAGES}
    for stale in chapters.iterdir():
        if stale.name not in wanted:
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    changed = []
    for step in STAGES:
        source, staged = run_dir / step.filename, chapters / step.filename
        if not staged.is_file() or staged.read_bytes() != source.read_bytes():
            shutil.copyfile(source, staged)  # a new time: Sphinx reads it again
            changed.append(step.filename)
    for page in (root / "book").glob("*.md"):
        if set(_CITES_CHAPTER.findall(page.read_text())) & set(changed):
            page.touch()
    staged_notebooks = [chapters / step.filename for step in STAGES]
    page = root / PARAMETER_PAGE
    if not page.is_file() or page.read_text() != page_text(staged_notebooks):
        write_parameter_page(root, staged_notebooks)
    return changed


def normalise_remote_url(url: str) -> str | None:
    """The web address of a git remote, or None when it has none.

    ``git@github.com:owner/repo.git``, ``ssh://git@github.com/owner/repo`` and
    ``https://token@github.com/owner/repo.git`` all give
    ``https://github.com/owner/repo``: ssh becomes https, credentials, ports and
    ``.git`` are dropped. A local path or ``file://`` URL has no web page (and
    would publish a path of this machine): None.

    Parameters
    ----------
    url : str
        What ``git remote get-url`` prints.

    Returns
    -------
    str or None
        ``https://host/owner/repo`` (``http://`` kept as such), or None.
    """
    url = url.strip()
    scp = _SCP_LIKE.match(url)
    if scp and "://" not in url:
        scheme, host, path = "https", scp["host"], scp["path"]
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh", "ssh+git"):
            return None
        scheme = "http" if parts.scheme == "http" else "https"
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git").strip("/")
    if not host or not path:
        return None
    return f"{scheme}://{host}/{path}"


def repository_url(root: Path, remote: str = "origin") -> str | None:
    """Web address of the project's ``remote`` (see :func:`normalise_remote_url`).

    Parameters
    ----------
    root : Path
        The project directory.
    remote : str, default "origin"
        The git remote whose URL the book links to.

    Returns
    -------
    str or None
        None outside a git repository, without such a remote, or for a local one.
    """
    try:
        completed = subprocess.run(
            ["git", "remote", "get-url", remote],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:  # no git on this machine
        return None
    if completed.returncode != 0:
        return None
    return normalise_remote_url(completed.stdout)


def repository_settings(url: str | None) -> dict[str, Any]:
    """The ``_config.yml`` overrides that point the book's buttons at ``url``.

    Parameters
    ----------
    url : str or None
        The repository's web address, from :func:`repository_url`.

    Returns
    -------
    dict
        ``repository.url`` and the repository and issues buttons turned on; empty
        (the buttons stay as ``_config.yml`` has them: off) when ``url`` is None.
    """
    if url is None:
        return {}
    return {
        "repository": {"url": url},
        "html": {"use_repository_button": True, "use_issues_button": True},
    }


def book_config(root: Path, url: str | None) -> dict[str, Any]:
    """``_config.yml`` with :func:`repository_settings` merged in."""
    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    for section, values in repository_settings(url).items():
        config[section] = {**(config.get(section) or {}), **values}
    return config


def build_inputs_digest(root: Path, run_name: str, url: str | None) -> str:
    """A digest of what the book of ``run_name`` is made from.

    The run's ``results.json`` (but its timings) and executed notebooks, the book's own pages
    (``book/`` but the staged chapters), the generated parameters page as it would
    be written now, the stylesheets in ``_static/``, ``_config.yml``, ``_toc.yml``, the
    repository address and the versions of :data:`BOOK_PACKAGES`: if any of them
    differs, the html in ``_build/html`` is not the book of this run as it would be
    built now.

    Parameters
    ----------
    root : Path
        The project directory.
    run_name : str
        A run in ``runs/``.
    url : str or None
        The repository address the buttons link to.

    Returns
    -------
    str
        A sha256 hex digest.
    """
    run_dir = root / "runs" / run_name
    files = [run_dir / step.filename for step in STAGES]
    chapters = root / CHAPTERS_DIR
    generated = root / PARAMETER_PAGE  # hashed as it would be written now: see below
    files += sorted(
        p
        for p in (root / "book").rglob("*")
        if p.is_file()
        and chapters not in p.parents
        and p != generated
        and "__pycache__" not in p.parts
    )
    files += sorted((root / "_static").glob("*.css"))  # the book's own stylesheets
    files += [root / "_config.yml", root / "_toc.yml"]
    sha = hashlib.sha256()
    for part in (run_name, url or "", *(metadata.version(name) for name in BOOK_PACKAGES)):
        sha.update(f"{part}\n".encode())
    # results.json without its timings: every run records its own wall time, even one
    # that reused every notebook, and no page shows it.
    recorded = json.loads((run_dir / RESULTS_FILE).read_text())
    recorded.pop("timings", None)
    sha.update(RESULTS_FILE.encode() + b"\0")
    sha.update(hashlib.sha256(json.dumps(recorded, sort_keys=True).encode()).digest())
    for path in files:
        sha.update(path.relative_to(root).as_posix().encode() + b"\0")
        sha.update(hashlib.sha256(path.read_bytes()).digest())
    # The parameters page as this code would write it (schema, profiles, the run's
    # parameters cells), not the file a possibly older build left in book/.
    page = page_text([run_dir / step.filename for step in STAGES])
    sha.update(PARAMETER_PAGE.as_posix().encode() + b"\0")
    sha.update(hashlib.sha256(page.encode()).digest())
    return sha.hexdigest()


def current_build(root: Path) -> dict[str, str] | None:
    """The stamp of the last successful build: ``{"run": ..., "inputs": ...}``, or None."""
    path = root / STAMP_FILE
    if not (path.exists() and (root / HTML_DIR / "index.html").exists()):
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def is_current(root: Path, run_name: str) -> bool:
    """Whether ``_build/html`` is the book of ``run_name`` as a build would make it now."""
    stamp = current_build(root)
    if stamp is None or stamp.get("run") != run_name:
        return False
    return stamp.get("inputs") == build_inputs_digest(root, run_name, repository_url(root))


def build(run_name: str | None = None, *, root: Path | None = None) -> Path:
    """Strict Jupyter Book build of a run; returns ``_build/html``.

    Warnings fail the build (``-W -n --keep-going``): a missing figure, a broken
    glue reference or a notebook that failed are errors, not silent gaps. The build is
    incremental: when ``_build/html`` is already the book of this run as it would be
    built now (:func:`is_current`) nothing runs, and otherwise Sphinx reads again only
    the chapters and pages that changed. jupyter-book's output goes to
    ``_build/build.log``; its warnings and errors are printed. When the repository has a
    web address (:func:`repository_url`), the book's repository and issues buttons link
    to it. A successful build writes the stamp that :func:`is_current` reads; a failed
    one leaves none, and the next build reads everything again.

    Parameters
    ----------
    run_name : str, optional
        A run in ``runs/``; the latest by default.
    root : Path, optional
        The project directory; found from the working directory by default.

    Returns
    -------
    Path
        ``_build/html``.

    Raises
    ------
    BuildRefused
        The run's files are missing or damaged.
    BuildFailed
        jupyter-book failed or warned.
    """
    root = find_root(root)
    run_name = run_name or latest_run(root)
    check_run_files(root, run_name)  # before anything of the previous book is touched
    if is_current(root, run_name):
        print(f"_build/html is the book of run {run_name!r} already: nothing changed")
        return root / HTML_DIR
    (root / STAMP_FILE).unlink(missing_ok=True)
    changed = stage_chapters(root, run_name)
    copy_plotly_js(root / "_static")
    url = repository_url(root)
    config = root / GENERATED_CONFIG
    config.parent.mkdir(parents=True, exist_ok=True)
    config_text = (
        "# Generated by digits-book build from _config.yml: edit that file instead.\n"
        + yaml.safe_dump(book_config(root, url), sort_keys=False)
    )
    if not config.is_file() or config.read_text() != config_text:
        config.write_text(config_text)
    beside_python = Path(sys.executable).with_name("jupyter-book")
    jupyter_book = str(beside_python) if beside_python.exists() else shutil.which("jupyter-book")
    if jupyter_book is None:
        raise FileNotFoundError("the jupyter-book command is not installed")
    command = [
        jupyter_book,
        "build",
        str(root),
        "--config",
        str(config),
        "-W",
        "-n",
        "--keep-going",
    ]
    log = root / BUILD_LOG
    print(
        f"building the book of run {run_name!r} ({len(changed)} of {len(STAGES)} chapters "
        f"changed); jupyter-book's output: {log}"
    )
    with log.open("w") as output:
        completed = subprocess.run(
            command, cwd=root, check=False, stdout=output, stderr=subprocess.STDOUT
        )
    output = log.read_text(errors="replace").splitlines()
    problems = [line for line in output if _PROBLEM.search(line)]
    if completed.returncode != 0 and not problems:
        problems = output[-_TAIL:]  # a failure of another kind: its last words
    for line in problems:
        print(line, file=sys.stderr)
    if completed.returncode != 0:
        shutil.rmtree(root / DOCTREES, ignore_errors=True)  # the next build reads all again
        raise BuildFailed(
            f"jupyter-book build failed (exit {completed.returncode}); the warnings are "
            f"above and the whole output in {log}"
        )
    stamp = {"run": run_name, "inputs": build_inputs_digest(root, run_name, url)}
    (root / STAMP_FILE).write_text(json.dumps(stamp, indent=2) + "\n")
    return root / HTML_DIR
