"""``digits-book publish``: the book of a real run committed to gh-pages, and its refusals.

The smoke run comes from the session's shared study (``conftest.smoke_results``); each
test here works in its own copy of the project made a git repository, with a bare
repository beside it as the remote ``pages``, and ``origin`` set to a GitHub address
in ssh form (never contacted: nothing is pushed there) so that the book's repository
buttons are on. The copy in ``site`` is built once, by the first publish.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from study import REPO, assert_succeeded, copy_sources, digits_book

from digits_helpers.book.build import STAMP_FILE
from digits_helpers.core.registry import STAGES

ORIGIN = "git@github.com:digits-book/digits-book.git"
ORIGIN_WEB = "https://github.com/digits-book/digits-book"
REFUSED = "digits-book publish: refused: "


def git(root: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, f"git {' '.join(args)}: {completed.stderr}"
    return completed.stdout


def has_branch(repo: Path, branch: str) -> bool:
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


@dataclass(frozen=True)
class Copy:
    """A project copy with the smoke run, a git repository, and a bare remote."""

    root: Path
    bare: Path


def make_copy(base: Path, study_project: Path, *, git_repo: bool = True) -> Copy:
    """The sources and ``runs/smoke`` (times kept) in ``base``; optionally a git repository."""
    root = copy_sources(base / "digits-book")
    shutil.copy2(REPO / ".gitignore", root / ".gitignore")
    shutil.copytree(study_project / "runs" / "smoke", root / "runs" / "smoke")
    (root / "runs" / "LATEST").write_text("smoke\n")
    bare = base / "pages.git"
    if git_repo:
        git(base, "init", "--quiet", "--bare", str(bare))
        git(root, "init", "--quiet", "--initial-branch", "main")
        git(root, "config", "user.name", "Publish Test")
        git(root, "config", "user.email", "publish-test@example.invalid")
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "-m", "the sources")
        git(root, "remote", "add", "origin", ORIGIN)
        git(root, "remote", "add", "pages", str(bare))
    return Copy(root, bare)


def assert_refused(completed: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, no traceback, and the refusal on the last line of stderr; returns it."""
    assert completed.returncode == 2, (completed.returncode, completed.stdout, completed.stderr)
    assert "Traceback" not in completed.stderr
    last = completed.stderr.strip().splitlines()[-1]
    assert last.startswith(REFUSED), completed.stderr
    for needle in needles:
        assert needle in last, last
    return last


# --- a real publish ---------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    copy: Copy
    first: subprocess.CompletedProcess
    remote_branches_before_push: str


@pytest.fixture(scope="module")
def site(study_project, smoke_results, tmp_path_factory) -> Site:
    """The smoke run published (built by the publish) without --push, to ``gh-pages``."""
    copy = make_copy(tmp_path_factory.mktemp("publish"), study_project)
    first = digits_book(copy.root, "publish")
    assert_succeeded(first)
    return Site(copy, first, git(copy.bare, "branch", "--list"))


@pytest.fixture(scope="module")
def pushed(site) -> subprocess.CompletedProcess:
    """A second publish, of the same build, pushed to the bare remote ``pages``."""
    second = digits_book(site.copy.root, "publish", "--remote", "pages", "--push")
    assert_succeeded(second)
    return second


def branch_files(root: Path, branch: str = "gh-pages") -> list[str]:
    return git(root, "ls-tree", "-r", "--name-only", branch).splitlines()


def test_publish_builds_the_book_and_commits_it_without_pushing(site):
    assert "built and published to gh-pages" in site.first.stdout
    assert "(not pushed)" in site.first.stdout
    assert has_branch(site.copy.root, "gh-pages")
    assert site.remote_branches_before_push.strip() == ""
    assert git(site.copy.root, "status", "--porcelain") == ""  # main untouched


def test_the_branch_holds_every_page_nojekyll_and_the_local_plotly(site):
    files = set(branch_files(site.copy.root))
    expected = {
        "index.html",
        ".nojekyll",
        "_static/plotly.min.js",
        "book/intro.html",
        "book/methods.html",
        "book/conclusions.html",
        "book/reproduce.html",
        "book/parameters.html",
        "book/glossary.html",
        *(f"book/chapters/{step.notebook}.html" for step in STAGES),
    }
    assert expected <= files, sorted(expected - files)
    built = {
        p.relative_to(site.copy.root / "_build" / "html").as_posix()
        for p in (site.copy.root / "_build" / "html").rglob("*")
        if p.is_file()
    }
    assert files == built | {".nojekyll"}
    plotly = git(site.copy.root, "cat-file", "-s", "gh-pages:_static/plotly.min.js")
    assert int(plotly) > 1_000_000


def test_no_file_on_the_branch_names_a_path_of_the_build_machine(site):
    root = site.copy.root
    machine_paths = {
        str(root),
        str(root.parent),
        str(REPO),
        str(Path.home()) + "/",
        sys.prefix,
        tempfile.gettempdir() + "/",
        "/work/",
    }
    offenders = []
    for name in branch_files(root):
        blob = subprocess.run(
            ["git", "cat-file", "-p", f"gh-pages:{name}"], cwd=root, capture_output=True
        ).stdout
        if b"\0" in blob:
            continue  # binary
        text = blob.decode("utf-8", errors="replace")
        offenders += [(name, path) for path in machine_paths if path in text]
    assert offenders == []


