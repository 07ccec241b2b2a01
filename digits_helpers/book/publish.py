"""Publish the book of a run to a git branch (``gh-pages``) with ghp-import.

``digits-book publish`` checks before it writes anything: the project is a git
repository, the remote to push to exists, the run finished (its ``results.json``
and every notebook are there, and no later attempt under the same name failed),
and ``notebooks/`` is what the run executed. Then it builds the book if
``_build/html`` is not already the book of that run (a strict build: a warning is a
refusal), and commits ``_build/html`` plus ``.nojekyll`` to the branch with
ghp-import, which writes the commit through ``git fast-import``: the branch moves
only once the whole commit is written. ``--push`` then pushes the branch.

Notebooks are compared by their code *and* their prose
(:func:`digits_helpers.run.pipeline.notebook_digest`): the chapters are staged from the
run's executed notebooks, so a markdown edit made after the run would be missing
from the published book, and running again after a prose-only edit re-executes
nothing (the cached executions are reused, their prose replaced).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from digits_helpers.book import build as book
from digits_helpers.core.project import find_root
from digits_helpers.core.registry import STAGES
from digits_helpers.run.lock import latest_run
from digits_helpers.run.pipeline import notebook_digest
from digits_helpers.study.results import RESULTS_FILE

DEFAULT_BRANCH = "gh-pages"
DEFAULT_REMOTE = "origin"


class PublishRefused(RuntimeError):
    """Publishing would put out something other than the book of a good, current run."""


@dataclass
class Published:
    """What :func:`publish` did."""

    run: str
    branch: str
    commit: str
    built: bool
    pushed_to: str | None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def _reason(text: str) -> str:
    """The line of git's output that says why: its first ``fatal:``/``error:``, or the last."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else "no message"


def _branch_head(root: Path, branch: str) -> str | None:
    head = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
    return head.stdout.strip() if head.returncode == 0 else None


def check_git(root: Path, *, remote: str | None) -> None:
    """Refuse outside a git work tree, or when ``remote`` is given but not configured.

    Parameters
    ----------
    root : Path
        The project directory.
    remote : str or None
        The remote that ``--push`` will push to; None when not pushing.

    Raises
    ------
    PublishRefused
        With a one-line reason.
    """
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
    except FileNotFoundError:
        raise PublishRefused("git is not installed") from None
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise PublishRefused(f"{root} is not in a git repository: nothing to commit the book to")
    for key in ("user.name", "user.email"):
        if not _git(root, "config", key).stdout.strip():
            raise PublishRefused(
                f"git has no {key} here: set it (`git config {key} ...`) to sign the commit"
            )
    if remote is not None and _git(root, "remote", "get-url", remote).returncode != 0:
        raise PublishRefused(
            f"--push: this repository has no remote named {remote!r} "
            f"(add one with `git remote add {remote} URL`, or choose one with --remote)"
        )


def check_run(root: Path, run_name: str) -> dict:
    """Refuse a run that failed or is incomplete; return its ``results.json``.

    Parameters
    ----------
    root : Path
        The project directory.
    run_name : str
        The run to publish.

    Returns
    -------
    dict
        The run's ``results.json``.

    Raises
    ------
    PublishRefused
        No ``results.json``, a notebook missing, or ``runs/.failed-<name>`` written
        after the run (the last attempt under that name failed).
    """
    runs = root / "runs"
    run_dir = runs / run_name
    results_path = run_dir / RESULTS_FILE
    failed = runs / f".failed-{run_name}"
    if not results_path.exists():
        if failed.exists():
            raise PublishRefused(
                f"run {run_name!r} failed (kept in runs/{failed.name}); fix it and run it again"
            )
        raise PublishRefused(
            f"run {run_name!r} is incomplete or missing: runs/{run_name}/{RESULTS_FILE} "
            "does not exist"
        )
    if failed.exists() and failed.stat().st_mtime > results_path.stat().st_mtime:
        raise PublishRefused(
            f"the last attempt at run {run_name!r} failed (runs/{failed.name} is newer than "
            f"runs/{run_name}/): fix it and run it again, or remove runs/{failed.name}"
        )
    missing = [step.filename for step in STAGES if not (run_dir / step.filename).exists()]
    if missing:
        raise PublishRefused(
            f"run {run_name!r} is incomplete: runs/{run_name}/ lacks {', '.join(missing)}"
        )
    try:
        return json.loads(results_path.read_text())
    except json.JSONDecodeError:
        raise PublishRefused(f"runs/{run_name}/{RESULTS_FILE} is not valid JSON") from None