def test_the_buttons_link_to_the_origin_repository(site):
    intro = git(site.copy.root, "show", "gh-pages:book/intro.html")
    assert f'href="{ORIGIN_WEB}"' in intro
    assert f"{ORIGIN_WEB}/issues" in intro
    assert "git@github.com" not in intro


def test_publish_with_push_pushes_the_branch_and_reuses_the_build(site, pushed):
    assert "published (already built) to gh-pages" in pushed.stdout
    assert "pushed to pages" in pushed.stdout
    assert has_branch(site.copy.bare, "gh-pages")
    local = git(site.copy.root, "rev-parse", "gh-pages").strip()
    assert git(site.copy.bare, "rev-parse", "gh-pages").strip() == local
    history = git(site.copy.root, "log", "--format=%s", "gh-pages").splitlines()
    assert len(history) == 2
    assert history[0].startswith("Publish the book of run 'smoke' (sources at ")


def test_the_build_stamp_names_the_run(site):
    stamp = json.loads((site.copy.root / STAMP_FILE).read_text())
    assert stamp["run"] == "smoke"
    assert STAMP_FILE.name not in branch_files(site.copy.root)


# --- refusals -----------------------------------------------------------------------------


@pytest.fixture
def fresh(study_project, smoke_results, tmp_path) -> Copy:
    """A project copy with the smoke run, not built, in a git repository."""
    return make_copy(tmp_path, study_project)


def assert_nothing_published(copy: Copy) -> None:
    assert not has_branch(copy.root, "gh-pages")
    assert git(copy.root, "status", "--porcelain") == ""


def test_refuses_outside_a_git_repository(study_project, smoke_results, tmp_path):
    copy = make_copy(tmp_path, study_project, git_repo=False)
    refused = digits_book(copy.root, "publish")
    assert_refused(refused, "not in a git repository")
    assert refused.stderr.strip().count("\n") == 0
    assert not (copy.root / "_build").exists()


def test_refuses_push_to_a_remote_that_does_not_exist(fresh):
    refused = digits_book(fresh.root, "publish", "--push", "--remote", "nowhere")
    assert_refused(refused, "no remote named 'nowhere'")
    assert refused.stderr.strip().count("\n") == 0
    assert_nothing_published(fresh)


def _edit_first_cell(notebook: Path, cell_type: str, text: str) -> None:
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == cell_type)
    cell.source += text
    nbformat.write(nb, notebook)


@pytest.mark.parametrize(
    ("cell_type", "text", "kind"),
    [("code", "\npass", "code"), ("markdown", "\n\nA new sentence.", "prose")],
)
def test_refuses_notebooks_changed_since_the_run(fresh, cell_type, text, kind):
    _edit_first_cell(fresh.root / "notebooks" / "02_sklearn_search.ipynb", cell_type, text)
    git(fresh.root, "commit", "--quiet", "-am", "edit a notebook")
    refused = digits_book(fresh.root, "publish")
    assert_refused(refused, "changed since run 'smoke'", f"02_sklearn_search.ipynb ({kind})")
    assert refused.stderr.strip().count("\n") == 0
    assert_nothing_published(fresh)


def test_refuses_a_run_whose_last_attempt_failed(fresh):
    notebook = fresh.root / "notebooks" / "01_preprocessing.ipynb"
    original = notebook.read_bytes()
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')"))
    nbformat.write(nb, notebook)
    failed = digits_book(fresh.root, "run", "--profile", "smoke", "--name", "smoke")
    assert failed.returncode == 1, failed.stderr
    notebook.write_bytes(original)  # the notebooks are the run's again: only the failure is left
    refused = digits_book(fresh.root, "publish", "--run", "smoke")
    assert_refused(refused, "last attempt at run 'smoke' failed", "runs/.failed-smoke")
    assert refused.stderr.strip().count("\n") == 0
    assert_nothing_published(fresh)


def test_refuses_an_incomplete_run(fresh):
    (fresh.root / "runs" / "smoke" / "04_beyond_the_mlp.ipynb").unlink()
    refused = digits_book(fresh.root, "publish")
    assert_refused(refused, "incomplete", "04_beyond_the_mlp.ipynb")
    assert_nothing_published(fresh)


def test_refuses_a_build_with_warnings_and_leaves_no_stamp(fresh):
    intro = fresh.root / "book" / "intro.md"
    intro.write_text(intro.read_text() + "\nSee {doc}`a-page-that-does-not-exist`.\n")
    git(fresh.root, "commit", "--quiet", "-am", "a broken reference")
    refused = digits_book(fresh.root, "publish")
    assert_refused(refused, "strict build of run 'smoke' failed", "nothing was published")
    assert_nothing_published(fresh)
    assert not (fresh.root / STAMP_FILE).exists()


def test_refuses_without_a_git_identity(fresh):
    git(fresh.root, "config", "--unset", "user.name")
    no_global_config = {
        "HOME": str(fresh.root.parent),
        "XDG_CONFIG_HOME": str(fresh.root.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    refused = subprocess.run(
        [str(Path(sys.executable).with_name("digits-book")), "publish"],
        cwd=fresh.root,
        capture_output=True,
        text=True,
        env={**os.environ, **no_global_config},
        check=False,
    )
    assert_refused(refused, "user.name")
    assert_nothing_published(fresh)