def changed_notebooks(root: Path, recorded: dict) -> list[str]:
    """Notebooks of ``notebooks/`` that differ from what a run executed.

    Parameters
    ----------
    root : Path
        The project directory.
    recorded : dict
        The run's ``results.json["notebooks"]``: the digests of
        :func:`~digits_helpers.run.pipeline.notebook_digest` taken when it ran.

    Returns
    -------
    list of str
        ``"<file> (code)"``, ``"<file> (prose)"`` or ``"<file> (missing)"`` for each
        difference, in the study's order; empty when the notebooks are unchanged.
    """
    changes = []
    for step in STAGES:
        source = root / "notebooks" / step.filename
        if not source.exists():
            changes.append(f"{step.filename} (missing)")
            continue
        now, then = notebook_digest(source), recorded.get(step.filename, {})
        if now["code"] != then.get("code"):
            changes.append(f"{step.filename} (code)")
        elif now["prose"] != then.get("prose"):
            changes.append(f"{step.filename} (prose)")
    return changes


def check_notebooks(root: Path, run_name: str, results: dict) -> None:
    """Refuse when ``notebooks/`` is not what the run executed (see :func:`changed_notebooks`)."""
    recorded = results.get("notebooks")
    if not isinstance(recorded, dict):
        raise PublishRefused(
            f"run {run_name!r} records no digests of the notebooks it executed (it predates "
            "them): run it again"
        )
    changes = changed_notebooks(root, recorded)
    if changes:
        raise PublishRefused(
            f"notebooks changed since run {run_name!r}: {', '.join(changes)}; run it again "
            "(unchanged code is reused from the cache)"
        )


def _ensure_built(root: Path, run_name: str) -> bool:
    if book.is_current(root, run_name):
        return False
    try:
        book.build(run_name, root=root)  # it says what it builds
    except book.BuildFailed as exc:
        raise PublishRefused(
            f"the strict build of run {run_name!r} failed: {exc}; nothing was published"
        ) from None
    return True


def _commit_message(root: Path, run_name: str) -> str:
    head = _git(root, "rev-parse", "--short", "HEAD")
    source = head.stdout.strip() if head.returncode == 0 else "an unborn branch"
    return f"Publish the book of run {run_name!r} (sources at {source})"


def publish(
    run_name: str | None = None,
    *,
    root: Path | None = None,
    branch: str = DEFAULT_BRANCH,
    remote: str = DEFAULT_REMOTE,
    push: bool = False,
) -> Published:
    """Commit the book of a run to ``branch``, and push it with ``push``.

    Parameters
    ----------
    run_name : str, optional
        The run to publish; default: the latest successful run (``runs/LATEST``).
    root : Path, optional
        The project directory; default: found from the current directory.
    branch : str, default "gh-pages"
        The branch that receives ``_build/html`` (with ``.nojekyll``), one commit
        per publish on top of its history.
    remote : str, default "origin"
        Where ``push`` pushes ``branch``.
    push : bool, default False
        Push the branch after committing it.

    Returns
    -------
    Published
        The run, the branch, the new commit, whether the book was (re)built and
        where it was pushed.

    Raises
    ------
    PublishRefused
        When the checks fail (see the module docstring), the build has warnings,
        or git refuses the commit or the push. Nothing has been committed then,
        except when only the push failed (the branch holds the commit).
    """
    root = find_root(root)
    check_git(root, remote=remote if push else None)
    try:
        run_name = run_name or latest_run(root)
    except FileNotFoundError as exc:
        raise PublishRefused(str(exc)) from None
    results = check_run(root, run_name)
    check_notebooks(root, run_name, results)
    built = _ensure_built(root, run_name)
    html = root / book.HTML_DIR
    before = _branch_head(root, branch)
    commit = subprocess.run(
        [
            sys.executable,
            "-m",
            "ghp_import",
            "--no-jekyll",
            "--branch",
            branch,
            "--remote",
            remote,
            "--message",
            _commit_message(root, run_name),
            str(html),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    after = _branch_head(root, branch)
    if commit.returncode != 0 or after is None or after == before:
        reason = _reason(commit.stderr + commit.stdout)
        raise PublishRefused(f"ghp-import could not commit to {branch!r}: {reason}")
    pushed_to = None
    if push:
        pushed = _git(root, "push", remote, f"refs/heads/{branch}:refs/heads/{branch}")
        if pushed.returncode != 0:
            raise PublishRefused(
                f"committed to {branch!r}, but the push to {remote!r} failed: "
                f"{_reason(pushed.stderr)}"
            )
        pushed_to = remote
    return Published(run_name, branch, after, built, pushed_to)
